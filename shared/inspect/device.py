"""The emulated board: the generated C with the layer hook on QEMU mps2-an500 (Cortex-M7), through semihosting.

One image (device_main.c) holds the model twice, generated under two names: a plain build (no hook, what a
deployment runs; its invoke is the measured instructions per inference) and the hooked build (per-layer
instructions, and each layer's bytes written to layers.bin). The image is the firmware's bare-metal harness built
by shared/codegen/bench/CMakeLists.txt with device_main.c as its main and the hooked copy as an extra source, and
run by shared.board.emulator.run_semihosting; under `-icount shift=0` timing_now() counts instructions, 40 per
SysTick tick (a loop of known length in the image checks that).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shared.board.emulator import run_semihosting
from shared.codegen import write_model
from shared.codegen.bench import cortex_m
from shared.inspect.parity import HookedLayer, split_dump

HERE = Path(__file__).parent
PLAIN, HOOKED = "m_plain", "m_hooked"
INSTRUCTIONS_PER_TICK = 40  # the counter's resolution: firmware/boards/mps2-an500/board.c, -icount shift=0
HEADER = 4  # counts.bin starts with: loop instructions, loop as counted, hook calls' instructions, hook calls


@dataclass
class BoardRun:
    outputs: np.ndarray  # (N, output_size) int8 of the plain build
    tensors: dict[int, np.ndarray]  # tensor index -> (N, size) int8 from the hooked build
    plain_instructions: np.ndarray  # (N,) instructions per inference, plain build
    layer_instructions: np.ndarray  # (N, ops) instructions per op (hook overhead included; 0 for no hook call)
    hook_overhead: float  # instructions one hook call adds to the layer before it
    instructions_per_tick: float


def tools_missing() -> list[str]:
    return [tool for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "cmake", "ninja") if shutil.which(tool) is None]


def build_image(model_bytes: bytes, ops: int, workdir: Path) -> Path:
    """The inspector's image: device_main.c with both builds of the model on the benchmark harness."""
    workdir = Path(workdir).resolve()
    for name in (PLAIN, HOOKED):
        write_model(model_bytes, workdir, name, f"{name}.tflite")
    defines = [f"HOOKED={HOOKED}", f"HOOKED_UPPER={HOOKED.upper()}", f"INSPECT_OPS={ops}"]
    return cortex_m.build_harness(workdir / "build", [
        f"-DMODEL_NAME={PLAIN}", f"-DMODEL_DIR={workdir}", f"-DHARNESS_MAIN={HERE / 'device_main.c'}",
        f"-DHARNESS_DEFINES={';'.join(defines)}", f"-DEXTRA_SOURCES={workdir / f'{HOOKED}.c'}",
        f"-DEXTRA_FLAGS=-D{HOOKED.upper()}_LAYER_HOOK=inspect_hook"])


def run_board(model_bytes: bytes, x_int8: np.ndarray, layers: list[HookedLayer], ops: int, output_size: int,
              workdir: Path, timeout_s: float = 600.0) -> BoardRun:
    """Build the image, run the batch on QEMU, read back counts, outputs and layer bytes."""
    image = build_image(model_bytes, ops, workdir)
    run_dir = image.parent
    x = np.ascontiguousarray(x_int8, dtype=np.int8).reshape(len(x_int8), -1)
    (run_dir / "inputs.bin").write_bytes(x.tobytes())
    run_semihosting(image, run_dir, timeout_s)
    counts = np.frombuffer((run_dir / "counts.bin").read_bytes(), dtype="<u4").astype(np.float64)
    if counts.size != HEADER + len(x) * (2 + ops):
        raise RuntimeError(f"{run_dir / 'counts.bin'}: {counts.size} counts, expected {HEADER + len(x) * (2 + ops)}")
    loop_instructions, loop_counted, hook_total, hook_calls = counts[:HEADER]
    if abs(loop_counted - loop_instructions) > 2 * INSTRUCTIONS_PER_TICK + 0.001 * loop_instructions:
        raise RuntimeError(f"{image}: a loop of {loop_instructions:.0f} instructions counted {loop_counted:.0f}; "
                           "the counter does not count instructions (is QEMU run with -icount shift=0?)")
    per_sample = counts[HEADER:].reshape(len(x), 2 + ops)
    dump = np.frombuffer((run_dir / "layers.bin").read_bytes(), dtype=np.int8)
    layer_bytes = sum(layer.size for layer in layers)
    if dump.size != layer_bytes * len(x):
        raise RuntimeError(f"{run_dir / 'layers.bin'} has {dump.size} bytes, expected {layer_bytes * len(x)}")
    outputs = np.frombuffer((run_dir / "outputs.bin").read_bytes(), dtype=np.int8).reshape(len(x), output_size)
    return BoardRun(outputs, split_dump(dump.reshape(len(x), layer_bytes), layers), per_sample[:, 0],
                    per_sample[:, 2:], hook_total / hook_calls, INSTRUCTIONS_PER_TICK)
