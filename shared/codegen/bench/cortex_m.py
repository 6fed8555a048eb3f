"""Building generated C into a bare-metal image for QEMU mps2-an500 (Cortex-M7) and running a batch on it.

The image reads the batch through semihosting, runs NAME_invoke per sample and reports SysTick ticks per
inference; with `-icount shift=0` QEMU executes one instruction per virtual nanosecond, so ticks convert to
instructions through a calibration loop of known length (2 instructions per iteration) run in the same image.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shared.codegen import write_model
from shared.codegen.host import STRICT_WARNINGS

HERE = Path(__file__).parent
M7_FLAGS = ["-mcpu=cortex-m7", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard", "-mthumb"]
LINK_FLAGS = ["--specs=nano.specs", "--specs=rdimon.specs", "-nostartfiles", "-fno-tree-loop-distribute-patterns",
              "-Wl,--gc-sections", "-ffunction-sections", "-fdata-sections"]
# clang for the same core: its own freestanding headers plus newlib's (string.h) from the GCC toolchain
CLANG_M7 = ["clang", "--target=arm-none-eabi", *M7_FLAGS, "-isystem", "/usr/lib/arm-none-eabi/include"]
QEMU = ["qemu-system-arm", "-M", "mps2-an500", "-display", "none", "-monitor", "none", "-serial", "none",
        "-semihosting-config", "enable=on,target=native", "-icount", "shift=0"]


@dataclass
class DeviceRun:
    outputs: np.ndarray  # (n, output_size) int8
    instructions: np.ndarray  # (n,) instructions per inference
    layer_instructions: dict[int, float]  # op index -> median instructions of that layer (profiled images)
    text_bytes: int  # code + constants (flash)
    bss_bytes: int  # static RAM (arena + harness buffers)


def build_image(model_bytes: bytes, name: str, workdir: Path, dsp: bool = True, optimize: str = "-O2",
                profile: bool = False, flash_budget: int | None = None, compiler: str = "gcc") -> Path:
    """Generate NAME.c and link it with the harness; dsp=False builds the portable kernels (-DCG_NO_DSP);
    profile=True counts each layer (CG_LAYER_DONE; about 30 instructions per layer added to the whole figure);
    flash_budget: see shared.codegen.generate; compiler "clang" builds NAME.c with clang (the harness with gcc)."""
    workdir = Path(workdir)
    write_model(model_bytes, workdir, name, f"{name}.tflite", flash_budget)
    image = workdir / f"{name}_{'dsp' if dsp else 'portable'}.elf"
    model_flags = [*([] if dsp else ["-DCG_NO_DSP"]),
                   *(["-DCG_LAYER_DONE=bench_layer_done", "-include", str(HERE / "profile.h")] if profile else [])]
    model_source = workdir / f"{name}.c"
    if compiler == "clang":
        model_object = workdir / f"{name}_clang.o"
        run_compiler([*CLANG_M7, *STRICT_WARNINGS, optimize, *model_flags, "-c", str(model_source), "-o",
                      str(model_object)])
        model_source = model_object
    elif compiler != "gcc":
        raise ValueError(f"compiler {compiler!r}: gcc or clang")
    run_compiler(["arm-none-eabi-gcc", *STRICT_WARNINGS, *M7_FLAGS, optimize, *LINK_FLAGS, *model_flags,
                  f"-DMODEL={name}", f"-DMODEL_UPPER={name.upper()}", f"-I{workdir}", "-T", str(HERE / "link.ld"),
                  str(HERE / "startup.c"), str(HERE / "main.c"), str(model_source), "-o", str(image)])
    return image


def run_compiler(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}")


def object_sizes(workdir: Path, name: str, dsp: bool, optimize: str = "-O2") -> tuple[int, int]:
    """(flash, static RAM) bytes of NAME.c alone for the Cortex-M7: code + const tables, and the arena."""
    obj = Path(workdir) / f"{name}_{'dsp' if dsp else 'portable'}.o"
    command = ["arm-none-eabi-gcc", *STRICT_WARNINGS, *M7_FLAGS, optimize, "-c", str(Path(workdir) / f"{name}.c"),
               "-o", str(obj)]
    if not dsp:
        command.insert(1, "-DCG_NO_DSP")
    subprocess.run(command, capture_output=True, text=True, check=True)
    return section_sizes(obj)


def section_sizes(image: Path) -> tuple[int, int]:
    """(text + data, bss) bytes from arm-none-eabi-size."""
    result = subprocess.run(["arm-none-eabi-size", str(image)], capture_output=True, text=True, check=True)
    text, data, bss = (int(v) for v in result.stdout.splitlines()[1].split()[:3])
    return text + data, bss


def run_image(image: Path, x_int8: np.ndarray, output_size: int, timeout_s: float = 300.0) -> DeviceRun:
    workdir = image.parent
    x = np.ascontiguousarray(x_int8, dtype=np.int8).reshape(len(x_int8), -1)
    (workdir / "batch_in.bin").write_bytes(x.tobytes())
    result = subprocess.run([*QEMU, "-kernel", str(image)], capture_output=True, text=True, cwd=workdir,
                            timeout=timeout_s, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{image.name} exited {result.returncode}:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    calibration = re.search(r"calibration (\d+) instructions (\d+) ticks", result.stdout)
    instructions_per_tick = int(calibration.group(1)) / int(calibration.group(2))
    ticks = np.array([int(t) for t in re.findall(r"invoke (\d+) ticks", result.stdout)], dtype=np.float64)
    per_layer: dict[int, list[int]] = {}
    for op_index, layer_ticks in re.findall(r"layer (\d+) (\d+) ticks", result.stdout):
        per_layer.setdefault(int(op_index), []).append(int(layer_ticks))
    layers = {op: float(np.median(values)) * instructions_per_tick for op, values in per_layer.items()}
    outputs = np.frombuffer((workdir / "batch_out.bin").read_bytes(), dtype=np.int8).reshape(-1, output_size)
    flash, bss = section_sizes(image)
    return DeviceRun(outputs, ticks * instructions_per_tick, layers, flash, bss)
