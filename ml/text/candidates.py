"""The models compared by ``python -m ml.text.cv`` (each one ``make(name, texts, labels)``
-> ``fit_predict(train_idx, test_idx, fold) -> (probs, probs_transcript_like)``).

* ``tfidf_raw`` - the reference: TF-IDF of word 1-2-grams + character 2-5-grams of the
  essays as written, one logistic regression per trait;
* ``tfidf`` - the same on :func:`ml.text.normalize.normalize` d text;
* ``mpnet`` - all-mpnet-base-v2 embeddings (:mod:`ml.text.embed`, cached in runs/text/) ->
  standardised -> logistic regression (``mpnet_C<c>``: with another C);
* ``mpnetwin_C<c>`` - the same window vectors, but every window is a training row (weighted
  1 / the essay's number of windows, so each essay weighs the same) of a standardised logistic
  regression per trait; an essay's probability is the sigmoid of its windows' mean log-odds;
* ``empath`` - the 194 Empath lexicon categories (if the package is installed) -> LR;
* ``cnnlstm`` - the CNN-LSTM family over MPNet: a 1-D convolution and an LSTM read the
  sequence of an essay's window vectors (:func:`cnnlstm_fit_predict`; TensorFlow, two seeds
  averaged per fold);
* ``avg_*`` - the mean of the named candidates' probabilities (from their saved folds);
* ``stack_*`` - a logistic regression per trait on the named candidates' probabilities,
  fitted on inner out-of-fold probabilities of the training part.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ml.text import TRAITS
from ml.text.normalize import normalize, transcript_like

NAMES = ("tfidf_raw", "tfidf", "mpnet", "avg_tfidf_mpnet")
TRANSCRIPT_FILLERS = 0.05  # share of words preceded by "um"/"uh" in the transcript-like variant
C_TFIDF = 3.0
C_MPNET = 0.0005


def encoder_tag(name: str) -> str | None:
    """What a candidate's cached results depend on besides the texts and folds: the sentence
    encoder and its settings for the candidates that read embeddings (``mpnet*``, ``cnnlstm``,
    averages of them), None for the others."""
    parts = name[4:].split("_") if name.startswith("avg_") else [name]
    if not any(p.startswith(("mpnet", "cnnlstm")) for p in parts):
        return None
    from ml.text import embed as E
    return "all-mpnet-base-v2 window,max_windows,layer=" + ",".join(str(v) for v in E.settings())


def transcript_texts(texts):
    return [transcript_like(t, fillers=TRANSCRIPT_FILLERS, seed=i) for i, t in enumerate(texts)]


# ------------------------------------------------------------------ building blocks
def tfidf_vectorizers(word_max: int = 30000, char_max: int = 30000, min_df: int = 3):
    from sklearn.feature_extraction.text import TfidfVectorizer
    word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=min_df, max_features=word_max,
                           sublinear_tf=True, token_pattern=r"(?u)\b[\w']+\b", dtype=np.float32)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=min_df, max_features=char_max,
                           sublinear_tf=True, dtype=np.float32)
    return word, char


def tfidf_fit_transform(train_texts, *others):
    from scipy.sparse import hstack
    word, char = tfidf_vectorizers()
    x = hstack([word.fit_transform(train_texts), char.fit_transform(train_texts)]).tocsr()
    return (x, *[hstack([word.transform(o), char.transform(o)]).tocsr() for o in others]), (word, char)


def fit_lr(x, y, C):
    """One logistic regression per trait -> list of fitted models."""
    from sklearn.linear_model import LogisticRegression
    return [LogisticRegression(C=C, max_iter=3000).fit(x, y[:, j]) for j in range(y.shape[1])]


def lr_proba(models, x):
    return np.stack([m.predict_proba(x)[:, 1] for m in models], 1)


# ------------------------------------------------------------------ candidates
class CountCache:
    """Word and character n-gram counts of every text, computed once (label-free), so that a
    fold's TF-IDF is built from its training rows alone without tokenising again:
    :meth:`tfidf` gives exactly what ``tfidf_vectorizers()`` fitted on those rows would."""

    def __init__(self, *corpora, min_df: int = 2):
        from sklearn.feature_extraction.text import CountVectorizer
        word_v, char_v = tfidf_vectorizers()
        self.blocks = []
        for v in (word_v, char_v):
            cv = CountVectorizer(analyzer=v.analyzer, ngram_range=v.ngram_range, token_pattern=v.token_pattern,
                                 min_df=min_df, dtype=np.float64)
            first = cv.fit_transform(corpora[0]).tocsc()
            self.blocks.append((v, [first] + [cv.transform(c).tocsc() for c in corpora[1:]]))

    def tfidf(self, train_rows, *requests):
        """[train matrix, then one matrix per (corpus index, rows) request] (CSR)."""
        from scipy.sparse import diags, hstack
        from sklearn.preprocessing import normalize as l2
        outs = [[] for _ in range(1 + len(requests))]
        for v, mats in self.blocks:
            tr = mats[0][train_rows]
            df = np.asarray((tr > 0).sum(0)).ravel()
            tf = np.asarray(tr.sum(0)).ravel()
            keep = np.flatnonzero(df >= v.min_df)
            if v.max_features and len(keep) > v.max_features:
                # TfidfVectorizer: the most frequent terms (ties: the earlier column, i.e. sorted term)
                order = np.lexsort((keep, -tf[keep]))
                keep = np.sort(keep[order[: v.max_features]])
            n = len(train_rows)
            idf = np.log((1 + n) / (1 + df[keep])) + 1
            for k, (ci, rows) in enumerate([(0, train_rows)] + list(requests)):
                x = mats[ci][rows][:, keep].tocsr()
                x.data = 1 + np.log(x.data)
                outs[k].append(l2(x @ diags(idf)))
        return [hstack(o).tocsr() for o in outs]


def _tfidf(texts, labels, prep, C=C_TFIDF):
    y = (np.asarray(labels) >= 0.5).astype(int)
    counts = CountCache([prep(t) for t in texts], [prep(t) for t in transcript_texts(texts)])

    def fp(tr, te, f):
        x_tr, x_te, x_tt = counts.tfidf(tr, (0, te), (1, te))
        models = fit_lr(x_tr, y[tr], C)
        return lr_proba(models, x_te), lr_proba(models, x_tt)
    return fp


def _embed_cache_key(norm: list[str]) -> str:
    """A hash of the normalised texts, the encoder and its settings (``ml.text.embed.settings``)."""
    import hashlib
    from ml.text import embed as E
    return hashlib.sha1("\x00".join(norm + ["mpnet"] + [str(v) for v in E.settings()]).encode()).hexdigest()[:12]


def mpnet_embeddings(texts, cache_dir: Path | None = None):
    """Embeddings of ``normalize(t)`` for every text, cached under runs/text/ by a hash of the
    normalised texts and the chunking settings."""
    from ml.text import embed as E
    from ml.text.cv import RUN_DIR
    norm = [normalize(t) for t in texts]
    key = _embed_cache_key(norm)
    path = Path(cache_dir or RUN_DIR) / f"emb_{key}.npy"
    if path.exists():
        return np.load(path)
    e = E.embed(norm)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, e)
    return e


def _mpnet(texts, labels, C=C_MPNET):
    from sklearn.preprocessing import StandardScaler
    y = (np.asarray(labels) >= 0.5).astype(int)
    emb = mpnet_embeddings(texts)
    norm = [normalize(t) for t in texts]
    tnorm = [normalize(t) for t in transcript_texts(texts)]
    differ = [i for i in range(len(texts)) if norm[i] != tnorm[i]]
    emb_t = emb.copy()
    if differ:  # only texts whose normalised form changes need a new embedding
        from ml.text.embed import embed
        emb_t[differ] = embed([tnorm[i] for i in differ])

    def fp(tr, te, f):
        sc = StandardScaler().fit(emb[tr])
        models = fit_lr(sc.transform(emb[tr]), y[tr], C)
        return lr_proba(models, sc.transform(emb[te])), lr_proba(models, sc.transform(emb_t[te]))
    return fp


def mpnet_windows(texts, cache_dir: Path | None = None) -> list[np.ndarray]:
    """Per text, the MPNet window vectors of ``normalize(t)`` (:meth:`ml.text.embed.MPNet.windows`),
    cached under runs/text/ like :func:`mpnet_embeddings`."""
    from ml.text import embed as E
    from ml.text.cv import RUN_DIR
    norm = [normalize(t) for t in texts]
    key = _embed_cache_key(norm)
    path = Path(cache_dir or RUN_DIR) / f"win_{key}.npz"
    if path.exists():
        with np.load(path) as z:
            vecs, counts = z["vecs"], z["counts"]
        return np.split(vecs, np.cumsum(counts)[:-1])
    wins = E.get().windows(norm)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, vecs=np.concatenate(wins), counts=np.array([len(w) for w in wins]))
    return wins


def windows_and_transcript_windows(texts) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(window vectors of every text, of its transcript-like variant): only the texts whose
    normalised transcript-like form differs are embedded again."""
    wins = mpnet_windows(texts)
    norm = [normalize(t) for t in texts]
    tnorm = [normalize(t) for t in transcript_texts(texts)]
    differ = [i for i in range(len(texts)) if norm[i] != tnorm[i]]
    wins_t = list(wins)
    if differ:
        from ml.text import embed as E
        for i, w in zip(differ, E.get().windows([tnorm[i] for i in differ])):
            wins_t[i] = w
    return wins, wins_t


