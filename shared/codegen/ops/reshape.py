"""RESHAPE, SQUEEZE, EXPAND_DIMS: no code; the output tensor is a view of the input's bytes."""

from __future__ import annotations

from shared.codegen.ops import LayerCode, LayerContext, quant_text, shape_text


def emit(ctx: LayerContext) -> LayerCode:
    x, y = ctx.activation(0), ctx.activation(0, outputs=True)
    if (x.scale, x.zero_point) != (y.scale, y.zero_point) or x.size != y.size:
        raise ctx.refuse("a view must keep size and quantization", y)
    summary = f"{shape_text(x.shape)} -> {shape_text(y.shape)} (view, no code)\n{quant_text(x)}"
    return LayerCode(inputs=[x.index], summary=summary, view=True)
