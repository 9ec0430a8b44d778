"""Big Five estimate for one text (or many) with the committed weights.

    from ml.text.predict import predict
    predict("I love meeting new people ...")
    # {"EXT": 0.61, "NEU": 0.42, "AGR": 0.55, "CON": 0.48, "OPN": 0.66}

Each value is the model's probability that the trait is high ('y' in the essays
data). The model is loaded once per process and per directory, then cached.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterable

import numpy as np

from ml.text import MODEL_DIR, TRAITS
from ml.text.features import Preprocessor

MODEL_FILE = "model.keras"
PREPROCESS_FILE = "preprocess.json"

_CACHE: dict[str, tuple] = {}
_LOCK = threading.Lock()


def load(model_dir: Path | str | None = None):
    """(keras model, Preprocessor) for ``model_dir`` (default data/models/text), cached."""
    key = str(Path(model_dir or MODEL_DIR).resolve())
    with _LOCK:
        if key not in _CACHE:
            d = Path(key)
            if not (d / MODEL_FILE).exists():
                raise FileNotFoundError(f"no text model in {d} (train: python -m ml.text.train)")
            import os
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            import keras
            model = keras.models.load_model(d / MODEL_FILE, compile=False)
            _CACHE[key] = (model, Preprocessor.load(d / PREPROCESS_FILE))
        return _CACHE[key]


def predict_proba(texts: Iterable[str], model_dir=None, batch_size: int = 64) -> np.ndarray:
    """float32 [n, 5] probabilities, columns in ``TRAITS`` order."""
    texts = ["" if t is None else str(t) for t in texts]
    if not texts:
        return np.zeros((0, len(TRAITS)), np.float32)
    model, pre = load(model_dir)
    out = []
    for i in range(0, len(texts), batch_size):
        x = pre.transform(texts[i:i + batch_size])
        out.append(np.asarray(model(x, training=False), dtype=np.float32))
    return np.concatenate(out, 0)


def predict_many(texts: Iterable[str], model_dir=None) -> list[dict]:
    """One ``{"EXT": p, ...}`` dict per text."""
    probs = predict_proba(texts, model_dir)
    return [{t: float(round(float(p), 4)) for t, p in zip(TRAITS, row)} for row in probs]


def predict(text: str, model_dir=None) -> dict:
    """``{"EXT": p, "NEU": p, "AGR": p, "CON": p, "OPN": p}``, p = P(trait is high)."""
    return predict_many([text], model_dir)[0]
