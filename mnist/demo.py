"""The MNIST demo for the shared driver: IDX files -> pixel features -> a small CNN -> the board gets raw images.

The board's feature step is mnist/pixels.py's float32 division (firmware/apps/mnist/app.c), so the test split's
model inputs are the features the board must compute, bit for bit.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mnist import config as mnist_config
from mnist.config import IMAGE_SIDE
from mnist.data import load_mnist
from mnist.images import IDX_SUFFIXES, load_picture
from mnist.model import build_model, shift_augmenter
from mnist.pixels import PIXEL_MAX, scale_pixels
from shared.board.firmware import write_config_header
from shared.cli import UserError
from shared.data import DataError
from shared.demo import Demo, DeviceData, PredictInput, Prepared
from shared.pipeline import Dataset
from shared.train import Augment


def make_dataset(cfg: mnist_config.MnistConfig, local_dir: Path | None) -> tuple[Dataset, np.ndarray]:
    """Load MNIST, carve validation (and test if needed), apply the limits, scale pixels; also the raw uint8 test
    images (N, 28, 28) the board receives."""
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
    dataset = Dataset(
        scale_pixels(data.train_images[train_idx]), data.train_labels[train_idx].astype(np.int64),
        scale_pixels(data.train_images[val_idx]), data.train_labels[val_idx].astype(np.int64),
        scale_pixels(test_images), test_labels.astype(np.int64), mnist_config.LABELS, notes,
    )
    return dataset, test_images


class MnistDemo(Demo):
    name = "mnist"
    description = "MNIST handwritten digits from IDX files to a verified Cortex-M7 and a report"
    config_type = mnist_config.MnistConfig
    quick = mnist_config.QUICK
    full = mnist_config.FULL
    predict_files = "PNG/JPEG pictures (any size) or IDX image files"

    def labels(self, cfg: Any) -> list[str]:
        return list(mnist_config.LABELS)

    def prepare(self, cfg: Any, data_dir: Path | None, out_dir: Path) -> Prepared:
        dataset, test_images = make_dataset(cfg, data_dir)
        device = DeviceData(test_images, description="raw uint8 28x28 images, row-major")
        return Prepared(dataset, device)

    def model_builder(self, cfg: Any, dataset: Dataset) -> Callable[[], Any]:
        return lambda: build_model(cfg)

    def augment(self, cfg: Any, dataset: Dataset) -> Augment | None:
        return shift_augmenter(cfg.shift_pixels)

    def write_sources(self, cfg: Any, prepared: Prepared, c_dir: Path) -> list[Path]:
        values = {"image_rows": IMAGE_SIDE, "image_cols": IMAGE_SIDE, "pixel_divisor": float(PIXEL_MAX)}
        return [write_config_header(c_dir, "mnist", values, "mnist/demo.py (MnistConfig)")]

    def predict_input(self, path: Path, cfg: Any, preprocess: dict[str, Any],
                      args: argparse.Namespace) -> PredictInput:
        if not path.is_file():
            raise UserError(f"{path}: no such file")
        if path.name.endswith(IDX_SUFFIXES):
            from mnist.data import read_images

            try:
                images = read_images(path)
            except DataError as error:
                raise UserError(str(error)) from None
            return PredictInput(scale_pixels(images), [{"index": i} for i in range(len(images))])
        return PredictInput(scale_pixels(load_picture(path)[None]), [{}])
