"""Inference for the facial-expression CNN.

    from ml.face.predict import predict, predict_labelled, class_activation_map
    probs = predict(crops)            # crops: uint8 [N,48,48] (or list of 48x48) -> [N,7]
    predict_labelled(crops)           # -> [{"angry": p, ...}, ...]
    class_activation_map(crop)        # -> 48x48 float32 Grad-CAM heat map in [0, 1]

The model (data/models/face/face_cnn.keras, or the members listed in
data/models/face/ensemble.json, whose probabilities are averaged) is loaded once
per process and cached.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from ml.face import CLASS_NAMES, IMG_SIZE, TTA_MODES, inference_precision, model_path, shipped_model, tta_mode
from ml.face.features import to_model_input, tta_views

BATCH_SIZE = 64

_lock = threading.Lock()
_cache: dict = {}


def load_model(path: str | os.PathLike | None = None):
    """Load (once) and return ``(keras_model, compiled_forward_fn)``.

    The weights are float32. The forward function runs an inference copy with the
    BatchNorms folded into the convolutions (``ml.face.model.build_inference_model``),
    in bfloat16 where the CPU computes it natively (see ``FACE_PRECISION`` and the
    model card for its measured accuracy). The Keras model returned is the original
    (for Grad-CAM)."""
    path = Path(path) if path is not None else model_path()
    key = (str(path.resolve()), inference_precision())
    with _lock:
        if key not in _cache:
            if not path.exists():
                raise FileNotFoundError(f"face model not found: {path} (train with python -m ml.face.train)")
            import tensorflow as tf
            import keras
            model = keras.models.load_model(path, compile=False)
            fast = _inference_copy(model, key[1])
            fn = tf.function(lambda x: fast(x, training=False), reduce_retracing=True,
                             input_signature=[tf.TensorSpec([None, IMG_SIZE, IMG_SIZE, 1], tf.float32)])
            _cache[key] = (model, fn)
        return _cache[key]


def _inference_copy(model, precision: str):
    """The network with BatchNorm folded, in float32 or mixed bfloat16 (outputs float32);
    the model itself if it is not one of ``ml.face.model.VARIANTS``."""
    from ml.face.model import VARIANTS, build_inference_model
    if model.name.removeprefix("face_") not in VARIANTS:
        return model
    return build_inference_model(model, "mixed_bfloat16" if precision == "bfloat16" else "float32")


def load_members(model_file=None) -> list:
    """``[(keras_model, forward_fn), ...]``: the given file alone, else the shipped members."""
    return [load_model(p) for p in shipped_model(model_file)[0]]


def predict(face_crops, tta: str | bool | None = None, batch_size: int = BATCH_SIZE, model_file=None) -> np.ndarray:
    """Class probabilities ``[N, 7]`` (order ``CLASS_NAMES``) for 48x48 gray crops.

    The members' probabilities are averaged, and so are those of each crop's test-time
    views: ``tta`` is a mode of ``ml.face.TTA_MODES`` (True = "flip", False = "none");
    by default the one in ensemble.json ("flip" for a single model)."""
    x = to_model_input(face_crops)
    if len(x) == 0:
        return np.zeros((0, len(CLASS_NAMES)), np.float32)
    paths, shipped_tta = shipped_model(model_file)
    mode = tta_mode(shipped_tta if tta is None else tta)
    n_views = len(TTA_MODES[mode])
    members = [load_model(p) for p in paths]
    out = []
    for i in range(0, len(x), batch_size):
        batch = x[i:i + batch_size]
        n = len(batch)
        xb = tta_views(batch, mode)  # one call on all views of the batch
        p = np.zeros((n, len(CLASS_NAMES)), np.float64)
        for _, fn in members:
            p += fn(xb).numpy().astype(np.float64).reshape(n_views, n, -1).mean(axis=0)
        out.append(p / len(members))
    probs = np.concatenate(out).astype(np.float32)
    return probs / probs.sum(axis=1, keepdims=True)


def predict_labelled(face_crops, **kw) -> list[dict]:
    """Like :func:`predict` but one ``{label: probability}`` dict per crop."""
    return [{c: float(p) for c, p in zip(CLASS_NAMES, row)} for row in predict(face_crops, **kw)]


def class_activation_map(crop, class_index: int | None = None, model_file=None) -> np.ndarray:
    """Grad-CAM heat map (48x48 float32 in [0, 1]) for one crop.

    Uses each member's last convolutional block and the class the (ensemble)
    prediction picks unless ``class_index`` is given; members' maps are averaged."""
    import tensorflow as tf
    import keras
    import cv2
    from ml.face.model import last_conv_layer_name

    if class_index is None:
        class_index = int(predict(crop, tta="none", model_file=model_file)[0].argmax())
    x = tf.constant(to_model_input(crop)[:1])
    total = np.zeros((IMG_SIZE, IMG_SIZE), np.float32)
    for model, _ in load_members(model_file):
        key = ("cam", id(model))
        with _lock:
            if key not in _cache:
                conv = model.get_layer(last_conv_layer_name(model)).output
                logits = model.get_layer("logits").output
                _cache[key] = keras.Model(model.inputs, [conv, logits])
            cam_model = _cache[key]
        with tf.GradientTape() as tape:
            conv_out, logits = cam_model(x, training=False)
            tape.watch(conv_out)
            score = logits[0, int(class_index)]
        grads = tape.gradient(score, conv_out)
        weights = tf.reduce_mean(grads, axis=(1, 2))               # [1, C]
        cam = tf.nn.relu(tf.reduce_sum(conv_out * weights[:, None, None, :], axis=-1))[0].numpy()
        cam = cv2.resize(cam.astype(np.float32), (IMG_SIZE, IMG_SIZE), interpolation=cv2.INTER_CUBIC)
        cam = np.maximum(cam, 0)
        m = cam.max()
        total += cam / m if m > 0 else 0.0
    m = total.max()
    return (total / m if m > 0 else np.zeros_like(total)).astype(np.float32)
