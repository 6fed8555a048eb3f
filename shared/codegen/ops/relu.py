"""Standalone RELU, RELU6, RELU_N1_TO_1 ↔ kernels/relu.c."""

from __future__ import annotations

import numpy as np

from shared.codegen.multipliers import activation_range, quantize_multiplier
from shared.codegen.ops import LayerCode, LayerContext, params_struct, quant_text, shape_text

KERNELS = ("fixed_point", "relu")


def emit(ctx: LayerContext) -> LayerCode:
    x, y = ctx.activation(0), ctx.activation(0, outputs=True)
    multiplier, shift = quantize_multiplier(float(np.float32(x.scale)) / float(np.float32(y.scale)))
    act_min, act_max = activation_range(ctx.op.kind, y.scale, y.zero_point)
    fields = {"size": x.size, "in_zp": x.zero_point, "out_zp": y.zero_point, "multiplier": multiplier,
              "shift": shift, "act_min": act_min, "act_max": act_max}
    ctx.tables.append(params_struct("cg_relu_params", f"{ctx.prefix}_params", fields))
    summary = f"{shape_text(x.shape)}\nin {quant_text(x)}, out {quant_text(y)}"
    return LayerCode(KERNELS, ctx.tables, f"cg_relu(&{ctx.prefix}_params, in0, out);", [x.index], summary)
