"""The TensorFlow Lite Micro host runtime (PyPI `tflite-micro`): the oracle for int8 inference and arena size.

The runtime has no value-returning memory API and segfaults on a too-small arena, so the arena is measured in a
child process with a generous arena and `print_allocations()` (which writes to the C-level stderr), never probed
by trial in this process.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

# The child gets a far larger arena than any demo model needs; the recording allocator reports what was used.
MEASURE_ARENA_BYTES = 64 << 20
# Measured total + 25 % + 1 KiB: the smallest arena that really works was seen to be ~18 % above the total
# (3008 vs 2560 bytes for an MLP); the margin covers that and 32- vs 64-bit pointer sizes.
ARENA_MARGIN_FRACTION = 0.25
ARENA_MARGIN_BYTES = 1024

_ALLOCATION_TOTAL = re.compile(r"Arena allocation total (\d+) bytes")

_MEASURE_SCRIPT = """
import sys
from tflite_micro import runtime
interpreter = runtime.Interpreter.from_bytes(open(sys.argv[1], "rb").read(), arena_size=int(sys.argv[2]))
interpreter.print_allocations()
"""


@functools.lru_cache(maxsize=64)
def measured_allocation_bytes(model_bytes: bytes) -> int:
    """Bytes the TFLM host runtime allocates in its arena for this model ("Arena allocation total")."""
    with tempfile.TemporaryDirectory() as tmp:
        model_path = Path(tmp) / "model.tflite"
        model_path.write_bytes(model_bytes)
        result = subprocess.run(
            [sys.executable, "-c", _MEASURE_SCRIPT, str(model_path), str(MEASURE_ARENA_BYTES)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    match = _ALLOCATION_TOTAL.search(result.stdout + result.stderr)
    if result.returncode != 0 or match is None:
        raise RuntimeError(
            f"TFLM runtime could not load the model (exit {result.returncode}): {result.stderr.strip()[-500:]}"
        )
    return int(match.group(1))


def measure_arena_bytes(model_bytes: bytes) -> int:
    """Recommended tensor-arena size: the measured allocation plus the stated margin, rounded up to 16 bytes."""
    total = measured_allocation_bytes(model_bytes)
    with_margin = int(total * (1 + ARENA_MARGIN_FRACTION)) + ARENA_MARGIN_BYTES
    return -(-with_margin // 16) * 16


def make_interpreter(model_bytes: bytes):
    """A TFLM interpreter with twice the measured arena (never segfaults on a too-small arena)."""
    from tflite_micro import runtime

    arena = 2 * measured_allocation_bytes(model_bytes) + 16384
    return runtime.Interpreter.from_bytes(bytes(model_bytes), arena_size=arena)


def run_tflm(model_bytes: bytes, x_int8: np.ndarray) -> np.ndarray:
    """Outputs of the TFLM runtime for a batch of int8 inputs: (N, *input_shape) int8 -> (N, *output_shape) int8."""
    interpreter = make_interpreter(model_bytes)
    input_shape = tuple(interpreter.get_input_details(0)["shape"])
    outputs = []
    for sample in np.asarray(x_int8):
        interpreter.set_input(np.asarray(sample, dtype=np.int8).reshape(input_shape), 0)
        interpreter.invoke()
        outputs.append(np.array(interpreter.get_output(0), copy=True))
    return np.stack(outputs).reshape((len(outputs), *outputs[0].shape[1:]))
