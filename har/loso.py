"""Leave-one-subject-out: how well the model does on a person it never saw, subject by subject, and the mean.

One fixed test split of four subjects says little: subjects differ (gait, phone placement; in MotionSense a few
trials have the phone upside down or sideways). Here every subject is held out in turn: the windows are cut once,
then for each subject a fresh model is trained on the others (validation: the source's validation subjects minus
the held-out one, for early stopping only), converted to full-integer int8 and scored with LiteRT on the held-out
subject. The figure is the unweighted mean over subjects of the int8 accuracy (and of macro-F1); beside it the
figures pooled over every held-out window (the subjects' confusion matrices summed): a subject's macro-F1 rests on
classes of 9-35 windows, so one subject's short stair trial moves the mean of per-subject macro-F1 by up to 0.01.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from har.class_report import confusion, confusion_report, int8_scores
from har.config import HarConfig
from har.dataset import load_motionsense_windows, load_records, prepare_windows
from har.model import combine_mlp_cnn1d, split_combined, train_model, train_parts
from har.smoothing import smoothed_labels, stream_starts
from har.windows import Windows, cut_windows
from shared.data import atomic_write_text


def load_windows(config: HarConfig, data_dir: Path | None, out_dir: Path) -> Windows:
    """Every window of the configured raw source (not the ARFF: it has no raw windows)."""
    if config.data == "motionsense":
        return load_motionsense_windows(config, data_dir)[0]
    records, _, _ = load_records(config, data_dir, out_dir)
    return cut_windows(records, config)


def _scores(labels: np.ndarray, float_scores: np.ndarray, scores: np.ndarray, starts: np.ndarray,
            config: HarConfig) -> dict[str, Any]:
    """Accuracy of float32 and int8 scores, int8 macro-F1, and both smoothed as the board decides."""
    from shared import evaluate

    n = len(config.labels)
    matrices = {"int8": confusion(labels, np.argmax(scores, axis=1), n),
                "int8_smoothed": confusion(labels, smoothed_labels(scores, starts, config.smooth_windows), n)}
    figures = {key: round(value, 4) for key, value in _matrix_figures(matrices, config.labels).items()}
    return {"float32": round(evaluate.accuracy(float_scores, labels), 4), **figures,
            "confusion": {name: matrix.tolist() for name, matrix in matrices.items()}}


def _matrix_figures(matrices: dict[str, Any], class_names: list[str]) -> dict[str, float]:
    """{name: accuracy, name_macro_f1: macro-F1} for each named confusion matrix."""
    figures = {}
    for name, matrix in matrices.items():
        report = confusion_report(matrix, class_names)
        figures[name], figures[f"{name}_macro_f1"] = report["accuracy"], report["macro_f1"]
    return figures


def _int8(model: Any, x_train: np.ndarray, x_test: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """float32 probabilities and the int8 model's raw int8 scores (LiteRT, what the board smooths) on x_test."""
    from shared import convert

    blob = convert.to_int8(model, convert.representative_samples(x_train, seed=seed))
    return model.predict(x_test, verbose=0), int8_scores(blob, x_test)


