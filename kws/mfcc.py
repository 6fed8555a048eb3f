"""Host MFCC in numpy with the conventions of CMSIS-DSP `arm_mfcc_f32`, and the C tables the device uses.

Per frame of n_fft samples (no centring, no padding), `Source/TransformFunctions/arm_mfcc_f32.c` does:
  1. m = max |x|; if m != 0, x *= 1/m          (the scaling is undone in step 4)
  2. x *= window                               (the window table comes from the caller: `analysis_window`)
  3. |rfft(x)| for bins 0 .. n_fft/2 - 1       (arm_rfft_fast_f32 packs the Nyquist bin into the DC slot and
                                                arm_mfcc_f32 zeroes it, so the Nyquist bin is never used)
  4. if m != 0, |X| *= m
  5. mel_k = sum_j coefs_kj |X|_(pos_k + j)    (HTK mel triangles, sparse: position, length, coefficients)
  6. ln(mel + 1e-6)                            (arm_offset_f32 then arm_vlog_f32)
  7. DCT-II with sqrt(2/n_mels) on every row   (a dense n_mfcc x n_mels matrix, arm_mat_vec_mult_f32)
The host does steps 2, 3 and 5-7 with the same tables and float32 throughout, with its own FFT (scipy's) and
summation orders. It leaves out steps 1 and 4: they cancel in exact arithmetic (the FFT is linear), so they only
move the float32 rounding, and they cost ~6.5 us of a clip's ~31.5 (1 thread). compute_mfcc multiplies the int16
samples by the window times 2^-15 (int16 -> [-1, 1) folded into the window: a power of two, so exact), which gives
the same bits as the float path (`mfcc_frames`) on samples scaled first; the tests check that.
tests/kws/test_mfcc.py bounds both against the `cmsisdsp` package, which runs the real C code: max abs error
<= 1e-5 x the feature range on real FSDD clips and on silence, full-scale clipping, a pure tone, one-LSB noise and
a click. The device check does not depend on numpy's rounding: the board's features must equal the C twin's bit for
bit, and its int8 scores TFLM's on the twin's features (kws/device.py).
Everything is float32, vectorised over (clips, frames), in chunks of clips (on several threads: compute_mfcc).
The tables are built with the same formulas as CMSIS-DSP's own generator (`cmsisdsp.mfcc`), and tests check them
entry by entry.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.fft

from kws.config import KwsConfig, config_digest
from shared.c_source import c_array, c_float, generated_header, include_guard
from shared.cli import UserError

LOG_OFFSET = np.float32(1e-6)  # arm_mfcc_f32 adds 1.0e-6f before the log
PCM_SCALE = np.float32(1.0 / 32768.0)  # int16 -> float32 in [-1, 1); a power of two, so exact in C too
MEL_GROUPS = 3  # groups of consecutive mel filters, one matrix product each (see MelBand)
CHUNK_CLIPS = 32  # clips per step: 32 x 61 frames x 256 float32 = 2 MB (16..48 alike within noise, 32 best on 1 thread)


@dataclass(frozen=True)
class MelBand:
    """Consecutive mel filters and the FFT bins they cover, for a product of that block only.

    The HTK triangles are banded: filter k is nonzero on filter_len[k] bins from filter_pos[k], so the dense
    (n_fft/2, n_mels) product multiplies mostly zeros. MEL_GROUPS = 3 blocks do a third of its multiplications
    (FULL: 1376 of 4096 per frame) and took 3.7 us per clip against 5.1 (more, smaller blocks were no faster: each
    product has its own overhead). A block's sums leave out only zero terms, but BLAS orders the terms otherwise, so
    a mel value can differ from the dense product's in the last bit.
    """

    filters: slice  # the block's columns of the mel output
    bins: slice  # the FFT bins they read
    weights: np.ndarray  # (bins, filters) float32, that block of mel_dense (contiguous)


@dataclass(frozen=True)
class MfccTables:
    """The constant tables of one MFCC configuration, in the layout `arm_mfcc_init_f32` takes."""

    window: np.ndarray  # (n_fft,) float32 analysis window
    filter_pos: np.ndarray  # (n_mels,) uint32 first FFT bin of each mel filter
    filter_len: np.ndarray  # (n_mels,) uint32 number of bins of each mel filter
    filter_coefs: np.ndarray  # (sum(filter_len),) float32 the filters' nonzero weights, filter after filter
    dct: np.ndarray  # (n_mfcc * n_mels,) float32 row-major DCT matrix
    mel_dense: np.ndarray  # (n_fft // 2, n_mels) float32 the same filters as a dense matrix (numpy side only)
    mel_bands: tuple[MelBand, ...]  # the nonzero blocks of mel_dense, MEL_GROUPS of them (numpy side only)
    lifter: np.ndarray  # (n_mfcc,) float32 weight of each coefficient after the mean normalisation


def hz_to_mel(freq_hz: np.ndarray | float) -> np.ndarray:
    """HTK mel, 1127 ln(1 + f/700): what arm_mfcc_f32's table generator uses, not librosa's Slaney default."""
    return 1127.0 * np.log(1.0 + np.asarray(freq_hz, dtype=np.float64) / 700.0)


def analysis_window(cfg: KwsConfig) -> np.ndarray:
    """Periodic window of n_fft samples (the usual choice before an FFT), computed in float64: float32 (n_fft,)."""
    phase = 2.0 * np.pi * np.arange(cfg.n_fft) / cfg.n_fft
    if cfg.window_type == "hamming":
        return (0.54 - 0.46 * np.cos(phase)).astype(np.float32)
    return (0.5 - 0.5 * np.cos(phase)).astype(np.float32)


def mel_filter_bank(cfg: KwsConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """HTK mel triangles (linear in mel, peak 1, no area normalisation) in CMSIS's sparse form.

    Returns (filter_len uint32, filter_pos uint32, filter_coefs float32, dense float32 (n_fft//2, n_mels)).
    Computed in float64 as CMSIS-DSP's generator does, then rounded once to float32.
    """
    n_bins = cfg.n_fft // 2 + 1
    band_edges = np.linspace(hz_to_mel(cfg.fmin_hz), hz_to_mel(cfg.fmax_hz), num=cfg.n_mels + 2)
    bin_mels = hz_to_mel(np.linspace(0, cfg.sample_rate_hz / 2.0, n_bins))[1:]  # bins 1..n/2; bin 0 (DC) gets 0
    left, centre, right = band_edges[:-2, None], band_edges[1:-1, None], band_edges[2:, None]
    rising = (bin_mels - left) / (centre - left)
    falling = (right - bin_mels) / (right - centre)
    weights = np.zeros((cfg.n_mels, n_bins))
    weights[:, 1:] = np.maximum(0.0, np.minimum(rising, falling))
    lengths, positions, coefs = [], [], []
    for k, row in enumerate(weights):
        nonzero = np.flatnonzero(row)
        if nonzero.size == 0:
            raise UserError(f"mel filter {k} covers no FFT bin: lower n_mels={cfg.n_mels} or raise n_fft={cfg.n_fft}")
        start, stop = int(nonzero[0]), int(nonzero[-1]) + 1  # triangles are contiguous: no zero inside
        if stop > cfg.n_fft // 2:
            raise UserError(f"mel filter {k} reaches the Nyquist bin, which arm_mfcc_f32 zeroes: lower fmax_hz")
        positions.append(start)
        lengths.append(stop - start)
        coefs.append(row[start:stop])
    dense = weights[:, : cfg.n_fft // 2].T.astype(np.float32)
    return (np.array(lengths, dtype=np.uint32), np.array(positions, dtype=np.uint32),
            np.concatenate(coefs).astype(np.float32), dense)


def dct_matrix(cfg: KwsConfig) -> np.ndarray:
    """DCT-II, cos(i pi (j + 1/2) / N) sqrt(2/N) on every row (row 0 too: not orthonormal): float32 (n_mfcc*n_mels,)."""
    N = cfg.n_mels
    half_steps = (np.linspace(1, N, N) - 0.5) / N
    rows = np.cos(np.arange(cfg.n_mfcc)[:, None] * np.pi * half_steps[None, :]) * np.sqrt(2.0 / N)
    return rows.reshape(-1).astype(np.float32)


def lifter_weights(cfg: KwsConfig) -> np.ndarray:
    """HTK's sinusoidal lifter 1 + (L/2) sin(pi k / L) (L = cfg.lifter; 0 = all ones): float32 (n_mfcc,).

    Higher coefficients are smaller (std 0.5 for c12 vs 2.4 for c1 on FSDD); lifting them to similar ranges lets one
    int8 input scale resolve them all.
    """
    k = np.arange(cfg.n_mfcc)
    if cfg.lifter <= 0:
        return np.ones(cfg.n_mfcc, dtype=np.float32)
    return (1.0 + cfg.lifter / 2.0 * np.sin(np.pi * k / cfg.lifter)).astype(np.float32)


def mel_bands(dense: np.ndarray, positions: np.ndarray, lengths: np.ndarray,
              groups: int = MEL_GROUPS) -> tuple[MelBand, ...]:
    """The filters in `groups` runs of consecutive filters (as equal in count as can be), each with its bins."""
    bands = []
    for filters in np.array_split(np.arange(len(positions)), min(groups, len(positions))):
        first, last = int(filters[0]), int(filters[-1])
        bins = slice(int(positions[first]), int(positions[last] + lengths[last]))  # triangles rise left to right
        bands.append(MelBand(slice(first, last + 1), bins, np.ascontiguousarray(dense[bins, first : last + 1])))
    return tuple(bands)


def make_tables(cfg: KwsConfig) -> MfccTables:
    """All tables of `cfg`."""
    lengths, positions, coefs, dense = mel_filter_bank(cfg)
    return MfccTables(analysis_window(cfg), positions, lengths, coefs, dct_matrix(cfg), dense,
                      mel_bands(dense, positions, lengths), lifter_weights(cfg))


def frame_windows(windows_pcm: np.ndarray, cfg: KwsConfig) -> np.ndarray:
    """Frames of fixed windows: int16 (B, window_samples) -> float32 (B, n_frames, n_fft) scaled to [-1, 1).

    A strided view of the scaled windows (frames overlap, nothing is copied): read it, do not write to it.
    """
    return _frame_view(_checked_pcm(windows_pcm, cfg).astype(np.float32) * PCM_SCALE, cfg)


def _checked_pcm(windows_pcm: np.ndarray, cfg: KwsConfig) -> np.ndarray:
    x = np.asarray(windows_pcm)
    if x.dtype != np.int16 or x.ndim != 2 or x.shape[1] != cfg.window_samples:
        raise ValueError(f"want int16 (clips, {cfg.window_samples}), got {x.dtype} {x.shape}")
    return x


def _frame_view(windows: np.ndarray, cfg: KwsConfig) -> np.ndarray:
    """(B, window_samples) -> a strided view (B, n_frames, n_fft) of the same samples, any dtype."""
    return _strided(windows, cfg.n_fft, cfg.hop_samples, cfg.n_frames)


def _strided(rows: np.ndarray, length: int, step: int, count: int) -> np.ndarray:
    """A read-only view (B, count, length) of (B, N) with runs of `length` every `step` along each row; the caller
    keeps (count - 1) * step + length <= N (as_strided: ~5 us less per call than sliding_window_view)."""
    row_stride, item_stride = rows.strides
    return np.lib.stride_tricks.as_strided(rows, (len(rows), count, length), (row_stride, item_stride * step,
                                                                             item_stride), writeable=False)


def frame_peaks(windows_pcm: np.ndarray, cfg: KwsConfig, scratch: np.ndarray | None = None) -> np.ndarray:
    """max |sample| of every frame, in int16 units: int16 (B, window_samples) -> uint16 (B, n_frames).

    Frames start every hop and span n_fft samples, so both are whole numbers of blocks of g = gcd(n_fft, hop)
    samples: one max per block, then the largest of the n_fft/g blocks of each frame. A frame holds sound (is active
    for the mean normalisation) iff its peak is not 0. `scratch`: int16 (>= B, window_samples) for |samples|.
    """
    x = _checked_pcm(windows_pcm, cfg)
    # |-32768| wraps to -32768 in int16, whose bits read as uint16 are 32768: exact for every sample
    magnitude = np.abs(x, out=None if scratch is None else scratch[: len(x)]).view(np.uint16)
    block = math.gcd(cfg.n_fft, cfg.hop_samples)
    n_blocks, frame_blocks, hop_blocks = (cfg.window_samples // block, cfg.n_fft // block, cfg.hop_samples // block)
    blocks = _strided(magnitude, block, block, n_blocks)
    block_peak = blocks.max(axis=-1)
    frame_starts = slice(0, (cfg.n_frames - 1) * hop_blocks + 1, hop_blocks)  # in blocks
    peaks = block_peak[:, frame_starts].copy()
    for offset in range(1, frame_blocks):  # the largest block of each frame (2 blocks with the default config)
        np.maximum(peaks, block_peak[:, offset:][:, frame_starts], out=peaks)
    return peaks


def mfcc_frames(frames: np.ndarray, tables: MfccTables) -> np.ndarray:
    """arm_mfcc_f32 on every frame: float32 (..., n_fft) -> float32 (..., n_mfcc).

    Step by step on float frames, without steps 1 and 4 (module doc); compute_mfcc gives the same bits from the int16
    windows, faster.
    """
    windowed = np.asarray(frames, dtype=np.float32) * tables.window  # step 2 (1 and 4 left out: module doc)
    magnitude = np.abs(scipy.fft.rfft(windowed, axis=-1)[..., : tables.mel_dense.shape[0]])  # step 3
    return _cepstra(magnitude, tables)  # steps 5-7


def _cepstra(magnitude: np.ndarray, tables: MfccTables, mel: np.ndarray | None = None,
             out: np.ndarray | None = None) -> np.ndarray:
    """Steps 5 to 7: float32 |X| (..., n_fft/2) -> (..., n_mfcc), into `out` (and `mel` as work space) if given.

    The matrix products stay one per clip (n_frames rows each) for 3-D input: OpenBLAS runs products that small on
    the calling thread, while one product over a whole chunk goes multi-threaded, which is no faster on 2 cores and
    many times slower when another process holds a core.
    """
    n_mels = tables.mel_dense.shape[1]
    if mel is None:
        mel = np.empty((*magnitude.shape[:-1], n_mels), dtype=np.float32)
    for band in tables.mel_bands:  # step 5, block by block (MelBand)
        np.matmul(magnitude[..., band.bins], band.weights, out=mel[..., band.filters])
    np.add(mel, LOG_OFFSET, out=mel)  # step 6, in place
    np.log(mel, out=mel)
    return np.matmul(mel, tables.dct.reshape(-1, n_mels).T, out=out)  # step 7


class _Workspace:
    """One thread's work buffers for chunks of up to CHUNK_CLIPS clips (reused: no page faults on fresh memory)."""

    def __init__(self, cfg: KwsConfig, tables: MfccTables) -> None:
        self.cfg = cfg
        self.pcm_abs = np.empty((CHUNK_CLIPS, cfg.window_samples), dtype=np.int16)
        self.windowed = np.empty((CHUNK_CLIPS, cfg.n_frames, cfg.n_fft), dtype=np.float32)
        self.magnitude = np.empty((CHUNK_CLIPS, cfg.n_frames, cfg.n_fft // 2 + 1), dtype=np.float32)  # + Nyquist
        self.mel = np.empty((CHUNK_CLIPS, cfg.n_frames, cfg.n_mels), dtype=np.float32)
        self.cepstra = np.empty((CHUNK_CLIPS, *cfg.input_shape), dtype=np.float32)
        self.use(tables)

    def use(self, tables: MfccTables) -> None:
        """Compute with `tables` (those of self.cfg, or the caller's own)."""
        self.tables = tables
        self.pcm_window = tables.window * PCM_SCALE  # (n_fft,) float32: int16 -> [-1, 1) and the window, exact

    def run(self, windows_pcm: np.ndarray, out: np.ndarray) -> None:
        """compute_mfcc on one chunk: int16 (B, window_samples) -> float32 (B, n_frames, n_mfcc) written into `out`."""
        n = len(windows_pcm)
        windowed, magnitude = self.windowed[:n], self.magnitude[:n]
        np.multiply(_frame_view(windows_pcm, self.cfg), self.pcm_window, out=windowed)  # step 2 (module doc)
        spectrum = scipy.fft.rfft(windowed, axis=-1, overwrite_x=True)  # step 3
        np.abs(spectrum, out=magnitude)  # all n_fft/2 + 1 bins: np.abs is ~2x faster on contiguous input
        features = _cepstra(magnitude[..., :-1], self.tables, self.mel[:n], self.cepstra[:n])  # Nyquist left out
        if self.cfg.cmn:
            features = subtract_cepstral_mean(features, frame_peaks(windows_pcm, self.cfg, self.pcm_abs) != 0)
        np.multiply(features, self.tables.lifter, out=out)


_SPARE_WORKSPACES: list[_Workspace] = []  # earlier calls' workspaces, of one cfg, for the next call
_SPARE_LOCK = threading.Lock()


def _take_workspace(cfg: KwsConfig, tables: MfccTables) -> _Workspace:
    """A spare workspace of `cfg` if there is one, else a new one, set to compute with `tables`."""
    with _SPARE_LOCK:
        spare = next((workspace for workspace in _SPARE_WORKSPACES if workspace.cfg == cfg), None)
        if spare is not None:
            _SPARE_WORKSPACES.remove(spare)
    if spare is None:
        return _Workspace(cfg, tables)
    spare.use(tables)
    return spare


def _give_back(workspace: _Workspace) -> None:
    """Keep `workspace` for the next call; spares of another cfg are dropped, so only one cfg's are kept."""
    with _SPARE_LOCK:
        _SPARE_WORKSPACES[:] = [spare for spare in _SPARE_WORKSPACES if spare.cfg == workspace.cfg] + [workspace]


def subtract_cepstral_mean(features: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Each coefficient of the active frames minus its mean over the active frames; inactive frames set to 0.

    features float32 (B, T, C); active bool (B, T): frames holding any nonzero sample. Zero-padded frames are left
    out of the mean (or the channel colour removed would shrink with the clip's length) and zeroed (their constant
    c0 = sqrt(2/N) N ln(1e-6) = -110 would otherwise set the int8 input scale). The mean is a float32 sum over the
    active frames, divided by their count, as mfcc.c computes it.
    """
    count = active.sum(axis=1).astype(np.float32)[:, None]  # (B, 1)
    masked = np.where(active[:, :, None], features.astype(np.float32), np.float32(0))
    total = np.sum(masked, axis=1, dtype=np.float32)  # (B, C)
    mean = np.where(count > 0, total / np.maximum(count, np.float32(1)), np.float32(0))
    return np.where(active[:, :, None], masked - mean[:, None, :], np.float32(0)).astype(np.float32)


def compute_mfcc(windows_pcm: np.ndarray, cfg: KwsConfig, tables: MfccTables | None = None,
                 threads: int | None = None) -> np.ndarray:
    """The model input of fixed int16 windows: (B, window_samples) -> float32 (B, n_frames, n_mfcc).

    arm_mfcc_f32 on every frame, then (cfg.cmn) cepstral mean normalisation over the window, then the lifter.
    Chunks of CHUNK_CLIPS clips run on `threads` threads (None: one per available core); numpy, scipy.fft and BLAS
    release the GIL. Each thread takes the next chunk when done with one (a busy core does fewer); one task per
    thread, not a future per chunk, whose Python work competed for the GIL (2 threads, 2500 clips: 13.3 against 15.0
    us per clip). The calling thread is one of them. The threads' buffers are kept for the next call (see
    _take_workspace). Each chunk is computed the same way whichever thread runs it, so the result is bit-identical
    for any thread count.
    """
    tables = tables or make_tables(cfg)
    windows_pcm = _checked_pcm(windows_pcm, cfg)
    out = np.empty((len(windows_pcm), *cfg.input_shape), dtype=np.float32)
    firsts = range(0, len(windows_pcm), CHUNK_CLIPS)
    next_first = iter(firsts)
    lock = threading.Lock()

    def work() -> None:
        workspace = _take_workspace(cfg, tables)
        while True:
            with lock:
                first = next(next_first, None)
            if first is None:
                break
            chunk = slice(first, first + CHUNK_CLIPS)
            workspace.run(windows_pcm[chunk], out[chunk])
        _give_back(workspace)

    helpers = min(len(firsts), threads or available_cores()) - 1
    if helpers <= 0:
        work()
    else:
        with ThreadPoolExecutor(helpers) as pool:
            tasks = [pool.submit(work) for _ in range(helpers)]
            work()
            for task in tasks:
                task.result()  # raises what the thread raised
    return out


def available_cores() -> int:
    """The CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def tables_c_text(cfg: KwsConfig, tables: MfccTables) -> tuple[str, str]:
    """(kws_mfcc_tables.c, kws_mfcc_tables.h) texts: the tables `arm_mfcc_init_f32` takes, as static const data."""
    header = generated_header("kws.mfcc", config_digest(cfg), "python -m kws run (writes it)")
    opening, closing = include_guard("kws_mfcc_tables")
    n_coefs = len(tables.filter_coefs)
    h_text = (
        header + opening + "\n#include <stdint.h>\n\n"
        f"#define KWS_MFCC_N_FFT {cfg.n_fft}\n#define KWS_MFCC_N_MELS {cfg.n_mels}\n"
        f"#define KWS_MFCC_N_MFCC {cfg.n_mfcc}\n#define KWS_MFCC_N_FILTER_COEFS {n_coefs}\n"
        f"#define KWS_MFCC_LOG_OFFSET {c_float(LOG_OFFSET)} /* the offset arm_mfcc_f32 adds (for reference) */\n\n"
        f"extern const float kws_mfcc_window[{cfg.n_fft}];\n"
        f"extern const uint32_t kws_mfcc_filter_pos[{cfg.n_mels}];\n"
        f"extern const uint32_t kws_mfcc_filter_len[{cfg.n_mels}];\n"
        f"extern const float kws_mfcc_filter_coefs[{n_coefs}];\n"
        f"extern const float kws_mfcc_dct[{cfg.n_mfcc * cfg.n_mels}];\n"
        f"extern const float kws_mfcc_lifter[{cfg.n_mfcc}];\n\n" + closing
    )
    c_text = (
        header + '#include "kws_mfcc_tables.h"\n\n'
        + c_array("kws_mfcc_window", tables.window, "float", align_bytes=4)
        + c_array("kws_mfcc_filter_pos", tables.filter_pos, "uint32_t")
        + c_array("kws_mfcc_filter_len", tables.filter_len, "uint32_t")
        + c_array("kws_mfcc_filter_coefs", tables.filter_coefs, "float", align_bytes=4)
        + c_array("kws_mfcc_dct", tables.dct, "float", align_bytes=4, per_line=cfg.n_mels)
        + c_array("kws_mfcc_lifter", tables.lifter, "float")
    )
    return c_text, h_text


def write_tables_c(cfg: KwsConfig, out_dir: Path) -> list[Path]:
    """Write kws_mfcc_tables.c/.h into `out_dir`; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    texts = tables_c_text(cfg, make_tables(cfg))
    for name, text in zip(("kws_mfcc_tables.c", "kws_mfcc_tables.h"), texts, strict=True):
        path = out_dir / name
        tmp = path.with_name(name + ".tmp")
        tmp.write_text(text)
        tmp.replace(path)
        paths.append(path)
    return paths
