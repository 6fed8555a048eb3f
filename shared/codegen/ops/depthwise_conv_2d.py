"""DEPTHWISE_CONV_2D with depth multiplier ↔ kernels/reference/depthwise_conv_2d.c and
kernels/cortex_m/depthwise_conv_2d.c (the SMLAD fast path; its 3x3 asm passes in depthwise_3x3.c)."""

from __future__ import annotations

import numpy as np

from shared.codegen.multipliers import activation_range, per_channel_multipliers
from shared.codegen.ops import LayerCode, LayerContext, params_struct, quant_text, row_lead, shape_text
from shared.codegen.ops.conv_2d import spatial_params
from shared.codegen.ops.matvec import offsets

KERNELS = ("fixed_point", "dsp", "depthwise_3x3", "depthwise_conv_2d")  # depthwise_3x3: cortex_m only
MAX_FILTER_H = 16  # CG_DW_MAX_FILTER_H in kernels/cortex_m/depthwise_conv_2d.c


def requant_tables(ctx: LayerContext, x, weights, y, out_c: int) -> tuple[dict, np.ndarray, np.ndarray, object]:
    """Per-channel requantization as named struct fields (multiplier/shift tables, the activation range, and the
    reference kernel's `offsets` and `right_shifts` for cg_requantize_offset when that form is exact for every
    output channel, else NULL for both), with the multipliers, shifts and offsets (or None) themselves, which the
    DSP path shares."""
    multipliers, shifts = per_channel_multipliers(x.scale, weights.scales, y.scale, out_c)
    act_min, act_max = activation_range(ctx.fused_activation(), y.scale, y.zero_point)
    taps = weights.data.reshape(-1, out_c).T  # (out_c, filter_h * filter_w)
    channel_offsets = offsets(shifts, y.zero_point, taps, ctx.bias(2, out_c), x.zero_point)
    fields = {
        "in_zp": x.zero_point, "out_zp": y.zero_point, "act_min": act_min, "act_max": act_max,
        "multipliers": ctx.table("multipliers", multipliers, "int32_t"),
        "shifts": ctx.table("shifts", shifts, "int32_t"),
        "offsets": "NULL", "right_shifts": "NULL",
    }
    if channel_offsets is not None:
        fields["offsets"] = ctx.table("offsets", channel_offsets, "int32_t")
        fields["right_shifts"] = ctx.table("right_shifts", -shifts, "int32_t")
    return fields, multipliers, shifts, channel_offsets


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
    requant, multipliers, shifts, channel_offsets = requant_tables(ctx, x, weights, y, out_c)
    fields.update({k: requant[k] for k in ("in_zp", "out_zp", "act_min", "act_max")})
    fields["weights"] = ctx.table("weights", weights.data, "int8_t")
    fields["bias"] = ctx.table("bias", ctx.bias(2, out_c), "int32_t")
    fields.update({k: requant[k] for k in ("multipliers", "shifts", "offsets", "right_shifts")})
    ctx.tables.append(params_struct("cg_depthwise_params", f"{ctx.prefix}_params", fields))
    summary = (f"{shape_text(x.shape)} -> {shape_text(y.shape)}; filter {filter_h}x{filter_w} x{out_c // in_c} "
               f"stride {spatial['stride_h']}x{spatial['stride_w']} {spatial['padding']}, "
               f"{ctx.fused_activation()}\nin {quant_text(x)}, out {quant_text(y)}")
    code = LayerCode(KERNELS, ctx.tables, f"cg_depthwise_conv_2d(&{ctx.prefix}_params, in0, out);", [x.index],
                     summary, macs=batches * out_h * out_w * out_c * filter_h * filter_w,
                     in_place_lead=row_lead(x.shape, y.shape, spatial["pad_top"]))
    if fields["depth_multiplier"] == 1 and fields["dilation_h"] == fields["dilation_w"] == 1 and \
            filter_h <= MAX_FILTER_H and in_c % 2 == 0 and channel_offsets is not None:
        dsp_path(ctx, code, fields, x, weights, (multipliers, shifts, channel_offsets))
    return code


