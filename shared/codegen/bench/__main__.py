"""python -m shared.codegen.bench [--tflite M.tflite ...] [--samples N] [--layers]

Prints, per model: MACs, arena bytes (generated vs the allocation TFLM's runtime reports, "Arena allocation
total"), host time per inference (generated C built with gcc -O3, called through ctypes on the whole batch, vs
one TFLM interpreter invoked sample by sample; best of 3, same process), and instructions per inference on QEMU
mps2-an500 (Cortex-M7, -icount shift=0) for the portable kernels, the DSP kernels with int16 and with int8
weights (gcc, and clang when installed), each checked bit-exact against TFLM, with flash and RAM; then per layer
for the two issue-15 models (MLPerf Tiny's DS-CNN, MobileNet v1 0.25 at 96x96), or every model with --layers.
Extra .tflite files (e.g. the demos' deployed models) are added with --tflite.
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from shared.codegen import generate
from shared.codegen.bench.cortex_m import build_image, object_sizes, run_image
from shared.codegen.bench.floor import floor_per_mac
from shared.codegen.bench.models import BENCH_MODELS, DEEP_MODELS, build_int8
from shared.codegen.graph import read_graph
from shared.codegen.host import HostModel
from shared.tflm import make_interpreter, measured_allocation_bytes, run_tflm


def time_per_inference(run, x: np.ndarray, repeats: int = 3) -> float:
    """Best of `repeats` wall times of run(x), divided by the batch size (seconds)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run(x)
        best = min(best, time.perf_counter() - start)
    return best / len(x)


def tflm_invoke_loop(model_bytes: bytes):
    """A batch runner over one TFLM interpreter (built once, outside the timing), as an application would."""
    interpreter = make_interpreter(model_bytes)
    shape = tuple(interpreter.get_input_details(0)["shape"])

    def run(batch: np.ndarray) -> None:
        for sample in batch:
            interpreter.set_input(sample.reshape(shape), 0)
            interpreter.invoke()
            interpreter.get_output(0)

    return run


def host_row(name: str, model_bytes: bytes, workdir: Path, samples: int) -> dict:
    host = HostModel(model_bytes, name, workdir / f"{name}_host", strict=True)
    x = np.random.default_rng(0).integers(-128, 128, size=(samples, host.model.input_size), dtype=np.int8)
    exact = np.array_equal(host.invoke(x), run_tflm(model_bytes, x).reshape(samples, -1))
    c_seconds = time_per_inference(host.invoke, x)
    tflm_seconds = time_per_inference(tflm_invoke_loop(model_bytes), x)
    tflm_arena = measured_allocation_bytes(model_bytes)
    return {"name": name, "macs": host.model.macs, "weights": host.model.weight_bytes,
            "arena": host.model.arena_bytes, "tflm_arena": tflm_arena, "c_us": c_seconds * 1e6,
            "tflm_us": tflm_seconds * 1e6, "exact": exact}


# Cortex-M builds compared: label -> (DSP kernels, flash budget, compiler); a budget of 2^30 bytes widens every
# CONV_2D / FULLY_CONNECTED to int16 pairs, 0 keeps int8 weights everywhere
BUILDS = {
    "portable": (False, None, "gcc"),
    "dsp_int16": (True, 1 << 30, "gcc"),
    "dsp_int8": (True, 0, "gcc"),
    "clang_int16": (True, 1 << 30, "clang"),
    "clang_int8": (True, 0, "clang"),
}


def device_row(name: str, model_bytes: bytes, workdir: Path, samples: int, builds: list[str]) -> dict:
    model = generate(model_bytes, name, f"{name}.tflite")
    x = np.random.default_rng(1).integers(-128, 128, size=(samples, model.input_size), dtype=np.int8)
    expected = run_tflm(model_bytes, x).reshape(samples, -1)
    row = {"name": name, "macs": model.macs, "model": model, "default_int8": bool(model.int8_weight_layers),
           "graph": read_graph(model_bytes)}
    for label in builds:
        dsp, budget, compiler = BUILDS[label]
        folder = workdir / f"{name}_{label}"
        run = run_image(build_image(model_bytes, name, folder, dsp=dsp, profile=True, flash_budget=budget,
                                    compiler=compiler), x, model.output_size)
        row[label] = {"instructions": float(np.median(run.instructions)), "layers": run.layer_instructions,
                      "exact": np.array_equal(run.outputs, expected)}
        if compiler == "gcc":
            row[label]["flash"], row["ram"] = object_sizes(folder, name, dsp)
    return row


