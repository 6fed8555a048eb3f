"""FULLY_CONNECTED (per-tensor or per-channel weights) ↔ kernels/fully_connected.c."""

from __future__ import annotations

from shared.codegen.ops import LayerCode, LayerContext, params_struct, quant_text, shape_text
from shared.codegen.ops.conv_2d import requant_tables

KERNELS = ("fixed_point", "dot_product", "fully_connected")


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
    requant = requant_tables(ctx, x, weights, y, out_n)
    fields = {"batches": batches, "in_n": in_n, "out_n": out_n,
              **{k: requant[k] for k in ("in_zp", "out_zp", "act_min", "act_max")}}
    fields["weights"] = ctx.table("weights", weights.data, "int8_t", per_line=min(16, in_n))
    fields["bias"] = ctx.table("bias", ctx.bias(2, out_n), "int32_t")
    fields["multipliers"], fields["shifts"] = requant["multipliers"], requant["shifts"]
    ctx.tables.append(params_struct("cg_fully_connected_params", f"{ctx.prefix}_params", fields))
    summary = (f"{shape_text(x.shape)} -> {shape_text(y.shape)}; weights {out_n}x{in_n}, {ctx.fused_activation()}\n"
               f"in {quant_text(x)}, out {quant_text(y)}")
    return LayerCode(KERNELS, ctx.tables, f"cg_fully_connected(&{ctx.prefix}_params, in0, out);", [x.index],
                     summary, macs=batches * in_n * out_n)
