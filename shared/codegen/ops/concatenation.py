"""CONCATENATION of inputs with identical quantization ↔ kernels/reference/concatenation.c."""

from __future__ import annotations

import numpy as np

from shared.codegen.ops import LayerCode, LayerContext, params_struct, quant_text, shape_text

KERNELS = ("concatenation",)


def emit(ctx: LayerContext) -> LayerCode:
    y = ctx.activation(0, outputs=True)
    inputs = [ctx.activation(i) for i in range(len(ctx.op.inputs))]
    if ctx.fused_activation() != "NONE":
        raise ctx.refuse("fused activation on CONCATENATION is not supported")
    for x in inputs:
        if (x.scale, x.zero_point) != (y.scale, y.zero_point):
            raise ctx.refuse("inputs must share the output's scale and zero point", x)
    axis = ctx.op.options.axis % len(y.shape)
    outer = int(np.prod(y.shape[:axis], dtype=np.int64))
    blocks = [x.size // outer for x in inputs]
    fields = {"n_inputs": len(inputs), "outer": outer, "block_sizes": ctx.table("block_sizes", blocks, "int32_t")}
    ctx.tables.append(params_struct("cg_concatenation_params", f"{ctx.prefix}_params", fields))
    pointers = ", ".join(f"in{i}" for i in range(len(inputs)))
    call = (f"const int8_t *const inputs[{len(inputs)}] = {{{pointers}}};\n"
            f"    cg_concatenation(&{ctx.prefix}_params, inputs, out);")
    summary = " ++ ".join(shape_text(x.shape) for x in inputs) + f" -> {shape_text(y.shape)} on axis {axis}\n"
    summary += quant_text(y)
    return LayerCode(KERNELS, ctx.tables, call, [x.index for x in inputs], summary)