def pad_windows(wins: list[np.ndarray], max_windows: int) -> tuple[np.ndarray, np.ndarray]:
    """([n, max_windows, dim] zero-padded window vectors, [n, max_windows] bool mask)."""
    from ml.text.embed import DIM
    x = np.zeros((len(wins), max_windows, wins[0].shape[1] if wins else DIM), np.float32)
    mask = np.zeros((len(wins), max_windows), bool)
    for i, w in enumerate(wins):
        k = min(len(w), max_windows)
        x[i, :k], mask[i, :k] = w[:k], True
    return x, mask


def cnnlstm_fit_predict(x_tr, m_tr, y_tr, tests, seeds=(1, 2), epochs: int = 30):
    """Train the window CNN-LSTM (Conv1D 64 x 3 + LSTM 32, dropout, sigmoid per trait) once per
    seed on (x_tr, m_tr) -> y_tr and return, for each (x, mask) in ``tests``, the seeds' mean
    probabilities [n, 5]."""
    import keras
    outs = [[] for _ in tests]
    for seed in seeds:
        keras.backend.clear_session()  # one fold after another: free the previous graphs
        keras.utils.set_random_seed(seed)
        inp = keras.Input(x_tr.shape[1:])
        msk = keras.Input(m_tr.shape[1:], dtype="bool")
        h = keras.layers.Dropout(0.2)(inp)
        h = keras.layers.Conv1D(64, 3, padding="same", activation="relu")(h)
        h = keras.layers.Dropout(0.3)(h)
        h = keras.layers.LSTM(32)(h, mask=msk)
        h = keras.layers.Dropout(0.3)(h)
        model = keras.Model([inp, msk], keras.layers.Dense(y_tr.shape[1], activation="sigmoid")(h))
        model.compile(keras.optimizers.AdamW(1e-3, weight_decay=1e-2), "binary_crossentropy")
        model.fit([x_tr, m_tr], y_tr.astype(np.float32), epochs=epochs, batch_size=32, verbose=0)
        for o, (x, m) in zip(outs, tests):
            o.append(model.predict([x, m], verbose=0))
    return [np.mean(o, 0) for o in outs]


