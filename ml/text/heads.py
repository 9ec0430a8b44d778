"""Other classifiers on the shipped text features, against the shipped logistic regression.

    python -m ml.text.heads          # about 10 minutes on 2 cores with the layer vectors cached

Features: the shipped ones (all-mpnet-base-v2 after layer ``ml.text.embed.LAYER``, 128-word-piece
windows, mean-pooled and averaged per essay; read from the cache of ``python -m ml.text.layers``
(layers 4-8), computed first if missing), standardised inside each fold. Through the card's 2 x 5 folds
(``ml.text.cv.folds``), the mean accuracy of:

* ``shipped``: a logistic regression per trait, C = 0.0005;
* ``stack``: the shipped regression, then a second logistic regression per trait on the five
  traits' out-of-fold decision values (inner 5-fold on the outer training part), C2 = 0.1, 1, 10
  (the traits are correlated; this lets one trait's evidence inform another's);
* ``lda``: linear discriminant analysis per trait with Ledoit-Wolf shrinkage;
* ``pca_lr``: PCA whitening to 128 or 256 components, then the logistic regression, C = 0.0005,
  0.001, 0.003.

On 2026-12-04, under a rule written before the run (adopt one only if its best setting beat 0.5995
on these folds, then again on new folds, and the nested estimate gained 0.002): shipped 0.5995;
stack 0.5955 / 0.5972 / 0.5973; lda 0.5595; pca_lr 0.5797 / 0.5836 / 0.5854 (128 components) and
0.5741 / 0.5763 / 0.5744 (256). The rule failed at its first step; the shipped head stays.
One JSON line per setting on stdout.
"""
from __future__ import annotations

import json
import sys

import numpy as np

C_SHIPPED = 0.0005


def _lr(a, ytr, b, C):
    from sklearn.linear_model import LogisticRegression
    return np.stack([LogisticRegression(C=C, max_iter=3000).fit(a, ytr[:, j]).decision_function(b)
                     for j in range(ytr.shape[1])], 1)


def _scaled(x, tr, te):
    from sklearn.preprocessing import StandardScaler
    sc = StandardScaler().fit(x[tr])
    return sc.transform(x[tr]), sc.transform(x[te])


def shipped(x, y, tr, te, _=None):
    """The shipped head as ``ml.text.layers`` scores it (its log-odds, so every head here is read at 0)."""
    from scipy.special import logit
    from ml.text.layers import lr_probs
    return logit(lr_probs(x, y, tr, te, C_SHIPPED))


def stack(x, y, tr, te, C2):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold
    inner = np.zeros((len(tr), y.shape[1]))
    for itr, ite in KFold(5, shuffle=True, random_state=0).split(tr):
        inner[ite] = shipped(x, y, tr[itr], tr[ite])
    first = shipped(x, y, tr, te)
    return np.stack([LogisticRegression(C=C2, max_iter=1000).fit(inner, y[tr, j]).decision_function(first)
                     for j in range(y.shape[1])], 1)


def lda(x, y, tr, te, _=None):
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    a, b = _scaled(x, tr, te)
    return np.stack([LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(a, y[tr, j]).decision_function(b)
                     for j in range(y.shape[1])], 1)


def pca_lr(x, y, tr, te, setting):
    from sklearn.decomposition import PCA
    k, C = setting
    a, b = _scaled(x, tr, te)
    p = PCA(k, whiten=True, random_state=0).fit(a)
    return _lr(p.transform(a), y[tr], p.transform(b), C)


CANDIDATES = {"shipped": (shipped, [None]), "stack": (stack, [0.1, 1.0, 10.0]), "lda": (lda, [None]),
              "pca_lr": (pca_lr, [(k, C) for k in (128, 256) for C in (0.0005, 0.001, 0.003)])}


def main(argv=None) -> int:
    from ml.text import ESSAYS_CSV
    from ml.text.cv import folds
    from ml.text.embed import LAYER
    from ml.text.features import read_labelled_csv
    from ml.text.layers import layer_vectors

    _, texts, labels = read_labelled_csv(ESSAYS_CSV)
    y = (np.asarray(labels) >= 0.5).astype(int)
    layers = list(range(4, 9))  # the cache of `python -m ml.text.layers` (its default --layers 4-8)
    x = layer_vectors(texts, 128, layers)[:, layers.index(LAYER)].astype(np.float64)
    fl = folds(labels)
    for name, (f, settings) in CANDIDATES.items():
        for s in settings:
            acc = float(np.mean([((f(x, y, tr, te, s) > 0) == y[te]).mean() for tr, te in fl]))
            print(json.dumps({"head": name, "setting": s, "accuracy": round(acc, 4)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
