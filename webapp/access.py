"""Ownership checks: a candidate sees only their own answers; admins see all, and what an admin opens of a
candidate's answer is noted for the candidate (models.AnswerView, shown on their account page)."""
from datetime import timedelta

from flask import abort
from flask_login import current_user
from sqlalchemy import func, select, update

from .extensions import db
from .models import Answer, AnswerView, utcnow

# what an admin can open of a candidate's answer ("file": the PDF or recording; the answer page's player and
# captions fetch the recording and transcript as it opens; "report": the mock interview report it is part of), and
# "deleted": the admin deleted it (note_deletion)
VIEW_KINDS = ("page", "file", "transcript", "heat map", "report", "deleted")
VIEW_EVERY = timedelta(hours=1)  # one row per admin, answer and kind in this time


def owned_answer(answer_id: int, opened: str | None = None) -> Answer:
    """The answer, for its owner or an admin (else 404). ``opened`` (a VIEW_KINDS key) notes an admin's opening of
    someone else's answer for its owner."""
    answer = db.session.get(Answer, answer_id)
    # 404 rather than 403, so identifiers of other candidates' answers cannot be probed.
    if answer is None or (answer.user_id != current_user.id and not current_user.is_admin):
        abort(404)
    if opened is not None:
        note_opened(answer, opened)
    return answer


def note_opened(answer: Answer, what: str) -> None:
    """Note for its owner that an admin opened ``what`` (a VIEW_KINDS key) of someone else's answer: called once it
    is served, so that a file or transcript the answer has not got is not listed (an admin review)."""
    if answer.user_id != current_user.id:
        note_view(answer, what)


def note_view(answer: Answer, what: str) -> None:
    if what not in VIEW_KINDS:
        raise ValueError(f"unknown view kind {what!r}")
    now = utcnow()
    recent = db.session.execute(select(AnswerView.id).where(
        AnswerView.answer_id == answer.id, AnswerView.viewer_id == current_user.id, AnswerView.what == what,
        AnswerView.at > now - VIEW_EVERY).limit(1)).first()
    if recent is None:
        db.session.add(AnswerView(answer_id=answer.id, owner_id=answer.user_id, viewer_id=current_user.id,
                                  what=what, at=now))
        db.session.commit()


def note_deletion(answer: Answer) -> None:
    """An admin is deleting someone else's answer (the caller then deletes it, and commits): noted for its
    candidate as a line of its own ("deleted"), and the answer's lines are detached from it, with the number,
    question and type it had, so that they outlive it (a candidate deleting their own answer deletes them)."""
    db.session.add(AnswerView(answer_id=answer.id, owner_id=answer.user_id, viewer_id=current_user.id,
                              what="deleted", at=utcnow()))
    db.session.flush()
    db.session.execute(update(AnswerView).where(AnswerView.answer_id == answer.id).values(
        answer_id=None, deleted_answer_id=answer.id, question_text=answer.asked, modality=answer.modality).execution_options(synchronize_session=False))


def views_of(owner_id: int, limit: int = 500) -> list[dict]:
    """What admins opened (or deleted) of ``owner_id``'s answers, newest first: one entry per answer, admin and day
    (UTC), with the kinds opened (VIEW_KINDS order), the admin's address (None once that account is gone) and
    whether the answer is gone (``deleted``: an admin deleted it; its question and type are kept in the lines)."""
    from .models import Question, User
    rows = db.session.execute(
        select(func.coalesce(AnswerView.answer_id, AnswerView.deleted_answer_id), AnswerView.answer_id.is_(None),
               AnswerView.what, AnswerView.at, User.email, func.coalesce(Answer.modality, AnswerView.modality),
               func.coalesce(Answer.question_text, Question.text, AnswerView.question_text))
        .outerjoin(Answer, Answer.id == AnswerView.answer_id).outerjoin(Question, Question.id == Answer.question_id)
        .outerjoin(User, User.id == AnswerView.viewer_id)
        .where(AnswerView.owner_id == owner_id).order_by(AnswerView.at.desc(), AnswerView.id.desc()).limit(limit)).all()
    entries: dict[tuple, dict] = {}
    for answer_id, deleted, what, at, email, modality, question in rows:
        entry = entries.setdefault((answer_id, email, at.date()), {
            "answer_id": answer_id, "deleted": bool(deleted), "question": question or "a question since deleted",
            "modality": modality, "viewer": email, "day": at.date(), "last": at, "what": set()})
        entry["what"].add(what)
    for entry in entries.values():
        entry["what"] = [w for w in VIEW_KINDS if w in entry["what"]]
    return list(entries.values())
