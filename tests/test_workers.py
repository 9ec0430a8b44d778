"""Real worker processes against a real database and, for Celery, a real redis-server:
jobs are analysed, and a worker killed mid-analysis leads to exactly one stored result."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.helpers import FULL_ANSWER
from tests.test_interview import post_answer
from webapp.extensions import db
from webapp.models import Aggregate, Answer, PendingResult, Score

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.all_databases


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url():
    """TEST_REDIS_URL, or a private redis-server started for these tests."""
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (CI installs it)")
    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def worker_env(app, **extra):
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], MEDIA_DIR=app.config["MEDIA_DIR"],
               WORKER_POLL_SECONDS="0.2", JOB_STALE_SECONDS="3", JOB_SWEEP_SECONDS="1", PYTHONUNBUFFERED="1")
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def start_worker(env, log):
    return subprocess.Popen([sys.executable, "-m", "webapp.worker"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc, sig=signal.SIGTERM):
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    proc.wait(timeout=60)


def wait_status(app, answer_id, states, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with app.app_context():
            ans = db.session.get(Answer, answer_id)
            status = ans.status
            db.session.remove()
        if status in states:
            return status
        time.sleep(0.1)
    raise AssertionError(f"answer {answer_id} still {status!r} after {timeout}s")


def assert_stored_once(app, answer_id):
    with app.app_context():
        ans = db.session.get(Answer, answer_id)
        assert ans.status == "done" and ans.attempts == 2, (ans.status, ans.attempts, ans.error)
        # the five traits and the hedges per 100 words
        assert db.session.scalar(select(func.count()).select_from(Score).where(Score.answer_id == answer_id)) == 6
        # once in the averages: counted, or (the worker runs the default batches) waiting for its batch
        agg = db.session.execute(select(Aggregate).filter_by(scope="all", family="big5", label="EXT")).scalar_one()
        waiting = db.session.scalar(select(func.count()).select_from(PendingResult).filter_by(
            scope="all", family="big5", label="EXT", answer_id=answer_id))
        assert agg.count + waiting == 1


def submit(client, auth):
    auth.register()
    resp = post_answer(client, FULL_ANSWER)
    return int(resp.headers["Location"].rsplit("/", 1)[1])


@pytest.mark.parametrize("backend", ["database", "celery"])
def test_worker_killed_mid_analysis_result_stored_once(client, auth, app, tmp_path, backend, request):
    extra = {}
    if backend == "celery":
        extra["REDIS_URL"] = request.getfixturevalue("redis_url")
        app.config["REDIS_URL"] = extra["REDIS_URL"]  # the web side sends the task on commit
    answer_id = submit(client, auth)
    env = worker_env(app, **extra)
    log = open(tmp_path / "worker.log", "wb")
    first = start_worker(env, log)
    try:
        # the model loads inside the job, which leaves a window to kill the worker mid-analysis
        assert wait_status(app, answer_id, {"running", "done"}) == "running"
    finally:
        stop(first, signal.SIGKILL)
    with app.app_context():
        assert db.session.get(Answer, answer_id).status == "running"  # orphaned by the dead worker
        db.session.remove()
    second = start_worker(env, log)
    try:
        assert wait_status(app, answer_id, {"done", "failed"}, timeout=240) == "done", \
            (tmp_path / "worker.log").read_text()[-3000:]
    finally:
        stop(second)
    assert_stored_once(app, answer_id)


def test_celery_worker_analyses_queued_answers(client, auth, app, tmp_path, redis_url):
    app.config["REDIS_URL"] = redis_url
    auth.register()
    ids = [int(post_answer(client, FULL_ANSWER + f" Attempt {k}.").headers["Location"].rsplit("/", 1)[1])
           for k in range(3)]
    log = open(tmp_path / "celery.log", "wb")
    worker = start_worker(worker_env(app, REDIS_URL=redis_url), log)
    try:
        for answer_id in ids:
            assert wait_status(app, answer_id, {"done", "failed"}, timeout=240) == "done"
    finally:
        stop(worker)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Score)) == 18  # 5 traits and hedges, each
    assert client.get("/healthz").get_json()["queue"]["backend"] == "celery"
    # the worker's own log lines reach its stderr (they went into Celery's stderr proxy and were lost: the
    # operations review found a Celery worker silent after "ready")
    logged = (tmp_path / "celery.log").read_text(errors="replace")
    assert all(f"answer {answer_id}: done in" in logged for answer_id in ids), logged[-3000:]


@pytest.mark.skipif(__import__("platform").libc_ver()[0] != "glibc", reason="mallopt arenas are glibc's")
def test_malloc_arenas_are_capped_in_a_fresh_process():
    import subprocess
    import sys
    from pathlib import Path
    root = str(Path(__file__).resolve().parents[1])
    code = "from ml.runtime import limit_malloc_arenas; print(limit_malloc_arenas(2))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "True"  # glibc (Debian): mallopt accepted the cap
    from ml.runtime import limit_malloc_arenas
    with pytest.raises(ValueError):
        limit_malloc_arenas(0)


def test_worker_arena_setting_defers_to_the_operators_glibc_variables():
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = str(Path(__file__).resolve().parents[1])
    base = {k: v for k, v in os.environ.items() if k not in ("WORKER_MALLOC_ARENAS", "MALLOC_ARENA_MAX", "GLIBC_TUNABLES")}
    code = "from webapp.config import Config; print(Config.WORKER_MALLOC_ARENAS)"
    for env, expected in (({}, 2), ({"WORKER_MALLOC_ARENAS": "4"}, 4), ({"WORKER_MALLOC_ARENAS": "0"}, 0),
                          ({"MALLOC_ARENA_MAX": "8"}, 0), ({"GLIBC_TUNABLES": "glibc.malloc.arena_max=3"}, 0)):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root,
                             env={**base, **env})
        assert out.stdout.strip().splitlines()[-1] == str(expected), env


@pytest.mark.skipif(__import__("platform").libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_fixed_mmap_threshold_gives_big_temporaries_their_own_map():
    """Without the fix, freeing one 20 MB array raises glibc's threshold, and the next 10 MB array
    comes from the heap (kept after use); with it, the 10 MB array is its own map (given back)."""
    import subprocess
    import sys
    from pathlib import Path
    root = str(Path(__file__).resolve().parents[1])
    code = """
