"""Experiment (not a product path): are the deployed feature MLP and the 1D-CNN on the raw window complementary
enough that the mean of their softmax probabilities beats the MLP on unseen subjects?

    python -m har.experiments.mlp_cnn_average                  # validation subjects 4, 9, 14, 19; seeds 42, 2
    python -m har.experiments.mlp_cnn_average --loso 3,9,16,18,19,2,6,8,11 --seeds 42

MotionSense with the source's defaults (8 s windows, hop 4 s, FULL profile). The MLP is trained as the product
trains it (har.model.train_model: 4 members merged, seeds s..s+3); the CNN is har.model.build_cnn1d, trained with
train_model on the raw x/y/z window, or ("orientation" input) on two series that do not depend on how the phone
is turned about gravity, the motion along gravity and the magnitude of the motion across it (m/s^2), and a constant
posture channel, 10 x |g_y| / |g| (the phone's long axis against gravity: sitting vs standing). Each model's float32
probabilities and, after the project's int8 converter, its dequantized int8 probabilities are scored alone and
averaged with the MLP's (mean, equal weights; nothing tuned). Early stopping uses the validation subjects, so the
validation figures rank the options and are not an accuracy estimate; the test subjects 5, 10, 15, 20 are not
scored by the two commands above. Writes build/har/experiments/mlp_cnn_average.json (or --out).
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
from har.features import orientation_series_numpy
from har.model import build_cnn1d, train_model, train_settings
from har.windows import split_users
from shared.data import atomic_write_text, data_dir

CNN_INPUTS = ("raw", "orientation")
POSTURE_SCALE = 10.0  # the posture cosine (0..1) to the motion channels' range, for one int8 input scale


def orientation_input(xyz: np.ndarray) -> np.ndarray:
    """(B, T, 3) m/s^2 -> (B, T, 1, 3) float32: motion along gravity, |motion across gravity|, scaled posture."""
    series, posture = orientation_series_numpy(xyz.astype(np.float64))
    along = series[:, :, 0] - series[:, :, 0].mean(axis=1, keepdims=True)
    upright = np.broadcast_to(POSTURE_SCALE * posture[:, 1:2], along.shape)
    return np.stack([along, series[:, :, 1], upright], axis=2)[:, :, None, :].astype(np.float32)


def augment_orientation(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Training batches of orientation_input: motion channels scaled by U(0.85, 1.15) and 0.2 m/s^2 of noise."""
    out = x.copy()
    scale = rng.uniform(0.85, 1.15, (len(x), 1, 1, 1))
    out[..., :2] = x[..., :2] * scale + rng.normal(0.0, 0.2, x[..., :2].shape)
    return out.astype(np.float32)


