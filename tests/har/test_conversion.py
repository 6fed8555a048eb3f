"""har/conversion.py: Core Motion -> WISDM units, sign and axes (on physics and on the real data), resampling."""

from __future__ import annotations

import numpy as np
import pytest

from har.config import ACTIVITIES
from har.conversion import STANDARD_GRAVITY, coremotion_to_wisdm, resample
from har.motionsense import find_source, integrity_notes, load_motionsense

G0 = 9.80665


def test_phone_flat_screen_up_reads_plus_z():
    """Core Motion: screen up, gravity.z = -1 g. Android: +9.81 m/s^2 on z. The 180-degree turn about z keeps z."""
    np.testing.assert_allclose(coremotion_to_wisdm(np.array([[0.0, 0.0, -1.0]])), [[0.0, 0.0, G0]])


def test_phone_top_down_becomes_top_up():
    """MotionSense's pocket placement (top down: gravity.y = +1 g) is WISDM's upright placement, y = +9.81."""
    np.testing.assert_allclose(coremotion_to_wisdm(np.array([[0.0, 1.0, 0.0]])), [[0.0, G0, 0.0]])


def test_conversion_is_a_rotation_of_the_specific_force():
    """Android = -g0 * Core Motion, then a proper rotation (det +1): lengths are kept, handedness too."""
    rng = np.random.default_rng(0)
    cm = rng.normal(0, 1, (100, 3))
    wisdm = coremotion_to_wisdm(cm)
    np.testing.assert_allclose(np.linalg.norm(wisdm, axis=1), G0 * np.linalg.norm(cm, axis=1))
    basis = coremotion_to_wisdm(-np.eye(3)) / STANDARD_GRAVITY  # the rotation applied after the sign change
    assert np.linalg.det(basis) == pytest.approx(1.0)


@pytest.fixture(scope="module")
def real_data(shared_data):
    return load_motionsense(find_source(shared_data, download=False))


@pytest.fixture(scope="module")
def real_trials(real_data):
    return real_data.trials


def test_real_copy_has_the_documented_rows(real_data):
    """SOURCE.md: 300 CSVs, 1,182,344 rows for subjects 1-20; nothing dropped; no integrity note beyond the first."""
    assert len(real_data.trials) == 300 and real_data.rows == 1_182_344 and real_data.skipped == {}
    assert integrity_notes(real_data) == integrity_notes(real_data)[:1]


def _mean_xyz(trials, activity: str) -> np.ndarray:
    return np.array([t.xyz.mean(axis=0) for t in trials if ACTIVITIES[t.activity] == activity])


def test_standing_on_real_data(real_trials):
    """Standing: |a| is 1 g in every trial; the upright axis y is positive as in WISDM in 39 of 40 trials (subject 5
    put the phone in top up for std_14: y = -9.8 m/s^2 there; the data is kept as recorded)."""
    standing = [t for t in real_trials if ACTIVITIES[t.activity] == "Standing"]
    assert len(standing) == 40
    for trial in standing:
        magnitude = np.linalg.norm(trial.xyz, axis=1)
        assert abs(np.median(magnitude) - G0) < 0.25, (trial.name, trial.subject, np.median(magnitude))
    upright = [(t.name, t.subject) for t in standing if t.xyz[:, 1].mean() > 8.5]
    assert len(upright) == 39 and ("std_14", 5) not in upright


def test_sitting_and_walking_signs_match_wisdm(real_trials):
    """WISDM's ARFF (Android, phones top up): sitting ZAVG +6.3 m/s^2 on average, walking YAVG +8.6. MotionSense
    after conversion: seated, z positive for most subjects (the screen faces the same way); walking, y positive in
    59 of 60 trials (subject 7's wlk_15: phone top up, y = -9.7)."""
    sitting_z = _mean_xyz(real_trials, "Sitting")[:, 2]
    walking_y = _mean_xyz(real_trials, "Walking")[:, 1]
    assert np.median(sitting_z) > 4.0 and np.mean(sitting_z > 0) > 0.6
    assert np.sum(walking_y > 5.0) == 59


def test_resampled_sine_keeps_frequency_and_amplitude():
    rate_in, rate_out, seconds = 50, 20, 20
    t_in = np.arange(rate_in * seconds) / rate_in
    signal = 9.8 + 2.0 * np.sin(2 * np.pi * 1.7 * t_in)  # gait-like 1.7 Hz on a gravity offset
    out = resample(signal[:, None], rate_in, rate_out)[:, 0]
    assert len(out) == rate_out * seconds
    t_out = np.arange(len(out)) / rate_out
    expected = 9.8 + 2.0 * np.sin(2 * np.pi * 1.7 * t_out)
    np.testing.assert_allclose(out[5:-5], expected[5:-5], atol=0.02)
    np.testing.assert_allclose(out, expected, atol=0.15)  # the first and last 0.25 s: "line" padding, not zeros
    spectrum = np.abs(np.fft.rfft(out - out.mean()))
    assert np.argmax(spectrum) * rate_out / len(out) == pytest.approx(1.7, abs=rate_out / len(out))


def test_above_new_nyquist_is_removed_not_folded():
    """15 Hz at 50 Hz would alias to 5 Hz at 20 Hz without the anti-aliasing filter."""
    t = np.arange(50 * 20) / 50
    out = resample(np.sin(2 * np.pi * 15 * t)[:, None], 50, 20)[:, 0]
    assert np.abs(out[20:-20]).max() < 0.02


def test_rate_up_and_same():
    signal = np.random.default_rng(1).normal(0, 1, (100, 3))
    np.testing.assert_array_equal(resample(signal, 50, 50), signal)
    assert resample(signal, 50, 100).shape == (200, 3)
