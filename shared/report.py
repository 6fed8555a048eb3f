"""The demo report: `metrics.json` (the contract other tools read), plots, and `report.md` rendered from them.

`report.md` is a pure function of `metrics.json`, so a later step (codegen check, device verification) adds its
section with `update_metrics` and the report is rendered again: nothing edits the report by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from shared.data import atomic_write_text

METRICS_FILE = "metrics.json"
REPORT_FILE = "report.md"


def load_metrics(out_dir: Path) -> dict[str, Any]:
    """The metrics written so far ({} if none)."""
    path = out_dir / METRICS_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def save_metrics(out_dir: Path, metrics: dict[str, Any]) -> Path:
    """Write metrics.json atomically and render report.md from it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = atomic_write_text(out_dir / METRICS_FILE, json.dumps(metrics, indent=2, sort_keys=False) + "\n")
    atomic_write_text(out_dir / REPORT_FILE, render_report(metrics))
    return path


def update_metrics(out_dir: Path, section: str, values: dict[str, Any]) -> dict[str, Any]:
    """Replace one top-level section of metrics.json (e.g. "device") and re-render the report."""
    metrics = load_metrics(out_dir)
    metrics[section] = values
    save_metrics(out_dir, metrics)
    return metrics


def device_not_run(status: str) -> dict[str, Any]:
    """The metrics.json "device" section when no device answered: the contract's keys, empty, and why."""
    return {"board": None, "samples": 0, "agree_with_host": None, "accuracy": None,
            "instructions_per_inference": None, "flash_bytes": None, "ram_bytes": None, "status": status}


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f} %"


def _variant_table(variants: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "| variant | accuracy (LiteRT) | raw size | gzip size | TFLM accuracy | TFLM same class | max int8 diff |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in variants.items():
        tflm = row.get("tflm") or {}
        lines.append(
            f"| {name} | {_percent(row['accuracy'])} | {row['size_bytes']:,} B | {row['gzip_bytes']:,} B "
            f"| {_percent(tflm.get('accuracy'))} | {_percent(tflm.get('same_class_share'))} "
            f"| {tflm.get('max_abs_difference', '—')} |"
        )
    return lines


def _device_lines(device: dict[str, Any]) -> list[str]:
    if not device or device.get("board") is None:
        return ["Not run in this build: " + str((device or {}).get("status", "no device step"))]
    return [f"- {key}: {value}" for key, value in device.items()]


def _section(title: str, body: list[str]) -> list[str]:
    return ["", f"## {title}", "", *body]


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _generic_lines(values: Any) -> list[str]:
    """A section a demo added (e.g. kws "speaker_split"): scalars as bullets, lists of rows as tables."""
    if not isinstance(values, dict):
        return [f"- {_cell(values)}"]
    lines: list[str] = []
    for key, value in values.items():
        if isinstance(value, list) and value and all(isinstance(row, dict) for row in value):
            columns = list(value[0])
            lines += ["", f"{key}:", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
            lines += ["| " + " | ".join(_cell(row.get(c, "")) for c in columns) + " |" for row in value]
            lines.append("")
        else:
            lines.append(f"- {key}: {_cell(value)}")
    return lines


_KNOWN_SECTIONS = {"app", "notes", "data", "variants", "optimization", "deploy", "export", "codegen", "device", "plots",
                   "config"}


def render_report(metrics: dict[str, Any]) -> str:
    """report.md text from metrics.json content."""
    app = metrics.get("app", "?")
    lines = [f"# {app}: report", ""]
    lines += [f"- {note}" for note in metrics.get("notes", [])]
    data = metrics.get("data", {})
    if data:
        lines += _section("Data", [f"- {key}: {value}" for key, value in data.items()])
    if "variants" in metrics:
        body = _variant_table(metrics["variants"])
        body += [
            "",
            "Raw sizes barely change with pruning or clustering: the flatbuffer stores every weight. Their effect",
            "shows in the gzip column only, and a Cortex-M runs the uncompressed model, so on the device they save",
            "flash only if the firmware stores weights compressed (ours does not).",
        ]
        lines += _section("Variants (test split)", body)
    if "optimization" in metrics:
        lines += _section("Optimization checks", [f"- {k}: {v}" for k, v in metrics["optimization"].items()])
    deploy = metrics.get("deploy", {})
    if deploy:
        lines += _section("Deployed model", [f"- {key}: {value}" for key, value in deploy.items()])
    for section in ("export", "codegen"):
        if section in metrics:
            lines += _section(section.capitalize(), [f"- {k}: {v}" for k, v in metrics[section].items()])
    lines += _section("Device", _device_lines(metrics.get("device", {})))
    for section, values in metrics.items():
        if section not in _KNOWN_SECTIONS:
            lines += _section(section.replace("_", " ").capitalize(), _generic_lines(values))
    plots = metrics.get("plots", [])
    if plots:
        lines += _section("Plots", [f"![{Path(p).stem}]({p})" for p in plots])
    if "config" in metrics:
        lines += _section("Configuration", ["```json", json.dumps(metrics["config"], indent=1), "```"])
    return "\n".join(lines) + "\n"


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_history(history: dict[str, list[float]], path: Path) -> Path:
    """Training curves: loss and accuracy per epoch, training and validation."""
    plt = _figure()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    for axis, metric in zip(axes, ("loss", "accuracy"), strict=True):
        for prefix, style in (("", "-"), ("val_", "--")):
            if prefix + metric in history:
                axis.plot(history[prefix + metric], style, label=(prefix or "train_") + metric)
        axis.set_xlabel("epoch")
        axis.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, n_classes: int) -> np.ndarray:
    """(true, predicted) counts."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(predictions)), 1)
    return matrix


def plot_confusion(matrix: np.ndarray, class_names: list[str], title: str, path: Path) -> Path:
    """Confusion matrix with counts in the cells."""
    plt = _figure()
    size = 2.5 + 0.45 * len(class_names)
    fig, axis = plt.subplots(figsize=(size, size))
    axis.imshow(matrix, cmap="Blues")
    axis.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    axis.set_yticks(range(len(class_names)), class_names)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title)
    for (row, col), count in np.ndenumerate(matrix):
        color = "white" if count > matrix.max() / 2 else "black"
        axis.text(col, row, str(count), ha="center", va="center", fontsize=7, color=color)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_size_accuracy(variants: dict[str, dict[str, Any]], path: Path) -> Path:
    """Accuracy against gzip size, one point per variant."""
    plt = _figure()
    fig, axis = plt.subplots(figsize=(6, 4))
    for name, row in variants.items():
        axis.scatter(row["gzip_bytes"] / 1024, 100 * row["accuracy"])
        axis.annotate(name, (row["gzip_bytes"] / 1024, 100 * row["accuracy"]), fontsize=8)
    axis.set_xlabel("gzip size (KiB)")
    axis.set_ylabel("test accuracy (%)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
