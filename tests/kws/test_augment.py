"""kws/augment.py: waveform augmentation is seeded and keeps the window shape; the feature transforms."""

from __future__ import annotations

import dataclasses

import numpy as np

from kws.augment import (
    augmented_windows,
    change_speed,
    change_tempo,
    channel_spread,
    coloured_noise,
    feature_augmenter,
    shift_window,
    silent_frame,
    sound_frames,
)
from kws.config import FULL, QUICK
from kws.mfcc import compute_mfcc


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


def test_feature_time_mask_silences_frames():
    off = dataclasses.replace(FULL, time_mask_frames=0, channel_colour=0.0, level_db=0.0, tempo_max=0.0)
    assert feature_augmenter(off, np.ones((2, *off.input_shape, 1), dtype=np.float32)) is None
    for cmn in (True, False):
        cfg = dataclasses.replace(off, time_mask_frames=5, cmn=cmn)
        silent = silent_frame(cfg)
        assert (silent == 0).all() == cmn  # mean normalisation sets zero-padded frames to 0
        batch = np.ones((50, *cfg.input_shape, 1), dtype=np.float32)
        out = feature_augmenter(cfg, batch)(batch.copy(), np.random.default_rng(1))
        masked = (out[..., 0] == silent).all(axis=2)  # (clips, frames)
        assert masked.sum(axis=1).max() <= 5 and masked.sum() > 0
        assert (out[..., 0][~masked] == 1).all()


def speech_features(cfg, seed: int = 0, clips: int = 12) -> np.ndarray:
    """Features of windows with noise bursts in the middle and zero padding around them: (clips, frames, n_mfcc, 1)."""
    rng = np.random.default_rng(seed)
    windows = np.zeros((clips, cfg.window_samples), dtype=np.int16)
    windows[:, 3000:5000] = rng.normal(0, 1, (clips, 2000)) * rng.uniform(300, 3000, (clips, 1))
    return compute_mfcc(windows, cfg)[..., None]


def test_channel_colour_and_level_move_only_frames_with_sound():
    cfg = dataclasses.replace(FULL, cmn=False, channel_colour=1.0, level_db=10.0, time_mask_frames=0, tempo_max=0.0)
    x = speech_features(cfg)
    out = feature_augmenter(cfg, x)(x.copy(), np.random.default_rng(2))
    sound = sound_frames(x, silent_frame(cfg))
    assert 0 < sound.sum() < sound.size
    np.testing.assert_array_equal(out[~sound], x[~sound])  # zero padding stays silence
    offsets = (out - x)[..., 0]  # one offset vector per clip, the same on every sound frame
    first = offsets[np.arange(len(x)), sound.argmax(axis=1)]
    np.testing.assert_allclose(np.where(sound[..., None], offsets, first[:, None, :]), np.broadcast_to(
        first[:, None, :], offsets.shape), atol=1e-4)
    assert np.abs(first[:, 0]).max() <= 10.0 * np.sqrt(2 * cfg.n_mels) * np.log(10) / 20 + 1e-4  # level: c0 only
    assert (np.abs(first[:, 1:]) > 0).all()  # colour: every other coefficient


def test_level_offset_is_what_a_gain_does_to_c0():
    """c0 of a clip played 10 dB louder (int16, no clipping) minus c0 of the clip == the level offset per dB x 10."""
    cfg = dataclasses.replace(FULL, cmn=False)
    rng = np.random.default_rng(3)
    quiet = np.zeros((1, cfg.window_samples), dtype=np.int16)
    quiet[0, 2000:6000] = rng.normal(0, 300, 4000)
    loud = np.round(quiet * 10 ** 0.5).astype(np.int16)
    gained = compute_mfcc(loud, cfg)[0] - compute_mfcc(quiet, cfg)[0]
    sound = sound_frames(compute_mfcc(quiet, cfg), silent_frame(cfg))[0]
    per_db = np.sqrt(2 * cfg.n_mels) * np.log(10) / 20
    np.testing.assert_allclose(gained[sound, 0], 10 * per_db, atol=0.05)  # rounding to int16 moves it a little
    assert np.abs(gained[sound, 1:]).max() < 0.05


def test_channel_spread_is_the_spread_of_clip_means():
    cfg = dataclasses.replace(FULL, cmn=False)
    x = speech_features(cfg, clips=20)
    sound = sound_frames(x, silent_frame(cfg))
    means = np.array([clip[mask].mean(axis=0) for clip, mask in zip(x[..., 0], sound, strict=True)])
    np.testing.assert_allclose(channel_spread(x, cfg), means.std(axis=0), rtol=1e-4)


def test_change_tempo_stretches_about_the_centre_and_fills_with_silence():
    frames = np.arange(10, dtype=np.float32)[None, :, None].repeat(2, axis=2)  # frame value = its index
    silent = np.full(2, -1.0, dtype=np.float32)
    np.testing.assert_array_equal(change_tempo(frames, silent, np.zeros(1)), frames)
    slower = change_tempo(frames, silent, np.log([2.0]))[0, :, 0]  # twice as slow: half the frames, spread out
    np.testing.assert_allclose(slower, 4.5 + (np.arange(10) - 4.5) / 2)
    faster = change_tempo(frames, silent, np.log([0.5]))[0, :, 0]  # twice as fast: the rest is silence
    np.testing.assert_allclose(faster, [-1, -1, -1, 1.5, 3.5, 5.5, 7.5, -1, -1, -1])


def test_coloured_noise_has_unit_power_and_its_pole_moves_energy_down():
    rng = np.random.default_rng(6)
    white, rumble = coloured_noise(16000, 0.0, rng), coloured_noise(16000, 0.98, rng)
    for noise in (white, rumble):
        assert abs(np.mean(noise * noise) - 1) < 1e-9
    def low_share(x):  # share of the power below 200 Hz at 8 kHz
        power = np.abs(np.fft.rfft(x)) ** 2
        return power[: len(power) * 200 // 4000].sum() / power.sum()

    assert low_share(white) < 0.1 < 0.5 < low_share(rumble)
    assert len(coloured_noise(0, 0.5, rng)) == 0
