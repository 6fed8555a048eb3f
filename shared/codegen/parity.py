"""The demos' generated-C step: export the deployed model as NAME.c / NAME.h and check it against the TFLM runtime
on a whole split (host gcc build), summarised for metrics.json ("codegen" section)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shared.codegen import write_model
from shared.codegen.host import HostModel
from shared.tflm import measured_allocation_bytes, run_tflm


def check_parity(model_bytes: bytes, x_int8: np.ndarray, workdir: Path, name: str = "model",
                 expected: np.ndarray | None = None) -> dict:
    """Run the generated C on `x_int8` ((n, ...) int8, already quantized) and compare with TFLM's outputs
    (`expected`, computed here when not given). Returns a JSON-ready dict:
    {"samples", "bit_exact", "mismatched_samples", "max_abs_diff", "arena_bytes", "weight_bytes", "macs"}."""
    host = HostModel(model_bytes, name, Path(workdir))
    x = np.asarray(x_int8, dtype=np.int8).reshape(len(x_int8), -1)
    return parity_summary(host, x, run_tflm(model_bytes, x) if expected is None else expected)


def parity_summary(host: HostModel, x_int8: np.ndarray, expected: np.ndarray) -> dict:
    """The compiled generated C on `x_int8` against TFLM's outputs `expected`, summarised for metrics.json."""
    actual = host.invoke(x_int8)
    difference = np.abs(actual.astype(np.int32) - np.asarray(expected).reshape(actual.shape).astype(np.int32))
    return {
        "samples": len(x_int8),
        "bit_exact": bool((difference == 0).all()),
        "mismatched_samples": int((difference != 0).any(axis=1).sum()),
        "max_abs_diff": int(difference.max(initial=0)),
        "arena_bytes": host.model.arena_bytes,
        "weight_bytes": host.model.weight_bytes,
        "macs": host.model.macs,
    }


def export_codegen(model_bytes: bytes, export_dir: Path, name: str, source_name: str, x_int8: np.ndarray,
                   expected: np.ndarray | None = None, relative_to: Path | None = None) -> dict:
    """Write export_dir/NAME.c and NAME.h, check them on `x_int8` against TFLM (host build in export_dir/host),
    and return the "codegen" metrics: files (relative to `relative_to` when given), the parity summary, and the
    arena next to TFLM's measured allocation."""
    export_dir = Path(export_dir)
    files = write_model(model_bytes, export_dir, name, source_name)
    if relative_to is not None:
        files = tuple(path.relative_to(relative_to) for path in files)
    metrics = check_parity(model_bytes, x_int8, export_dir / "host", name, expected)
    tflm_bytes = measured_allocation_bytes(model_bytes)
    return {
        "files": [str(path) for path in files],
        **metrics,
        "tflm_measured_allocation_bytes": tflm_bytes,
        "arena_vs_tflm": round(metrics["arena_bytes"] / tflm_bytes, 3),
    }
