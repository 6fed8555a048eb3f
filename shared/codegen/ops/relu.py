"""Standalone RELU and RELU6 ↔ kernels/reference/relu.c (TFLM's two different int8 rules, see the kernel)."""

from __future__ import annotations

import numpy as np

from shared.codegen.multipliers import activation_range, quantize_multiplier, round_half_away
from shared.codegen.ops import LayerCode, LayerContext, params_struct, quant_text, shape_text

KERNELS = ("fixed_point", "relu")


def emit(ctx: LayerContext) -> LayerCode:
    x, y = ctx.activation(0), ctx.activation(0, outputs=True)
    multiplier, shift = quantize_multiplier(float(np.float32(x.scale)) / float(np.float32(y.scale)))
    if ctx.op.kind == "RELU6":
        # FloatToQuantizedType(6.0f, input scale, input zp): float32 division, round, clamp to int8
        six = round_half_away(float(np.float32(6.0) / np.float32(x.scale))) + x.zero_point
        requantize, act_min, act_max = 0, x.zero_point, min(max(six, -128), 127)
    else:
        requantize, (act_min, act_max) = 1, activation_range("RELU", y.scale, y.zero_point)
    fields = {"size": x.size, "requantize": requantize, "in_zp": x.zero_point, "out_zp": y.zero_point,
              "multiplier": multiplier, "shift": shift, "act_min": act_min, "act_max": act_max}
    ctx.tables.append(params_struct("cg_relu_params", f"{ctx.prefix}_params", fields))
    summary = f"{shape_text(x.shape)}\nin {quant_text(x)}, out {quant_text(y)}"
    return LayerCode(KERNELS, ctx.tables, f"cg_relu(&{ctx.prefix}_params, in0, out);", [x.index], summary,
                     in_place_lead=0)
