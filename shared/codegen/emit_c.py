"""Assembling NAME.c and NAME.h from the graph, the op emitters, the kernels and the memory plan."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from shared.c_source import c_float, c_identifier, generated_header, include_guard
from shared.codegen.graph import Graph, UnsupportedModelError, read_graph
from shared.codegen.ops import (
    LayerCode,
    LayerContext,
    add,
    column_as_row,
    concatenation,
    conv_2d,
    conv_pool_2d,
    depthwise_conv_2d,
    fully_connected,
    logistic,
    mean,
    pad,
    pooling,
    relu,
    reshape,
    shape_text,
    softmax,
    strided_slice,
)
from shared.codegen.ops.matvec import padded_depth
from shared.codegen.plan import MemoryPlan, plan_memory, scratch_key

GENERATOR = "shared.codegen 1.0 (tinyml-labs)"
KERNEL_DIR = Path(__file__).parent / "kernels"  # reference/<stem>.c portable, cortex_m/<stem>.c the DSP fast paths
EMITTERS = {
    "ADD": add, "AVERAGE_POOL_2D": pooling, "CONCATENATION": concatenation, "CONV_2D": conv_2d,
    "DEPTHWISE_CONV_2D": depthwise_conv_2d, "EXPAND_DIMS": reshape, "FULLY_CONNECTED": fully_connected,
    "LOGISTIC": logistic, "MAX_POOL_2D": pooling, "MEAN": mean, "PAD": pad, "PADV2": pad, "RELU": relu,
    "RELU6": relu, "RESHAPE": reshape, "SOFTMAX": softmax, "SQUEEZE": reshape,
    "STRIDED_SLICE": strided_slice,
}


@dataclass
class LayerInfo:
    op_index: int
    kind: str
    summary: str
    macs: int
    reads: list[str]  # where each input lives ("input", "arena[0,64)", "output")
    writes: str


@dataclass
class GeneratedModel:
    name: str
    c_text: str
    h_text: str
    arena_bytes: int
    input_size: int
    output_size: int
    weight_bytes: int  # int8 weights + int32 bias/requant tables written as const data
    macs: int
    layers: list[LayerInfo] = field(default_factory=list)
    int8_weight_layers: list[int] = field(default_factory=list)  # op indices keeping int8 weights (DSP build)


# The default flash rule: the STM32F746G-DISCO has 1 MB of flash; a model whose CONV_2D / FULLY_CONNECTED weights
# take at most 1/16 of it (64 KiB) as int16 pairs gets them everywhere (fastest), any larger model int8 everywhere.
BOARD_FLASH_BYTES = 1 << 20
WIDE_WEIGHTS_ROOM_BYTES = BOARD_FLASH_BYTES // 16


def matvec_weights(graph: Graph) -> dict[int, tuple[int, int]]:
    """op index -> (bytes of its int8 weight table, MACs) for every CONV_2D and FULLY_CONNECTED; the int16 table
    of the DSP build takes twice the bytes."""
    sizes = {}
    for op in graph.ops:
        if op.kind in ("CONV_2D", "FULLY_CONNECTED") and len(op.inputs) > 1:
            weights = graph.tensors[op.inputs[1]]
            if not weights.shape:
                continue
            rows = weights.shape[0]
            depth = weights.size // max(rows, 1)
            sizes[op.index] = (rows * padded_depth(depth), graph.tensors[op.outputs[0]].size * depth)
    return sizes


def choose_int8_layers(graph: Graph, flash_budget: int | None) -> set[int]:
    """The layers whose DSP build keeps int8 weights (widened in registers) instead of int16 pairs.

    flash_budget None: the default rule above. Otherwise every layer starts with int8 weights and layers are
    widened to int16, most MACs per extra byte first, while all CONV_2D / FULLY_CONNECTED weight tables together
    stay within flash_budget bytes (0: int8 everywhere)."""
    sizes = matvec_weights(graph)
    int8_total = sum(size for size, _ in sizes.values())
    if flash_budget is None:
        return set() if 2 * int8_total <= WIDE_WEIGHTS_ROOM_BYTES else set(sizes)
    chosen, total = set(sizes), int8_total
    for index in sorted(sizes, key=lambda i: (-sizes[i][1] / max(sizes[i][0], 1), i)):
        if total + sizes[index][0] <= flash_budget:
            chosen.remove(index)
            total += sizes[index][0]
    return chosen


def generate(model_bytes: bytes, name: str, source_name: str, flash_budget: int | None = None) -> GeneratedModel:
    """Compile an int8 .tflite into C; UnsupportedModelError (a ValueError) for anything not implemented.
    flash_budget: bytes for the CONV_2D / FULLY_CONNECTED weights of the DSP build (choose_int8_layers)."""
    c_identifier(name)
    graph = read_graph(model_bytes)
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise UnsupportedModelError(f"the model has {len(graph.inputs)} inputs and {len(graph.outputs)} outputs; "
                                    "only one of each is supported")
    int8_layers = choose_int8_layers(graph, flash_budget)
    layers = build_layers(graph, name, int8_layers)
    for index in (graph.inputs[0], graph.outputs[0]):
        tensor = graph.tensors[index]
        if tensor.dtype != "int8" or tensor.scales is None:
            raise UnsupportedModelError(f"model {'input' if index == graph.inputs[0] else 'output'} tensor {index} "
                                        f"{tensor.name!r} has type {tensor.dtype}; only quantized int8 I/O")
    plan = plan_layers(graph, layers)
    digest = hashlib.sha256(model_bytes).hexdigest()
    header = generated_header(GENERATOR, f"{source_name} (sha256 {digest})",
                              f"python -m shared.codegen {source_name} --out DIR --name {name}"
                              + ("" if flash_budget is None else f" --flash-budget {flash_budget}"))
    infos = [layer_info(graph, plan, op, code) for op, code in zip(graph.ops, layers, strict=True)]
    c_text = c_source(graph, plan, layers, name, header)
    h_text = h_source(graph, plan, name, header, sum(i.macs for i in infos))
    tensor_in, tensor_out = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]
    return GeneratedModel(name, c_text, h_text, plan.arena_bytes, tensor_in.size, tensor_out.size,
                          weight_bytes(graph), sum(i.macs for i in infos), infos, sorted(int8_layers))


def build_layers(graph: Graph, name: str, int8_layers: frozenset[int] = frozenset()) -> list[LayerCode]:
    """One LayerCode per op. A CONV_2D whose output only feeds the next op, a pool, may become one fused layer
    (ops/conv_pool_2d.py); fusing removes the conv output from the arena but adds a ring of pool rows, so each
    fusion is kept only when the arena does not grow. Then slice views become copies where that shrinks the arena
    (copy_slices), and the convs that may take chunks get them where their scratch does not grow it (fit_chunks)."""
    layers = [emit_layer(graph, op, name, op.index in int8_layers, chunk_pixels=0) for op in graph.ops]
    best = plan_layers(graph, layers).arena_bytes
    for i in range(len(graph.ops) - 1):
        conv, pool = graph.ops[i], graph.ops[i + 1]
        if layers[i].absorbed or not conv_pool_2d.can_fuse(graph, conv, pool):
            continue
        trial = list(layers)
        trial[i] = conv_pool_2d.fuse(conv, pool, layers[i], layers[i + 1], graph, name)
        trial[i + 1] = LayerCode(inputs=[conv.outputs[0]], absorbed=True,
                                 summary=f"computed by layer {conv.index} (fused)")
        arena_bytes = plan_layers(graph, trial).arena_bytes
        if arena_bytes <= best:
            layers, best = trial, arena_bytes
    layers = copy_slices(graph, name, layers, best)
    return fit_chunks(graph, name, int8_layers, layers, plan_layers(graph, layers).arena_bytes)


def copy_slices(graph: Graph, name: str, layers: list[LayerCode], best: int) -> list[LayerCode]:
    """A STRIDED_SLICE view keeps its whole input alive as long as the view is read; each one becomes a copy
    when that shrinks the arena (a small slice of a large activation read late)."""
    for op in graph.ops:
        if op.kind == "STRIDED_SLICE" and layers[op.index].view:
            trial = list(layers)
            trial[op.index] = strided_slice.emit(LayerContext(graph, op, f"{name}_l{op.index:02d}"), alias=False)
            arena_bytes = plan_layers(graph, trial).arena_bytes
            if arena_bytes < best:
                layers, best = trial, arena_bytes
    return layers


def fit_chunks(graph: Graph, name: str, int8_layers: frozenset[int], layers: list[LayerCode],
               limit: int) -> list[LayerCode]:
    """`layers` (none with chunks, arena `limit`) with each conv that may take chunks (ops/conv_2d.chunk_pixels), in
    model order, given the most pixels a chunk of conv_2d.CHUNK_CHOICES whose scratch keeps the arena within
    `limit`; none fits: no chunks. A conv fused with its pool is fused again with the chunked conv."""

    def emit_with(i: int, pixels: int | None) -> LayerCode:
        op = graph.ops[i]
        code = emit_layer(graph, op, name, op.index in int8_layers, chunk_pixels=pixels)
        if i + 1 < len(layers) and layers[i + 1].absorbed:  # fused with the pool after it
            pool = graph.ops[i + 1]
            code = conv_pool_2d.fuse(op, pool, code, emit_layer(graph, pool, name), graph, name)
        return code

    fitted = list(layers)
    for i in range(len(graph.ops)):
        if graph.ops[i].kind != "CONV_2D" or layers[i].absorbed or not emit_with(i, None).chunk_pixels:
            continue
        for pixels in conv_2d.CHUNK_CHOICES:
            trial = list(fitted)
            trial[i] = emit_with(i, pixels)
            if plan_layers(graph, trial).arena_bytes <= limit:
                fitted = trial
                break
    return fitted


def written(op, code: LayerCode) -> int:
    return op.outputs[0] if code.output is None else code.output


def plan_layers(graph: Graph, layers: list[LayerCode]) -> MemoryPlan:
    steps = [(op.index, code.inputs, written(op, code),
              "view" if code.view else "op" if code.in_place_lead is None else "in_place")
             for op, code in zip(graph.ops, layers, strict=True) if not code.absorbed]
    leads = {op.index: code.in_place_lead for op, code in zip(graph.ops, layers, strict=True)
             if code.in_place_lead is not None}
    trails = {op.index: code.in_place_trail for op, code in zip(graph.ops, layers, strict=True)
              if code.in_place_lead is not None and code.in_place_trail is not None}
    scratch = {op.index: code.scratch_bytes for op, code in zip(graph.ops, layers, strict=True) if code.scratch_bytes}
    offsets = {written(op, code): code.view_offset for op, code in zip(graph.ops, layers, strict=True)
               if code.view and code.view_offset}
    return plan_memory(steps, {t.index: t.size for t in graph.tensors}, graph.inputs[0], graph.outputs[0], scratch,
                       leads, trails, offsets)


def emit_layer(graph: Graph, op, name: str, int8_weights: bool = False, chunk_pixels: int | None = None) -> LayerCode:
    emitter = EMITTERS.get(op.kind)
    if emitter is None:
        tensor = op.outputs[0] if op.outputs else None
        raise graph.refuse(op, "this op is not supported by the generator "
                           f"(supported: {', '.join(sorted(EMITTERS))})", tensor)
    if len(op.outputs) != 1:
        raise graph.refuse(op, f"{len(op.outputs)} outputs; only single-output ops are supported")
    row_graph, row_op = column_as_row(graph, op)  # a 1-D op down a column runs along a row: the same bytes
    code = emitter.emit(LayerContext(row_graph, row_op, f"{name}_l{op.index:02d}", int8_weights,
                                     chunk_pixels=chunk_pixels))
    if row_op is not op:
        x = graph.tensors[op.inputs[0]]
        code.summary += f"\n(the model's {shape_text(x.shape)} column, taken as the row it is in memory)"
    return code


def weight_bytes(graph: Graph) -> int:
    return sum(t.data.nbytes for t in graph.tensors if t.data is not None and t.dtype in ("int8", "int32"))


def where(plan: MemoryPlan, tensor: int) -> str:
    buffer, offset = plan.buffer(tensor), plan.offsets.get(tensor, 0)
    if buffer.place != "arena":
        return f"{buffer.place} + {offset}" if offset else buffer.place
    return f"arena[{buffer.offset},{buffer.offset + buffer.size})" + (f" + {offset}" if offset else "")


def pointer(plan: MemoryPlan, tensor: int, name: str) -> str:
    buffer, offset = plan.buffer(tensor), plan.offsets.get(tensor, 0)
    at = f" + {offset}" if offset else ""
    if buffer.place != "arena":
        return buffer.place + at
    return f"{name}_arena.bytes + {offset_name(name, buffer.root)}{at}"


def where_scratch(plan: MemoryPlan, op_index: int) -> str:
    buffer = plan.buffers[scratch_key(op_index)]
    return f"arena[{buffer.offset},{buffer.offset + buffer.size})"


def offset_name(name: str, root: int) -> str:
    """The named constant of a buffer's arena offset: NAME_T12_OFFSET, or NAME_L03_SCRATCH_OFFSET."""
    if root < 0:
        return f"{name.upper()}_L{-1 - root:02d}_SCRATCH_OFFSET"
    return f"{name.upper()}_T{root}_OFFSET"


