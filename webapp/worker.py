"""The job worker: ``python -m webapp.worker`` (what ``make worker`` runs).

Without REDIS_URL it polls the database for queued answers (gunicorn starts one such worker
by default, see gunicorn.conf.py). With REDIS_URL it runs a Celery worker instead.
Each worker process loads each model once, on its first job.

Every worker process keeps a row in ``worker_heartbeats`` fresh (WorkerBeat), so /healthz can
tell whether queued jobs have anyone to run them; the row is deleted when the worker stops.
"""
import logging
import os
import signal
import socket
import sys
import threading
import time
from datetime import timedelta

log = logging.getLogger("webapp.worker")
_stop = False


def _handle_stop(signum, frame):
    global _stop
    _stop = True


def worker_name() -> str:
    """This process's row name in worker_heartbeats: ``host:pid``."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


def record_heartbeat(name: str, backend: str, restart: bool = False) -> None:
    """Upsert this worker's row (seen now; with restart, started now too), portably for SQLite
    and PostgreSQL: UPDATE, INSERT if no row matched, UPDATE again if another session won the race.
    Runs inside an app context; commits."""
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError
    from .extensions import db
    from .models import WorkerHeartbeat, utcnow

    now = utcnow()
    values = {"seen_at": now, "backend": backend, **({"started_at": now} if restart else {})}
    stmt = update(WorkerHeartbeat).where(WorkerHeartbeat.name == name).values(**values)
    if db.session.execute(stmt).rowcount == 0:
        db.session.add(WorkerHeartbeat(name=name, backend=backend, started_at=now, seen_at=now))
        try:
            db.session.commit()
            return
        except IntegrityError:
            db.session.rollback()
            db.session.execute(stmt)
    db.session.commit()


def forget_heartbeat(name: str) -> None:
    """Delete this worker's row (on a clean exit). Runs inside an app context; commits."""
    from sqlalchemy import delete
    from .extensions import db
    from .models import WorkerHeartbeat

    db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.name == name))
    db.session.commit()


class WorkerBeat:
    """Keeps this worker process's worker_heartbeats row fresh from a daemon thread.

    start() writes the row at once (and prunes rows of workers gone for a day), the thread
    refreshes seen_at every few seconds (a quarter of WORKER_STALE_SECONDS, at most 5 s),
    and stop() deletes the row."""

    PRUNE_AFTER = timedelta(days=1)

    def __init__(self, app, backend: str):
        self.app, self.backend, self.name = app, backend, worker_name()
        self.interval = max(0.5, min(5.0, app.config["WORKER_STALE_SECONDS"] / 4))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="worker-heartbeat")

    def start(self) -> "WorkerBeat":
        from sqlalchemy import delete
        from .extensions import db
        from .models import WorkerHeartbeat, utcnow

        with self.app.app_context():
            try:
                record_heartbeat(self.name, self.backend, restart=True)
                db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < utcnow() - self.PRUNE_AFTER))
                db.session.commit()
            except Exception:  # the thread tries again; a worker must not die of its heartbeat
                db.session.rollback()
                log.warning("worker heartbeat failed", exc_info=True)
            finally:
                db.session.remove()
        self._thread.start()
        return self

    def _run(self):
        from .extensions import db

        with self.app.app_context():
            while not self._stop.wait(self.interval):
                try:
                    record_heartbeat(self.name, self.backend)
                except Exception:
                    db.session.rollback()
                    log.warning("worker heartbeat failed", exc_info=True)
                finally:
                    db.session.remove()

    def stop(self) -> None:
        from .extensions import db

        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        with self.app.app_context():
            try:
                forget_heartbeat(self.name)
            except Exception:
                db.session.rollback()
                log.warning("could not delete the worker heartbeat row", exc_info=True)
            finally:
                db.session.remove()


def configure_ml(config) -> None:
    """Hand the model settings of ``webapp.config`` to ``ml`` (which reads no environment);
    called once per worker process before its first job."""
    import ml
    ml.configure(voice_ct2_compute=config.get("VOICE_CT2_COMPUTE"),
                 voice_ct2_threads=config.get("VOICE_CT2_THREADS") or None,
                 face_threads=config.get("FACE_THREADS") or None,
                 voice_model_dir=config.get("VOICE_MODEL_DIR") or None)


