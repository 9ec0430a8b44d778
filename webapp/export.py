"""A candidate's own data as one ZIP archive ("Download my data" on the account page).

Everything the site keeps about the signed-in candidate, in open formats: their account (``account.json``), every
answer with its question, text, full analysis result and stored scores (``answers.json``), their mock interviews
(``mock_interviews.json``), the files they uploaded or recorded with the files derived from them (face heat maps),
and each transcript as plain text and WebVTT captions; ``README.txt`` says what each file is. Not included: the
averages of other candidates (not theirs) and the password hash (no use to anyone but an attacker).

The archive is written to a private temporary file under MEDIA_DIR/tmp (recordings can be large); the route opens it,
removes its name and streams the open file, so nothing is left on disk once it is sent (one left by a process killed
while writing it goes with ``media.sweep_temp``).
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

from sqlalchemy import select

from . import media
from .dashboard.transcript import speech_of, to_text, to_vtt
from .extensions import db
from .models import Answer, InterviewSession, Question, Score, User

README = """Your data from the interview simulator, as of {now} (UTC).

account.json          your account: e-mail address, role, when it was made (your password is stored only as a
                      one-way hash, which is not included)
answers.json          every answer you sent: its question, type, time, status, the text you typed or that was read
                      from your PDF, the full analysis result as the site stored it (the models' estimates, the
                      transcript of a recording, the talking points covered, ...) and the scores that count in the
                      averages; "file" names the answer's file in the files/ folder, if it has one
mock_interviews.json  your mock interviews: their questions in order, when they began and ended (their answers
                      are in answers.json, with the interview's id)
files/                the PDFs you uploaded and the recordings you made (as stored), with the files made from
                      them (e.g. "...heatmap.png": where the face model looked); transcripts of recordings as .txt
                      and .vtt (captions)

Scores are on the scales the pages show (0-100 for the Big Five, per minute for fillers, ...). The models estimate
expressed signals from your words, face and voice; they do not read minds, and nothing here is a hiring verdict.
Other candidates' averages are not included: they are not your data.
"""


def _iso(dt) -> str | None:
    return dt.isoformat(timespec="seconds") + "Z" if dt else None


def _answer_record(a: Answer, question: Question | None, scores: list[Score], file_name: str | None) -> dict:
    return {"id": a.id, "question_id": a.question_id, "question": question.text if question else None,
            "category": question.category if question else None, "type": a.modality, "created_at": _iso(a.created_at),
            "status": a.status, "error": a.error, "word_count": a.word_count, "text": a.text,
            "file": file_name, "original_filename": a.original_filename, "mock_interview_id": a.session_id,
            "result": a.result, "scores": [{"family": s.family, "label": s.label, "value": s.value} for s in scores]}


def build(user: User, out: Path) -> Path:
    """Write ``user``'s data as a ZIP archive to ``out`` (created 0600); returns ``out``."""
    from .models import utcnow

    answers = db.session.scalars(select(Answer).where(Answer.user_id == user.id).order_by(Answer.id)).all()
    ids = [a.id for a in answers]
    questions = {q.id: q for q in db.session.scalars(
        select(Question).where(Question.id.in_({a.question_id for a in answers})))} if answers else {}
    scores: dict[int, list[Score]] = {}
    if ids:
        for s in db.session.scalars(select(Score).where(Score.answer_id.in_(ids)).order_by(Score.id)):
            scores.setdefault(s.answer_id, []).append(s)
    sessions = db.session.scalars(select(InterviewSession).where(InterviewSession.user_id == user.id)
                                  .order_by(InterviewSession.id)).all()
    with open(media._private_fd(out), "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("README.txt", README.format(now=_iso(utcnow())))
        z.writestr("account.json", json.dumps({"email": user.email, "role": user.role,
                                               "created_at": _iso(user.created_at)}, indent=2))
        records = []
        for a in answers:
            file_name = None
            if a.media_path:
                try:
                    path = media.absolute(a.media_path)
                except media.MediaError:
                    path = None
                if path is not None and path.is_file():
                    file_name = f"files/answer-{a.id}-{a.modality}{path.suffix}"
                    z.write(path, file_name, compress_type=zipfile.ZIP_STORED)  # already compressed media
                    for extra in sorted(path.parent.glob(path.name + ".*")):  # heat maps and other derived files
                        z.write(extra, f"files/answer-{a.id}-{a.modality}{path.suffix}{extra.name[len(path.name):]}")
            speech = speech_of(a.result)
            if speech and speech.get("words"):
                z.writestr(f"files/answer-{a.id}-transcript.txt", to_text(speech))
                z.writestr(f"files/answer-{a.id}-transcript.vtt", to_vtt(speech))
            records.append(_answer_record(a, questions.get(a.question_id), scores.get(a.id, []), file_name))
        z.writestr("answers.json", json.dumps(records, indent=2, ensure_ascii=False, default=str))
        z.writestr("mock_interviews.json", json.dumps([
            {"id": s.id, "type": s.mode, "category": s.category, "created_at": _iso(s.created_at),
             "finished_at": _iso(s.finished_at),
             "questions": [{"id": q, "text": questions[q].text if q in questions else
                            (db.session.get(Question, q).text if db.session.get(Question, q) else None)}
                           for q in (s.question_ids or [])]} for s in sessions], indent=2, ensure_ascii=False))
    return out