def evaluate_subject(windows: Windows, config: HarConfig, subject: int) -> dict[str, Any]:
    """Train on every other subject, score float32 and int8 on `subject`. For mlp_cnn1d also its trained parts
    alone (the mlp, cnn1d and with cnn_members 2 cnn1d_2) and the mean of the mlp's and the CNNs' mean int8
    probabilities (separate int8 models), beside the one combined model."""
    held_out = dataclasses.replace(config, split="loso", holdout_user=subject)
    data = prepare_windows(windows, held_out, []).dataset
    starts = stream_starts(windows.stream[windows.user == subject])
    started = time.perf_counter()
    parts: dict[str, Any] = {}
    if config.resolved_model == "mlp_cnn1d":
        mlp, cnns = train_parts(config, data.x_train, data.y_train, data.x_val, data.y_val)
        count = mlp.input_shape[-1]
        model = combine_mlp_cnn1d(mlp, cnns, count)
        (f_train, w_train), (f_test, w_test) = split_combined(data.x_train, count), split_combined(data.x_test, count)
        mlp_float, mlp_int8 = _int8(mlp, f_train, f_test, config.seed)
        parts = {"mlp": _scores(data.y_test, mlp_float, mlp_int8, starts, config)}
        # int8: the MLP's scores n times plus each of the n CNNs' (ranks the classes as the mean of the MLP's and
        # the CNNs' mean probabilities: one scale and zero point for every softmax output)
        cnn_float, summed_int8 = np.zeros_like(mlp_float), len(cnns) * mlp_int8.astype(np.int32)
        for index, cnn in enumerate(cnns):
            member_float, member_int8 = _int8(cnn, w_train, w_test, config.seed)
            parts["cnn1d" if index == 0 else f"cnn1d_{index + 1}"] = _scores(data.y_test, member_float, member_int8,
                                                                            starts, config)
            cnn_float, summed_int8 = cnn_float + member_float / len(cnns), summed_int8 + member_int8
        parts["mean_probabilities"] = _scores(data.y_test, (mlp_float + cnn_float) / 2, summed_int8, starts, config)
    else:
        model = train_model(config, data.x_train, data.y_train, data.x_val, data.y_val)
    float_scores, scores = _int8(model, data.x_train, data.x_test, config.seed)
    row = {"subject": subject, "windows": len(data.y_test),
           **_scores(data.y_test, float_scores, scores, starts, config),
           "seconds": round(time.perf_counter() - started, 1)}
    return {**row, "parts": parts} if parts else row


def _means(rows: list[dict[str, Any]]) -> dict[str, float]:
    keys = ("float32", "int8", "int8_macro_f1", "int8_smoothed", "int8_smoothed_macro_f1")
    return {key: float(np.mean([row[key] for row in rows])) for key in keys}


def _pooled(rows: list[dict[str, Any]], class_names: list[str]) -> dict[str, float]:
    """Accuracy and macro-F1 over every held-out window of `rows` together (their confusion matrices summed)."""
    return _matrix_figures({name: np.sum([row["confusion"][name] for row in rows], axis=0)
                            for name in ("int8", "int8_smoothed")}, class_names)


def leave_one_subject_out(config: HarConfig, data_dir: Path | None, out_dir: Path,
                          subjects: list[int] | None = None) -> dict[str, Any]:
    """Rows per held-out subject (every subject present, or `subjects`), the means, and a summary line; written to
    out_dir/loso.json."""
    windows = load_windows(config, data_dir, out_dir)
    present = sorted(set(windows.user.tolist()))
    rows = [evaluate_subject(windows, config, subject) for subject in (subjects or present)]
    means, pooled = _means(rows), _pooled(rows, config.labels)
    test_users = set(config.split_users()[0]) if config.split == "subject" else set()
    non_test = [row for row in rows if row["subject"] not in test_users]
    summary = (f"leave-one-subject-out ({config.data}, {config.resolved_model}, seed {config.seed}): int8 mean "
               f"{100 * means['int8']:.2f} % (float32 {100 * means['float32']:.2f} %, int8 macro-F1 "
               f"{means['int8_macro_f1']:.3f}); smoothed over {config.smooth_windows} windows "
               f"{100 * means['int8_smoothed']:.2f} % (macro-F1 {means['int8_smoothed_macro_f1']:.3f}; pooled over "
               f"the held-out windows {pooled['int8_smoothed_macro_f1']:.3f}); {len(rows)} subject(s)")
    result = {"config": dataclasses.asdict(config), "subjects": rows, "means": means, "pooled": pooled}
    if non_test and len(non_test) < len(rows):  # the selection figure: the default test subjects left out
        result["means_non_test"] = _means(non_test)
        result["pooled_non_test"] = _pooled(non_test, config.labels)
        summary += (f", the {len(non_test)} outside the default test split: smoothed "
                    f"{100 * result['means_non_test']['int8_smoothed']:.2f} %")
    if "parts" in rows[0]:
        result["part_means"] = {part: _means([row["parts"][part] for row in rows]) for part in rows[0]["parts"]}
        if "means_non_test" in result:
            result["part_means_non_test"] = {part: _means([row["parts"][part] for row in non_test])
                                             for part in rows[0]["parts"]}
    summary += "; lowest (per window) " + ", ".join(f"{row['subject']}: {100 * row['int8']:.1f} %"
                                                     for row in sorted(rows, key=lambda r: r["int8"])[:3])
    result["summary"] = summary
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "loso.json", json.dumps(result, indent=1))
    return result
