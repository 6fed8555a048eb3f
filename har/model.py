"""HAR models: feature MLPs (the textbook's Dense 100-100-6 and a smaller one) and a small 1D-CNN on raw windows.

Only ops the project's C code generator supports appear after conversion: FULLY_CONNECTED, CONV_2D, MAX_POOL_2D,
MEAN, SOFTMAX (ReLU is fused into the layers). The CNN is written with Conv2D over a (T, 1, 3) image instead of
Conv1D: Keras' Conv1D converts through EXPAND_DIMS/SQUEEZE around the convolution, Conv2D with a (k, 1) kernel is
the same computation and converts to plain CONV_2D. Its input is (T, 1, 3), not (T, 3) plus a Reshape layer: with
a free batch size the Reshape converts to SHAPE/STRIDED_SLICE/PACK ops. (T, 1, 3) has the memory layout of the
interleaved x/y/z window the device fills, so the board passes its buffer unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import shared  # noqa: F401  (tf-keras before TensorFlow)
from har.config import N_AXES, HarConfig


def build_mlp(n_features: int, hidden: tuple[int, ...], n_classes: int, name: str):
    """Dense(h, relu) for each h in `hidden`, then Dense(n_classes, softmax). Input: standardised features."""
    import tensorflow as tf

    layers = [tf.keras.Input(shape=(n_features,), name="features")]
    layers += [tf.keras.layers.Dense(width, activation="relu", name=f"dense_{i}") for i, width in enumerate(hidden)]
    layers.append(tf.keras.layers.Dense(n_classes, activation="softmax", name="scores"))
    return tf.keras.Sequential(layers, name=name)


def build_cnn1d(window_samples: int, n_classes: int):
    """Raw window (T, 1, 3) m/s^2 -> 3 conv blocks over time -> global average -> softmax.

    Input stays in m/s^2 (|a| < 40 for WISDM): the int8 input scale absorbs the range, no rescaling on the device.
    """
    import tensorflow as tf

    layers = tf.keras.layers
    return tf.keras.Sequential(
        [
            tf.keras.Input(shape=(window_samples, 1, N_AXES), name="window"),
            layers.Conv2D(16, (5, 1), padding="same", activation="relu", name="conv_0"),
            layers.MaxPooling2D((2, 1), name="pool_0"),
            layers.Conv2D(24, (5, 1), padding="same", activation="relu", name="conv_1"),
            layers.MaxPooling2D((2, 1), name="pool_1"),
            layers.Conv2D(32, (3, 1), padding="same", activation="relu", name="conv_2"),
            layers.GlobalAveragePooling2D(name="mean"),
            layers.Dense(n_classes, activation="softmax", name="scores"),
        ],
        name="har_cnn1d",
    )


def model_builder(config: HarConfig, n_inputs: int) -> Callable[[], object]:
    """A zero-argument builder for the configured model (`n_inputs`: feature count; unused by the CNN)."""
    n_classes = len(config.labels)
    if config.model == "mlp_textbook":
        return lambda: build_mlp(n_inputs, (100, 100), n_classes, "har_mlp_textbook")
    if config.model == "mlp":
        return lambda: build_mlp(n_inputs, (32, 16), n_classes, "har_mlp")
    return lambda: build_cnn1d(config.window_samples, n_classes)


def uses_features(config: HarConfig) -> bool:
    """True for the feature MLPs, False for the CNN on raw windows."""
    return config.model != "cnn1d"
