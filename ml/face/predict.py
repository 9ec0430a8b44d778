"""Inference for the facial-expression CNN.

    from ml.face.predict import predict, grad_cam, class_activation_map
    p = predict(crops)              # crops: uint8 [n,48,48] (or a list, or one 48x48 crop)
    p.values                        # float32 [n, 7], columns ml.face.CLASS_NAMES; np.asarray(p) too
    p.argmax_labels(), p.as_dicts()
    cam = grad_cam(crop)            # (class_index, 48x48 float32 heat map in [0, 1])
    class_activation_map(crop)      # just the heat map (what ml.video.heatmap_png draws)

The shipped network and its test-time views are named in data/models/face/model.json;
predictions average the views' probabilities, and Grad-CAM explains the class those
averaged probabilities pick, averaged over the same views. Models are loaded once per
process through :mod:`ml.registry`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ml import registry
from ml.face import (CLASS_NAMES, IMG_SIZE, TTA_MODES, class_offsets, inference_precision, model_path, shipped,
                     tta_mode)
from ml.face.features import to_model_input, tta_views
from ml.types import Probabilities

BATCH_SIZE = 64


def _resolve(model_file) -> Path:
    path = Path(model_file) if model_file is not None else model_path()
    if not path.exists():
        raise FileNotFoundError(f"face model not found: {path} (train with python -m ml.face.train)")
    return path.resolve()


def _keras_model(path: Path):
    def load():
        from ml.runtime import apply_tf_threads
        apply_tf_threads()
        import keras
        return keras.models.load_model(path, compile=False)
    return registry.get(("face", "keras", str(path)), load)


def load_model(path: str | os.PathLike | None = None, precision: str | None = None):
    """``(keras_model, compiled_forward_fn)`` for ``path`` (default: the shipped network),
    each loaded once per process.

    The weights are float32. The forward function runs an inference copy with the
    BatchNorms folded into the convolutions (``ml.face.model.build_inference_model``), in
    ``precision`` (float32 | bfloat16 | auto, default ``ml.settings().face_precision``; auto is
    bfloat16 where the CPU computes it natively). The Keras model returned is the original
    (for Grad-CAM)."""
    path = _resolve(path)
    precision = inference_precision(precision)
    model = _keras_model(path)

    def build():
        import tensorflow as tf
        from ml.face.model import VARIANTS, build_inference_model
        fast = (build_inference_model(model, "mixed_bfloat16" if precision == "bfloat16" else "float32")
                if model.name.removeprefix("face_") in VARIANTS else model)  # not a build_model network: as is
        return tf.function(lambda x: fast(x, training=False), reduce_retracing=True,
                           input_signature=[tf.TensorSpec([None, IMG_SIZE, IMG_SIZE, 1], tf.float32)])
    return model, registry.get(("face", "forward", str(path), precision), build)


def _default_tta(tta) -> str:
    return shipped()["tta"] if tta is None else tta_mode(tta)


def adjust(probs: np.ndarray, offsets) -> np.ndarray:
    """``probs`` [n, 7] times ``exp(offsets)`` per class, rows renormalised (a shift of the
    class priors; zeros leave them unchanged)."""
    offsets = np.asarray(offsets, np.float64)
    if offsets.shape != (len(CLASS_NAMES),) or not np.isfinite(offsets).all():
        raise ValueError(f"offsets must be {len(CLASS_NAMES)} finite numbers (CLASS_NAMES order), got {offsets!r}")
    if not offsets.any():
        return np.asarray(probs)
    p = np.asarray(probs, np.float64) * np.exp(offsets)
    return p / p.sum(axis=1, keepdims=True)


def resolve_offsets(offsets, model_file=None) -> np.ndarray:
    """The class offsets :func:`predict` applies: ``offsets`` [7] as given, zeros for ``False``,
    and for ``None`` the shipped ones (``ml.face.class_offsets``) with the shipped network and
    zeros with another ``model_file``."""
    if offsets is None:
        return class_offsets() if model_file is None else np.zeros(len(CLASS_NAMES))
    if offsets is False:
        return np.zeros(len(CLASS_NAMES))
    return np.asarray(offsets, np.float64)


def predict(face_crops, tta: str | bool | None = None, batch_size: int = BATCH_SIZE, model_file=None,
            precision: str | None = None, offsets=None) -> Probabilities:
    """Class probabilities of 48x48 gray crops: ``Probabilities`` with ``CLASS_NAMES`` and
    values ``[n, 7]`` (each row sums to 1).

    The probabilities of each crop's test-time views are averaged: ``tta`` is a mode of
    ``ml.face.TTA_MODES`` (True = "flip", False = "none"); by default the shipped one
    (model.json). ``model_file`` replaces the shipped network, ``precision`` the setting.
    Then the class offsets are applied (:func:`adjust`, offsets from :func:`resolve_offsets`):
    by default the shipped ones for the shipped network and none for another ``model_file``;
    ``offsets=False`` gives the network's own averaged probabilities."""
    x = to_model_input(face_crops)
    if len(x) == 0:
        return Probabilities(CLASS_NAMES, np.zeros((0, len(CLASS_NAMES)), np.float32))
    mode = _default_tta(tta)
    n_views = len(TTA_MODES[mode])
    _, fn = load_model(model_file, precision)
    out = []
    for i in range(0, len(x), batch_size):
        batch = x[i:i + batch_size]
        xb = tta_views(batch, mode)  # one call on all views of the batch, view-major
        out.append(fn(xb).numpy().astype(np.float64).reshape(n_views, len(batch), -1).mean(axis=0))
    probs = adjust(np.concatenate(out), resolve_offsets(offsets, model_file)).astype(np.float32)
    return Probabilities(CLASS_NAMES, probs / probs.sum(axis=1, keepdims=True))


