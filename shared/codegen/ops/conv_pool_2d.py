"""CONV_2D followed by MAX_POOL_2D / AVERAGE_POOL_2D, fused ↔ kernels/reference/conv_pool_2d.c.

The pair becomes one layer when the convolution's output feeds only the pool (batch 1): the full convolution
output is never stored, only a ring of the pool's filter_h rows, which takes the largest activation of a
classic conv-pool CNN out of the arena.
"""

from __future__ import annotations

from shared.codegen.graph import Graph, Op
from shared.codegen.ops import LayerCode, column_as_row, is_column
from shared.codegen.ops.conv_2d import KERNELS as CONV_KERNELS
from shared.codegen.ops.pooling import KERNELS as POOL_KERNELS

KERNELS = (*CONV_KERNELS, *(k for k in POOL_KERNELS if k not in CONV_KERNELS), "conv_pool_2d")
POOLS = ("MAX_POOL_2D", "AVERAGE_POOL_2D")


def can_fuse(graph: Graph, conv: Op, pool: Op) -> bool:
    """The pool reads the convolution's output, nothing else does, it is not a model output, batch is 1, and both
    run along rows or both down a column (ops.column_as_row)."""
    if conv.kind != "CONV_2D" or pool.kind not in POOLS or pool.inputs[0] != conv.outputs[0]:
        return False
    if is_column(graph, conv) != is_column(graph, pool):
        return False
    tensor = conv.outputs[0]
    readers = [op for op in graph.ops if tensor in op.inputs]
    return readers == [pool] and tensor not in graph.outputs and graph.tensors[tensor].shape[0] == 1


def fuse(conv: Op, pool: Op, conv_code: LayerCode, pool_code: LayerCode, graph: Graph, name: str) -> LayerCode:
    rows, _ = column_as_row(graph, conv)  # the ring holds rows of the layout the emitters saw
    conv_tensor = rows.tensors[conv.outputs[0]]
    pool_filter_h = column_as_row(graph, pool)[1].options.filterHeight
    ring_bytes = pool_filter_h * conv_tensor.shape[2] * conv_tensor.shape[3]
    is_max = 1 if pool.kind == "MAX_POOL_2D" else 0
    conv_prefix, pool_prefix = f"{name}_l{conv.index:02d}", f"{name}_l{pool.index:02d}"
    call = f"cg_conv_pool_2d(&{conv_prefix}_params, &{pool_prefix}_params, {is_max}, in0, out, scratch);"
    summary = (f"{conv_code.summary}\nthen {pool.kind} (op {pool.index}), fused through a ring of "
               f"{pool_filter_h} conv rows ({ring_bytes} bytes): {pool_code.summary}")
    return LayerCode(KERNELS, conv_code.tables + pool_code.tables, call, conv_code.inputs, summary,
                     macs=conv_code.macs, scratch_bytes=conv_code.scratch_bytes + ring_bytes,
                     output=pool.outputs[0], defines=conv_code.defines + conv_code.row_defines,
                     chunk_pixels=conv_code.chunk_pixels)
