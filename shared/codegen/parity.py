"""The demos' parity check: the deployed model's generated C (host gcc build) against the TFLM runtime on a whole
split, summarised for metrics.json."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shared.codegen.host import HostModel
from shared.codegen.tflm_reference import run_tflm


def check_parity(model_bytes: bytes, x_int8: np.ndarray, workdir: Path, name: str = "model",
                 expected: np.ndarray | None = None) -> dict:
    """Run the generated C on `x_int8` ((n, ...) int8, already quantized) and compare with TFLM's outputs
    (`expected`, computed here when not given). Returns a JSON-ready dict:
    {"samples", "bit_exact", "mismatched_samples", "max_abs_diff", "arena_bytes", "weight_bytes", "macs"}."""
    host = HostModel(model_bytes, name, Path(workdir))
    x = np.asarray(x_int8, dtype=np.int8).reshape(len(x_int8), -1)
    actual = host.invoke(x)
    reference = run_tflm(model_bytes, x) if expected is None else np.asarray(expected).reshape(actual.shape)
    difference = np.abs(actual.astype(np.int32) - reference.astype(np.int32))
    return {
        "samples": len(x),
        "bit_exact": bool((difference == 0).all()),
        "mismatched_samples": int((difference != 0).any(axis=1).sum()),
        "max_abs_diff": int(difference.max(initial=0)),
        "arena_bytes": host.model.arena_bytes,
        "weight_bytes": host.model.weight_bytes,
        "macs": host.model.macs,
    }
