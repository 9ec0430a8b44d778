"""gunicorn settings (each can be overridden with an environment variable).

With EMBEDDED_WORKER on (webapp.config decides: the default without REDIS_URL, off with it, where
Celery workers run separately) the master starts one database-polling job worker process
(``python -m webapp.worker``) beside the web workers, restarts it whenever it dies (after 1 s,
doubling up to 60 s while it keeps dying young) and stops it on exit, so a single ``gunicorn``
command runs the whole app. Web workers never import TensorFlow.

This file reads only gunicorn's own settings (BIND, GUNICORN_*, LOG_LEVEL for gunicorn's log);
the app's settings, WEB_CONCURRENCY and EMBEDDED_WORKER included, come from webapp.config.Config
(which imports no Flask extension), so the app and the server agree.
"""
import os
import subprocess
import sys
import threading
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:  # gunicorn puts its working directory on sys.path, not this file's
    sys.path.insert(0, _HERE)

from gunicorn.glogging import Logger  # noqa: E402

from webapp import ConfigError  # noqa: E402

try:  # a setting that stops the app: one clear line before anything starts, not a traceback per worker
    from webapp.config import Config, _int, check_production  # (reads the environment)
    check_production(vars(Config))
    threads = _int("GUNICORN_THREADS", 4)      # gunicorn's own settings, read here, with the app's checks
    timeout = _int("GUNICORN_TIMEOUT", 120)
except ConfigError as exc:
    sys.exit(f"Not starting: {exc}")
from webapp.logs import mask_secrets  # noqa: E402


