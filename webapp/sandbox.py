"""Run the parsing of untrusted files (PDFs, recordings) in a child process with hard limits.

A hostile file can make a parser use unbounded memory or time (a 1 MB PDF whose stream expands
to 1 GiB, a video frame of 16000x16000 pixels). Such work runs here, never in the calling
process: the child caps its own address space and CPU time with ``resource.setrlimit`` before it
touches the file, and the parent kills its whole process group when the wall-clock time runs out.

    result = run_limited("pdf_text", {"path": "...", "max_chars": 50000}, memory_mb=512, seconds=20)

A task is a function ``f(**args) -> dict`` named in ``TASKS``. It raises ``TaskError`` with a
message for the user when the input is bad; the parent re-raises it as ``TaskError``. Running
out of memory or time raises ``LimitExceeded``. The child is ``python -m webapp.sandbox``, which
reads the task as JSON on stdin and writes the result as JSON on stdout; it imports only the
task's module (no Flask app, no TensorFlow).
"""
from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

TASKS = {
    "pdf_text": "webapp.uploads:extract_pdf_text",
    "pdf_pages": "webapp.uploads:count_pdf_pages",
    "probe_media": "webapp.mediacheck:probe_in_child",
}


MAX_REPLY_BYTES = 16 * 1024 * 1024  # a longer reply is dropped (and reported as a crash)
STDERR_TAIL_BYTES = 64 * 1024  # only the end of the child's stderr is kept, for error messages


class TaskError(ValueError):
    """The input is bad; the message is meant for the user."""


class LimitExceeded(RuntimeError):
    """The child ran out of memory or time and was stopped."""

    def __init__(self, kind: str):
        super().__init__(f"the {kind} limit was exceeded")
        # "memory", "time" (it used its time computing), or "wall": the clock ran out while the child
        # had used less than BUSY_CPU_SHARE of it in CPU time, so it mostly waited for a busy machine
        self.kind = kind


class Busy(RuntimeError):
    """Every slot of ``slot`` stayed taken for the whole wait."""


class OwnerBusy(Busy):
    """The same owner (a candidate) already holds a slot of ``slot``, or waits for one: one check at a time each."""


@contextmanager
def slot(folder: Path | None, n: int, wait_seconds: float, owner: int | None = None):
    """Hold one of ``n`` slots shared by every process and thread of this machine that uses ``folder`` (an exclusive
    ``flock`` on one of n lock files), waiting up to ``wait_seconds`` for one; ``Busy`` when none came free. With
    ``owner`` (a user id) the owner's own lock file is taken first, without waiting: ``OwnerBusy`` when another
    request of the same owner holds it (in any process: ``flock`` locks belong to one open file, so two threads of
    one process exclude each other too). ``n`` <= 0: no machine-wide bound, the owner's lock only; no ``folder``: no
    bound at all (the checks of the recordings and PDFs call this either way).

    Each limited child may use its whole memory limit: a small hostile upload (a 430 KB WebM holding one 16000 x
    16000 picture) makes the check's child use about 375 MB before it is refused, and eight such uploads at once,
    one per web thread, took 2.5 GB within 3 s (a security review). The slots bound that to n children at a time.
    One owner, one slot: eight slow uploads at once from one candidate each held a web thread waiting for a slot,
    so a signed-out /healthz took 17 s and another candidate's 3 s WAV upload 30 s (a later security review); the
    callers also keep ``wait_seconds`` short. The lock files are never deleted, so two holders can never lock two
    files of the same name (but for a deleted account's own, which nobody can ask for any more:
    webapp.answers.delete_account_and_data)."""
    if folder is None:
        yield None
        return
    fds, k = [], None
    deadline = time.monotonic() + wait_seconds
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if owner is not None:
            fd = _try_lock(folder / f"owner-{int(owner)}.lock")
            if fd is None:
                raise OwnerBusy
            fds.append(fd)
        while n > 0 and k is None:
            for i in range(n):
                fd = _try_lock(folder / f"slot-{i}.lock")
                if fd is not None:
                    fds.append(fd)
                    k = i
                    break
            else:
                if time.monotonic() >= deadline:
                    raise Busy
                time.sleep(0.05)
    except Busy:
        _release(fds)
        raise
    except OSError as exc:  # no folder or no locks (some network mounts): the checks run unbounded rather than none
        _release(fds)
        fds, k = [], None
        _no_slots(folder, exc)
    try:
        yield k
    finally:
        _release(fds)


def _try_lock(path: Path) -> int | None:
    """A descriptor of ``path`` holding an exclusive ``flock`` on it, or None when another holds it (OSError: the
    file system has no locks)."""
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # taken
        os.close(fd)
        return None
    except OSError:
        os.close(fd)
        raise
    return fd


def _release(fds: list) -> None:
    for fd in fds:
        os.close(fd)  # closing the only descriptor of this open file releases its lock
    fds.clear()


def _no_slots(folder: Path, exc: OSError) -> None:
    import logging
    logging.getLogger(__name__).warning("no check slots in %s (%s): checks run without a bound", folder, exc)


