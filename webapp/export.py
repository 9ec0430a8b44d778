"""A candidate's own data as one ZIP archive ("Download my data" on the account page, and on the page a deactivated
account reaches with its password: webapp.auth.deactivated).

What the candidate gave the site and what it made of it, in open formats: their account (``account.json``), every
answer with its question, text, full analysis result and stored scores (``answers.json``), when administrators
opened their answers (``admin_views.json``), their mock interviews (``mock_interviews.json``), the files they uploaded or recorded with the files derived from them (face heat maps),
and each transcript as plain text and WebVTT captions; ``README.txt`` says what each file is. Not included: the
averages of other candidates (not theirs), the counts that tie the candidate's results to them and to the word lists
(contributors, waiting results, who wrote a word: nothing that is not in the answers), and the password hash (no use
to anyone but an attacker).

The archive is made while it is sent (``stream``): nothing is written to disk, and at most about a megabyte is held
in memory at a time, however many recordings there are.
"""
from __future__ import annotations

import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select

from . import media
from .answers import words_shown
from .dashboard.transcript import speech_of, to_text, to_vtt
from .extensions import db
from .models import Answer, AnswerView, InterviewSession, Question, Score, User
from .wording import utc_iso

README = """Your data from the interview simulator, as of {now} (UTC).

account.json          your account: e-mail address, role, when it was made (your password is stored only as a
                      one-way hash, which is not included)
answers.json          every answer you sent: its question, type, time, status, the text you typed or that was read
                      from your PDF, the full analysis result as the site stored it (the models' estimates, the
                      transcript of a recording, the talking points, each with "covered": whether all of the
                      point's main words appear in your answer, a check of words, not of meaning, ...)
                      and the scores that count in the averages; "file" names the answer's file in the files/ folder, if it has one;
                      "word_count" is the answer's words as the pages count them, without filler sounds ("um", "uh"),
                      and null where the pages show none (a transcript that looks unreliable, a PDF not read yet)
admin_views.json      when administrators opened your answers (their pages, files, transcripts or heat maps) or
                      deleted them ("opened": "deleted"), as your account page lists them; the lines of an answer an
                      administrator deleted say so, with its question
mock_interviews.json  your mock interviews: their questions in order, when they began and ended (their answers
                      are in answers.json, with the interview's id)
files/                the PDFs you uploaded and the recordings you made (as stored), with the files made from
                      them (e.g. "...cam.png": the face heat map, where the expression model looked); transcripts of recordings as .txt
                      and .vtt (captions)

Scores are on the scales the pages show (0-100 for the Big Five, per minute for a recording's fillers and hedges,
per 100 words for a written answer's hedges, ...). In "result", as the
analysis stored it, shares and probabilities are fractions from 0 to 1 (a facing_share of 0.95 is the 95% the page
shows) and times are in seconds from the start of the recording. "big5" in "result" holds the text model's estimate
of all five traits, also of those the answer's page does not show because the model cannot estimate them reliably
for an answer of that length or language (the page says which); "scores" holds only the traits shown, the ones that
count in the averages. The models estimate
expressed signals from your words, face and voice; they do not read minds, and nothing here is a hiring verdict.
Other candidates' averages are not included: they are not your data.
"""


def _answer_record(a: Answer, question: Question | None, scores: list[Score], file_name: str | None) -> dict:
    return {"id": a.id, "question_id": a.question_id, "question": a.question_text or (question.text if question else None),
            "category": question.category if question else None, "type": a.modality, "created_at": utc_iso(a.created_at),
            "status": a.status, "error": a.error, "word_count": words_shown(a), "text": a.text,
            "file": file_name, "original_filename": a.original_filename, "mock_interview_id": a.session_id,
            "result": a.result, "scores": [{"family": s.family, "label": s.label, "value": s.value} for s in scores]}


