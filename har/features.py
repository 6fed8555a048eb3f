"""HAR features of one window, defined once and computed three ways that agree.

Input: a window of N = window_samples samples, x/y/z interleaved, m/s^2 (N, 3) float32. Output: 27 float32
(feature_set "axes"), or 41 (feature_set "orientation", below).
Per axis a in x, y, z (8 each, in this order), with v the axis samples and F = fft_length:
    mean            sum(v) / N
    std             sqrt(sum((v - mean)^2) / N)                 (ddof = 0: population standard deviation)
    positive_share  count(v - mean > 0) / N                     (share of samples above the window mean)
    min, max        smallest and largest sample
    fft_peak_hz     k* x sample_rate / F, where k* = the first k in 1..F/2 with the largest |X_k|
    fft_peak_amp    |X_k*| x 2 / N                              (a sine of amplitude A on a bin gives A, m/s^2)
    fft_mean_amp    (sum_{k=1..F/2} |X_k|) / (F/2) x 2 / N
    X = DFT of (v - mean) zero-padded to F points (bin 0 is excluded: mean removal leaves ~0 there).
Global (3): sma = sum(|x| + |y| + |z|) / N (signal magnitude area per sample), magnitude_mean and magnitude_std
(ddof 0) of |a| = sqrt(x^2 + y^2 + z^2). Gravity is left in: it tells sitting from standing.

feature_set "orientation" (41): the same 8 series features of two orientation-free series instead of x, y, z,
then posture, |a| and the series' shape. With g = (mean x, mean y, mean z) the window's gravity estimate and
u = g / |g| (u = 0 if |g| = 0): vertical = a . u (acceleration along gravity, whatever way the phone sits in the
pocket) and horizontal = |a - vertical * u| (the rest), computed as |d - (d . u) u| with d = a - g (the same
vector). posture_x/y/z = |g_x| / |g|, |g_y| / |g|, |g_z| / |g| (which phone axis gravity lies along, sign
dropped: a phone upside down in the pocket gives the same posture). Then magnitude_mean, magnitude_std as above.
Then per series (vertical, then horizontal) its shape: skewness m3 / (var + 0.01)^1.5, kurtosis
m4 / (var + 0.01)^2 (m_k = sum((s - mean)^k) / N, var = m2; regularised so that a phone at rest reads ~0
instead of round-off), and jerk_std, the std (ddof 0) of the N - 1 differences (s[i+1] - s[i]) * sample_rate
(m/s^3): how the stairs differ from walking (push-off and landing). Then per series (vertical, then horizontal) its
rhythm, from c = the series minus its mean (for vertical: the motion along gravity, the same c): five fft_share
features, the share of the spectral power sum_{k=1..F/2} |X_k|^2 (X = DFT of c zero-padded to F) that falls in
0.3-1.5, 1.5-2.5, 2.5-3.5, 3.5-5 Hz and 5 Hz-Nyquist (bin k is in a band when lo <= k x rate / F < hi; denominator
+ (F/2) x N x 0.01), and acf_max, acf_min, the largest and smallest autocorrelation r(L) = sum_i c_i c_{i+L} /
(sum_i c_i^2 + N x 0.01) over lags L of 0.3-1.5 s (one step to two strides): how regular the gait is and at what
tempo. Why: in MotionSense 6 of 260 upright-activity trials have the phone upside down or sideways, and x/y/z
features tie the model to one placement; the rhythm features separate the stairs from walking (on the validation
subjects, har/README.md).

Three implementations:
- `compute_features_numpy`: float64 numpy (np.fft.rfft, np.std), the readable definition;
- `compute_features_float32`: float32, every operation in the order `firmware/apps/har/features.c` performs it
  (compensated sums for means, shape moments and rhythm features, sequential sums elsewhere, radix-2 FFT with the same
  twiddle table), vectorised over windows: bit-identical to the C;
- the C twin itself. Tests compile it with host gcc -ffp-contract=off and compare.
`normalize_float32` standardises features with training-set constants, (f - mean) * inv_std, in the same order as
`har_features_normalize` in C.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np

from har.config import N_AXES, HarConfig
from shared.c_source import c_array, c_float, generated_header, include_guard
from shared.data import atomic_write_text

AXES = ("x", "y", "z")
PER_AXIS = ("mean", "std", "positive_share", "min", "max", "fft_peak_hz", "fft_peak_amp", "fft_mean_amp")
GLOBAL = ("sma", "magnitude_mean", "magnitude_std")
FEATURE_NAMES = tuple(f"{axis}_{name}" for axis in AXES for name in PER_AXIS) + GLOBAL  # feature_set "axes"
N_FEATURES = len(FEATURE_NAMES)
CHANNELS = ("vertical", "horizontal")
POSTURE = ("posture_x", "posture_y", "posture_z")
SHAPE = ("skewness", "kurtosis", "jerk_std")
# Spectral bands of the rhythm features, lower edges in Hz; the last band runs to Nyquist (rate / 2) inclusive.
BAND_EDGES_HZ = (0.3, 1.5, 2.5, 3.5, 5.0)
BANDS = (*(f"fft_share_{lo:g}_{hi:g}hz" for lo, hi in itertools.pairwise(BAND_EDGES_HZ)),
         f"fft_share_{BAND_EDGES_HZ[-1]:g}hz_nyquist")
RHYTHM = (*BANDS, "acf_max", "acf_min")
ACF_LAGS_S = (0.3, 1.5)  # autocorrelation lags: a step at 200 steps/min to two strides at 80 steps/min
ORIENTATION_NAMES = (tuple(f"{channel}_{name}" for channel in CHANNELS for name in PER_AXIS) + POSTURE + GLOBAL[1:]
                     + tuple(f"{channel}_{name}" for channel in CHANNELS for name in SHAPE)
                     + tuple(f"{channel}_{name}" for channel in CHANNELS for name in RHYTHM))
# Skewness and kurtosis divide by std^3 and std^4, the rhythm features by the energy: on a phone at rest (std
# ~0.005-0.05 m/s^2) they would describe round-off, which float32 and float64 compute differently (the horizontal
# series differs by up to ~4e-6 m/s^2, from gravity's float32 rounding). So they are regularised as if the series had
# QUIET_VAR (m/s^2)^2 more variance: m3 / (var + QUIET_VAR)^1.5, m4 / (var + QUIET_VAR)^2, and the rhythm
# denominators get floors N x QUIET_VAR (energy) and (F/2) x N x QUIET_VAR (power: by Parseval, bins 1..F/2 hold
# about half of F x energy). Quiet windows read ~0; walking (std > 1 m/s^2) is changed by < 2 %.
QUIET_VAR = 0.01
F32 = np.float32


def rhythm_floors(config: HarConfig) -> tuple[np.float32, np.float32]:
    """(energy floor, power floor) as float32, the values C uses (har_features_tables.h)."""
    energy = config.window_samples * QUIET_VAR
    return F32(energy), F32(config.fft_length // 2 * energy)


def feature_names(config: HarConfig) -> tuple[str, ...]:
    """The configured feature set's names, in output order."""
    return ORIENTATION_NAMES if config.orientation_features else FEATURE_NAMES


