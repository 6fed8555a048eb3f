"""Building generated C into a bare-metal image for QEMU mps2-an500 (Cortex-M7) and running a batch on it.

The image is the firmware's own harness (firmware/core startup and semihosting, the mps2-an500 board's memory
map and SysTick instruction count) built by CMake with firmware/cmake/arm-none-eabi.cmake from
bench/CMakeLists.txt, and run by shared.board.emulator.run_semihosting (`-icount shift=0`): it reads the batch
from inputs.bin and writes outputs.bin and counts.bin (instructions per inference, whole and per layer).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shared.board.emulator import run_semihosting
from shared.codegen import write_model
from shared.codegen.host import STRICT_WARNINGS

HERE = Path(__file__).parent
REPO_ROOT = HERE.parents[2]
TOOLCHAIN_FILE = REPO_ROOT / "firmware" / "cmake" / "arm-none-eabi.cmake"
M7_FLAGS = ["-mcpu=cortex-m7", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard", "-mthumb"]
# clang for the same core: its own freestanding headers plus newlib's (string.h) from the GCC toolchain
CLANG_M7 = ["clang", "--target=arm-none-eabi", *M7_FLAGS, "-isystem", "/usr/lib/arm-none-eabi/include"]
MAX_OPS = 512  # BENCH_MAX_OPS in main.c


@dataclass
class DeviceRun:
    outputs: np.ndarray  # (n, output_size) int8
    instructions: np.ndarray  # (n,) instructions per inference
    layer_instructions: dict[int, float]  # op index -> median instructions of that layer (profiled images)
    text_bytes: int  # code + constants (flash)
    bss_bytes: int  # static RAM (arena + harness buffers + stack)


def build_image(model_bytes: bytes, name: str, workdir: Path, dsp: bool = True, optimize: str = "-O2",
                profile: bool = False, flash_budget: int | None = None, compiler: str = "gcc") -> Path:
    """Generate NAME.c and build the benchmark image around it; dsp=False builds the portable kernels
    (-DCG_NO_DSP); profile=True counts each layer (NAME_LAYER_HOOK; about 30 instructions per layer added to the
    whole figure); flash_budget: see shared.codegen.generate; compiler "clang" builds NAME.c with clang."""
    workdir = Path(workdir).resolve()
    write_model(model_bytes, workdir, name, f"{name}.tflite", flash_budget)
    model_flags = [*([] if dsp else ["-DCG_NO_DSP"]),
                   *([f"-D{name.upper()}_LAYER_HOOK=bench_layer_done", "-include", str(HERE / "profile.h")]
                     if profile else [])]
    options = [f"-DMODEL_NAME={name}", f"-DMODEL_DIR={workdir}", f"-DMODEL_FLAGS={';'.join(model_flags)}",
               f"-DBENCH_OPTIMIZE={optimize}"]
    if compiler == "clang":
        model_object = workdir / f"{name}_clang.o"
        run_tool([*CLANG_M7, *STRICT_WARNINGS, optimize, *model_flags, "-c", str(workdir / f"{name}.c"), "-o",
                  str(model_object)])
        options.append(f"-DMODEL_OBJECT={model_object}")
    elif compiler != "gcc":
        raise ValueError(f"compiler {compiler!r}: gcc or clang")
    return build_harness(workdir / "build", options)


def build_harness(build: Path, options: list[str]) -> Path:
    """Configure and build bench/CMakeLists.txt into `build` with these -D options; the image (bench.elf).
    The options name the model (MODEL_NAME, MODEL_DIR) and optionally another main (HARNESS_MAIN) and more
    sources (EXTRA_SOURCES, EXTRA_FLAGS, HARNESS_DEFINES), as the inspector's board image does."""
    run_tool(["cmake", "-S", str(HERE), "-B", str(build), "-G", "Ninja", f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN_FILE}",
              f"-DTINYML_PYTHON={sys.executable}", *options])
    run_tool(["cmake", "--build", str(build)])
    return build / "bench.elf"


def run_tool(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")


def object_sizes(workdir: Path, name: str, dsp: bool, optimize: str = "-O2") -> tuple[int, int]:
    """(flash, static RAM) bytes of NAME.c alone for the Cortex-M7: code + const tables, and the arena."""
    obj = Path(workdir) / f"{name}_{'dsp' if dsp else 'portable'}.o"
    command = ["arm-none-eabi-gcc", *STRICT_WARNINGS, *M7_FLAGS, optimize, "-c", str(Path(workdir) / f"{name}.c"),
               "-o", str(obj)]
    if not dsp:
        command.insert(1, "-DCG_NO_DSP")
    run_tool(command)
    return section_sizes(obj)


def section_sizes(image: Path) -> tuple[int, int]:
    """(text + data, bss) bytes from arm-none-eabi-size."""
    result = subprocess.run(["arm-none-eabi-size", str(image)], capture_output=True, text=True, check=True)
    text, data, bss = (int(v) for v in result.stdout.splitlines()[1].split()[:3])
    return text + data, bss


def run_image(image: Path, x_int8: np.ndarray, output_size: int, timeout_s: float = 300.0) -> DeviceRun:
    """Run the batch x_int8 ((n, input_size) int8) through the image under QEMU (its folder holds the files)."""
    workdir = image.parent
    x = np.ascontiguousarray(x_int8, dtype=np.int8).reshape(len(x_int8), -1)
    (workdir / "inputs.bin").write_bytes(x.tobytes())
    run_semihosting(image, workdir, timeout_s)
    outputs = np.frombuffer((workdir / "outputs.bin").read_bytes(), dtype=np.int8).reshape(-1, output_size)
    counts = np.frombuffer((workdir / "counts.bin").read_bytes(), dtype="<u4").reshape(-1, 1 + MAX_OPS)
    layers = {op: float(np.median(counts[:, 1 + op])) for op in np.flatnonzero(counts[:, 1:].any(axis=0))}
    flash, bss = section_sizes(image)
    return DeviceRun(outputs, counts[:, 0].astype(np.float64), {int(op): v for op, v in layers.items()}, flash, bss)
