"""gunicorn settings (each can be overridden with an environment variable).

With EMBEDDED_WORKER=1 (the default) the master starts one job worker process
(``python -m webapp.worker``) beside the web workers and stops it on exit, so a single
``gunicorn`` command runs the whole app. Web workers never import TensorFlow.
"""
import os
import subprocess
import sys

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
limit_request_field_size = 8190
accesslog = os.environ.get("GUNICORN_ACCESSLOG")  # the app logs each request itself (webapp/logs.py)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")

_job_worker = None


def _embedded():
    return os.environ.get("EMBEDDED_WORKER", "1").strip().lower() in {"1", "true", "yes", "on"}


def when_ready(server):
    global _job_worker
    if _embedded():
        _job_worker = subprocess.Popen([sys.executable, "-m", "webapp.worker"])
        server.log.info("started embedded job worker (pid %s)", _job_worker.pid)


def on_exit(server):
    if _job_worker is not None and _job_worker.poll() is None:
        _job_worker.terminate()
        try:
            _job_worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _job_worker.kill()
