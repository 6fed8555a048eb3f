"""har/windows.py: windows stay inside one user+activity+time segment; splits share no user."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from har.config import FULL
from har.data import RawRecords
from har.windows import cut_windows, segment_bounds, split_users
from shared.cli import UserError

PERIOD_NS = 50_000_000


def records_from_segments(segments: list[tuple[int, int, int, int]]) -> RawRecords:
    """Records from (user, activity, n_samples, pause_ns before the segment) with 50 ms steps."""
    users, activities, stamps = [], [], []
    clock = 10**12
    for user, activity, n, pause_ns in segments:
        clock += pause_ns
        stamps.extend(clock + PERIOD_NS * np.arange(n))
        clock = stamps[-1]
        users += [user] * n
        activities += [activity] * n
    n = len(users)
    xyz = np.arange(3 * n, dtype=np.float32).reshape(n, 3)
    return RawRecords(np.array(users, np.int16), np.array(activities, np.int8), np.array(stamps, np.int64), xyz)


def test_windows_never_cross_user_activity_or_gap():
    records = records_from_segments([
        (1, 0, 200, 0),
        (1, 1, 100, PERIOD_NS),  # activity change
        (2, 1, 130, PERIOD_NS),  # user change
        (2, 1, 90, 2 * 10**9),  # same user and activity after a 2 s gap
        (2, 1, 79, PERIOD_NS),  # too short for a window... but contiguous with the previous one
        (3, 2, 85, -5 * 10**9),  # clock went backwards
    ])
    bounds = segment_bounds(records, FULL.max_gap_ms)
    assert [end - begin for begin, end in bounds] == [200, 100, 130, 90 + 79, 85]
    windows = cut_windows(records, FULL)
    # floor((L - 80) / 40) + 1 windows per segment of length L.
    assert len(windows) == 4 + 1 + 2 + 3 + 1
    for start in windows.start:
        span = slice(start, start + FULL.window_samples)
        assert len(set(records.user[span])) == 1 and len(set(records.activity[span])) == 1
        steps = np.diff(records.timestamp_ns[span])
        assert (steps >= 0).all() and (steps <= FULL.max_gap_ms * 1e6).all()
        np.testing.assert_array_equal(windows.xyz[list(windows.start).index(start)], records.xyz[span])


def test_overlap_and_length_are_configurable():
    records = records_from_segments([(1, 0, 200, 0)])
    config = dataclasses.replace(FULL, window_samples=50, overlap_percent=0)
    assert cut_windows(records, config).start.tolist() == [0, 50, 100, 150]
    config = dataclasses.replace(FULL, window_samples=100, overlap_percent=75)
    assert cut_windows(records, config).start.tolist() == [0, 25, 50, 75, 100]


def test_subject_split_shares_no_user():
    users = np.repeat(np.arange(1, 37), 5)
    masks = split_users(users, FULL)
    sets = {name: set(users[mask].tolist()) for name, mask in masks.items()}
    assert sets["test"] == set(range(29, 37)) and sets["val"] == set(range(25, 29))
    assert not (sets["train"] & sets["test"]) and not (sets["train"] & sets["val"]) and not (sets["val"] & sets["test"])
    assert masks["train"].sum() + masks["val"].sum() + masks["test"].sum() == len(users)


def test_leave_one_subject_out():
    users = np.repeat(np.arange(1, 37), 5)
    masks = split_users(users, dataclasses.replace(FULL, split="loso", holdout_user=26))
    assert set(users[masks["test"]].tolist()) == {26}
    assert set(users[masks["val"]].tolist()) == {25, 27, 28}
    assert 26 not in set(users[masks["train"]].tolist())


def test_empty_split_is_refused():
    with pytest.raises(UserError, match="split is empty"):
        split_users(np.arange(1, 10), FULL)


def test_bad_config_is_a_user_error():
    with pytest.raises(UserError, match="fft_length"):
        dataclasses.replace(FULL, fft_length=100)
    with pytest.raises(UserError, match="overlap"):
        dataclasses.replace(FULL, overlap_percent=100)
