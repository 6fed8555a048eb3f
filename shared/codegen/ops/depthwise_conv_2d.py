"""DEPTHWISE_CONV_2D with depth multiplier ↔ kernels/depthwise_conv_2d.c."""

from __future__ import annotations

from shared.codegen.multipliers import activation_range, per_channel_multipliers
from shared.codegen.ops import LayerCode, LayerContext, params_struct, quant_text, row_lead, shape_text
from shared.codegen.ops.conv_2d import spatial_params

KERNELS = ("fixed_point", "depthwise_conv_2d")


def requant_tables(ctx: LayerContext, x, weights, y, channels: int) -> dict:
    """Per-channel multiplier/shift tables and the activation range, as named struct fields."""
    multipliers, shifts = per_channel_multipliers(x.scale, weights.scales, y.scale, channels)
    act_min, act_max = activation_range(ctx.fused_activation(), y.scale, y.zero_point)
    return {
        "in_zp": x.zero_point, "out_zp": y.zero_point, "act_min": act_min, "act_max": act_max,
        "multipliers": ctx.table("multipliers", multipliers, "int32_t"),
        "shifts": ctx.table("shifts", shifts, "int32_t"),
    }


def emit(ctx: LayerContext) -> LayerCode:
    x, y = ctx.activation(0), ctx.activation(0, outputs=True)
    weights = ctx.constant(1, "int8")
    if len(x.shape) != 4 or len(weights.shape) != 4:
        raise ctx.refuse("DEPTHWISE_CONV_2D needs 4-D input and filter", x)
    batches, in_h, in_w, in_c = x.shape
    _, filter_h, filter_w, out_c = weights.shape
    _, out_h, out_w, _ = y.shape
    if out_c % in_c != 0 or y.shape[3] != out_c:
        raise ctx.refuse(f"{out_c} output channels is not a multiple of {in_c} input channels", weights)
    spatial = spatial_params(ctx, (in_h, in_w), (out_h, out_w), (filter_h, filter_w))
    fields = {
        "batches": batches, "in_h": in_h, "in_w": in_w, "in_c": in_c, "out_h": out_h, "out_w": out_w,
        "depth_multiplier": out_c // in_c, "filter_h": filter_h, "filter_w": filter_w,
        **{k: v for k, v in spatial.items() if k != "padding"},
    }
    requant = requant_tables(ctx, x, weights, y, out_c)
    fields.update({k: requant[k] for k in ("in_zp", "out_zp", "act_min", "act_max")})
    fields["weights"] = ctx.table("weights", weights.data, "int8_t")
    fields["bias"] = ctx.table("bias", ctx.bias(2, out_c), "int32_t")
    fields["multipliers"], fields["shifts"] = requant["multipliers"], requant["shifts"]
    ctx.tables.append(params_struct("cg_depthwise_params", f"{ctx.prefix}_params", fields))
    summary = (f"{shape_text(x.shape)} -> {shape_text(y.shape)}; filter {filter_h}x{filter_w} x{out_c // in_c} "
               f"stride {spatial['stride_h']}x{spatial['stride_w']} {spatial['padding']}, "
               f"{ctx.fused_activation()}\nin {quant_text(x)}, out {quant_text(y)}")
    return LayerCode(KERNELS, ctx.tables, f"cg_depthwise_conv_2d(&{ctx.prefix}_params, in0, out);", [x.index],
                     summary, macs=batches * out_h * out_w * out_c * filter_h * filter_w,
                     in_place_lead=row_lead(x.shape, y.shape, spatial["pad_top"]))
