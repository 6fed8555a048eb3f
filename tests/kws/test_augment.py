"""kws/augment.py: waveform augmentation is seeded and keeps the window shape; the feature time mask."""

from __future__ import annotations

import dataclasses

import numpy as np

from kws.augment import augmented_windows, change_speed, feature_augmenter, shift_window
from kws.config import FULL, QUICK


def test_augmented_windows_are_seeded_int16_windows():
    rng = np.random.default_rng(0)
    clips = [rng.integers(-2000, 2000, n).astype(np.int16) for n in (3000, 9000, 10)]
    first = augmented_windows(clips, FULL, seed=4)
    assert first.shape == (FULL.augment_copies * 3, FULL.window_samples) and first.dtype == np.int16
    np.testing.assert_array_equal(first, augmented_windows(clips, FULL, seed=4))
    assert not np.array_equal(first, augmented_windows(clips, FULL, seed=5))
    assert augmented_windows(clips, QUICK, seed=4).shape == (0, FULL.window_samples)  # QUICK: no copies


def test_shift_and_speed():
    window = np.arange(1, 11, dtype=np.int16)
    np.testing.assert_array_equal(shift_window(window, 3), [0, 0, 0, 1, 2, 3, 4, 5, 6, 7])
    np.testing.assert_array_equal(shift_window(window, -2), [3, 4, 5, 6, 7, 8, 9, 10, 0, 0])
    assert len(change_speed(np.zeros(1000), 1.25)) == 800 and len(change_speed(np.zeros(1000), 0.8)) == 1250


def test_feature_time_mask():
    assert feature_augmenter(dataclasses.replace(FULL, time_mask_frames=0)) is None
    augment = feature_augmenter(dataclasses.replace(FULL, time_mask_frames=5))
    batch = np.ones((50, *FULL.input_shape, 1), dtype=np.float32)
    out = augment(batch.copy(), np.random.default_rng(1))
    zeroed_frames = (out == 0).all(axis=(2, 3)).sum(axis=1)  # per clip
    assert zeroed_frames.max() <= 5 and zeroed_frames.sum() > 0
    assert ((out == 0) | (out == 1)).all()
