"""Background analysis jobs: one interface, two back-ends.

The job state lives on the ``answers`` row (status, progress, error, attempts, heartbeat),
which the progress page polls. That row is the single source of truth:

* ``database`` back-end (default): workers (``python -m webapp.worker``, started beside
  gunicorn) poll for queued rows.
* ``celery`` back-end (``REDIS_URL`` set): committing a queued answer sends a Celery task
  through Redis (acks after completion, re-delivered if a worker dies); a task only wakes a
  worker up, the worker still claims the row.

Any number of workers may run. A job is claimed with a conditional UPDATE; the worker sends
heartbeats while it runs; a job without heartbeats for JOB_STALE_SECONDS is taken over; the
result is committed only if the claim still holds, in one transaction with its scores and
the aggregates, so each answer's result is stored exactly once.
"""
from __future__ import annotations

import logging
import secrets
import statistics
import threading
import traceback
from datetime import timedelta

from flask import current_app
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import INTERRUPTED_ERROR, Answer, Score, utcnow
from .. import media, stats

log = logging.getLogger(__name__)


class AnalysisError(Exception):
    """A failure with a reason the candidate can read (bad media, no speech, ...). With `detail` (for
    admins, kept in error_detail) the cause may pass, so a retry can help (Answer.retry_helps)."""

    def __init__(self, message: str, detail: str | None = None):
        super().__init__(message)
        self.detail = detail


def backend_name(app=None) -> str:
    app = app or current_app
    return "celery" if app.config.get("REDIS_URL") else "database"


WAITING_MESSAGE = "Waiting to start: other answers may be analysed first"  # also the progress page's fallback
# no job worker has sent a heartbeat for WORKER_STALE_SECONDS (as /healthz says it): "waiting" would be untrue
def paused_message(answers: int = 1) -> str:
    return (f"Analysis is paused on the server (no job worker is running just now). "
            f"{'Your answer is saved and is' if answers == 1 else 'Your answers are saved and are'} analysed as soon "
            "as one runs again: you can leave this page and come back.")


PAUSED_MESSAGE = paused_message()


def live_workers(now=None) -> int:
    """How many job workers sent a heartbeat within WORKER_STALE_SECONDS (the count /healthz reports)."""
    from ..models import WorkerHeartbeat
    since = (now or utcnow()) - timedelta(seconds=current_app.config["WORKER_STALE_SECONDS"])
    return db.session.scalar(select(func.count()).select_from(WorkerHeartbeat).where(WorkerHeartbeat.seen_at >= since))


def progress_note(answer: Answer) -> str:
    """What the progress page says of an answer's job: its stored progress message, unless the job is running but
    its heartbeats have stopped for two beats (its worker was killed or lost the database), which the message would
    hide (the operations review read "Measuring pauses ... 39%" for two minutes): then when it starts again."""
    message = answer.progress_message or WAITING_MESSAGE
    stale = current_app.config["JOB_STALE_SECONDS"]
    age = None if answer.heartbeat_at is None else (utcnow() - answer.heartbeat_at).total_seconds()
    beating = answer.status == "running" and age is not None and age <= max(2 * Heartbeat.interval_for(stale) + 2, 5)
    if beating:  # its own job's heartbeat is fresh: running, whatever the worker rows say
        return message
    if answer.status in ("queued", "running") and not live_workers():  # a reliability review: "Waiting to start"
        return PAUSED_MESSAGE  # for minutes while /healthz said no worker had been seen
    if answer.status != "running" or age is None:
        return message
    left = stale - age
    if backend_name() == "celery":  # taken over at the next sweep after it went stale, not at once (a reliability
        left += current_app.config["JOB_SWEEP_SECONDS"]  # review: the count reached 0 some 30 s before it restarted)
    when = f"within about {left:.0f} s" if left >= 1 else "as soon as a job worker is running"
    return f"The analysis was interrupted (its worker stopped); it starts again by itself {when}. Nothing is lost."


#: how many of the latest analysed answers of a type give its typical analysis time, and the fewest that may
TYPICAL_OF_LAST, TYPICAL_FROM = 20, 3
#: what the wait line calls the answers of each type (modality)
WAIT_NOUNS = {"video": "video recordings", "audio": "audio recordings", "text": "written answers", "pdf": "PDF answers"}


