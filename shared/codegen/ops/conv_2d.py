"""CONV_2D (also Keras Conv1D, which the converter turns into EXPAND_DIMS + CONV_2D) ↔
kernels/reference/conv_2d.c."""

from __future__ import annotations

import numpy as np

from shared.codegen.multipliers import same_padding
from shared.codegen.ops import (
    PADDING_NAMES,
    LayerCode,
    LayerContext,
    params_struct,
    quant_text,
    row_lead,
    shape_text,
)
from shared.codegen.ops.matvec import KERNELS as MATVEC_KERNELS
from shared.codegen.ops.matvec import column_defines, matvec_fields

KERNELS = (*MATVEC_KERNELS, "conv_2d")


def spatial_params(ctx: LayerContext, in_hw, out_hw, filter_hw) -> dict:
    """Strides, dilations and leading pads shared by CONV_2D and DEPTHWISE_CONV_2D."""
    options = ctx.op.options
    strides = (options.strideH, options.strideW)
    dilations = (options.dilationHFactor or 1, options.dilationWFactor or 1)
    padding = PADDING_NAMES.get(options.padding)
    if padding is None:
        raise ctx.refuse(f"padding {options.padding} is not supported")
    pads = [0, 0]
    if padding == "SAME":
        pads = [same_padding(in_hw[i], filter_hw[i], strides[i], dilations[i], out_hw[i]) for i in range(2)]
    return {
        "stride_h": strides[0], "stride_w": strides[1], "dilation_h": dilations[0], "dilation_w": dilations[1],
        "pad_top": pads[0], "pad_left": pads[1], "padding": padding,
    }


def pointwise_lead(in_shape, out_shape, filter_hw, spatial: dict) -> int | None:
    """In-place lead of an unpadded 1x1 convolution that does not widen (out_c <= in_c, any stride), or None.

    The kernel takes output pixels in order and copies each pass's input pixels to the column before writing
    their outputs: output p ends at (p + 1) * out_c, before input p * stride + 1 starts, so the output may start
    on the input (lead 0). Stride-1 convolutions get the tighter `window_lead` first."""
    if filter_hw != (1, 1) or spatial["pad_top"] != 0 or spatial["pad_left"] != 0:
        return None
    return 0 if out_shape[-1] <= in_shape[-1] else None


def window_lead(in_shape, out_shape, filter_hw, spatial: dict) -> int | None:
    """The least in-place lead (bytes the output starts before the input) of a stride-1 convolution of batch 1,
    any kernel, SAME or VALID, any channel counts; None for other convolutions and for filter rows of exactly
    one word (filter_w * in_c = 4), whose word fill at the right edge reads up to 3 bytes left of the window.

    The order (cg_conv_pixels, the same C in the portable and the DSP build; the kernel sets differ only in the
    column helpers and the matrix-vector loops, which read the column, never the input): output pixels go in
    pairs (2j, 2j + 1) in raster order, across row ends, the last one alone when their count is odd. For each
    pair the kernel first builds the pair column, reading every input byte it needs (widened straight from the
    input, or via a staged copy of a window or filter row, in both sets), and only then writes the pair's
    2 * out_c output bytes; the input is not read again for that pair. So when pair j's column is built, the
    bytes written so far are exactly [out, out + 2j * out_c) (the outputs of pixels 0 .. 2j - 1, in order), and
    the bytes read are the taps of pixels 2j and 2j + 1 inside the image. Window pixel (r, c) reads input rows
    from max(0, r - pad_top) and in its first row columns from max(0, c - pad_left) on (stride and dilation 1:
    that tap lies in the image for SAME and VALID, and every other tap lies after it in NHWC order), so its
    first byte read is F(r, c) = (max(0, r - pad_top) * in_w + max(0, c - pad_left)) * in_c. With
    out = in - lead, pair j never reads a byte written before it iff 2j * out_c - lead <= min(F(2j), F(2j + 1))
    (F of a pixel index: its raster position); pair 0 reads before any write. Hence every lead of at least
    max over pairs j >= 1 of 2j * out_c - min(F(2j), F(2j + 1)) is safe, and any smaller one is not: for the
    maximizing pair the last byte written before it is then the first byte it reads. (0 when that is negative:
    the planner writes outputs at or before their input.)"""
    batches, _, in_w, in_c = in_shape
    _, out_h, out_w, out_c = out_shape
    filter_w = filter_hw[1]
    if (batches != 1 or (spatial["stride_h"], spatial["stride_w"]) != (1, 1)
            or (spatial["dilation_h"], spatial["dilation_w"]) != (1, 1) or filter_w * in_c == 4):
        return None
    pad_top, pad_left, pixels = spatial["pad_top"], spatial["pad_left"], out_h * out_w

    def first_read(q: int) -> int:
        r, c = divmod(q, out_w)
        return (max(0, r - pad_top) * in_w + max(0, c - pad_left)) * in_c

    return max([0, *(q * out_c - min(first_read(q), first_read(min(q + 1, pixels - 1)))
                     for q in range(2, pixels, 2))])


