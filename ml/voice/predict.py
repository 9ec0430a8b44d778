"""Vocal-emotion inference: whole clips and sliding windows over long answers.

    from ml.voice.predict import predict, predict_windows
    predict(wave, 16000)            -> {"neutral": p, "calm": p, ...}      (sums to 1)
    predict_windows(wave, 16000)    -> [{"start": 0.0, "end": 2.0, "silent": False, "probs": {...}}, ...]

The Whisper encoder runs once per 30 s chunk of the recording; every window's
features are a slice of those encoder frames, so a 60 s answer costs two encoder
passes however many windows there are. Models are loaded once per process.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np

from ml.voice import CLASS_NAMES, MODEL_DIR, SAMPLE_RATE
from ml.voice.audio import to_mono_16k

SILENT_ACTIVE_FRACTION = 0.1   # a window with < 10 % speech-energy frames is "silent"

_lock = threading.Lock()
_models: dict = {}


def load_model(model_dir: Path | str | None = None):
    """Keras head for ``model_dir`` (default data/models/voice), built and cached once."""
    model_dir = Path(model_dir or os.environ.get("VOICE_MODEL_DIR", MODEL_DIR))
    key = str(model_dir.resolve())
    with _lock:
        if key not in _models:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            import tensorflow as tf

            from ml.voice.model import build_model

            cfg = json.loads((model_dir / "config.json").read_text())
            if list(cfg.get("class_names", CLASS_NAMES)) != list(CLASS_NAMES):
                raise ValueError(f"{model_dir}: class names do not match ml.voice.CLASS_NAMES")
            model = build_model(cfg["model_cfg"], cfg["norm_mean"], cfg["norm_std"])
            model.load_weights(model_dir / "voice_head.weights.h5")
            fn = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
            _models[key] = (model, fn)
    return _models[key]


def _probs_batch(frames_list, model_dir=None) -> np.ndarray:
    import tensorflow as tf

    _, fn = load_model(model_dir)
    out = np.zeros((len(frames_list), len(CLASS_NAMES)), np.float32)
    by_len: dict = {}
    for i, f in enumerate(frames_list):
        by_len.setdefault(f.shape[0], []).append(i)
    for _, ii in by_len.items():
        x = np.stack([frames_list[i] for i in ii]).astype(np.float32)
        out[ii] = fn(tf.constant(x)).numpy()
    out /= out.sum(1, keepdims=True)
    return out


def _as_dict(p) -> dict:
    return {c: float(v) for c, v in zip(CLASS_NAMES, p)}


def predict(waveform, sample_rate: int = SAMPLE_RATE, model_dir=None) -> dict:
    """Class probabilities for one clip (any length; > 30 s clips use all chunks)."""
    from ml.voice import features as F

    wave = to_mono_16k(waveform, sample_rate)
    if wave.size == 0:
        raise ValueError("empty waveform")
    frames = F.encode(wave)
    return _as_dict(_probs_batch([frames], model_dir)[0])


def window_spans(duration: float, window: float = 2.0, hop: float = 1.0):
    """(start, end) spans covering [0, duration]; the last one may be shorter than ``window``."""
    if window <= 0 or hop <= 0:
        raise ValueError("window and hop must be positive")
    spans, s = [], 0.0
    while True:
        spans.append((round(s, 3), round(min(s + window, duration), 3)))
        s += hop
        if s >= duration or s + window >= duration + hop - 1e-9:
            break
    return spans


def predict_windows(waveform, sample_rate: int = SAMPLE_RATE, window: float = 2.0, hop: float = 1.0,
                    model_dir=None) -> list[dict]:
    """Per-window probabilities; windows without speech energy get ``silent=True, probs=None``."""
    from ml.voice import features as F
    from ml.voice import metrics as M

    wave = to_mono_16k(waveform, sample_rate)
    duration = wave.size / SAMPLE_RATE
    if wave.size == 0:
        return []
    db = M.frame_db(wave)
    active = M.active_mask(db)
    fhop = M.HOP / SAMPLE_RATE
    spans = window_spans(duration, window, hop)
    out, todo = [], []
    for s, e in spans:
        a, b = int(s / fhop), max(int(s / fhop) + 1, int(np.ceil(e / fhop)))
        frac = float(active[a:b].mean()) if b > a and a < active.size else 0.0
        silent = frac < SILENT_ACTIVE_FRACTION
        out.append({"start": s, "end": e, "silent": silent, "probs": None})
        if not silent:
            todo.append(len(out) - 1)
    if todo:
        enc = F.encode(wave)
        chunks = [enc[F.frame_slice(out[i]["start"], out[i]["end"], enc.shape[0])] for i in todo]
        probs = _probs_batch(chunks, model_dir)
        for i, p in zip(todo, probs):
            out[i]["probs"] = _as_dict(p)
    return out


def aggregate(windows: list[dict]) -> dict | None:
    """Mean probabilities over the non-silent windows (None if all are silent)."""
    ps = [np.array([w["probs"][c] for c in CLASS_NAMES]) for w in windows if w.get("probs")]
    if not ps:
        return None
    return _as_dict(np.mean(ps, axis=0))