# A child stopped by the wall clock after using less than this share of the time on a CPU was mostly
# waiting (a busy machine), not computing: trying again later may succeed.
BUSY_CPU_SHARE = 0.7


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) used so far by a live process, from /proc; None if unknown."""
    try:
        fields = open(f"/proc/{pid}/stat", "rb").read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def timeout_kind(cpu_s: float | None, seconds: float) -> str:
    """"wall" when a child stopped by the clock used less than BUSY_CPU_SHARE of it computing, else "time"."""
    return "wall" if cpu_s is not None and cpu_s < BUSY_CPU_SHARE * seconds else "time"


def run_limited(task: str, args: dict, *, memory_mb: int, seconds: float) -> dict:
    """Run ``TASKS[task](**args)`` in a limited child process and return its dict."""
    if task not in TASKS:
        raise KeyError(task)
    request = json.dumps({"task": task, "args": args, "memory_mb": int(memory_mb),
                          "cpu_seconds": max(1, int(seconds + 0.999))})
    # -B: no bytecode files (the child may not write files at all)
    proc = subprocess.Popen([sys.executable, "-B", "-m", "webapp.sandbox"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            start_new_session=True)
    # Read both pipes with bounded buffers (not communicate(), which keeps everything): a hostile
    # file can make a parser print hundreds of MB of warnings, which must not land in this process.
    out, err = bytearray(), bytearray()
    readers = [threading.Thread(target=_drain, args=(proc.stdout, out, MAX_REPLY_BYTES, False), daemon=True),
               threading.Thread(target=_drain, args=(proc.stderr, err, STDERR_TAIL_BYTES, True), daemon=True)]
    for t in readers:
        t.start()
    try:
        try:
            proc.stdin.write(request.encode())
            proc.stdin.close()
        except (BrokenPipeError, OSError):  # the child died at once; its exit status tells why
            pass
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        kind = timeout_kind(cpu_seconds(proc.pid), seconds)
        _kill(proc)
        raise LimitExceeded(kind) from None
    finally:
        if proc.poll() is None:
            _kill(proc)
        for t in readers:
            t.join(timeout=5)
    out, err = bytes(out), bytes(err)
    try:
        reply = json.loads(out.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        reply = None
    if proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL) or (reply or {}).get("limit") == "time":
        raise LimitExceeded("time")
    if (reply or {}).get("limit") == "memory" or (reply is None and b"MemoryError" in err):
        raise LimitExceeded("memory")
    if reply is None:  # crashed (e.g. a native library aborted on allocation failure)
        if proc.returncode is not None and proc.returncode < 0:
            raise LimitExceeded("memory" if proc.returncode in (-signal.SIGABRT, -signal.SIGSEGV) else "time")
        raise RuntimeError(f"the {task} child failed (exit {proc.returncode}): {err.decode(errors='replace')[-500:]}")
    if "error" in reply:
        raise TaskError(reply["error"])
    if "crash" in reply:
        raise RuntimeError(f"the {task} child failed: {reply['crash']}")
    return reply["result"]


def _drain(pipe, buf: bytearray, limit: int, keep_tail: bool) -> None:
    """Read a pipe to its end, keeping at most ``limit`` bytes (the first ones, or the last ones)."""
    overflow = False
    while True:
        chunk = pipe.read1(65536) if hasattr(pipe, "read1") else pipe.read(65536)
        if not chunk:
            break
        if overflow and not keep_tail:
            continue
        buf += chunk
        if len(buf) > limit:
            if keep_tail:
                del buf[:len(buf) - limit]
            else:
                del buf[:]  # an unparseable reply: reported as a crash
                overflow = True
    pipe.close()


def _limit_hit(exc: BaseException | None) -> str | None:
    """Return "memory" or "time" when the exception, or one it was raised from or while handling, is a
    MemoryError/TimeoutError: a task that wraps every error must not hide a limit."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, MemoryError):
            return "memory"
        if isinstance(exc, (ImportError, OSError)) and any(
                m in str(exc) for m in ("failed to map segment", "Cannot allocate memory")):
            return "memory"  # a native library could not be loaded within the address-space limit
        if isinstance(exc, TimeoutError):
            return "time"
        exc = exc.__cause__ or exc.__context__
    return None


def _kill(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _child() -> int:
    import logging
    import resource

    request = json.loads(sys.stdin.read())
    limit = request["memory_mb"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    cpu = request["cpu_seconds"]
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # no file writes at all

    out_of_cpu = []

    def out_of_time(signum, frame):
        out_of_cpu.append(signum)
        raise TimeoutError

    signal.signal(signal.SIGXCPU, out_of_time)
    logging.disable(logging.WARNING)  # parsers of broken files can warn millions of times
    module_name, func_name = TASKS[request["task"]].split(":")
    try:
        func = getattr(importlib.import_module(module_name), func_name)
        reply = {"result": func(**request["args"])}
    except BaseException as exc:
        limit = _limit_hit(exc)
        if limit:
            reply = {"limit": limit}
        elif type(exc).__name__ in ("UploadError", "TaskError"):
            reply = {"error": str(exc)}
        elif isinstance(exc, Exception):
            reply = {"crash": f"{type(exc).__name__}: {exc}"[:500]}
        else:
            raise
    if out_of_cpu:  # the CPU limit fired, whatever the task made of it
        reply = {"limit": "time"}
    sys.stdout.write("\n" + json.dumps(reply) + "\n")
    sys.stdout.flush()
    if "crash" in reply:
        sys.stderr.write(reply["crash"])
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(_child())
