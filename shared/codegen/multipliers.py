"""TFLite's float→integer parameter rules, computed once here and written into the C tables.

Each function reproduces what TFLM computes in its kernels' Prepare step (quantization_util.cc,
kernel_util.cc, *_common.cc), in the same floating-point types: scales are float32 in the model and are
widened to double before dividing, exactly as TFLM does, so the int32 tables come out identical.
"""

from __future__ import annotations

import math

import numpy as np


def round_half_away(x: float) -> int:
    """std::round / TfLiteRound: nearest integer, ties away from zero."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def quantize_multiplier(real_multiplier: float) -> tuple[int, int]:
    """QuantizeMultiplier: real = multiplier / 2^31 * 2^shift with multiplier in [2^30, 2^31)."""
    if real_multiplier == 0.0:
        return 0, 0
    fraction, shift = math.frexp(real_multiplier)
    fixed = round_half_away(fraction * (1 << 31))
    if fixed == 1 << 31:
        fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > 30:
        return (1 << 31) - 1, 30
    return fixed, shift


def per_channel_multipliers(input_scale: float, filter_scales, output_scale: float, channels: int):
    """Conv/depthwise/FC: input_scale * filter_scale / output_scale per output channel (double, as TFLM)."""
    filter_scales = np.asarray(filter_scales, dtype=np.float32)
    if filter_scales.size == 1:
        filter_scales = np.repeat(filter_scales, channels)
    multipliers, shifts = [], []
    for filter_scale in filter_scales:
        real = float(np.float32(input_scale)) * float(filter_scale) / float(np.float32(output_scale))
        multiplier, shift = quantize_multiplier(real)
        multipliers.append(multiplier)
        shifts.append(shift)
    return np.array(multipliers, dtype=np.int64), np.array(shifts, dtype=np.int64)


def activation_range(activation: str, scale: float, zero_point: int) -> tuple[int, int]:
    """CalculateActivationRangeQuantized for int8: the fused activation's bounds in output units.

    TFLM quantizes the bound as zp + round(x / scale) with float32 division and roundf.
    """

    def quantize(x: float) -> int:
        return zero_point + round_half_away(float(np.float32(x) / np.float32(scale)))

    low, high = -128, 127
    if activation == "NONE":
        return low, high
    if activation == "RELU":
        return max(low, quantize(0.0)), high
    if activation == "RELU6":
        return max(low, quantize(0.0)), min(high, quantize(6.0))
    if activation == "RELU_N1_TO_1":
        return max(low, quantize(-1.0)), min(high, quantize(1.0))
    raise ValueError(f"fused activation {activation}")


def same_padding(in_size: int, filter_size: int, stride: int, dilation: int, out_size: int) -> int:
    """ComputePaddingHeightWidth: the leading (top/left) pad for SAME; the odd pixel goes to the end."""
    effective_filter = (filter_size - 1) * dilation + 1
    total = (out_size - 1) * stride + effective_filter - in_size
    return max(total, 0) // 2


def input_radius(integer_bits: int, left_shift: int, total_signed_bits: int = 31) -> int:
    """CalculateInputRadius: largest |input - zp| whose rescaled value stays inside the fixed-point range."""
    max_rescaled = 1.0 * ((1 << integer_bits) - 1) * (1 << (total_signed_bits - integer_bits)) / (1 << left_shift)
    return math.floor(max_rescaled)
