"""Keras CNN-LSTM for the five Big Five traits (imports TensorFlow/Keras).

Three inputs, one output:

* ``tokens`` int32 [maxlen] -> Embedding -> 2 x (Conv1D + MaxPool) -> LSTM
  (the CNN-LSTM: local n-gram detectors, then a recurrent summary of the essay);
* ``doc`` float32 [n_doc] -> Dense: standardised hand-crafted style statistics;
* ``bow`` float32 [bow_size] -> Dense: a bag of the most frequent words;

concatenated -> Dense -> ``traits`` = 5 sigmoids (P(trait is high), order ``TRAITS``).
"""
from __future__ import annotations

import keras
from keras import layers, regularizers

from ml.text import TRAITS

DEFAULT_CONFIG = {
    "embed_dim": 64,
    "conv_filters": 64,
    "lstm_units": 48,
    "doc_units": 32,
    "bow_units": 32,
    "hidden_units": 64,
    "dropout": 0.5,
    "l2": 1e-3,
    "learning_rate": 1e-3,
}


def build_model(vocab_size: int, maxlen: int, n_doc: int, bow_size: int,
                config: dict | None = None) -> keras.Model:
    cfg = dict(DEFAULT_CONFIG, **(config or {}))
    reg = regularizers.l2(cfg["l2"])
    drop = cfg["dropout"]

    tokens = keras.Input(shape=(maxlen,), dtype="int32", name="tokens")
    x = layers.Embedding(vocab_size, cfg["embed_dim"], name="embedding")(tokens)
    x = layers.SpatialDropout1D(0.25)(x)
    x = layers.Conv1D(cfg["conv_filters"], 5, padding="same", activation="relu",
                      kernel_regularizer=reg, name="conv1")(x)
    x = layers.MaxPooling1D(4)(x)
    x = layers.Conv1D(cfg["conv_filters"], 3, padding="same", activation="relu",
                      kernel_regularizer=reg, name="conv2")(x)
    x = layers.MaxPooling1D(4)(x)
    x = layers.LSTM(cfg["lstm_units"], name="lstm")(x)
    x = layers.Dropout(drop)(x)

    doc = keras.Input(shape=(n_doc,), dtype="float32", name="doc")
    d = layers.Dropout(0.2)(doc)
    d = layers.Dense(cfg["doc_units"], activation="relu", kernel_regularizer=reg, name="doc_dense")(d)

    bow = keras.Input(shape=(bow_size,), dtype="float32", name="bow")
    b = layers.Dropout(drop)(bow)
    b = layers.Dense(cfg["bow_units"], activation="relu", kernel_regularizer=reg, name="bow_dense")(b)

    h = layers.Concatenate()([x, d, b])
    h = layers.Dropout(drop)(h)
    h = layers.Dense(cfg["hidden_units"], activation="relu", kernel_regularizer=reg, name="hidden")(h)
    h = layers.Dropout(drop)(h)
    out = layers.Dense(len(TRAITS), activation="sigmoid", name="traits")(h)

    model = keras.Model({"tokens": tokens, "doc": doc, "bow": bow}, out, name="text_cnn_lstm")
    model.compile(optimizer=keras.optimizers.Adam(cfg["learning_rate"]),
                  loss="binary_crossentropy",
                  metrics=[keras.metrics.BinaryAccuracy(name="acc")])
    return model


def combine(members: list, maxlen: int, n_doc: int, bow_size: int) -> keras.Model:
    """One uncompiled model: the mean of ``members``' outputs (no optimizer state saved)."""
    inputs = {"tokens": keras.Input(shape=(maxlen,), dtype="int32", name="tokens"),
              "doc": keras.Input(shape=(n_doc,), dtype="float32", name="doc"),
              "bow": keras.Input(shape=(bow_size,), dtype="float32", name="bow")}
    clones = []
    for i, m in enumerate(members):
        cfg = m.get_config()
        cfg["name"] = f"member_{i}"
        c = keras.Model.from_config(cfg)
        c.set_weights(m.get_weights())
        clones.append(c)
    outs = [c(inputs) for c in clones]
    out = outs[0] if len(outs) == 1 else layers.Average(name="traits_mean")(outs)
    return keras.Model(inputs, out, name="text_cnn_lstm_ensemble")
