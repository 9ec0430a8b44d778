"""Facial-expression recognition (FER2013-style 48x48 grayscale crops).

Importing this package is light: no TensorFlow, no OpenCV.  The heavy modules
are ``model``, ``train``, ``predict`` (TensorFlow) and ``detect`` (OpenCV).

The shipped model may be an ensemble: ``data/models/face/ensemble.json`` lists
member ``.keras`` files whose probabilities are averaged (written by
``python -m ml.face.ensemble``); without it, ``face_cnn.keras`` alone is used.
"""
import functools
import json
from pathlib import Path

CLASS_NAMES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
NUM_CLASSES = len(CLASS_NAMES)
IMG_SIZE = 48
MODEL_FILENAME = "face_cnn.keras"
ENSEMBLE_FILENAME = "ensemble.json"


def model_dir():
    from ml import MODELS_DIR
    return MODELS_DIR / "face"


def model_path():
    """The first (or only) member; its presence means the face model is installed."""
    return model_dir() / MODEL_FILENAME


def ensemble_config() -> dict:
    """``{"members": [file, ...], "tta_flip": bool}`` from ensemble.json, or the single model."""
    path = model_dir() / ENSEMBLE_FILENAME
    if path.exists():
        cfg = json.loads(path.read_text())
        return {"members": list(cfg["members"]), "tta_flip": bool(cfg.get("tta_flip", True))}
    return {"members": [MODEL_FILENAME], "tta_flip": True}


def shipped_model(model_file=None) -> tuple[list, bool]:
    """``(member paths, default test-time flip)``: the given file alone (flip on), else the
    members and flip setting of ensemble.json (read once per call)."""
    if model_file is not None:
        return [Path(model_file)], True
    cfg = ensemble_config()
    return [model_dir() / name for name in cfg["members"]], cfg["tta_flip"]


def training_info_path(member_file: str = MODEL_FILENAME):
    """Where ``ml.face.train --export`` records how a member was trained."""
    return model_dir() / ("training_info.json" if member_file == MODEL_FILENAME
                          else f"training_info_{member_file.removesuffix('.keras')}.json")


def training_info(member_file: str = MODEL_FILENAME) -> dict:
    """The member's training record, or ``{}`` when it has none."""
    path = training_info_path(member_file)
    return json.loads(path.read_text()) if path.exists() else {}


@functools.lru_cache(maxsize=None)
def cpu_has_bf16() -> bool:
    """True on CPUs with native bfloat16 arithmetic (AVX512-BF16 or AMX)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
        return "avx512_bf16" in flags or "amx_bf16" in flags
    except OSError:
        return False


def inference_precision() -> str:
    """``FACE_PRECISION`` (float32 | bfloat16 | auto): auto is bfloat16 where the CPU has it."""
    import os
    choice = os.environ.get("FACE_PRECISION", "auto").strip().lower()
    if choice in ("float32", "bfloat16"):
        return choice
    return "bfloat16" if cpu_has_bf16() else "float32"
