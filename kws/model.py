"""KWS models: a small CNN on the MFCC frames (plain or DS-CNN-style blocks), and the textbook's 26-feature MLP.

CNN (defaults: 61 frames x 13 MFCC, C = 32 channels, B = 3 blocks), int8 sizes:
  conv 5x3 stride 2x2 -> 31x7xC           weights 15*C = 480 B      activation 31*7*C = 6,944 B
  B x conv 3x3 (cnn_separable=False)      weights B*9*C*C = 27 KB   activations 6,944 B in, 6,944 B out
   or depthwise 3x3 + pointwise 1x1       weights B*(9*C + C*C)     (DS-CNN-style: ~5x fewer weights and MACs)
  mean over time and frequency -> dense 10 (softmax)
  => ~28 KB of int8 weights (+ int32 biases); the largest in+out activation pair ~14 KB (goal <= 32 KB / <= 24 KB).
Each 3x3 block widens what one output sees by 4 frames (64 ms). A word needs most of its syllables in view before the
global mean, hence three blocks (kws/README.md, "Measured here", has the figures with fewer).
The plain blocks are the default because TFMOT 0.8 neither prunes nor clusters DepthwiseConv2D kernels, so the
pruned and clustered variants of a DS-CNN are not what they claim (and the shared checks refuse them).
Every convolution is followed by BatchNormalization and ReLU: the converter folds BN into the convolution, so the
int8 model has only CONV_2D, (DEPTHWISE_CONV_2D,) MEAN, FULLY_CONNECTED and SOFTMAX (ops shared/codegen supports).
"""

from __future__ import annotations

import shared  # noqa: F401  (tf-keras before TensorFlow)
from kws.config import LABELS, KwsConfig


def _conv_bn_relu(layers, x, conv):
    """conv (no bias: BN adds one) -> BatchNormalization -> ReLU."""
    return layers.ReLU()(layers.BatchNormalization(momentum=0.9)(conv(x)))


def build_cnn(cfg: KwsConfig):
    """One strided convolution, `cnn_blocks` 3x3 (or depthwise-separable) blocks, global mean, dense softmax."""
    import tensorflow as tf

    layers = tf.keras.layers
    inputs = tf.keras.Input((*cfg.input_shape, 1), name="mfcc")  # (n_frames, n_mfcc, 1) float32
    x = _conv_bn_relu(layers, inputs, layers.Conv2D(cfg.cnn_channels, (5, 3), strides=(2, 2), padding="same",
                                                    use_bias=False))
    for _ in range(cfg.cnn_blocks):
        if cfg.cnn_separable:
            x = _conv_bn_relu(layers, x, layers.DepthwiseConv2D(3, padding="same", use_bias=False))
            x = _conv_bn_relu(layers, x, layers.Conv2D(cfg.cnn_channels, 1, use_bias=False))
        else:
            x = _conv_bn_relu(layers, x, layers.Conv2D(cfg.cnn_channels, 3, padding="same", use_bias=False))
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(cfg.dropout)(x)
    outputs = layers.Dense(len(LABELS), activation="softmax")(x)
    return tf.keras.Model(inputs, outputs, name="kws_ds_cnn" if cfg.cnn_separable else "kws_cnn")


def build_mlp_textbook(cfg: KwsConfig):
    """The textbook baseline MLP: n_frames x n_mfcc features (2 x 13 = 26 in TEXTBOOK) -> 64 -> 32 -> 10."""
    import tensorflow as tf

    layers = tf.keras.layers
    return tf.keras.Sequential(
        [
            tf.keras.Input((*cfg.input_shape, 1), name="mfcc"),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(32, activation="relu"),
            layers.Dense(len(LABELS), activation="softmax"),
        ],
        name="kws_mlp_textbook",
    )


def build_model(cfg: KwsConfig):
    """The model named by cfg.model."""
    return {"cnn": build_cnn, "mlp_textbook": build_mlp_textbook}[cfg.model](cfg)
