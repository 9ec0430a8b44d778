"""Facial-expression recognition (FER2013-style 48x48 grayscale crops).

Importing this package is light: no TensorFlow, no OpenCV.  ``model``, ``train`` and
``export`` use TensorFlow; ``predict`` runs the exported ONNX graph (onnxruntime), ``detect``
uses OpenCV and dlib.

The shipped model is one network, named with its test-time views in
``data/models/face/model.json`` (``{"file": "face_cnn_d.keras", "tta": "flip-zoom", ...}``).
"""
import functools
import json
from pathlib import Path

CLASS_NAMES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
NUM_CLASSES = len(CLASS_NAMES)
IMG_SIZE = 48
SHIPPED_FILENAME = "model.json"

# Test-time augmentation: the views of a crop whose probabilities are averaged. A view is
# (zoom, mirrored); zoom z > 1 takes the central round(48 / z) pixels and resizes them back
# to 48x48 (``features.tta_view``).
TTA_MODES = {
    "none": ((1.0, False),),
    "flip": ((1.0, False), (1.0, True)),
    "zoom-mirror": ((1.0, False), (1.1, True)),
    "flip-zoom": ((1.0, False), (1.0, True), (1.1, False), (1.1, True)),
}


def tta_mode(value) -> str:
    """A TTA mode name from a name or a bool (True: "flip", False: "none")."""
    if isinstance(value, bool):
        return "flip" if value else "none"
    if value not in TTA_MODES:
        raise ValueError(f"unknown test-time augmentation {value!r}; one of {sorted(TTA_MODES)}")
    return value


def model_dir() -> Path:
    """data/models/face, or ``ml.configure(face_model_dir=...)``."""
    from ml import MODELS_DIR
    from ml.runtime import settings
    return settings().face_model_dir or MODELS_DIR / "face"


def shipped() -> dict:
    """model.json: ``{"file": name under model_dir(), "tta": mode, ...}`` (read on each call)."""
    cfg = json.loads((model_dir() / SHIPPED_FILENAME).read_text())
    return {**cfg, "file": str(cfg["file"]), "tta": tta_mode(cfg["tta"])}


def model_path() -> Path:
    """The shipped network's file; its presence means the face model is installed."""
    try:
        return model_dir() / shipped()["file"]
    except FileNotFoundError:
        return model_dir() / SHIPPED_FILENAME  # missing: callers test .exists()


def graph_path() -> Path:
    """The ONNX graph the job worker runs for the shipped network: model.json's ``graph``
    (``ml.face.export``; the int8 graph), else the float32 ``.onnx`` beside the network."""
    cfg = shipped()
    return model_dir() / (cfg.get("graph") or Path(cfg["file"]).with_suffix(".onnx").name)


def training_info_path(model_file=None) -> Path:
    """Where ``ml.face.train --export`` records how a network was trained:
    ``training_info_<stem>.json`` beside it (default: the shipped network)."""
    name = Path(model_file).name if model_file is not None else shipped()["file"]
    return model_dir() / f"training_info_{name.removesuffix('.keras')}.json"


def training_info(model_file=None) -> dict:
    """The network's training record, or ``{}`` when it has none."""
    path = training_info_path(model_file)
    return json.loads(path.read_text()) if path.exists() else {}


@functools.lru_cache(maxsize=None)
def cpu_has_bf16() -> bool:
    """True on CPUs with native bfloat16 arithmetic (AVX512-BF16 or AMX): training runs in
    mixed bfloat16 there (``ml.face.train --precision auto``)."""
    from ml.runtime import cpu_info
    return bool(cpu_info()[1] & {"avx512_bf16", "amx_bf16"})


def class_offsets(cfg: dict | None = None):
    """Per-class additive offsets to the log-probabilities (float64 [7], CLASS_NAMES order)
    from model.json's ``class_offsets`` (``{"fear": 0.4}``; missing classes 0). They shift the
    network's class priors after test-time averaging (``ml.face.offsets`` chose them on the
    validation part of Training); without the entry, zeros."""
    import numpy as np
    cfg = shipped() if cfg is None else cfg
    given = cfg.get("class_offsets") or {}
    unknown = set(given) - set(CLASS_NAMES)
    if unknown:
        raise ValueError(f"class_offsets names unknown classes {sorted(unknown)}")
    out = np.array([float(given.get(c, 0.0)) for c in CLASS_NAMES], np.float64)
    if not np.isfinite(out).all():
        raise ValueError(f"class_offsets must be finite numbers, got {given}")
    return out
