"""The oracle: the TFLite Micro interpreter (PyPI tflite-micro) run on a batch, and its arena size.

Kept here until shared.tflm (run_tflm, measure_arena_bytes) lands on main; prefers it when present.
"""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np

ARENA_FLOOR_BYTES = 1 << 22  # generous: a too-small TFLM arena can segfault instead of raising


def run_tflm(model_bytes: bytes, x_int8: np.ndarray) -> np.ndarray:
    """(n, ...) int8 inputs -> (n, output_size) int8 outputs from the TFLM interpreter."""
    try:
        from shared.tflm import run_tflm as shared_run_tflm
    except ImportError:
        shared_run_tflm = None
    if shared_run_tflm is not None:
        return np.asarray(shared_run_tflm(model_bytes, x_int8)).reshape(len(x_int8), -1)
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model_bytes, arena_size=max(ARENA_FLOOR_BYTES, 10 * len(model_bytes)))
    shape = interpreter.get_input_details(0)["shape"]
    outputs = []
    for sample in np.asarray(x_int8, dtype=np.int8):
        interpreter.set_input(sample.reshape(shape), 0)
        interpreter.invoke()
        outputs.append(np.array(interpreter.get_output(0)).ravel())
    return np.stack(outputs)


MEASURE_SCRIPT = """
import sys
from tflite_micro.python.tflite_micro import runtime
blob = open(sys.argv[1], "rb").read()
interpreter = runtime.Interpreter.from_bytes(blob, arena_size=max(1 << 22, 10 * len(blob)))
interpreter.invoke()
interpreter.print_allocations()
"""


def tflm_arena_bytes(model_path: str) -> int:
    """TFLM's arena total from print_allocations() in a subprocess (it prints to C-level stderr)."""
    try:
        from shared.tflm import measure_arena_bytes
    except ImportError:
        measure_arena_bytes = None
    if measure_arena_bytes is not None:
        with open(model_path, "rb") as stream:
            return int(measure_arena_bytes(stream.read()))
    result = subprocess.run([sys.executable, "-c", MEASURE_SCRIPT, model_path], capture_output=True, text=True,
                            check=False)
    match = re.search(r"Arena allocation total (\d+) bytes", result.stdout + result.stderr)
    if match is None:
        raise RuntimeError(f"no arena total in TFLM output (exit {result.returncode}): {result.stderr[-500:]}")
    return int(match.group(1))
