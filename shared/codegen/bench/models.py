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


def normalize_batch_norms(model, samples: np.ndarray, rng: np.random.Generator):
    """Deep random networks: He-scaled weights, and each BatchNormalization's moving mean and variance set to the
    statistics of its input on `samples` (gamma ~ U(0.5, 1.5), beta ~ N(0, 0.5)), so that activations stay in a
    trained network's range through dozens of layers instead of dying or exploding (the int8 converter then
    calibrates real, varied ranges)."""
    import tensorflow as tf

    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        if type(layer).__name__ == "BatchNormalization":
            probe = tf.keras.Model(model.inputs, layer.input)
            activations = probe.predict(samples, verbose=0).astype(np.float64)
            axes = tuple(range(activations.ndim - 1))
            gamma = rng.uniform(0.5, 1.5, weights[0].shape)
            beta = rng.normal(0.0, 0.5, weights[1].shape)
            values = [gamma, beta, activations.mean(axis=axes), activations.var(axis=axes) + 1e-3]
        else:
            kernel = weights[0]
            fan_in = int(np.prod(kernel.shape[:-1])) if type(layer).__name__ != "DepthwiseConv2D" else \
                int(np.prod(kernel.shape[:2]))
            values = [rng.normal(0.0, np.sqrt(2.0 / fan_in), kernel.shape)]
            values += [rng.normal(0.0, 0.1, w.shape) for w in weights[1:]]
        layer.set_weights([v.astype(np.float32) for v in values])
    return model


def build_int8(build: Callable, input_shape: tuple[int, ...], seed: int, n_samples: int = 32,
               deep: bool = False) -> bytes:
    """The Keras model `build(tf.keras.layers, inputs)` returns, with random weights, as an int8 .tflite;
    deep=True: He-scaled weights and batch norms fitted to the samples (normalize_batch_norms)."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    tf.keras.utils.set_random_seed(seed)
    inputs = tf.keras.Input(input_shape)
    model = tf.keras.Model(inputs, build(tf.keras.layers, inputs))
    samples = (rng.normal(0.0, rng.uniform(0.3, 3.0), (n_samples, *input_shape)) + rng.uniform(-1, 1)).astype(
        np.float32)
    model = normalize_batch_norms(model, samples, rng) if deep else randomize(model, rng)
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


def ds_cnn(L, x):
    """MLPerf Tiny's keyword-spotting DS-CNN (input 49x10x1): Conv2D 64 (10x4, stride 2, SAME), four times
    DepthwiseConv2D 3x3 + Conv2D 64 1x1 (each conv without bias, BN, ReLU), average pool to 1x1, Dense 12."""
    x = conv_bn_relu(L, x, L.Conv2D(64, (10, 4), strides=2, padding="same", use_bias=False))
    for _ in range(4):
        x = conv_bn_relu(L, x, L.DepthwiseConv2D(3, padding="same", use_bias=False))
        x = conv_bn_relu(L, x, L.Conv2D(64, 1, use_bias=False))
    x = L.Flatten()(L.AveragePooling2D(pool_size=tuple(x.shape[1:3]))(x))
    return L.Dense(12, activation="softmax")(x)


# MobileNet v1's 13 depthwise-separable blocks: (pointwise filters at width 1.0, depthwise stride)
MOBILENET_V1_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), *((512, 1),) * 5, (1024, 2),
                       (1024, 1))


def mobilenet_v1_025(L, x):
    """MobileNet v1 at width 0.25 for 96x96x3 (the person detector's shape): a 3x3 stride-2 conv of 8 filters, then
    the 13 depthwise-separable blocks (3x3 depthwise + 1x1 conv, BN, ReLU6 each; 14 conv blocks in all), global
    average pool, Dense 2."""
    x = conv_bn_relu6(L, x, L.Conv2D(8, 3, strides=2, padding="same", use_bias=False))
    for filters, stride in MOBILENET_V1_BLOCKS:
        x = conv_bn_relu6(L, x, L.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False))
        x = conv_bn_relu6(L, x, L.Conv2D(filters // 4, 1, use_bias=False))
    return L.Dense(2, activation="softmax")(L.GlobalAveragePooling2D()(x))


def conv_bn_relu6(L, x, conv):
    return L.ReLU(6.0)(L.BatchNormalization()(conv(x)))


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
# the issue-15 benchmark models, built with deep=True (normalize_batch_norms)
DEEP_MODELS = {
    "ds_cnn": (ds_cnn, (49, 10, 1)),
    "mobilenet_025": (mobilenet_v1_025, (96, 96, 3)),
}
