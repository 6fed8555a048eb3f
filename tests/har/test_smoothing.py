"""har/smoothing.py and its C twin firmware/apps/har/smoothing.c: the board's decision over the last windows."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import numpy as np
import pytest

from har.config import FULL, write_config_header
from har.smoothing import smoothed_labels, smoothed_sums, stream_starts
from tests.conftest import require_tool
from tests.har.test_features import C_DIR, GCC_FLAGS

N_CLASSES = len(FULL.labels)


def test_hand_computed_case():
    """Two classes, K = 3; the second stream starts at row 4 and does not see the first."""
    scores = np.array([[10, 0], [0, 4], [0, 4], [0, 4], [5, 0], [0, 6], [0, 1]], np.int8)
    starts = np.array([1, 0, 0, 0, 1, 0, 0], bool)
    sums = smoothed_sums(scores, starts, 3)
    assert sums.tolist() == [[10, 0], [10, 4], [10, 8], [0, 12], [5, 0], [5, 6], [5, 7]]
    assert smoothed_labels(scores, starts, 3).tolist() == [0, 0, 0, 1, 0, 1, 1]
    # a tie goes to the first class, as the board's argmax does
    assert smoothed_labels(np.array([[3, 3]], np.int8), np.array([True]), 2).tolist() == [0]
    # K = 1: each window's own argmax
    assert smoothed_labels(scores, starts, 1).tolist() == np.argmax(scores, axis=1).tolist()


def test_stream_starts_from_stream_ids():
    assert stream_starts(np.array([4, 4, 7, 7, 7, 2])).tolist() == [True, False, True, False, False, True]


def _random_stream(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    scores = rng.integers(-128, 128, (n, N_CLASSES), dtype=np.int8)
    scores[rng.random(n) < 0.2] = 127  # every class equal: ties
    starts = rng.random(n) < 0.1
    starts[0] = True
    return scores, starts


def _build_twin(tmp_path: Path, windows: int) -> Path:
    gcc = require_tool("gcc")
    write_config_header(dataclasses.replace(FULL, smooth_windows=windows), tmp_path / "har_config.h", 27)
    exe = tmp_path / "smoothing_host"
    command = [gcc, *GCC_FLAGS, f"-I{tmp_path}", f"-I{C_DIR}", str(C_DIR / "smoothing.c"),
               str(Path(__file__).with_name("smoothing_host.c")), "-o", str(exe)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"gcc failed:\n{result.stderr}"
    return exe


@pytest.mark.parametrize("windows", [1, 3, 5, 255])
def test_c_twin_equals_the_host_reference(tmp_path, windows):
    scores, starts = _random_stream(windows, 700)
    exe = _build_twin(tmp_path, windows)
    records = np.concatenate([starts.astype(np.int8)[:, None], scores], axis=1)
    (tmp_path / "in.bin").write_bytes(records.tobytes())
    result = subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")], capture_output=True)
    assert result.returncode == 0, result.stderr
    out = np.fromfile(tmp_path / "out.bin", dtype="<i4").reshape(len(scores), N_CLASSES + 1)
    np.testing.assert_array_equal(out[:, :N_CLASSES], smoothed_sums(scores, starts, windows))
    np.testing.assert_array_equal(out[:, N_CLASSES], smoothed_labels(scores, starts, windows))


def test_smooth_windows_is_checked():
    from shared.cli import UserError

    with pytest.raises(UserError, match="smooth_windows"):
        dataclasses.replace(FULL, smooth_windows=0)
    with pytest.raises(ValueError, match="smooth_windows"):
        smoothed_sums(np.zeros((2, 2), np.int8), np.array([True, False]), 0)
