"""PDF decompression bombs against a real gunicorn over loopback.

    python -m bench.pdf_bombs [--bombs 8] [--web-workers 2] [--inflated-mb 1024] [--timeout 300]

Starts gunicorn (web workers + the embedded job worker) on a fresh SQLite database, logs a
candidate in, posts N copies of a ~1 MB PDF whose one FlateDecode stream inflates to 1 GiB from N
threads at once, and, until every analysis has ended, polls /healthz and /login. The web tier only
stores and queues a PDF; the job worker parses it in a memory- and time-limited child process
(webapp.sandbox), so the web stays responsive and the job worker's own memory stays flat.
Prints one JSON object as the last line: /healthz and /login latency (p50/max) during the bombs,
the upload latencies, the job states and messages, and the peak RSS of the job worker process
(VmHWM) and the largest sandbox child seen.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "violet tractor mango 1987"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 comes back as an HTTPError carrying its Location


class Client:
    """A browser-like client: a cookie jar, CSRF tokens scraped from forms, no redirects followed."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def request(self, path, data=None, headers=None, timeout=120):
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=timeout) as r:
                return r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def csrf(self, path):
        _, body, _ = self.request(path)
        m = re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', body)
        if not m:
            raise RuntimeError(f"no CSRF token on {path}")
        return m.group(1).decode()

    def form(self, path, fields):
        fields = dict(fields, csrf_token=self.csrf(path))
        return self.request(path, urllib.parse.urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def upload_pdf(self, path, data, filename, token):
        boundary = secrets.token_hex(12)
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"answer\"\r\n\r\n\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"pdf\"; filename=\"{filename}\"\r\n"
                f"Content-Type: application/pdf\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        return self.request(path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def timed_get(url, timeout=30, errors=None):
    """(seconds, status) of one GET on a new connection, without cookies; status None on failure.
    With a list as errors, the body of an error answer (its first 300 characters) is appended to it."""
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
        if errors is not None:
            try:
                errors.append(e.read()[:300].decode("utf-8", "replace"))
            except OSError as read_error:
                errors.append(f"{e.code}, body unreadable: {read_error}"[:300])
    except OSError as e:
        status = None
        if errors is not None:
            errors.append(f"{type(e).__name__}: {e}"[:300])
    return time.perf_counter() - t0, status


def percentile(values, q):
    values = sorted(values)
    if not values:
        return None
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def _status_kb(pid, field):
    try:
        m = re.search(rf"^{field}:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    except OSError:
        return None
    return int(m.group(1)) if m else None


def _children(pid):
    """Child processes of any thread of ``pid`` (the job worker is started from a thread)."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def wait_for_worker_heartbeat(base, timeout=60):
    """Until /healthz counts a live job worker: the worker process exists before it has written its
    first heartbeat, and a job queued in between makes /healthz answer 503 ("no job worker has
    ever been seen"), which is right at start-up but is not what this benchmark measures."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
                if json.loads(r.read()).get("queue", {}).get("workers", 0) >= 1:
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise RuntimeError("the job worker sent no heartbeat")


def job_worker_pid(master_pid, timeout=60):
    """The embedded job worker: the master's child running ``-m webapp.worker``."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for pid in _children(master_pid):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"webapp.worker" in cmd:
                return pid
        time.sleep(0.2)
    raise RuntimeError("the embedded job worker did not start")


def prepare_database(instance: Path) -> dict:
    """A migrated, seeded SQLite database and the environment that points gunicorn at it."""
    instance.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, INSTANCE_DIR=str(instance), DATABASE_URL=f"sqlite:///{instance / 'x.sqlite'}",
               MEDIA_DIR=str(instance / "media"), SECRET_KEY="pdf-bombs", RATELIMIT_ENABLED="0",
               EMBEDDED_WORKER="1", WORKER_POLL_SECONDS="0.2", LOG_LEVEL="WARNING")
    env.pop("REDIS_URL", None)
    code = ("from flask_migrate import upgrade\nfrom webapp import create_app\nfrom webapp.cli import seed_questions\n"
            "app = create_app()\nwith app.app_context():\n    upgrade()\n    seed_questions()\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True)
    return env


def start_gunicorn(instance: Path, web_workers: int = 2, extra_env: dict | None = None):
    """gunicorn (own process group) on a free loopback port; returns (proc, base_url, log_path)."""
    env = prepare_database(instance)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env.update(BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY=str(web_workers), GUNICORN_THREADS="4",
               **(extra_env or {}))
    log_path = instance / "gunicorn.log"
    log = open(log_path, "wb")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        if timed_get(base + "/login", timeout=2)[1] == 200:
            return proc, base, log_path
        time.sleep(0.2)
    stop_gunicorn(proc)
    raise RuntimeError("gunicorn did not start:\n" + log_path.read_text()[-3000:])


def stop_gunicorn(proc):
    """SIGTERM to the master (it stops its job worker), then SIGKILL to whatever is left of its group."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def run_bombs(bomb: bytes, instance: Path, n: int = 8, web_workers: int = 2, timeout: float = 300,
              extra_env: dict | None = None) -> dict:
    proc, base, log_path = start_gunicorn(instance, web_workers, extra_env)
    try:
        worker = job_worker_pid(proc.pid)
        wait_for_worker_heartbeat(base)
        client = Client(base)
        status, _, _ = client.form("/register", {"email": "bombs@example.com", "password": PASSWORD,
                                                 "confirm": PASSWORD})
        if status not in (200, 302):
            raise RuntimeError(f"sign-up answered {status}")
        if client.request("/questions")[0] != 200:  # signing up may not log in: then log in
            client.form("/login", {"email": "bombs@example.com", "password": PASSWORD})
            if client.request("/questions")[0] != 200:
                raise RuntimeError("could not log in")
        path = "/questions/1/text"
        token = client.csrf(path)
        worker_rss_base = _status_kb(worker, "VmRSS")

        probes = {"/healthz": [], "/login": []}  # (seconds, status)
        probe_errors = []  # the bodies of probes that did not answer 200
        child_peak = [0]
        stop = threading.Event()

        def poll():
            while not stop.is_set():
                for url in probes:
                    probes[url].append(timed_get(base + url, errors=probe_errors))
                for pid in _children(worker):
                    child_peak[0] = max(child_peak[0], _status_kb(pid, "VmHWM") or 0)
                stop.wait(0.1)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        uploads, ids = [None] * n, [None] * n
        barrier = threading.Barrier(n)

        def upload(k):
            barrier.wait()
            t0 = time.perf_counter()
            status, body, headers = client.upload_pdf(path, bomb, f"bomb-{k}.pdf", token)
            uploads[k] = (time.perf_counter() - t0, status)
            m = re.search(r"/answers/(\d+)$", headers.get("Location") or "")
            ids[k] = int(m.group(1)) if status == 302 and m else None

        t_start = time.perf_counter()
        threads = [threading.Thread(target=upload, args=(k,)) for k in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        final = {}
        deadline = time.time() + timeout
        while time.time() < deadline and len(final) < sum(i is not None for i in ids):
            for answer_id in ids:
                if answer_id is None or answer_id in final:
                    continue
                status, body, _ = client.request(f"/api/answers/{answer_id}/status")
                state = json.loads(body) if status == 200 else {}
                if state.get("status") in ("done", "failed"):
                    final[answer_id] = (state["status"], state.get("error"))
            time.sleep(0.5)
        all_final_s = time.perf_counter() - t_start
        stop.set()
        poller.join(timeout=60)
        worker_hwm = _status_kb(worker, "VmHWM")
    except BaseException:
        sys.stderr.write(log_path.read_text()[-3000:])
        raise
    finally:
        stop_gunicorn(proc)

    def lat(url, q):
        values = [dt for dt, _ in probes[url]]
        return round(1000 * (max(values) if q == "max" else percentile(values, q)), 1) if values else None

    upload_s = [dt for dt, _ in uploads]
    errors = sorted({e for s, e in final.values() if s == "failed"})
    return {
        "bombs": n, "bomb_bytes": len(bomb), "web_workers": web_workers,
        "accepted": sum(i is not None for i in ids),
        "upload_statuses": sorted(s for _, s in uploads),
        "upload_p50_ms": round(1000 * percentile(upload_s, 0.5), 1),
        "upload_max_ms": round(1000 * max(upload_s), 1),
        "healthz_n": len(probes["/healthz"]), "healthz_p50_ms": lat("/healthz", 0.5),
        "healthz_max_ms": lat("/healthz", "max"),
        "healthz_statuses": sorted({s for _, s in probes["/healthz"]}, key=str),
        "probe_errors": probe_errors[:3],
        "login_p50_ms": lat("/login", 0.5), "login_max_ms": lat("/login", "max"),
        "login_statuses": sorted({s for _, s in probes["/login"]}, key=str),
        "jobs_failed": sum(1 for s, _ in final.values() if s == "failed"),
        "jobs_done": sum(1 for s, _ in final.values() if s == "done"),
        "jobs_unfinished": sum(i is not None for i in ids) - len(final),
        "job_errors": errors,
        "all_jobs_final_s": round(all_final_s, 1),
        "job_worker_rss_before_mb": round((worker_rss_base or 0) / 1024, 1),
        "job_worker_peak_rss_mb": round((worker_hwm or 0) / 1024, 1),
        "sandbox_child_peak_rss_mb_seen": round(child_peak[0] / 1024, 1),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bombs", type=int, default=8)
    ap.add_argument("--web-workers", type=int, default=2)
    ap.add_argument("--inflated-mb", type=int, default=1024, help="size of the inflated content stream")
    ap.add_argument("--timeout", type=float, default=300, help="seconds to wait for all analyses")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.pdfbombs import write_bomb

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        t0 = time.perf_counter()
        bomb = write_bomb(tmp / "bomb.pdf", inflated=args.inflated_mb << 20).read_bytes()
        build_s = time.perf_counter() - t0
        out = run_bombs(bomb, tmp / "instance", n=args.bombs, web_workers=args.web_workers, timeout=args.timeout)
    out["bomb_build_s"] = round(build_s, 1)
    print(json.dumps(out))
    ok = (out["accepted"] == args.bombs and out["jobs_failed"] == args.bombs and out["healthz_max_ms"] is not None
          and out["healthz_max_ms"] < 1000)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
