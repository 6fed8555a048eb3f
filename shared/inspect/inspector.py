"""Running every comparison on one int8 model and writing inspect/: layers.json, inspect.md and layers.png."""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from shared.codegen.graph import Graph, read_graph
from shared.data import DataError, atomic_write_text
from shared.evaluate import dequantize, quantize
from shared.inspect import parity, quant
from shared.inspect.quant import error_metrics

SNR_FLOOR_DB = 15.0  # a layer below this is where the int8 model has lost the float model's signal
C_NAME = "net"
PAIRS = (("c", "tflm"), ("board", "tflm"), ("board", "c"), ("litert", "tflm"))


def load_inputs(path: Path, graph: Graph) -> np.ndarray:
    """A .npy of float (or int8) model inputs, (N, *input shape) or (N, input size); DataError naming the file."""
    path = Path(path)
    try:
        values = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: cannot read as .npy ({error})") from None
    return check_inputs(values, graph, str(path))


def check_inputs(values: np.ndarray, graph: Graph, source: str) -> np.ndarray:
    shape = graph.tensors[graph.inputs[0]].shape[1:]
    size = int(np.prod(shape))
    if values.ndim < 1 or values.size == 0 or values.reshape(len(values), -1).shape[1] != size:
        raise DataError(f"{source}: inputs of shape {values.shape} do not fit the model input {shape} "
                        f"({size} values per sample)")
    if not (np.issubdtype(values.dtype, np.floating) or values.dtype == np.int8):
        raise DataError(f"{source}: inputs must be float or int8, not {values.dtype}")
    return values.reshape((len(values), *shape))


def model_io(graph: Graph, inputs: np.ndarray | None, samples: int, seed: int,
             label: str = "the inputs given") -> tuple[np.ndarray | None, np.ndarray, str]:
    """(float inputs or None, int8 inputs, where they came from). Without inputs: seeded uniform random int8."""
    tensor = graph.tensors[graph.inputs[0]]
    if inputs is None:
        rng = np.random.default_rng(seed)
        x_int8 = rng.integers(-128, 128, size=(samples, *tensor.shape[1:]), dtype=np.int8)
        return None, x_int8, f"{samples} seeded random int8 inputs (seed {seed})"
    chosen = inputs[:samples]
    if chosen.dtype == np.int8:
        return None, chosen, f"first {len(chosen)} int8 inputs of {label}"
    x_float = np.asarray(chosen, dtype=np.float32)
    return (x_float, quantize(x_float, tensor.scale, tensor.zero_point),
            f"first {len(chosen)} float inputs of {label}")


