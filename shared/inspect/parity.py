"""Parity per layer: TFLM's intermediate tensors vs the generated C's debug build, byte for byte.

TFLM: the `tflite-micro` Python runtime created with `InterpreterConfig.kPreserveAllTensors` keeps every tensor
(no arena reuse) and `GetTensor(index, 0)` reads it after `invoke()`; no flatbuffer rewriting is needed.

Generated C: NAME.c compiled with `-DNAME_LAYER_HOOK=NAME_inspect_hook` (shared/codegen/emit_c.py: after each layer
NAME_invoke calls the hook with the op index, the tensor it wrote and its byte count); the hook copies the bytes
out of the arena into a per-sample dump, so layers that later reuse the memory do not matter. A CONV_2D fused with
the pool after it writes only the pool's output: that conv has no C tensor.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shared.codegen.emit_c import build_layers, generate, plan_layers, written
from shared.codegen.graph import Graph
from shared.codegen.host import compile_c
from shared.data import atomic_write_text
from shared.tflm import measured_allocation_bytes

DRIVER = """\
/* inspect driver for {name}: runs a batch and copies each layer's output (NAME_LAYER_HOOK) into a dump */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "{name}.h"

void {name}_inspect_hook(int op_index, const int8_t *data, size_t bytes);
int {name}_inspect_batch(const int8_t *input, int8_t *output, int count, int8_t *dump, long per_sample,
                         const long *offsets, const long *capacity, long *seen, int ops);

static int8_t *dump_at;
static const long *dump_offsets, *dump_capacity;
static long *dump_seen;
static int dump_ops;

void {name}_inspect_hook(int op_index, const int8_t *data, size_t bytes)
{{
    if (op_index < 0 || op_index >= dump_ops || dump_offsets[op_index] < 0) {{
        return;
    }}
    dump_seen[op_index] = (long)bytes;
    if ((long)bytes == dump_capacity[op_index]) {{
        memcpy(dump_at + dump_offsets[op_index], data, bytes);
    }}
}}

int {name}_inspect_batch(const int8_t *input, int8_t *output, int count, int8_t *dump, long per_sample,
                         const long *offsets, const long *capacity, long *seen, int ops)
{{
    dump_offsets = offsets;
    dump_capacity = capacity;
    dump_seen = seen;
    dump_ops = ops;
    for (int i = 0; i < count; i++) {{
        dump_at = dump + (size_t)i * (size_t)per_sample;
        if ({name}_invoke(input + (size_t)i * {upper}_INPUT_SIZE, output + (size_t)i * {upper}_OUTPUT_SIZE) != 0) {{
            return 1;
        }}
    }}
    return 0;
}}
"""


@dataclass
class HookedLayer:
    """One hook call of the debug build: the op index it reports, the tensor it wrote, and that tensor's size."""

    op_index: int
    tensor: int
    size: int


def hooked_layers(graph: Graph, name: str) -> list[HookedLayer]:
    """The hook calls NAME_invoke makes, in order (the generator's own layer list, so fusions and views match)."""
    layers = build_layers(graph, name)
    return [HookedLayer(op.index, written(op, code), graph.tensors[written(op, code)].size)
            for op, code in zip(graph.ops, layers, strict=True) if not code.absorbed]


def live_arena_bytes(graph: Graph, name: str) -> dict[int, int]:
    """Op index -> arena bytes in use while that op runs (its buffers, scratch and everything still alive)."""
    layers = build_layers(graph, name)
    plan = plan_layers(graph, layers)
    arena = [b for b in plan.buffers.values() if b.place == "arena"]
    return {op.index: sum(b.size for b in arena if b.first <= op.index <= b.last) for op in graph.ops}


def tflm_tensors(model_bytes: bytes, x_int8: np.ndarray, tensors: list[int]) -> dict[int, np.ndarray]:
    """Tensor index -> (N, size) int8 values from the TFLM runtime with every tensor preserved."""
    from tflite_micro import runtime

    graph_bytes = sum(int(np.prod(t.shape)) for t in _non_constant(model_bytes))
    arena = 2 * measured_allocation_bytes(bytes(model_bytes)) + 4 * graph_bytes + 65536
    interpreter = runtime.Interpreter.from_bytes(bytes(model_bytes), arena_size=arena,
                                                 intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)
    shape = tuple(interpreter.get_input_details(0)["shape"])
    values: dict[int, list[np.ndarray]] = {t: [] for t in tensors}
    for sample in x_int8:
        interpreter.set_input(np.asarray(sample, np.int8).reshape(shape), 0)
        interpreter.invoke()
        for t in tensors:
            values[t].append(np.array(interpreter.GetTensor(t, 0)["tensor_data"], copy=True).reshape(-1))
    return {t: np.stack(v) for t, v in values.items()}


