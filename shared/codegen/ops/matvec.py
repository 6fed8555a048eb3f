"""Tables of the matrix-vector core shared by CONV_2D and FULLY_CONNECTED (kernels/reference/matvec.c, and
kernels/cortex_m/matvec.c on a DSP core)."""

from __future__ import annotations

import numpy as np

from shared.c_source import c_array
from shared.codegen.multipliers import activation_range, per_channel_multipliers
from shared.codegen.ops import LayerContext

KERNELS = ("fixed_point", "dsp", "matvec")


DEPTH_MULTIPLE = 4  # the DSP loop consumes 4 column values (one LDRD) per step


def padded_depth(depth: int) -> int:
    return (depth + DEPTH_MULTIPLE - 1) // DEPTH_MULTIPLE * DEPTH_MULTIPLE


def dsp_layout(weights: np.ndarray) -> np.ndarray:
    """(rows, depth) int8 (or int16) -> int32 words of int16 pairs in matvec.c's DSP order: each group of 4 values as
    0, 2, 1, 3 (first of a pair in the low half); blocks of 4 rows interleaved word by word (word j of rows 0..3,
    then word j + 1), then the other rows."""
    rows, depth = weights.shape
    weights = weights.reshape(rows, depth // 4, 4)[:, :, [0, 2, 1, 3]].reshape(rows, depth)  # cg_column_slot
    blocked = rows // 4 * 4
    head = weights[:blocked].reshape(-1, 4, depth // 2, 2).transpose(0, 2, 1, 3).reshape(-1)
    values = np.concatenate([head, weights[blocked:].reshape(-1)]).astype(np.int64) & 0xFFFF
    return ((values[1::2] << 16) | values[0::2]).astype(np.uint32).view(np.int32)


def int8_dsp_layout(weights: np.ndarray) -> np.ndarray:
    """(rows, depth) int8 -> int32 words of 4 int8 weights in natural order (matvec.c's int8 DSP layout): blocks of
    2 rows interleaved word by word (group g of row 0, group g of row 1, then g + 1), then an odd last row."""
    rows, depth = weights.shape
    words = np.ascontiguousarray(weights).view(np.int32).reshape(rows, depth // 4)
    paired = rows // 2 * 2
    head = words[:paired].reshape(-1, 2, depth // 4).transpose(0, 2, 1).reshape(-1)
    return np.concatenate([head, words[paired:].reshape(-1)])


def fused_block_rows(rows: int, int8: bool) -> list[int]:
    """The rows of each block of a fused stream: blocks of 4 (int16 weights) or 2 (int8), then a FULLY_CONNECTED's
    tail (fused_form): a block of 2 (int16 weights, rows % 4 >= 2) and one of 1 (an odd row count)."""
    if int8:
        return [2] * (rows // 2) + [1] * (rows % 2)
    return [4] * (rows // 4) + [2] * (rows % 4 // 2) + [1] * (rows % 2)


def fused_layout(weights: np.ndarray, bias: np.ndarray, records: np.ndarray, int8: bool) -> np.ndarray:
    """(rows, depth) int8 weights, their bias and (rows, 3) requantization records -> the int32 stream of
    kernels/cortex_m/matvec.c's fused blocks (fused_block_rows). int16 weights: per block the doubled bias of each
    row twice (the two pixels' accumulators start from it), the block's doubled weights in dsp_layout's order and
    interleaved word by word (word j of each row of the block, then word j + 1), the block's records (multiplier,
    offset, right shift); doubling weights and bias gives the accumulator 2 acc that the offsets form takes
    (|acc| < 2^30, checked by `offsets`; |2 w| <= 256 fits int16). int8 weights: per block the bias of each row
    twice (not doubled), the rows' words (4 int8 weights each) interleaved (group g of each row, then g + 1), the
    records."""
    bias = bias.astype(np.int64) * (1 if int8 else 2)
    parts, row = [], 0
    for size in fused_block_rows(weights.shape[0], int8):
        block = slice(row, row + size)
        if int8:
            words = np.ascontiguousarray(weights[block]).view(np.int32).reshape(size, -1)
        else:
            words = np.stack([dsp_layout(weights[r:r + 1].astype(np.int16) * 2) for r in range(row, row + size)])
        parts += [np.repeat(bias[block], 2), words.T.reshape(-1), records[block].reshape(-1)]
        row += size
    return np.concatenate(parts).astype(np.int64).astype(np.uint32).view(np.int32)


def weight_tables(ctx: LayerContext, weights: np.ndarray, fused: np.ndarray | None = None) -> str:
    """Both weight layouts under one name: for the DSP build int16 pairs (or, fused not None, the fused stream of
    weights, bias and records, see fused_layout), or int8 words when the layer keeps int8 weights in flash
    (ctx.int8_weights); int8 row-major otherwise."""
    name = f"{ctx.prefix}_weights"
    if fused is not None:
        dsp = (f"#if CG_DSP /* {'int8 words' if ctx.int8_weights else 'doubled int16 pairs'}, bias and "
               "requantization records per block of rows (kernels/cortex_m/matvec.c) */\n"
               + c_array(name, fused, "int32_t", static=True, const=True, per_line=8, align_bytes=8))
    elif ctx.int8_weights:
        dsp = ("#if CG_DSP /* int8 in flash, widened by SXTB16 in the loop (kernels/cortex_m/matvec.c) */\n"
               + c_array(name, int8_dsp_layout(weights), "int32_t", static=True, const=True, per_line=8,
                         align_bytes=8))
    else:
        dsp = ("#if CG_DSP /* int16 pairs in SMLAD order (kernels/cortex_m/matvec.c): twice the flash, faster */\n"
               + c_array(name, dsp_layout(weights), "int32_t", static=True, const=True, per_line=8, align_bytes=8))
    ctx.tables.append(dsp + "#else\n" + c_array(name, weights, "int8_t", static=True, const=True, per_line=16)
                      + "#endif\n")
    return name


def roundings(shifts: np.ndarray) -> np.ndarray:
    """Per row, 2^30 + (r > 0 ? 2^(30 + r) : 0) for the right shift r = max(-shift, 0): both of TFLite's roundings
    as one 64-bit addend (kernels/reference/matvec.c, cg_requantize_rounded)."""
    right = np.maximum(-np.asarray(shifts, dtype=np.int64), 0)
    return (np.int64(1) << 30) + np.where(right > 0, np.int64(1) << (30 + right), 0)


OFFSET_MAX_SHIFT = 21  # cg_requantize_offset: right shifts 1..21 keep every intermediate inside int32


def offsets(shifts: np.ndarray, out_zp: int, weights_2d: np.ndarray, bias: np.ndarray, in_zp: int):
    """Per row 2^(r-1) + out_zp * 2^r (kernels/reference/fixed_point.c, cg_requantize_offset), or None when that form is
    not exact for some row: a TFLite shift >= 0 or a right shift above OFFSET_MAX_SHIFT, or an accumulator that could
    reach 2^30 (|bias| + sum |w| * max |x - zp|)."""
    right = -np.asarray(shifts, dtype=np.int64)
    x_span = max(abs(-128 - in_zp), abs(127 - in_zp))
    bound = np.abs(bias.astype(np.int64)) + np.abs(weights_2d.astype(np.int64)).sum(axis=1) * x_span
    if right.min() < 1 or right.max() > OFFSET_MAX_SHIFT or bound.max() >= 1 << 30:
        return None
    return (np.int64(1) << (right - 1)) + out_zp * (np.int64(1) << right)


def offset_tables(ctx: LayerContext, multipliers: np.ndarray, row_offsets: np.ndarray, right_shifts: np.ndarray) -> str:
    """The offsets table under one name: per row the offset (portable build), or in the DSP build the record
    (multiplier, offset, right shift) that kernels/cortex_m/matvec.c reads with one LDRD and one LDR."""
    name = f"{ctx.prefix}_offsets"
    records = np.stack([multipliers, row_offsets, right_shifts], axis=1)
    ctx.tables.append("#if CG_DSP /* (multiplier, offset, right shift) per row (kernels/cortex_m/matvec.c) */\n"
                      + c_array(name, records, "int32_t", static=True, const=True, per_line=12, align_bytes=8)
                      + "#else\n" + c_array(name, row_offsets, "int32_t", static=True, const=True) + "#endif\n")
    return name


def portable_table(ctx: LayerContext, suffix: str, values: np.ndarray) -> str:
    """An int32 table of the portable build only; in the DSP build its name is NULL (the offsets records, or the
    fused stream, carry the values there: no DSP kernel reads it)."""
    name = f"{ctx.prefix}_{suffix}"
    ctx.tables.append(f"#if CG_DSP /* in the offsets records */\n#define {name} NULL\n#else\n"
                      + c_array(name, values, "int32_t", static=True, const=True) + "#endif\n")
    return name


def fused_form(rows: int, row_offsets, out_zp: int, act_min: int, act_max: int, tail: bool = False) -> int:
    """kernels/cortex_m/matvec.c's fused blocks (the requantization inside the multiply asm, from records in the
    weight stream) where the offsets form is exact, the rows come in whole blocks of 4 (`tail`: a FULLY_CONNECTED,
    whose one column also takes the rows after the blocks: up to 3 with int16 weights, an odd last one with int8
    weights; fused_block_rows) and the activation range is the whole int8 range (one SSAT): 0 = not fused; 1 =
    fused; 2 = fused without the sign correction, exact when act_min >= out_zp: a negative sum then gives at most
    out_zp with or without it (SMMLAR's high word of q * m, m >= 0, is <= 0 for q < 0, and 2^(r-1) - 1 < 2^r),
    which the clamp raises to act_min either way."""
    if row_offsets is None or (rows % 4 != 0 and not tail) or (act_min, act_max) != (-128, 127):
        return 0
    return 2 if act_min >= out_zp else 1


def column_defines(fields: dict) -> tuple[str, ...]:
    """The macros that compile kernels/cortex_m/matvec.c's one-column asm forms a fused layer (matvec_fields'
    `fields`) takes: CG_COLUMN_FIX / CG_COLUMN_NOFIX (int16 weights, with or without the sign correction;
    CG_COLUMN_TAIL too where the rows are not a multiple of 4), CG_COLUMN_INT8_FIX / CG_COLUMN_INT8_NOFIX; none for a
    layer not fused (the C forms run where a form is not compiled)."""
    if not fields["fused"]:
        return ()
    form = f"CG_COLUMN_{'INT8_' if fields['int8_weights'] else ''}{'NOFIX' if fields['fused'] == 2 else 'FIX'}"
    return (form, "CG_COLUMN_TAIL") if not fields["int8_weights"] and fields["rows"] % 4 else (form,)


def matvec_fields(ctx: LayerContext, x, weights_tensor, y, weights_2d: np.ndarray, bias: np.ndarray,
                  column: bool = False) -> dict:
    """Padded tables and the nested cg_matvec_params initializer for `weights_2d` (rows, depth); column: the layer
    runs one column at a time (FULLY_CONNECTED), so with int16 weights its fused stream may end with a tail of rows
    (fused_form)."""
    rows, depth = weights_2d.shape
    depth4 = padded_depth(depth)
    padded = np.zeros((rows, depth4), dtype=np.int8)
    padded[:, :depth] = weights_2d
    multipliers, shifts = per_channel_multipliers(x.scale, weights_tensor.scales, y.scale, rows)
    act_min, act_max = activation_range(ctx.fused_activation(), y.scale, y.zero_point)
    right_shifts = np.maximum(-shifts, 0)
    row_offsets = offsets(shifts, y.zero_point, weights_2d, bias, x.zero_point)
    fused = fused_form(rows, row_offsets, y.zero_point, act_min, act_max, column)
    stream = None
    if fused:
        stream = fused_layout(padded, bias, np.stack([multipliers, row_offsets, right_shifts], axis=1),
                              ctx.int8_weights)
    fields = {
        "rows": rows, "depth": depth4, "out_zp": y.zero_point, "act_min": act_min, "act_max": act_max,
        "weights": weight_tables(ctx, padded, stream), "int8_weights": int(ctx.int8_weights), "fused": fused,
        "bias": portable_table(ctx, "bias", bias) if fused else ctx.table("bias", bias, "int32_t"),
    }
    if fused:  # the DSP build reads bias and records in the stream
        return {**fields, "multipliers": portable_table(ctx, "multipliers", multipliers),
                "right_shifts": portable_table(ctx, "right_shifts", right_shifts),
                "offsets": portable_table(ctx, "offsets", row_offsets)}
    if row_offsets is not None:  # the DSP build reads only the records
        return {**fields, "multipliers": portable_table(ctx, "multipliers", multipliers),
                "right_shifts": portable_table(ctx, "right_shifts", right_shifts),
                "offsets": offset_tables(ctx, multipliers, row_offsets, right_shifts)}
    return {**fields, "multipliers": ctx.table("multipliers", multipliers, "int32_t"),
            "right_shifts": ctx.table("right_shifts", right_shifts, "int32_t"),
            "left_shifts": ctx.table("left_shifts", np.maximum(shifts, 0), "int32_t"),
            "roundings": ctx.table("roundings", roundings(shifts), "int64_t", per_line=8)}
