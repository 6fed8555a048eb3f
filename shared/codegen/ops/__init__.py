"""One emitter per TFLite op; each pairs with kernels/reference/<stem>.c (the C it calls) and, for the ops with a
Cortex-M fast path, kernels/cortex_m/<stem>.c.

An emitter checks the op against what its kernel implements (refusing anything else with an
UnsupportedModelError naming op, index and tensor), precomputes the integer tables, and returns a LayerCode:
the C tables, the kernel call for the layer function, and a one-line summary for the layer comment.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

import numpy as np

from shared.c_source import c_array, c_float
from shared.codegen.graph import ACTIVATION_NAMES, Graph, Op, Tensor

PADDING_NAMES = {0: "SAME", 1: "VALID"}
SLIDING_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "AVERAGE_POOL_2D")
POOL_OPS = ("MAX_POOL_2D", "AVERAGE_POOL_2D")


def is_column(graph: Graph, op: Op) -> bool:
    """Whether a sliding-window op runs down a column: a 1-D op (Keras Conv1D and its pools, converted to NHWC
    (1, T, 1, C) with filters (O, K, 1, C)) whose input, output and filter are 1 wide, stride and dilation 1
    across, over more than one row. `column_as_row` turns it into the same op along a row."""
    if op.kind not in SLIDING_OPS or op.options is None or not op.inputs or len(op.outputs) != 1:
        return False
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if len(x.shape) != 4 or len(y.shape) != 4:
        return False
    if op.kind in POOL_OPS:
        filter_hw = (op.options.filterHeight, op.options.filterWidth)
    else:
        weights = graph.tensors[op.inputs[1]] if len(op.inputs) > 1 else None
        if weights is None or len(weights.shape) != 4:
            return False
        filter_hw = tuple(weights.shape[1:3])
    dilation_w = getattr(op.options, "dilationWFactor", 1) or 1
    return ((x.shape[2], y.shape[2], filter_hw[1], op.options.strideW, dilation_w) == (1, 1, 1, 1, 1)
            and max(x.shape[1], y.shape[1]) > 1)


def column_as_row(graph: Graph, op: Op) -> tuple[Graph, Op]:
    """A column op (`is_column`) as the same op along a row, so that the kernels' paths for several pixels of a
    row take it; other ops as they are. NHWC (N, T, 1, C) and (N, 1, T, C) hold the same bytes, so do filters
    (O, K, 1, C) and (O, 1, K, C) (depthwise: (1, K, 1, C) and (1, 1, K, C)): input, output and filter tensors
    get the swapped shapes, the options swapped strides, dilations and pool window. Padding needs nothing: SAME
    splits each axis alike (ComputePaddingHeightWidth: half before, the odd one after), so the top pad becomes
    the left pad and the 1-wide axis, now the height, has none. The returned graph shares everything else (tensor
    indices and sizes are unchanged, so the memory plan is the same)."""
    if not is_column(graph, op):
        return graph, op
    options = copy.copy(op.options)
    options.strideH, options.strideW = op.options.strideW, op.options.strideH
    if op.kind in POOL_OPS:
        options.filterHeight, options.filterWidth = op.options.filterWidth, op.options.filterHeight
    else:
        options.dilationHFactor, options.dilationWFactor = op.options.dilationWFactor, op.options.dilationHFactor
    tensors = list(graph.tensors)
    for index in (op.inputs[0], op.outputs[0], *(op.inputs[1:2] if op.kind not in POOL_OPS else ())):
        tensor = tensors[index]
        shape = (tensor.shape[0], tensor.shape[2], tensor.shape[1], tensor.shape[3])
        tensors[index] = replace(tensor, shape=shape, data=None if tensor.data is None else tensor.data.reshape(shape))
    return Graph(tensors, graph.ops, graph.inputs, graph.outputs, graph.extra), Op(op.index, op.kind, op.inputs,
                                                                                   op.outputs, options)


@dataclass
class LayerCode:
    """What one op contributes to the generated file."""

    kernels: tuple[str, ...] = ()  # kernel stems (kernels/*/<stem>.c) the call needs, dependencies first
    tables: list[str] = field(default_factory=list)  # C definitions (static const ...)
    call: str = ""  # statements of the layer function; activations are in0, in1, ... and out
    inputs: list[int] = field(default_factory=list)  # activation tensors passed as in0, in1, ...
    summary: str = ""  # shapes and options, for the layer comment
    macs: int = 0  # multiply-accumulates per inference (0 for data movement)
    scratch_bytes: int = 0  # arena scratch the kernel needs during this op (passed as int16_t *scratch)
    view: bool = False  # no code: the output is the input's bytes (RESHAPE and friends)
    view_offset: int = 0  # a view's first byte, counted from input 0's first byte (a contiguous STRIDED_SLICE)
    # the kernel stays correct when its output starts this many bytes before input 0's first byte (0: at it),
    # so the output may overwrite input 0 when input 0 dies at this op; None: never
    in_place_lead: int | None = None
    # with the pixels taken last to first (reverse_call, the same arguments), the kernel stays correct when its
    # output starts this many bytes (> 0) after input 0's first byte; None: no such order
    in_place_trail: int | None = None
    reverse_call: str = ""
    output: int | None = None  # tensor written, when not the op's own output (a fused layer writes its last op's)
    absorbed: bool = False  # no code: a fused layer before this op computes its output
    # statements of the layer function in the DSP build (#if CG_DSP), when it has its own fast path; the scratch
    # (scratch_bytes) is then for that path only, passed only there
    dsp_call: str = ""
    # macros the kernels test, defined (as 1) before them (e.g. CG_TRIPLE_PIXELS: compile cg_matvec3 only for a
    # model with a `triple` conv)
    defines: tuple[str, ...] = ()
    chunk_pixels: int = 0  # CONV_2D: pixels a chunk it takes (ops/conv_2d.chunk_pixels), 0: none
    # CONV_2D: macros for a fused pool's rows (conv_pool_2d), one pixel of each odd-width row alone (CG_COLUMN_*)
    row_defines: tuple[str, ...] = ()


@dataclass
class LayerContext:
    graph: Graph
    op: Op
    prefix: str  # C prefix of this layer's symbols, e.g. "mnist_l02"
    int8_weights: bool = False  # DSP build: keep this layer's int8 weights in flash (emit_c.choose_int8_layers)
    tables: list[str] = field(default_factory=list)  # C tables made by table()
    # CONV_2D: pixels a chunk (ops/conv_2d.chunk_pixels) where the layer may take chunks; None: the most
    # (emit_c.fit_chunks then fits them to the arena)
    chunk_pixels: int | None = None

    def tensor(self, position: int, outputs: bool = False) -> Tensor:
        index = (self.op.outputs if outputs else self.op.inputs)[position]
        return self.graph.tensors[index]

    def refuse(self, problem: str, tensor: Tensor | None = None):
        return self.graph.refuse(self.op, problem, None if tensor is None else tensor.index)

    def activation(self, position: int = 0, outputs: bool = False) -> Tensor:
        """An int8, per-tensor quantized, non-constant tensor (refused otherwise)."""
        tensor = self.tensor(position, outputs)
        if tensor.dtype != "int8":
            raise self.refuse(f"tensor type {tensor.dtype} is not supported (int8 only; convert with full-integer "
                              "quantization and int8 input/output)", tensor)
        if tensor.scales is None or tensor.scales.size != 1:
            raise self.refuse("activation must be per-tensor quantized", tensor)
        if tensor.data is not None:
            raise self.refuse("constant activation inputs are not supported", tensor)
        return tensor

    def constant(self, position: int, dtype: str) -> Tensor:
        tensor = self.tensor(position)
        if tensor.data is None:
            raise self.refuse(f"input {position} must be a constant {dtype} tensor", tensor)
        if tensor.dtype != dtype:
            raise self.refuse(f"input {position} has type {tensor.dtype}, expected {dtype}", tensor)
        return tensor

    def fused_activation(self) -> str:
        code = getattr(self.op.options, "fusedActivationFunction", 0)
        name = ACTIVATION_NAMES.get(code, f"#{code}")
        if name not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
            raise self.refuse(f"fused activation {name} is not supported")
        return name

    def bias(self, position: int, channels: int) -> np.ndarray:
        """The int32 bias (zeros when the op has none)."""
        if position >= len(self.op.inputs) or self.op.inputs[position] < 0:
            return np.zeros(channels, dtype=np.int64)
        bias = self.constant(position, "int32")
        if bias.size != channels:
            raise self.refuse(f"bias has {bias.size} values for {channels} channels", bias)
        return bias.data.astype(np.int64).ravel()

    def table(self, suffix: str, values, ctype: str, per_line: int = 16) -> str:
        """A static const table named after the layer; returns its C name."""
        name = f"{self.prefix}_{suffix}"
        self.tables.append(c_array(name, values, ctype, static=True, const=True, per_line=per_line))
        return name


def row_lead(in_shape, out_shape, pad_top: int) -> int | None:
    """In-place lead of a sliding-window op over NHWC rows (batch 1, output rows no wider than input rows).

    While output row oy is written, only input rows from oy * stride - pad_top >= oy - pad_top on are still
    read; so an output block starting (pad_top + 1) input rows before the input never overwrites a byte still
    to be read: out + (oy + 1) * out_row <= in - (pad_top + 1) * in_row + (oy + 1) * in_row."""
    if len(in_shape) != 4 or in_shape[0] != 1:
        return None
    in_row, out_row = in_shape[2] * in_shape[3], out_shape[2] * out_shape[3]
    return (pad_top + 1) * in_row if out_row <= in_row else None


def shape4(shape: tuple[int, ...]) -> list[int]:
    """A shape padded on the left to 4-D (TFLite's RuntimeShape::ExtendedShape)."""
    if len(shape) > 4:
        raise ValueError(f"shape {shape} has more than 4 dimensions")
    return [1] * (4 - len(shape)) + list(shape)


def shape_text(shape) -> str:
    return "x".join(str(d) for d in shape) if len(shape) else "scalar"


def quant_text(tensor: Tensor) -> str:
    return f"scale {c_float(tensor.scale)[:-1]} zp {tensor.zero_point}"


def initializer_lines(fields: dict, indent: str) -> list[str]:
    """Designated-initializer lines, a few fields per line; a dict value becomes a nested initializer."""
    lines, line = [], ""
    for key, value in fields.items():
        if isinstance(value, dict):
            if line:
                lines.append(indent + line + ",")
                line = ""
            lines.append(f"{indent}.{key} = {{")
            lines.extend(initializer_lines(value, indent + "    "))
            lines.append(f"{indent}}},")
            continue
        item = f".{key} = {value}"
        if line and len(indent) + len(line) + len(item) + 2 > 112:
            lines.append(indent + line + ",")
            line = ""
        line = f"{line}, {item}" if line else item
    if line:
        lines.append(indent + line + ",")
    return lines


def params_struct(ctype: str, name: str, fields: dict) -> str:
    """`static const ctype name = { .field = value, ... };` (dict values nest)."""
    body = "\n".join(initializer_lines(fields, "    "))
    return f"static const {ctype} {name} = {{\n{body}\n}};\n"
