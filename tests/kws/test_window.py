"""kws/window.py (the fixed-length rule) and its C twin firmware/apps/kws/window.c: bit-exact."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kws.config import FULL, TEXTBOOK
from kws.window import extract_window, extract_windows, window_start
from tests.kws.conftest import run_twin


def test_short_clip_stays_whole_and_centred_on_its_peak():
    pcm = np.zeros(3000, dtype=np.int16)
    pcm[2000:2128] = 1000  # block 15 (1920..2047) holds 48 loud samples, block 16 (2048..2175) 80: block 16 wins
    start = window_start(pcm, FULL)
    assert start == 16 * 128 + 64 - FULL.window_samples // 2  # -1888: within [-(8000 - 3000), 0], so not moved
    window = extract_window(pcm, FULL)
    assert window.shape == (FULL.window_samples,) and window.dtype == np.int16
    np.testing.assert_array_equal(window[-start : -start + 3000], pcm)
    assert np.count_nonzero(window) == 128
    late = np.zeros(7000, dtype=np.int16)
    late[-10:] = 50  # peak at the very end (centre 6976 wants start 2976): moved back until the whole clip fits
    assert window_start(late, FULL) == 0


def test_long_clip_keeps_the_peak_centred():
    pcm = np.ones(20000, dtype=np.int16)
    pcm[10000:10128] = 3000  # block 78 (9984..10111) holds 112 loud samples, block 79 only 16
    assert window_start(pcm, FULL) == 78 * 128 + 64 - 4000
    pcm[:128] = 5000  # now the first block is loudest: the window cannot start before 0
    assert window_start(pcm, FULL) == 0


def test_empty_and_textbook_rule():
    assert not extract_window(np.zeros(0, dtype=np.int16), FULL).any()
    pcm = np.arange(5000, dtype=np.int16)
    np.testing.assert_array_equal(extract_window(pcm, TEXTBOOK), pcm[:2048])


def test_rejects_non_int16():
    with pytest.raises(ValueError, match="int16"):
        extract_window(np.zeros(10, dtype=np.float32), FULL)


def test_c_twin_picks_the_same_samples(twin_exe, real_clips):
    rng = np.random.default_rng(0)
    edge_cases = [np.zeros(0, np.int16), np.zeros(1, np.int16), np.full(127, -32768, np.int16),
                  rng.integers(-32768, 32768, 9000).astype(np.int16), rng.integers(-5, 5, 8001).astype(np.int16),
                  np.full(12000, 32767, np.int16)]
    clips = real_clips + edge_cases
    starts, windows, _ = run_twin(twin_exe, clips, FULL)
    expected_starts = np.array([window_start(c, FULL) for c in clips])
    bad = np.flatnonzero(starts != expected_starts)[:1]
    assert bad.size == 0, f"clip {bad}: C start {starts[bad]}, Python {expected_starts[bad]}"
    np.testing.assert_array_equal(windows, extract_windows(clips, FULL))


def test_window_rule_is_configurable():
    cfg = dataclasses.replace(FULL, window_samples=4000, energy_block_samples=64)
    pcm = np.zeros(6000, dtype=np.int16)
    pcm[5000:5064] = 100  # block 78 -> centre 78*64+32 = 5024 -> start 3024, clamped to n - W = 2000
    assert window_start(pcm, cfg) == 2000