def layer_info(graph: Graph, plan: MemoryPlan, op, code: LayerCode) -> LayerInfo:
    if code.absorbed:
        return LayerInfo(op.index, op.kind, code.summary, 0, ["fused"], "fused")
    return LayerInfo(op.index, op.kind, code.summary, code.macs, [where(plan, t) for t in code.inputs],
                     where(plan, written(op, code)))


def comment_text(text: str) -> str:
    return text.replace("*/", "* /")


def function_name(name: str, op, code: LayerCode, graph: Graph) -> str:
    """NAME_lNN_<op>: a fused layer also names the op it absorbed (NAME_l00_conv_2d_max_pool_2d)."""
    kinds = op.kind.lower()
    if code.output is not None:
        kinds += "_" + next(o.kind for o in graph.ops if code.output in o.outputs).lower()
    return f"{name}_l{op.index:02d}_{kinds}"


def layer_function(graph: Graph, plan: MemoryPlan, op, code: LayerCode, name: str) -> str:
    """The comment and static function of one layer (views and absorbed ops: the comment only)."""
    output = graph.tensors[written(op, code)]
    what = f"{op.kind} (op {op.index})"
    if code.output is not None:
        last = next(o for o in graph.ops if code.output in o.outputs)
        what = f"{op.kind} + {last.kind} (ops {op.index}-{last.index}, fused)"
    lines = [f"layer {op.index}: {what} <- \"{output.name}\"", *code.summary.split("\n")]
    if code.absorbed:
        return "/* " + "\n * ".join(comment_text(line) for line in lines) + " */\n"
    if code.scratch_bytes:
        lines.append(f"scratch {where_scratch(plan, op.index)}")
    reads = ", ".join(where(plan, t) for t in code.inputs)
    lines.append(f"reads {reads} -> writes {where(plan, written(op, code))}")
    call = code.call
    if op.index in plan.reversed:
        lines.append("pixels last to first: the output lies after its input")
        call = code.reverse_call
    comment = "/* " + "\n * ".join(comment_text(line) for line in lines) + " */\n"
    if code.view:
        return comment
    params = [f"const int8_t *in{i}" for i in range(len(code.inputs))] + ["int8_t *out"]
    with_scratch = [*params, "int16_t *scratch"] if code.scratch_bytes else params
    body = "".join(code.tables)
    function = function_name(name, op, code, graph)
    if code.dsp_call:
        return (f"{comment}{body}#if CG_DSP\nstatic void {function}({', '.join(with_scratch)})\n"
                f"{{\n    {code.dsp_call}\n}}\n#else\nstatic void {function}({', '.join(params)})\n"
                f"{{\n    {call}\n}}\n#endif\n")
    return f"{comment}{body}static void {function}({', '.join(with_scratch)})\n{{\n    {call}\n}}\n"


