"""MNIST data: IDX files (gzip or raw) from a local folder, the cache or the standard mirrors.

IDX: big-endian magic (0x0803 images / 0x0801 labels: ubyte data, 3 or 1 dimensions), the dimensions as uint32,
then the bytes. Everything is checked: magic, dimensions, exact length, image/label counts.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shared.data import DataError, RemoteFile, fetch, find_local

SUBDIR = "mnist"
MIRRORS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801


def _remote(name: str, sha256: str) -> RemoteFile:
    return RemoteFile(name, tuple(mirror + name for mirror in MIRRORS), sha256)


TRAIN_IMAGES = _remote("train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609")
TRAIN_LABELS = _remote("train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c")
TEST_IMAGES = _remote("t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6")
TEST_LABELS = _remote("t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6")


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise DataError(f"{path}: cannot read ({error})") from None


def read_idx(path: Path) -> np.ndarray:
    """An IDX file of unsigned bytes (.gz or raw) as a uint8 array of its stated dimensions."""
    data = _read_bytes(Path(path))
    if len(data) < 4:
        raise DataError(f"{path}: too short for an IDX header ({len(data)} bytes)")
    zero, dtype_code, n_dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08 or n_dims not in (1, 3):
        raise DataError(f"{path}: bad IDX magic 0x{int.from_bytes(data[:4], 'big'):08x} (expected 0x0801 or 0x0803)")
    header_end = 4 + 4 * n_dims
    if len(data) < header_end:
        raise DataError(f"{path}: truncated IDX header")
    dims = struct.unpack(f">{n_dims}I", data[4:header_end])
    expected = int(np.prod(dims, dtype=np.int64))
    if len(data) - header_end != expected:
        raise DataError(f"{path}: {len(data) - header_end} data bytes, dimensions {dims} need {expected}")
    return np.frombuffer(data, dtype=np.uint8, offset=header_end).reshape(dims)


def read_images(path: Path) -> np.ndarray:
    """(N, 28, 28) uint8 images from an IDX3 file."""
    images = read_idx(path)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"{path}: expected N x 28 x 28 images, found dimensions {images.shape}")
    return images


def read_labels(path: Path) -> np.ndarray:
    """(N,) uint8 labels 0..9 from an IDX1 file."""
    labels = read_idx(path)
    if labels.ndim != 1:
        raise DataError(f"{path}: expected a 1-dimensional label file, found dimensions {labels.shape}")
    if labels.size and labels.max() > 9:
        raise DataError(f"{path}: label {int(labels.max())} is not a digit 0..9")
    return labels


def read_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_images(images_path), read_labels(labels_path)
    if len(images) != len(labels):
        raise DataError(f"{labels_path}: {len(labels)} labels for {len(images)} images in {images_path}")
    return images, labels


@dataclass
class MnistData:
    """Raw uint8 images (N, 28, 28) and labels; `test_carved` says the test split came from the training files."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    test_carved: bool


def stratified_split(labels: np.ndarray, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, taken): `size` samples taken with each class in its overall proportion, deterministic."""
    rng = np.random.default_rng(seed)
    taken = []
    classes, counts = np.unique(labels, return_counts=True)
    shares = np.floor(counts / counts.sum() * size).astype(int)
    shares[: size - shares.sum()] += 1  # hand out the rounding remainder, lowest classes first
    for cls, share in zip(classes, shares, strict=True):
        members = np.flatnonzero(labels == cls)
        taken.append(rng.permutation(members)[:share])
    taken_idx = np.sort(np.concatenate(taken))
    kept_idx = np.setdiff1d(np.arange(len(labels)), taken_idx)
    return kept_idx, taken_idx


def load_mnist(local_dir: Path | None, test_size: int, seed: int) -> MnistData:
    """Training files from the local folder or cache/download; test files likewise, else carved from training."""
    if local_dir is None:
        train = read_pair(fetch(TRAIN_IMAGES, SUBDIR), fetch(TRAIN_LABELS, SUBDIR))
        test = read_pair(fetch(TEST_IMAGES, SUBDIR), fetch(TEST_LABELS, SUBDIR))
        return MnistData(*train, *test, test_carved=False)
    train_images_path, train_labels_path = (find_local(r, SUBDIR, local_dir) for r in (TRAIN_IMAGES, TRAIN_LABELS))
    if train_images_path is None or train_labels_path is None:
        raise DataError(f"{local_dir}: no MNIST training files (expected {SUBDIR}/{TRAIN_IMAGES.name} and labels)")
    images, labels = read_pair(train_images_path, train_labels_path)
    test_paths = [find_local(r, SUBDIR, local_dir) for r in (TEST_IMAGES, TEST_LABELS)]
    if None not in test_paths:
        return MnistData(images, labels, *read_pair(*test_paths), test_carved=False)
    kept, taken = stratified_split(labels, test_size, seed)
    return MnistData(images[kept], labels[kept], images[taken], labels[taken], test_carved=True)
