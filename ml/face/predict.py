"""Inference for the facial-expression CNN.

    from ml.face.predict import predict, grad_cam, class_activation_map
    p = predict(crops)              # crops: uint8 [n,48,48] (or a list, or one 48x48 crop)
    p.values                        # float32 [n, 7], columns ml.face.CLASS_NAMES; np.asarray(p) too
    p.argmax_labels(), p.as_dicts()
    cam = grad_cam(crop)            # (class_index, 48x48 float32 heat map in [0, 1])
    class_activation_map(crop)      # just the heat map (what ml.video.heatmap_png draws)

The shipped network, the graph that runs it and its test-time views are named in
data/models/face/model.json: an ONNX graph with int8 convolutions (``ml.face.export --int8``),
run in onnxruntime, without TensorFlow.
Predictions average the views' probabilities, and Grad-CAM explains the class those
averaged probabilities pick, averaged over the same views. Models are loaded once per
process through :mod:`ml.registry`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ml import registry
from ml.face import CLASS_NAMES, IMG_SIZE, TTA_MODES, class_offsets, graph_path, model_path, shipped, tta_mode
from ml.face.features import to_model_input, tta_views
from ml.types import Probabilities

BATCH_SIZE = 64


def _resolve(model_file) -> Path:
    path = Path(model_file) if model_file is not None else model_path()
    if not path.exists():
        raise FileNotFoundError(f"face model not found: {path} (train with python -m ml.face.train)")
    return path.resolve()


def onnx_path(model_file=None) -> Path:
    """The ONNX graph that runs a network: for the shipped one, model.json's ``graph``
    (``ml.face.graph_path``); for ``model_file``, the file itself if it is a graph, else the
    float32 ``.onnx`` beside the ``.keras`` file (``python -m ml.face.export`` writes both)."""
    if model_file is None:
        return graph_path().resolve()
    path = _resolve(model_file)
    return path if path.suffix == ".onnx" else path.with_suffix(".onnx")


def graph_precision(model_file=None) -> str:
    """"int8" for a graph with quantized convolutions (``*.int8.onnx``), else "float32"."""
    return "int8" if onnx_path(model_file).name.endswith(".int8.onnx") else "float32"


def load_model(model_file: str | os.PathLike | None = None):
    """The onnxruntime session of a network (default: the shipped one), loaded once per process.

    It runs an ONNX graph of ``ml.face.export`` (BatchNorm folded): :func:`onnx_path`. A
    ``.keras`` network without one (a candidate from ``ml.face.train``) is exported in memory
    first, which needs TensorFlow and ``onnx``: the job worker, which runs the shipped graph,
    imports neither."""
    graph = onnx_path(model_file)
    if model_file is None and not graph.exists():
        raise FileNotFoundError(f"face model not found: {graph} (python -m ml.face.export --int8 writes it)")
    from ml.runtime import settings
    threads = settings().face_threads

    def load():
        import onnxruntime as ort
        if graph.exists():
            source = str(graph)
        else:
            path = _resolve(model_file)
            import keras

            from ml.face.export import build_graph, folded_weights
            source = build_graph(folded_weights(keras.models.load_model(path, compile=False))).SerializeToString()
        options = ort.SessionOptions()
        options.log_severity_level = 3
        # the sound's lane (CTranslate2) runs beside it: a bounded pool that sleeps when idle
        options.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    return registry.get(("face", "onnx", str(graph), threads), load)


def _run(session, x: np.ndarray, outputs) -> list[np.ndarray]:
    return session.run(outputs, {"face": np.ascontiguousarray(x, np.float32)})


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


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
            offsets=None) -> Probabilities:
    """Class probabilities of 48x48 gray crops: ``Probabilities`` with ``CLASS_NAMES`` and
    values ``[n, 7]`` (each row sums to 1).

    The probabilities of each crop's test-time views are averaged: ``tta`` is a mode of
    ``ml.face.TTA_MODES`` (True = "flip", False = "none"); by default the shipped one
    (model.json). ``model_file`` replaces the shipped network (a ``.keras`` or ``.onnx`` file).
    Then the class offsets are applied (:func:`adjust`, offsets from :func:`resolve_offsets`):
    by default the shipped ones for the shipped network and none for another ``model_file``;
    ``offsets=False`` gives the network's own averaged probabilities."""
    x = to_model_input(face_crops)
    if len(x) == 0:
        return Probabilities(CLASS_NAMES, np.zeros((0, len(CLASS_NAMES)), np.float32))
    mode = _default_tta(tta)
    n_views = len(TTA_MODES[mode])
    session = load_model(model_file)
    out = []
    for i in range(0, len(x), batch_size):
        batch = x[i:i + batch_size]
        xb = tta_views(batch, mode)  # one call on all views of the batch, view-major
        (logits,) = _run(session, xb, ["logits"])
        out.append(_softmax(logits).reshape(n_views, len(batch), -1).mean(axis=0))
    probs = adjust(np.concatenate(out), resolve_offsets(offsets, model_file)).astype(np.float32)
    return Probabilities(CLASS_NAMES, probs / probs.sum(axis=1, keepdims=True))


