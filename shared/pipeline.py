"""The host half of every demo, step by step: the float model's variants (conversion, fine-tuning) and their
evaluation. `shared.chain` runs these steps in order and writes what they return.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from shared import convert, evaluate, optimize
from shared.data import atomic_write_bytes
from shared.progress import bar
from shared.train import TrainSettings

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


def representative_set(dataset: Dataset, settings: TrainSettings) -> np.ndarray:
    """The training samples every int8 conversion calibrates on (the same for every variant)."""
    return convert.representative_samples(dataset.x_train, seed=settings.seed)


def conversion_variants(variants: tuple[str, ...]) -> tuple[str, ...]:
    """The variants made by conversion alone, without fine-tuning."""
    return tuple(name for name in variants if name in ("float32", "dynamic_range", "float16", "int8"))


def convert_plain(model, dataset: Dataset, settings: TrainSettings, names: tuple[str, ...]) -> dict[str, bytes]:
    """float32, dynamic-range, float16 and int8 (post-training quantization) flatbuffers of the float model."""
    makers: dict[str, Callable[[], bytes]] = {
        "float32": lambda: convert.to_float32(model),
        "dynamic_range": lambda: convert.to_dynamic_range(model),
        "float16": lambda: convert.to_float16(model),
        "int8": lambda: convert.to_int8(model, representative_set(dataset, settings)),
    }
    return {name: makers[name]() for name in names}


def fine_tuned_variant(name: str, model, dataset: Dataset, settings: TrainSettings) -> tuple[bytes, dict[str, Any]]:
    """qat_int8, pruned_int8 or clustered_int8: fine-tune a fresh copy, convert to int8; with its checks."""
    split = (dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val, settings)
    representative = representative_set(dataset, settings)
    if name == "qat_int8":
        return convert.to_int8(optimize.quantization_aware(model, *split), representative), {}
    if name == "pruned_int8":
        pruned, sparsity = optimize.prune(model, *split)
        return convert.to_int8(pruned, representative), {"pruned_sparsity": round(sparsity.share, 4)}
    if name == "clustered_int8":
        clustered, counts = optimize.cluster(model, *split)
        return convert.to_int8(clustered, representative), {"clustered_max_unique_values_per_kernel": max(counts)}
    raise ValueError(f"unknown fine-tuned variant {name!r}")


FINE_TUNING_TITLES = {"qat_int8": "quantization-aware training", "pruned_int8": "pruning",
                      "clustered_int8": "weight clustering"}


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
    for name, blob in bar(blobs.items(), "evaluating variants", total=len(blobs)):
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
