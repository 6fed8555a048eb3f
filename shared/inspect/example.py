"""A model the generator's tests never saw, inspected end to end: a small MobileNet-like stack.

    python -m shared.inspect.example OUT [--samples N] [--no-device]

Builds (seeded, random weights, batch-norm statistics set to plausible values) a 32x32x3 stack of a strided 3x3
conv, three depthwise-separable blocks (depthwise 3x3 + BN + ReLU6, pointwise 1x1 + BN + ReLU6, the second one
strided), global average pooling and a dense softmax; converts it to int8 calibrated on 200 uniform [0, 1) images;
writes OUT/mobilenet_like.keras, .tflite and inputs.npy (another 200 images), then runs
`python -m shared.inspect --tflite OUT/mobilenet_like.tflite --keras OUT/mobilenet_like.keras --inputs
OUT/inputs.npy --out OUT/inspect`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import shared  # noqa: F401  (tf-keras before TensorFlow)

SHAPE = (32, 32, 3)


def mobilenet_like(seed: int = 3):
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    layers = tf.keras.layers

    def bn_relu6(x):
        return layers.ReLU(6.0)(layers.BatchNormalization()(x))

    inputs = tf.keras.Input(SHAPE)
    x = bn_relu6(layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(inputs))
    for filters, stride in ((16, 1), (24, 2), (32, 1)):
        x = bn_relu6(layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x))
        x = bn_relu6(layers.Conv2D(filters, 1, use_bias=False)(x))
    outputs = layers.Dense(10, activation="softmax")(layers.GlobalAveragePooling2D()(x))
    model = tf.keras.Model(inputs, outputs, name="mobilenet_like")
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            n = layer.get_weights()[0].shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, n), rng.normal(0.2, 0.2, n), rng.normal(0, 0.2, n),
                               rng.uniform(0.5, 2.0, n)])
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.inspect.example", description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--no-device", action="store_true")
    args = parser.parse_args(argv)
    from shared.convert import to_int8
    from shared.inspect.__main__ import main as inspect_main

    args.out.mkdir(parents=True, exist_ok=True)
    model = mobilenet_like()
    rng = np.random.default_rng(4)
    model.save(args.out / "mobilenet_like.keras")
    (args.out / "mobilenet_like.tflite").write_bytes(to_int8(model, rng.uniform(0, 1, (200, *SHAPE))))
    np.save(args.out / "inputs.npy", rng.uniform(0, 1, (200, *SHAPE)).astype(np.float32))
    command = ["--tflite", str(args.out / "mobilenet_like.tflite"), "--keras", str(args.out / "mobilenet_like.keras"),
               "--inputs", str(args.out / "inputs.npy"), "--out", str(args.out / "inspect"),
               "--samples", str(args.samples)] + (["--no-device"] if args.no_device else [])
    return inspect_main(command)


if __name__ == "__main__":
    sys.exit(main())