def window_trail(in_shape, out_shape, filter_hw, spatial: dict) -> int | None:
    """The least in-place trail (bytes the output starts after the input) of the convolutions `window_lead`
    takes, when the kernel runs their pairs last to first (cg_conv_2d_reverse: the same pairs (2j, 2j + 1), the
    lone last pixel first when their count is odd, each pair's column built before its outputs are written).

    The mirror of `window_lead`: when pair j (first pixel q = 2j, e = min(q + 2, pixels) its end) is read, the
    bytes written are exactly [out + e * out_c, out + pixels * out_c). Window pixel (r, c) reads input rows up to
    min(in_h - 1, r - pad_top + filter_h - 1), in the last of them columns up to min(in_w - 1, c - pad_left +
    filter_w - 1), so its last byte read is L(r, c) = (that row * in_w + that column + 1) * in_c - 1 (a tap in
    the image; every other tap lies before it). With out = in + trail, pair j never reads a byte written before it
    iff L(q), L(e - 1) < trail + e * out_c; the pair read first (e = pixels) reads before any write. So the least
    safe trail is max over the other pairs of max(L(q), L(e - 1)) + 1 - e * out_c: one byte less and the maximizing
    pair's last byte read is the first byte written before it."""
    if window_lead(in_shape, out_shape, filter_hw, spatial) is None:
        return None
    _, in_h, in_w, in_c = in_shape
    _, out_h, out_w, out_c = out_shape
    pad_top, pad_left, pixels = spatial["pad_top"], spatial["pad_left"], out_h * out_w

    def last_read(q: int) -> int:
        r, c = divmod(q, out_w)
        row, column = min(in_h - 1, r - pad_top + filter_hw[0] - 1), min(in_w - 1, c - pad_left + filter_hw[1] - 1)
        return (row * in_w + column + 1) * in_c - 1

    return max([0, *(max(last_read(q), last_read(q + 1)) + 1 - (q + 2) * out_c for q in range(0, pixels - 2, 2))])


