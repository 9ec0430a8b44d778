"""Mock interview sessions: starting one, the session context of an answer upload, the report and
the progress over attempts. Routes (webapp.practice.routes, webapp.interview.routes) stay thin."""
from __future__ import annotations

import random
from collections import defaultdict
from typing import Optional

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import joinedload, selectinload

from .. import media, stats
from ..extensions import db
from ..jobs import live_workers, paused_message, queued_ahead, typical_seconds, wait_text
from ..labels import TRAIT_NAMES, modality_name, voice_short
from ..modelinfo import text_metrics, text_words
from ..models import PRACTICE_MODES, Answer, InterviewSession, Question, utcnow
from ..params import db_id
from ..stats import modality_group
from ..wording import utc_iso
from .coach import things_to_practise
from .figures import (FIGURES, TRAIT_KEYS, best_at, best_marks, best_of, big5_estimate, changes, checked_points, key_figures,
                      resolution)

MIXED = "mixed"
# the answer modalities a session mode accepts
MODE_MODALITIES = {"written": ("text", "pdf"), "video": ("video",), "audio": ("audio",)}


# --- Starting and walking through a session -----------------------------------------------

def categories() -> list[str]:
    return list(db.session.execute(select(Question.category).where(Question.retired.is_(False))
                                   .distinct().order_by(Question.category)).scalars())


def start(user_id: int, mode: str, category: str, count: int, rng: random.Random | None = None) -> InterviewSession:
    """A new session of up to `count` active questions of `category` (or any, "mixed"), in random
    order. Raises ValueError when no question fits."""
    if mode not in PRACTICE_MODES:
        raise ValueError("Choose video, audio or written answers.")
    q = select(Question.id).where(Question.retired.is_(False))
    if category != MIXED:
        q = q.where(Question.category == category)
    ids = list(db.session.execute(q.order_by(Question.id)).scalars())
    if not ids:
        raise ValueError("There are no questions in that category yet.")
    chosen = (rng or random.SystemRandom()).sample(ids, min(count, len(ids)))
    session = InterviewSession(user_id=user_id, mode=mode, category=category, question_ids=chosen, position=0)
    db.session.add(session)
    db.session.commit()
    return session


def owned_session(session_id: int, admins: bool = True) -> InterviewSession:
    """A session of the current user, or any for an admin when ``admins`` (to read it; a change, to end or
    delete it, is its candidate's alone); 404 otherwise (ids cannot be probed)."""
    s = db.session.get(InterviewSession, session_id)
    if s is None or (s.user_id != current_user.id and not (admins and current_user.is_admin)):
        abort(404)
    return s


#: the query parameter of a session's answer page that answers again a question whose answer failed (a retake)
RETAKE = "retake"


def answer_url(s: InterviewSession, question_id: int, retake: bool = False) -> str:
    """Where the candidate answers a question of the session (the existing answer pages); ``retake``: again, in
    place of the session's answer to it whose analysis failed (:func:`replace`)."""
    return _answer_url(s.id, s.mode, question_id, retake)


def _answer_url(session_id: int, mode: str, question_id: int, retake: bool = False) -> str:
    extra = {RETAKE: 1} if retake else {}
    if mode == "written":
        return url_for("interview.text_answer", question_id=question_id, session=session_id, **extra)
    return url_for("interview.record", question_id=question_id, kind=mode, session=session_id, **extra)


def next_url(s: InterviewSession) -> str:
    if s.current_question_id is None:
        return url_for("practice.report", session_id=s.id)
    return url_for("practice.step", session_id=s.id)


def refuse(message: str, target: str, status: int = 409):
    """Leave the request: JSON for the recorder's upload, else a message and a redirect."""
    if request.accept_mimetypes.best == "application/json":
        abort(current_app.make_response((jsonify(error=message, redirect=target), status)))
    flash(message, "error")
    abort(redirect(target))


