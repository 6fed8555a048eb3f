"""Experiment (not a product path): mlp_cnn1d's CNN part varied (augmentation, architecture), on the selection scheme
(leave-one-subject-out over MotionSense's 16 non-test subjects).

    python -m har.experiments.cnn_variants --variants base,yaw,wide

Per held-out subject the mlp (4 members merged, as `python -m har loso --model mlp_cnn1d` trains it) is trained once
and its float32 log-probabilities on the held-out subject are cached (build/har/experiments/cnn_variants/); each CNN
variant likewise. Scored as har/experiments/mlp_cnn_weights.py scores: softmax of the mean of the two parts' logits,
rounded as the int8 softmax output, smoothed over smooth_windows windows; plus the confusion matrix summed over the
subjects, smoothed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from har.config import FULL, N_AXES, HarConfig
from har.dataset import load_motionsense_windows, prepare_windows
from har.experiments.mlp_cnn_weights import NON_TEST, _log_probabilities, _scores
from har.features import n_features, orientation_series_numpy
from har.model import (
    augment_windows,
    augment_windows_yaw,
    build_cnn1d,
    rotations_about,
    split_combined,
    train_model,
    train_settings,
)
from har.smoothing import smoothed_labels, stream_starts
from shared.config import apply_overrides
from shared.data import atomic_write_text, data_dir


def augment_tilt(degrees: float) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """augment_windows with rotations of up to `degrees` per axis instead of 15."""
    def augment(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        extra = degrees - 15.0
        angles = rng.uniform(-np.radians(extra), np.radians(extra), (len(x), 3))
        rotation = np.eye(3)[None].repeat(len(x), 0)
        for axis in range(3):
            unit = np.zeros((len(x), 3))
            unit[:, axis] = 1.0
            rotation = rotations_about(unit, angles[:, axis]) @ rotation
        return augment_windows(np.einsum("bij,btkj->btki", rotation, x).astype(np.float32), rng)
    return augment


def orientation_channels(x: np.ndarray) -> np.ndarray:
    """(B, T, 1, 3) m/s^2 -> (B, T, 1, 2): the features' vertical series minus its mean (the motion along gravity)
    and horizontal series (har/features.py): the same whichever way the phone sits."""
    series, _ = orientation_series_numpy(x[:, :, 0, :])
    series[:, :, 0] -= series[:, :, 0].mean(axis=1, keepdims=True)
    return series[:, :, None, :].astype(np.float32)


def raw_and_orientation(x: np.ndarray) -> np.ndarray:
    """(B, T, 1, 3) -> (B, T, 1, 5): x, y, z and the two orientation channels."""
    return np.concatenate([x, orientation_channels(x)], axis=3)


def transformed(augment: Any, transform: Callable[[np.ndarray], np.ndarray]
                ) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """`augment` on the raw window, then `transform`."""
    return lambda x, rng: transform(augment(x, rng))


def build_cnn(filters: tuple[int, int, int], dilations: tuple[int, int, int] = (1, 1, 1),
              kernels: tuple[int, int, int] = (5, 5, 3), channels: int = N_AXES) -> Callable[[int, int], Any]:
    """build_cnn1d's layout with other widths, dilations or kernels."""
    def build(window_samples: int, n_classes: int) -> Any:
        import tensorflow as tf

        layers = tf.keras.layers
        stack: list[Any] = [tf.keras.Input(shape=(window_samples, 1, channels), name="window")]
        for i, (width, dilation, kernel) in enumerate(zip(filters, dilations, kernels, strict=True)):
            stack.append(layers.Conv2D(width, (kernel, 1), padding="same", dilation_rate=(dilation, 1),
                                       activation="relu", name=f"conv_{i}"))
            if i < 2:
                stack.append(layers.MaxPooling2D((2, 1), name=f"pool_{i}"))
        stack += [layers.GlobalAveragePooling2D(name="mean"), layers.Dropout(0.3, name="dropout"),
                  layers.Dense(n_classes, activation="softmax", name="scores")]
        return tf.keras.Sequential(stack, name="har_cnn1d")
    return build


VARIANTS: dict[str, tuple[Callable[[int, int], Any], Any]] = {
    "base": (build_cnn1d, augment_windows),
    "yaw": (build_cnn1d, augment_windows_yaw),
    "tilt45": (build_cnn1d, augment_tilt(45.0)),
    "wide": (build_cnn((32, 48, 64)), augment_windows),
    "wide_yaw": (build_cnn((32, 48, 64)), augment_windows_yaw),
    "dilated": (build_cnn((16, 24, 32), (1, 2, 4)), augment_windows),
    "orient2": (build_cnn((16, 24, 32), channels=2), augment_windows),
    "orient5": (build_cnn((16, 24, 32), channels=5), augment_windows),
}
# the variants whose CNN sees the window transformed (after the augmentation, in training)
TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"orient2": orientation_channels,
                                                            "orient5": raw_and_orientation}
