"""Comparison model: CRNN on log-mel spectrograms, trained from scratch (not shipped).

    python -m ml.voice.spec_crnn --cv [--epochs 30]

Four local feature learning blocks (Conv2D -> BN -> ELU -> MaxPool -> Dropout) over a
64-band log-mel spectrogram (25 ms / 10 ms), then an LSTM over time and softmax.
Augmentation: random 3 s crops, gain, SpecAugment time/frequency masks. Same
actor-grouped folds as ``ml.voice.train --cv``; prints a JSON last line.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from ml.voice import CLASS_NAMES
from ml.voice import data as D

N = len(CLASS_NAMES)
CROP = 300  # frames of 10 ms


def logmel_all():
    import librosa

    from ml.voice.audio import load_audio

    rows = D.load_manifest()
    mels = []
    for r in rows:
        w = load_audio(r["abspath"])
        m = librosa.feature.melspectrogram(y=w, sr=16000, n_fft=400, hop_length=160, n_mels=64, fmax=8000)
        m = librosa.power_to_db(m, ref=np.max, top_db=80).T.astype(np.float32)   # [T, 64]
        mels.append((m + 40) / 20)
    return (mels, np.array([r["label"] for r in rows]), np.array([r["actor"] for r in rows]),
            np.array([r["gender"] for r in rows]))


def build(keras):
    from keras import layers

    inp = keras.Input((None, 64, 1))
    x = inp
    for f, pool in [(32, (2, 2)), (64, (2, 2)), (64, (2, 2)), (128, (2, 2))]:
        x = layers.Conv2D(f, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("elu")(x)
        x = layers.MaxPooling2D(pool, padding="same")(x)
        x = layers.Dropout(0.2)(x)
    x = layers.Reshape((-1, 4 * 128))(x)
    x = layers.LSTM(64)(x)
    x = layers.Dropout(0.4)(x)
    out = layers.Dense(N, activation="softmax")(x)
    return keras.Model(inp, out)


def crop(m, L, rng, train=True):
    if m.shape[0] < L:
        m = np.pad(m, ((0, L - m.shape[0]), (0, 0)), constant_values=m.min())
    s = rng.integers(0, m.shape[0] - L + 1) if train else (m.shape[0] - L) // 2
    c = m[s:s + L].copy()
    if train:
        c += rng.uniform(-0.3, 0.3)
        for _ in range(2):
            t = rng.integers(0, 30); t0 = rng.integers(0, L - t); c[t0:t0 + t] = c.min()
            f = rng.integers(0, 8); f0 = rng.integers(0, 64 - f); c[:, f0:f0 + f] = c.min()
    return c


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cv", action="store_true")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--folds", default=None)
    args = ap.parse_args(argv)
    from ml.voice.train import _setup_tf, summarize

    tf = _setup_tf()
    import keras

    mels, y, actors, genders = logmel_all()
    fold_of = np.array([D.actor_fold(a) for a in actors])
    folds = [int(f) for f in args.folds.split(",")] if args.folds else list(range(D.N_FOLDS))
    probs = np.zeros((len(y), N), np.float32)
    accs = []
    counts = np.bincount(y, minlength=N)
    cw = {i: float(counts.sum() / (N * counts[i])) for i in range(N)}
    for k in folds:
        keras.utils.set_random_seed(k)
        rng = np.random.default_rng(k)
        tr, te = np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
        model = build(keras)
        steps = int(np.ceil(len(tr) / 32)) * args.epochs
        model.compile(keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, steps)),
                      "sparse_categorical_crossentropy")
        t0 = time.time()
        for ep in range(args.epochs):
            idx = rng.permutation(tr)
            for b in range(0, len(idx), 32):
                ii = idx[b:b + 32]
                xb = np.stack([crop(mels[i], CROP, rng) for i in ii])[..., None]
                model.train_on_batch(xb, y[ii], sample_weight=np.array([cw[v] for v in y[ii]], np.float32))
        for i in te:   # full clip
            probs[i] = model(mels[i][None, :, :, None], training=False).numpy()[0]
        acc = float((probs[te].argmax(1) == y[te]).mean())
        accs.append(acc)
        print(f"fold {k}: {acc:.3f} ({time.time() - t0:.0f}s)", file=sys.stderr, flush=True)
    done = np.concatenate([np.flatnonzero(fold_of == k) for k in folds])
    res = summarize(y[done], probs[done], genders[done])
    res.update(method="log-mel CRNN from scratch", fold_accuracy=[round(a, 4) for a in accs],
               accuracy_mean=round(float(np.mean(accs)), 4),
               accuracy_sd=round(float(np.std(accs, ddof=1)), 4) if len(accs) > 1 else 0.0,
               epochs=args.epochs)
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