def session_check(question_id: int, modality: str | None = None):
    """(session, refusal) for an answer page or upload (the ``session`` query parameter): (None, None)
    without one; 404 unless it is the current user's own. ``refusal`` is None when the session is
    unfinished, the question its current one and the modality one of its mode (`modality` None: any
    of its mode, for the GET of a page); otherwise (kind, message, where to go): kind "over" or "moved", or for a
    POST to a session that is not found (not this user's, deleted, or an unreadable id) "unknown". With ``?retake=``
    the question is one whose answer in the session failed, answered again in its place: :func:`retake_refusal`."""
    raw = request.args.get("session")
    if raw is None:
        return None, None
    sid = db_id(raw)
    s = db.session.get(InterviewSession, sid) if sid is not None else None
    if s is None or s.user_id != current_user.id:
        if request.method == "POST":
            # an answer sent to a mock interview deleted meanwhile (its candidate deleted it, or all their data,
            # in another tab): the answer is handed back ("unknown": not found, perhaps deleted), not lost;
            # another candidate's session, or an address whose session id cannot be read, gets the same reply,
            # so it tells nothing about which sessions exist and loses no typed text
            return None, ("unknown", "This mock interview could not be found; it may have been deleted.",
                          url_for("practice.start"))
        abort(404)
    if retaking():
        return s, retake_refusal(s, question_id, modality)
    if s.current_question_id != question_id or (modality is not None and modality not in MODE_MODALITIES[s.mode]):
        return s, refusal_of(s)
    return s, None


def retaking() -> bool:
    """Whether this answer page or upload answers a session's question again (``?retake=``, with ``?session=``)."""
    return RETAKE in request.args and "session" in request.args


def retaking_in(s: InterviewSession | None) -> bool:
    """Whether this answer page or upload answers again, in the mock interview ``s`` (None: not one), a question whose
    answer there failed (:func:`retaking`)."""
    return s is not None and retaking()


def place_answer(s: InterviewSession, answer: Answer, retake: bool) -> bool:
    """Give a new answer its place in the mock interview: in place of the session's failed answer to the question (a
    retake, :func:`replace`), else as its next step (:func:`advance`); False when another request took that place
    first (nothing is then stored)."""
    return replace(s, answer) if retake else advance(s, answer)


def lost_place(s: InterviewSession, question_id: int, retake: bool, modality: str) -> tuple[str, str, str]:
    """The refusal (kind, message, where to go) for an answer that lost the race for its place in the session
    (:func:`place_answer`)."""
    if not retake:
        return refusal_of(s)
    return retake_refusal(s, question_id, modality) or (
        "replaced", "Your answer to this question in the mock interview changed meanwhile; here is the report.",
        url_for("practice.report", session_id=s.id))


def refusal_of(s: InterviewSession) -> tuple[str, str, str]:
    """(kind, message, where to go) for a request about a question that is not, or no longer, the
    session's current one: "over" (to the report), "moved" (to the current question) or, after
    :func:`advance` found it deleted meanwhile, "gone" (to the start of a new mock interview)."""
    if inspect(s).detached:
        return ("gone", "This mock interview was deleted.", url_for("practice.start"))
    if s.current_question_id is None:
        return ("over", "This mock interview is over; here is its report.",
                url_for("practice.report", session_id=s.id))
    return ("moved", "That is not the current question of your mock interview; here it is.",
            url_for("practice.step", session_id=s.id))


def session_answer(s: InterviewSession, question_id: int) -> Optional[Answer]:
    """The session's answer to a question (the newest, as the report shows it), or None."""
    return db.session.scalar(select(Answer).where(Answer.session_id == s.id, Answer.question_id == question_id)
                             .order_by(Answer.id.desc()).limit(1))


def retake_refusal(s: InterviewSession, question_id: int, modality: str | None = None) -> tuple[str, str, str] | None:
    """None when the session's own candidate may answer this question again in it (a retake, :func:`replace`): the
    question is one of the session's, its answer there failed in analysis, and ``modality`` (None: any, for the GET
    of a page) is one of the session's mode. Whether the interview is finished does not matter (the report is where
    a failure shows), and its position does not move. Otherwise (kind, message, where to go), as
    :func:`refusal_of`."""
    if inspect(s).detached:
        return refusal_of(s)
    report = url_for("practice.report", session_id=s.id)
    if question_id not in (s.question_ids or []):
        return ("elsewhere", "That question is not part of this mock interview; here is its report.", report)
    no = s.question_ids.index(question_id) + 1
    at = url_for("practice.report", session_id=s.id, _anchor=f"q{no}")
    answer = session_answer(s, question_id)
    if answer is None:
        if s.current_question_id == question_id:
            return ("moved", f"Question {no} has not been answered yet: it is the current question of your mock "
                             "interview; here it is.", url_for("practice.step", session_id=s.id))
        if s.current_question_id is not None and no > s.position:
            return ("ahead", "Your mock interview has not reached that question yet; here is its current question.",
                    url_for("practice.step", session_id=s.id))
        return ("unanswered", f"Question {no} has no answer in this mock interview, so there is none to replace: "
                              "only an answer whose analysis failed can be given again in the interview.", at)
    if answer.status in ("queued", "running"):
        # also what the second click of a double submit reads, its first having taken the failed answer's place
        return ("replaced", f"Your answer to question {no} of this mock interview is being analysed; "
                            "only an answer whose analysis failed can be given again in the interview.", at)
    if answer.status != "failed":
        return ("replaced", f"Your answer to question {no} of this mock interview has been analysed, so it is not "
                            "answered again in the interview: only an answer whose analysis failed can be. To "
                            "practise it more, answer it on its own.", at)
    if request.method != "POST" and answer.question is not None and answer.question.retired:
        # an answer sent from a page opened before the question was retired is still taken (active_question)
        return ("retired", f"Question {no} was retired from the question bank, so it cannot be answered again; "
                           "its failed answer stays in the report.", at)
    if modality is not None and modality not in MODE_MODALITIES[s.mode]:
        return ("mode", f"This mock interview takes {s.mode} answers; here is question {no} to answer again.",
                answer_url(s, question_id, retake=True))
    return None


