"""CONV_2D (also Keras Conv1D, which the converter turns into EXPAND_DIMS + CONV_2D) ↔
kernels/reference/conv_2d.c."""

from __future__ import annotations

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
from shared.codegen.ops.matvec import matvec_fields

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
    """In-place lead of an unpadded 1x1 convolution, or None for other convolutions.

    The kernel takes output pixels in order and copies each pass's input pixels to the column before writing
    their outputs. Not widening (out_c <= in_c, any stride): output p ends at (p + 1) * out_c, before input p + 1
    starts, so the output may start on the input (lead 0). Widening at stride 1: an output block that ends where
    the input ends, i.e. starts (out_c - in_c) * pixels bytes before it, ends output p at (p + 1) * out_c, no
    later than input p + 1 starts ((p + 1) * (out_c - in_c) <= pixels * (out_c - in_c))."""
    if filter_hw != (1, 1) or spatial["pad_top"] != 0 or spatial["pad_left"] != 0:
        return None
    in_c, out_c = in_shape[-1], out_shape[-1]
    if out_c <= in_c:
        return 0
    if (spatial["stride_h"], spatial["stride_w"]) != (1, 1):
        return None
    pixels = out_shape[0] * out_shape[1] * out_shape[2]
    return (out_c - in_c) * pixels


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
    matvec = matvec_fields(ctx, x, weights, y, weights.data.reshape(out_c, -1), ctx.bias(2, out_c))
    fields = {
        "batches": batches, "in_h": in_h, "in_w": in_w, "in_c": in_c, "out_h": out_h, "out_w": out_w,
        "filter_h": filter_h, "filter_w": filter_w, **{k: v for k, v in spatial.items() if k != "padding"},
        "in_zp": x.zero_point, "matvec": matvec,
    }
    ctx.tables.append(params_struct("cg_conv_params", f"{ctx.prefix}_params", fields))
    lead = pointwise_lead(x.shape, y.shape, (filter_h, filter_w), spatial)
    if lead is None:
        lead = row_lead(x.shape, y.shape, spatial["pad_top"])
    summary = (f"{shape_text(x.shape)} -> {shape_text(y.shape)}; filter {filter_h}x{filter_w} stride "
               f"{spatial['stride_h']}x{spatial['stride_w']} {spatial['padding']}, {ctx.fused_activation()}\n"
               f"in {quant_text(x)}, out {quant_text(y)}")
    # int16 im2col columns, as cg_conv_columns: two output pixels per weight pass (pairs run across row ends)
    columns = 2 if out_h * out_w >= 2 else 1
    return LayerCode(KERNELS, ctx.tables, f"cg_conv_2d(&{ctx.prefix}_params, in0, out, scratch);", [x.index],
                     summary, macs=batches * out_h * out_w * out_c * filter_h * filter_w * in_c,
                     scratch_bytes=2 * matvec["depth"] * columns, in_place_lead=lead)