import ctypes, sys
import numpy as np
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                              "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
if sys.argv[1] == "fix":
    from ml.runtime import fix_mmap_threshold
    assert fix_mmap_threshold(4 << 20)
big = np.ones(20 << 20, np.uint8)
del big
before = libc.mallinfo2().hblkhd
mid = np.ones(10 << 20, np.uint8)
print(libc.mallinfo2().hblkhd - before >= 10 << 20)
"""
    got = {mode: subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True, check=True,
                                cwd=root).stdout.strip() for mode in ("default", "fix")}
    assert got == {"default": "False", "fix": "True"}
    from ml.runtime import fix_mmap_threshold
    with pytest.raises(ValueError):
        fix_mmap_threshold(0)


def test_worker_mmap_setting_defers_to_the_operators_glibc_variables():
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = str(Path(__file__).resolve().parents[1])
    base = {k: v for k, v in os.environ.items()
            if k not in ("WORKER_MMAP_THRESHOLD_KB", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES")}
    code = "from webapp.config import Config; print(Config.WORKER_MMAP_THRESHOLD_KB)"
    for env, expected in (({}, 4096), ({"WORKER_MMAP_THRESHOLD_KB": "1024"}, 1024), ({"WORKER_MMAP_THRESHOLD_KB": "0"}, 0),
                          ({"MALLOC_MMAP_THRESHOLD_": "131072"}, 0),
                          ({"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=65536"}, 0)):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root,
                             env={**base, **env})
        assert out.stdout.strip().splitlines()[-1] == str(expected), env
