"""The KWS C twins (firmware/apps/kws/window.c, mfcc.c + CMSIS-DSP) built and run on the host with gcc.

The host build uses the device's float flags (`shared.cmsis_dsp.compile_flags()`: -ffp-contract=off, same CMSIS-DSP
code paths), so its features are the bit-exact reference for the Cortex-M build, and the tests compare it with numpy
and with the `cmsisdsp` package.

    exe = build_twin(cfg, Path("build/kws/twin"))
    starts, windows, features = run_twin(exe, [pcm_int16, ...], cfg)
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from kws import config
from shared import cmsis_dsp

APP_DIR = Path(__file__).resolve().parent.parent / "firmware" / "apps" / "kws"
DRIVER = APP_DIR / "host" / "twin_driver.c"
OUR_WARNINGS = ["-Wall", "-Wextra", "-Wconversion", "-Wdouble-promotion", "-Werror"]


class TwinError(RuntimeError):
    """The C twin could not be built or run (the compiler's or driver's message included)."""


def _compile(gcc: str, source: Path, obj: Path, includes: list[Path], strict: bool) -> None:
    """One object file; our sources with the project's warnings as errors, CMSIS-DSP's own with none (-w).

    CMSIS-DSP headers come in with -isystem: their own warnings are not ours to fix.
    """
    flags = OUR_WARNINGS if strict else ["-w"]
    cmsis_includes = [f"-isystem{d}" for d in cmsis_dsp.include_dirs()]
    command = [gcc, "-std=c99", "-O2", *flags, *cmsis_dsp.compile_flags(), *[f"-I{d}" for d in includes],
               *cmsis_includes, "-c", str(source), "-o", str(obj)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise TwinError(f"{source.name} does not compile:\n{result.stderr[-4000:]}")


def build_twin(cfg: config.KwsConfig, out_dir: Path, gcc: str = "gcc", sources_dir: Path | None = None) -> Path:
    """Host executable of the driver + C twins + generated tables + CMSIS-DSP for `cfg`, in `out_dir`.

    sources_dir: where kws_config.h and the tables already are (a run's export/c); without it they are written
    into out_dir/generated."""
    if shutil.which(gcc) is None:
        raise TwinError(f"{gcc} not found: install a host C compiler (Debian: apt-get install gcc)")
    out_dir.mkdir(parents=True, exist_ok=True)
    generated = Path(sources_dir) if sources_dir is not None else out_dir / "generated"
    if sources_dir is None:
        config.write_firmware_sources(cfg, generated)
    ours = [DRIVER, APP_DIR / "window.c", APP_DIR / "mfcc.c", APP_DIR / "vlog.c", generated / "kws_mfcc_tables.c"]
    objects = []
    for index, source in enumerate(ours + cmsis_dsp.mfcc_sources()):
        obj = out_dir / f"{index:02d}_{source.stem}.o"
        _compile(gcc, source, obj, [generated, APP_DIR], strict=source in ours)
        objects.append(obj)
    exe = out_dir / "kws_twin"
    subprocess.run([gcc, *map(str, objects), "-lm", "-o", str(exe)], check=True)
    return exe


def run_twin(exe: Path, clips: list[np.ndarray], cfg: config.KwsConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts int32 (B,), windows int16 (B, W), features float32 (B, n_frames, n_mfcc)) from the C twin."""
    stdin = b"".join(np.int32(len(c)).tobytes() + np.asarray(c, dtype=np.int16).tobytes() for c in clips)
    result = subprocess.run([str(exe)], input=stdin, capture_output=True, check=False)
    if result.returncode != 0:
        raise TwinError(f"C twin exited with status {result.returncode}")
    record = np.dtype([("start", "<i4"), ("window", "<i2", cfg.window_samples),
                       ("features", "<f4", cfg.n_frames * cfg.n_mfcc)])
    out = np.frombuffer(result.stdout, dtype=record)
    if len(out) != len(clips):
        raise TwinError(f"C twin answered {len(out)} clips of {len(clips)}")
    return out["start"].copy(), out["window"].copy(), out["features"].reshape(len(clips), *cfg.input_shape).copy()