def _cnnlstm(texts, labels, max_windows: int = 24):
    y = (np.asarray(labels) >= 0.5).astype(int)
    wins, wins_t = windows_and_transcript_windows(texts)
    x, m = pad_windows(wins, max_windows)
    xt, mt = pad_windows(wins_t, max_windows)

    def fp(tr, te, f):
        p, pt = cnnlstm_fit_predict(x[tr], m[tr], y[tr], [(x[te], m[te]), (xt[te], mt[te])],
                                    seeds=(100 * f + 1, 100 * f + 2))
        return p, pt
    return fp


def _mpnet_windows(texts, labels, C):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    y = (np.asarray(labels) >= 0.5).astype(int)
    wins, wins_t = windows_and_transcript_windows(texts)

    def stack(ws, rows):
        return np.concatenate([ws[i] for i in rows]), np.repeat(np.arange(len(rows)), [len(ws[i]) for i in rows])

    def fp(tr, te, f):
        x_tr, owner = stack(wins, tr)
        sc = StandardScaler().fit(x_tr)
        x_tr = sc.transform(x_tr)
        weight = 1.0 / np.bincount(owner)[owner]
        models = [LogisticRegression(C=C, max_iter=3000).fit(x_tr, y[tr, j][owner], sample_weight=weight)
                  for j in range(y.shape[1])]
        outs = []
        for ws in (wins, wins_t):
            x, own = stack(ws, te)
            x, n = sc.transform(x), np.bincount(own, minlength=len(te))
            z = np.stack([np.bincount(own, weights=m.decision_function(x), minlength=len(te)) / n for m in models], 1)
            outs.append(1.0 / (1.0 + np.exp(-z)))
        return outs[0], outs[1]
    return fp


