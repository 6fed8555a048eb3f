"""The demo report: `metrics.json` (the contract other tools read), plots, and `report.md` rendered from them.

The report step (`assemble`) reads the other steps' own files and writes metrics.json and report.md once;
`report.md` is a pure function of `metrics.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from shared.data import atomic_write_text

METRICS_FILE = "metrics.json"
REPORT_FILE = "report.md"


# Folders of the chain's own steps; any other build/<app>/<name>/<name>.json is a demo's extra section.
STEP_FOLDERS = {"data", "train", "models", "export", "firmware", "device", "plots", "inspect"}


def _read(out_dir: Path, relative: str) -> dict[str, Any]:
    path = out_dir / relative
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing; the step that writes it has not run")
    return json.loads(path.read_text())


def collect_metrics(out_dir: Path) -> dict[str, Any]:
    """metrics.json's content from the steps' own files (data/run.json, models/evaluation.json, export/export.json,
    the demo's extra sections, device/result.json): a pure function of them."""
    run = _read(out_dir, "data/run.json")
    evaluation = _read(out_dir, "models/evaluation.json")
    exported = _read(out_dir, "export/export.json")
    metrics: dict[str, Any] = {
        "app": run["app"], "notes": run["notes"], "data": run["data"], "variants": evaluation["variants"],
        "optimization": evaluation["optimization"], "deploy": evaluation["deploy"],
        "export": {"files": exported["files"], "model_identity": exported["model_identity"],
                   "tflm_ops": exported["tflm"]["ops"], "tflm_arena_bytes": exported["tflm"]["arena_bytes"],
                   "tflm_measured_allocation_bytes": exported["tflm"]["measured_allocation_bytes"],
                   "device_inputs": exported["device_inputs"]},
        "codegen": exported["codegen"],
    }  # fmt: skip
    metrics.update(run.get("sections", {}))
    for path in sorted(out_dir.glob("*/*.json")):
        if path.parent.name not in STEP_FOLDERS and path.stem == path.parent.name:
            metrics[path.stem] = json.loads(path.read_text())
    metrics["device"] = _read(out_dir, "device/result.json")
    metrics["config"] = run["config"]
    return metrics


def assemble(out_dir: Path) -> dict[str, Any]:
    """The report step: plots, metrics.json and report.md, written once from the steps' files."""
    metrics = collect_metrics(out_dir)
    evaluation = _read(out_dir, "models/evaluation.json")
    history = _read(out_dir, "train/history.json")
    plots_dir = out_dir / "plots"
    plots_dir.mkdir(parents=True, exist_ok=True)
    deployed = evaluation["deploy"]["variant"]
    paths = [
        plot_history(history, plots_dir / "training_curves.png"),
        plot_confusion(np.array(evaluation["confusion"]), evaluation["labels"], f"{deployed} (LiteRT), test split",
                       plots_dir / "confusion_matrix.png"),
        plot_size_accuracy(metrics["variants"], plots_dir / "size_vs_accuracy.png"),
    ]
    metrics["plots"] = [str(p.relative_to(out_dir)) for p in paths]
    if (out_dir / "inspect" / "layers.json").is_file():
        metrics["inspect"] = inspect_summary(_read(out_dir, "inspect/layers.json"))
    atomic_write_text(out_dir / METRICS_FILE, json.dumps(metrics, indent=2) + "\n")
    atomic_write_text(out_dir / REPORT_FILE, render_report(metrics))
    return metrics


def inspect_summary(layers: dict[str, Any]) -> dict[str, Any]:
    """The per-layer table's columns a report shows (inspect/layers.json has every figure)."""
    rows = []
    for layer in layers["layers"]:
        parity = layer.get("parity", {})
        rows.append({"op": layer["op"], "kind": layer["kind"], "snr_db": layer.get("quant", {}).get("snr_db"),
                     "c_vs_tflm": parity.get("c_vs_tflm"), "board_vs_tflm": parity.get("board_vs_tflm"),
                     "instructions": layer.get("instructions"), "instr_per_mac": layer.get("instructions_per_mac")})
    return {"report": "inspect/inspect.md", "samples": layers["samples"], "layers": rows}


def summary_line(metrics: dict[str, Any], extra: str = "") -> str:
    """The one line every `run` and `device` ends with: accuracy, size, parity, the device."""
    from shared.board.verify import summary

    deployed = metrics["variants"][metrics["deploy"]["variant"]]
    codegen = metrics["codegen"]
    parts = [
        f"{metrics['app']}: float {100 * metrics['variants']['float32']['accuracy']:.2f} %, "
        f"int8 {100 * deployed['accuracy']:.2f} % ({deployed['size_bytes']:,} B, TFLM arena "
        f"{metrics['export']['tflm_arena_bytes']:,} B)",
        f"generated C {'bit-exact' if codegen['bit_exact'] else 'DIFFERS'} on {codegen['samples']} samples",
        *([extra] if extra else []),
        summary(metrics["device"]),
    ]
    return "; ".join(parts)


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
        why = (device or {}).get("details", {}).get("why", "")
        return [f"Not run in this build: {(device or {}).get('status', 'no device step')} ({why})"]
    lines = [f"- {key}: {value}" for key, value in device.items() if key not in ("details", "problems")]
    lines += [f"- problem: {problem}" for problem in device["problems"]] or ["- problems: none"]
    return lines + [f"- {key}: {value}" for key, value in device["details"].items()]


def _inspect_lines(inspect: dict[str, Any]) -> list[str]:
    lines = [f"The deployed model op by op on {inspect['samples']} test samples: float Keras vs int8 (SNR), generated "
             f"C and the emulated board vs TFLM, instructions on the emulated Cortex-M7. Every figure: "
             f"[{inspect['report']}]({inspect['report']}).", "",
             "| op | kind | SNR dB | C = TFLM | board = TFLM | instructions | instr/MAC |",
             "|---:|---|---:|---|---|---:|---:|"]
    for row in inspect["layers"]:
        cells = [row["op"], row["kind"], row["snr_db"], row["c_vs_tflm"], row["board_vs_tflm"],
                 f"{row['instructions']:,}" if row["instructions"] is not None else None, row["instr_per_mac"]]
        lines.append("| " + " | ".join("–" if c is None else str(c) for c in cells) + " |")
    return lines


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
                   "config", "inspect"}


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
    if "inspect" in metrics:
        lines += _section("Per layer", _inspect_lines(metrics["inspect"]))
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
