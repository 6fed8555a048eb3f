"""python -m kws.benchmark [--data-dir D]: host MFCC throughput, ours (vectorised numpy) vs a per-clip librosa loop.

Both compute 61 x 13 MFCC of the same fixed 1 s windows of every FSDD clip. librosa gets settings as close to
arm_mfcc_f32 as it has (no centring, magnitude spectrum, HTK mel, periodic Hamming, natural log via
np.log of the mel magnitudes); its filters are triangles in Hz rather than in mel, and its DCT is orthonormal, so its
numbers differ from ours (the max difference is printed as a documented comparison, not a check).

Ours is timed on one thread and on all the cores this process may use (compute_mfcc's thread pool over chunks of
clips); the librosa loop runs on one thread. The like-with-like speed-up is one thread against one thread; the
all-cores figure is printed next to it and says so. Each timing is the best of 5 rounds that time every
run once (the machine is shared), all in the same run of this program.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

import numpy as np

from kws.config import FULL
from kws.data import load_fsdd
from kws.mfcc import available_cores, compute_mfcc, make_tables
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


def best_seconds(runs: dict[str, object], rounds: int = 5) -> dict[str, float]:
    """The fastest wall-clock timing of each run() over `rounds` rounds, each round timing every run once.

    The machine is shared: the minimum is the signal, and interleaving the runs gives each the same chances.
    """
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kws.benchmark", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    fsdd = load_fsdd(data_dir(args.data_dir))
    windows = extract_windows([r.pcm for r in fsdd.recordings], FULL)
    raw = dataclasses.replace(FULL, cmn=False, lifter=0)  # arm_mfcc_f32's own output, for the value comparison
    cores = available_cores()
    load = os.getloadavg()[0]
    librosa_mfcc(windows[0])  # first call loads librosa's caches: not timed
    runs = {threads: lambda t=threads: compute_mfcc(windows, FULL, make_tables(FULL), threads=t)  # the full step
            for threads in sorted({1, cores})}
    runs["librosa"] = lambda: [librosa_mfcc(w) for w in windows]
    seconds = best_seconds(runs)
    librosa_seconds = seconds.pop("librosa")
    ours_seconds = seconds  # threads -> seconds
    ours = compute_mfcc(windows, raw, make_tables(raw))
    theirs = np.stack([librosa_mfcc(w) for w in windows])
    n = len(windows)
    print(f"clips: {n} windows of {FULL.window_samples} samples -> {ours.shape[1]} x {ours.shape[2]} MFCC")
    print(f"cores: {cores}; 1-minute load average at the start: {load:.2f} (above 0 = other processes compete)")
    steps = "incl. CMN + lifter" if FULL.cmn else "incl. the lifter"  # what FULL's feature step does after the MFCC
    for threads, seconds in ours_seconds.items():
        label = f"{threads} thread{'s' if threads > 1 else ''}" + (" (all cores)" if threads == cores > 1 else "")
        print(f"{'kws.mfcc (numpy, vectorised, ' + steps + '), ' + label + ':':72s} {n / seconds:>7,.0f} clips/s "
              f"({seconds:.3f} s)")
    print(f"{'librosa per-clip loop (MFCC only), 1 thread:':72s} {n / librosa_seconds:>7,.0f} clips/s "
          f"({librosa_seconds:.3f} s)")
    print(f"speed-up, 1 thread vs librosa's 1 thread (like with like): {librosa_seconds / ours_seconds[1]:.1f}x")
    if cores > 1:
        print(f"speed-up, {cores} threads (all cores) vs librosa's 1 thread: "
              f"{librosa_seconds / ours_seconds[cores]:.1f}x")
    print(f"librosa vs ours, max abs difference (different filter shapes and DCT scaling): "
          f"{float(np.abs(theirs - ours).max()):.3g} (feature range {float(ours.max() - ours.min()):.3g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