def retake_url_of(answer: Answer) -> str | None:
    """Where the candidate answers again, within its mock interview, a question whose answer there failed in
    analysis (:func:`retake_refusal`); None for any other answer, or once its question is retired."""
    if (answer.session_id is None or answer.status != "failed" or answer.question is None
            or answer.question.retired):
        return None
    mode = "written" if answer.modality in MODE_MODALITIES["written"] else answer.modality
    return _answer_url(answer.session_id, mode, answer.question_id, retake=True)


def retaken_url(s: InterviewSession, question_id: int) -> str:
    """Where a retake goes once stored: the report, at its question."""
    return url_for("practice.report", session_id=s.id, _anchor=f"q{s.question_ids.index(question_id) + 1}")


def session_context(question_id: int, modality: str | None = None) -> Optional[InterviewSession]:
    """The session an answer page or upload belongs to (``session_check``), or None; a refused
    request ends here with the refusal's message and a way back to the session."""
    s, refusal = session_check(question_id, modality)
    if refusal is not None:
        refuse(refusal[1], refusal[2])
    return s


def advance(s: InterviewSession, answer: Answer) -> bool:
    """Attach a new answer to its session and move the session on, in the caller's transaction
    (committed with the answer); True then. A conditional UPDATE, so a double submit cannot skip a
    question: when the session moved on first (a double submit, or another tab just before), the
    transaction is rolled back, the answer's stored file removed and False returned; the caller
    answers with :func:`refusal_of` and gives the candidate's answer back (typed text, or the
    recording still in the browser), never throws it away."""
    sid, expected = s.id, s.position
    done = expected + 1 >= s.total
    try:
        moved = db.session.execute(
            update(InterviewSession).where(InterviewSession.id == sid, InterviewSession.position == expected,
                                           InterviewSession.finished_at.is_(None))
            .values(position=expected + 1, finished_at=utcnow() if done else None)
            .execution_options(synchronize_session=False)).rowcount
    except Exception:  # the database did not answer (locked, restarting): the stored file goes too (a review)
        db.session.rollback()
        media.delete(answer.media_path)
        raise
    if moved != 1:
        _not_attached(s, answer)
        return False
    answer.session_id = s.id
    db.session.expire(s, ["position", "finished_at"])
    return True


def replace(s: InterviewSession, answer: Answer) -> bool:
    """Attach a new answer to its session in place of the session's answer to the same question whose analysis
    failed (a retake: :func:`retake_refusal`), in the caller's transaction, without moving the session; True then.
    The failed answer leaves the session (its ``session_id`` is cleared): it stays among the candidate's answers, with
    its page, outside the report, so the session keeps one answer per question and its counts ("answered", the start
    page's, the delete button's) stay true. A conditional UPDATE, as in :func:`advance`: when that failed answer is no
    longer the session's (a double submit or another tab replaced it first, its analysis was retried meanwhile, the
    session was deleted), the transaction is rolled back, the new answer's file removed and False returned; the
    caller answers with :func:`retake_refusal` and gives the answer back."""
    try:
        freed = db.session.execute(
            update(Answer).where(Answer.session_id == s.id, Answer.question_id == answer.question_id,
                                 Answer.status == "failed")
            .values(session_id=None).execution_options(synchronize_session=False)).rowcount
    except Exception:  # the database did not answer: the stored file goes too, as in advance
        db.session.rollback()
        media.delete(answer.media_path)
        raise
    if freed < 1:
        _not_attached(s, answer)
        return False
    answer.session_id = s.id
    return True


