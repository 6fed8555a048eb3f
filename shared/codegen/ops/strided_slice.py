"""STRIDED_SLICE (constant begin, end, strides; begin, end and shrink-axis masks) ↔ kernels/reference/strided_slice.c.

A slice whose bytes are one run of the input's bytes (x[:, K:] of an NHWC tensor: a range of the outermost axis
that is not 1, the inner axes whole) needs no code: its output is a view `view_offset` bytes into the input (the
memory plan keeps the input alive while the view is read). When such a slice is the model output, or a
RESHAPE/SQUEEZE/EXPAND_DIMS of it is, it is one memcpy into the caller's buffer instead; any other slice is the
kernel's loop over up to 4 axes.
"""

from __future__ import annotations

import numpy as np

from shared.codegen.graph import Graph
from shared.codegen.ops import LayerCode, LayerContext, params_struct, quant_text, shape4, shape_text
from shared.codegen.ops.pad import braces

KERNELS = ("strided_slice",)
VIEW_KINDS = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")  # ops emitted as views of their input (ops/reshape.py)


def start_for_axis(begin: int, stride: int, size: int, masked: bool) -> int:
    """TFLite's StartForAxis: the mask takes the whole axis, negative indices count from the end, then clamped."""
    if masked:
        return 0 if stride > 0 else size - 1
    start = begin + size if begin < 0 else begin
    return min(max(start, 0), size) if stride > 0 else min(max(start, -1), size - 1)


def stop_for_axis(end: int, stride: int, size: int, masked: bool) -> int:
    """TFLite's StopForAxis (without shrink, handled by the caller): as start_for_axis, masked means past the end."""
    if masked:
        return size if stride > 0 else -1
    stop = end + size if end < 0 else end
    return min(max(stop, 0), size) if stride > 0 else min(max(stop, -1), size - 1)


