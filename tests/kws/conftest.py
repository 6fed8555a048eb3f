"""KWS test fixtures: real FSDD clips and the host-gcc build of the C twins (window.c, mfcc.c + CMSIS-DSP)."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import numpy as np
import pytest

from kws import config, mfcc
from shared import cmsis_dsp
from tests.conftest import REPO_ROOT, require_tool

APP_DIR = REPO_ROOT / "firmware" / "apps" / "kws"
OUR_WARNINGS = ["-Wall", "-Wextra", "-Wconversion", "-Wdouble-promotion", "-Werror"]


def _compile(gcc: str, source: Path, obj: Path, includes: list[Path], strict: bool) -> None:
    """One object file; our sources with STYLE.md's warnings as errors, CMSIS-DSP's own with none (-w).

    CMSIS-DSP headers come in with -isystem: their own warnings are not ours to fix.
    """
    flags = OUR_WARNINGS if strict else ["-w"]
    cmsis_includes = [f"-isystem{d}" for d in cmsis_dsp.include_dirs()]
    command = [gcc, "-std=c99", "-O2", *flags, *cmsis_dsp.compile_flags(), *[f"-I{d}" for d in includes],
               *cmsis_includes, "-c", str(source), "-o", str(obj)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{source.name} does not compile:\n{result.stderr[-4000:]}"


def build_twin(cfg: config.KwsConfig, out_dir: Path) -> Path:
    """Host executable of tests/kws/twin_driver.c + the C twins + generated tables + CMSIS-DSP for `cfg`."""
    gcc = require_tool("gcc")
    generated = out_dir / "generated"
    config.write_config_header(cfg, generated)
    mfcc.write_tables_c(cfg, generated)
    includes = [generated, APP_DIR]
    ours = [Path(__file__).with_name("twin_driver.c"), APP_DIR / "window.c", APP_DIR / "mfcc.c",
            generated / "kws_mfcc_tables.c"]
    objects = []
    for index, source in enumerate(ours + cmsis_dsp.mfcc_sources()):
        obj = out_dir / f"{index:02d}_{source.stem}.o"
        _compile(gcc, source, obj, includes, strict=source in ours)
        objects.append(obj)
    exe = out_dir / "kws_twin"
    subprocess.run([gcc, *map(str, objects), "-lm", "-o", str(exe)], check=True)
    return exe


def run_twin(exe: Path, clips: list[np.ndarray], cfg: config.KwsConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts int32 (B,), windows int16 (B, W), features float32 (B, n_frames, n_mfcc)) from the C twin."""
    stdin = b"".join(np.int32(len(c)).tobytes() + np.asarray(c, dtype=np.int16).tobytes() for c in clips)
    result = subprocess.run([str(exe)], input=stdin, capture_output=True, check=False)
    assert result.returncode == 0, f"C twin exited with {result.returncode}"
    n_feat = cfg.n_frames * cfg.n_mfcc
    record = np.dtype([("start", "<i4"), ("window", "<i2", cfg.window_samples), ("features", "<f4", n_feat)])
    out = np.frombuffer(result.stdout, dtype=record)
    assert len(out) == len(clips)
    return out["start"].copy(), out["window"].copy(), out["features"].reshape(len(clips), *cfg.input_shape).copy()


RAW_MFCC = dataclasses.replace(config.FULL, cmn=False, lifter=0)
"""FULL without the steps after arm_mfcc_f32 (mean normalisation, lifter): its features are arm_mfcc_f32's output."""


@pytest.fixture(scope="session")
def twin_exe(tmp_path_factory) -> Path:
    """The C twin built for the FULL profile."""
    return build_twin(config.FULL, tmp_path_factory.mktemp("kws_twin"))


@pytest.fixture(scope="session")
def raw_twin_exe(tmp_path_factory) -> Path:
    """The C twin built for RAW_MFCC."""
    return build_twin(RAW_MFCC, tmp_path_factory.mktemp("kws_raw_twin"))


@pytest.fixture(scope="session")
def fsdd_dir(shared_data) -> Path:
    """The shared FSDD recordings folder (5 speakers)."""
    return shared_data / "fsdd" / "recordings"


@pytest.fixture(scope="session")
def real_clips(fsdd_dir) -> list[np.ndarray]:
    """40 real FSDD clips (every digit, every speaker), int16."""
    import soundfile

    names = [f"{d}_{s}_{i}.wav" for d in range(10) for s, i in (("george", 3), ("jackson", 17), ("lucas", 31),
                                                                     ("yweweler", 49))]
    return [soundfile.read(fsdd_dir / name, dtype="int16")[0] for name in names]
