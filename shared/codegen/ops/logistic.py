"""LOGISTIC (int8 in, int8 out with scale 1/256 and zero point -128) ↔ kernels/reference/logistic.c."""

from __future__ import annotations

import math

import numpy as np

from shared.codegen.multipliers import input_radius, round_half_away
from shared.codegen.ops import LayerCode, LayerContext, params_struct, quant_text, shape_text

KERNELS = ("fixed_point", "fixed_point_exp", "logistic")
INPUT_INTEGER_BITS = 4  # TFLM logistic_common.cc: the input is rescaled to Q4.27


def emit(ctx: LayerContext) -> LayerCode:
    x, y = ctx.activation(0), ctx.activation(0, outputs=True)
    if y.zero_point != -128 or float(np.float32(y.scale)) != 1.0 / 256:
        raise ctx.refuse("int8 LOGISTIC output must have scale 1/256 and zero point -128", y)
    # TFLM: frexp of scale * 2^27 taken directly (no QuantizeMultiplier special cases)
    fraction, left_shift = math.frexp(float(np.float32(x.scale)) * (1 << (31 - INPUT_INTEGER_BITS)))
    multiplier = round_half_away(fraction * (1 << 31))
    if multiplier >= 1 << 31:
        raise ctx.refuse("input scale gives a multiplier of 2^31 (TFLM overflows here)", x)
    fields = {"size": x.size, "in_zp": x.zero_point,
              "input_range_radius": input_radius(INPUT_INTEGER_BITS, left_shift),
              "input_multiplier": multiplier, "input_left_shift": left_shift}
    ctx.tables.append(params_struct("cg_logistic_params", f"{ctx.prefix}_params", fields))
    summary = f"{shape_text(x.shape)}\nin {quant_text(x)}, out {quant_text(y)}"
    return LayerCode(KERNELS, ctx.tables, f"cg_logistic(&{ctx.prefix}_params, in0, out);", [x.index], summary,
                     in_place_lead=0)
