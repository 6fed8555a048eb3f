"""PAD / PADV2 (constant padding with the zero point or the given value) ↔ kernels/reference/pad.c."""

from __future__ import annotations

import numpy as np

from shared.codegen.ops import LayerCode, LayerContext, params_struct, quant_text, shape4, shape_text

KERNELS = ("pad",)


def braces(values) -> str:
    return "{" + ", ".join(str(int(v)) for v in values) + "}"


def emit(ctx: LayerContext) -> LayerCode:
    x, y = ctx.activation(0), ctx.activation(0, outputs=True)
    if (x.scale, x.zero_point) != (y.scale, y.zero_point):
        raise ctx.refuse("PAD with different input and output quantization is not supported", y)
    paddings = np.asarray(ctx.constant(1, ctx.tensor(1).dtype).data).reshape(-1, 2)
    value = y.zero_point
    if ctx.op.kind == "PADV2" and len(ctx.op.inputs) > 2 and ctx.op.inputs[2] >= 0:
        value = int(np.asarray(ctx.constant(2, "int8").data).ravel()[0])
    before = [0] * (4 - len(x.shape)) + [int(p) for p in paddings[:, 0]]
    fields = {"in_shape": braces(shape4(x.shape)), "out_shape": braces(shape4(y.shape)), "before": braces(before),
              "value": value}
    ctx.tables.append(params_struct("cg_pad_params", f"{ctx.prefix}_params", fields))
    summary = f"{shape_text(x.shape)} -> {shape_text(y.shape)}; pads {paddings.tolist()}, value {value}\n"
    summary += quant_text(x)
    return LayerCode(KERNELS, ctx.tables, f"cg_pad(&{ctx.prefix}_params, in0, out);", [x.index], summary)
