"""har/synthetic.py: generated WISDM-format data is deterministic and physically plausible per activity."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from har.config import ACTIVITIES, FULL
from har.data import parse_raw_text, read_arff
from har.features import FEATURE_NAMES, compute_features_numpy
from har.synthetic import NO_QUIRKS, generate_text
from har.windows import cut_windows

# 10 s windows, as the ARFF's rows.
ARFF_LIKE = dataclasses.replace(FULL, window_samples=200, fft_length=256)


@pytest.fixture(scope="module")
def generated_medians():
    """Median of each of our features per activity, over generated 10 s windows of 6 users."""
    records = parse_raw_text(generate_text(seed=11, n_users=6, seconds_per_activity=60, quirks=NO_QUIRKS)[0])
    windows = cut_windows(records, ARFF_LIKE)
    features = compute_features_numpy(windows.xyz, ARFF_LIKE)
    return {(activity, name): float(np.median(features[windows.activity == i, FEATURE_NAMES.index(name)]))
            for i, activity in enumerate(ACTIVITIES) for name in FEATURE_NAMES}


def test_same_seed_same_bytes():
    assert generate_text(5, 2, 10) == generate_text(5, 2, 10)
    assert generate_text(5, 2, 10)[0] != generate_text(6, 2, 10)[0]


def test_gait_frequency_and_posture(generated_medians):
    median = generated_medians.__getitem__
    # The dominant frequency is the step rate (walking ~1.9 Hz, jogging ~2.8 Hz, per user +-12 %).
    assert 1.4 < median(("Walking", "y_fft_peak_hz")) < 2.4
    assert 2.2 < median(("Jogging", "y_fft_peak_hz")) < 3.4
    # Standing: gravity along y (upright phone in a pocket); sitting: mostly along z (thigh horizontal).
    assert median(("Standing", "y_mean")) > 8.5 and median(("Sitting", "z_mean")) > 7.0


def test_levels_resemble_the_real_arff(generated_medians, wisdm_arff):
    """Per activity, mean |a| within 20 % and y-axis std within a factor 1.5 of the real data's medians."""
    table = read_arff(wisdm_arff)
    for i, activity in enumerate(ACTIVITIES):
        rows = table.features[table.activity == i]
        real_magnitude = np.nanmedian(rows[:, table.feature_names.index("RESULTANT")])
        real_y_std = np.nanmedian(rows[:, table.feature_names.index("YSTANDDEV")])
        ours_magnitude = generated_medians[(activity, "magnitude_mean")]
        ours_y_std = generated_medians[(activity, "y_std")]
        assert abs(ours_magnitude / real_magnitude - 1) < 0.2, (activity, ours_magnitude, real_magnitude)
        assert 1 / 1.5 < ours_y_std / real_y_std < 1.5, (activity, ours_y_std, real_y_std)
