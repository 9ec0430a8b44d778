"""Keras heads on top of frozen Whisper-encoder frames ([T, 384] at 20 ms).

Architectures (``cfg["arch"]``):

* ``pooled`` - mean+std pooling over time -> dropout -> softmax (a logistic regression).
* ``attn``   - per-frame dense projection -> attentive statistics pooling -> dense -> softmax.
* ``crnn``   - local feature learning block (Conv1D -> BN -> ELU -> MaxPool -> Dropout)
               -> bidirectional LSTM -> attentive statistics pooling -> dense -> softmax.

Weights are stored as ``.weights.h5`` together with ``config.json`` (architecture
and input normalisation), so loading needs no custom-object registry.
"""
from __future__ import annotations

import numpy as np

from ml.voice import CLASS_NAMES

DEFAULT_CFG = {
    "arch": "crnn",
    "dim": 384,
    "hidden": 128,
    "conv_filters": 128,
    "lstm_units": 64,
    "dropout": 0.4,
    "input_dropout": 0.2,
    "noise": 0.1,
    "l2": 1e-4,
}


def _keras():
    import keras

    return keras


def build_model(cfg: dict, mean=None, std=None):
    keras = _keras()
    from keras import layers, ops

    cfg = {**DEFAULT_CFG, **cfg}
    reg = keras.regularizers.l2(cfg["l2"])
    dim = cfg["dim"]
    mean = np.zeros(dim, np.float32) if mean is None else np.asarray(mean, np.float32)
    std = np.ones(dim, np.float32) if std is None else np.asarray(std, np.float32)

    inp = keras.Input((None, dim), name="frames")
    x = layers.Normalization(mean=mean, variance=std ** 2, name="norm")(inp)
    x = layers.GaussianNoise(cfg["noise"])(x)
    x = layers.Dropout(cfg["input_dropout"], noise_shape=(None, 1, dim))(x)   # drop whole dims

    def stats_pool(h, weights=None):
        if weights is None:
            mu = ops.mean(h, axis=1)
            var = ops.mean(ops.square(h - mu[:, None, :]), axis=1)
        else:
            mu = ops.sum(h * weights, axis=1)
            var = ops.sum(weights * ops.square(h - mu[:, None, :]), axis=1)
        return ops.concatenate([mu, ops.sqrt(var + 1e-5)], axis=-1)

    def attentive_pool(h):
        a = layers.Dense(64, activation="tanh", kernel_regularizer=reg)(h)
        a = layers.Dense(1, kernel_regularizer=reg)(a)
        w = layers.Softmax(axis=1, name="attention")(a)
        return layers.Lambda(lambda t: stats_pool(t[0], t[1]), name="att_stats")([h, w])

    arch = cfg["arch"]
    if arch == "pooled":
        z = layers.Lambda(lambda t: stats_pool(t), name="stats")(x)
    elif arch == "attn":
        h = layers.Dense(cfg["hidden"], kernel_regularizer=reg)(x)
        h = layers.LayerNormalization()(h)
        h = layers.Activation("elu")(h)
        h = layers.Dropout(cfg["dropout"] / 2)(h)
        z = attentive_pool(h)
        z = layers.Dense(cfg["hidden"], activation="elu", kernel_regularizer=reg)(z)
    elif arch == "crnn":
        h = layers.Conv1D(cfg["conv_filters"], 5, padding="same", kernel_regularizer=reg)(x)
        h = layers.BatchNormalization()(h)
        h = layers.Activation("elu")(h)
        h = layers.MaxPooling1D(2, padding="same")(h)
        h = layers.Dropout(cfg["dropout"] / 2)(h)
        h = layers.Bidirectional(layers.LSTM(cfg["lstm_units"], return_sequences=True))(h)
        z = attentive_pool(h)
        z = layers.Dense(cfg["hidden"], activation="elu", kernel_regularizer=reg)(z)
    else:
        raise ValueError(f"unknown arch {arch!r}")
    z = layers.Dropout(cfg["dropout"])(z)
    out = layers.Dense(len(CLASS_NAMES), activation="softmax", kernel_regularizer=reg, name="probs")(z)
    return keras.Model(inp, out, name=f"voice_{arch}")
