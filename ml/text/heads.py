"""Other classifiers on the shipped text features, against the shipped logistic regression.

    python -m ml.text.heads          # about 10 minutes on 2 cores with the layer vectors cached
    python -m ml.text.heads --heads shipped,window_lr   # the window-level head (its vectors: about 40 minutes once)

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
  0.001, 0.003;
* ``window_lr`` (only when named in ``--heads``): the regression trained on windows instead of
  essays: every window of a training essay is one example with its essay's labels (unweighted, or
  weighted 1 / the essay's window count), standardised on the training windows; an essay's log-odds
  is the mean of its windows'. C = 0.0001, 0.0002, 0.0005, 0.001, 0.003. Its window vectors are
  cached in runs/text/mpnet_windows_l<LAYER>_w128_<hash of the texts>.npz; their mean per essay is
  exactly the shipped essay vector.

On 2026-12-04, under a rule written before the run (adopt one only if its best setting beat 0.5995
on these folds, then again on new folds, and the nested estimate gained 0.002): shipped 0.5995;
stack 0.5955 / 0.5972 / 0.5973; lda 0.5595; pca_lr 0.5797 / 0.5836 / 0.5854 (128 components) and
0.5741 / 0.5763 / 0.5744 (256). The rule failed at its first step; the shipped head stays.
Later that day, under the same rule (written first, runs/text/RULE4.txt), window_lr: unweighted
0.5929 / 0.5953 / 0.5966 / 0.5951 / 0.5911, weighted 0.5777 / 0.5878 / 0.5930 / 0.5974 / 0.5974
(C as listed); it failed at its first step too.
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


def window_vectors(texts) -> tuple[np.ndarray, np.ndarray]:
    """(vectors [windows, 768], window count per text) of the shipped layer over 128-word-piece
    windows, every window read (cached; see the module's doc)."""
    import hashlib
    from ml.text import embed as E
    from ml.text.cv import RUN_DIR
    from ml.text.normalize import normalize
    norm = [normalize(t) for t in texts]
    key = hashlib.sha1("\x00".join(norm).encode()).hexdigest()[:12]
    cache = RUN_DIR / f"mpnet_windows_l{E.LAYER}_w128_{key}.npz"
    if cache.exists():
        with np.load(cache) as z:
            return z["vecs"], z["counts"]
    wins = E.MPNet(E.LAYER).windows(norm, chunk=128, max_chunks=None)
    vecs, counts = np.concatenate(wins).astype(np.float32), np.array([len(w) for w in wins])
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, vecs=vecs, counts=counts)
    return vecs, counts


def window_lr(windows, y, tr, te, setting):
    """Log-odds per essay of ``te``: the mean over its windows of a regression fitted on the windows of
    ``tr`` (``windows`` = window_vectors(); setting = (weighted, C))."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    vecs, counts = windows
    weighted, C = setting
    owner = np.repeat(np.arange(len(counts)), counts)
    train = np.isin(owner, tr)
    sc = StandardScaler().fit(vecs[train])
    a = sc.transform(vecs[train])
    test = np.concatenate([np.flatnonzero(owner == i) for i in te])
    b, seg = sc.transform(vecs[test]), np.repeat(np.arange(len(te)), counts[te])
    weight = 1.0 / counts[owner[train]] if weighted else None
    return np.stack([np.bincount(seg, LogisticRegression(C=C, max_iter=3000)
                                 .fit(a, y[owner[train], j], sample_weight=weight).decision_function(b)) / counts[te]
                     for j in range(y.shape[1])], 1)


CANDIDATES = {"shipped": (shipped, [None]), "stack": (stack, [0.1, 1.0, 10.0]), "lda": (lda, [None]),
              "pca_lr": (pca_lr, [(k, C) for k in (128, 256) for C in (0.0005, 0.001, 0.003)]),
              "window_lr": (window_lr, [(w, C) for w in (False, True) for C in (0.0001, 0.0002, 0.0005, 0.001, 0.003)])}
DEFAULT_HEADS = ("shipped", "stack", "lda", "pca_lr")


def main(argv=None) -> int:
    import argparse
    from ml.text import ESSAYS_CSV
    from ml.text.cv import folds
    from ml.text.embed import LAYER
    from ml.text.features import read_labelled_csv
    from ml.text.layers import layer_vectors

    p = argparse.ArgumentParser(prog="python -m ml.text.heads", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--heads", default=",".join(DEFAULT_HEADS), help=f"some of {', '.join(CANDIDATES)}")
    args = p.parse_args(argv)
    heads = [h for h in args.heads.split(",") if h]
    if not heads or set(heads) - set(CANDIDATES):
        p.error(f"--heads: choose from {', '.join(CANDIDATES)}")
    _, texts, labels = read_labelled_csv(ESSAYS_CSV)
    y = (np.asarray(labels) >= 0.5).astype(int)
    layers = list(range(4, 9))  # the cache of `python -m ml.text.layers` (its default --layers 4-8)
    x = layer_vectors(texts, 128, layers)[:, layers.index(LAYER)].astype(np.float64)
    windows = window_vectors(texts) if "window_lr" in heads else None
    fl = folds(labels)
    for name in heads:
        f, settings = CANDIDATES[name]
        features = windows if name == "window_lr" else x
        for s in settings:
            acc = float(np.mean([((f(features, y, tr, te, s) > 0) == y[te]).mean() for tr, te in fl]))
            print(json.dumps({"head": name, "setting": s, "accuracy": round(acc, 4)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