class GradCam(NamedTuple):
    class_index: int        # the class explained (index into CLASS_NAMES)
    heatmap: np.ndarray     # 48x48 float32 in [0, 1], on the crop's own pixels


def _cam_model(path: Path):
    def build():
        import keras
        from ml.face.model import last_conv_layer_name
        model = _keras_model(path)
        conv = model.get_layer(last_conv_layer_name(model)).output
        return keras.Model(model.inputs, [conv, model.get_layer("logits").output])
    return registry.get(("face", "grad-cam", str(path)), build)


def _view_map_to_crop(cam: np.ndarray, zoom: float, mirror: bool) -> np.ndarray:
    """A 48x48 map computed on a test-time view, put back onto the crop's pixels: un-mirrored,
    then (for a zoomed view, which showed the central round(48 / zoom) pixels) shrunk back onto
    that centre; the border the view did not see gets 0."""
    import cv2
    if mirror:
        cam = cam[:, ::-1]
    if zoom == 1.0:
        return np.ascontiguousarray(cam)
    h = int(round(IMG_SIZE / zoom))
    o = (IMG_SIZE - h) // 2
    out = np.zeros((IMG_SIZE, IMG_SIZE), np.float32)
    out[o:o + h, o:o + h] = cv2.resize(np.ascontiguousarray(cam), (h, h), interpolation=cv2.INTER_LINEAR)
    return out


def grad_cam(crop, class_index: int | None = None, tta: str | bool | None = None, model_file=None,
             precision: str | None = None) -> GradCam:
    """Grad-CAM of one crop, averaged over the same test-time views as :func:`predict`.

    The class explained is ``class_index`` or, by default, the arg-max of ``predict(crop)`` with
    the same ``tta``/``model_file``/``precision`` (the class the shown probabilities name). Each
    view's map (last convolutional block, float32 Keras model) is computed for that class,
    resized to 48x48, scaled to a maximum of 1, mapped back onto the crop (un-mirrored,
    un-zoomed), then the maps are averaged and scaled to [0, 1]."""
    import cv2
    import tensorflow as tf

    x = to_model_input(crop)[:1]
    mode = _default_tta(tta)
    if class_index is None:
        class_index = int(predict(x, tta=mode, model_file=model_file, precision=precision).argmax()[0])
    class_index = int(class_index)
    if not 0 <= class_index < len(CLASS_NAMES):
        raise ValueError(f"class_index must be in 0..{len(CLASS_NAMES) - 1}, got {class_index}")
    cam_model = _cam_model(_resolve(model_file))
    views = TTA_MODES[mode]
    xv = tf.constant(tta_views(x, mode))                          # [V, 48, 48, 1]
    with tf.GradientTape() as tape:
        conv_out, logits = cam_model(xv, training=False)
        score = tf.reduce_sum(logits[:, class_index])              # views are independent
    grads = tape.gradient(score, conv_out)
    weights = tf.reduce_mean(grads, axis=(1, 2))                   # [V, C]
    cams = tf.nn.relu(tf.reduce_sum(conv_out * weights[:, None, None, :], axis=-1)).numpy()
    total = np.zeros((IMG_SIZE, IMG_SIZE), np.float32)
    for (zoom, mirror), cam in zip(views, cams):
        cam = np.maximum(cv2.resize(cam.astype(np.float32), (IMG_SIZE, IMG_SIZE), interpolation=cv2.INTER_CUBIC), 0)
        m = cam.max()
        if m > 0:
            total += _view_map_to_crop(cam / m, zoom, mirror)
    m = total.max()
    return GradCam(class_index, (total / m if m > 0 else total).astype(np.float32))


def class_activation_map(crop, class_index: int | None = None, model_file=None, tta: str | bool | None = None,
                         precision: str | None = None) -> np.ndarray:
    """The heat map of :func:`grad_cam` (48x48 float32 in [0, 1]); by default it explains the
    arg-max of the test-time-averaged probabilities, as ``predict`` shows them."""
    return grad_cam(crop, class_index, tta=tta, model_file=model_file, precision=precision).heatmap