def print_layers(row: dict, builds: list[str]) -> None:
    """Per-layer instructions (profiled image: the NAME_LAYER_HOOK debug hook after each layer), instructions per
    MAC per build, and the layer's analytic floor per MAC on the DSP core (bench/floor.py)."""
    print(f"\n{row['name']}: per layer on QEMU, instructions per MAC ({', '.join(builds)}), floor (DSP, "
          "bench/floor.py); DSP instructions")
    for layer in row["model"].layers:
        if layer.op_index not in row[builds[-1]]["layers"]:
            continue
        counts = [row[label]["layers"].get(layer.op_index, 0.0) for label in builds]
        ratios = " ".join(f"{c / layer.macs:6.2f}" if layer.macs else "     -" for c in counts)
        floor = floor_per_mac(row["graph"], row["graph"].ops[layer.op_index])
        ratios += f" {floor:6.2f}" if floor is not None and layer.macs else "      -"
        print(f"  op {layer.op_index:>3} {layer.kind:<18} {layer.macs:>8} MACs {ratios} {counts[1]:>10.0f}  "
              f"{layer.summary.splitlines()[0][:56]}")


def model_name(path: Path) -> str:
    """A C-identifier name for an extra model: its folder and stem (build/mnist/models/int8 -> mnist_int8)."""
    parent = path.parent.parent.name if path.parent.name == "models" else path.parent.name
    return "m_" + re.sub(r"\W", "_", f"{parent}_{path.stem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.codegen.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tflite", type=Path, nargs="*", default=[], help="extra int8 models to include")
    parser.add_argument("--samples", type=int, default=200, help="host batch size (inferences timed)")
    parser.add_argument("--device-samples", type=int, default=4, help="inferences per QEMU run")
    parser.add_argument("--layers", action="store_true", help="per-layer table of every model, not only the deep ones")
    args = parser.parse_args(argv)
    models = {name: build_int8(build, shape, seed=i) for i, (name, (build, shape)) in enumerate(BENCH_MODELS.items())}
    models.update({name: build_int8(build, shape, seed=100 + i, deep=True)
                   for i, (name, (build, shape)) in enumerate(DEEP_MODELS.items())})
    models.update({model_name(path): path.read_bytes() for path in args.tflite})
    workdir = Path(tempfile.mkdtemp(prefix="codegen_bench_"))
    try:
        print("model        MACs    weights  arena  TFLM arena  ratio   C us/inf  TFLM us/inf  speedup  exact")
        for name, blob in models.items():
            r = host_row(name, blob, workdir, args.samples)
            print(f"{r['name'][:13]:<13} {r['macs']:>8} {r['weights']:>8} {r['arena']:>6} {r['tflm_arena']:>10} "
                  f"{r['arena'] / r['tflm_arena']:>6.2f} {r['c_us']:>10.1f} {r['tflm_us']:>12.1f} "
                  f"{r['tflm_us'] / r['c_us']:>7.1f}x  {r['exact']}")
        if shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"):
            builds = [label for label in BUILDS if BUILDS[label][2] == "gcc" or shutil.which("clang")]
            print("\nCortex-M7 (QEMU mps2-an500, -icount shift=0): instructions per inference, whole invoke "
                  "(instructions, not cycles: no\nwait states, dual issue or caches modelled); flash = NAME.o's code "
                  "+ const tables (gcc -O2), RAM = arena; default = the\nflash rule's choice (int8: CONV/FC weights "
                  "stay int8)")
            print(f"{'model':<14} {'MACs':>8} " + " ".join(f"{label:>12}" for label in builds)
                  + "  exact  flash int16/int8  RAM  default")
            rows = []
            for name in models:
                r = device_row(name, models[name], workdir, args.device_samples, builds)
                rows.append(r)
                counts = " ".join(f"{r[label]['instructions']:>12.0f}" for label in builds)
                exact = all(r[label]["exact"] for label in builds)
                print(f"{r['name'][:14]:<14} {r['macs']:>8} {counts}  {exact!s:<5}  "
                      f"{r['dsp_int16']['flash']:>7}/{r['dsp_int8']['flash']:<7} {r['ram']:>6}  "
                      f"{'int8' if r['default_int8'] else 'int16'}")
            for r in rows:
                if args.layers or r["name"] in DEEP_MODELS:
                    print_layers(r, builds)
        else:
            print("\n(qemu-system-arm or arm-none-eabi-gcc missing: no Cortex-M figures)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