def _empath(texts, labels, C=0.1):
    from sklearn.preprocessing import StandardScaler
    from empath import Empath
    lex = Empath()
    y = (np.asarray(labels) >= 0.5).astype(int)

    def feats(ts):
        return np.array([list(lex.analyze(t, normalize=True).values()) for t in ts], np.float32)
    x = feats([normalize(t) for t in texts])
    xt = feats([normalize(t) for t in transcript_texts(texts)])

    def fp(tr, te, f):
        sc = StandardScaler().fit(x[tr])
        models = fit_lr(sc.transform(x[tr]), y[tr], C)
        return lr_proba(models, sc.transform(x[te])), lr_proba(models, sc.transform(xt[te]))
    return fp


def _avg(parts, cache):
    from ml.text.cv import RUN_DIR
    saved = [np.load(Path(cache or RUN_DIR / "cv") / f"{p}_folds.npz") for p in parts]

    def fp(tr, te, f):
        return (np.mean([s[f"orig_{f}"] for s in saved], 0), np.mean([s[f"transcript_{f}"] for s in saved], 0))
    return fp


def make(name: str, texts, labels, cache=None):
    if name == "tfidf_raw":
        return _tfidf(texts, labels, lambda t: t)
    if name.startswith("tfidf_C"):
        return _tfidf(texts, labels, normalize, float(name[7:]))
    if name == "tfidf":
        return _tfidf(texts, labels, normalize)
    if name.startswith("mpnet_C"):
        return _mpnet(texts, labels, float(name[7:]))
    if name == "mpnet":
        return _mpnet(texts, labels)
    if name.startswith("mpnetwin_C"):
        return _mpnet_windows(texts, labels, float(name[10:]))
    if name == "empath":
        return _empath(texts, labels)
    if name == "cnnlstm":
        return _cnnlstm(texts, labels)
    if name == "cnn":
        return _cnn(texts, labels)
    if name.startswith("avg_"):
        return _avg(name[4:].split("_"), cache)
    raise ValueError(f"unknown candidate {name!r}")


# ------------------------------------------------------------------ the CNN-LSTM (TensorFlow)
def cnn_fit_predict(train_texts, y_train, test_sets, seed: int = 1, epochs: int = 25, patience: int = 5):
    """Train the product's CNN-LSTM (:mod:`ml.text.model`) on ``train_texts`` (15% of them
    held out for early stopping) and return its probabilities for each list in ``test_sets``."""
    import keras
    from ml.text.features import DOC_FEATURE_NAMES, Preprocessor
    from ml.text.model import build_model
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(train_texts))
    n_val = int(round(0.15 * len(idx)))
    va, tr = idx[:n_val], idx[n_val:]
    pre = Preprocessor.fit([train_texts[i] for i in tr], max_vocab=20000, maxlen=800, bow_size=3000)
    x_tr = pre.transform([train_texts[i] for i in tr])
    x_va = pre.transform([train_texts[i] for i in va])
    model = build_model(len(pre.vocab), pre.maxlen, len(DOC_FEATURE_NAMES), pre.bow_size)
    stop = keras.callbacks.EarlyStopping(monitor="val_acc", mode="max", patience=patience, restore_best_weights=True)
    model.fit(x_tr, y_train[tr], validation_data=(x_va, y_train[va]), epochs=epochs, batch_size=32,
              callbacks=[stop], verbose=0)
    return [np.asarray(model.predict(pre.transform(list(t)), verbose=0), np.float32) for t in test_sets]


def _cnn(texts, labels, max_folds: int | None = None):
    y = (np.asarray(labels) >= 0.5).astype(np.float32)
    xs = [normalize(t) for t in texts]
    xt = [normalize(t) for t in transcript_texts(texts)]

    def fp(tr, te, f):
        if max_folds is not None and f >= max_folds:
            raise StopIteration
        p, p_t = cnn_fit_predict([xs[i] for i in tr], y[tr], [[xs[i] for i in te], [xt[i] for i in te]], seed=1 + f)
        return p, p_t
    return fp
