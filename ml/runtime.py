"""Run-time settings of the models, given by the caller: ``ml`` reads no environment.

    import ml
    ml.configure(voice_ct2_compute="int8", voice_ct2_threads=2)   # e.g. from webapp.config
    ml.settings().voice_ct2_threads                               # 2

The web worker calls ``configure`` with values from ``webapp.config.Config``; the CLIs
with their flags. Unset fields keep the defaults below. A model already loaded with
other settings stays loaded (its registry key includes the settings it was built
with), so settings are meant to be given once, before the first prediction.
"""
from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from pathlib import Path

CT2_COMPUTE_TYPES = ("default", "auto", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16",
                     "float16", "bfloat16", "float32")


@dataclass(frozen=True)
class Settings:
    #: CTranslate2 compute type of the Whisper encoder (voice front end)
    voice_ct2_compute: str = "int8"
    #: CTranslate2 intra-op threads of the encoder; None: min(2, CPU count)
    voice_ct2_threads: int | None = None
    #: threads of the face network's onnxruntime session; None: min(2, CPU count)
    face_threads: int | None = None
    #: TensorFlow intra-op threads of the training CLIs; None: their default. Inference needs no
    #: TensorFlow (face: onnxruntime, voice: NumPy).
    tf_threads: int | None = None
    #: model directories; None: data/models/<kind>
    face_model_dir: Path | None = None
    voice_model_dir: Path | None = None
    text_model_dir: Path | None = None

    def __post_init__(self):
        if self.voice_ct2_compute not in CT2_COMPUTE_TYPES:
            raise ValueError(f"voice_ct2_compute must be one of {CT2_COMPUTE_TYPES}, not {self.voice_ct2_compute!r}")
        for name in ("voice_ct2_threads", "face_threads", "tf_threads"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int) or v < 1):
                raise ValueError(f"{name} must be a positive integer or None, not {v!r}")
        for name in ("face_model_dir", "voice_model_dir", "text_model_dir"):
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, Path(v))


_lock = threading.Lock()
_current = Settings()


def settings() -> Settings:
    """The settings in force."""
    return _current


def configure(**changes) -> Settings:
    """Change some settings (keyword names of :class:`Settings`; None/empty values are ignored,
    so ``configure(**{k: config.get(k)})`` keeps defaults for missing keys). Returns the result."""
    global _current
    unknown = set(changes) - {f.name for f in dataclasses.fields(Settings)}
    if unknown:
        raise TypeError(f"unknown ml settings: {sorted(unknown)}")
    given = {k: v for k, v in changes.items() if v is not None and v != ""}
    with _lock:
        _current = dataclasses.replace(_current, **given)
        return _current


def reset() -> Settings:
    """Back to the defaults (tests)."""
    global _current
    with _lock:
        _current = Settings()
        return _current


M_ARENA_MAX = -8  # glibc's mallopt parameter numbers
M_MMAP_THRESHOLD = -3


def cpu_info() -> tuple[str, frozenset]:
    """(model name, flags) of this machine's CPU from /proc/cpuinfo; ("", frozenset()) where it cannot be read.
    What the models' speed and precision depend on: bfloat16 training (``ml.face.cpu_has_bf16``) and the int8
    face graph's speed (VNNI; ``bench.cpu_name``)."""
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read().splitlines()
    except OSError:
        return "", frozenset()
    name = next((ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")), "")
    flags = next((ln.split(":", 1)[1].split() for ln in info if ln.startswith("flags")), [])
    return name, frozenset(flags)


def _mallopt(param: int, value: int) -> bool:
    """glibc's ``mallopt(param, value)``; False where the C library is not glibc (or refuses)."""
    import ctypes
    import ctypes.util
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(ctypes.c_int(param), ctypes.c_int(int(value))))
    except (OSError, AttributeError):
        return False


def fix_mmap_threshold(nbytes: int = 4 << 20) -> bool:
    """Serve every allocation of at least ``nbytes`` with its own mmap, returned to the system
    when freed (``mallopt(M_MMAP_THRESHOLD, nbytes)``, as MALLOC_MMAP_THRESHOLD_ would). By
    default glibc raises the threshold each time such a block is freed, up to 32 MB, after which
    the models' large temporary arrays (attention scores, feed-forward activations, decoded
    frames) come from the heap and stay resident after use: a job worker held ~70 MB more
    (``python -m bench.video``: rss_mb 1,564 against 1,494 MB). True if applied; False where the
    C library is not glibc. The job worker calls it with ``WORKER_MMAP_THRESHOLD_KB``."""
    if not 1 <= nbytes <= 32 << 20:
        raise ValueError(f"nbytes must be within 1..{32 << 20} (glibc's maximum), got {nbytes}")
    return _mallopt(M_MMAP_THRESHOLD, nbytes)


def limit_malloc_arenas(n: int = 2) -> bool:
    """Cap glibc's malloc arenas at ``n`` (``mallopt(M_ARENA_MAX, n)``), as the environment
    variable MALLOC_ARENA_MAX would, but from inside the process: call it before the model
    threads start. By default glibc keeps up to 8 arenas per core, one per thread that
    allocates, and each keeps freed memory: with TensorFlow's (before 2026-12-03), onnxruntime's and
    the channel lanes' threads, a job worker held ~70 MB more (``python -m bench.video``: rss_mb 1,446 against
    1,377 MB). True if applied; False where the C library is not glibc (nothing changes). The
    job worker calls it with ``WORKER_MALLOC_ARENAS`` (webapp/config.py)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    return _mallopt(M_ARENA_MAX, n)
