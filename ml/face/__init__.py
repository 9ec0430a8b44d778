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

# Test-time augmentation: the views of a crop whose probabilities are averaged (and
# averaged over the members). A view is (zoom, mirrored); zoom z > 1 takes the central
# round(48 / z) pixels and resizes them back to 48x48 (``features.tta_view``).
TTA_MODES = {
    "none": ((1.0, False),),
    "flip": ((1.0, False), (1.0, True)),
    "zoom-mirror": ((1.0, False), (1.1, True)),
    "flip-zoom": ((1.0, False), (1.0, True), (1.1, False), (1.1, True)),
}
DEFAULT_TTA = "flip"  # a single model, and ensemble.json files that predate the modes


def tta_mode(value) -> str:
    """A TTA mode name from a name or a bool (True: "flip", False: "none")."""
    if isinstance(value, bool):
        return "flip" if value else "none"
    if value not in TTA_MODES:
        raise ValueError(f"unknown test-time augmentation {value!r}; one of {sorted(TTA_MODES)}")
    return value


def model_dir():
    from ml import MODELS_DIR
    return MODELS_DIR / "face"


def model_path():
    """The first (or only) member; its presence means the face model is installed."""
    return model_dir() / MODEL_FILENAME


def ensemble_config() -> dict:
    """``{"members": [file, ...], "tta": mode}`` from ensemble.json, or the single model."""
    path = model_dir() / ENSEMBLE_FILENAME
    if path.exists():
        cfg = json.loads(path.read_text())
        tta = cfg["tta"] if "tta" in cfg else tta_mode(bool(cfg.get("tta_flip", True)))
        return {"members": list(cfg["members"]), "tta": tta_mode(tta)}
    return {"members": [MODEL_FILENAME], "tta": DEFAULT_TTA}


def shipped_model(model_file=None) -> tuple[list, str]:
    """``(member paths, default TTA mode)``: the given file alone (with the flip), else the
    members and TTA mode of ensemble.json (read once per call)."""
    if model_file is not None:
        return [Path(model_file)], DEFAULT_TTA
    cfg = ensemble_config()
    return [model_dir() / name for name in cfg["members"]], cfg["tta"]


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
