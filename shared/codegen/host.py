"""Running generated C on the host: compile NAME.c with gcc and invoke it on a whole batch.

Two builds: a shared library called through ctypes (-O3, which vectorizes the int16 dot products; used by the
demos' parity checks and the benchmark),
or, with sanitize=True, an executable built with -fsanitize=address,undefined that reads the batch from a file
(sanitizer runtimes cannot be loaded into the Python process).
"""

from __future__ import annotations

import ctypes
import platform
import subprocess
from pathlib import Path

import numpy as np

from shared.codegen import GeneratedModel, write_model
from shared.codegen.emit_c import generate

WARNINGS = ["-std=c99", "-Wall", "-Wextra", "-Wconversion", "-Wdouble-promotion", "-ffp-contract=off"]
STRICT_WARNINGS = [*WARNINGS, "-Werror"]  # tests and the benchmark; a demo's parity build only reports warnings
SANITIZERS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g", "-O1"]
# x86-64 hosts: the library is built and run on the same machine, so it may use all of that machine's vector
# instructions (AVX2's 32x32 -> 64-bit lane multiplies and per-lane shifts let GCC vectorize the requantization
# loops); other hosts keep the compiler's default
VECTOR_FLAGS = ["-march=native"] if platform.machine().lower() in ("x86_64", "amd64") else []

DRIVER = """\
/* batch driver for {name}: ctypes entry point, or a main() reading int8 files (sanitizer builds) */
#include <stdio.h>
#include <stdlib.h>
#include "{name}.h"

int {name}_invoke_batch(const int8_t *input, int8_t *output, int count)
{{
    for (int i = 0; i < count; i++) {{
        if ({name}_invoke(input + (size_t)i * {upper}_INPUT_SIZE, output + (size_t)i * {upper}_OUTPUT_SIZE) != 0) {{
            return 1;
        }}
    }}
    return 0;
}}

#ifdef CG_HOST_MAIN
int main(int argc, char **argv)
{{
    if (argc != 4) {{
        return 3;
    }}
    int count = atoi(argv[1]);
    size_t in_bytes = (size_t)count * {upper}_INPUT_SIZE, out_bytes = (size_t)count * {upper}_OUTPUT_SIZE;
    int8_t *input = malloc(in_bytes + 1), *output = malloc(out_bytes + 1);
    FILE *in_file = fopen(argv[2], "rb");
    if (input == NULL || output == NULL || in_file == NULL || fread(input, 1, in_bytes, in_file) != in_bytes) {{
        return 4;
    }}
    fclose(in_file);
    int status = {name}_invoke_batch(input, output, count);
    FILE *out_file = fopen(argv[3], "wb");
    if (out_file == NULL || fwrite(output, 1, out_bytes, out_file) != out_bytes) {{
        return 5;
    }}
    fclose(out_file);
    free(input);
    free(output);
    return status;
}}
#endif
"""


def compile_c(sources: list[Path], output: Path, flags: list[str], strict: bool = True) -> None:
    """Compile with gcc or raise RuntimeError with the compiler's messages; strict: warnings are errors."""
    command = ["gcc", *(STRICT_WARNINGS if strict else WARNINGS), *flags, *map(str, sources), "-o", str(output)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}")


class HostModel:
    """The generated C of `model_bytes`, compiled for this machine. `.invoke(x)` maps (n, *input) int8 to
    (n, output_size) int8. strict (default: only for sanitizer builds) makes compiler warnings errors."""

    def __init__(self, model_bytes: bytes, name: str, workdir: Path, *, sanitize: bool = False,
                 optimize: str = "-O3", strict: bool | None = None):
        model = generate(model_bytes, name, f"{name}.tflite")
        write_model(model_bytes, Path(workdir), name, f"{name}.tflite")
        self._build(model, Path(workdir) / f"{name}.c", Path(workdir), sanitize, optimize, strict)

    @classmethod
    def from_sources(cls, model: GeneratedModel, c_dir: Path, workdir: Path, optimize: str = "-O3") -> HostModel:
        """The C already written to c_dir (NAME.c, NAME.h), compiled as it is: what a demo exported."""
        host = cls.__new__(cls)
        host._build(model, Path(c_dir) / f"{model.name}.c", Path(workdir), False, optimize, None,
                    [f"-I{Path(c_dir).resolve()}"])
        return host

    def _build(self, model: GeneratedModel, c_file: Path, workdir: Path, sanitize: bool, optimize: str,
               strict: bool | None, include: list[str] | None = None) -> None:
        self.workdir = workdir
        self.name = name = model.name
        self.sanitize = sanitize
        self.model = model
        driver = self.workdir / f"{name}_driver.c"
        driver.write_text(DRIVER.format(name=name, upper=name.upper()))
        sources = [c_file, driver]
        include = include or []
        if sanitize:
            self.binary = self.workdir / f"{name}_driver"
            compile_c(sources, self.binary, [*SANITIZERS, "-DCG_HOST_MAIN", *include], strict=strict is not False)
        else:
            self.binary = self.workdir / f"lib{name}.so"
            compile_c(sources, self.binary, [optimize, *VECTOR_FLAGS, "-shared", "-fPIC", *include],
                      strict=bool(strict))
            self.library = ctypes.CDLL(str(self.binary))
            self.entry = getattr(self.library, f"{name}_invoke_batch")
            self.entry.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
            self.entry.restype = ctypes.c_int

    def invoke(self, x_int8: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x_int8, dtype=np.int8).reshape(len(x_int8), -1)
        if x.shape[1] != self.model.input_size:
            raise ValueError(f"input has {x.shape[1]} values per sample, the model takes {self.model.input_size}")
        y = np.zeros((len(x), self.model.output_size), dtype=np.int8)
        if self.sanitize:
            self._run_executable(x, y)
        elif self.entry(x.ctypes.data, y.ctypes.data, len(x)) != 0:
            raise RuntimeError(f"{self.name}_invoke failed")
        return y

    def _run_executable(self, x: np.ndarray, y: np.ndarray) -> None:
        in_path, out_path = self.workdir / "batch_in.bin", self.workdir / "batch_out.bin"
        in_path.write_bytes(x.tobytes())
        result = subprocess.run([str(self.binary), str(len(x)), str(in_path), str(out_path)], capture_output=True,
                                text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{self.binary} exited {result.returncode}:\n{result.stderr[-4000:]}")
        y[:] = np.frombuffer(out_path.read_bytes(), dtype=np.int8).reshape(y.shape)
