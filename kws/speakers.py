"""Leave-one-speaker-out: one model per held-out speaker, float and int8 accuracy on that speaker, and the mean.

How well the spotter does on a voice it never heard is the figure a classroom demo lives by; the official split
(takes 0-4 of the same speakers) cannot show it. Each held-out speaker gets a fresh float model trained on the
other speakers (same config, same augmentation), converted to full-integer int8 and evaluated with LiteRT.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from kws.augment import feature_augmenter
from kws.config import KwsConfig
from kws.data import Fsdd
from kws.model import build_model
from shared import convert, evaluate
from shared.data import atomic_write_bytes
from shared.pipeline import Dataset
from shared.quiet import native_stderr_without
from shared.train import TF_DATA_NOTICE, train_float


def evaluate_one(dataset: Dataset, cfg: KwsConfig, out_dir: Path, speaker: str) -> dict[str, Any]:
    """Train on the other speakers, evaluate float and int8 on `speaker`; the int8 model goes to out_dir."""
    model, history = train_float(lambda: build_model(cfg), dataset.x_train, dataset.y_train, dataset.x_val,
                                 dataset.y_val, cfg, feature_augmenter(cfg, dataset.x_train))
    with native_stderr_without(TF_DATA_NOTICE):  # tf.data's meaningless C++ error line, as in every fit
        float_scores = model.predict(dataset.x_test, verbose=0)
    blob = convert.to_int8(model, convert.representative_samples(dataset.x_train, seed=cfg.seed))
    atomic_write_bytes(out_dir / f"{speaker}_int8.tflite", blob)
    return {
        "test_clips": len(dataset.y_test),
        "float32": evaluate.accuracy(float_scores, dataset.y_test),
        "int8": evaluate.accuracy(evaluate.run_litert(blob, dataset.x_test), dataset.y_test),
        "epochs": len(history.get("loss", [])),
    }


def evaluate_speakers(fsdd: Fsdd, cfg: KwsConfig, out_dir: Path, main_row: dict[str, Any], main_speaker: str,
                      make_dataset: Callable[[KwsConfig, str], Dataset]) -> dict[str, Any]:
    """Rows per held-out speaker (every speaker present, or only cfg.test_speaker), their means and a summary line.

    With `--split speaker --test-speaker NAME` the main pipeline already is that run: its figures (`main_row`) are
    reused.
    """
    speakers = [cfg.test_speaker] if cfg.test_speaker else fsdd.speakers
    rows: dict[str, dict[str, Any]] = {}
    for speaker in speakers:
        if cfg.split == "speaker" and speaker == main_speaker:
            rows[speaker] = main_row
            continue
        dataset = make_dataset(dataclasses.replace(cfg, split="speaker"), speaker)
        rows[speaker] = evaluate_one(dataset, cfg, out_dir / "speaker_split", speaker)
    float_mean = float(np.mean([row["float32"] for row in rows.values()]))
    int8_mean = float(np.mean([row["int8"] for row in rows.values()]))
    per_speaker = ", ".join(f"{name} {100 * row['int8']:.1f} %" for name, row in rows.items())
    summary = [f"leave-one-speaker-out, int8 (LiteRT): {per_speaker}; mean {100 * int8_mean:.2f} % over "
               f"{len(rows)} speaker(s) (float32 mean {100 * float_mean:.2f} %)"]
    return {"speakers": rows, "float32_mean": float_mean, "int8_mean": int8_mean, "summary": summary}
