"""The host half of every demo: train → optimize → convert → evaluate → export → report.

Each demo prepares a `Dataset` (its own data and features) and a model builder, then calls `run_host_pipeline`.
Every step writes into its own folder under `build/<app>/` and never edits an earlier step's output.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from shared import convert, evaluate, optimize, report
from shared.codegen.parity import export_codegen
from shared.data import atomic_write_bytes
from shared.export import export_tflm
from shared.train import Augment, TrainSettings, train_float

VARIANTS = ("float32", "dynamic_range", "float16", "int8", "qat_int8", "pruned_int8", "clustered_int8")
INT8_VARIANTS = ("int8", "qat_int8", "pruned_int8", "clustered_int8")
DEPLOY_VARIANT = "int8"


@dataclass
class Dataset:
    """Model inputs (float32, already featurised) and integer labels for each split."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    labels: list[str]
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "train_samples": len(self.x_train), "val_samples": len(self.x_val), "test_samples": len(self.x_test),
            "input_shape": list(self.x_train.shape[1:]), "classes": self.labels,
        }


def gzip_size(blob: bytes) -> int:
    """Size after gzip -9: what pruning and clustering really shrink."""
    return len(gzip.compress(blob, compresslevel=9, mtime=0))


def build_variants(model, dataset: Dataset, settings: TrainSettings, variants: tuple[str, ...]):
    """TFLite flatbuffers for each requested variant, plus the optimization checks (sparsity, clusters)."""
    representative = convert.representative_samples(dataset.x_train, seed=settings.seed)
    split = (dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val, settings)
    blobs: dict[str, bytes] = {}
    checks: dict[str, Any] = {}
    makers: dict[str, Callable[[], bytes]] = {
        "float32": lambda: convert.to_float32(model),
        "dynamic_range": lambda: convert.to_dynamic_range(model),
        "float16": lambda: convert.to_float16(model),
        "int8": lambda: convert.to_int8(model, representative),
        "qat_int8": lambda: convert.to_int8(optimize.quantization_aware(model, *split), representative),
    }
    for name in variants:
        if name == "pruned_int8":
            pruned, sparsity = optimize.prune(model, *split)
            checks["pruned_sparsity"] = round(sparsity.share, 4)
            blobs[name] = convert.to_int8(pruned, representative)
        elif name == "clustered_int8":
            clustered, counts = optimize.cluster(model, *split)
            checks["clustered_max_unique_values_per_kernel"] = max(counts)
            blobs[name] = convert.to_int8(clustered, representative)
        else:
            blobs[name] = makers[name]()
    return blobs, checks


@dataclass
class Evaluation:
    """Per-variant metrics rows, plus the deployed variant's test-split outputs that later steps reuse."""

    rows: dict[str, dict[str, Any]]
    deployed_scores: np.ndarray  # (N, n_classes) float32, LiteRT
    deployed_tflm: np.ndarray  # (N, n_classes) int8, the TFLM runtime: the oracle for generated C


def evaluate_variants(blobs: dict[str, bytes], dataset: Dataset) -> Evaluation:
    """Accuracy (LiteRT) and sizes for every variant; TFLM agreement for the int8 ones."""
    rows: dict[str, dict[str, Any]] = {}
    deployed_scores = np.zeros((0,), np.float32)
    deployed_tflm = np.zeros((0,), np.int8)
    for name, blob in blobs.items():
        scores = evaluate.run_litert(blob, dataset.x_test)
        row: dict[str, Any] = {
            "accuracy": evaluate.accuracy(scores, dataset.y_test),
            "size_bytes": len(blob),
            "gzip_bytes": gzip_size(blob),
        }
        if name in INT8_VARIANTS:
            agreement = evaluate.compare_with_tflm(blob, dataset.x_test, dataset.y_test)
            row["tflm"] = {
                "accuracy": agreement.accuracy,
                "same_class_share": agreement.same_class_share,
                "max_abs_difference": agreement.max_abs_difference,
            }
            if name == DEPLOY_VARIANT:
                deployed_tflm = agreement.tflm_outputs
        if name == DEPLOY_VARIANT:
            deployed_scores = scores.reshape(len(scores), -1)
        rows[name] = row
    return Evaluation(rows, deployed_scores, deployed_tflm)