SEED_OFFSETS = {"yaw_s43": ("yaw", 1), "base_s43": ("base", 1)}  # a variant trained with seed + 1


def _cached(path: Path, make: Callable[[], np.ndarray]) -> np.ndarray:
    if path.exists():
        return np.load(path)["logits"]
    logits = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, logits=logits)
    return logits


def run_subject(windows: Any, base: HarConfig, subject: int, variants: list[str], cache: Path
                ) -> tuple[dict[str, list[float]], dict[str, np.ndarray]]:
    """Scores per part and combination on `subject`, and the smoothed confusion matrices."""
    config = dataclasses.replace(base, split="loso", holdout_user=subject)
    data = prepare_windows(windows, config, []).dataset
    count = n_features(config)
    (f_train, w_train), (f_val, w_val), (f_test, w_test) = (split_combined(x, count) for x in
                                                             (data.x_train, data.x_val, data.x_test))
    mlp_logits = _cached(cache / f"mlp_{subject}.npz", lambda: _log_probabilities(
        train_model(dataclasses.replace(config, model="mlp"), f_train, data.y_train, f_val, data.y_val), f_test))
    starts = stream_starts(windows.stream[windows.user == subject])
    rows = {"mlp": _scores(data.y_test, mlp_logits, starts, config)}
    confusion: dict[str, np.ndarray] = {}
    n = len(config.labels)
    from shared.train import train_float

    for name in variants:
        variant, offset = SEED_OFFSETS.get(name, (name, 0))
        builder, augment = VARIANTS[variant]
        cnn_config = dataclasses.replace(config, model="cnn1d", seed=config.seed + offset)

        transform = TRANSFORMS.get(variant, lambda x: x)
        if variant in TRANSFORMS:
            augment = transformed(augment, transform)

        def make(builder=builder, augment=augment, cnn_config=cnn_config, transform=transform) -> np.ndarray:
            model, _ = train_float(lambda: builder(config.window_samples, n), w_train, data.y_train,
                                   transform(w_val), data.y_val, train_settings(cnn_config), augment)
            return _log_probabilities(model, transform(w_test))

        cnn_logits = _cached(cache / f"{name}_{subject}.npz", make)
        both = (mlp_logits + cnn_logits) / 2
        rows[f"{name} cnn"] = _scores(data.y_test, cnn_logits, starts, config)
        rows[f"{name} mean"] = _scores(data.y_test, both, starts, config)
        probabilities = np.exp(both - both.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        scores = np.clip(np.round(probabilities * 256) - 128, -128, 127).astype(np.int32)
        matrix = np.zeros((n, n), np.int64)
        np.add.at(matrix, (data.y_test, smoothed_labels(scores, starts, config.smooth_windows)), 1)
        confusion[name] = matrix
    return rows, confusion


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    names = ", ".join([*VARIANTS, *SEED_OFFSETS])
    parser.add_argument("--variants", default="base", help=f"comma-separated, of {names}")
    parser.add_argument("--subjects", default=",".join(map(str, NON_TEST)), help="held out in turn")
    parser.add_argument("--data-dir", type=Path, default=None, help="default $TINYML_LABS_DATA")
    parser.add_argument("--out", type=Path, default=Path("build/har/experiments/cnn_variants"))
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE",
                        help="a HarConfig field (window fields: also give the other, e.g. window_samples=400 and "
                             "fft_length=512); use another --out, the cache is per configuration")
    args = parser.parse_args(argv)
    variants = args.variants.split(",")
    base = apply_overrides(dataclasses.replace(FULL, data="motionsense", model="mlp_cnn1d"), args.overrides)
    windows, _ = load_motionsense_windows(base, data_dir(args.data_dir))
    results: dict[str, Any] = {}
    for subject in (int(s) for s in args.subjects.split(",")):
        started = time.perf_counter()
        rows, confusion = run_subject(windows, base, subject, variants, args.out / "cache")
        results[str(subject)] = {"scores": rows, "confusion": {k: v.tolist() for k, v in confusion.items()}}
        smoothed = {name: round(100 * row[2], 1) for name, row in rows.items()}
        print(f"subject {subject} ({time.perf_counter() - started:.0f} s), smoothed %: {smoothed}", flush=True)
    atomic_write_text(args.out / f"{'_'.join(variants)}.json", json.dumps(results, indent=1))
    print(f"mean over {len(results)} subject(s): per window, macro-F1; smoothed, macro-F1")
    for name in next(iter(results.values()))["scores"]:
        mean = np.mean([r["scores"][name] for r in results.values()], axis=0)
        print(f"  {name:18s} {100 * mean[0]:6.2f} % {mean[1]:.3f}   {100 * mean[2]:6.2f} % {mean[3]:.3f}")
    for name in variants:
        total = np.sum([r["confusion"][name] for r in results.values()], axis=0)
        print(f"{name}, smoothed, summed confusion (rows true {', '.join(base.labels)}):\n{total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
