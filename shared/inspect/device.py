"""The emulated board: the generated C with the layer hook on QEMU mps2-an500 (Cortex-M7), through semihosting.

One image (device_main.c) holds the model twice, generated under two names: a plain build (no hook, what a
deployment runs; its invoke is the measured instructions per inference) and the hooked build (per-layer SysTick
and layer bytes written to layers_out.bin). Under `-icount shift=0` SysTick counts instructions (40 per tick on
mps2); a loop of known length in the image converts ticks to instructions. The bare-metal start, linker
script, flags and QEMU command are the codegen benchmark's (shared/codegen/bench/cortex_m.py).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shared.codegen import write_model
from shared.codegen.bench import cortex_m
from shared.codegen.host import STRICT_WARNINGS
from shared.inspect.parity import HookedLayer, split_dump

HERE = Path(__file__).parent
PLAIN, HOOKED = "m_plain", "m_hooked"


@dataclass
class BoardRun:
    outputs: np.ndarray  # (N, output_size) int8 of the plain build
    tensors: dict[int, np.ndarray]  # tensor index -> (N, size) int8 from the hooked build
    plain_instructions: np.ndarray  # (N,) instructions per inference, plain build
    layer_instructions: np.ndarray  # (N, ops) instructions per op (hook overhead included; 0 for no hook call)
    hook_overhead: float  # instructions one hook call adds to the layer before it
    instructions_per_tick: float


def tools_missing() -> list[str]:
    return [tool for tool in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(tool) is None]


def build_image(model_bytes: bytes, ops: int, workdir: Path) -> Path:
    workdir = Path(workdir)
    for name in (PLAIN, HOOKED):
        write_model(model_bytes, workdir, name, f"{name}.tflite")
    image = workdir / "inspect.elf"
    bench = Path(cortex_m.__file__).parent
    command = ["arm-none-eabi-gcc", *STRICT_WARNINGS, *cortex_m.M7_FLAGS, "-O2", *cortex_m.LINK_FLAGS,
               f"-DPLAIN={PLAIN}", f"-DPLAIN_UPPER={PLAIN.upper()}", f"-DHOOKED={HOOKED}",
               f"-DHOOKED_UPPER={HOOKED.upper()}", f"-D{HOOKED.upper()}_LAYER_HOOK=inspect_hook",
               f"-DINSPECT_OPS={ops}", f"-I{workdir}", "-T", str(bench / "link.ld"), str(bench / "startup.c"),
               str(HERE / "device_main.c"), str(workdir / f"{PLAIN}.c"), str(workdir / f"{HOOKED}.c"), "-o",
               str(image)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}")
    return image


def run_board(model_bytes: bytes, x_int8: np.ndarray, layers: list[HookedLayer], ops: int, output_size: int,
              workdir: Path, timeout_s: float = 600.0) -> BoardRun:
    """Build the image, run the batch on QEMU, parse ticks and read back outputs and layer bytes."""
    image = build_image(model_bytes, ops, workdir)
    x = np.ascontiguousarray(x_int8, dtype=np.int8).reshape(len(x_int8), -1)
    (image.parent / "batch_in.bin").write_bytes(x.tobytes())
    result = subprocess.run([*cortex_m.QEMU, "-kernel", str(image)], capture_output=True, text=True,
                            cwd=image.parent, timeout=timeout_s, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{image} on QEMU exited {result.returncode}:\n{result.stdout[-2000:]}"
                           f"{result.stderr[-2000:]}")
    calibration = re.search(r"^calibration (\d+) (\d+)$", result.stdout, re.M)
    hook = re.search(r"^hook (\d+) (\d+)$", result.stdout, re.M)
    samples = [[int(v) for v in line.split()[1:]] for line in result.stdout.splitlines() if line.startswith("sample ")]
    if calibration is None or hook is None or len(samples) != len(x):
        raise RuntimeError(f"{image}: unexpected output from QEMU:\n{result.stdout[-2000:]}")
    per_tick = int(calibration.group(1)) / int(calibration.group(2))
    ticks = np.array(samples, dtype=np.float64)
    dump = np.frombuffer((image.parent / "layers_out.bin").read_bytes(), dtype=np.int8)
    per_sample = sum(layer.size for layer in layers)
    if dump.size != per_sample * len(x):
        raise RuntimeError(f"{image}: layers_out.bin has {dump.size} bytes, expected {per_sample * len(x)}")
    outputs = np.frombuffer((image.parent / "batch_out.bin").read_bytes(), dtype=np.int8).reshape(len(x), output_size)
    return BoardRun(outputs, split_dump(dump.reshape(len(x), per_sample), layers), ticks[:, 0] * per_tick,
                    ticks[:, 2:] * per_tick, int(hook.group(1)) / int(hook.group(2)) * per_tick, per_tick)
