"""TensorFlow Lite conversion: float32, dynamic-range, float16 and full-integer int8 from a Keras model.

Models come in memory, as a SavedModel directory, or as a `.h5`/`.keras` file (the textbook's models are `.h5`).
Full-integer int8 models have int8 input and output, so the same bytes run in LiteRT, TFLM and generated C.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

import shared  # noqa: F401  (tf-keras before TensorFlow)
from shared.data import DataError
from shared.quiet import native_stderr_without

REPRESENTATIVE_SAMPLES = 300
# What the int8 converter says on every call, none of it about the user's model: a UserWarning that no input
# statistics were given (they are not needed: the representative data calibrates the input), and its settings
# printed from C++ ("fully_quantize: 0, inference_type: 6, ...").
INT8_CONVERTER_WARNING = "Statistics for quantized inputs were expected"
INT8_CONVERTER_STDERR = r"^fully_quantize: \d+, inference_type: "


def load_keras_model(path: Path):
    """A tf-keras model from a `.h5`/`.keras` file or a SavedModel directory; DataError if it cannot be read."""
    import tensorflow as tf

    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such model file or folder")
    try:
        if path.is_dir():
            return tf.keras.models.load_model(path, compile=False)
        if path.suffix not in (".h5", ".keras"):
            raise DataError(f"{path}: expected a .h5 or .keras file or a SavedModel folder")
        return tf.keras.models.load_model(path, compile=False)
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: cannot load Keras model ({error})") from None


def _converter(model):
    import tensorflow as tf

    if isinstance(model, (str, Path)) and Path(model).is_dir():
        return tf.lite.TFLiteConverter.from_saved_model(str(model))
    if isinstance(model, (str, Path)):
        model = load_keras_model(Path(model))
    return tf.lite.TFLiteConverter.from_keras_model(model)


def representative_samples(x_train: np.ndarray, count: int = REPRESENTATIVE_SAMPLES, seed: int = 0) -> np.ndarray:
    """A fixed random subset of the training inputs, for calibrating int8 ranges."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(x_train), size=min(count, len(x_train)), replace=False)
    return np.asarray(x_train[np.sort(picks)], dtype=np.float32)


def to_float32(model) -> bytes:
    """Plain float32 TFLite flatbuffer."""
    return _converter(model).convert()


def to_dynamic_range(model) -> bytes:
    """int8 weights, float activations (dynamic-range quantization): not runnable by TFLM."""
    import tensorflow as tf

    converter = _converter(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return converter.convert()


def to_float16(model) -> bytes:
    """float16 weights, float32 compute."""
    import tensorflow as tf

    converter = _converter(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def to_int8(model, representative: np.ndarray) -> bytes:
    """Full-integer int8 (int8 input and output), activations calibrated on `representative` (float inputs)."""
    import tensorflow as tf

    def samples() -> Iterator[list[np.ndarray]]:
        for sample in representative:
            yield [np.asarray(sample, dtype=np.float32)[None, ...]]

    converter = _converter(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = samples
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    with warnings.catch_warnings(), native_stderr_without(INT8_CONVERTER_STDERR):
        warnings.filterwarnings("ignore", message=INT8_CONVERTER_WARNING, category=UserWarning)
        return converter.convert()