def triple_pixels(in_shape, out_shape, filter_hw, spatial: dict, matvec: dict) -> bool:
    """Whether the layer gets a third column (kernels/cortex_m/matvec.c cg_matvec3: GCC's DSP build then takes three
    output pixels a pass): a fused layer with int8 weights and at least 3 output pixels that is either

    - pointwise in the kernel's sense (1x1, stride 1, unpadded, in_c a multiple of 4) with out_c <= in_c, which keeps
      the in-place lead 0 of `window_lead` and `pointwise_lead` for passes of 3: output pixel q ends at (q + 1) *
      out_c <= (q + 1) * in_c, where input pixel q + 1 starts, and a pass reads its inputs before writing its
      outputs; or
    - of filter rows of one word (filter_w * in_c = 4, dilation 1 across, rows of at least 4 bytes, not pointwise:
      the DS-CNN's 10x4 first conv; cg_conv_fill_words for each of the three). `window_lead` takes none of these, so
      their leads are `pointwise_lead`'s and `row_lead`'s, whose arguments hold for passes of any size: passes go in
      raster order and each reads all its inputs before it writes its outputs, so only the bytes written by the end
      of a pass's last pixel count against the inputs of the pixels after it.

    (The reverse order, `window_trail`, takes pairs only: it exists only where `window_lead` does.)"""
    in_c, out_c = in_shape[-1], out_shape[-1]
    if not (matvec["fused"] and matvec["int8_weights"] and out_shape[1] * out_shape[2] >= 3):
        return False
    if (filter_hw == (1, 1) and spatial["stride_h"] == 1 and spatial["stride_w"] == 1 and spatial["pad_top"] == 0
            and spatial["pad_left"] == 0 and in_c % 4 == 0):
        return out_c <= in_c
    return spatial["dilation_w"] == 1 and filter_hw[1] * in_c == 4 and in_shape[2] * in_c >= 4


# cg_matvec_chunk's pixels a chunk, most first (emit_c.fit_chunks takes the most whose scratch, 2 * pixels * depth
# bytes of pair columns and a block of rows, does not grow the arena); fewer than 8 and the widening of each block
# of rows, paid once a chunk, takes most of what the int16 step saves
CHUNK_CHOICES = (20, 18, 16, 14, 12, 10, 8)
CHUNK_MAX_DEPTH = 64  # its asm runs the unrolled steps once: depth / 2 <= 32
CHUNK_BLOCK_WORDS = 20  # one int16 fused block besides its 2 * depth weight words: 8 bias and 12 record words


def chunk_pixels(out_shape, matvec: dict, triple: bool, wanted: int | None) -> int:
    """cg_matvec_chunk's pixels a chunk for a layer `triple_pixels` takes (the same in-place arguments hold: a chunk
    reads all its inputs before it writes any output), or 0: fused without the sign correction (fused 2), depth
    <= CHUNK_MAX_DEPTH, at least CHUNK_CHOICES[-1] output pixels; `wanted` (None: CHUNK_CHOICES[0]), at most the
    even number of pixels."""
    pixels = out_shape[1] * out_shape[2]
    if not (triple and matvec["fused"] == 2 and matvec["depth"] <= CHUNK_MAX_DEPTH and pixels >= CHUNK_CHOICES[-1]):
        return 0
    return min(CHUNK_CHOICES[0] if wanted is None else wanted, pixels & ~1)


GATHER_SHAPES = {(3, 9): 1, (5, 3): 2, (3, 3): 3}  # (filter_h, filter_w * in_c) -> cg_conv_gather's shape


def gather_shape(filter_hw, in_w: int, in_c: int, spatial: dict) -> int:
    """kernels/reference/conv_2d.c cg_conv_gather's straight-line fill for the windows of first convs of few
    channels (3x3x3: the MobileNet's; 5x3x1: the KWS-shaped CNN's; 3x3x1: the MNIST-shaped CNN's), dilation 1,
    filter rows narrower than the input (a filter as wide as the input reads one contiguous run instead); 0: none."""
    if spatial["dilation_h"] != 1 or spatial["dilation_w"] != 1 or filter_hw[1] >= in_w:
        return 0
    return GATHER_SHAPES.get((filter_hw[0], filter_hw[1] * in_c), 0)


def gather_order(filter_h: int, row_values: int) -> np.ndarray:
    """cg_conv_gather's tap order: the window's tap (filter row r, value i of its row_values) at each column place:
    each row's whole words (values 0 .. row_values & ~3 - 1), row after row, then the last row_values & 3 values of
    every row."""
    whole = row_values & ~3
    head = [r * row_values + i for r in range(filter_h) for i in range(whole)]
    return np.array(head + [r * row_values + i for r in range(filter_h) for i in range(whole, row_values)])