def inspect_model(model_bytes: bytes, out_dir: Path, keras_path: Path | None = None,
                  inputs: np.ndarray | None = None, samples: int = 100, seed: int = 0, device: bool = True,
                  title: str = "model", patch: Callable[[str], str] | None = None,
                  inputs_label: str = "the inputs given") -> Path:
    """Write out_dir/layers.json, inspect.md and layers.png for an int8 model; returns layers.json.
    `inputs`: float (quantized here) or int8 model inputs; `device`: also run the QEMU board (skipped, and said so,
    when the cross compiler or QEMU is missing); `patch`: rewrite the generated C before the host build (tests)."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    graph = read_graph(model_bytes)
    x_float, x_int8, source = model_io(graph, inputs, samples, seed, inputs_label)
    tensors = [op.outputs[0] for op in graph.ops]
    rows = [layer_row(graph, op) for op in graph.ops]
    summary: dict = {"model": title, "samples": len(x_int8), "inputs": source}

    tick = time.perf_counter()
    values = {"litert": quant.litert_tensors(model_bytes, x_int8, tensors),
              "tflm": parity.tflm_tensors(model_bytes, x_int8, tensors)}
    timings["litert_and_tflm_s"] = time.perf_counter() - tick

    tick = time.perf_counter()
    summary["quantization"] = quantization_section(graph, rows, values["litert"], x_float, x_int8, keras_path)
    timings["keras_s"] = time.perf_counter() - tick

    with tempfile.TemporaryDirectory(prefix="inspect-") as tmp:
        tick = time.perf_counter()
        host = parity.DebugHostModel(model_bytes, graph, C_NAME, Path(tmp) / "host", patch)
        _, values["c"] = host.run(x_int8)
        timings["c_host_s"] = time.perf_counter() - tick
        live = parity.live_arena_bytes(graph, C_NAME)
        for row, info in zip(rows, host.model.layers, strict=True):
            row["macs"] = info.macs
            row["live_arena_bytes"] = live[row["op"]]
            row["c_layer"] = "own"
        for layer in host.layers:
            producer = next(op.index for op in graph.ops if layer.tensor in op.outputs)
            if producer != layer.op_index:
                rows[layer.op_index]["c_layer"] = f"fused with op {producer}: its output is never stored"
                rows[producer]["c_layer"] = f"computed by op {layer.op_index}'s function"
        board = None
        summary["board"] = {"run": False}
        if device:
            from shared.inspect import device as board_module

            missing = board_module.tools_missing()
            if missing:
                summary["board"] = {"run": False, "why": f"missing tools: {', '.join(missing)}"}
            else:
                tick = time.perf_counter()
                board = board_module.run_board(model_bytes, x_int8, host.layers, len(graph.ops),
                                               host.model.output_size, Path(tmp) / "board")
                values["board"] = board.tensors
                timings["board_s"] = time.perf_counter() - tick
    summary["parity"] = parity_section(graph, rows, values)
    if board is not None:
        summary["board"] = profile_section(rows, board, host.layers)
    timings["total_s"] = time.perf_counter() - started
    summary["timings"] = {k: round(v, 2) for k, v in timings.items()}
    return write_outputs(Path(out_dir), summary, rows)


def layer_row(graph: Graph, op) -> dict:
    tensor = graph.tensors[op.outputs[0]]
    return {"op": op.index, "kind": op.kind, "tensor": tensor.name, "shape": list(tensor.shape),
            "scale": tensor.scale if tensor.scales is not None else None,
            "zero_point": tensor.zero_point if tensor.scales is not None else None}


def quantization_section(graph: Graph, rows: list[dict], litert: dict, x_float, x_int8, keras_path) -> dict:
    """Input quantization error (float inputs only) and, with a Keras model, each matched layer's error."""
    tensor = graph.tensors[graph.inputs[0]]
    section: dict = {"matching": quant.__doc__.split("Layer matching (stated in every report): ")[1].split("\n\n")[0]
                     .replace("\n", " ")}
    if x_float is not None:
        section["input"] = error_metrics(x_float, x_int8, tensor.scale, tensor.zero_point)
    if keras_path is None:
        section["keras"] = None
        return section
    from shared.convert import load_keras_model

    model = load_keras_model(Path(keras_path))
    matches = quant.match_layers(model, graph)
    reference = x_float if x_float is not None else dequantize(x_int8, tensor.scale, tensor.zero_point)
    activations = quant.keras_activations(model, matches, reference)
    for row in rows:
        match = matches[row["op"]]
        row["keras"] = {"layer": match.layer, "value": match.value}
        if match.layer is not None:
            out = graph.tensors[graph.ops[row["op"]].outputs[0]]
            row["quant"] = error_metrics(activations[row["op"]], litert[out.index], out.scale, out.zero_point)
    section["keras"] = str(keras_path)
    section["keras_layers_without_tensor"] = quant.unmatched_layers(model, matches)
    section["collapse"] = collapse(rows, section.get("input"))
    return section


def snr_value(metrics: dict | None) -> float | None:
    if metrics is None:
        return None
    return math.inf if metrics["snr_db"] is None else metrics["snr_db"]