def _non_constant(model_bytes: bytes):
    from shared.codegen.graph import read_graph

    return [t for t in read_graph(model_bytes).tensors if t.data is None]


class DebugHostModel:
    """The generated C of a model built with the layer hook on (gcc -O2, ctypes). `patch` may rewrite NAME.c's text
    before compiling (tests plant faults with it). `.run(x)` -> (outputs, {tensor index: (N, size) int8})."""

    def __init__(self, model_bytes: bytes, graph: Graph, name: str, workdir: Path,
                 patch: Callable[[str], str] | None = None):
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        self.name, self.graph = name, graph
        self.model = generate(model_bytes, name, f"{name}.tflite")
        c_text = self.model.c_text if patch is None else patch(self.model.c_text)
        atomic_write_text(workdir / f"{name}.c", c_text)
        atomic_write_text(workdir / f"{name}.h", self.model.h_text)
        atomic_write_text(workdir / f"{name}_inspect.c", DRIVER.format(name=name, upper=name.upper()))
        self.layers = hooked_layers(graph, name)
        library = workdir / f"lib{name}_inspect.so"
        compile_c([workdir / f"{name}.c", workdir / f"{name}_inspect.c"], library,
                  ["-O2", "-shared", "-fPIC", f"-D{name.upper()}_LAYER_HOOK={name}_inspect_hook"])
        self.entry = getattr(ctypes.CDLL(str(library)), f"{name}_inspect_batch")
        self.entry.restype = ctypes.c_int

    def run(self, x_int8: np.ndarray) -> tuple[np.ndarray, dict[int, np.ndarray]]:
        x = np.ascontiguousarray(x_int8, dtype=np.int8).reshape(len(x_int8), -1)
        ops = len(self.graph.ops)
        offsets = np.full(ops, -1, dtype=np.int64)
        capacity = np.zeros(ops, dtype=np.int64)
        position = 0
        for layer in self.layers:
            offsets[layer.op_index], capacity[layer.op_index] = position, layer.size
            position += layer.size
        seen = np.full(ops, -1, dtype=np.int64)
        dump = np.zeros((len(x), max(position, 1)), dtype=np.int8)
        y = np.zeros((len(x), self.model.output_size), dtype=np.int8)
        status = self.entry(x.ctypes.data_as(ctypes.c_void_p), y.ctypes.data_as(ctypes.c_void_p), ctypes.c_int(len(x)),
                            dump.ctypes.data_as(ctypes.c_void_p), ctypes.c_long(dump.shape[1]),
                            offsets.ctypes.data_as(ctypes.c_void_p), capacity.ctypes.data_as(ctypes.c_void_p),
                            seen.ctypes.data_as(ctypes.c_void_p), ctypes.c_int(ops))
        if status != 0:
            raise RuntimeError(f"{self.name}_invoke failed in the inspect build")
        for layer in self.layers:
            if seen[layer.op_index] != layer.size:
                raise RuntimeError(f"layer hook of op {layer.op_index} reported {seen[layer.op_index]} bytes, "
                                   f"expected {layer.size} (tensor {layer.tensor})")
        return y, split_dump(dump, self.layers)


def split_dump(dump: np.ndarray, layers: list[HookedLayer]) -> dict[int, np.ndarray]:
    """(N, bytes per sample) hook dump in call order -> {tensor index: (N, size)}."""
    tensors, position = {}, 0
    for layer in layers:
        tensors[layer.tensor] = dump[:, position : position + layer.size]
        position += layer.size
    return tensors


def first_difference(a: np.ndarray, b: np.ndarray) -> dict | None:
    """The first (sample, element) where two (N, size) int8 arrays differ, with both values and a count."""
    differ = a != b
    if not differ.any():
        return None
    sample, element = (int(v) for v in np.argwhere(differ)[0])
    return {"sample": sample, "element": element, "values": [int(a[sample, element]), int(b[sample, element])],
            "differing_values": int(differ.sum())}
