"""The job worker: ``python -m webapp.worker`` (what ``make worker`` runs).

Without REDIS_URL it polls the database for queued answers (gunicorn starts one such worker
by default, see gunicorn.conf.py). With REDIS_URL it runs a Celery worker instead.
Each worker process loads each model once, on its first job.
"""
import logging
import os
import signal
import sys
import time

log = logging.getLogger("webapp.worker")
_stop = False


def _handle_stop(signum, frame):
    global _stop
    _stop = True


def run_database_worker(poll_seconds: float = 1.0) -> int:
    from . import create_app
    from .jobs import claim_next, run_job

    signal.signal(signal.SIGTERM, _handle_stop)
    signal.signal(signal.SIGINT, _handle_stop)
    app = create_app()
    log.info("database worker started (database %s)", app.config["SQLALCHEMY_DATABASE_URI"].split("@")[-1])
    with app.app_context():
        while not _stop:
            claim = claim_next()
            if claim is None:
                time.sleep(poll_seconds)
                continue
            t0 = time.perf_counter()
            status = run_job(*claim)
            log.info("answer %s: %s in %.2fs", claim[0], status, time.perf_counter() - t0)
    log.info("worker stopped")
    return 0


def run_celery_worker(concurrency: int = 1) -> int:
    from .jobs.celery_app import celery

    celery.worker_main(["worker", f"--concurrency={concurrency}", "--loglevel=INFO", "--without-gossip",
                        "--without-mingle"])
    return 0


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s worker[%(process)d] %(message)s")
    if os.environ.get("REDIS_URL"):
        return run_celery_worker(int(os.environ.get("WORKER_CONCURRENCY", "1")))
    return run_database_worker(float(os.environ.get("WORKER_POLL_SECONDS", "1")))


if __name__ == "__main__":
    sys.exit(main())