def save_models(blobs: dict[str, bytes], models_dir: Path) -> dict[str, Path]:
    """Write each variant to models/<name>.tflite."""
    models_dir.mkdir(parents=True, exist_ok=True)
    return {name: atomic_write_bytes(models_dir / f"{name}.tflite", blob) for name, blob in blobs.items()}


def _plots(out_dir: Path, history, evaluation: Evaluation, dataset: Dataset) -> list[str]:
    plots_dir = out_dir / "plots"
    plots_dir.mkdir(parents=True, exist_ok=True)
    predictions = np.argmax(evaluation.deployed_scores, axis=1)
    matrix = report.confusion_matrix(dataset.y_test, predictions, len(dataset.labels))
    paths = [
        report.plot_history(history, plots_dir / "training_curves.png"),
        report.plot_confusion(matrix, dataset.labels, f"{DEPLOY_VARIANT} (LiteRT), test split",
                              plots_dir / "confusion_matrix.png"),
        report.plot_size_accuracy(evaluation.rows, plots_dir / "size_vs_accuracy.png"),
    ]
    return [str(p.relative_to(out_dir)) for p in paths]


def run_host_pipeline(app: str, out_dir: Path, build_model: Callable[[], Any], dataset: Dataset,
                      settings: TrainSettings, config: dict[str, Any], augment: Augment | None = None,
                      variants: tuple[str, ...] = VARIANTS) -> dict[str, Any]:
    """Train, optimize, convert, evaluate and export one demo; writes models/, export/, plots/, metrics.json, report.md.

    Export is done both ways: export/tflm/ (C array for the TFLM interpreter) and export/c/ (generated C99, checked
    bit-exact against the TFLM runtime on the whole test split with a host gcc build).

    Returns the metrics dict (as written to metrics.json). `variants` must include the deployed "int8".
    """
    if DEPLOY_VARIANT not in variants:
        raise ValueError(f"variants must include {DEPLOY_VARIANT!r}, the deployed model")
    out_dir.mkdir(parents=True, exist_ok=True)
    model, history = train_float(build_model, dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val,
                                 settings, augment, history_path=out_dir / "train" / "history.json")
    model.save(out_dir / "train" / "float_model.h5")
    blobs, checks = build_variants(model, dataset, settings, variants)
    save_models(blobs, out_dir / "models")
    evaluation = evaluate_variants(blobs, dataset)
    deployed = blobs[DEPLOY_VARIANT]
    exported = export_tflm(deployed, out_dir / "export" / "tflm", app, f"models/{DEPLOY_VARIANT}.tflite")
    generated = export_codegen(deployed, out_dir / "export" / "c", app, f"models/{DEPLOY_VARIANT}.tflite",
                               evaluate.quantize_input(deployed, dataset.x_test), expected=evaluation.deployed_tflm,
                               relative_to=out_dir)
    metrics = {
        "app": app,
        "notes": list(dataset.notes),
        "data": dataset.summary(),
        "variants": evaluation.rows,
        "optimization": checks,
        "deploy": {"variant": DEPLOY_VARIANT, "tflite": f"models/{DEPLOY_VARIANT}.tflite"},
        "export": {
            "tflm_files": [str(p.relative_to(out_dir)) for p in exported.files],
            "tflm_ops": list(exported.ops),
            "tflm_arena_bytes": exported.arena_bytes,
            "tflm_measured_allocation_bytes": exported.measured_allocation_bytes,
        },
        "codegen": generated,
        "device": report.device_not_run("device step not run yet"),
        "plots": _plots(out_dir, history, evaluation, dataset),
        "config": config,
    }
    report.save_metrics(out_dir, metrics)
    return metrics