def n_features(config: HarConfig) -> int:
    return len(feature_names(config))


def band_start_bins(config: HarConfig) -> tuple[int, ...]:
    """First FFT bin of each band and, last, F/2 + 1 (one past Nyquist): band b is bins [start[b], start[b+1]).
    Bin k (1..F/2) lies at k x rate / F Hz; a band above Nyquist is empty."""
    half = config.fft_length // 2
    starts = [min(max(1, math.ceil(lo * config.fft_length / config.sample_rate_hz)), half + 1) for lo in BAND_EDGES_HZ]
    return (*starts, half + 1)


def acf_lags(config: HarConfig) -> tuple[int, int]:
    """First and last autocorrelation lag in samples (ACF_LAGS_S rounded), kept inside the window."""
    last = min(round(ACF_LAGS_S[1] * config.sample_rate_hz), config.window_samples - 1)
    return min(max(1, round(ACF_LAGS_S[0] * config.sample_rate_hz)), last), last


# ---------------------------------------------------------------------------------------------------------------
# float64 numpy definition


def _series_numpy(v: np.ndarray, config: HarConfig) -> np.ndarray:
    """(B, N, C) series -> (B, C, 8) float64: the 8 series features of each channel, from the formulas above."""
    n, half = v.shape[1], config.fft_length // 2
    mean = v.mean(axis=1)  # (B, C)
    centred = v - mean[:, None, :]
    spectrum = np.abs(np.fft.rfft(centred, n=config.fft_length, axis=1))[:, 1 : half + 1, :]  # (B, F/2, C)
    peak = np.argmax(spectrum, axis=1)  # (B, C), first maximum
    per_series = [
        mean,
        v.std(axis=1, ddof=0),
        (centred > 0).sum(axis=1) / n,
        v.min(axis=1),
        v.max(axis=1),
        (peak + 1) * config.sample_rate_hz / config.fft_length,
        np.take_along_axis(spectrum, peak[:, None, :], axis=1)[:, 0, :] * 2 / n,
        spectrum.mean(axis=1) * 2 / n,
    ]
    return np.stack(per_series, axis=2)


