"""SOFTMAX (int8 in, int8 out with scale 1/256 and zero point -128) ↔ kernels/reference/softmax.c."""

from __future__ import annotations

import numpy as np

from shared.codegen.multipliers import input_radius, quantize_multiplier
from shared.codegen.ops import LayerCode, LayerContext, params_struct, quant_text, shape_text

KERNELS = ("fixed_point", "fixed_point_exp", "softmax")
SCALED_DIFF_INTEGER_BITS = 5  # TFLite int8 softmax works on differences in Q5.26


def softmax_scaling(beta: float, input_scale: float) -> tuple[int, int, int]:
    """PreprocessSoftmaxScaling + CalculateInputRadius: (multiplier, left shift, diff_min)."""
    real = min(beta * float(np.float32(input_scale)) * (1 << (31 - SCALED_DIFF_INTEGER_BITS)), (1 << 31) - 1.0)
    multiplier, left_shift = quantize_multiplier(real)
    diff_min = -input_radius(SCALED_DIFF_INTEGER_BITS, left_shift)
    return multiplier, left_shift, diff_min


def emit(ctx: LayerContext) -> LayerCode:
    x, y = ctx.activation(0), ctx.activation(0, outputs=True)
    if y.zero_point != -128 or float(np.float32(y.scale)) != 1.0 / 256:
        raise ctx.refuse("int8 SOFTMAX output must have scale 1/256 and zero point -128", y)
    beta = float(np.float32(getattr(ctx.op.options, "beta", 1.0)))
    multiplier, left_shift, diff_min = softmax_scaling(beta, x.scale)
    depth = x.shape[-1]
    fields = {"rows": x.size // depth, "depth": depth, "input_multiplier": multiplier,
              "input_left_shift": left_shift, "diff_min": diff_min}
    ctx.tables.append(params_struct("cg_softmax_params", f"{ctx.prefix}_params", fields))
    summary = f"{shape_text(x.shape)}, beta {beta:g}\nin {quant_text(x)}, out {quant_text(y)}"
    return LayerCode(KERNELS, ctx.tables, f"cg_softmax(&{ctx.prefix}_params, in0, out);", [x.index], summary,
                     in_place_lead=0)