def kernel_defines(layers: list[LayerCode]) -> str:
    """`#define NAME 1` for each macro some layer's kernels test (LayerCode.defines), in first-use order."""
    names: list[str] = []
    for code in layers:
        names.extend(name for name in code.defines if name not in names)
    return "".join(f"#define {name} 1\n" for name in names) + ("\n" if names else "")


def kernel_sources(layers: list[LayerCode]) -> str:
    """Each kernel stem the layers need, in order: kernels/reference/<stem>.c (the portable loops, every build),
    then kernels/cortex_m/<stem>.c under #if CG_DSP where the stem has a Cortex-M fast path."""
    stems: list[str] = []
    for code in layers:
        stems.extend(stem for stem in code.kernels if stem not in stems)
    parts = []
    for stem in stems:
        reference, cortex_m = KERNEL_DIR / "reference" / f"{stem}.c", KERNEL_DIR / "cortex_m" / f"{stem}.c"
        if reference.exists():
            parts.append(reference.read_text())
        if cortex_m.exists():
            parts.append(f"#if CG_DSP /* kernels/cortex_m/{stem}.c */\n{cortex_m.read_text()}#endif\n")
    return "\n".join(parts)


def arena_section(plan: MemoryPlan, name: str) -> str:
    upper = name.upper()
    lines = [f"/* Activation arena: {plan.arena_bytes} bytes; buffer offsets by root tensor (views share them). */"]
    for buffer in sorted(plan.buffers.values(), key=lambda b: (b.offset, b.root)):
        if buffer.place == "arena":
            what = (f"scratch of op {buffer.first}" if buffer.root < 0 else
                    f"written by op {buffer.first}, last read by op {buffer.last}")
            lines.append(f"#define {offset_name(name, buffer.root)} {buffer.offset}u /* {buffer.size} bytes, {what} */")
    size = f"{upper}_ARENA_SIZE" if plan.arena_bytes > 0 else "4"
    lines.append(f"static union {{\n    int64_t align; /* 8-byte alignment: 64-bit loads of scratch columns */\n"
                 f"    int16_t halves[({size} + 1) / 2]; /* scratch columns */\n"
                 f"    int8_t bytes[{size}];\n}} {name}_arena;\n")
    return "\n".join(lines)


