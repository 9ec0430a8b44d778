"""Background analysis jobs.

The job state lives on the ``answers`` row (status, progress, error, attempts), which the
progress page polls. Any number of workers may run: a job is claimed with a conditional
UPDATE, and its result is committed only if the claim still holds, so each answer's
result is stored exactly once even when a worker dies mid-analysis and the job is
picked up again.
"""
from __future__ import annotations

import logging
import secrets
import traceback
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..models import Answer, Score, utcnow
from .. import stats

log = logging.getLogger(__name__)


class AnalysisError(Exception):
    """A failure with a reason the candidate can read (bad media, no speech, ...)."""


def enqueue(answer: Answer) -> None:
    """Mark an answer for analysis; the caller commits."""
    answer.status = "queued"
    answer.progress = 0
    answer.progress_message = "Waiting for a worker"
    answer.error = None
    answer.claim_token = None


def requeue_stale() -> int:
    """Give jobs whose worker stopped sending heartbeats back to the queue (or fail them)."""
    cfg = current_app.config
    limit = utcnow() - timedelta(seconds=cfg["JOB_STALE_SECONDS"])
    stale = (Answer.status == "running") & (Answer.heartbeat_at < limit)
    failed = db.session.execute(
        update(Answer).where(stale, Answer.attempts >= cfg["JOB_MAX_ATTEMPTS"]).values(
            status="failed", claim_token=None, finished_at=utcnow(),
            error=f"The analysis was interrupted {cfg['JOB_MAX_ATTEMPTS']} times; retry it later.",
        )
    ).rowcount
    queued = db.session.execute(
        update(Answer).where(stale).values(status="queued", claim_token=None,
                                           progress_message="Restarting after an interruption")
    ).rowcount
    db.session.commit()
    return failed + queued


def claim_next() -> tuple[int, str] | None:
    """Atomically take the oldest queued job; returns (answer_id, claim_token) or None."""
    requeue_stale()
    candidates = db.session.execute(
        select(Answer.id).where(Answer.status == "queued").order_by(Answer.id).limit(5)
    ).scalars().all()
    for answer_id in candidates:
        token = secrets.token_hex(16)
        now = utcnow()
        claimed = db.session.execute(
            update(Answer).where(Answer.id == answer_id, Answer.status == "queued").values(
                status="running", claim_token=token, attempts=Answer.attempts + 1,
                started_at=now, heartbeat_at=now, progress=5, progress_message="Starting",
            )
        ).rowcount
        db.session.commit()
        if claimed == 1:
            return answer_id, token
    return None


def _progress_callback(answer_id, token):
    def report(percent: int, message: str) -> None:
        db.session.execute(
            update(Answer).where(Answer.id == answer_id, Answer.claim_token == token).values(
                progress=int(max(0, min(99, percent))), progress_message=message[:200],
                heartbeat_at=utcnow(),
            )
        )
        db.session.commit()
    return report


def run_job(answer_id: int, token: str) -> str:
    """Run the analysis of one claimed answer; returns its final status."""
    from .analyzers import analyse  # imports the ML code lazily, in workers only

    answer = db.session.get(Answer, answer_id)
    if answer is None:
        return "gone"
    report = _progress_callback(answer_id, token)
    try:
        scores, result = analyse(answer, report)
    except AnalysisError as exc:
        return _finish_failed(answer_id, token, str(exc))
    except Exception as exc:  # recorded with its reason, retryable
        log.error("analysis of answer %s failed:\n%s", answer_id, traceback.format_exc())
        db.session.rollback()
        return _finish_failed(answer_id, token, f"Internal error during analysis ({type(exc).__name__}: {exc})")

    # One transaction: claim check, scores, result, aggregates.
    owned = db.session.execute(
        update(Answer).where(Answer.id == answer_id, Answer.claim_token == token,
                             Answer.status == "running").values(
            status="done", progress=100, progress_message="Done", finished_at=utcnow(),
            result=result, error=None, claim_token=None,
        )
    ).rowcount
    if owned != 1:  # someone else took over (we were considered dead) or it was deleted
        db.session.rollback()
        return "lost"
    answer = db.session.get(Answer, answer_id)
    for family, label, value in scores:
        db.session.add(Score(answer_id=answer_id, family=family, label=label, value=float(value)))
    stats.record(answer, scores)
    db.session.commit()
    return "done"


def _finish_failed(answer_id, token, reason):
    db.session.execute(
        update(Answer).where(Answer.id == answer_id, Answer.claim_token == token).values(
            status="failed", error=reason[:2000], finished_at=utcnow(), claim_token=None,
            progress_message="Failed",
        )
    )
    db.session.commit()
    return "failed"


def run_pending(max_jobs: int | None = None) -> int:
    """Process queued jobs in this process until none is left; returns how many ran."""
    n = 0
    while max_jobs is None or n < max_jobs:
        claim = claim_next()
        if claim is None:
            break
        run_job(*claim)
        n += 1
    return n
