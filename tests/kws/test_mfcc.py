"""kws/mfcc.py against CMSIS-DSP (the `cmsisdsp` package runs the real C code), and its C twin mfcc.c."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kws import mfcc
from kws.config import FULL, TEXTBOOK
from kws.window import extract_windows
from shared.cli import UserError
from tests.kws.conftest import CMN_MFCC, RAW_MFCC, run_twin

cmsisdsp = pytest.importorskip("cmsisdsp")
cmsis_datatype = pytest.importorskip("cmsisdsp.datatype")
cmsis_tables = pytest.importorskip("cmsisdsp.mfcc")

PROFILES = [FULL, TEXTBOOK, dataclasses.replace(FULL, n_fft=512, hop_samples=256, n_mels=40, n_mfcc=20,
                                                fmin_hz=50.0, fmax_hz=3900.0, window_type="hann")]


def cmsis_mfcc(frames: np.ndarray, cfg) -> np.ndarray:
    """arm_mfcc_f32 from the cmsisdsp package, frame by frame: float32 (..., n_fft) -> (..., n_mfcc)."""
    tables = mfcc.make_tables(cfg)
    instance = cmsisdsp.arm_mfcc_instance_f32()
    status = cmsisdsp.arm_mfcc_init_f32(instance, cfg.n_fft, cfg.n_mels, cfg.n_mfcc, tables.dct, tables.filter_pos,
                                        tables.filter_len, tables.filter_coefs, tables.window)
    assert status == 0
    # 2*n_fft: arm_mfcc_f32 reads that much of the scratch buffer (see firmware/apps/kws/mfcc.c)
    scratch = np.zeros(2 * cfg.n_fft, dtype=np.float32)
    flat = frames.reshape(-1, cfg.n_fft)
    out = np.array([cmsisdsp.arm_mfcc_f32(instance, frame.copy(), scratch) for frame in flat], dtype=np.float32)
    return out.reshape(*frames.shape[:-1], cfg.n_mfcc)


def assert_close_to_range(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    """max |actual - expected| <= 1e-5 x the feature range: float32 FFTs of two libraries differ in round-off."""
    feature_range = float(expected.max() - expected.min())
    error = float(np.abs(actual - expected).max())
    assert error <= 1e-5 * max(feature_range, 1.0), f"{what}: max abs error {error:.3g}, range {feature_range:.3g}"


@pytest.mark.parametrize("cfg", PROFILES, ids=["full", "textbook", "512-hann"])
def test_tables_equal_cmsis_generator(cfg):
    tables = mfcc.make_tables(cfg)
    F32 = cmsis_datatype.F32
    lengths, positions, coefs = cmsis_tables.melFilterMatrix(F32, cfg.fmin_hz, cfg.fmax_hz, cfg.n_mels,
                                                              cfg.sample_rate_hz, cfg.n_fft)
    np.testing.assert_array_equal(tables.filter_len, lengths)
    np.testing.assert_array_equal(tables.filter_pos, positions)
    np.testing.assert_array_equal(tables.filter_coefs, coefs)
    np.testing.assert_array_equal(tables.dct, cmsis_tables.dctMatrix(F32, cfg.n_mfcc, cfg.n_mels))
    for k in range(cfg.n_mels):  # the dense matrix the numpy side multiplies with holds the same filters
        column = tables.mel_dense[:, k]
        np.testing.assert_array_equal(column[positions[k] : positions[k] + lengths[k]],
                                      coefs[sum(lengths[:k]) : sum(lengths[: k + 1])])
        assert np.count_nonzero(column) == lengths[k]


@pytest.mark.parametrize("cfg", PROFILES, ids=["full", "textbook", "512-hann"])
def test_mel_bands_hold_every_filter_weight(cfg):
    """The banded mel product reads every nonzero weight of the dense matrix, each filter in exactly one band."""
    tables = mfcc.make_tables(cfg)
    rebuilt = np.zeros_like(tables.mel_dense)
    for band in tables.mel_bands:
        assert not rebuilt[:, band.filters].any(), "a filter in two bands"
        rebuilt[band.bins, band.filters] = band.weights
    np.testing.assert_array_equal(rebuilt, tables.mel_dense)
    assert len(tables.mel_bands) == mfcc.MEL_GROUPS


def test_impossible_filter_banks_are_refused():
    with pytest.raises(UserError, match="covers no FFT bin"):
        mfcc.make_tables(dataclasses.replace(FULL, n_mels=200, n_mfcc=13))


@pytest.mark.parametrize("cfg", PROFILES, ids=["full", "textbook", "512-hann"])
def test_numpy_matches_cmsis_on_real_clips(cfg, real_clips):
    windows = extract_windows(real_clips[::4], cfg)
    frames = mfcc.frame_windows(windows, cfg)
    ours = mfcc.mfcc_frames(frames, mfcc.make_tables(cfg))
    assert ours.shape == (len(windows), *cfg.input_shape) and ours.dtype == np.float32
    assert_close_to_range(ours, cmsis_mfcc(frames, cfg), "real FSDD clips")


def edge_case_windows(cfg) -> dict[str, np.ndarray]:
    t = np.arange(cfg.window_samples) / cfg.sample_rate_hz
    return {
        "silence": np.zeros(cfg.window_samples, dtype=np.int16),
        "full-scale clipping": np.clip(np.round(4 * 32767 * np.sin(2 * np.pi * 300 * t)), -32768, 32767),
        # 440 Hz lies between FFT bins. A tone exactly on a bin (1 kHz = bin 32) is ill-posed for this comparison:
        # with the periodic Hamming window its far bins are exactly 0 in exact arithmetic, so each library's float32
        # round-off (~1e-7 of the peak) is all those mel bands hold, and ln() of round-off differs by O(1).
        "pure tone 440 Hz": np.round(16000 * np.sin(2 * np.pi * 440 * t)),
        "one LSB of noise": np.random.default_rng(1).integers(-1, 2, cfg.window_samples),
        "single click": np.eye(1, cfg.window_samples, cfg.window_samples // 2)[0] * -32768,
    }


@pytest.mark.parametrize("name", list(edge_case_windows(FULL)))
def test_numpy_matches_cmsis_on_edge_cases(name):
    frames = mfcc.frame_windows(edge_case_windows(FULL)[name].astype(np.int16)[None], FULL)
    ours = mfcc.mfcc_frames(frames, mfcc.make_tables(FULL))
    assert np.isfinite(ours).all()
    assert_close_to_range(ours, cmsis_mfcc(frames, FULL), name)


def test_cepstral_mean_normalisation_and_lifter():
    features = np.arange(2 * 4 * 3, dtype=np.float32).reshape(2, 4, 3)  # (clips, frames, coefficients)
    active = np.array([[True, True, True, False], [False, False, False, False]])
    out = mfcc.subtract_cepstral_mean(features, active)
    np.testing.assert_array_equal(out[0, :3], features[0, :3] - features[0, 1])  # mean of 3 frames = middle one
    assert not out[0, 3].any() and not out[1].any()  # inactive frames are zeroed; no active frame: all zero
    windows = np.zeros((2, FULL.window_samples), dtype=np.int16)
    windows[:, 3000:5000] = np.random.default_rng(2).integers(-3000, 3000, (2, 2000))
    raw = mfcc.compute_mfcc(windows, dataclasses.replace(FULL, cmn=False, lifter=0))
    frames = mfcc.frame_windows(windows, FULL)
    expected = mfcc.subtract_cepstral_mean(raw, np.any(frames != 0, axis=-1)) * mfcc.lifter_weights(FULL)
    np.testing.assert_array_equal(mfcc.compute_mfcc(windows, CMN_MFCC), expected)
    lifter = mfcc.lifter_weights(FULL)
    assert lifter[0] == 1.0 and abs(lifter[11] - 12.0) < 1e-6  # 1 + 11 sin(pi/2)


def test_c_twin_matches_cmsis_package_and_numpy(raw_twin_exe, twin_exe, real_clips):
    """Host gcc build of mfcc.c + CMSIS-DSP (-ffp-contract=off, the device's flags) vs the cmsisdsp package and numpy.

    Not bit-exact against the package: its setup.py builds the same C code with -O3 -ffast-math, which reorders
    float32 sums. Bit-exactness is claimed between this host build and the Cortex-M build (same flags, both with
    -ffp-contract=off: GCC's default fuses multiply-adds on the M7 and the last 1-6 ulps differ).
    1. arm_mfcc_f32 part (RAW_MFCC build): C vs the cmsisdsp package, real clips and edge cases.
    2. the steps after it (CMN_MFCC build): C vs numpy's mean normalisation and lifter applied to the C's own raw MFCC.
    3. end to end: C vs numpy on real clips. (Not on a steady tone: after the mean is removed its features are
       tiny differences of large numbers, so the round-off of two FFT libraries is no longer small beside them.)
    """
    clips = real_clips + [w.astype(np.int16) for w in edge_case_windows(FULL).values()]
    _, windows, c_raw = run_twin(raw_twin_exe, clips, RAW_MFCC)
    reference = cmsis_mfcc(mfcc.frame_windows(windows, FULL), FULL)
    for clip in range(len(clips)):
        assert_close_to_range(c_raw[clip], reference[clip], f"C twin vs cmsisdsp, clip {clip}")
    _, _, c_features = run_twin(twin_exe, clips, CMN_MFCC)
    active = np.any(mfcc.frame_windows(windows, FULL) != 0, axis=-1)
    post = mfcc.subtract_cepstral_mean(c_raw, active) * mfcc.lifter_weights(CMN_MFCC)
    np.testing.assert_allclose(c_features, post, rtol=0, atol=1e-5 * float(post.max() - post.min()),
                               err_msg="mean normalisation + lifter: C vs numpy on the same raw MFCC")
    ours = mfcc.compute_mfcc(windows[: len(real_clips)], CMN_MFCC)
    for clip in range(len(real_clips)):
        assert_close_to_range(ours[clip], c_features[clip], f"numpy vs C twin, clip {clip}")


def test_generated_tables_are_deterministic(tmp_path):
    first = mfcc.write_tables_c(FULL, tmp_path / "a")
    second = mfcc.write_tables_c(FULL, tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
    c_text = first[0].read_text()
    assert "kws_mfcc_filter_coefs" in c_text and "Do not edit" in c_text


ODD_CONFIGS = {
    "512/160": dataclasses.replace(FULL, n_fft=512, hop_samples=160, n_mels=40, n_mfcc=20, fmax_hz=3900.0),
    "cmn-on": dataclasses.replace(FULL, cmn=True),
    "start": dataclasses.replace(FULL, window_rule="start"),
    "hop-100": dataclasses.replace(FULL, hop_samples=100),
}


@pytest.mark.parametrize("cfg", PROFILES + list(ODD_CONFIGS.values()), ids=["full", "textbook", "512-hann",
                                                                            *ODD_CONFIGS])
def test_compute_mfcc_matches_cmsis_on_real_clips(cfg, real_clips):
    """compute_mfcc's own path (int16 frames) with CMN and lifter off is arm_mfcc_f32's output."""
    windows = extract_windows(real_clips[::2], cfg)
    ours = mfcc.compute_mfcc(windows, dataclasses.replace(cfg, cmn=False, lifter=0))
    assert_close_to_range(ours, cmsis_mfcc(mfcc.frame_windows(windows, cfg), cfg), "compute_mfcc, real FSDD clips")


def test_compute_mfcc_matches_cmsis_on_edge_cases():
    windows = np.stack([w.astype(np.int16) for w in edge_case_windows(FULL).values()])
    ours = mfcc.compute_mfcc(windows, RAW_MFCC)
    reference = cmsis_mfcc(mfcc.frame_windows(windows, FULL), FULL)
    for clip, name in enumerate(edge_case_windows(FULL)):
        assert np.isfinite(ours[clip]).all()
        assert_close_to_range(ours[clip], reference[clip], f"compute_mfcc, {name}")


@pytest.mark.parametrize("cfg", [FULL, TEXTBOOK, *ODD_CONFIGS.values(), dataclasses.replace(FULL, n_fft=64,
                                                                                            hop_samples=3)])
def test_frame_peaks_are_the_largest_magnitude_of_each_frame(cfg):
    rng = np.random.default_rng(4)
    windows = np.zeros((200, cfg.window_samples), dtype=np.int16)
    for clip in windows:  # a few isolated samples, so that frame edges matter
        count = rng.integers(0, 4)
        clip[rng.integers(0, cfg.window_samples, count)] = rng.choice([-32768, -1, 1, 7, 32767], count)
    expected = np.max(np.abs(mfcc.frame_windows(windows, cfg).astype(np.float64)), axis=-1) * 32768
    np.testing.assert_array_equal(mfcc.frame_peaks(windows, cfg), expected)


@pytest.mark.parametrize("cfg", [FULL, TEXTBOOK, *ODD_CONFIGS.values()], ids=["full", "textbook", *ODD_CONFIGS])
def test_compute_mfcc_gives_the_bits_of_the_float_path(cfg, real_clips):
    """compute_mfcc (int16 frames times the window scaled by 2^-15) == mfcc_frames on the scaled float frames."""
    windows = np.concatenate([extract_windows(real_clips[::3], cfg),
                              np.stack([w.astype(np.int16) for w in edge_case_windows(cfg).values()])])
    raw = mfcc.compute_mfcc(windows, dataclasses.replace(cfg, cmn=False, lifter=0))
    np.testing.assert_array_equal(raw, mfcc.mfcc_frames(mfcc.frame_windows(windows, cfg), mfcc.make_tables(cfg)))


@pytest.mark.parametrize("cfg", [FULL, *ODD_CONFIGS.values()], ids=["full", *ODD_CONFIGS])
def test_compute_mfcc_is_cmn_and_lifter_on_the_raw_mfcc(cfg, real_clips):
    windows = extract_windows(real_clips[:5], cfg)
    windows[1] = 0
    windows[2, : cfg.window_samples // 2] = 0
    raw = mfcc.compute_mfcc(windows, dataclasses.replace(cfg, cmn=False, lifter=0))
    if cfg.cmn:
        raw = mfcc.subtract_cepstral_mean(raw, np.any(mfcc.frame_windows(windows, cfg) != 0, axis=-1))
    np.testing.assert_array_equal(mfcc.compute_mfcc(windows, cfg), raw * mfcc.lifter_weights(cfg))


def test_thread_count_does_not_change_compute_mfcc(real_clips):
    clips = real_clips * 4  # 160 windows: several chunks
    windows = extract_windows(clips, FULL)
    one = mfcc.compute_mfcc(windows, FULL, threads=1)
    for threads in (2, 3, None):
        np.testing.assert_array_equal(mfcc.compute_mfcc(windows, FULL, threads=threads), one)
    np.testing.assert_array_equal(mfcc.compute_mfcc(windows[37:], FULL, threads=2), one[37:])  # chunks shifted