def _not_attached(s: InterviewSession, answer: Answer) -> None:
    """Undo an answer that lost the race for its place in the session: its transaction and stored file go; the
    session is read again, or let go of when it was deleted meanwhile (then :func:`refusal_of` says "gone")."""
    sid = s.id
    db.session.rollback()
    media.delete(answer.media_path)
    if db.session.scalar(select(InterviewSession.id).where(InterviewSession.id == sid)) is None:
        db.session.expunge(s)  # deleted meanwhile (its candidate deleted it, or their data, in another tab)
    else:
        db.session.refresh(s)


def finish(s: InterviewSession) -> None:
    if s.finished_at is None:
        s.finished_at = utcnow()
        db.session.commit()


#: the most sessions the start page lists (newest first); one account made 1,000 in ten seconds, a 593 kB page
SESSIONS_LISTED = 100


def user_sessions(user_id: int, limit: int = SESSIONS_LISTED) -> list[dict]:
    """The user's ``limit`` newest sessions, with how many answers each has (one query each way)."""
    sessions = db.session.execute(select(InterviewSession).where(InterviewSession.user_id == user_id)
                                  .order_by(InterviewSession.id.desc()).limit(limit)).scalars().all()
    counts = defaultdict(int)
    for sid in db.session.execute(select(Answer.session_id).where(Answer.user_id == user_id,
                                                                   Answer.session_id.is_not(None))).scalars():
        counts[sid] += 1
    return [{"session": s, "answered": counts[s.id]} for s in sessions]


# --- The report ----------------------------------------------------------------------------

def session_answers(s: InterviewSession) -> dict[int, Answer]:
    """{question id: the session's answer to it}."""
    rows = db.session.execute(select(Answer).where(Answer.session_id == s.id).order_by(Answer.id)).scalars()
    return {a.question_id: a for a in rows}


def answer_deleted(s: InterviewSession, no: int) -> bool:
    """Whether question ``no`` (from 1) of the session, which has no answer in it, had one that was deleted: the session
    moves past a question only with an answer (:func:`advance`; a retake (:func:`replace`) puts its new answer in the
    failed one's place in the same transaction, and ending the interview early leaves the position where it was), so a
    question before ``position`` with no answer lost it to a deletion (``webapp.answers.delete_answers``). The report
    said "Not answered" there (a fresh-eyes review)."""
    return no <= s.position


def status(s: InterviewSession) -> dict:
    """What the report page polls: every answer's analysis state; "deleted" for a question whose answer was deleted
    (:func:`answer_deleted`), "unanswered" for one skipped or not reached."""
    answers = session_answers(s)
    items = []
    for no, qid in enumerate(s.question_ids, 1):
        a = answers.get(qid)
        items.append({"question": no, "answer_id": a.id if a else None,
                      "status": a.status if a else "deleted" if answer_deleted(s, no) else "unanswered",
                      "progress": a.progress if a else 0})
    waiting = sorted((a for a in answers.values() if a.status in ("queued", "running")), key=lambda a: a.id)
    pending = len(waiting)
    # how long it may take (jobs.wait_note): the answers sent before the interview's first queued one that wait too,
    # and how long recent answers of the first waiting one's type took here (a written interview holds typed and PDF
    # answers, whose analyses take different times)
    first = next((a for a in waiting if a.status == "queued"), None)
    ahead = queued_ahead(first) if first is not None else None
    typical = typical_seconds(waiting[0].modality) if waiting else None
    return {"id": s.id, "total": s.total, "answered": len(answers), "pending": pending,
            "queued_ahead": ahead, "typical_seconds": typical,
            "wait": wait_text(waiting[0].modality, ahead, typical, "this interview's answers") if waiting else "",
            "deleted": sum(1 for i in items if i["status"] == "deleted"),
            "finished": s.finished_at is not None, "ready": s.finished_at is not None and pending == 0,
            # no job worker is running: "still running" would be untrue (a reliability review)
            "paused": paused_message(pending) if pending and not live_workers() else None,
            "answers": items}


def _averages(modality: str, question_ids: list[int], own: list[Answer], user_id: int) -> dict:
    """{scope: {family: {label: {"mean", "sd", "count", "held_back", ...}}}} of OTHER candidates'
    results (the candidate's own analysed answers `own` of the modality group left out, as on the
    answer pages) for the figures with stored aggregates, for the questions' scopes and all
    questions, in one query. What the candidate `user_id` may not see is held back by
    stats.compare(viewer_id=...): its mean and spread are None and "held_back" says why."""
    values: dict[str, dict] = {}
    for fig in FIGURES.values():
        if fig.aggregate:
            values.setdefault(fig.aggregate[0], {})[fig.aggregate[1]] = None
    scopes = [stats.question_scope(q) for q in question_ids] + [stats.OVERALL]
    return stats.compare(scopes, modality, values, exclude=stats.own_contribution(own, question_ids, user_id, modality),
                         viewer_id=user_id)


