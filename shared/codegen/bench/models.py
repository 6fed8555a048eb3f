"""Benchmark models: random-weight tf-keras models converted to full-integer int8 (also used by the tests).

Importing `shared` first puts TF_USE_LEGACY_KERAS=1 in force, so `tf.keras` is tf-keras.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import shared  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
from shared.convert import to_int8


def randomize(model, rng: np.random.Generator, spread: float = 0.5):
    """Random weights and biases (Keras zero-initialises biases, which would leave the bias path untested)."""
    for layer in model.layers:
        weights = [rng.normal(0.0, spread, w.shape).astype(np.float32) for w in layer.get_weights()]
        if type(layer).__name__ == "BatchNormalization":  # gamma, beta, mean, variance: variance must be > 0
            weights[0] += 1.0
            weights[3] = rng.uniform(0.5, 2.0, weights[3].shape).astype(np.float32)
        if weights:
            layer.set_weights(weights)
    return model


def convert_int8(model, samples: np.ndarray) -> bytes:
    """Full-integer int8 conversion with int8 input and output, calibrated on `samples` (shared.convert.to_int8)."""
    return to_int8(model, samples)


def build_int8(build: Callable, input_shape: tuple[int, ...], seed: int, n_samples: int = 32) -> bytes:
    """The Keras model `build(tf.keras.layers, inputs)` returns, with random weights, as an int8 .tflite."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    tf.keras.utils.set_random_seed(seed)
    inputs = tf.keras.Input(input_shape)
    model = randomize(tf.keras.Model(inputs, build(tf.keras.layers, inputs)), rng)
    samples = (rng.normal(0.0, rng.uniform(0.3, 3.0), (n_samples, *input_shape)) + rng.uniform(-1, 1)).astype(
        np.float32)
    return convert_int8(model, samples)


def conv_layer(L, x):
    return L.Conv2D(32, 3, padding="same", activation="relu")(x)


def fc_layer(L, x):
    return L.Dense(128, activation="relu")(x)


def conv_bn_relu(L, x, conv):
    """conv without bias -> BatchNormalization -> ReLU, as the demos build them (the converter folds BN in)."""
    return L.ReLU()(L.BatchNormalization()(conv(x)))


def mnist_cnn(L, x):
    """Shaped like mnist/model.py's CNN: three 3x3 conv-BN-ReLU (16, 32, 64), two max pools, dense softmax."""
    x = L.MaxPooling2D()(conv_bn_relu(L, x, L.Conv2D(16, 3, use_bias=False)))
    x = L.MaxPooling2D()(conv_bn_relu(L, x, L.Conv2D(32, 3, use_bias=False)))
    x = conv_bn_relu(L, x, L.Conv2D(64, 3, use_bias=False))
    return L.Dense(10, activation="softmax")(L.Flatten()(x))


def kws_cnn(L, x):
    """Shaped like kws/model.py's default CNN: strided (5,3) conv, two 3x3 blocks of 32, global mean, dense."""
    x = conv_bn_relu(L, x, L.Conv2D(32, (5, 3), strides=2, padding="same", use_bias=False))
    for _ in range(2):
        x = conv_bn_relu(L, x, L.Conv2D(32, 3, padding="same", use_bias=False))
    return L.Dense(10, activation="softmax")(L.GlobalAveragePooling2D()(x))


def har_cnn(L, x):
    """Shaped like har/model.py's CNN: Conv2D (k, 1) over a (T, 1, 3) window, max pools, global mean, dense."""
    x = L.MaxPooling2D((2, 1))(L.Conv2D(16, (5, 1), padding="same", activation="relu")(x))
    x = L.MaxPooling2D((2, 1))(L.Conv2D(24, (5, 1), padding="same", activation="relu")(x))
    x = L.GlobalAveragePooling2D()(L.Conv2D(32, (3, 1), padding="same", activation="relu")(x))
    return L.Dense(6, activation="softmax")(x)


def har_mlp(L, x):
    """The textbook's HAR feature MLP: Dense 100-100-6."""
    return L.Dense(6, activation="softmax")(L.Dense(100, activation="relu")(L.Dense(100, activation="relu")(x)))


# name -> (builder, input shape): two single layers for instructions/MAC, then models shaped like the demos'
BENCH_MODELS = {
    "conv_layer": (conv_layer, (16, 16, 16)),
    "conv_layer_32": (conv_layer, (16, 16, 32)),
    "fc_layer": (fc_layer, (512,)),
    "mnist_cnn": (mnist_cnn, (28, 28, 1)),
    "kws_cnn": (kws_cnn, (30, 13, 1)),
    "har_cnn": (har_cnn, (80, 1, 3)),
    "har_mlp": (har_mlp, (40,)),
}