def hook_section(name: str) -> str:
    """The optional per-layer hook of debug builds (shared/inspect): compiled out unless NAME_LAYER_HOOK is defined
    (e.g. -DNAME_LAYER_HOOK=my_hook), in which case NAME_invoke calls `void NAME_LAYER_HOOK(int op_index, const
    int8_t *data, size_t bytes)` (declared in NAME.h) after each layer (views included) with the tensor it wrote."""
    upper = name.upper()
    return (f"#ifdef {upper}_LAYER_HOOK /* debug builds: called after each layer with its op index and output */\n"
            f"#define {upper}_AFTER_LAYER(op_index, data, bytes) {upper}_LAYER_HOOK(op_index, data, bytes)\n"
            f"#else\n#define {upper}_AFTER_LAYER(op_index, data, bytes) ((void)0)\n#endif\n")


def hook_declaration(name: str) -> str:
    upper = name.upper()
    return (f"#ifdef {upper}_LAYER_HOOK /* debug builds only, e.g. -D{upper}_LAYER_HOOK=my_hook: {name}_invoke calls\n"
            f" * it after each layer with the op index, the bytes that layer wrote and their count */\n"
            f"void {upper}_LAYER_HOOK(int op_index, const int8_t *data, size_t bytes);\n#endif\n\n")