def _avg(table: dict, scope: str, fig) -> Optional[dict]:
    """The others' average of a figure in a scope, None without results of others. A held-back one
    has {"mean": None, "sd": None} (the page says why: "held_back"), and things_to_practise does not
    use it."""
    if not fig.aggregate:
        return None
    return table.get(scope, {}).get(fig.aggregate[0], {}).get(fig.aggregate[1])


def _own_analysed(user_id: int, modalities) -> list[Answer]:
    """The user's analysed answers in these modalities, oldest first, with their scores."""
    return list(db.session.execute(
        select(Answer).where(Answer.user_id == user_id, Answer.modality.in_(list(modalities)),
                             Answer.status == "done")
        .options(selectinload(Answer.scores)).order_by(Answer.created_at, Answer.id)).scalars())


def _earlier_answers(own: list[Answer], question_ids: list[int], exclude: set[int]) -> dict[int, list[Answer]]:
    """{question id: the user's other analysed answers to it (from `own`, oldest first)}."""
    out = defaultdict(list)
    for a in own:
        if a.question_id in question_ids and a.id not in exclude:
            out[a.question_id].append(a)
    return out


def _top(result: dict | None, channel: str, n: int = 3) -> list[tuple[str, float]]:
    """The n classes a channel saw most (%: of the face's frames, of the voice's 2-second stretches with speech),
    from the stored result; none from a voice with too few stretches with speech."""
    part = (result or {}).get(channel)
    if channel == "voice" and voice_short(part):  # too little speech for shares (labels.voice_short)
        return []
    dominant = part.get("dominant") if isinstance(part, dict) else None
    if not isinstance(dominant, dict):
        return []
    top = sorted(((k, float(v)) for k, v in dominant.items() if isinstance(v, (int, float))), key=lambda kv: -kv[1])
    return [kv for kv in top[:n] if kv[1] > 0]


def _short_words(a: Answer, min_words: int) -> int | None:
    """The length (fillers not counted) of an answer whose text or readable transcript was too short for any Big
    Five estimate (``short``), is still under ``min_words`` and, at that length, shows no trait (an answer analysed
    under another rule may be marked short with enough words now), else None."""
    result = a.result if isinstance(a.result, dict) else {}
    speech = result.get("speech") if isinstance(result.get("speech"), dict) else {}
    if result.get("short") and a.text:
        n = text_words(a.text)
    elif speech.get("short") and not speech.get("flags") and isinstance(speech.get("text"), str):
        n = text_words(speech["text"])
    else:
        return None
    tm = text_metrics(n)
    return n if n < min_words and (tm is None or not tm.by_length or tm.nothing_shown) else None


def goals(keys, min_words: int) -> list[dict]:
    """The goals the suggestions judge the figures `keys` against, from the figures' definitions (as
    coach.gap_of reads them): a "min" figure's minimum, MIN_WORDS_FOR_ESTIMATE, and an "up" figure's target, in
    FIGURES' order: [{"name", "value", "fmt", "unit"}]. The report names them where nothing stands out, not "the
    goals" with none named on the page (a review)."""
    out = []
    for key, fig in FIGURES.items():
        goal = min_words if fig.direction == "min" else fig.target if fig.direction == "up" else None
        if key in keys and goal is not None:
            out.append({"name": fig.name, "value": float(goal), "fmt": fig.fmt, "unit": fig.unit})
    return out