class GradCam(NamedTuple):
    class_index: int        # the class explained (index into CLASS_NAMES)
    heatmap: np.ndarray     # 48x48 float32 in [0, 1], on the crop's own pixels


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


def grad_cam(crop, class_index: int | None = None, tta: str | bool | None = None, model_file=None) -> GradCam:
    """Grad-CAM of one crop, averaged over the same test-time views as :func:`predict`.

    The class explained is ``class_index`` or, by default, the arg-max of ``predict(crop)`` with
    the same ``tta``/``model_file`` (the class the shown probabilities name). Each view's map
    (last convolutional block; the gradient of the class's logit comes from the graph's
    ``cam_weights``, exact, see ``ml.face.export``) is computed for that class,
    resized to 48x48, scaled to a maximum of 1, mapped back onto the crop (un-mirrored,
    un-zoomed), then the maps are averaged and scaled to [0, 1]."""
    import cv2

    x = to_model_input(crop)[:1]
    mode = _default_tta(tta)
    if class_index is None:
        class_index = int(predict(x, tta=mode, model_file=model_file).argmax()[0])
    class_index = int(class_index)
    if not 0 <= class_index < len(CLASS_NAMES):
        raise ValueError(f"class_index must be in 0..{len(CLASS_NAMES) - 1}, got {class_index}")
    views = TTA_MODES[mode]
    features, weights = _run(load_model(model_file), tta_views(x, mode), ["features", "cam_weights"])
    # [V, h, w, C] x [V, C]: each view's channels weighted by d logit / d channel (Grad-CAM), then ReLU
    cams = np.maximum(np.einsum("vhwc,vc->vhw", features, weights[:, :, class_index]), 0)
    total = np.zeros((IMG_SIZE, IMG_SIZE), np.float32)
    for (zoom, mirror), cam in zip(views, cams):
        cam = np.maximum(cv2.resize(cam.astype(np.float32), (IMG_SIZE, IMG_SIZE), interpolation=cv2.INTER_CUBIC), 0)
        m = cam.max()
        if m > 0:
            total += _view_map_to_crop(cam / m, zoom, mirror)
    m = total.max()
    return GradCam(class_index, (total / m if m > 0 else total).astype(np.float32))


def class_activation_map(crop, class_index: int | None = None, model_file=None,
                         tta: str | bool | None = None) -> np.ndarray:
    """The heat map of :func:`grad_cam` (48x48 float32 in [0, 1]); by default it explains the
    arg-max of the test-time-averaged probabilities, as ``predict`` shows them."""
    return grad_cam(crop, class_index, tta=tta, model_file=model_file).heatmap