def run_database_worker(poll_seconds: float | None = None) -> int:
    """Poll the database for queued jobs until SIGTERM/SIGINT; poll_seconds defaults to the app's
    WORKER_POLL_SECONDS."""
    from . import create_app
    from .jobs import claim_next, run_and_log

    signal.signal(signal.SIGTERM, _handle_stop)
    signal.signal(signal.SIGINT, _handle_stop)
    app = create_app()
    if poll_seconds is None:
        poll_seconds = app.config["WORKER_POLL_SECONDS"]
    configure_ml(app.config)
    _sweep_uploads(app)
    from .schema import database_label
    log.info("database worker started (database %s)", database_label(app.config["SQLALCHEMY_DATABASE_URI"]))
    beat = WorkerBeat(app, "database")
    beat.start()  # beats from its own thread, so a long job does not make the worker look dead
    from sqlalchemy.exc import DBAPIError

    from .extensions import db
    outage = 0.0  # seconds to wait before asking the database again (0: it answers)
    parent = app.config["JOB_WORKER_PARENT"]
    try:
        with app.app_context():
            while not _stop:
                if parent and os.getppid() != parent:
                    log.warning("the gunicorn master that started this job worker (pid %s) is gone: stopping", parent)
                    break
                try:
                    claim = claim_next()
                    if claim is None:
                        db.session.remove()  # no transaction left open ("idle in transaction") while it waits
                        time.sleep(poll_seconds)
                        outage = 0.0
                        continue
                    run_and_log(*claim)
                    outage = 0.0
                except DBAPIError as exc:  # the database went away (restarted, connections cut): wait, try again;
                    db.session.remove()    # a job it was running is taken over once its heartbeats stop
                    outage = min(max(2 * outage, 1.0), 30.0)
                    log.warning("database unreachable (%s); trying again in %.0f s", type(exc.orig).__name__, outage)
                    time.sleep(outage)
    finally:
        beat.stop()
    log.info("worker stopped")
    return 0


def _sweep_uploads(app) -> None:
    """Delete uploads left half-checked in MEDIA_DIR/tmp by a web worker that was killed (media.sweep_temp)."""
    from . import media
    with app.app_context():
        try:
            removed = media.sweep_temp()
        except OSError as exc:
            log.warning("could not sweep unfinished uploads: %s", exc)
            return
    if removed:
        log.info("removed %d unfinished uploads left by a stopped web worker", removed)


def run_celery_worker(concurrency: int | None = None) -> int:
    """Run a Celery worker (its broker: Config.REDIS_URL); concurrency defaults to WORKER_CONCURRENCY."""
    from .config import Config
    from .jobs.celery_app import celery

    if concurrency is None:
        concurrency = Config.WORKER_CONCURRENCY

    celery.worker_main(["worker", f"--concurrency={concurrency}", "--loglevel=INFO", "--without-gossip",
                        "--without-mingle"])
    return 0


USAGE = """usage: python -m webapp.worker

Runs a job worker: it loads every model once and analyses queued answers until it is stopped (SIGTERM or
Ctrl-C finishes the job under way). With REDIS_URL set it is a Celery worker on Redis (WORKER_CONCURRENCY
processes), otherwise it polls the database (WORKER_POLL_SECONDS). It reads the same environment as the web
app (DATABASE_URL, MEDIA_DIR, ...; see README, Configuration) and takes no options."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        print(USAGE, file=sys.stdout if argv[0] in ("-h", "--help") else sys.stderr)
        return 0 if argv[0] in ("-h", "--help") else 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s worker[%(process)d] %(message)s")
    from .logs import quiet_noisy_loggers
    quiet_noisy_loggers()
    from . import ConfigError

    try:
        from .config import Config, check_production  # no app exists yet: the back-end decides which one is made
        check_production(vars(Config))
    except ConfigError as exc:
        print(f"Not starting: {exc}", file=sys.stderr)
        return 2
    from .schema import schema_problem
    problem = schema_problem(Config.SQLALCHEMY_DATABASE_URI)
    if problem:  # every job would fail on missing tables (they were logged as "database unreachable")
        print(f"Not starting: {problem}", file=sys.stderr)
        return 2

    if Config.WORKER_MALLOC_ARENAS:
        from ml.runtime import limit_malloc_arenas
        limit_malloc_arenas(Config.WORKER_MALLOC_ARENAS)  # before any model thread starts: ~70 MB less RSS
    if Config.WORKER_MMAP_THRESHOLD_KB:
        from ml.runtime import fix_mmap_threshold
        if not fix_mmap_threshold(Config.WORKER_MMAP_THRESHOLD_KB * 1024):  # big temporaries go back: ~70 MB less RSS
            logging.getLogger(__name__).warning("could not fix the malloc mmap threshold (not glibc?)")

    if Config.REDIS_URL:
        return run_celery_worker(Config.WORKER_CONCURRENCY)
    return run_database_worker(Config.WORKER_POLL_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
