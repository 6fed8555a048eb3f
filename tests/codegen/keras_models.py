"""Small random tf-keras models converted to full-integer int8 .tflite, and the bit-exactness check against TFLM.

Shared by the codegen tests. `import shared` (done by tests/conftest.py) has set TF_USE_LEGACY_KERAS=1, so
`tf.keras` is tf-keras.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from shared.codegen.host import HostModel
from shared.codegen.tflm_reference import run_tflm


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
    """Full-integer int8 conversion with int8 input and output, calibrated on `samples`."""
    import tensorflow as tf

    def representative():
        for sample in samples:
            yield [sample[None].astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def build_case(build: Callable, input_shape: tuple[int, ...], seed: int, n_samples: int = 32) -> dict:
    """Build the Keras model `build(tf.keras.layers, Input)` returns, randomize it and convert it."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    tf.keras.utils.set_random_seed(seed)
    inputs = tf.keras.Input(input_shape)
    model = randomize(tf.keras.Model(inputs, build(tf.keras.layers, inputs)), rng)
    samples = (rng.normal(0.0, rng.uniform(0.3, 3.0), (n_samples, *input_shape)) + rng.uniform(-1, 1)).astype(
        np.float32)
    return {"tflite": convert_int8(model, samples), "seed": seed}


def test_inputs(input_size: int, seed: int, count: int = 48) -> np.ndarray:
    """Uniform random int8 inputs (all codes, saturation included)."""
    return np.random.default_rng(seed).integers(-128, 128, size=(count, input_size), dtype=np.int8)


test_inputs.__test__ = False  # not a pytest test


def assert_bit_exact(model_bytes: bytes, name: str, workdir: Path, seed: int = 0, sanitize: bool = True) -> HostModel:
    """Generated C (gcc, sanitizers by default) equals the TFLM runtime byte for byte on random inputs."""
    host = HostModel(model_bytes, name, workdir, sanitize=sanitize)
    x = test_inputs(host.model.input_size, seed)
    expected = run_tflm(model_bytes, x)
    actual = host.invoke(x)
    if not np.array_equal(actual, expected):
        sample, index = np.argwhere(actual != expected)[0]
        raise AssertionError(
            f"{name}: generated C differs from TFLM at sample {sample} output {index}: C {actual[sample, index]} vs "
            f"TFLM {expected[sample, index]} ({int((actual != expected).sum())} of {actual.size} values differ)")
    np.testing.assert_array_equal(actual, expected)
    return host
