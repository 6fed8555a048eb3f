"""MEAN over a contiguous run of axes (global average pooling, 2-D or 1-D) ↔ kernels/reference/mean.c."""

from __future__ import annotations

import numpy as np

from shared.codegen.multipliers import quantize_multiplier
from shared.codegen.ops import LayerCode, LayerContext, params_struct, quant_text, shape_text
from shared.codegen.ops.matvec import OFFSET_MAX_SHIFT
from shared.codegen.ops.pooling import DSP_MAX_WINDOW

KERNELS = ("fixed_point", "dsp", "mean")  # dsp: cortex_m only (cg_sum4_run for cortex_m/mean.c)


def mean_multiplier(input_scale: float, output_scale: float, count: int) -> tuple[int, int]:
    """TFLM's integer mean: quantize in/out, then fold 1/count into the multiplier (reduce.h, compute_sum=false).

    shift = floor(log2(count)), clamped to 32 and to 31 + output_shift; multiplier * 2^shift / count (int64).
    """
    multiplier, shift = quantize_multiplier(float(np.float32(input_scale)) / float(np.float32(output_scale)))
    extra = min(count.bit_length() - 1, 32, 31 + shift)
    return (multiplier << extra) // count, shift - extra


def emit(ctx: LayerContext) -> LayerCode:
    x, y = ctx.activation(0), ctx.activation(0, outputs=True)
    axes_tensor = ctx.constant(1, "int32")
    rank = len(x.shape)
    axes = sorted({int(a) % rank for a in np.asarray(axes_tensor.data).ravel()})
    if axes != list(range(axes[0], axes[-1] + 1)):
        raise ctx.refuse(f"MEAN over non-contiguous axes {axes} is not supported", axes_tensor)
    outer = int(np.prod(x.shape[: axes[0]], dtype=np.int64))
    reduced = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    inner = int(np.prod(x.shape[axes[-1] + 1 :], dtype=np.int64))
    multiplier, shift = mean_multiplier(x.scale, y.scale, reduced)
    fields = {"outer": outer, "reduced": reduced, "inner": inner, "in_zp": x.zero_point, "out_zp": y.zero_point,
              "multiplier": multiplier, "shift": shift}
    ctx.tables.append(params_struct("cg_mean_params", f"{ctx.prefix}_params", fields))
    summary = f"{shape_text(x.shape)} -> {shape_text(y.shape)}; axes {axes}\nin {quant_text(x)}, out {quant_text(y)}"
    code = LayerCode(KERNELS, ctx.tables, f"cg_mean(&{ctx.prefix}_params, in0, out);", [x.index], summary,
                     in_place_lead=0)
    if inner % 4 == 0 and reduced <= DSP_MAX_WINDOW and 1 <= -shift <= OFFSET_MAX_SHIFT:
        code.dsp_call = f"cg_mean_dsp(&{ctx.prefix}_params, in0, out);"  # 4 channels per SXTAB16 pair
    return code