def report(s: InterviewSession) -> dict:
    """Per question the key figures beside the averages and the candidate's own best, and across
    the session the three things most worth practising next."""
    min_words = current_app.config["MIN_WORDS_FOR_ESTIMATE"]
    modalities = MODE_MODALITIES[s.mode]
    modality = modalities[0]
    questions = {q.id: q for q in db.session.execute(
        select(Question).where(Question.id.in_(s.question_ids or [-1]))).scalars()}
    answers = session_answers(s)
    own = _own_analysed(s.user_id, modalities) if answers else []
    table = _averages(modality, list(s.question_ids), own, s.user_id) if answers else {}
    scopes = [stats.question_scope(q) for q in s.question_ids] + [stats.OVERALL]
    # others' answers with no trait result (too short for it): the length rule as the reason only then (_num.html avg)
    short = stats.others_left_out(scopes, modality, ["big5"], s.user_id) if answers else None
    earlier = _earlier_answers(own, list(answers), {a.id for a in answers.values()})
    items, measured = [], []
    for no, qid in enumerate(s.question_ids, 1):
        a = answers.get(qid)
        row = {"no": no, "question": questions.get(qid), "answer": a, "figures": [], "points": [],
               "face_top": [], "voice_top": [], "speech_flags": [], "repetitive": False,
               "deleted": a is None and answer_deleted(s, no)}
        if a is not None and a.status == "done":
            speech = (a.result or {}).get("speech")
            row["speech_flags"] = list(speech.get("flags") or []) if isinstance(speech, dict) else []
            row["repetitive"] = bool(isinstance(speech, dict) and speech.get("repetitive"))
            values = key_figures(a)
            before = [(key_figures(e), e) for e in earlier.get(qid, []) if e.created_at <= a.created_at]
            # the question's talking points: a self-check list with no point marked made or missed, not a figure (none
            # from a transcript flagged unclear or a written answer not in English: checked_points)
            row["points"] = checked_points(a)
            row["face_top"], row["voice_top"] = _top(a.result, "face"), _top(a.result, "voice")
            estimate, read_from = big5_estimate(a)  # traits estimated but not shown: too short for them
            row["traits_hidden"] = [name for code, name in TRAIT_NAMES.items()
                                    if estimate and code in estimate and f"big5_{code}" not in values]
            row["trait_words"] = text_words(read_from) if estimate else None  # the accuracy at this length
            row["short_words"] = None if estimate else _short_words(a, min_words)  # too short for any trait: say so
            for key, fig in FIGURES.items():
                if key not in values:
                    continue
                best = best_of(key, [b[key] for b, _ in before if key in b])
                # one event's step in the answer that gave it: a best of 0.0 fillers from an 8.6 s answer (one filler
                # there is 7.0 a minute) is no better than 4.5 from a longer one (a numbers review; the progress page
                # marks both "fewest found")
                best_resolution = next((resolution(e, key) for b, e in before if b.get(key) == best), None)
                question_avg, overall_avg = _avg(table, stats.question_scope(qid), fig), _avg(table, stats.OVERALL, fig)
                left_out = ({scope: stats.left_out(short, scope, *fig.aggregate, (avg or {}).get("count", 0))
                             for scope, avg in ((stats.question_scope(qid), question_avg), (stats.OVERALL, overall_avg))}
                            if fig.kind == "trait" else {})
                # others: whether any of the two averages of others is shown (not held back): a table where none is
                # leaves their columns out and says so once (practice/report.html), not in every cell. held: the
                # reasons (stats.held_back) of those with results of others, so that the note gives the answer pages'
                # reason ("not enough other candidates yet" when every one waits for more people: _compare.html held_all)
                f = {"key": key, "name": fig.name, "unit": fig.unit, "fmt": fig.fmt, "direction": fig.direction,
                     "value": values[key], "best": best, "best_label": fig.best_label, "compared": bool(fig.aggregate),
                     "question_avg": question_avg, "overall_avg": overall_avg,
                     "others": any(a and a.get("count") and a.get("mean") is not None for a in (question_avg, overall_avg)),
                     "held": [a.get("held_back") for a in (question_avg, overall_avg) if a and a.get("count")],
                     "question_left_out": left_out.get(stats.question_scope(qid), 0),
                     "overall_left_out": left_out.get(stats.OVERALL, 0)}
                row["figures"].append(f)
                measured.append({**f, "question_no": no, "question_id": qid, "answer_id": a.id,
                                 "resolution": resolution(a, key), "best_resolution": best_resolution})
        items.append(row)
    return {"session": s, "items": items, "status": status(s), "measured_count": len(measured),
            "goals": goals({m["key"] for m in measured}, min_words),
            "suggestions": things_to_practise(measured, 3, min_words)}


# --- Progress over attempts ----------------------------------------------------------------

def trait_accuracy(code: str, lengths: list[int]) -> list[dict]:
    """How often the text model's high/low call for a trait is right at the lengths of the answers charted (``lengths``:
    the words each estimate was read from, a written answer's or a transcript's, fillers not counted), as each answer's
    page rates it (``text_metrics(text_words(...))``, ModelMetrics.for_words): one entry per measured cut the answers
    fall in, shortest first, {"band": the cut's words (None: a model measured on whole essays only), "fewest", "most":
    the answers' lengths in it, "count", "accuracy", "beside": ModelMetrics.beside}. The progress page quoted the
    whole-essay figure (63% for Openness) beside 129- to 177-word answers whose pages said 60% (a review)."""
    groups: dict = {}
    for n in sorted(lengths):
        m = text_metrics(n)
        fig = m.per_class.get(code) if m else None
        if fig is None or fig.accuracy is None:
            continue
        g = groups.setdefault(m.band_words, {"band": m.band_words, "fewest": n, "most": n, "count": 0,
                                             "accuracy": fig.accuracy, "beside": m.beside(code)})
        g["most"], g["count"] = n, g["count"] + 1
    return list(groups.values())


