"""Vocal-emotion inference: clips in a batch, and sliding windows over long answers.

    from ml.voice.predict import predict, predict_frames, predict_windows
    p = predict([wave1, wave2], 16000)   # Probabilities: 8 classes (ml.voice.CLASS_NAMES), [2, 8]
    p.row_dict(0)                        # {"neutral": p, "calm": p, ...}   (each row sums to 1)
    predict_frames([frames])             # the same from Whisper-encoder frames [t, 384]
    predict_windows(wave, 16000)         # [{"start": 0.0, "end": 2.0, "silent": False, "probs": {...}}, ...]

The Whisper encoder runs once per 30 s chunk of the recording; every window's
features are a slice of those encoder frames, so a 60 s answer costs two encoder
passes however many windows there are. Models are loaded once per process
(``ml.registry``); the model directory is ``model_dir`` or ``ml.settings().voice_model_dir``
(default data/models/voice).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ml import registry
from ml.types import Probabilities
from ml.voice import CLASS_NAMES, MODEL_DIR, SAMPLE_RATE
from ml.voice.audio import to_mono_16k
from ml.voice.head import NumpyHead

SILENT_ACTIVE_FRACTION = 0.1   # a window with < 10 % speech-energy frames is "silent"


def _model_dir(model_dir) -> Path:
    from ml.runtime import settings
    return Path(model_dir or settings().voice_model_dir or MODEL_DIR).resolve()


def load_model(model_dir: Path | str | None = None) -> NumpyHead:
    """The voice head of ``model_dir`` (``ml.voice.head.NumpyHead``: NumPy, no TensorFlow),
    built once per process."""
    model_dir = _model_dir(model_dir)

    def load():
        cfg = json.loads((model_dir / "config.json").read_text())
        if list(cfg.get("class_names", CLASS_NAMES)) != list(CLASS_NAMES):
            raise ValueError(f"{model_dir}: class names do not match ml.voice.CLASS_NAMES")
        return NumpyHead.load(model_dir)
    return registry.get(("voice", "head", str(model_dir)), load)


def predict_frames(frames_list, model_dir=None) -> Probabilities:
    """Probabilities (8 classes, rows sum to 1) for a list of encoder-frame arrays ``[t, 384]``
    (``ml.voice.features.encode``); arrays of equal length run in one batch."""
    out = np.zeros((len(frames_list), len(CLASS_NAMES)), np.float32)
    if not len(frames_list):
        return Probabilities(CLASS_NAMES, out)
    head = load_model(model_dir)
    by_len: dict = {}
    for i, f in enumerate(frames_list):
        by_len.setdefault(f.shape[0], []).append(i)
    for _, ii in by_len.items():
        out[ii] = head(np.stack([frames_list[i] for i in ii]).astype(np.float32))
    out /= out.sum(1, keepdims=True)
    return Probabilities(CLASS_NAMES, out)


def predict(waves, sample_rate: int = SAMPLE_RATE, model_dir=None) -> Probabilities:
    """Class probabilities of clips: ``waves`` is a list of waveforms (mono ``[n]`` or
    channels-first ``[c, n]``, any length: > 30 s clips use all their chunks) at ``sample_rate``;
    a single ndarray counts as one clip. One row per clip."""
    from ml.voice import features as F

    if isinstance(waves, np.ndarray):
        waves = [waves]
    frames = []
    for w in waves:
        wave = to_mono_16k(w, sample_rate)
        if wave.size == 0:
            raise ValueError("empty waveform")
        frames.append(F.encode(wave))
    return predict_frames(frames, model_dir)


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
                    model_dir=None, encoded=None) -> list[dict]:
    """Per-window probabilities (``predict_frames`` on slices of one encoding of the whole
    recording); windows without speech energy get ``silent=True, probs=None``. ``encoded``: the
    encoder frames of this (16 kHz) waveform computed elsewhere (``ml.speech.encoder``), an array
    ``[n, 384]`` or a callable returning it (called only when a window holds speech)."""
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
        if encoded is None:
            enc = F.encode(wave)
        else:
            enc = np.asarray(encoded() if callable(encoded) else encoded, dtype=np.float32)
            if enc.shape[0] != F.n_frames(wave.size):
                raise ValueError(f"encoded frames ({enc.shape[0]}) do not cover the waveform ({F.n_frames(wave.size)})")
        chunks = [enc[F.frame_slice(out[i]["start"], out[i]["end"], enc.shape[0])] for i in todo]
        probs = predict_frames(chunks, model_dir)
        for row, i in enumerate(todo):
            out[i]["probs"] = probs.row_dict(row)
    return out


def aggregate(windows: list[dict]) -> dict | None:
    """Mean probabilities over the non-silent windows (None if all are silent)."""
    rows = [[w["probs"][c] for c in CLASS_NAMES] for w in windows if w.get("probs")]
    return Probabilities(CLASS_NAMES, np.array(rows)).mean() if rows else None
