"""ADD with broadcasting ↔ kernels/reference/add.c."""

from __future__ import annotations

import numpy as np

from shared.codegen.multipliers import activation_range, quantize_multiplier
from shared.codegen.ops import LayerCode, LayerContext, params_struct, quant_text, shape4, shape_text

KERNELS = ("fixed_point", "add")
LEFT_SHIFT = 20  # TFLM add.cc: inputs are lifted to 2^20 before rescaling (int8 path)


def broadcast_strides(shape: list[int], out_shape: list[int]) -> list[int]:
    """Element strides of a 4-D `shape` read at the indices of `out_shape`; 0 along broadcast axes."""
    strides, step = [0, 0, 0, 0], 1
    for axis in range(3, -1, -1):
        strides[axis] = 0 if shape[axis] == 1 and out_shape[axis] != 1 else step
        step *= shape[axis]
    return strides


def emit(ctx: LayerContext) -> LayerCode:
    a, b, y = ctx.activation(0), ctx.activation(1), ctx.activation(0, outputs=True)
    out_shape = shape4(y.shape)
    for tensor in (a, b):
        shape = shape4(tensor.shape)
        if any(s not in (1, o) for s, o in zip(shape, out_shape, strict=True)):
            raise ctx.refuse(f"cannot broadcast {tensor.shape} to {y.shape}", tensor)
    # TFLM add.cc: both inputs rescaled to twice the larger input scale, all in double
    twice_max = 2 * float(max(np.float32(a.scale), np.float32(b.scale)))
    m1, s1 = quantize_multiplier(float(np.float32(a.scale)) / twice_max)
    m2, s2 = quantize_multiplier(float(np.float32(b.scale)) / twice_max)
    mo, so = quantize_multiplier(twice_max / ((1 << LEFT_SHIFT) * float(np.float32(y.scale))))
    act_min, act_max = activation_range(ctx.fused_activation(), y.scale, y.zero_point)
    fields = {
        "shape": "{" + ", ".join(map(str, out_shape)) + "}",
        "strides1": "{" + ", ".join(map(str, broadcast_strides(shape4(a.shape), out_shape))) + "}",
        "strides2": "{" + ", ".join(map(str, broadcast_strides(shape4(b.shape), out_shape))) + "}",
        "in1_zp": a.zero_point, "in2_zp": b.zero_point, "out_zp": y.zero_point, "left_shift": LEFT_SHIFT,
        "in1_multiplier": m1, "in1_shift": s1, "in2_multiplier": m2, "in2_shift": s2,
        "out_multiplier": mo, "out_shift": so, "act_min": act_min, "act_max": act_max,
    }
    ctx.tables.append(params_struct("cg_add_params", f"{ctx.prefix}_params", fields))
    summary = (f"{shape_text(a.shape)} + {shape_text(b.shape)} -> {shape_text(y.shape)}, {ctx.fused_activation()}\n"
               f"in1 {quant_text(a)}, in2 {quant_text(b)}, out {quant_text(y)}")
    return LayerCode(KERNELS, ctx.tables, f"cg_add(&{ctx.prefix}_params, in0, in1, out);", [a.index, b.index],
                     summary, in_place_lead=0 if shape4(a.shape) == out_shape else None)