def progress(user_id: int, question_id: Optional[int] = None) -> dict:
    """Every measured figure of the user's analysed answers over time (all questions, or one):
    {"charts": [{key, name, unit, fmt, direction, trait, points: [{n, date, value, question_id, question,
    modality, answer_id, marks, words}], first, latest, best, accuracy}], "questions": [(id, text)]}. A Big Five
    trait's chart has no marks (first, latest and best are None; its points are not compared: a model little better
    than a guess, as measured, cannot tell a change in the person from one of wording), and its ``accuracy`` is
    :func:`trait_accuracy` at the lengths of its answers (``words`` of each point)."""
    # the scores too (one query): what the candidate's own answers put into the averages is taken out of "others"
    q = (select(Answer).where(Answer.user_id == user_id, Answer.status == "done")
         .options(joinedload(Answer.question), selectinload(Answer.scores)).order_by(Answer.created_at, Answer.id))
    own = answers = db.session.execute(q).scalars().all()
    asked = {}
    for a in answers:
        asked.setdefault(a.question_id, a.question.text)
    if question_id is not None:
        answers = [a for a in answers if a.question_id == question_id]
    tables = _progress_averages(own, {modality_group(a.modality) for a in answers}, question_id, user_id)
    series = defaultdict(list)
    for n, a in enumerate(answers, 1):  # one numbering for every chart: attempt #n is the same answer everywhere
        figures = key_figures(a)
        read_from = big5_estimate(a)[1] if any(k in TRAIT_KEYS for k in figures) else None
        for key, value in figures.items():
            series[key].append({"n": n, "date": utc_iso(a.created_at), "at": a.created_at, "value": value,
                                "question_id": a.question_id, "question": a.asked,
                                "modality": a.modality, "answer_id": a.id, "marks": [],
                                "resolution": resolution(a, key),
                                # the length of the text a trait was estimated from (fillers not counted): the accuracy
                                # at that length, as its answer page gives it
                                "words": text_words(read_from) if key in TRAIT_KEYS else None})
    charts = []
    for key, fig in FIGURES.items():
        points = series.get(key)
        if not points:
            continue
        if fig.kind == "trait":  # points, not a trend: no first, latest or best, no line (practice_progress.js)
            charts.append({"key": key, "name": fig.name, "unit": fig.unit, "fmt": fig.fmt, "direction": None,
                           "trait": True, "best_label": fig.best_label, "band": None, "points": points,
                           "first": None, "latest": None, "best": None, "bests": [],
                           "accuracy": trait_accuracy(key[5:], [p["words"] for p in points])})
            continue
        first, latest = 0, len(points) - 1
        values = [p["value"] for p in points]
        others = _chart_others(fig, points, tables, question_id) if fig.aggregate else []
        # no "best" among equal values as shown (a best 0 of 0s, 3.8 beside 3.8) or rates within one event of each
        # other. Every attempt equal to the best, or within one event of it, is marked (a star each); the summary
        # gives the best itself, its latest attempt (it gave the latest marked one: "Long pauses: ... best 5.0" where
        # two attempts had 2.4, a numbers review)
        bests = best_marks(key, values, [p["resolution"] for p in points])
        best = best_at(key, values) if bests else None
        points[first]["marks"].append("first")
        points[latest]["marks"].append("latest")
        for i in bests:
            points[i]["marks"].append(fig.best_label)
        charts.append({"key": key, "name": fig.name, "unit": fig.unit, "fmt": fig.fmt, "direction": fig.direction,
                       "trait": False, "best_label": fig.best_label, "accuracy": None,
                       "band": fig.band, "points": points, "first": first, "latest": latest, "best": best, "bests": bests,
                       "compared": bool(fig.aggregate), "others": others, "lines": reference_lines(others)})
    return {"charts": charts, "questions": sorted(asked.items())}


# the answer types a chart's averages of others are given for, in this order (stats.modality_group's groups)
GROUPS = ("text", "audio", "video")


