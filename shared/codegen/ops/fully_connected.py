"""FULLY_CONNECTED (per-tensor or per-channel weights) ↔ kernels/reference/fully_connected.c."""

from __future__ import annotations

from shared.codegen.ops import LayerCode, LayerContext, params_struct, quant_text, shape_text
from shared.codegen.ops.matvec import KERNELS as MATVEC_KERNELS
from shared.codegen.ops.matvec import column_defines, matvec_fields

KERNELS = (*MATVEC_KERNELS, "fully_connected")


def emit(ctx: LayerContext) -> LayerCode:
    x, y = ctx.activation(0), ctx.activation(0, outputs=True)
    weights = ctx.constant(1, "int8")
    if getattr(ctx.op.options, "weightsFormat", 0) != 0:
        raise ctx.refuse("shuffled weights format is not supported", weights)
    if len(weights.shape) != 2:
        raise ctx.refuse("weights must be 2-D (out, in)", weights)
    out_n, in_n = weights.shape
    if x.size % in_n != 0 or y.size != x.size // in_n * out_n:
        raise ctx.refuse(f"input of {x.size} values does not fit weights {weights.shape}", x)
    if weights.zero_points is not None and (weights.zero_points != 0).any():
        raise ctx.refuse("weights must be symmetric (zero point 0)", weights)
    batches = x.size // in_n
    matvec = matvec_fields(ctx, x, weights, y, weights.data, ctx.bias(2, out_n), column=True)
    fields = {"batches": batches, "in_n": in_n, "in_zp": x.zero_point, "matvec": matvec}
    ctx.tables.append(params_struct("cg_fully_connected_params", f"{ctx.prefix}_params", fields))
    summary = (f"{shape_text(x.shape)} -> {shape_text(y.shape)}; weights {out_n}x{in_n}, {ctx.fused_activation()}\n"
               f"in {quant_text(x)}, out {quant_text(y)}")
    return LayerCode(KERNELS, ctx.tables, f"cg_fully_connected(&{ctx.prefix}_params, in0, out, scratch);",
                     [x.index], summary, macs=batches * in_n * out_n, scratch_bytes=2 * matvec["depth"],
                     in_place_lead=0 if batches == 1 or out_n <= in_n else None,  # rows go to the column first
                     defines=column_defines(matvec))
