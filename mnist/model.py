"""MNIST models: a small CNN sized for a Cortex-M7, and the textbook's Dense 100-100-10 baseline.

CNN budget (int8): weights 3*3*1*16 + 3*3*16*32 + 3*3*32*64 + 576*10 = 28,944 bytes (+ int32 biases);
largest activation pair conv1 in/out = 784 + 26*26*16 = 11,600 bytes (goal ≤ 32 KB weights, ≤ 16 KB activations).
"""

from __future__ import annotations

import numpy as np

import shared  # noqa: F401  (tf-keras before TensorFlow)
from mnist.config import IMAGE_SIDE, N_CLASSES, MnistConfig


def build_cnn(cfg: MnistConfig):
    """Three valid 3x3 conv stages (conv, batch norm, ReLU; max-pool after the first two), dropout, dense softmax.

    Batch norm speeds up training and the converter folds it into the convolution, so it costs nothing on the device;
    momentum 0.9 (not 0.99) lets its running statistics settle within the QUICK profile's ~130 steps.
    """
    import tensorflow as tf

    layers = tf.keras.layers

    def conv_block(filters: int) -> list:
        return [layers.Conv2D(filters, 3, use_bias=False), layers.BatchNormalization(momentum=0.9), layers.ReLU()]

    first, second, third = cfg.conv_filters
    return tf.keras.Sequential(
        [
            tf.keras.Input((IMAGE_SIDE, IMAGE_SIDE, 1)),
            *conv_block(first),    # 26x26
            layers.MaxPooling2D(2),  # 13x13
            *conv_block(second),   # 11x11
            layers.MaxPooling2D(2),  # 5x5
            *conv_block(third),    # 3x3
            layers.Flatten(),
            layers.Dropout(cfg.dropout),
            layers.Dense(N_CLASSES, activation="softmax"),
        ],
        name="mnist_cnn",
    )


def build_mlp_textbook(cfg: MnistConfig):
    """The textbook's baseline: flatten 784 -> Dense 100 ReLU -> Dense 100 ReLU -> Dense 10 softmax."""
    import tensorflow as tf

    layers = tf.keras.layers
    return tf.keras.Sequential(
        [
            tf.keras.Input((IMAGE_SIDE, IMAGE_SIDE, 1)),
            layers.Flatten(),
            layers.Dense(100, activation="relu"),
            layers.Dense(100, activation="relu"),
            layers.Dense(N_CLASSES, activation="softmax"),
        ],
        name="mnist_mlp_textbook",
    )


def build_model(cfg: MnistConfig):
    """The model named by cfg.model."""
    return {"cnn": build_cnn, "mlp_textbook": build_mlp_textbook}[cfg.model](cfg)


def shift_augmenter(max_shift: int):
    """Augmentation: move each image by up to `max_shift` pixels in x and y (zero fill), or None if 0."""
    if max_shift <= 0:
        return None

    def augment(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = np.zeros_like(batch)
        shifts = rng.integers(-max_shift, max_shift + 1, size=(len(batch), 2))
        for i, (dy, dx) in enumerate(shifts):
            src = batch[i, max(0, -dy) : IMAGE_SIDE - max(0, dy), max(0, -dx) : IMAGE_SIDE - max(0, dx)]
            out[i, max(0, dy) : max(0, dy) + src.shape[0], max(0, dx) : max(0, dx) + src.shape[1]] = src
        return out

    return augment