class MaskingLogger(Logger):
    """gunicorn's logger, its access-log fields (request line, path, referer, the environ's URIs) with a
    password-reset token written as ``***``, as in the app's own request log (webapp.logs.mask_secrets)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: mask_secrets(v) if isinstance(v, str) else v for k, v in atoms.items()}

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = Config.WEB_CONCURRENCY  # the app divides its in-memory rate limits by the same number
graceful_timeout = 30
limit_request_field_size = 8190
accesslog = os.environ.get("GUNICORN_ACCESSLOG")  # the app logs each request itself (webapp/logs.py)
errorlog = "-"
logger_class = MaskingLogger
loglevel = os.environ.get("LOG_LEVEL", "info")
# gunicorn 27's control socket is one file per user (~/.gunicorn/gunicorn.ctl) unless told otherwise: a second
# server of the same user takes it over and removes it when it stops. Nothing here uses it (gunicornc).
control_socket_disable = True

RESTART_DELAY_MIN, RESTART_DELAY_MAX = 1.0, 60.0  # seconds before restarting a dead job worker
STABLE_AFTER = 60.0  # a job worker that ran this long before dying is restarted after RESTART_DELAY_MIN again


class JobWorkerSupervisor:
    """Keeps one ``python -m webapp.worker`` process running, from a daemon thread of the master.

    Dead workers are reaped (by Popen.poll here, or by gunicorn's waitpid(-1), which also
    collects unknown children), so none is left as a zombie.

    gunicorn forks web workers (fork without exec) from its main thread. A fork while Popen runs
    here would hand Popen's exec-status pipe to that web worker, and Popen would wait for it to
    exit; so a spawn and a fork never overlap (self._lock, also taken around every os.fork).

    A master started by a re-exec (``kill -USR2``, gunicorn's binary upgrade) runs beside the old master, whose own job
    worker goes on until that master exits (its on_exit stops it after the answer under way): so this one starts its
    worker only once the old master and the job workers seen under it are gone (_wait_for_old_master)."""

    def __init__(self, server, command):
        self.server, self.command = server, command
        self.old_master = getattr(server, "master_pid", 0)  # set by gunicorn from GUNICORN_PID after a USR2
        self.proc = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._recycling = False  # recycle(): the worker was told to stop for a reload, and is started again
        self._lock = threading.Lock()  # no spawn after stop() began, nor during a fork
        self._thread = threading.Thread(target=self._run, daemon=True, name="job-worker-supervisor")

    def start(self):
        os.register_at_fork(before=self._lock.acquire, after_in_parent=self._lock.release,
                            after_in_child=self._lock.release)
        self._thread.start()

    def _spawn(self):
        with self._lock:
            if self._stopping.is_set():
                return None
            # the worker stops by itself if this master is killed without on_exit (SIGKILL): webapp.worker
            self.proc = subprocess.Popen(self.command, env={**os.environ, "JOB_WORKER_PARENT": str(os.getpid())})
            return self.proc

    def _shutting_down(self):
        # on_exit comes only after gunicorn has stopped its web workers; a Ctrl-C also reaches the
        # job worker, which must not be restarted meanwhile. gunicorn's stop() empties LISTENERS.
        return self._stopping.is_set() or not getattr(self.server, "LISTENERS", True)

    def _wait_for_old_master(self):
        """After a USR2: wait until the old master has exited, then until the job workers it ran (tracked while it
        lived; a master killed with SIGKILL leaves one that stops after its answer) are gone. True to go on, False
        when this master stops meanwhile (a rollback: the admin stops the new master, the old one goes on alone).

        The old master is gone when this process's parent changes, as gunicorn's own maybe_promote_master tells
        (the new master is the old one's child); os.kill(pid, 0) would still find it as a zombie until reaped."""
        old = self.old_master
        if not old or os.getppid() != old:
            return True
        self.server.log.info("not starting the embedded job worker while the old master (pid %s) runs its own "
                             "(gunicorn re-exec, USR2): it starts once that master has exited", old)
        old_workers = set()
        while os.getppid() == old:  # the old master may restart its worker meanwhile: the live ones are kept
            old_workers = {pid for pid in old_workers if _is_job_worker(pid)} | _job_workers_of(old)
            if self._stopping.wait(0.5):
                return False
        old_workers = {pid for pid in old_workers if _is_job_worker(pid)}
        if old_workers:
            self.server.log.warning("the old master (pid %s) has exited, its job worker (pid %s) not yet: waiting for "
                                    "it to stop", old, ", ".join(map(str, sorted(old_workers))))
        while any(_is_job_worker(pid) for pid in old_workers):
            if self._stopping.wait(0.5):
                return False
        self.server.log.info("the old master (pid %s) has exited; starting the embedded job worker", old)
        return True

    def _run(self):
        if not self._wait_for_old_master():
            return
        delay = RESTART_DELAY_MIN
        recycled = False
        while True:
            proc = self._spawn()
            if proc is None:
                return
            started = time.monotonic()
            if self.restarts and not recycled:
                self.server.log.warning("restarted embedded job worker (pid %s, restart %d)", proc.pid, self.restarts)
            else:
                self.server.log.info("started embedded job worker (pid %s)", proc.pid)
            while proc.poll() is None:
                if self._stopping.wait(0.5):
                    return
            uptime = time.monotonic() - started
            if self._shutting_down():
                return
            with self._lock:
                recycled, self._recycling = self._recycling, False
            if recycled:  # stopped by recycle(): a new one at once, with the code as it is now
                self.server.log.info("embedded job worker (pid %s) stopped for the reload; starting a new one", proc.pid)
                delay = RESTART_DELAY_MIN
                continue
            if uptime >= STABLE_AFTER:
                delay = RESTART_DELAY_MIN
            # the exit code reads 0 when gunicorn reaped the process first
            self.server.log.error("embedded job worker (pid %s) died after %.0f s (exit code %s); restarting in %.0f s",
                                  proc.pid, uptime, proc.returncode, delay)
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, RESTART_DELAY_MAX)
            self.restarts += 1

    def recycle(self):
        """gunicorn reloads (SIGHUP): the job worker finishes the answer under way, stops, and a new one starts, which
        runs the code as it is now, as the new web workers do."""
        with self._lock:
            proc = self.proc
            self._recycling = proc is not None and proc.poll() is None
        if self._recycling:
            proc.terminate()

    def stop(self, timeout=30):
        """Stop supervising first, then terminate the worker (SIGKILL after timeout seconds)."""
        self._stopping.set()
        self._thread.join(timeout=10)
        with self._lock:
            proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _is_job_worker(pid):
    """True while pid is a live ``webapp.worker`` process (Linux /proc; a zombie's command line is empty)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"webapp.worker" in f.read()
    except OSError:
        return False


def _job_workers_of(pid):
    """The job worker processes among pid's children (Linux /proc; elsewhere none are found, and a re-exec waits for
    the old master only)."""
    found = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found.update(int(c) for c in f.read().split())
        except (OSError, ValueError):
            pass
    return {c for c in found if _is_job_worker(c)}


def _embedded():
    """Start the embedded (database-polling) job worker? EMBEDDED_WORKER if set, else only
    without REDIS_URL: with Redis, jobs go to Celery workers started separately."""
    return bool(Config.EMBEDDED_WORKER)


def on_starting(server):
    """Before any web worker: a database whose schema this code cannot use stops the server with one line
    (webapp.schema), instead of a site whose forms all fail."""
    from webapp.schema import schema_problem
    problem = schema_problem(Config.SQLALCHEMY_DATABASE_URI)
    if problem:
        sys.exit(f"Not starting: {problem}")


def when_ready(server):
    # kept on the arbiter, not in this module: a SIGHUP loads this file again as a new module, whose on_exit then
    # found no supervisor and left the job worker running after the master stopped (a reliability review)
    if _embedded():
        server.job_supervisor = JobWorkerSupervisor(server, [sys.executable, "-m", "webapp.worker"])
        server.job_supervisor.start()


def on_reload(server):
    supervisor = getattr(server, "job_supervisor", None)
    if supervisor is not None:
        supervisor.recycle()


def post_worker_init(worker):
    """A web worker ignores SIGINT: Ctrl-C on `make run` sends it to every process of the terminal's group, and the
    master, stopping on its own SIGINT, sends each worker SIGQUIT as well. gunicorn's quit handler is not safe to
    enter twice: the second signal, arriving while the first handler held the thread pool's shutdown lock, waited
    for that lock for ever (py-spy: ThreadWorker.handle_quit inside ThreadPoolExecutor.shutdown, twice), and the
    master killed the worker after graceful_timeout with "Worker was sent SIGKILL! Perhaps out of memory?" (a
    stranger's install: 2 of 6 Ctrl-C after browsing; here 2 of about 12 with kept-alive connections). The worker
    still stops at once on the master's SIGQUIT, and gracefully on SIGTERM."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def on_exit(server):
    supervisor = getattr(server, "job_supervisor", None)
    if supervisor is not None:
        supervisor.stop()