def queued_ahead(answer: Answer) -> int | None:
    """How many answers sent before this queued one wait to be analysed too (queued, not started: their ids are
    smaller), in one query on the status index; None unless this answer waits. Not a promise of its place: the
    database back-end lets the candidates with the fewest recent analyses go first (:func:`claim_next`)."""
    if answer.status != "queued":
        return None
    return db.session.scalar(select(func.count()).select_from(Answer)
                             .where(Answer.status == "queued", Answer.id < answer.id))


def typical_seconds(modality: str) -> float | None:
    """The median time its last analysis took (started to finished) of the TYPICAL_OF_LAST latest analysed answers of
    this type on this server, in one query on the (status, created_at) index; None from fewer than TYPICAL_FROM (no
    typical time from one or two answers). A review: the pages said "Analysing… (0%)" with no idea how long to wait."""
    rows = db.session.execute(
        select(Answer.started_at, Answer.finished_at)
        .where(Answer.status == "done", Answer.modality == modality, Answer.started_at.is_not(None),
               Answer.finished_at.is_not(None))
        .order_by(Answer.created_at.desc()).limit(TYPICAL_OF_LAST)).all()
    took = [max((end - start).total_seconds(), 0.0) for start, end in rows]
    return statistics.median(took) if len(took) >= TYPICAL_FROM else None


def wait_figures(answer: Answer) -> dict:
    """How long an answer waiting for or in its analysis may take, from real data only: {"queued_ahead": the answers
    sent before it that wait too (:func:`queued_ahead`), "typical_seconds": how long recent ones of its type took here
    (:func:`typical_seconds`), "wait": the two in words (:func:`wait_text`)}; None, None and "" for a finished answer.
    The answer page (:func:`wait_note`) and its status JSON (webapp.api) both read it."""
    if answer.status not in ("queued", "running"):
        return {"queued_ahead": None, "typical_seconds": None, "wait": ""}
    ahead, typical = queued_ahead(answer), typical_seconds(answer.modality)
    return {"queued_ahead": ahead, "typical_seconds": typical, "wait": wait_text(answer.modality, ahead, typical)}


def wait_note(answer: Answer) -> str:
    """:func:`wait_figures` in words: "" for a finished answer or when neither figure is known."""
    return wait_figures(answer)["wait"]


def wait_text(modality: str, ahead: int | None, typical: float | None, before: str = "this one") -> str:
    """:func:`wait_note`'s sentences from its two numbers (``before``: what the answers waiting were sent before)."""
    parts = []
    if ahead:
        parts.append(f"{ahead} {'answer' if ahead == 1 else 'answers'} sent before {before} "
                     f"{'is' if ahead == 1 else 'are'} waiting to be analysed too.")
    if typical is not None:
        minutes = round(typical / 60)
        took = ("less than a minute" if typical < 60 else "about 1 minute" if minutes == 1
                else f"about {minutes} minutes")
        noun = WAIT_NOUNS.get(modality, "answers")
        parts.append(f"Recent {noun} took {took} each to analyse here.")
    return " ".join(parts)


def enqueue(answer: Answer) -> None:
    """Mark an answer for analysis; the caller commits, and the commit dispatches it."""
    answer.status = "queued"
    answer.progress = 0
    answer.progress_message = WAITING_MESSAGE
    answer.error = None
    answer.claim_token = None
    db.session.info.setdefault("jobs_to_dispatch", set()).add(answer)


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session):
    """Send the committed jobs to the queue (Celery back-end only; the database back-end polls)."""
    answers = session.info.pop("jobs_to_dispatch", None)
    if not answers:
        return
    try:
        app = current_app._get_current_object()
    except RuntimeError:
        return
    if backend_name(app) != "celery":
        return
    from .celery_app import dispatch
    for answer in answers:
        try:
            dispatch(answer.id)
        except Exception:  # the row stays queued; the periodic sweep re-sends it
            log.exception("could not send answer %s to the queue", answer.id)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session):
    session.info.pop("jobs_to_dispatch", None)