def hook_call(graph: Graph, plan: MemoryPlan, op, code: LayerCode, name: str) -> str:
    tensor = written(op, code)
    return (f"    {name.upper()}_AFTER_LAYER({op.index}, {pointer(plan, tensor, name)}, "
            f"{graph.tensors[tensor].size}u);")


def call_text(function: str, arguments: list[str]) -> str:
    call = f"    {function}({', '.join(arguments)});"
    if len(call) > 116:
        call = f"    {function}(" + ",\n        ".join(arguments) + ");"
    return call


def invoke_function(graph: Graph, plan: MemoryPlan, layers: list[LayerCode], name: str) -> str:
    lines = []
    for op, code in zip(graph.ops, layers, strict=True):
        if code.view or code.absorbed:
            lines.append(f"    /* op {op.index} {op.kind}: {'view' if code.view else 'fused into the layer above'}, "
                         "no code */")
            if code.view:
                lines.append(hook_call(graph, plan, op, code, name))
            continue
        arguments = [pointer(plan, t, name) for t in code.inputs] + [pointer(plan, written(op, code), name)]
        function = function_name(name, op, code, graph)
        if code.scratch_bytes:
            scratch = [*arguments, f"{name}_arena.halves + {offset_name(name, scratch_key(op.index))} / 2"]
            call = call_text(function, scratch)
            if code.dsp_call:
                call = f"#if CG_DSP\n{call}\n#else\n{call_text(function, arguments)}\n#endif"
        else:
            call = call_text(function, arguments)
        lines.append(call)
        lines.append(hook_call(graph, plan, op, code, name))
    dsp_scratch = {scratch_key(op.index) for op, code in zip(graph.ops, layers, strict=True) if code.dsp_call}
    uses_arena = any(b.place == "arena" and key not in dsp_scratch for key, b in plan.buffers.items())
    keep = "" if uses_arena else f"    (void){name}_arena; /* no buffer, or only DSP fast-path scratch */\n"
    return (f"int {name}_invoke(const int8_t *input, int8_t *output)\n{{\n{keep}" + "\n".join(lines)
            + "\n    return 0;\n}\n")