def collapse(rows: list[dict], input_metrics: dict | None) -> dict:
    """The first layer (the input quantization counts as one) whose SNR is below SNR_FLOOR_DB, and the largest SNR
    drop from one matched op to the next."""
    layers = [(row["op"], snr_value(row.get("quant"))) for row in rows if row.get("quant")]
    chain = ([("input", snr_value(input_metrics))] if input_metrics else []) + layers
    first = next(((where, snr) for where, snr in chain if snr < SNR_FLOOR_DB), None)
    drops = [(layers[i][0], layers[i - 1][1] - layers[i][1]) for i in range(1, len(layers))
             if math.isfinite(layers[i - 1][1]) and math.isfinite(layers[i][1])]
    largest = max(drops, key=lambda d: d[1], default=None)
    return {"floor_db": SNR_FLOOR_DB, "first_below_floor": None if first is None else first[0],
            "largest_drop_at": None if largest is None else largest[0],
            "largest_drop_db": None if largest is None else round(largest[1], 2)}


def parity_section(graph: Graph, rows: list[dict], values: dict[str, dict]) -> dict:
    """Per layer and per pair of runtimes: equal, or the first (sample, element) that differs with both values."""
    firsts: dict[str, dict | None] = {}
    for a, b in PAIRS:
        if a not in values or b not in values:
            continue
        key = f"{a}_vs_{b}"
        firsts[key] = None
        for row in rows:
            tensor = graph.ops[row["op"]].outputs[0]
            if tensor not in values[a] or tensor not in values[b]:
                continue
            difference = parity.first_difference(values[a][tensor], values[b][tensor])
            row.setdefault("parity", {})[key] = "equal" if difference is None else difference
            if difference is not None and firsts[key] is None:
                firsts[key] = {"op": row["op"], "kind": row["kind"], **difference}
    return {"first_difference": firsts,
            "tensors": "TFLM runtime (kPreserveAllTensors), LiteRT (reference kernels, all tensors preserved), "
                       "generated C host build (gcc, NAME_LAYER_HOOK), board (QEMU mps2-an500, same hook)"}


def profile_section(rows: list[dict], board, layers) -> dict:
    """Instructions per layer (mean over samples, hook overhead subtracted) against the plain build's inference."""
    per_layer = board.layer_instructions.mean(axis=0)
    hooked = {layer.op_index for layer in layers}
    for row in rows:
        if row["op"] in hooked:
            instructions = max(per_layer[row["op"]] - board.hook_overhead, 0.0)
            row["instructions"] = round(instructions)
            row["instructions_per_mac"] = round(instructions / row["macs"], 3) if row["macs"] else None
    total = sum(row.get("instructions", 0) for row in rows)
    plain = float(board.plain_instructions.mean())
    # each layer and the plain invoke are differences of two counter readings, each off by under one tick
    tolerance = board.instructions_per_tick * (len(layers) + 1)
    return {"run": True, "plain_instructions_per_inference": round(plain),
            "sum_of_layers": round(total), "difference": round(total - plain),
            "tolerance": round(tolerance), "within_tolerance": bool(abs(total - plain) <= tolerance),
            "hook_overhead_per_layer": round(board.hook_overhead, 1), "hook_calls": len(layers),
            "instructions_per_tick": board.instructions_per_tick,
            "resolution": f"SysTick: {board.instructions_per_tick:g} instructions per tick, per layer and sample"}


def write_outputs(out_dir: Path, summary: dict, rows: list[dict]) -> Path:
    from shared.inspect.render import render_markdown, render_plot

    out_dir.mkdir(parents=True, exist_ok=True)
    document = {**summary, "layers": rows}
    path = atomic_write_text(out_dir / "layers.json", json.dumps(document, indent=2, default=json_default) + "\n")
    render_plot(document, out_dir / "layers.png")
    atomic_write_text(out_dir / "inspect.md", render_markdown(document))
    return path


def json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")
