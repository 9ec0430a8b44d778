"""Keras CNN for 48x48 grayscale facial-expression crops, plus TF augmentation."""
from __future__ import annotations

import contextlib
import math

import tensorflow as tf
import keras
from keras import layers

from ml.face import IMG_SIZE, NUM_CLASSES

# Width per stage and convs per stage, VGG-style with BN and global average pooling.
VARIANTS = {
    "vgg_s": ((32, 64, 128, 256), (2, 2, 2, 2)),
    "vgg_m": ((48, 96, 192, 320), (2, 2, 2, 2)),
    "vgg_t": ((24, 48, 96, 192), (2, 2, 2, 2)),
    "vgg_l1": ((32, 64, 128, 256), (1, 2, 2, 2)),
    "vgg_t1": ((32, 64, 128, 192), (1, 2, 2, 1)),
    "vgg_f": ((32, 64, 128, 256), (1, 2, 2, 1)),  # default: ~0.65 M params, ~75 M MACs
}
DEFAULT_VARIANT = "vgg_f"


def _conv_bn(x, filters, name, weight_decay):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False,
                      kernel_initializer="he_normal",
                      kernel_regularizer=keras.regularizers.l2(weight_decay) if weight_decay else None,
                      name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def build_model(variant: str = DEFAULT_VARIANT, dropout: float = 0.4, weight_decay: float = 0.0) -> keras.Model:
    widths, depths = VARIANTS[variant]
    inp = keras.Input((IMG_SIZE, IMG_SIZE, 1), name="face")  # raw pixel values 0..255
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="scale")(inp)
    for s, (w, d) in enumerate(zip(widths, depths), start=1):
        for j in range(1, d + 1):
            x = _conv_bn(x, w, f"b{s}c{j}", weight_decay)
        if s < len(widths):
            x = layers.MaxPooling2D(2, name=f"b{s}_pool")(x)
            x = layers.SpatialDropout2D(0.1, name=f"b{s}_drop")(x) if s >= 2 else x
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(dropout, name="head_drop")(x)
    x = layers.Dense(256, use_bias=False, name="fc")(x)
    x = layers.BatchNormalization(name="fc_bn")(x)
    x = layers.Activation("relu", name="fc_relu")(x)
    x = layers.Dropout(dropout, name="fc_drop")(x)
    logits = layers.Dense(NUM_CLASSES, name="logits", dtype="float32")(x)
    out = layers.Activation("softmax", name="probs", dtype="float32")(logits)
    return keras.Model(inp, out, name=f"face_{variant}")


@contextlib.contextmanager
def dtype_policy(policy: str):
    """Within the block, layers are built under the Keras dtype policy ``policy``
    ("float32", "mixed_bfloat16"); the global policy is restored afterwards."""
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def build_model_in(policy: str, variant: str = DEFAULT_VARIANT) -> keras.Model:
    """``build_model(variant)`` under a Keras dtype policy, leaving the global policy as it was."""
    with dtype_policy(policy):
        return build_model(variant)


def last_conv_layer_name(model: keras.Model) -> str:
    """Name of the last conv block output (post-ReLU) used for Grad-CAM."""
    names = [l.name for l in model.layers if l.name.endswith("_relu") and l.name.startswith("b")]
    return names[-1]


# ----------------------------------------------------------------------------- augmentation
def augment_batch(x, y, *, max_rot=15.0, scale=(0.85, 1.15), max_shift=0.1,
                  brightness=0.25, contrast=(0.7, 1.3), erase_p=0.5, erase_size=(8, 20),
                  strength: float = 1.0):
    """Random flip/rotation/zoom/shift + brightness/contrast + random erasing.

    ``strength`` scales every geometric/photometric range and the erasing probability.
    x: float32 [B,48,48,1] in 0..255; returns same shape/range."""
    if strength != 1.0:
        k = float(strength)
        max_rot, max_shift, brightness, erase_p = max_rot * k, max_shift * k, brightness * k, erase_p * k
        scale = (1 - (1 - scale[0]) * k, 1 + (scale[1] - 1) * k)
        contrast = (1 - (1 - contrast[0]) * k, 1 + (contrast[1] - 1) * k)
    b = tf.shape(x)[0]
    size = float(IMG_SIZE)
    c = (size - 1) / 2.0
    ang = tf.random.uniform([b], -max_rot, max_rot) * (math.pi / 180.0)
    zoom = tf.random.uniform([b], scale[0], scale[1])
    flip = tf.where(tf.random.uniform([b]) < 0.5, -1.0, 1.0)
    tx = tf.random.uniform([b], -max_shift, max_shift) * size
    ty = tf.random.uniform([b], -max_shift, max_shift) * size
    # Output->input mapping: p_in = A^-1 (p_out - c - t) + c, with A = zoom*R*F.
    cos, sin = tf.cos(ang) / zoom, tf.sin(ang) / zoom
    a0, a1 = cos * flip, sin
    b0, b1 = -sin * flip, cos
    ox, oy = c + tx, c + ty
    a2 = c - a0 * ox - a1 * oy
    b2 = c - b0 * ox - b1 * oy
    zeros = tf.zeros([b])
    tr = tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
    x = tf.raw_ops.ImageProjectiveTransformV3(
        images=x, transforms=tr, output_shape=tf.constant([IMG_SIZE, IMG_SIZE]),
        fill_value=0.0, interpolation="BILINEAR", fill_mode="REFLECT")
    # photometric
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    ctr = tf.random.uniform([b, 1, 1, 1], contrast[0], contrast[1])
    bri = tf.random.uniform([b, 1, 1, 1], -brightness, brightness) * 255.0
    x = (x - mean) * ctr + mean + bri
    x = tf.clip_by_value(x, 0.0, 255.0)
    # random erasing (one rectangle, filled with the image mean)
    if erase_p > 0:
        h = tf.random.uniform([b, 1, 1], erase_size[0], erase_size[1] + 1, dtype=tf.int32)
        w = tf.random.uniform([b, 1, 1], erase_size[0], erase_size[1] + 1, dtype=tf.int32)
        y0 = tf.cast(tf.random.uniform([b, 1, 1]) * tf.cast(IMG_SIZE - h, tf.float32), tf.int32)
        x0 = tf.cast(tf.random.uniform([b, 1, 1]) * tf.cast(IMG_SIZE - w, tf.float32), tf.int32)
        rr = tf.range(IMG_SIZE)[None, :, None]
        cc = tf.range(IMG_SIZE)[None, None, :]
        box = (rr >= y0) & (rr < y0 + h) & (cc >= x0) & (cc < x0 + w)
        on = tf.random.uniform([b, 1, 1]) < erase_p
        m = tf.cast(box & on, tf.float32)[..., None]
        fill = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
        x = x * (1 - m) + fill * m
    return x, y
