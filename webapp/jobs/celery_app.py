"""The Celery back-end (used when REDIS_URL is set).

    celery -A webapp.jobs.celery_app worker --concurrency 1      (what `make worker` runs)

Tasks carry only an answer id. They are acknowledged after they finish (acks_late) and
re-delivered if the worker process dies (reject_on_worker_lost), and a worker claims the
answer row before working on it, so a re-delivered or duplicated task never stores a result
twice. A sweep at worker start-up and every JOB_SWEEP_SECONDS re-sends jobs whose worker died
(no heartbeat) and queued jobs whose message was lost. The worker's main process keeps a
row in worker_heartbeats fresh for /healthz (webapp.worker.WorkerBeat).

Settings (REDIS_URL, JOB_VISIBILITY_SECONDS, JOB_SWEEP_SECONDS) come from webapp.config.Config:
the Celery app is made at import, before any Flask app.
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

from celery import Celery, signals

from webapp.config import Config

log = logging.getLogger(__name__)
SWEEP_SECONDS = Config.JOB_SWEEP_SECONDS


def make_celery(redis_url: str | None = None) -> Celery:
    url = redis_url or Config.REDIS_URL or "redis://127.0.0.1:6379/0"
    app = Celery("interview", broker=url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        # a Redis that hangs (not refusing) held each answer's request as long as it hung: 5 s and the send is given
        # up (dispatch); the sweeper sends queued jobs again once Redis answers
        broker_transport_options={"visibility_timeout": Config.JOB_VISIBILITY_SECONDS,
                                  "socket_timeout": 5, "socket_connect_timeout": 5},
        broker_connection_timeout=5,
        worker_hijack_root_logger=False,
    )
    return app


celery = make_celery()
_flask_app = None
_flask_app_lock = threading.Lock()


def flask_app():
    """The worker's one Flask app, built on first use. Locked: at worker_ready the sweeper thread and the
    heartbeat ask for it at the same moment, and two create_app() at once built two apps and, on CPython
    3.11.7, could fail inside werkzeug's route compiler (ast.parse from two threads: "AST constructor
    recursion depth mismatch"), which left the worker without its heartbeat."""
    global _flask_app
    with _flask_app_lock:
        if _flask_app is None:
            from webapp import create_app
            app = create_app()
            from webapp.worker import configure_ml
            configure_ml(app.config)  # model settings for ml, before the first task
            _flask_app = app
    return _flask_app


@celery.task(name="webapp.analyse", bind=True)
def analyse(self, answer_id: int) -> str:
    from . import claim, run_and_log
    with flask_app().app_context():
        token = claim(answer_id)
        if token is None:
            return "not-queued"  # already done, running elsewhere, or deleted
        return run_and_log(answer_id, token)


def dispatch(answer_id: int) -> None:
    analyse.apply_async(args=[answer_id], retry=True,
                        retry_policy={"max_retries": 0})


def broker_queue_length() -> int:
    import redis
    client = redis.Redis.from_url(celery.conf.broker_url)
    return int(client.llen(celery.conf.task_default_queue or "celery"))


def sweep(resend_queued_after: float = 60.0) -> int:
    """Re-send jobs whose worker died, and queued jobs whose message was lost
    (queued for a while although the broker queue is empty); returns how many were sent."""
    from sqlalchemy import select
    from webapp.extensions import db
    from webapp.models import Answer, utcnow
    from . import requeue_stale

    with flask_app().app_context():
        ids = set(requeue_stale())
        if broker_queue_length() == 0:
            limit = utcnow() - timedelta(seconds=resend_queued_after)
            ids |= set(db.session.execute(select(Answer.id).where(
                Answer.status == "queued", Answer.created_at < limit)).scalars())
        db.session.remove()
    for answer_id in sorted(ids):
        dispatch(answer_id)
    return len(ids)


@signals.worker_ready.connect
def _start_sweeper(**_):
    def loop():
        stop = threading.Event()
        while True:
            try:
                n = sweep()
                if n:
                    log.info("sweep re-sent %d jobs", n)
            except Exception:
                log.exception("sweep failed")
            if stop.wait(SWEEP_SECONDS):
                break
    threading.Thread(target=loop, daemon=True, name="job-sweeper").start()


_beat = None


@signals.worker_ready.connect
def _sweep_uploads(**_):
    from webapp.worker import _sweep_uploads as sweep_uploads
    sweep_uploads(flask_app())


@signals.worker_ready.connect
def _start_heartbeat(**_):
    global _beat
    from webapp.worker import WorkerBeat
    _beat = WorkerBeat(flask_app(), "celery").start()


@signals.worker_shutdown.connect
def _stop_heartbeat(**_):
    if _beat is not None:
        _beat.stop()  # deletes the row


@signals.worker_process_init.connect
def _new_connections_after_fork(**_):
    """A pool process forked after the main process opened connections (sweeper, heartbeat)
    must not share them: drop the inherited pool without closing the parent's connections."""
    if _flask_app is not None:
        from webapp.extensions import db
        with _flask_app.app_context():
            db.engine.dispose(close=False)