def requeue_stale() -> list[int]:
    """Give jobs whose worker stopped sending heartbeats back to the queue (or fail them).

    Returns the ids put back in the queue."""
    cfg = current_app.config
    limit = utcnow() - timedelta(seconds=cfg["JOB_STALE_SECONDS"])
    stale = (Answer.status == "running") & (Answer.heartbeat_at < limit)
    db.session.execute(
        update(Answer).where(stale, Answer.attempts >= cfg["JOB_MAX_ATTEMPTS"]).values(
            status="failed", claim_token=None, finished_at=utcnow(), progress_message="Failed",
            error=INTERRUPTED_ERROR.format(attempts=cfg["JOB_MAX_ATTEMPTS"]),
        )
    )
    ids = db.session.execute(select(Answer.id).where(stale)).scalars().all()
    if ids:
        db.session.execute(
            update(Answer).where(Answer.id.in_(ids), stale).values(
                status="queued", claim_token=None, progress_message="Restarting after an interruption")
        )
    db.session.commit()
    return list(ids)


def claim(answer_id: int) -> str | None:
    """Claim one queued answer; returns the claim token, or None if someone else has it."""
    token = secrets.token_hex(16)
    now = utcnow()
    claimed = db.session.execute(
        update(Answer).where(Answer.id == answer_id, Answer.status == "queued").values(
            status="running", claim_token=token, attempts=Answer.attempts + 1,
            started_at=now, heartbeat_at=now, progress=5, progress_message="Starting",
        )
    ).rowcount
    db.session.commit()
    return token if claimed == 1 else None


FAIR_SHARE_WINDOW = timedelta(minutes=10)


def claim_next() -> tuple[int, str] | None:
    """Atomically take the next queued job; returns (answer_id, claim_token) or None.

    The candidates who started the fewest analyses in the last FAIR_SHARE_WINDOW go first, each with their oldest
    job: one candidate's ten uploads in a row no longer keep everyone else's answers waiting behind them (the
    security review: a written answer waited 126 s). The Celery back-end keeps its queue's order."""
    requeue_stale()
    waiting = select(Answer.user_id).where(Answer.status == "queued")  # only their answers are read (by user_id)
    started = (select(Answer.user_id, func.count().label("n"))
               .where(Answer.user_id.in_(waiting), Answer.started_at > utcnow() - FAIR_SHARE_WINDOW,
                      Answer.status != "queued")
               .group_by(Answer.user_id).subquery())
    candidates = db.session.execute(
        select(Answer.id).outerjoin(started, started.c.user_id == Answer.user_id).where(Answer.status == "queued")
        .order_by(func.coalesce(started.c.n, 0), Answer.id).limit(5)
    ).scalars().all()
    for answer_id in candidates:
        token = claim(answer_id)
        if token:
            return answer_id, token
    return None


class Heartbeat:
    """Refreshes the claim's heartbeat from a thread while the analysis runs."""

    def __init__(self, app, answer_id, token):
        self.app, self.answer_id, self.token = app, answer_id, token
        self.interval = self.interval_for(app.config["JOB_STALE_SECONDS"])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"heartbeat-{answer_id}")

    @staticmethod
    def interval_for(stale_seconds: float) -> float:
        """Seconds between heartbeats: four within JOB_STALE_SECONDS."""
        return max(0.5, stale_seconds / 4)

    def _run(self):
        with self.app.app_context():
            while not self._stop.wait(self.interval):
                try:
                    db.session.execute(update(Answer).where(
                        Answer.id == self.answer_id, Answer.claim_token == self.token).values(heartbeat_at=utcnow()))
                    db.session.commit()
                except Exception:
                    db.session.rollback()
                    log.warning("heartbeat of answer %s failed", self.answer_id, exc_info=True)
            db.session.remove()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)


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


RESULT_FIELDS = {"text", "word_count"}  # Answer columns an analysis may set with its result


def _outcome(outcome) -> tuple:
    """(scores, result) or (scores, result, fields) -> (scores, result, fields); fields are Answer
    columns stored with the result (a PDF's extracted text), limited to RESULT_FIELDS."""
    scores, result, *rest = outcome
    fields = dict(rest[0] or {}) if rest else {}
    if set(fields) - RESULT_FIELDS:
        raise ValueError(f"an analysis may not set {sorted(set(fields) - RESULT_FIELDS)}")
    return scores, result, fields