def c_source(graph: Graph, plan: MemoryPlan, layers: list[LayerCode], name: str, header: str) -> str:
    functions = "\n".join(layer_function(graph, plan, op, code, name)
                          for op, code in zip(graph.ops, layers, strict=True))
    return (f"{header}\n#include <stddef.h>\n#include <stdint.h>\n#include <string.h>\n\n"
            f"/* CG_DSP: the Cortex-M fast paths (kernels/cortex_m) on a core with the DSP extension (ARMv7E-M);\n"
            f" * -DCG_NO_DSP keeps the portable kernels (kernels/reference) there too */\n"
            f"#if defined(__ARM_FEATURE_DSP) && !defined(CG_NO_DSP)\n#define CG_DSP 1\n#include <arm_acle.h>\n"
            f"#else\n#define CG_DSP 0\n#endif\n\n"
            f"#include \"{name}.h\"\n\n"
            f"#if defined(__GNUC__) /* kernels a model may not call (e.g. cg_pool_2d when every pool is fused) */\n"
            f"#define CG_MAYBE_UNUSED __attribute__((unused))\n#else\n#define CG_MAYBE_UNUSED\n#endif\n\n"
            f"/* ---- kernels (shared/codegen/kernels/reference and cortex_m), file-local ---- */\n\n"
            f"{kernel_defines(layers)}"
            f"{kernel_sources(layers)}\n"
            f"/* ---- memory ---- */\n\n{arena_section(plan, name)}\n"
            f"/* ---- layers, in model order ---- */\n\n{functions}\n{hook_section(name)}\n"
            f"/* ---- entry point ---- */\n\n{invoke_function(graph, plan, layers, name)}")


def h_source(graph: Graph, plan: MemoryPlan, name: str, header: str, macs: int) -> str:
    upper = name.upper()
    guard_open, guard_close = include_guard(name)
    tensor_in, tensor_out = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]

    def shape(tensor) -> str:
        return "x".join(str(d) for d in tensor.shape)

    return (
        f"{header}\n{guard_open}\n#include <stddef.h>\n#include <stdint.h>\n\n"
        f"#define {upper}_INPUT_SIZE {tensor_in.size} /* bytes: int8 {shape(tensor_in)} */\n"
        f"#define {upper}_OUTPUT_SIZE {tensor_out.size} /* bytes: int8 {shape(tensor_out)} */\n"
        f"#define {upper}_ARENA_SIZE {plan.arena_bytes} /* bytes of static RAM for activations */\n"
        f"#define {upper}_INPUT_SCALE {c_float(tensor_in.scale)}\n"
        f"#define {upper}_INPUT_ZERO_POINT ({tensor_in.zero_point})\n"
        f"#define {upper}_OUTPUT_SCALE {c_float(tensor_out.scale)}\n"
        f"#define {upper}_OUTPUT_ZERO_POINT ({tensor_out.zero_point})\n"
        f"#define {upper}_MACS {macs} /* multiply-accumulates per inference */\n\n"
        f"/* Runs the model once: input holds {upper}_INPUT_SIZE int8 values quantized as\n"
        f" * round(x / {upper}_INPUT_SCALE) + {upper}_INPUT_ZERO_POINT; output receives {upper}_OUTPUT_SIZE int8\n"
        f" * values. Returns 0. Not reentrant: all activations live in one static arena. */\n"
        f"int {name}_invoke(const int8_t *input, int8_t *output);\n\n{hook_declaration(name)}{guard_close}"
    )