def emit(ctx: LayerContext) -> LayerCode:
    x, y = ctx.activation(0), ctx.activation(0, outputs=True)
    weights = ctx.constant(1, "int8")
    if len(x.shape) != 4 or len(weights.shape) != 4:
        raise ctx.refuse("CONV_2D needs 4-D input and filter", x)
    batches, in_h, in_w, in_c = x.shape
    out_c, filter_h, filter_w, filter_c = weights.shape
    if filter_c != in_c:
        raise ctx.refuse(f"grouped convolution ({in_c} input channels, filter depth {filter_c})", weights)
    _, out_h, out_w, _ = y.shape
    spatial = spatial_params(ctx, (in_h, in_w), (out_h, out_w), (filter_h, filter_w))
    gather = gather_shape((filter_h, filter_w), in_w, in_c, spatial)
    weights_2d = weights.data.reshape(out_c, -1)
    if gather:  # the taps in the order cg_conv_gather fills the column
        weights_2d = weights_2d[:, gather_order(filter_h, filter_w * in_c)]
    matvec = matvec_fields(ctx, x, weights, y, weights_2d, ctx.bias(2, out_c))
    fields = {
        "batches": batches, "in_h": in_h, "in_w": in_w, "in_c": in_c, "out_h": out_h, "out_w": out_w,
        "filter_h": filter_h, "filter_w": filter_w, **{k: v for k, v in spatial.items() if k != "padding"},
        "in_zp": x.zero_point, "matvec": matvec,
    }
    triple = triple_pixels(x.shape, y.shape, (filter_h, filter_w), spatial, matvec)
    fields["chunk"] = chunk_pixels(y.shape, matvec, triple, ctx.chunk_pixels)
    fields["triple"] = int(triple and not fields["chunk"])
    fields["gather"] = gather
    ctx.tables.append(params_struct("cg_conv_params", f"{ctx.prefix}_params", fields))
    lead = window_lead(x.shape, y.shape, (filter_h, filter_w), spatial)
    if lead is None:
        lead = pointwise_lead(x.shape, y.shape, (filter_h, filter_w), spatial)
    if lead is None:
        lead = row_lead(x.shape, y.shape, spatial["pad_top"])
    trail = window_trail(x.shape, y.shape, (filter_h, filter_w), spatial)
    summary = (f"{shape_text(x.shape)} -> {shape_text(y.shape)}; filter {filter_h}x{filter_w} stride "
               f"{spatial['stride_h']}x{spatial['stride_w']} {spatial['padding']}, {ctx.fused_activation()}\n"
               f"in {quant_text(x)}, out {quant_text(y)}")
    # int16 im2col columns, as cg_conv_scratch_halves: two output pixels per weight pass (pairs run across row ends),
    # three, or a chunk's pairs and a block of rows
    depth, columns = matvec["depth"], 3 if fields["triple"] else 2 if out_h * out_w >= 2 else 1
    halves = fields["chunk"] * depth + 2 * (CHUNK_BLOCK_WORDS + 2 * depth) if fields["chunk"] else columns * depth
    defines = ("CG_TRIPLE_PIXELS",) if fields["triple"] else ("CG_CHUNK_PIXELS",) if fields["chunk"] else ()
    if out_h * out_w % 2:  # the last pixel alone: one column (4096 MACs of a 1x1 64 -> 64 conv)
        defines += column_defines(matvec)
    return LayerCode(KERNELS, ctx.tables, f"cg_conv_2d(&{ctx.prefix}_params, in0, out, scratch);", [x.index],
                     summary, macs=batches * out_h * out_w * out_c * filter_h * filter_w * in_c,
                     scratch_bytes=2 * halves, in_place_lead=lead, in_place_trail=trail,
                     reverse_call=f"cg_conv_2d_reverse(&{ctx.prefix}_params, in0, out, scratch);", defines=defines,
                     chunk_pixels=fields["chunk"],
                     row_defines=column_defines(matvec) if out_w % 2 else ())  # a lone pixel a row
