"""Small random tf-keras models converted to full-integer int8 .tflite, and the bit-exactness check against TFLM.

Shared by the codegen tests. `import shared` (done by tests/conftest.py) has set TF_USE_LEGACY_KERAS=1, so
`tf.keras` is tf-keras.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from shared.codegen.bench.models import build_int8, convert_int8, randomize
from shared.codegen.host import HostModel
from shared.tflm import run_tflm

__all__ = ["IN_PLACE_WINDOWS_SHAPE", "assert_bit_exact", "build_case", "convert_int8", "in_place_windows", "randomize",
           "reversed_windows", "test_inputs"]


def build_case(build: Callable, input_shape: tuple[int, ...], seed: int, n_samples: int = 32) -> dict:
    """The Keras model `build(tf.keras.layers, inputs)` returns, randomized and converted, with its seed."""
    return {"tflite": build_int8(build, input_shape, seed, n_samples), "seed": seed}


def test_inputs(input_size: int, seed: int, count: int = 48) -> np.ndarray:
    """Uniform random int8 inputs (all codes, saturation included)."""
    return np.random.default_rng(seed).integers(-128, 128, size=(count, input_size), dtype=np.int8)


test_inputs.__test__ = False  # not a pytest test


def assert_bit_exact(model_bytes: bytes, name: str, workdir: Path, seed: int = 0, sanitize: bool = True) -> HostModel:
    """Generated C (gcc -Werror; ASan+UBSan at -O1 by default, else the -O3 speed build) equals the TFLM runtime
    byte for byte on random inputs."""
    host = HostModel(model_bytes, name, workdir, sanitize=sanitize, strict=True)
    x = test_inputs(host.model.input_size, seed)
    expected = run_tflm(model_bytes, x).reshape(len(x), -1)
    actual = host.invoke(x)
    if not np.array_equal(actual, expected):
        sample, index = np.argwhere(actual != expected)[0]
        raise AssertionError(
            f"{name}: generated C differs from TFLM at sample {sample} output {index}: C {actual[sample, index]} vs "
            f"TFLM {expected[sample, index]} ({int((actual != expected).sum())} of {actual.size} values differ)")
    np.testing.assert_array_equal(actual, expected)
    return host


def in_place_windows(L, x):
    """Stride-1 3x3 convolutions the memory plan writes over their input (tests/codegen/test_in_place.py): SAME
    equal (8 -> 8), widening (8 -> 12) and narrowing (12 -> 8), then VALID widening (8 -> 24), narrowing (24 -> 8)
    and equal (8 -> 8); odd pixel counts (a lone last pixel) and odd row widths (pairs across row ends). The
    leading 1x1 conv puts the first 3x3 conv's input in the arena (the model input is the caller's)."""
    x = L.Conv2D(8, 1, activation="relu")(x)
    x = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = L.Conv2D(12, 3, padding="same", activation="relu")(x)
    x = L.Conv2D(8, 3, padding="same")(x)
    x = L.Conv2D(24, 3, padding="valid")(x)
    x = L.Conv2D(8, 3, padding="valid", activation="relu")(x)
    x = L.Conv2D(8, 3, padding="valid", activation="relu")(x)
    return L.Dense(5, activation="softmax")(L.GlobalAveragePooling2D()(x))


IN_PLACE_WINDOWS_SHAPE = (9, 11, 4)


def reversed_windows(L, x):
    """A chain of equal 3x3 convs (16 -> 16, like the KWS-shaped CNN's): the plan writes every other one with its
    pixels last to first, its output after its input, and the VALID conv after them in place."""
    x = L.Conv2D(16, 1, activation="relu")(x)
    for _ in range(3):
        x = L.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = L.Conv2D(16, 3, padding="valid", activation="relu")(x)
    return L.Dense(5, activation="softmax")(L.GlobalAveragePooling2D()(x))
