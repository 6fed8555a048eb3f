"""Per-class recall, precision and F1, and macro-F1, beside accuracy: MotionSense's classes are unbalanced (walking
and sitting have about twice the windows of jogging or either stairs), so accuracy alone flatters a model that
gets the big classes right and the stairs wrong.

Definitions (one-vs-rest per class c): recall = TP / (TP + FN), precision = TP / (TP + FP), F1 = 2PR / (P + R),
0 where a denominator is 0; macro-F1 = the unweighted mean of the per-class F1 over the classes present in the
labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def confusion(labels: np.ndarray, predictions: np.ndarray, n_classes: int) -> np.ndarray:
    """(n_classes, n_classes) int64 counts; rows: true class, columns: predicted."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(predictions)), 1)
    return matrix


def class_report(labels: np.ndarray, predictions: np.ndarray, class_names: list[str]) -> dict[str, Any]:
    """accuracy, macro_f1 and per-class recall / precision / f1 / support (dicts keyed by class name)."""
    return confusion_report(confusion(labels, predictions, len(class_names)), class_names)


def confusion_report(matrix: np.ndarray, class_names: list[str]) -> dict[str, Any]:
    """class_report's figures from a confusion matrix (rows: true class), e.g. one summed over several subjects."""
    matrix = np.asarray(matrix, dtype=np.int64)
    n = len(class_names)
    true_positive = np.diag(matrix).astype(np.float64)
    support, predicted = matrix.sum(axis=1), matrix.sum(axis=0)
    recall = np.divide(true_positive, support, out=np.zeros(n), where=support > 0)
    precision = np.divide(true_positive, predicted, out=np.zeros(n), where=predicted > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros(n), where=total > 0)
    present = support > 0
    return {
        "accuracy": float(true_positive.sum() / max(int(matrix.sum()), 1)),
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "recall": {name: float(v) for name, v in zip(class_names, recall, strict=True)},
        "precision": {name: float(v) for name, v in zip(class_names, precision, strict=True)},
        "f1": {name: float(v) for name, v in zip(class_names, f1, strict=True)},
        "support": {name: int(v) for name, v in zip(class_names, support, strict=True)},
    }


def int8_scores(blob: bytes, x: np.ndarray) -> np.ndarray:
    """(N, classes) int8: an int8 model's raw output scores for float inputs (LiteRT), what the board smooths."""
    from shared.evaluate import quantize_input, run_litert_raw

    return run_litert_raw(blob, quantize_input(blob, x)).reshape(len(x), -1)


def variant_class_reports(blobs: dict[str, bytes], splits: dict[str, tuple[np.ndarray, np.ndarray]],
                          class_names: list[str], smoothing: tuple[int, dict[str, np.ndarray]] | None = None
                          ) -> dict[str, Any]:
    """Every (variant, split) pair scored with LiteRT: {"table": rows for the report, "<variant>/<split>": report}.

    blobs: variant name -> .tflite bytes; splits: split name -> (model inputs, integer labels). smoothing:
    (smooth_windows, split name -> stream starts): int8 also as the board decides, row "int8, smoothed K"
    (har/smoothing.py).
    """
    from har.smoothing import smoothed_labels
    from shared.evaluate import run_litert

    result: dict[str, Any] = {"table": []}
    for variant, blob in blobs.items():
        for split, (x, y) in splits.items():
            predictions = {variant: np.argmax(run_litert(blob, x).reshape(len(x), -1), axis=1)}
            if variant == "int8" and smoothing is not None and smoothing[0] > 1:
                windows, starts = smoothing
                predictions[f"int8, smoothed {windows}"] = smoothed_labels(int8_scores(blob, x), starts[split],
                                                                           windows)
            for name, predicted in predictions.items():
                report = class_report(y, predicted, class_names)
                result[f"{name}/{split}"] = report
                row = {"variant": name, "split": split, "windows": len(y), "accuracy": round(report["accuracy"], 4),
                       "macro_f1": round(report["macro_f1"], 4)}
                row.update({f"recall {label}": round(value, 3) for label, value in report["recall"].items()})
                result["table"].append(row)
    return result
