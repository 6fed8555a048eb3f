"""Building firmware images with CMake + arm-none-eabi-gcc, and reporting their flash/RAM against the board.

`build_firmware(app, board, generated_dir, build_dir)` configures and builds firmware/ for one app on one board;
the generated model (model.c/model.h) and the app's `<app>_config.h` come in through `generated_dir`, so the same
firmware sources serve every trained model.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.c_source import c_float, c_identifier, generated_header, include_guard
from shared.data import atomic_write_text

REPO_ROOT = Path(__file__).resolve().parents[2]
FIRMWARE_DIR = REPO_ROOT / "firmware"
TOOLCHAIN_FILE = FIRMWARE_DIR / "cmake" / "arm-none-eabi.cmake"
INSTALL_HINT = "apt-get install --no-install-recommends gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm cmake"
BOARDS = ("mps2-an500", "stm32f746g-disco")
VARIANTS = ("serial", "semihosting")


@dataclass(frozen=True)
class BoardMemory:
    flash_bytes: int
    ram_bytes: int


# The textbook's real board; every image is checked against it, whichever board it was built for.
STM32F746_MEMORY = BoardMemory(flash_bytes=1024 * 1024, ram_bytes=320 * 1024)
BOARD_MEMORY = {"mps2-an500": BoardMemory(4 * 1024 * 1024, 4 * 1024 * 1024), "stm32f746g-disco": STM32F746_MEMORY}


class FirmwareError(RuntimeError):
    """A build or tool problem, with a message that says what to do."""


@dataclass(frozen=True)
class FirmwareImage:
    elf: Path
    board: str
    app: str
    variant: str
    text_bytes: int  # code + read-only data (arm-none-eabi-size "text", includes the vector table)
    data_bytes: int  # initialised data: stored in flash, copied to RAM
    bss_bytes: int  # zeroed data + the stack

    @property
    def flash_bytes(self) -> int:
        return self.text_bytes + self.data_bytes

    @property
    def ram_bytes(self) -> int:
        return self.data_bytes + self.bss_bytes

    def fits(self, memory: BoardMemory = STM32F746_MEMORY) -> bool:
        return self.flash_bytes <= memory.flash_bytes and self.ram_bytes <= memory.ram_bytes

    def summary(self) -> str:
        return (
            f"{self.elf.name}: flash {self.flash_bytes} B, RAM {self.ram_bytes} B "
            f"(STM32F746: {STM32F746_MEMORY.flash_bytes} B / {STM32F746_MEMORY.ram_bytes} B)"
        )


def require_tools(*names: str, install: bool = False) -> dict[str, str]:
    """Paths of the named executables, or FirmwareError saying exactly what to install.

    With install=True, running as root on a Debian/Ubuntu system (apt-get present), the packages are installed,
    saying so on stderr first; otherwise nothing is ever installed."""
    found = {name: shutil.which(name) for name in names}
    missing = [name for name, path in found.items() if path is None]
    if missing and install and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"{', '.join(missing)} not found; running as root, so: {INSTALL_HINT}", file=sys.stderr)
        _run(["apt-get", "update", "-qq"], "apt-get update")
        _run(["apt-get", "install", "-y", "-qq", *INSTALL_HINT.split()[2:]], "apt-get install")
        return require_tools(*names)
    if missing:
        raise FirmwareError(f"{', '.join(missing)} not found; install with: sudo {INSTALL_HINT}")
    return found  # type: ignore[return-value]


def _run(command: list[str], what: str, cwd: Path | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-40:])
        raise FirmwareError(f"{what} failed (exit {result.returncode}): {' '.join(command)}\n{tail}")
    return result.stdout


def image_sizes(elf: Path) -> tuple[int, int, int]:
    """(text, data, bss) bytes of an ELF image from `arm-none-eabi-size` (Berkeley format)."""
    require_tools("arm-none-eabi-size")
    out = _run(["arm-none-eabi-size", "-B", str(elf)], "arm-none-eabi-size")
    fields = out.strip().splitlines()[-1].split()
    return int(fields[0]), int(fields[1]), int(fields[2])


def build_firmware(
    app: str,
    board: str,
    generated_dir: Path,
    build_dir: Path,
    variant: str = "serial",
    werror: bool | None = None,
    cmake_args: tuple[str, ...] = (),
    install_tools: bool = False,
    library_sources: Sequence[Path] = (),
    library_include_dirs: Sequence[Path] = (),
    library_flags: Sequence[str] = (),
) -> FirmwareImage:
    """Configure and build one image; returns its ELF path and sizes. Raises FirmwareError with the tool output.

    library_*: third-party C the app needs (e.g. `shared.cmsis_dsp.mfcc_sources()`, `include_dirs()`,
    `compile_flags()`), built without our warning flags. install_tools=True lets a root user on Debian/Ubuntu get
    missing tools installed (see require_tools)."""
    if board not in BOARDS:
        raise FirmwareError(f"unknown board {board!r}; known: {', '.join(BOARDS)}")
    if variant not in VARIANTS:
        raise FirmwareError(f"unknown firmware variant {variant!r}; known: {', '.join(VARIANTS)}")
    generated_dir = Path(generated_dir).resolve()
    if not (generated_dir / "model.h").is_file():
        raise FirmwareError(f"{generated_dir} has no model.h: generate the model code first (shared.codegen)")
    require_tools("cmake", "arm-none-eabi-gcc", "arm-none-eabi-size", "arm-none-eabi-objcopy", install=install_tools)
    if werror is None:
        werror = os.environ.get("TINYML_LABS_STRICT") == "1"
    build_dir = Path(build_dir).resolve()
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    configure = [
        "cmake", "-S", str(FIRMWARE_DIR), "-B", str(build_dir), *generator,
        f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN_FILE}",
        f"-DTINYML_APP={app}", f"-DTINYML_BOARD={board}", f"-DTINYML_VARIANT={variant}",
        f"-DTINYML_GENERATED_DIR={generated_dir}", f"-DTINYML_PYTHON={sys.executable}",
        f"-DTINYML_WERROR={'ON' if werror else 'OFF'}",
        f"-DTINYML_LIBRARY_SOURCES={';'.join(str(Path(p).resolve()) for p in library_sources)}",
        f"-DTINYML_LIBRARY_INCLUDE_DIRS={';'.join(str(Path(p).resolve()) for p in library_include_dirs)}",
        f"-DTINYML_LIBRARY_FLAGS={';'.join(library_flags)}",
        *cmake_args,
    ]  # fmt: skip
    _run(configure, f"configuring firmware for {app} on {board}")
    _run(["cmake", "--build", str(build_dir)], f"building firmware for {app} on {board}")
    elf = build_dir / f"{app}-{board}-{variant}.elf"
    text, data, bss = image_sizes(elf)
    return FirmwareImage(elf, board, app, variant, text, data, bss)


def _c_literal(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return c_float(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    raise ValueError(f"cannot write {value!r} ({type(value).__name__}) as a C constant")


def config_header_text(prefix: str, values: dict[str, object], source: str) -> str:
    """`#define PREFIX_KEY value` lines for an app's `<app>_config.h` (ints, float32 literals, strings)."""
    stem = f"{prefix.lower()}_config"
    opening, closing = include_guard(stem)
    lines = [generated_header("shared.board.firmware", source, "rerun the app's host side"), opening]
    for key, value in values.items():
        lines.append(f"#define {c_identifier(f'{prefix.upper()}_{key.upper()}')} {_c_literal(value)}")
    lines.append(closing)
    return "\n".join(lines)


def write_config_header(generated_dir: Path, prefix: str, values: dict[str, object], source: str) -> Path:
    """Write generated_dir/<prefix>_config.h (see config_header_text)."""
    path = Path(generated_dir) / f"{prefix.lower()}_config.h"
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(path, config_header_text(prefix, values, source))
