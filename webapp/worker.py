"""The job worker: ``python -m webapp.worker`` (started beside gunicorn by default)."""
import logging
import os
import signal
import sys
import time

from . import create_app
from .jobs import claim_next, run_job

log = logging.getLogger("webapp.worker")
_stop = False


def _handle_stop(signum, frame):
    global _stop
    _stop = True


def main(poll_seconds: float = 1.0) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s worker[%(process)d] %(message)s")
    signal.signal(signal.SIGTERM, _handle_stop)
    signal.signal(signal.SIGINT, _handle_stop)
    app = create_app()
    log.info("worker started (database %s)", app.config["SQLALCHEMY_DATABASE_URI"].split("@")[-1])
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


if __name__ == "__main__":
    sys.exit(main(float(os.environ.get("WORKER_POLL_SECONDS", "1"))))
