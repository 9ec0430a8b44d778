"""Concurrent uploads against a real gunicorn over loopback.

    python -m bench.load [--uploads 50] [--web-workers 4] [--timeout 900]

Starts gunicorn (several web workers + the embedded job worker) on a fresh SQLite database,
signs up N candidates, has all of them upload a real audio answer (RAVDESS speech in WebM/Opus)
at the same moment, then waits for every analysis. Bounded in count and time, loopback only.
Prints one JSON object as the last line: upload throughput and latency (p50/p95), and how many
results were stored — none may be lost.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Client:
    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, path, data=None, headers=None, method=None):
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {}, method=method)
        try:
            with self.opener.open(req, timeout=120) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def csrf(self, path):
        _, body = self.request(path)
        m = re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', body)
        return m.group(1).decode()

    def form(self, path, fields):
        fields = dict(fields, csrf_token=self.csrf(path))
        return self.request(path, urllib.parse.urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def upload(self, path, data, filename):
        token = self.csrf(path)
        boundary = secrets.token_hex(12)
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"{filename}\"\r\n"
                f"Content-Type: audio/webm\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        return self.request(path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}",
                                         "Accept": "application/json"})


def percentile(values, q):
    values = sorted(values)
    if not values:
        return None
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def start_server(tmp: Path, web_workers: int):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, INSTANCE_DIR=str(tmp), DATABASE_URL=f"sqlite:///{tmp / 'load.sqlite'}",
               MEDIA_DIR=str(tmp / "media"), BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY=str(web_workers),
               GUNICORN_THREADS="4", SECRET_KEY="load", FLASK_APP="wsgi.py", WORKER_POLL_SECONDS="0.2",
               LOG_LEVEL="WARNING", RATELIMIT_ENABLED="0")
    env.pop("REDIS_URL", None)
    for cmd in (["db", "upgrade"], ["seed-questions"]):
        subprocess.run([sys.executable, "-m", "flask", *cmd], cwd=ROOT, env=env, check=True, capture_output=True)
    log = open(tmp / "gunicorn.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return proc, base
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("gunicorn did not start")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--uploads", type=int, default=50)
    ap.add_argument("--web-workers", type=int, default=4)
    ap.add_argument("--timeout", type=float, default=900, help="seconds to wait for all analyses")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.mediagen import write_audio

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        clip = write_audio(tmp / "answer.webm", seconds=5).read_bytes()
        proc, base = start_server(tmp / "instance", args.web_workers)
        try:
            clients = []
            for k in range(args.uploads):
                c = Client(base)
                status, _ = c.form("/register", {"email": f"load{k}@example.com", "password": "correct horse",
                                                 "confirm": "correct horse"})
                assert status in (200, 302), status
                clients.append(c)
            barrier = threading.Barrier(args.uploads)
            latencies, ids, errors = [], [], []
            lock = threading.Lock()

            def one(c):
                path = "/questions/1/audio"
                token_ready = c.csrf(path)  # warm the session before the barrier
                barrier.wait()
                t0 = time.perf_counter()
                status, body = c.upload(path, clip, "answer.webm")
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt)
                    if status == 201:
                        ids.append((c, json.loads(body)["id"]))
                    else:
                        errors.append((status, body[:200].decode(errors="replace")))
                return token_ready

            t_start = time.perf_counter()
            with ThreadPoolExecutor(args.uploads) as pool:
                list(pool.map(one, clients))
            upload_wall = time.perf_counter() - t_start
            # wait for every analysis
            pending = dict((answer_id, c) for c, answer_id in ids)
            final = {}
            deadline = time.time() + args.timeout
            while pending and time.time() < deadline:
                for answer_id, c in list(pending.items()):
                    status, body = c.request(f"/api/answers/{answer_id}/status")
                    state = json.loads(body).get("status") if status == 200 else None
                    if state in ("done", "failed"):
                        final[answer_id] = state
                        del pending[answer_id]
                time.sleep(1)
            analysis_wall = time.perf_counter() - t_start
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    out = {
        "uploads": args.uploads, "accepted": len(ids), "rejected": len(errors),
        "upload_wall_s": round(upload_wall, 3),
        "upload_throughput_per_s": round(len(latencies) / upload_wall, 2),
        "upload_p50_ms": round(1000 * percentile(latencies, 0.5), 1),
        "upload_p95_ms": round(1000 * percentile(latencies, 0.95), 1),
        "results_done": sum(1 for s in final.values() if s == "done"),
        "results_failed": sum(1 for s in final.values() if s == "failed"),
        "results_lost": len(pending),
        "all_results_wall_s": round(analysis_wall, 1),
        "web_workers": args.web_workers,
        "errors": errors[:3],
    }
    print(json.dumps(out))
    return 0 if out["accepted"] == args.uploads and out["results_done"] == args.uploads else 1


if __name__ == "__main__":
    sys.exit(main())
