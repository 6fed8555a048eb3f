"""Experiment (not a product path): mlp_cnn1d's weight between its two parts, and a second CNN, on the selection
scheme (leave-one-subject-out over MotionSense's 16 non-test subjects).

    python -m har.experiments.mlp_cnn_weights            # subjects 1-20 except 5, 10, 15, 20

Per held-out subject: the mlp (4 members merged) and two cnn1d (seeds s, s+1) trained as `python -m har loso
--model mlp_cnn1d` trains its parts (the first CNN is the one mlp_cnn1d uses); then softmax((1 - w) * mlp logits + w *
CNN logits) for w in WEIGHTS, with one CNN or the mean of both CNNs' logits. Screened in float32: the probabilities
rounded as the int8 softmax output (scale 1/256, zero point -128) and smoothed over smooth_windows windows as the
board does; not the int8 model's own scores. Writes build/har/experiments/mlp_cnn_weights.json (or --out).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from har.class_report import class_report
from har.config import FULL, HarConfig
from har.dataset import load_motionsense_windows, prepare_windows
from har.features import n_features
from har.model import split_combined, train_model
from har.smoothing import smoothed_labels, stream_starts
from shared.data import atomic_write_text, data_dir

WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7)  # the CNN's share of the logits
TWO_CNN_WEIGHTS = (0.4, 0.5, 0.6)
NON_TEST = (1, 2, 3, 4, 6, 7, 8, 9, 11, 12, 13, 14, 16, 17, 18, 19)


def _log_probabilities(model: Any, x: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(model.predict(x, verbose=0).astype(np.float64), 1e-12))


def _scores(labels: np.ndarray, logits: np.ndarray, starts: np.ndarray, config: HarConfig) -> list[float]:
    """[accuracy, macro-F1] per window and smoothed, of the softmax of `logits` rounded as int8 scores."""
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    scores = np.clip(np.round(probabilities * 256) - 128, -128, 127).astype(np.int32)
    own = class_report(labels, np.argmax(scores, axis=1), config.labels)
    smoothed = class_report(labels, smoothed_labels(scores, starts, config.smooth_windows), config.labels)
    return [own["accuracy"], own["macro_f1"], smoothed["accuracy"], smoothed["macro_f1"]]


def run_subject(windows: Any, base: HarConfig, subject: int) -> dict[str, list[float]]:
    """Train the parts with `subject` held out; score every combination on it."""
    config = dataclasses.replace(base, split="loso", holdout_user=subject)
    data = prepare_windows(windows, config, []).dataset
    count = n_features(config)
    (f_train, w_train), (f_val, w_val), (f_test, w_test) = (split_combined(x, count) for x in
                                                             (data.x_train, data.x_val, data.x_test))
    mlp = train_model(dataclasses.replace(config, model="mlp"), f_train, data.y_train, f_val, data.y_val)
    cnns = [train_model(dataclasses.replace(config, model="cnn1d", seed=config.seed + i), w_train, data.y_train,
                        w_val, data.y_val) for i in range(2)]
    mlp_logits = _log_probabilities(mlp, f_test)
    cnn_logits = [_log_probabilities(cnn, w_test) for cnn in cnns]
    starts = stream_starts(windows.stream[windows.user == subject])
    rows = {"mlp": _scores(data.y_test, mlp_logits, starts, config),
            "cnn": _scores(data.y_test, cnn_logits[0], starts, config)}
    for weight in WEIGHTS:
        rows[f"w_cnn {weight}"] = _scores(data.y_test, (1 - weight) * mlp_logits + weight * cnn_logits[0], starts,
                                          config)
    for weight in TWO_CNN_WEIGHTS:
        mean_cnn = (cnn_logits[0] + cnn_logits[1]) / 2
        rows[f"2 cnn, w_cnn {weight}"] = _scores(data.y_test, (1 - weight) * mlp_logits + weight * mean_cnn, starts,
                                                 config)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", default=",".join(map(str, NON_TEST)), help="held out in turn")
    parser.add_argument("--data-dir", type=Path, default=None, help="default $TINYML_LABS_DATA")
    parser.add_argument("--out", type=Path, default=Path("build/har/experiments/mlp_cnn_weights.json"))
    args = parser.parse_args(argv)
    base = dataclasses.replace(FULL, data="motionsense", model="mlp_cnn1d")
    windows, _ = load_motionsense_windows(base, data_dir(args.data_dir))
    results: dict[str, Any] = {}
    for subject in (int(s) for s in args.subjects.split(",")):
        started = time.perf_counter()
        results[str(subject)] = run_subject(windows, base, subject)
        smoothed = {name: round(100 * row[2], 1) for name, row in results[str(subject)].items()}
        print(f"subject {subject} ({time.perf_counter() - started:.0f} s), smoothed %: {smoothed}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(results, indent=1))
    print(f"mean over {len(results)} subject(s): per window, macro-F1; smoothed, macro-F1 ({args.out})")
    for name in next(iter(results.values())):
        mean = np.mean([rows[name] for rows in results.values()], axis=0)
        print(f"  {name:18s} {100 * mean[0]:6.2f} % {mean[1]:.3f}   {100 * mean[2]:6.2f} % {mean[3]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
