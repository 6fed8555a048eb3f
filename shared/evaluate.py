"""Running TFLite variants: every variant with LiteRT, int8 variants also with the TFLM runtime.

Float inputs are quantized for int8 models exactly as TFLite's QUANTIZE does (round half away from zero, then
add the zero point, saturate to int8), so the host, TFLM and the device see the same int8 input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shared import tflm
from shared.quiet import native_stderr_without

BATCH = 256
# LiteRT announces its default CPU delegate once per process, from C++, when tensors are first allocated.
XNNPACK_NOTICE = r"^INFO: Created TensorFlow Lite XNNPACK delegate for CPU\."


@dataclass(frozen=True)
class TensorQuant:
    """dtype, shape and (scale, zero point) of a model's input or output tensor."""

    dtype: np.dtype
    shape: tuple[int, ...]
    scale: float
    zero_point: int


def _interpreter(model_bytes: bytes, integer_kernels: bool = False):
    """integer_kernels: LiteRT's builtin kernels without its default XNNPACK delegate, for full-integer models.
    XNNPACK requantizes int8 in float32 and its scores differ from TFLM's (and so the board's) by up to 13 steps on
    the HAR two-branch model; the builtin integer kernels give TFLM's scores."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolver = OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES if integer_kernels else OpResolverType.AUTO
    return Interpreter(model_content=bytes(model_bytes), num_threads=1, experimental_op_resolver_type=resolver)


def _quant(detail: dict) -> TensorQuant:
    scale, zero_point = detail.get("quantization", (0.0, 0))
    return TensorQuant(np.dtype(detail["dtype"]), tuple(int(d) for d in detail["shape"]), float(scale), int(zero_point))


def io_quantization(model_bytes: bytes) -> tuple[TensorQuant, TensorQuant]:
    """(input, output) tensor descriptions of a single-input, single-output model."""
    interpreter = _interpreter(model_bytes)
    return _quant(interpreter.get_input_details()[0]), _quant(interpreter.get_output_details()[0])


def round_half_away(values: np.ndarray) -> np.ndarray:
    """std::round semantics (TfLiteRound): 2.5 -> 3, -2.5 -> -3; numpy's round would give 2 and -2."""
    return np.sign(values) * np.floor(np.abs(values) + 0.5)


def quantize(values: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """float -> int8 as TFLite's QUANTIZE op: round(x / scale) + zero_point, saturated to [-128, 127]."""
    scaled = np.asarray(values, dtype=np.float32) / np.float32(scale)
    return np.clip(round_half_away(scaled) + zero_point, -128, 127).astype(np.int8)


def dequantize(values: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """int8 -> float32: scale * (q - zero_point)."""
    return (np.asarray(values, dtype=np.float32) - zero_point) * np.float32(scale)


def quantize_input(model_bytes: bytes, x_float: np.ndarray) -> np.ndarray:
    """The int8 input tensor values an int8 model gets for float inputs `x_float`."""
    input_quant, _ = io_quantization(model_bytes)
    return quantize(x_float, input_quant.scale, input_quant.zero_point)


def run_litert_raw(model_bytes: bytes, x: np.ndarray) -> np.ndarray:
    """Raw outputs (in the model's output dtype) for inputs already in the model's input dtype; int8 inputs (an
    int8 model's) run LiteRT's integer kernels (_interpreter)."""
    interpreter = _interpreter(model_bytes, integer_kernels=np.asarray(x).dtype == np.int8)
    input_detail = interpreter.get_input_details()[0]
    output_index = interpreter.get_output_details()[0]["index"]
    outputs = []
    for start in range(0, len(x), BATCH):
        chunk = np.ascontiguousarray(x[start : start + BATCH], dtype=input_detail["dtype"])
        interpreter.resize_tensor_input(input_detail["index"], list(chunk.shape))
        with native_stderr_without(XNNPACK_NOTICE):
            interpreter.allocate_tensors()
        interpreter.set_tensor(input_detail["index"], chunk)
        interpreter.invoke()
        outputs.append(np.array(interpreter.get_tensor(output_index), copy=True))
    return np.concatenate(outputs)


def run_litert(model_bytes: bytes, x_float: np.ndarray) -> np.ndarray:
    """Float scores for float inputs, whatever the model's I/O type (int8 models quantize/dequantize)."""
    input_quant, output_quant = io_quantization(model_bytes)
    if input_quant.dtype == np.int8:
        x = quantize(x_float, input_quant.scale, input_quant.zero_point)
    else:
        x = np.asarray(x_float, np.float32)
    raw = run_litert_raw(model_bytes, x)
    if output_quant.dtype == np.int8:
        return dequantize(raw, output_quant.scale, output_quant.zero_point)
    return raw.astype(np.float32)


def accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    """Share of samples whose highest score is the true label."""
    return float(np.mean(np.argmax(scores.reshape(len(scores), -1), axis=1) == np.asarray(labels)))


@dataclass(frozen=True)
class TflmAgreement:
    """How the TFLM runtime compares with LiteRT on the same int8 inputs (and TFLM's outputs, the oracle)."""

    same_class_share: float
    max_abs_difference: int
    accuracy: float
    tflm_outputs: np.ndarray  # (N, n_classes) int8


def compare_with_tflm(model_bytes: bytes, x_float: np.ndarray, labels: np.ndarray) -> TflmAgreement:
    """Run an int8 model in TFLM and LiteRT on the same quantized inputs; class agreement and max int8 difference."""
    x_int8 = quantize_input(model_bytes, x_float)
    litert = run_litert_raw(model_bytes, x_int8).reshape(len(x_int8), -1).astype(np.int32)
    micro = tflm.run_tflm(model_bytes, x_int8).reshape(len(x_int8), -1).astype(np.int32)
    same = np.argmax(litert, axis=1) == np.argmax(micro, axis=1)
    return TflmAgreement(
        same_class_share=float(np.mean(same)),
        max_abs_difference=int(np.max(np.abs(litert - micro))),
        accuracy=float(np.mean(np.argmax(micro, axis=1) == np.asarray(labels))),
        tflm_outputs=micro.astype(np.int8),
    )