def _shape_numpy(series: np.ndarray, config: HarConfig) -> np.ndarray:
    """(B, N, C) -> (B, C, 3) float64: skewness, kurtosis, jerk_std of each series (definitions above)."""
    centred = series - series.mean(axis=1, keepdims=True)
    var = (centred**2).mean(axis=1)
    skewness = (centred**3).mean(axis=1) / (var + QUIET_VAR) ** 1.5
    kurtosis = (centred**4).mean(axis=1) / (var + QUIET_VAR) ** 2
    jerk_std = (np.diff(series, axis=1) * config.sample_rate_hz).std(axis=1, ddof=0)
    return np.stack([skewness, kurtosis, jerk_std], axis=2)


def _rhythm_numpy(series: np.ndarray, config: HarConfig) -> np.ndarray:
    """(B, N, C) -> (B, C, 7) float64: band shares and acf_max, acf_min of each series (definitions above)."""
    centred = series - series.mean(axis=1, keepdims=True)
    power = np.abs(np.fft.rfft(centred, n=config.fft_length, axis=1))[:, 1 : config.fft_length // 2 + 1, :] ** 2
    energy_floor, power_floor = rhythm_floors(config)
    total = power.sum(axis=1) + float(power_floor)
    starts = band_start_bins(config)
    shares = [power[:, lo - 1 : hi - 1, :].sum(axis=1) / total for lo, hi in itertools.pairwise(starts)]
    energy = (centred**2).sum(axis=1) + float(energy_floor)
    first, last = acf_lags(config)
    acf = np.stack([(centred[:, :-lag] * centred[:, lag:]).sum(axis=1) / energy for lag in range(first, last + 1)])
    return np.stack([*shares, acf.max(axis=0), acf.min(axis=0)], axis=2)


def orientation_series_numpy(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(B, N, 3) float64 -> (vertical and horizontal series (B, N, 2), posture (B, 3)), float64."""
    gravity = v.mean(axis=1)  # (B, 3)
    norm = np.linalg.norm(gravity, axis=1, keepdims=True)
    safe = np.where(norm > 0, norm, 1.0)
    unit = np.where(norm > 0, gravity / safe, 0.0)[:, None, :]  # (B, 1, 3)
    vertical = (v * unit).sum(axis=2)
    # a - (a.u)u = d - (d.u)u with d = a - g (g is along u): the same vector, but float32 computes it from the
    # small motion d instead of two ~9.8 m/s^2 numbers that cancel, so C and float64 agree within 1e-6 m/s^2.
    motion = v - gravity[:, None, :]
    horizontal = np.linalg.norm(motion - (motion * unit).sum(axis=2, keepdims=True) * unit, axis=2)
    posture = np.where(norm > 0, np.abs(gravity) / safe, 0.0)
    return np.stack([vertical, horizontal], axis=2), posture


def compute_features_numpy(windows: np.ndarray, config: HarConfig) -> np.ndarray:
    """(B, N, 3) m/s^2 -> (B, n_features) float64, straight from the formulas above."""
    v = np.asarray(windows, dtype=np.float64)
    magnitude = np.sqrt((v**2).sum(axis=2))
    magnitude_stats = [magnitude.mean(axis=1), magnitude.std(axis=1, ddof=0)]
    if config.orientation_features:
        series, posture = orientation_series_numpy(v)
        per_series = _series_numpy(series, config).reshape(len(v), -1)
        shape = _shape_numpy(series, config).reshape(len(v), -1)
        rhythm = _rhythm_numpy(series, config).reshape(len(v), -1)
        return np.concatenate([per_series, posture, np.stack(magnitude_stats, axis=1), shape, rhythm], axis=1)
    per_axis = _series_numpy(v, config).reshape(len(v), -1)  # (B, 3 axes x 8)
    sma = np.abs(v).sum(axis=2).mean(axis=1)
    return np.concatenate([per_axis, np.stack([sma, *magnitude_stats], axis=1)], axis=1)


# Where the float64 definition and the float32 path may decide a threshold differently by rounding alone: a sample
# this close to its window mean (m/s^2; the float32 mean of 80-256 samples near 10 m/s^2 is off by < 1e-5).
TIE_BAND = 1e-4
# ... or two FFT bins whose magnitudes are this close (relative): either is "the" peak.
PEAK_TIE = 1e-5


def numpy_reference(windows: np.ndarray, config: HarConfig) -> np.ndarray:
    """compute_features_numpy, except at the two thresholds rounding can flip: what the device is checked against.

    positive_share counts samples above the window mean; on a phone at rest (sitting) several samples lie within
    float32 rounding of the mean, and float32 and float64 then count one sample more or less (measured on
    MotionSense: 4 of 2178 test windows, one sample each). fft_peak_hz is an argmax, and two bins of near-equal
    magnitude can swap the same way. For such ties only, the float32 path's decision is taken; every other sample
    and bin is decided by float64, so a real error in the C twin still shows.
    """
    reference = compute_features_numpy(windows, config)
    float32 = compute_features_float32(windows, config)
    v64 = np.asarray(windows, dtype=np.float64)
    v32 = np.asarray(windows, dtype=F32)
    if config.orientation_features:
        series64 = orientation_series_numpy(v64)[0]
        series32 = np.stack(_orientation_series_float32(v32)[:2], axis=2)
    else:
        series64, series32 = v64, v32
    n, per_series = v64.shape[1], len(PER_AXIS)
    for channel in range(series64.shape[2]):
        column = channel * per_series
        centred64 = series64[:, :, channel] - series64[:, :, channel].mean(axis=1, keepdims=True)
        centred32 = series32[:, :, channel] - float32[:, column][:, None]  # float32 mean, C order
        tie = np.abs(centred64) <= TIE_BAND
        above = np.where(tie, centred32 > 0, centred64 > 0)
        reference[:, column + 2] = above.sum(axis=1) / n
        reference[:, column + 5] = _peak_hz_with_ties(centred64, float32[:, column + 5], config)
    return reference


def _peak_hz_with_ties(centred64: np.ndarray, peak_hz32: np.ndarray, config: HarConfig) -> np.ndarray:
    """float64 peak frequency, or the float32 one where its bin's magnitude ties with the float64 maximum."""
    half = config.fft_length // 2
    spectrum = np.abs(np.fft.rfft(centred64, n=config.fft_length, axis=1))[:, 1 : half + 1]
    peak64 = np.argmax(spectrum, axis=1)
    bin32 = np.clip(np.rint(peak_hz32 * config.fft_length / config.sample_rate_hz).astype(int) - 1, 0, half - 1)
    rows = np.arange(len(spectrum))
    tie = spectrum[rows, bin32] >= spectrum[rows, peak64] * (1 - PEAK_TIE)
    return (np.where(tie, bin32, peak64) + 1) * config.sample_rate_hz / config.fft_length


# ---------------------------------------------------------------------------------------------------------------
# float32 reference path: the C twin's operation order


def fft_tables(fft_length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Twiddles cos(2 pi k/F), -sin(2 pi k/F) for k < F/2 (float32, from float64) and the bit-reversal order."""
    k = np.arange(fft_length // 2)
    twiddle_re = np.cos(2 * np.pi * k / fft_length).astype(F32)
    twiddle_im = (-np.sin(2 * np.pi * k / fft_length)).astype(F32)
    bits = int(np.log2(fft_length))
    bit_reverse = np.array([int(format(i, f"0{bits}b")[::-1], 2) for i in range(fft_length)], dtype=np.int32)
    return twiddle_re, twiddle_im, bit_reverse


def fft_float32(signal: np.ndarray, fft_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Real and imaginary parts (B, F) of the DFT of (B, n) float32 signals zero-padded to F: the C radix-2 FFT,
    op for op."""
    twiddle_re, twiddle_im, bit_reverse = fft_tables(fft_length)
    padded = np.zeros((len(signal), fft_length), dtype=F32)
    padded[:, : signal.shape[1]] = signal
    re = np.empty_like(padded)
    re[:, bit_reverse] = padded  # C: re[bit_reverse[i]] = x[i]
    im = np.zeros_like(re)
    size = 2
    while size <= fft_length:
        half, stride = size // 2, fft_length // size
        starts = np.arange(0, fft_length, size)
        j = np.arange(half)
        a = (starts[:, None] + j[None, :]).ravel()
        b = a + half
        wr = np.tile(twiddle_re[j * stride], len(starts))
        wi = np.tile(twiddle_im[j * stride], len(starts))
        tr = wr * re[:, b] - wi * im[:, b]
        ti = wr * im[:, b] + wi * re[:, b]
        re_a, im_a = re[:, a], im[:, a]
        re[:, b], im[:, b] = re_a - tr, im_a - ti
        re[:, a], im[:, a] = re_a + tr, im_a + ti
        size *= 2
    return re, im


def fft_magnitudes_float32(signal: np.ndarray, fft_length: int) -> np.ndarray:
    """|X_k| for k = 1..F/2 of (B, n) float32 signals zero-padded to F, as the C computes them."""
    re, im = fft_float32(signal, fft_length)
    k = slice(1, fft_length // 2 + 1)
    return np.sqrt(re[:, k] * re[:, k] + im[:, k] * im[:, k])


def _compensated_sum(columns: np.ndarray) -> np.ndarray:
    """sum over axis 1 of (B, n) float32 with Kahan's compensation, left to right: har_features_sum() in C.

    Means of 80 samples near 9.8 m/s^2 summed plainly in float32 are off by up to ~5e-6 m/s^2, which is 2e-5 in
    the standardised units of a feature that varies little between windows (|g|: std 0.24 m/s^2); compensated,
    the error is about the last bit of the result.
    """
    total = np.zeros(len(columns), dtype=F32)
    compensation = np.zeros(len(columns), dtype=F32)
    for i in range(columns.shape[1]):
        corrected = columns[:, i] - compensation
        running = total + corrected
        compensation = (running - total) - corrected
        total = running
    return total


def _sequential_sum(columns: np.ndarray) -> np.ndarray:
    """sum over axis 1 of (B, n) float32, left to right like a C loop (np.sum would sum pairwise)."""
    total = np.zeros(len(columns), dtype=F32)
    for i in range(columns.shape[1]):
        total = total + columns[:, i]
    return total


def _axis_features_float32(v: np.ndarray, config: HarConfig) -> list[np.ndarray]:
    """The 8 series features of (B, N) float32 samples (an axis, or an orientation series), in C order."""
    n = F32(v.shape[1])
    half = config.fft_length // 2
    mean = _compensated_sum(v) / n
    centred = v - mean[:, None]
    std = np.sqrt(_sequential_sum(centred * centred) / n)
    positive = _sequential_sum((centred > 0).astype(F32)) / n
    magnitudes = fft_magnitudes_float32(centred, config.fft_length)  # (B, F/2), bins 1..F/2
    peak = np.argmax(magnitudes, axis=1)  # first maximum, as the C loop's strict '>'
    bin_hz = F32(config.sample_rate_hz / config.fft_length)
    amp_scale = F32(2.0 / v.shape[1])
    peak_hz = (peak + 1).astype(F32) * bin_hz
    peak_amp = magnitudes[np.arange(len(v)), peak] * amp_scale
    mean_amp = _compensated_sum(magnitudes) / F32(half) * amp_scale
    return [mean, std, positive, v.min(axis=1), v.max(axis=1), peak_hz, peak_amp, mean_amp]


def _shape_float32(series: np.ndarray, config: HarConfig) -> list[np.ndarray]:
    """skewness, kurtosis, jerk_std of (B, N) float32 samples: features.c order. For the vertical series it is given
    the motion along gravity (vertical - |g|, from a - g): the same shape, without the round-off of ~9.8 m/s^2."""
    n = F32(series.shape[1])
    mean = _compensated_sum(series) / n
    centred = series - mean[:, None]
    square = centred * centred
    var = _compensated_sum(square) / n + F32(QUIET_VAR)
    skewness = (_compensated_sum(square * centred) / n) / (var * np.sqrt(var))
    kurtosis = (_compensated_sum(square * square) / n) / (var * var)
    jerk = (series[:, 1:] - series[:, :-1]) * F32(config.sample_rate_hz)
    jerk_mean = _compensated_sum(jerk) / F32(jerk.shape[1])
    deviation = jerk - jerk_mean[:, None]
    jerk_std = np.sqrt(_sequential_sum(deviation * deviation) / F32(jerk.shape[1]))
    return [skewness, kurtosis, jerk_std]


def _rhythm_float32(series: np.ndarray, config: HarConfig) -> list[np.ndarray]:
    """Band shares, acf_max, acf_min of (B, N) float32 samples in features.c order (har_features_rhythm). Every sum
    is compensated: a share or a correlation is a ratio, where a plain float32 sum's relative error would show."""
    n = F32(series.shape[1])
    centred = series - (_compensated_sum(series) / n)[:, None]
    spectrum_re, spectrum_im = fft_float32(centred, config.fft_length)
    k = slice(1, config.fft_length // 2 + 1)
    power = spectrum_re[:, k] * spectrum_re[:, k] + spectrum_im[:, k] * spectrum_im[:, k]  # (B, F/2), bins 1..F/2
    energy_floor, power_floor = rhythm_floors(config)
    total = _compensated_sum(power) + power_floor
    starts = band_start_bins(config)
    shares = [_compensated_sum(power[:, lo - 1 : hi - 1]) / total for lo, hi in itertools.pairwise(starts)]
    energy = _compensated_sum(centred * centred) + energy_floor
    first, last = acf_lags(config)
    acf = np.stack([_compensated_sum(centred[:, :-lag] * centred[:, lag:]) / energy for lag in range(first, last + 1)])
    return [*shares, acf.max(axis=0), acf.min(axis=0)]


def _orientation_series_float32(v: np.ndarray) -> tuple[np.ndarray, ...]:
    """(B, N, 3) float32 -> vertical (B, N), horizontal (B, N), posture (B, 3) and the motion along gravity (B, N):
    features.c's operation order."""
    n = F32(v.shape[1])
    gx, gy, gz = (_compensated_sum(v[:, :, axis]) / n for axis in range(N_AXES))
    norm = np.sqrt((gx * gx + gy * gy) + gz * gz)
    ok = norm > 0
    safe = np.where(ok, norm, F32(1))
    ux, uy, uz = (np.where(ok, g / safe, F32(0))[:, None] for g in (gx, gy, gz))
    x, y, z = v[:, :, 0], v[:, :, 1], v[:, :, 2]
    vertical = (x * ux + y * uy) + z * uz
    mx, my, mz = x - gx[:, None], y - gy[:, None], z - gz[:, None]  # the motion d = a - g
    along = (mx * ux + my * uy) + mz * uz
    dx, dy, dz = mx - along * ux, my - along * uy, mz - along * uz
    horizontal = np.sqrt((dx * dx + dy * dy) + dz * dz)
    posture = np.stack([np.where(ok, np.abs(g) / safe, F32(0)) for g in (gx, gy, gz)], axis=1)
    return vertical, horizontal, posture, along


def _magnitude_float32(v: np.ndarray) -> list[np.ndarray]:
    """sma, magnitude mean and magnitude std (ddof 0) of (B, N, 3) float32, in C order."""
    n = F32(v.shape[1])
    x, y, z = v[:, :, 0], v[:, :, 1], v[:, :, 2]
    sma = _sequential_sum((np.abs(x) + np.abs(y)) + np.abs(z)) / n
    magnitude = np.sqrt((x * x + y * y) + z * z)
    magnitude_mean = _compensated_sum(magnitude) / n
    deviation = magnitude - magnitude_mean[:, None]
    magnitude_std = np.sqrt(_sequential_sum(deviation * deviation) / n)
    return [sma, magnitude_mean, magnitude_std]


def compute_features_float32(windows: np.ndarray, config: HarConfig) -> np.ndarray:
    """(B, N, 3) -> (B, n_features) float32, bit-identical to har_features_compute() in features.c."""
    v = np.asarray(windows, dtype=F32)
    columns = []
    if config.orientation_features:
        vertical, horizontal, posture, along = _orientation_series_float32(v)
        for series in (vertical, horizontal):
            columns.extend(_axis_features_float32(series, config))
        columns.extend(posture[:, axis] for axis in range(N_AXES))
        columns.extend(_magnitude_float32(v)[1:])
        columns.extend(_shape_float32(along, config) + _shape_float32(horizontal, config))
        columns.extend(_rhythm_float32(along, config) + _rhythm_float32(horizontal, config))
    else:
        for axis in range(N_AXES):
            columns.extend(_axis_features_float32(v[:, :, axis], config))
        columns.extend(_magnitude_float32(v))
    return np.stack(columns, axis=1).astype(F32)


def normalization_constants(train_features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Training-set mean and 1/std per feature (float32); a constant feature gets 1/std = 1."""
    mean = train_features.astype(np.float64).mean(axis=0)
    std = train_features.astype(np.float64).std(axis=0)
    inv_std = np.where(std > 1e-12, 1.0 / np.maximum(std, 1e-12), 1.0)
    return mean.astype(F32), inv_std.astype(F32)


def normalize_float32(features: np.ndarray, mean: np.ndarray, inv_std: np.ndarray) -> np.ndarray:
    """(f - mean) * inv_std in float32: har_features_normalize() in C."""
    return ((features.astype(F32) - mean.astype(F32)) * inv_std.astype(F32)).astype(F32)


# ---------------------------------------------------------------------------------------------------------------
# C tables


def write_feature_tables(config: HarConfig, path: Path, mean: np.ndarray | None, inv_std: np.ndarray | None) -> str:
    """Write `har_features_tables.h`: FFT twiddles, bit-reversal order, scales and normalisation constants.

    Without training constants (mean/inv_std None) the normalisation is the identity (mean 0, inv_std 1).
    """
    twiddle_re, twiddle_im, bit_reverse = fft_tables(config.fft_length)
    if mean is None or inv_std is None:
        mean, inv_std = np.zeros(n_features(config), F32), np.ones(n_features(config), F32)
    guard_open, guard_close = include_guard("har_features_tables")
    names = "\n".join(f" *   {i:2d} {name}" for i, name in enumerate(feature_names(config)))
    parts = [
        generated_header("har/features.py", f"HarConfig fft_length={config.fft_length}", "python -m har run"),
        guard_open,
        "#include <stdint.h>\n",
        f"/* Features, in output order:\n{names}\n */",
        f"#define HAR_FFT_BIN_HZ {c_float(config.sample_rate_hz / config.fft_length)}  /* sample_rate / F */",
        f"#define HAR_FFT_AMP_SCALE {c_float(2.0 / config.window_samples)}  /* 2 / N: |X_k| -> amplitude */",
        f"#define HAR_QUIET_VAR {c_float(QUIET_VAR)}  /* (m/s^2)^2 regularising shape and rhythm */",
        f"#define HAR_ENERGY_FLOOR {c_float(rhythm_floors(config)[0])}  /* N x HAR_QUIET_VAR: acf denominator */",
        f"#define HAR_POWER_FLOOR {c_float(rhythm_floors(config)[1])}  /* F/2 x N x HAR_QUIET_VAR: band shares */",
        f"#define HAR_N_BANDS {len(BANDS)}  /* spectral bands of the rhythm features */",
        f"#define HAR_ACF_FIRST_LAG {acf_lags(config)[0]}  /* autocorrelation lags, samples: {ACF_LAGS_S} s */",
        f"#define HAR_ACF_LAST_LAG {acf_lags(config)[1]}\n",
        f"/* band b covers FFT bins [har_band_start[b], har_band_start[b + 1]); lower edges {BAND_EDGES_HZ} Hz */",
        c_array("har_band_start", np.array(band_start_bins(config)), "uint16_t", static=True),
        "/* cos(2 pi k / F) and -sin(2 pi k / F), k < F/2, rounded from double */",
        c_array("har_twiddle_re", twiddle_re, "float", static=True),
        c_array("har_twiddle_im", twiddle_im, "float", static=True),
        "/* input index i goes to FFT slot har_bit_reverse[i] */",
        c_array("har_bit_reverse", bit_reverse, "uint16_t", static=True),
        "/* standardisation (f - mean) * inv_std, from the training split */",
        c_array("har_feature_mean", mean, "float", static=True),
        c_array("har_feature_inv_std", inv_std, "float", static=True),
        guard_close,
    ]
    text = "\n".join(parts)
    atomic_write_text(path, text)
    return text
