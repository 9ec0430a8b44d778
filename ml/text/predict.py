"""Big Five estimate for texts with the committed model.

    from ml.text.predict import predict
    p = predict(["I love meeting new people ...", "I worry a lot ..."])
    p.classes                      # ("EXT", "NEU", "AGR", "CON", "OPN")
    p.values                       # float32 [2, 5]
    p.row_dict(0)                  # {"EXT": 0.61, "NEU": 0.42, "AGR": 0.55, "CON": 0.48, "OPN": 0.66}

**Multi-label**: each value is the model's calibrated probability that that trait is high
('y' in the essays data); the five values of a row are independent and do not sum to 1
(``Probabilities.multi_label`` is True), so ``argmax_labels`` means "the trait most likely
high", not a class.

The model (:mod:`ml.text.linear`: all-mpnet-base-v2 sentence embeddings + logistic
regression, Platt-scaled) reads the text lower-cased without
punctuation or filler sounds (:func:`ml.text.normalize.normalize`), so a typed answer and
the speech channel's transcript of the same words get the same estimate.

One text is a list of one (``predict([text]).row_dict(0, STORED_DIGITS)``, as ``ml.analysis`` and
``ml.channels.speech`` store an answer's estimate); a bare string is refused, not read letter by letter.
The model is loaded once per process and per directory through ``ml.registry``; the
directory is ``model_dir`` or ``ml.settings().text_model_dir`` (default data/models/text).
No TensorFlow is imported.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

from ml import registry
from ml.text import MODEL_DIR, TRAITS
from ml.types import Probabilities

BATCH_SIZE = 64
#: the decimals an answer's stored estimate keeps (its result's ``big5``; its scores are x100 of these)
STORED_DIGITS = 4


def model_dir_of(model_dir: Path | str | None = None) -> Path:
    from ml.runtime import settings
    return Path(model_dir or settings().text_model_dir or MODEL_DIR).resolve()


def load(model_dir: Path | str | None = None):
    """The :class:`ml.text.linear.LinearTextModel` of ``model_dir``, loaded once per process
    (its MPNet encoder too, on first use)."""
    from ml.text.linear import ARTEFACT, LinearTextModel
    d = model_dir_of(model_dir)

    def load_now():
        if not (d / ARTEFACT).exists():
            raise FileNotFoundError(f"no text model in {d} (train: python -m ml.text.train)")
        model = LinearTextModel.load(d)
        if model.traits != TRAITS:
            raise ValueError(f"{d / ARTEFACT} has traits {model.traits}, expected {TRAITS}")
        return model
    return registry.get(("text", "linear", str(d)), load_now)


def _predict_batch(texts: Iterable[str], model_dir=None, batch_size: int = BATCH_SIZE) -> Probabilities:
    texts = ["" if t is None else str(t) for t in texts]
    if not texts:
        return Probabilities(TRAITS, np.zeros((0, len(TRAITS)), np.float32), multi_label=True)
    model = load(model_dir)
    out = [model.predict_proba(texts[i:i + batch_size]) for i in range(0, len(texts), batch_size)]
    return Probabilities(TRAITS, np.concatenate(out, 0), multi_label=True)


def predict(texts, model_dir=None, batch_size: int = BATCH_SIZE):
    """P(trait is high) for each text: ``Probabilities`` over ``TRAITS`` (multi-label, see the
    module docstring) with one row per text of the list ``texts``. A single string is a TypeError: it was once
    a call of its own, returning a rounded dict unlike every other model (an architecture review), and read as a
    list it would be one text per letter."""
    if isinstance(texts, str):
        raise TypeError("predict takes a list of texts: predict([text]).row_dict(0) for one")
    return _predict_batch(texts, model_dir, batch_size)
