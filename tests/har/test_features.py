"""har/features.py and its C twin firmware/apps/har/features.c: hand-computed values, numpy parity, bit-identity."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import numpy as np
import pytest

from har.config import FULL, write_config_header
from har.data import parse_raw_text
from har.features import (
    BANDS,
    FEATURE_NAMES,
    RHYTHM,
    compute_features_float32,
    compute_features_numpy,
    feature_names,
    n_features,
    normalization_constants,
    normalize_float32,
    numpy_reference,
    write_feature_tables,
)
from har.synthetic import NO_QUIRKS, generate_text
from har.windows import cut_windows
from tests.conftest import REPO_ROOT, require_tool

C_DIR = REPO_ROOT / "firmware" / "apps" / "har"
GCC_FLAGS = ["-std=c99", "-O2", "-ffp-contract=off", "-Wall", "-Wextra", "-Wconversion", "-Wdouble-promotion",
             "-Werror"]


ORIENTATION = dataclasses.replace(FULL, feature_set="orientation")


def feature(values: np.ndarray, name: str) -> np.ndarray:
    return values[:, FEATURE_NAMES.index(name)]


@pytest.fixture(scope="module")
def generated_records():
    """Generated raw records of every activity (3 users, 30 s each)."""
    text, _ = generate_text(seed=7, n_users=3, seconds_per_activity=30, quirks=NO_QUIRKS)
    return parse_raw_text(text)


@pytest.fixture(scope="module")
def generated_windows(generated_records) -> np.ndarray:
    """(B, 80, 3) float32 windows of the generated records."""
    return cut_windows(generated_records, FULL).xyz


def test_constant_window_by_hand():
    config = dataclasses.replace(FULL, window_samples=64, fft_length=64)
    window = np.tile(np.array([1.5, -9.75, 0.25], dtype=np.float32), (1, 64, 1))
    for values in (compute_features_numpy(window, config), compute_features_float32(window, config)):
        assert feature(values, "x_mean")[0] == 1.5 and feature(values, "y_mean")[0] == -9.75
        assert feature(values, "x_std")[0] == 0.0 and feature(values, "z_positive_share")[0] == 0.0
        assert feature(values, "y_min")[0] == -9.75 and feature(values, "y_max")[0] == -9.75
        assert feature(values, "z_fft_peak_amp")[0] == 0.0
        assert feature(values, "x_fft_peak_hz")[0] == 20 / 64  # all bins 0: the first bin (k = 1) wins
        np.testing.assert_allclose(feature(values, "sma")[0], 11.5, rtol=1e-7)
        np.testing.assert_allclose(feature(values, "magnitude_mean")[0], np.sqrt(1.5**2 + 9.75**2 + 0.25**2), 1e-6)


def test_pure_sine_on_a_bin_by_hand():
    """A sine of amplitude 2 at 2.5 Hz = bin 8 of a 64-point FFT at 20 Hz: peak 2.5 Hz, amplitude 2, std 2/sqrt 2."""
    config = dataclasses.replace(FULL, window_samples=64, fft_length=64)
    t = np.arange(64) / 20.0
    window = np.zeros((1, 64, 3), dtype=np.float32)
    window[0, :, 0] = 2.0 * np.sin(2 * np.pi * 2.5 * t + 0.3)
    window[0, :, 1] = 9.81
    for values in (compute_features_numpy(window, config), compute_features_float32(window, config)):
        assert feature(values, "x_fft_peak_hz")[0] == pytest.approx(2.5)
        assert feature(values, "x_fft_peak_amp")[0] == pytest.approx(2.0, abs=1e-5)
        assert feature(values, "x_std")[0] == pytest.approx(2 / np.sqrt(2), abs=1e-5)
        assert feature(values, "x_mean")[0] == pytest.approx(0.0, abs=1e-6)
        assert feature(values, "x_positive_share")[0] == 0.5
        # Only bin 8 is non-zero: the mean over 32 bins is the peak / 32.
        assert feature(values, "x_fft_mean_amp")[0] == pytest.approx(2.0 / 32, abs=1e-5)


@pytest.mark.parametrize("config", [FULL, ORIENTATION], ids=["axes", "orientation"])
def test_float32_path_matches_numpy(generated_windows, config):
    numpy_values = compute_features_numpy(generated_windows, config)
    float32_values = compute_features_float32(generated_windows, config)
    names = feature_names(config)
    assert float32_values.dtype == np.float32 and float32_values.shape == (len(generated_windows), len(names))
    discrete = [names.index(n) for n in names if n.endswith(("positive_share", "peak_hz"))]
    continuous = [i for i in range(len(names)) if i not in discrete]
    np.testing.assert_allclose(float32_values[:, continuous], numpy_values[:, continuous], rtol=1e-5, atol=1e-5,
                               err_msg="float32 sums of 80 values vs float64: round-off only")
    # A sample within float32 round-off of the mean, or two equal spectral peaks, may flip a discrete feature.
    same = np.isclose(float32_values[:, discrete], numpy_values[:, discrete], atol=1e-5)
    assert same.mean() > 0.99, f"discrete features agree on only {same.mean():.3%}"


def test_numpy_reference_takes_float32_only_at_ties(generated_windows):
    """A phone at rest: samples within a few float32 steps of 9.63362 m/s^2 (a value of a MotionSense sitting
    window). Whether a sample lies above the window mean then depends on rounding, and the float64 definition of
    positive_share disagrees with the float32 path on some windows. The reference follows float32 on such ties."""
    rest = (9.63362 + np.random.default_rng(0).normal(0, 2e-6, (50, 80, 3))).astype(np.float32)
    share = [FEATURE_NAMES.index(f"{axis}_positive_share") for axis in "xyz"]
    float32_share = compute_features_float32(rest, FULL)[:, share]
    assert not np.isclose(compute_features_numpy(rest, FULL)[:, share], float32_share).all()
    np.testing.assert_allclose(numpy_reference(rest, FULL)[:, share], float32_share, rtol=1e-7)  # same counts
    # Off the ties (generated windows of moving users), the reference is the float64 definition itself.
    np.testing.assert_array_equal(numpy_reference(generated_windows[:200], FULL)[:, share],
                                  compute_features_numpy(generated_windows[:200], FULL)[:, share])


def test_orientation_features_by_hand():
    """Upside down in the pocket: the same 21 features. Turned any way: the same along/across-gravity series features
    (posture then says which phone axis gravity lies along)."""
    t = np.arange(80) / 20
    bounce = 2.0 * np.sin(2 * np.pi * 2.0 * t)  # 2 Hz along gravity
    sway = 0.5 * np.cos(2 * np.pi * 1.0 * t)  # 1 Hz across gravity
    upright = np.stack([sway, 9.8 + bounce, np.zeros(80)], axis=1)  # (80, 3): gravity along +y
    upside_down = upright * [-1.0, -1.0, 1.0]  # 180 degrees about z
    angle = 0.7
    turn = np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]])
    turned = upright @ turn.T  # tilted 40 degrees about x
    values = compute_features_numpy(np.stack([upright, upside_down, turned]), ORIENTATION)
    names = feature_names(ORIENTATION)
    np.testing.assert_allclose(values[1], values[0], atol=1e-9)
    series = [i for i, name in enumerate(names) if name.startswith(("vertical", "horizontal", "magnitude"))]
    np.testing.assert_allclose(values[2, series], values[0, series], atol=1e-9)
    row = dict(zip(names, values[0], strict=True))
    assert row["vertical_mean"] == pytest.approx(9.8 + bounce.mean())
    assert row["vertical_fft_peak_hz"] == pytest.approx(2.0, abs=20 / 128)
    assert row["horizontal_max"] == pytest.approx(np.abs(sway).max(), abs=1e-3)
    assert (row["posture_x"], row["posture_y"], row["posture_z"]) == pytest.approx((0.0, 1.0, 0.0), abs=1e-3)
    turned_row = dict(zip(names, values[2], strict=True))
    assert turned_row["posture_z"] == pytest.approx(np.sin(angle), abs=1e-3)
    # shape of the 2 Hz, 2 m/s^2 bounce (8 whole periods): symmetric; kurtosis of a sine 1.5, regularised by
    # (var / (var + 0.01))^2 with var = 2; jerk: the 79 differences of the bounce times 20 Hz
    assert row["vertical_skewness"] == pytest.approx(0.0, abs=1e-9)
    assert row["vertical_kurtosis"] == pytest.approx(1.5 * (2 / 2.01) ** 2)
    assert row["vertical_jerk_std"] == pytest.approx(np.std(np.diff(bounce) * 20))
    assert 17.0 < row["vertical_jerk_std"] < 17.5  # ~ 2 A r sin(pi f / r) / sqrt(2) = 17.48 over whole periods


def test_rhythm_features_by_hand():
    """8 s at 20 Hz (160 samples, 256-point FFT). A 2 Hz bounce of amplitude 2 along gravity, 16 whole periods:
    energy sum c^2 = 160 x 2 = 320, and over whole periods r(L) = (160 - L) x 2 cos(2 pi 2 L / 20) / (320 + 160 x
    0.01): largest at L = 10 (one period), smallest at L = 15 (one and a half); the power lies in 1.5-2.5 Hz.
    A window without motion reads 0 everywhere (the floors, not 0/0)."""
    config = dataclasses.replace(ORIENTATION, window_samples=160, fft_length=256)
    t = np.arange(160) / 20
    bounce = 2.0 * np.sin(2 * np.pi * 2.0 * t)
    moving = np.stack([np.zeros(160), 9.8 + bounce, np.zeros(160)], axis=1)
    still = np.tile([0.3, 9.7, 1.1], (160, 1))
    names = feature_names(config)
    for values in (compute_features_numpy(np.stack([moving, still]), config),
                   compute_features_float32(np.stack([moving, still]).astype(np.float32), config)):
        row = dict(zip(names, values[0], strict=True))
        assert row["vertical_acf_max"] == pytest.approx(150 * 2 / 321.6, abs=1e-5)
        assert row["vertical_acf_min"] == pytest.approx(-145 * 2 / 321.6, abs=1e-5)
        assert row["vertical_fft_share_1.5_2.5hz"] > 0.95
        shares = [row[f"vertical_{band}"] for band in BANDS]
        assert sum(shares) < 1 and sum(shares) - row["vertical_fft_share_1.5_2.5hz"] < 0.04
        rhythm = [i for i, name in enumerate(names) if name.endswith(RHYTHM)]
        np.testing.assert_allclose(values[1, rhythm], 0.0, atol=1e-12)  # float64 leaves ~1e-27 of round-off


def build_c_twin(tmp_path: Path, config, mean=None, inv_std=None) -> Path:
    gcc = require_tool("gcc")
    write_config_header(config, tmp_path / "har_config.h", n_features(config))
    write_feature_tables(config, tmp_path / "har_features_tables.h", mean, inv_std)
    exe = tmp_path / "features_host"
    sources = [C_DIR / "features.c", REPO_ROOT / "tests" / "har" / "features_host.c"]
    command = [gcc, *GCC_FLAGS, f"-I{tmp_path}", f"-I{C_DIR}", *map(str, sources), "-lm", "-o", str(exe)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"gcc failed:\n{result.stderr}"
    return exe


# The default, a longer window with a longer FFT and no overlap, and the orientation feature set with the default
# and with MotionSense's window: the C follows the generated headers.
TWIN_CONFIGS = [FULL, dataclasses.replace(FULL, window_samples=100, fft_length=256, overlap_percent=0), ORIENTATION,
                dataclasses.replace(ORIENTATION, window_samples=160, fft_length=256)]


@pytest.mark.parametrize("config", TWIN_CONFIGS, ids=["default", "window100_fft256", "orientation",
                                                      "orientation_window160"])
def test_c_twin_is_bit_identical(tmp_path, generated_records, config):
    generated_windows = cut_windows(generated_records, config).xyz
    reference = compute_features_float32(generated_windows, config)
    mean, inv_std = normalization_constants(reference)
    exe = build_c_twin(tmp_path, config, mean, inv_std)
    (tmp_path / "in.bin").write_bytes(generated_windows.astype("<f4").tobytes())
    subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")], check=True)
    out = np.fromfile(tmp_path / "out.bin", dtype="<f4").reshape(len(generated_windows), 2, n_features(config))
    for got, want, what in ((out[:, 0], reference, "raw"),
                            (out[:, 1], normalize_float32(reference, mean, inv_std), "normalised")):
        differs = np.flatnonzero(got.view(np.uint32).ravel() != want.view(np.uint32).ravel())
        if differs.size:
            first = differs[0]
            window, index = divmod(int(first), n_features(config))
            pytest.fail(f"{what}: first difference window {window} feature {feature_names(config)[index]}: "
                        f"C {got.ravel()[first]!r} vs float32 reference {want.ravel()[first]!r} "
                        f"(numpy {compute_features_numpy(generated_windows[window:window + 1], config)[0, index]!r})")