def run_job(answer_id: int, token: str) -> str:
    """Run the analysis of one claimed answer; returns its final status."""
    from .analyzers import analyse  # imports the ML code lazily, in workers only

    answer = db.session.get(Answer, answer_id)
    if answer is None:
        return "gone"
    media_path = answer.media_path
    report = _progress_callback(answer_id, token)
    try:
        with Heartbeat(current_app._get_current_object(), answer_id, token):
            scores, result, fields = _outcome(analyse(answer, report))
    except AnalysisError as exc:
        db.session.rollback()
        return _finish_failed(answer_id, token, str(exc), exc.detail, media_path)
    except Exception as exc:  # a bug or an outage: the candidate gets a generic reason, admins the detail
        db.session.rollback()
        if isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
            # the database went away mid-analysis (restarted, connections cut): no verdict on the answer; the job
            # stays claimed, is taken over once its heartbeats stop (requeue_stale) and runs again
            raise
        if db.session.get(Answer, answer_id) is None:  # deleted by its candidate meanwhile (reading it then failed)
            log.info("answer %s was deleted during its analysis", answer_id, exc_info=True)  # (what failed, too)
            _forget_files_if_deleted(answer_id, media_path)
            return "gone"
        trace = traceback.format_exc()
        log.error("analysis of answer %s failed:\n%s", answer_id, trace)
        from ..logs import redact_db_detail
        detail = redact_db_detail(f"{type(exc).__name__}: {exc}\n\n{trace[-DETAIL_TRACE_CHARS:]}")
        return _finish_failed(answer_id, token, INTERNAL_ERROR_MESSAGE, detail, media_path)

    # One transaction: claim check, scores, result, aggregates.
    owned = db.session.execute(
        update(Answer).where(Answer.id == answer_id, Answer.claim_token == token,
                             Answer.status == "running").values(
            status="done", progress=100, progress_message="Done", finished_at=utcnow(),
            result=result, error=None, claim_token=None, **fields,
        )
    ).rowcount
    if owned != 1:  # someone else took over (we were considered dead) or it was deleted
        db.session.rollback()
        _forget_files_if_deleted(answer_id, media_path)
        return "lost"
    answer = db.session.get(Answer, answer_id)
    db.session.refresh(answer)
    for family, label, value in scores:
        db.session.add(Score(answer_id=answer_id, family=family, label=label, value=float(value)))
    stats.record(answer, scores)
    db.session.commit()
    return "done"


def run_and_log(answer_id: int, token: str) -> str:
    """run_job, then one log line with its outcome and time (both job workers: database and Celery)."""
    import time

    t0 = time.perf_counter()
    status = run_job(answer_id, token)
    log.info("answer %s: %s in %.2fs", answer_id, status, time.perf_counter() - t0)
    return status


# Shown to the candidate when the analysis crashed; the technical reason goes to error_detail,
# which only admins see (admin overview) and the log. Whether a retry is still allowed is for the
# page to say (Answer.retry_helps and the attempts), not for the stored reason.
INTERNAL_ERROR_MESSAGE = "The analysis failed because of an internal error. It has been logged."
DETAIL_TRACE_CHARS = 3000  # the end of the traceback kept in error_detail


def _forget_files_if_deleted(answer_id, media_path) -> None:
    """An answer deleted during its analysis: the files written for it meanwhile (a heat map) go too (the
    deletion removed those that existed then)."""
    if media_path and db.session.get(Answer, answer_id) is None:
        media.delete(media_path)


def _finish_failed(answer_id, token, reason, detail=None, media_path=None):
    """reason: for the candidate (an AnalysisError message or the generic text); detail: for admins."""
    if reason != INTERNAL_ERROR_MESSAGE:  # (an internal error's traceback is logged already)
        log.warning("answer %s failed: %s", answer_id, reason)  # what the candidate reads (no answer content)
    db.session.execute(
        update(Answer).where(Answer.id == answer_id, Answer.claim_token == token).values(
            status="failed", error=reason[:2000], error_detail=detail[:8000] if detail else None,
            finished_at=utcnow(), claim_token=None, progress_message="Failed",
        )
    )
    db.session.commit()
    _forget_files_if_deleted(answer_id, media_path)
    return "failed"


def run_pending(max_jobs: int | None = None) -> int:
    """Process queued jobs in this process until none is left; returns how many ran."""
    n = 0
    while max_jobs is None or n < max_jobs:
        claimed = claim_next()
        if claimed is None:
            break
        run_job(*claimed)
        n += 1
    return n