def _probabilities(model: Any, x_train: np.ndarray, x: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    from shared import convert
    from shared.evaluate import run_litert

    blob = convert.to_int8(model, convert.representative_samples(x_train, seed=seed))
    return {"float32": model.predict(x, verbose=0).astype(np.float32),
            "int8": run_litert(blob, x).reshape(len(x), -1).astype(np.float32)}


def _train_cnn(config: HarConfig, cnn_input: str, windows, masks: dict[str, np.ndarray], dataset) -> Any:
    from shared.train import train_float

    cnn = dataclasses.replace(config, model="cnn1d")
    if cnn_input == "raw":
        return train_model(cnn, dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val), None
    x = orientation_input(windows.xyz)
    x_train, x_val, x_eval = x[masks["train"]], x[masks["val"]], x[masks["eval"]]
    model, _ = train_float(lambda: build_cnn1d(config.window_samples, len(config.labels)), x_train, dataset.y_train,
                           x_val, dataset.y_val, train_settings(cnn), augment_orientation)
    return model, (x_train, x_eval)


def _report(labels: np.ndarray, probabilities: np.ndarray, names: list[str]) -> dict[str, Any]:
    report = class_report(labels, np.argmax(probabilities, axis=1), names)
    return {"accuracy": round(report["accuracy"], 4), "macro_f1": round(report["macro_f1"], 4),
            "recall": {name: round(value, 3) for name, value in report["recall"].items()}}


def run_split(windows, config: HarConfig, cnn_inputs: tuple[str, ...], evaluate_on: str) -> dict[str, Any]:
    """Train the MLP and each CNN on config's split; score them alone and averaged on `evaluate_on` (val|test)."""
    started = time.perf_counter()
    mlp_config = dataclasses.replace(config, model="mlp")
    prepared = prepare_windows(windows, mlp_config, [])
    masks = split_users(windows.user, config)
    masks["eval"] = masks[evaluate_on]
    data = prepared.dataset
    x_eval, y_eval = (data.x_val, data.y_val) if evaluate_on == "val" else (data.x_test, data.y_test)
    mlp = train_model(mlp_config, data.x_train, data.y_train, data.x_val, data.y_val)
    probs = {"mlp": _probabilities(mlp, data.x_train, x_eval, config.seed)}
    raw = prepare_windows(windows, dataclasses.replace(config, model="cnn1d"), []).dataset
    for cnn_input in cnn_inputs:
        model, inputs = _train_cnn(config, cnn_input, windows, masks, raw)
        x_train, x_cnn = inputs or (raw.x_train, raw.x_val if evaluate_on == "val" else raw.x_test)
        probs[f"cnn1d {cnn_input}"] = _probabilities(model, x_train, x_cnn, config.seed)
    names = config.labels
    result: dict[str, Any] = {"windows": len(y_eval), "rows": {}}
    for precision in ("float32", "int8"):
        mlp_p = probs["mlp"][precision]
        result["rows"][f"mlp, {precision}"] = _report(y_eval, mlp_p, names)
        for cnn_input in cnn_inputs:
            cnn_p = probs[f"cnn1d {cnn_input}"][precision]
            result["rows"][f"cnn1d {cnn_input}, {precision}"] = _report(y_eval, cnn_p, names)
            mean = _report(y_eval, (mlp_p + cnn_p) / 2, names)
            right_mlp, right_cnn = np.argmax(mlp_p, 1) == y_eval, np.argmax(cnn_p, 1) == y_eval
            mean["either_right"] = round(float(np.mean(right_mlp | right_cnn)), 4)  # an oracle's ceiling
            mean["only_cnn_right"] = int(np.sum(right_cnn & ~right_mlp))
            mean["only_mlp_right"] = int(np.sum(right_mlp & ~right_cnn))
            result["rows"][f"mean(mlp, cnn1d {cnn_input}), {precision}"] = mean
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _print_rows(title: str, rows: dict[str, Any]) -> None:
    print(title)
    for name, row in rows.items():
        recall = " ".join(f"{label[:4]} {value:.3f}" for label, value in row["recall"].items())
        extra = (f"  either {100 * row['either_right']:.2f} %, only cnn {row['only_cnn_right']}, only mlp "
                 f"{row['only_mlp_right']}" if "either_right" in row else "")
        print(f"  {name:38s} {100 * row['accuracy']:6.2f} %  F1 {row['macro_f1']:.3f}  {recall}{extra}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="42,2", help="comma-separated base seeds")
    parser.add_argument("--cnn-inputs", default="raw,orientation", help=f"comma-separated, of {CNN_INPUTS}")
    parser.add_argument("--loso", default="", help="comma-separated subjects held out in turn (instead of the "
                        "validation subjects); validation for early stopping: 4, 9, 14, 19 minus the held-out one")
    parser.add_argument("--data-dir", type=Path, default=None, help="default $TINYML_LABS_DATA")
    parser.add_argument("--out", type=Path, default=Path("build/har/experiments/mlp_cnn_average.json"))
    args = parser.parse_args(argv)
    cnn_inputs = tuple(name for name in args.cnn_inputs.split(",") if name)
    if not cnn_inputs or any(name not in CNN_INPUTS for name in cnn_inputs):
        parser.error(f"--cnn-inputs: choose from {CNN_INPUTS}, not {args.cnn_inputs!r}")
    seeds = [int(seed) for seed in args.seeds.split(",")]
    base = dataclasses.replace(FULL, data="motionsense")
    windows, _ = load_motionsense_windows(base, data_dir(args.data_dir))
    results: dict[str, Any] = {"cnn_inputs": cnn_inputs, "runs": []}
    for seed in seeds:
        if args.loso:
            for subject in (int(s) for s in args.loso.split(",")):
                config = dataclasses.replace(base, seed=seed, split="loso", holdout_user=subject)
                run = run_split(windows, config, cnn_inputs, "test")
                results["runs"].append({"seed": seed, "held_out": subject, **run})
                _print_rows(f"seed {seed}, held-out subject {subject} ({run['windows']} windows, "
                            f"{run['seconds']} s)", run["rows"])
        else:
            run = run_split(windows, dataclasses.replace(base, seed=seed), cnn_inputs, "val")
            results["runs"].append({"seed": seed, "subjects": "validation 4, 9, 14, 19", **run})
            _print_rows(f"seed {seed}, validation subjects ({run['windows']} windows, {run['seconds']} s)",
                        run["rows"])
    names = list(results["runs"][0]["rows"])
    means = {name: {key: round(float(np.mean([run["rows"][name][key] for run in results["runs"]])), 4)
                    for key in ("accuracy", "macro_f1")} for name in names}
    results["means"] = means
    print(f"mean over {len(results['runs'])} run(s) (unweighted):")
    for name, row in means.items():
        print(f"  {name:38s} {100 * row['accuracy']:6.2f} %  F1 {row['macro_f1']:.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