def axis_ranges(in_shape: tuple[int, ...], begin, end, strides, begin_mask: int, end_mask: int,
                shrink_mask: int) -> list[tuple[int, int, int]]:
    """(first index, step, count) per input axis, as TFLite's strided_slice_logic computes them."""
    ranges = []
    for axis, size in enumerate(in_shape):
        stride = int(strides[axis])
        start = start_for_axis(int(begin[axis]), stride, size, bool(begin_mask >> axis & 1))
        if shrink_mask >> axis & 1:
            stop = start + 1
        else:
            stop = stop_for_axis(int(end[axis]), stride, size, bool(end_mask >> axis & 1))
        count = max(0, -((start - stop) // stride)) if stride > 0 else max(0, -((stop - start) // -stride))
        ranges.append((start, stride, count))
    return ranges


def contiguous_offset(in_shape: tuple[int, ...], ranges: list[tuple[int, int, int]]) -> int | None:
    """The byte offset of the slice in the input when its elements are one run of consecutive input bytes, in
    order; None otherwise. Checked on the flat indices themselves (activations are small)."""
    flat = np.arange(int(np.prod(in_shape, dtype=np.int64)), dtype=np.int64).reshape(in_shape)
    picked = flat[tuple(slice(start, start + step * count, step) if start + step * count >= 0 else
                        slice(start, None, step) for start, step, count in ranges)].ravel()
    if picked.size and np.array_equal(picked, picked[0] + np.arange(picked.size)):
        return int(picked[0])
    return None


def range_text(start: int, step: int, count: int) -> str:
    """One axis's range as numpy writes it: 3 (one index), 2:7, 1:9:2, 5::-2."""
    if count == 1:
        return str(start)
    stop = start + step * count
    return f"{start}:{stop if stop >= 0 else ''}" + ("" if step == 1 else f":{step}")


def feeds_model_output(graph: Graph, tensor: int) -> bool:
    """Whether the model output is `tensor` or a view (RESHAPE and friends) of it."""
    pending = [tensor]
    while pending:
        current = pending.pop()
        if current in graph.outputs:
            return True
        pending.extend(op.outputs[0] for op in graph.ops if op.kind in VIEW_KINDS and op.inputs[:1] == [current])
    return False


def options(ctx: LayerContext) -> tuple[int, int, int]:
    """(begin_mask, end_mask, shrink_axis_mask); refuses the options the kernel does not implement."""
    opts = ctx.op.options
    if getattr(opts, "ellipsisMask", 0) or getattr(opts, "newAxisMask", 0):
        raise ctx.refuse("ellipsis and new-axis masks are not supported")
    if getattr(opts, "offset", False):
        raise ctx.refuse("the offset option (end relative to begin) is not supported")
    return int(getattr(opts, "beginMask", 0)), int(getattr(opts, "endMask", 0)), int(getattr(opts, "shrinkAxisMask", 0))


def slice_ranges(ctx: LayerContext) -> list[tuple[int, int, int]]:
    """Each input axis's (first index, step, count), checked against the output tensor's shape."""
    x, y = ctx.activation(0), ctx.activation(0, outputs=True)
    begin_mask, end_mask, shrink_mask = options(ctx)
    begin, end, strides = (ctx.constant(i, "int32").data.ravel() for i in (1, 2, 3))
    if not len(begin) == len(end) == len(strides) == len(x.shape):
        raise ctx.refuse(f"begin, end and strides must have one value per input axis ({len(x.shape)})")
    if len(x.shape) > 4:
        raise ctx.refuse(f"input of {len(x.shape)} dimensions; at most 4 are supported", x)
    if any(int(s) == 0 for s in strides):
        raise ctx.refuse(f"stride 0 in strides {strides.tolist()}")
    ranges = axis_ranges(x.shape, begin, end, strides, begin_mask, end_mask, shrink_mask)
    kept = tuple(count for axis, (_, _, count) in enumerate(ranges) if not shrink_mask >> axis & 1)
    if kept != tuple(y.shape):
        raise ctx.refuse(f"the slice has shape {kept}, the output tensor {tuple(y.shape)}", y)
    if y.size == 0:
        raise ctx.refuse("empty slice", y)
    return ranges


def emit(ctx: LayerContext, alias: bool = True) -> LayerCode:
    """alias=False: copy even a contiguous slice (emit_c.build_layers keeps the copy when it shrinks the arena)."""
    x, y = ctx.activation(0), ctx.activation(0, outputs=True)
    if (x.scale, x.zero_point) != (y.scale, y.zero_point):
        raise ctx.refuse("STRIDED_SLICE with different input and output quantization is not supported", y)
    ranges = slice_ranges(ctx)
    summary = f"{shape_text(x.shape)} -> {shape_text(y.shape)}; [{', '.join(range_text(*r) for r in ranges)}]"
    offset = contiguous_offset(x.shape, ranges)
    if offset is not None and alias and not feeds_model_output(ctx.graph, y.index):
        return LayerCode(inputs=[x.index], summary=f"{summary} (view at byte {offset}, no code)\n{quant_text(x)}",
                         view=True, view_offset=offset)
    if offset is not None:
        call = f"memcpy(out, in0 + {offset}, {y.size}u);"
        return LayerCode((), [], call, [x.index], f"{summary} (one copy)\n{quant_text(x)}")
    starts, steps, counts = zip(*([(0, 1, 1)] * (4 - len(ranges)) + ranges), strict=True)
    fields = {"in_shape": braces(shape4(x.shape)), "start": braces(starts), "step": braces(steps),
              "count": braces(counts)}
    ctx.tables.append(params_struct("cg_strided_slice_params", f"{ctx.prefix}_params", fields))
    call = f"cg_strided_slice(&{ctx.prefix}_params, in0, out);"
    return LayerCode(KERNELS, ctx.tables, call, [x.index], f"{summary}\n{quant_text(x)}")