def dsp_path(ctx: LayerContext, code: LayerCode, fields: dict, x, weights, requant: tuple) -> None:
    """The Cortex-M fast path (kernels/cortex_m/depthwise_conv_2d.c; depth multiplier 1, the one-SMMLAR
    requantization exact for every channel): its tables, then the reference tables, each under its build.
    `requant`: the multipliers, shifts and offsets of requant_tables."""
    channels, filter_h, filter_w = fields["in_c"], fields["filter_h"], fields["filter_w"]
    taps = weights.data.reshape(filter_h, filter_w, channels).transpose(2, 0, 1).astype(np.int64)  # (c, fy, fx)
    bias = ctx.bias(2, channels)
    multipliers, shifts, row_offsets = requant
    # weight sets: taps as they are (set 0, a pixel's first tap at an even padded column) and moved up one lane
    # (set 1, an odd column); an even stride starts every pixel at an even column
    pairs = filter_w // 2 + 1
    sets = 2 if fields["stride_w"] % 2 == 1 else 1
    padded = np.zeros((channels, filter_h, sets, 2 * pairs), dtype=np.int64)
    for s in range(sets):
        padded[:, :, s, s:s + filter_w] = 2 * taps  # doubled: the accumulator is 2 acc, what requantization takes
    halves = padded.reshape(channels, filter_h, sets, pairs, 2) & 0xFFFF
    words = ((halves[..., 1] << 16) | halves[..., 0]).astype(np.uint32).view(np.int32)  # (c, fy, set, pair)
    # word columns (two padded columns each): every image column and the padding before it, and the last word an
    # output reads
    plane_w = max((fields["pad_left"] + fields["in_w"] + 1) // 2,
                  (fields["out_w"] - 1) * fields["stride_w"] // 2 + pairs)
    reference = ctx.tables[:]
    ctx.tables.clear()
    dsp_fields = {k: fields[k] for k in ("batches", "in_h", "in_w", "in_c", "out_h", "out_w", "filter_h", "filter_w",
                                         "stride_h", "stride_w", "pad_top", "pad_left", "in_zp", "act_min",
                                         "act_max")}
    # the kernel multiplies x, not x - zp: sum w (x - zp) = sum w x - zp sum w, exact as the padding holds zp;
    # |bias - zp sum w| <= |bias| + 128 sum |w| < 2^30 (offsets' bound), so the doubled bias fits int32
    folded_bias = 2 * (bias.astype(np.int64) - x.zero_point * taps.reshape(channels, -1).sum(axis=1))
    # a stride-1 pixel whose last filter column is right padding (x = zp there) takes that column's products from
    # its own bias: the asm passes skip the word (|edge| < 2^31 by the same bound)
    edge_bias = folded_bias + 2 * x.zero_point * taps[:, :, filter_w - 1].sum(axis=1)
    records = np.concatenate([np.stack([folded_bias, folded_bias], axis=1), words.reshape(channels, -1),
                              np.stack([multipliers, row_offsets, -shifts, edge_bias], axis=1)],
                             axis=1)  # see the C struct
    # the asm passes drop the sign correction where act_min >= out_zp (fused_form's argument: exact either way)
    sign_fix = int(fields["act_min"] < fields["out_zp"])
    dsp_fields.update({
        "sign_fix": sign_fix, "pairs": pairs, "sets": sets, "plane_w": plane_w,
        "channels": ctx.table("dsp_channels", records, "int32_t", per_line=8),
    })
    ctx.tables.append(params_struct("cg_depthwise_dsp_params", f"{ctx.prefix}_dsp_params", dsp_fields))
    code.tables = ["#if CG_DSP /* the SMLAD fast path */\n", *ctx.tables, "#else\n", *reference, "#endif\n"]
    code.dsp_call = f"cg_depthwise_conv_2d_dsp(&{ctx.prefix}_dsp_params, in0, out, scratch);"
    code.scratch_bytes = 2 * filter_h * channels * plane_w  # a word per pair of channels and word column
    code.defines = ("CG_DW_SIGN_FIX",) if sign_fix else ("CG_DW_NO_SIGN_FIX",)
