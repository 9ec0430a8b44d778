"""The shipped voice head (``crnn`` of ``ml.voice.model``) in NumPy: inference without TensorFlow.

    from ml.voice.head import NumpyHead
    head = NumpyHead.load(model_dir)          # voice_head.npz + config.json
    probs = head(frames)                      # frames float32 [b, t, 384] -> [b, 8], rows sum to 1

Importing TensorFlow alone costs a job worker about 530 MB, more than the weights of every
model together, for a head of 0.39 M parameters. The arrays in ``voice_head.npz`` are the
trained Keras weights, unchanged (``python -m ml.voice.head --export`` writes them from
``voice_head.weights.h5``); a test checks this forward pass against the Keras model.

The forward pass at inference: input normalisation -> Conv1D(5, same) -> BatchNorm -> ELU ->
MaxPool(2, same) -> bidirectional LSTM (sequences) -> attentive statistics pooling (weighted
mean and standard deviation) -> Dense + ELU -> Dense + softmax. Noise and dropout layers do
nothing at inference and are left out.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

WEIGHTS_FILE = "voice_head.npz"
KERAS_WEIGHTS_FILE = "voice_head.weights.h5"
NAMES = ("conv_w", "conv_b", "bn_gamma", "bn_beta", "bn_mean", "bn_var",
         "fwd_w", "fwd_u", "fwd_b", "bwd_w", "bwd_u", "bwd_b",
         "att1_w", "att1_b", "att2_w", "att2_b", "hidden_w", "hidden_b", "out_w", "out_b")
KERAS_EPSILON = 1e-7   # keras.config.epsilon(): the Normalization layer's floor on the std


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)   # overflow-free


def _elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _lstm(x, w, u, b):
    """Keras LSTM (gates i, f, c, o; sigmoid and tanh) over ``x`` [b, t, d]: all hidden states [b, t, units]."""
    n, t, _ = x.shape
    units = u.shape[0]
    xz = x @ w + b                                  # the input part of every step at once
    h = np.zeros((n, units), x.dtype)
    c = np.zeros((n, units), x.dtype)
    out = np.empty((n, t, units), x.dtype)
    for s in range(t):
        z = xz[:, s] + h @ u
        i, f, g, o = (z[:, k * units:(k + 1) * units] for k in range(4))
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        out[:, s] = h
    return out


class NumpyHead:
    """The ``crnn`` voice head's inference forward pass (module doc)."""

    def __init__(self, weights: dict, mean, std, bn_epsilon: float = 1e-3):
        missing = set(NAMES) - set(weights)
        if missing:
            raise ValueError(f"voice head weights lack {sorted(missing)}")
        self.w = {k: np.asarray(weights[k], np.float32) for k in NAMES}
        self.mean = np.asarray(mean, np.float32)
        self.scale = (1.0 / np.maximum(np.asarray(std, np.float32), KERAS_EPSILON)).astype(np.float32)
        w = self.w
        bn = w["bn_gamma"] / np.sqrt(w["bn_var"] + bn_epsilon)
        self._bn = (bn.astype(np.float32), (w["bn_beta"] - w["bn_mean"] * bn).astype(np.float32))

    @classmethod
    def load(cls, model_dir) -> "NumpyHead":
        model_dir = Path(model_dir)
        cfg = json.loads((model_dir / "config.json").read_text())
        arch = cfg.get("model_cfg", {}).get("arch", "crnn")
        if arch != "crnn":
            raise ValueError(f"{model_dir}: the NumPy head runs the 'crnn' architecture, not {arch!r}")
        if not (model_dir / WEIGHTS_FILE).exists():
            raise FileNotFoundError(f"{model_dir / WEIGHTS_FILE} is missing: write it from the Keras weights with "
                                    f"python -m ml.voice.head --export --model-dir {model_dir}")
        with np.load(model_dir / WEIGHTS_FILE) as z:
            weights = {k: z[k] for k in z.files}
        return cls(weights, cfg["norm_mean"], cfg["norm_std"])

    def __call__(self, frames) -> np.ndarray:
        w = self.w
        x = (np.asarray(frames, np.float32) - self.mean) * self.scale          # [b, t, 384]
        n, t, _ = x.shape
        if t == 0:
            raise ValueError("the voice head needs at least one encoder frame per clip")
        k = w["conv_w"].shape[0]
        xp = np.pad(x, ((0, 0), ((k - 1) // 2, k // 2), (0, 0)))
        h = sum(xp[:, j:j + t] @ w["conv_w"][j] for j in range(k)) + w["conv_b"]
        h = _elu(h * self._bn[0] + self._bn[1])
        if t % 2:
            h = np.concatenate([h, h[:, -1:]], axis=1)                         # "same": the last step alone
        h = h.reshape(n, -1, 2, h.shape[-1]).max(axis=2)
        fwd = _lstm(h, w["fwd_w"], w["fwd_u"], w["fwd_b"])
        bwd = _lstm(h[:, ::-1], w["bwd_w"], w["bwd_u"], w["bwd_b"])[:, ::-1]
        h = np.concatenate([fwd, bwd], axis=-1)                                # [b, t', 128]
        a = np.tanh(h @ w["att1_w"] + w["att1_b"]) @ w["att2_w"] + w["att2_b"]  # [b, t', 1]
        a = _softmax(a, axis=1)
        mu = (h * a).sum(axis=1)
        var = (a * (h - mu[:, None, :]) ** 2).sum(axis=1)
        z = np.concatenate([mu, np.sqrt(var + 1e-5)], axis=-1)
        z = _elu(z @ w["hidden_w"] + w["hidden_b"])
        return _softmax(z @ w["out_w"] + w["out_b"], axis=-1)


def keras_weights(model) -> dict:
    """The arrays of a trained ``crnn`` Keras head (``ml.voice.model.build_model``), named as in ``NAMES``."""
    by_type: dict = {}
    for layer in model.layers:
        by_type.setdefault(type(layer).__name__, []).append(layer)
    (conv,), (bn,), (bi,) = by_type["Conv1D"], by_type["BatchNormalization"], by_type["Bidirectional"]
    att1, att2, hidden, out = by_type["Dense"]
    if abs(bn.epsilon - 1e-3) > 1e-12:
        raise ValueError(f"BatchNorm epsilon {bn.epsilon} is not the 1e-3 the NumPy head assumes")
    arrays = [*conv.get_weights(), *(v.numpy() for v in (bn.gamma, bn.beta, bn.moving_mean, bn.moving_variance)),
              *bi.forward_layer.get_weights(), *bi.backward_layer.get_weights(),
              *att1.get_weights(), *att2.get_weights(), *hidden.get_weights(), *out.get_weights()]
    return {k: np.asarray(v, np.float32) for k, v in zip(NAMES, arrays, strict=True)}


def export(model_dir) -> Path:
    """Write ``voice_head.npz`` from ``voice_head.weights.h5`` in ``model_dir`` (needs TensorFlow)."""
    from ml.voice.model import build_model
    model_dir = Path(model_dir)
    cfg = json.loads((model_dir / "config.json").read_text())
    model = build_model(cfg["model_cfg"], cfg["norm_mean"], cfg["norm_std"])
    model.load_weights(model_dir / KERAS_WEIGHTS_FILE)
    out = model_dir / WEIGHTS_FILE
    np.savez(out, **keras_weights(model))
    return out


def main(argv=None) -> int:
    from ml.voice import MODEL_DIR
    p = argparse.ArgumentParser(description="Write voice_head.npz (the NumPy head's weights) from the Keras weights.")
    p.add_argument("--export", action="store_true", required=True)
    p.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    args = p.parse_args(argv)
    path = export(args.model_dir)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
