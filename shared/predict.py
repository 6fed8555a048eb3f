"""`python -m <app> predict`: classify the user's own files, one JSON object per line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from shared import evaluate
from shared.cli import UserError


def read_model(path: Path) -> bytes:
    """The .tflite bytes, or a one-line UserError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: model file not found")
    blob = path.read_bytes()
    if blob[4:8] != b"TFL3":
        raise UserError(f"{path}: not a TensorFlow Lite model (no TFL3 identifier)")
    return blob


def prediction_lines(model_bytes: bytes, names: Sequence[str], x_float: np.ndarray, labels: Sequence[str]) -> list[str]:
    """One JSON line per input: {"file": name, "label": best class, "scores": float scores per class}."""
    scores = evaluate.run_litert(model_bytes, x_float).reshape(len(x_float), -1)
    if scores.shape[1] != len(labels):
        raise UserError(f"model has {scores.shape[1]} outputs, this demo has {len(labels)} classes")
    return [
        json.dumps({"file": name, "label": labels[int(np.argmax(row))], "scores": [round(float(s), 6) for s in row]})
        for name, row in zip(names, scores, strict=True)
    ]
