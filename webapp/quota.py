"""What one candidate may have waiting and stored (config MAX_WAITING_ANSWERS and MAX_STORED_MB; 0 = no limit).

Fair claiming (``webapp.jobs.claim_next``) keeps one candidate's answers from making the others wait; these limits
keep one account from filling the queue or the disk. A refused answer is not stored, and its page keeps it (the
typed text, the recording in the browser) to send again."""
from __future__ import annotations

import os

from flask import current_app
from sqlalchemy import func, select

from .extensions import db
from .models import Answer
from .uploads import UploadError, human_size
from .wording import plural

WAITING = ("queued", "running")


class LimitReached(UploadError):
    """A candidate's limit, not a fault of the answer: sent again later (or after deleting), it is taken."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def waiting_answers(user_id: int) -> int:
    """The candidate's answers queued for analysis or being analysed."""
    return db.session.scalar(select(func.count()).select_from(Answer)
                             .where(Answer.user_id == user_id, Answer.status.in_(WAITING))) or 0


def stored_bytes(user_id: int) -> int:
    """The size of the candidate's files: everything in their media folder (MEDIA_DIR/<id>/, which holds only
    theirs: uploads, and what the analysis derived from them)."""
    folder = os.path.join(current_app.config["MEDIA_DIR"], str(int(user_id)))
    total = 0
    try:
        entries = os.scandir(folder)
    except OSError:  # no folder yet (nothing stored), or unreadable: nothing to count
        return 0
    with entries:
        for entry in entries:
            try:
                if entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
            except OSError:  # deleted meanwhile
                continue
    return total


def stored_limit() -> int:
    """MAX_STORED_MB in bytes (0: no limit)."""
    return current_app.config["MAX_STORED_MB"] * 1024 * 1024


def check_waiting(user_id: int, retry: bool = False) -> None:
    """Refuse a new analysis (a new answer, or ``retry`` of a failed one) while the candidate already has
    MAX_WAITING_ANSWERS waiting (HTTP 429)."""
    limit = current_app.config["MAX_WAITING_ANSWERS"]
    if not limit:
        return
    n = waiting_answers(user_id)
    if n >= limit:
        what = "It was not queued again: retry it" if retry else "This answer was not added: send it again"
        raise LimitReached(f"You already have {n} {plural('answer', n)} waiting for analysis, the most at once. "
                           f"{what} when some of them are done (My answers shows them).", 429)


def check_room(user_id: int, incoming: int) -> None:
    """Refuse a file of ``incoming`` bytes that would take the candidate's stored files over MAX_STORED_MB (HTTP
    413, as for a file over its own size limit)."""
    limit = stored_limit()
    if not limit:
        return
    used = stored_bytes(user_id)
    if used + incoming > limit:
        raise LimitReached(
            f"Your recordings and files already take {human_size(used)} of the {human_size(limit)} each candidate "
            f"may store, and this {human_size(incoming)} file does not fit. It was not added: delete answers you no "
            "longer need (“Delete this answer” on an answer's page), then send it again.", 413)


def usage(user_id: int) -> dict:
    """For the account page: stored bytes and waiting answers against their limits (0: no limit)."""
    return {"stored": stored_bytes(user_id), "stored_limit": stored_limit(),
            "waiting": waiting_answers(user_id), "waiting_limit": current_app.config["MAX_WAITING_ANSWERS"]}
