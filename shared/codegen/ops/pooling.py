"""MAX_POOL_2D and AVERAGE_POOL_2D ↔ kernels/reference/pooling.c."""

from __future__ import annotations

from shared.codegen.multipliers import activation_range, same_padding
from shared.codegen.ops import PADDING_NAMES, LayerCode, LayerContext, params_struct, quant_text, row_lead, shape_text

KERNELS = ("fixed_point", "dsp", "pooling")  # dsp: cortex_m only (cg_load_word for cortex_m/pooling.c)
DSP_MAX_WINDOW = 256  # kernels/cortex_m/pooling.c: a 16-bit lane sums at most 256 int8 values


def emit(ctx: LayerContext) -> LayerCode:
    x, y = ctx.activation(0), ctx.activation(0, outputs=True)
    if (x.scale, x.zero_point) != (y.scale, y.zero_point):
        raise ctx.refuse("pooling with different input and output quantization is not supported", y)
    if len(x.shape) != 4:
        raise ctx.refuse("pooling needs a 4-D input", x)
    options = ctx.op.options
    batches, in_h, in_w, channels = x.shape
    _, out_h, out_w, _ = y.shape
    filter_hw, strides = (options.filterHeight, options.filterWidth), (options.strideH, options.strideW)
    padding = PADDING_NAMES.get(options.padding)
    pads = [0, 0]
    if padding == "SAME":
        pads = [same_padding((in_h, in_w)[i], filter_hw[i], strides[i], 1, (out_h, out_w)[i]) for i in range(2)]
    act_min, act_max = activation_range(ctx.fused_activation(), y.scale, y.zero_point)
    fields = {
        "batches": batches, "in_h": in_h, "in_w": in_w, "channels": channels, "out_h": out_h, "out_w": out_w,
        "filter_h": filter_hw[0], "filter_w": filter_hw[1], "stride_h": strides[0], "stride_w": strides[1],
        "pad_top": pads[0], "pad_left": pads[1], "act_min": act_min, "act_max": act_max,
    }
    ctx.tables.append(params_struct("cg_pool_params", f"{ctx.prefix}_params", fields))
    is_max = 1 if ctx.op.kind == "MAX_POOL_2D" else 0
    summary = (f"{shape_text(x.shape)} -> {shape_text(y.shape)}; window {filter_hw[0]}x{filter_hw[1]} stride "
               f"{strides[0]}x{strides[1]} {padding}, {ctx.fused_activation()}\n{quant_text(x)}")
    # without padding each output's window starts at or after the output's own index: it may overwrite the input
    lead = 0 if pads == [0, 0] else row_lead(x.shape, y.shape, pads[0])
    code = LayerCode(KERNELS, ctx.tables, f"cg_pool_2d(&{ctx.prefix}_params, in0, out, {is_max});", [x.index],
                     summary, in_place_lead=lead)
    if not is_max and channels % 4 == 0 and filter_hw[0] * filter_hw[1] <= DSP_MAX_WINDOW:
        code.dsp_call = f"cg_avg_pool_2d_dsp(&{ctx.prefix}_params, in0, out);"  # 4 channels per SXTAB16 pair
    if is_max and channels % 4 == 0 and (act_min, act_max) == (-128, 127):
        code.dsp_call = f"cg_max_pool_2d_dsp(&{ctx.prefix}_params, in0, out);"  # 4 channels per SSUB8, SEL
    return code
