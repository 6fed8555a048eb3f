"""mnist.data: IDX parsing (real files, truncated, corrupt, wrong magic) and the carved test split."""

import gzip
import struct

import numpy as np
import pytest

from mnist.data import load_mnist, read_idx, read_images, read_labels, read_pair, stratified_split
from shared.data import DataError


def idx_bytes(array: np.ndarray, magic_dims: int | None = None) -> bytes:
    dims = array.shape
    header = struct.pack(">HBB", 0, 0x08, magic_dims or len(dims)) + struct.pack(f">{len(dims)}I", *dims)
    return header + array.astype(np.uint8).tobytes()


def test_real_training_files(mnist_data):
    images, labels = read_pair(mnist_data / "mnist" / "train-images-idx3-ubyte.gz",
                               mnist_data / "mnist" / "train-labels-idx1-ubyte.gz")
    assert images.shape == (60000, 28, 28) and labels.shape == (60000,)
    # Per-class counts of the 60,000 MNIST training images (as the data set's own documentation lists them)
    assert np.bincount(labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_raw_and_gzip_give_the_same_array(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28))
    (tmp_path / "raw-ubyte").write_bytes(idx_bytes(images))
    (tmp_path / "z.gz").write_bytes(gzip.compress(idx_bytes(images)))
    np.testing.assert_array_equal(read_images(tmp_path / "raw-ubyte"), images)
    np.testing.assert_array_equal(read_images(tmp_path / "z.gz"), images)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x00", "too short"),
        (b"\x00\x00\x0d\x03" + b"\x00" * 12, "bad IDX magic"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated IDX header"),
        (idx_bytes(np.zeros((2, 28, 28)))[:-5], "data bytes"),
        (idx_bytes(np.zeros((2, 28, 28))) + b"xx", "data bytes"),
        (b"\x1f\x8b\x08\x00garbage", "cannot read"),
    ],
)
def test_bad_files_name_the_file(tmp_path, content, message):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as error:
        read_idx(path)
    assert str(path) in str(error.value)


def test_shape_and_count_checks(tmp_path):
    (tmp_path / "img").write_bytes(idx_bytes(np.zeros((2, 14, 14))))
    with pytest.raises(DataError, match="28 x 28"):
        read_images(tmp_path / "img")
    (tmp_path / "lab").write_bytes(idx_bytes(np.array([1, 12])))
    with pytest.raises(DataError, match="not a digit"):
        read_labels(tmp_path / "lab")
    (tmp_path / "img2").write_bytes(idx_bytes(np.zeros((3, 28, 28))))
    (tmp_path / "lab2").write_bytes(idx_bytes(np.array([1, 2])))
    with pytest.raises(DataError, match="2 labels for 3 images"):
        read_pair(tmp_path / "img2", tmp_path / "lab2")


def test_stratified_split_is_deterministic_and_proportional():
    labels = np.repeat(np.arange(10), [600 + 10 * k for k in range(10)])
    kept, taken = stratified_split(labels, 1000, seed=5)
    _, again_taken = stratified_split(labels, 1000, seed=5)
    np.testing.assert_array_equal(taken, again_taken)
    assert len(taken) == 1000 and len(np.intersect1d(kept, taken)) == 0 and len(kept) + 1000 == len(labels)
    share_all = np.bincount(labels) / len(labels)
    share_taken = np.bincount(labels[taken]) / 1000
    np.testing.assert_allclose(share_taken, share_all, atol=0.002)


def test_partial_folder_carves_the_test_split(mnist_data):
    data = load_mnist(mnist_data, test_size=10000, seed=1)
    assert data.test_carved
    assert len(data.test_labels) == 10000 and len(data.train_labels) == 50000
