"""python -m mnist run | predict: the MNIST demo from IDX files to a report (device steps: see firmware/)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from mnist import config as mnist_config
from mnist.data import load_mnist
from mnist.images import load_inputs
from mnist.model import build_model, shift_augmenter
from mnist.pixels import scale_pixels
from shared.cli import add_run_arguments, main_guard, print_written, resolve_config
from shared.config import config_to_dict
from shared.data import data_dir
from shared.pipeline import Dataset, run_host_pipeline
from shared.predict import prediction_lines, read_model


def make_dataset(cfg: mnist_config.MnistConfig, local_dir: Path | None) -> Dataset:
    """Load MNIST, carve validation (and test if needed), apply the limits, scale pixels."""
    data = load_mnist(local_dir, cfg.test_size, cfg.seed)
    notes = ["MNIST test split: t10k files" if not data.test_carved else
             f"MNIST test split: {len(data.test_labels)} images carved (stratified, seed {cfg.seed}) from the "
             "training files, because the t10k files were not in the data folder"]
    rng = np.random.default_rng(cfg.seed)
    order = rng.permutation(len(data.train_labels))
    val_idx, train_idx = order[: cfg.val_size], order[cfg.val_size :]
    if cfg.train_limit:
        train_idx = train_idx[: cfg.train_limit]
    test_images, test_labels = data.test_images, data.test_labels
    if cfg.test_limit:
        test_images, test_labels = test_images[: cfg.test_limit], test_labels[: cfg.test_limit]
        notes.append(f"evaluated on the first {len(test_labels)} test images only (test_limit)")
    return Dataset(
        scale_pixels(data.train_images[train_idx]), data.train_labels[train_idx].astype(np.int64),
        scale_pixels(data.train_images[val_idx]), data.train_labels[val_idx].astype(np.int64),
        scale_pixels(test_images), test_labels.astype(np.int64), mnist_config.LABELS, notes,
    )


def run(args: argparse.Namespace) -> int:
    cfg = resolve_config(args, mnist_config.QUICK, mnist_config.FULL)
    dataset = make_dataset(cfg, data_dir(args.data_dir))
    metrics = run_host_pipeline("mnist", args.out, lambda: build_model(cfg), dataset, cfg, config_to_dict(cfg),
                                augment=shift_augmenter(cfg.shift_pixels))
    deployed = metrics["variants"][metrics["deploy"]["variant"]]
    print_written(
        [args.out / "report.md", args.out / "metrics.json", args.out / metrics["deploy"]["tflite"]],
        f"mnist: float {100 * metrics['variants']['float32']['accuracy']:.2f} %, "
        f"int8 {100 * deployed['accuracy']:.2f} % ({deployed['size_bytes']:,} B), "
        f"TFLM agrees on {100 * deployed['tflm']['same_class_share']:.1f} % of test images, generated C "
        f"{'bit-exact' if metrics['codegen']['bit_exact'] else 'DIFFERS'} on {metrics['codegen']['samples']}",
    )
    return 0


def predict(args: argparse.Namespace) -> int:
    model = read_model(args.model)
    names, images = load_inputs(args.files)
    for line in prediction_lines(model, names, scale_pixels(images), mnist_config.LABELS):
        print(line)
    return 0


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist", description=__doc__)
    steps = parser.add_subparsers(dest="step", required=True)
    run_parser = steps.add_parser("run", help="the whole demo: data -> report",
                                  formatter_class=argparse.RawTextHelpFormatter)
    add_run_arguments(run_parser, "mnist", mnist_config.MnistConfig)
    predict_parser = steps.add_parser("predict", help="classify PNG/JPEG/IDX files")
    predict_parser.add_argument("--model", type=Path, required=True, help=".tflite model (any variant)")
    predict_parser.add_argument("files", type=Path, nargs="+", help="PNG/JPEG (any size) or IDX image files")
    args = parser.parse_args(argv)
    return {"run": run, "predict": predict}[args.step](args)


if __name__ == "__main__":
    sys.exit(main())
