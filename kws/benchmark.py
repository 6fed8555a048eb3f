"""python -m kws.benchmark [--data-dir D]: host MFCC throughput, ours (vectorised numpy) vs a per-clip librosa loop.

Both compute 61 x 13 MFCC of the same fixed 1 s windows of every FSDD clip. librosa gets settings as close to
arm_mfcc_f32 as it has (no centring, magnitude spectrum, HTK mel, periodic Hamming, natural log via
power_to_db-free path); its filters are triangles in Hz rather than in mel, and its DCT is orthonormal, so its
numbers differ from ours (the max difference is printed as a documented comparison, not a check).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from kws.config import FULL
from kws.data import load_fsdd
from kws.mfcc import compute_mfcc, make_tables
from kws.window import extract_windows
from shared.data import data_dir


def librosa_mfcc(window: np.ndarray) -> np.ndarray:
    """One window's MFCC with librosa, settings matched where librosa allows: float32 (n_frames, n_mfcc)."""
    import librosa

    x = window.astype(np.float32) / 32768.0
    mel = librosa.feature.melspectrogram(y=x, sr=FULL.sample_rate_hz, n_fft=FULL.n_fft, hop_length=FULL.hop_samples,
                                         window="hamming", center=False, power=1.0, n_mels=FULL.n_mels,
                                         fmin=FULL.fmin_hz, fmax=FULL.fmax_hz, htk=True, norm=None)
    return librosa.feature.mfcc(S=np.log(mel + 1e-6), n_mfcc=FULL.n_mfcc).T


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kws.benchmark", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    fsdd = load_fsdd(data_dir(args.data_dir))
    windows = extract_windows([r.pcm for r in fsdd.recordings], FULL)
    raw = FULL.__class__(**{**FULL.__dict__, "cmn": False, "lifter": 0})
    tables = make_tables(raw)
    start = time.perf_counter()
    ours = compute_mfcc(windows, raw, tables)
    ours_seconds = time.perf_counter() - start
    librosa_mfcc(windows[0])  # first call loads librosa's caches: not timed
    start = time.perf_counter()
    theirs = np.stack([librosa_mfcc(w) for w in windows])
    librosa_seconds = time.perf_counter() - start
    n = len(windows)
    print(f"clips: {n} windows of {FULL.window_samples} samples -> {ours.shape[1]} x {ours.shape[2]} MFCC")
    print(f"kws.mfcc (numpy, vectorised): {n / ours_seconds:,.0f} clips/s ({ours_seconds:.2f} s)")
    print(f"librosa per-clip loop:        {n / librosa_seconds:,.0f} clips/s ({librosa_seconds:.2f} s)")
    print(f"speed-up: {librosa_seconds / ours_seconds:.1f}x")
    print(f"librosa vs ours, max abs difference (different filter shapes and DCT scaling): "
          f"{float(np.abs(theirs - ours).max()):.3g} (feature range {float(ours.max() - ours.min()):.3g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