class _Sink:
    """A write-only stream that hands over what was written so far (zipfile writes to it; the response sends it)."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


CHUNK = 1 << 20  # a stored file is copied into the archive (and sent) a megabyte at a time


def contents(user: User) -> list[tuple[str, bytes | Path, bool]]:
    """(name in the archive, bytes or a stored file's path, compress) of every member, read from the database now
    (in the request); the files themselves are read while the archive is sent."""
    from .models import utcnow

    answers = db.session.scalars(select(Answer).where(Answer.user_id == user.id).order_by(Answer.id)).all()
    ids = [a.id for a in answers]
    sessions = db.session.scalars(select(InterviewSession).where(InterviewSession.user_id == user.id)
                                  .order_by(InterviewSession.id)).all()
    wanted = {a.question_id for a in answers} | {q for s in sessions for q in (s.question_ids or [])}
    questions = ({q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(wanted)))}
                 if wanted else {})
    scores: dict[int, list[Score]] = {}
    if ids:
        for s in db.session.scalars(select(Score).where(Score.answer_id.in_(ids)).order_by(Score.id)):
            scores.setdefault(s.answer_id, []).append(s)
    members: list[tuple[str, bytes | Path, bool]] = [
        ("README.txt", README.format(now=utc_iso(utcnow())).encode(), True),
        ("account.json", json.dumps({"email": user.email, "role": user.role,
                                     "created_at": utc_iso(user.created_at)}, indent=2).encode(), True)]
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
                members.append((file_name, path, False))  # recordings and PDFs are compressed already
                for extra in sorted(path.parent.glob(path.name + ".*")):  # heat maps and other derived files
                    members.append((file_name + extra.name[len(path.name):], extra, False))
        speech = speech_of(a.result)
        if speech and speech.get("words"):
            members.append((f"files/answer-{a.id}-transcript.txt", to_text(speech).encode(), True))
            members.append((f"files/answer-{a.id}-transcript.vtt", to_vtt(speech).encode(), True))
        records.append(_answer_record(a, questions.get(a.question_id), scores.get(a.id, []), file_name))
    members.append(("answers.json", json.dumps(records, indent=2, ensure_ascii=False, default=str).encode(), True))
    views = db.session.execute(select(AnswerView.answer_id, AnswerView.deleted_answer_id, AnswerView.question_text,
                                      AnswerView.what, AnswerView.at, User.email)
                               .outerjoin(User, User.id == AnswerView.viewer_id)
                               .where(AnswerView.owner_id == user.id).order_by(AnswerView.at, AnswerView.id)).all()
    members.append(("admin_views.json", json.dumps([
        {"answer_id": answer_id, "opened": what, "at": utc_iso(at), "administrator": email} if answer_id is not None else
        {"answer_id": gone_id, "answer_deleted_by_an_administrator": True, "question": question, "opened": what,
         "at": utc_iso(at), "administrator": email}
        for answer_id, gone_id, question, what, at, email in views], indent=2, ensure_ascii=False).encode(), True))
    # a question as the interview asked it: its answer's wording where there is one (an admin may have reworded the
    # question since; the export showed the new wording, the report the old one: a privacy review), else today's
    asked = {(a.session_id, a.question_id): a.question_text for a in answers if a.session_id and a.question_text}

    def question_of(s, q):
        return asked.get((s.id, q)) or (questions[q].text if q in questions else None)

    members.append(("mock_interviews.json", json.dumps([
        {"id": s.id, "type": s.mode, "category": s.category, "created_at": utc_iso(s.created_at),
         "finished_at": utc_iso(s.finished_at),
         "questions": [{"id": q, "text": question_of(s, q)} for q in (s.question_ids or [])]}
        for s in sessions], indent=2, ensure_ascii=False).encode(), True))
    return members


def stream(members: list[tuple[str, bytes | Path, bool]]) -> Iterator[bytes]:
    """The ZIP archive of ``members`` (``contents``), made as it is sent: nothing is written to disk, and at most
    about a megabyte is held at a time. A stored file deleted meanwhile is left out."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as z:
        for name, source, compress in members:
            info = zipfile.ZipInfo(name, date_time=time.gmtime()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            info.external_attr = 0o600 << 16
            if isinstance(source, bytes):
                z.writestr(info, source)
            else:
                try:
                    fh = open(source, "rb")
                except OSError:
                    continue
                with fh, z.open(info, "w", force_zip64=True) as out:
                    while chunk := fh.read(CHUNK):
                        out.write(chunk)
                        yield sink.take()
            yield sink.take()
    yield sink.take()
