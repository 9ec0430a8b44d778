"""The shipped Big Five text model: logistic regressions on sentence embeddings (and,
optionally, on words).

No TensorFlow and no pickles: everything is in ``data/models/text/linear.npz`` (NumPy
arrays, strings as unicode arrays) plus the encoder of :mod:`ml.text.embed` (installed from
PyPI).

For a text ``t`` (first :func:`ml.text.normalize.normalize` d: lower case, no punctuation,
no filler sounds), each component listed in the artefact's ``components`` gives a
probability per trait:

* ``mpnet`` (**embedding**): the all-mpnet-base-v2 vector of the text (:mod:`ml.text.embed`),
  standardised with the training mean/std -> one logistic regression per trait -> ``p_embed``;
* ``tfidf`` (**words**): TF-IDF of word 1-2-grams and of character 2-5-grams within words
  (sublinear term frequency, training-set IDF, each block L2-normalised; the analysers are
  scikit-learn's) -> one logistic regression per trait -> ``p_words``.

``p`` is the mean of the components' probabilities, then Platt scaling per trait,
``sigmoid(a * logit(p) + b)``, fitted on out-of-fold probabilities so that a 0.7 is right
about 70% of the time on essays. The shipped model has the embedding component alone (the
mean with the words component scored lower in cross-validation: see the card).
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ml.text.normalize import normalize

ARTEFACT = "linear.npz"
WORD_PARAMS = dict(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b[\w']+\b")
CHAR_PARAMS = dict(analyzer="char_wb", ngram_range=(2, 5))


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _logit(p, eps=1e-6):
    p = np.clip(p, eps, 1 - eps)
    return np.log(p / (1 - p))


def analyzers():
    """scikit-learn's word and character analysers with the model's parameters."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    return (TfidfVectorizer(**WORD_PARAMS).build_analyzer(), TfidfVectorizer(**CHAR_PARAMS).build_analyzer())


def tfidf_block(docs: Sequence[str], analyzer, vocab: dict, idf: np.ndarray):
    """Sparse [n, len(vocab)]: sublinear TF x IDF, rows L2-normalised (as TfidfVectorizer)."""
    from scipy.sparse import csr_matrix
    rows, cols, vals = [], [], []
    for i, d in enumerate(docs):
        counts: dict[int, int] = {}
        for g in analyzer(d):
            j = vocab.get(g)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            continue
        js = np.fromiter(counts.keys(), int)
        v = (1.0 + np.log(np.fromiter(counts.values(), float))) * idf[js]
        v /= np.linalg.norm(v)
        rows.extend([i] * len(js)), cols.extend(js.tolist()), vals.extend(v.tolist())
    return csr_matrix((vals, (rows, cols)), shape=(len(docs), len(vocab)), dtype=np.float64)


class LinearTextModel:
    """The arrays of linear.npz and :meth:`predict_proba`."""

    KEYS = ("traits", "components", "emb_mean", "emb_scale", "emb_coef", "emb_intercept", "platt_a", "platt_b",
            "embed_settings")
    WORD_KEYS = ("word_vocab", "word_idf", "char_vocab", "char_idf", "words_coef", "words_intercept")
    COMPONENTS = ("mpnet", "tfidf")

    def __init__(self, arrays: dict, model_dir: Path | None = None):
        missing = [k for k in self.KEYS if k not in arrays]
        if missing:
            raise ValueError(f"text model arrays lack {missing}: made by an older version, retrain "
                             "(python -m ml.text.train)")
        self.components = tuple(str(c) for c in np.asarray(arrays["components"]))
        if not self.components or set(self.components) - set(self.COMPONENTS) or "mpnet" not in self.components:
            raise ValueError(f"text model components {self.components} are not supported "
                             f"(the embedding 'mpnet', optionally with 'tfidf')")
        keys = self.KEYS + (self.WORD_KEYS if "tfidf" in self.components else ())
        missing = [k for k in keys if k not in arrays]
        if missing:
            raise ValueError(f"text model arrays lack {missing}")
        self.a = {k: np.asarray(arrays[k]) for k in keys}
        from ml.text.embed import settings
        made_with = tuple(int(v) for v in self.a["embed_settings"])
        if made_with != settings():
            raise ValueError(f"text model fitted on MPNet vectors made with (window, max windows, layer) = "
                             f"{made_with}, but ml.text.embed makes {settings()}: retrain (python -m ml.text.train)")
        self.traits = tuple(str(t) for t in self.a["traits"])
        if "tfidf" in self.components:
            self.word_vocab = {str(g): i for i, g in enumerate(self.a["word_vocab"])}
            self.char_vocab = {str(g): i for i, g in enumerate(self.a["char_vocab"])}
            self.word_an, self.char_an = analyzers()
        self.model_dir = model_dir

    @classmethod
    def load(cls, model_dir: Path) -> "LinearTextModel":
        with np.load(Path(model_dir) / ARTEFACT, allow_pickle=False) as z:
            return cls({k: z[k] for k in z.files}, Path(model_dir))

    def save(self, model_dir: Path) -> Path:
        path = Path(model_dir) / ARTEFACT
        np.savez_compressed(path, **self.a)
        return path

    # ------------------------------------------------------------------ the parts
    def words_features(self, norm_texts: Sequence[str]):
        from scipy.sparse import hstack
        return hstack([tfidf_block(norm_texts, self.word_an, self.word_vocab, self.a["word_idf"]),
                       tfidf_block(norm_texts, self.char_an, self.char_vocab, self.a["char_idf"])]).tocsr()

    def p_words(self, norm_texts):
        x = self.words_features(norm_texts)
        return _sigmoid(np.asarray(x @ self.a["words_coef"].T) + self.a["words_intercept"])

    def p_embed(self, emb: np.ndarray):
        z = (np.asarray(emb, float) - self.a["emb_mean"]) / self.a["emb_scale"]
        return _sigmoid(z @ self.a["emb_coef"].T + self.a["emb_intercept"])

    def combine(self, *parts):
        """The mean of the components' probabilities, Platt-scaled per trait."""
        p = np.mean([np.asarray(q, float) for q in parts], 0)
        return _sigmoid(self.a["platt_a"] * _logit(p) + self.a["platt_b"])

    def predict_proba(self, texts: Sequence[str], embed=None) -> np.ndarray:
        """float32 [len(texts), traits]. ``embed(norm_texts) -> [n, 768]`` defaults to
        :func:`ml.text.embed.embed`."""
        norm = [normalize(t) for t in texts]
        if not norm:
            return np.zeros((0, len(self.traits)), np.float32)
        if embed is None:
            from ml.text.embed import embed as default_embed
            emb = default_embed(norm)
        else:
            emb = embed(norm)
        parts = [self.p_embed(emb)] + ([self.p_words(norm)] if "tfidf" in self.components else [])
        return self.combine(*parts).astype(np.float32)