def _progress_averages(own: list[Answer], groups, question_id: Optional[int], user_id: int) -> dict[str, dict]:
    """{modality group: the averages of OTHER candidates (:func:`_averages`, as the mock report reads them: the
    stored aggregates minus the candidate's own answers `own`, held back by stats.compare(viewer_id=...))} for each
    answer type in ``groups`` (those of the charted attempts), over all questions and, with the page's question
    filter, over that question: two queries per type (own_contribution, compare), at most three types, whatever the
    number of charts and attempts."""
    question_ids = [question_id] if question_id is not None else []
    return {group: _averages(group, question_ids, [a for a in own if modality_group(a.modality) == group], user_id)
            for group in GROUPS if group in groups}


def _chart_others(fig, points: list[dict], tables: dict[str, dict], question_id: Optional[int]) -> list[dict]:
    """Other candidates' average of a chart's figure, one entry per answer type among its attempts (GROUPS' order).

    One per type, not one for the chart: the averages are kept per answer type (a video answer is set beside
    other video answers only, stats.modality_group), and a single figure made of two of them would be a second
    averaging rule that no answer page uses; so a chart of audio and video attempts gets two values and two
    reference lines, each named by its type, which the table under the chart gives for every attempt.

    Each entry: {"group", "pool" (the type's name, "video"), "mean" and "count" (n) of the average shown, or mean None
    when held back; "scope": "question" (the page's question) or "all" (all questions) for a shown one; "held": the
    stats.held_back reasons of the averages with results of others (dashboard/_compare.html held_all words them as
    the answer pages do); "question_held": with the question filter, the reason the question's own average is not
    the one shown (None when it is, or without the filter)}. The question's average is used when it may be shown,
    else that of all questions."""
    out = []
    for group in GROUPS:
        if not any(modality_group(p["modality"]) == group for p in points):
            continue
        table = tables.get(group, {})
        question_avg = _avg(table, stats.question_scope(question_id), fig) if question_id is not None else None
        overall_avg = _avg(table, stats.OVERALL, fig)
        considered = [a for a in (question_avg, overall_avg) if a is not None]
        shown = [(scope, a) for scope, a in (("question", question_avg), ("all", overall_avg))
                 if a is not None and a.get("count") and a.get("mean") is not None]
        scope, avg = shown[0] if shown else (None, None)
        out.append({"group": group, "pool": modality_name(group), "scope": scope,
                    "mean": avg["mean"] if avg else None, "count": avg["count"] if avg else 0,
                    "held": [a.get("held_back") for a in considered if a.get("count")],
                    "question_held": ((question_avg or {}).get("held_back") or "answers")
                    if question_id is not None and scope == "all" else None})
    return out


def reference_lines(others: list[dict]) -> list[dict]:
    """The chart's reference lines (practice_progress.js), one per average of others shown (not held back): {"group",
    "value", "count", "label"}, the label naming the answer type only (a legend entry with the scope and n did not fit
    a 390 px chart; the sentence under the chart gives them)."""
    return [{"group": o["group"], "value": o["mean"], "count": o["count"],
             "label": f"Others’ {o['pool']} answers: average"} for o in others if o["mean"] is not None]


# --- The answer page: try again, change since the previous attempt (no query) --------------

def try_again_url(answer: Answer) -> str | None:
    """Where to answer the question again; None once it is retired (its pages are gone). A mock interview's answer
    whose analysis failed is answered again within the interview, in its place (:func:`retake_url_of`)."""
    if answer.question is None or answer.question.retired:
        return None
    if answer.session_id is not None and answer.status == "failed":
        return retake_url_of(answer)
    if answer.modality in ("text", "pdf"):
        return url_for("interview.text_answer", question_id=answer.question_id)
    return url_for("interview.record", question_id=answer.question_id, kind=answer.modality)


def previous_attempt(answer: Answer, attempts) -> Optional[Answer]:
    """The latest analysed attempt before `answer` at the same question in the same modality group,
    from the attempts the answer page already loaded."""
    group = modality_group(answer.modality)
    earlier = [a for a in attempts if a.id != answer.id and a.status == "done"
               and modality_group(a.modality) == group
               and (a.created_at, a.id) < (answer.created_at, answer.id)]
    return max(earlier, key=lambda a: (a.created_at, a.id)) if earlier else None


def change_since_previous(answer: Answer, attempts) -> dict:
    prev = previous_attempt(answer, attempts) if answer.status == "done" else None
    rows = changes(answer, prev, current_app.config["MIN_WORDS_FOR_ESTIMATE"]) if prev else []
    return {"previous": prev, "rows": rows, "try_again": try_again_url(answer)}
