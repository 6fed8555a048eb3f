"""CMSIS-DSP C sources for host and device builds, fetched from the `cmsisdsp` sdist on PyPI and cached.

The sdist (Apache-2.0) holds the whole C library (`Source/`, `Include/`, `PrivateInclude/`) but no CMSIS-Core
headers. `-D__GNUC_PYTHON__` (the define the sdist's own setup.py builds with) removes that dependency: CMSIS-DSP
then defines its compiler macros itself and skips the integer SIMD intrinsics; float32 code is unaffected.

    root = cmsis_dsp_root()              # downloads once (pip download), verifies sha256, unpacks atomically
    gcc ... $(compile_flags) -I<include_dirs> <mfcc_sources> ...

The sdist's sha256 below was measured on the first download (pip, PyPI, 2026-11-26); every later fetch is checked
against it, so a changed archive stops the build with a message instead of compiling unknown code.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "1.10.3"
SDIST_NAME = f"cmsisdsp-{VERSION}.tar.gz"
SDIST_SHA256 = "307d32298faa7c58db912851027fce35f886fec7eb1a27c4b309ce1a97f47519"

# Files below Source/ that arm_mfcc_f32 (with the generic or size-specific init) links against.
_FFT_SOURCES = (
    "TransformFunctions/arm_rfft_fast_f32.c",
    "TransformFunctions/arm_rfft_fast_init_f32.c",
    "TransformFunctions/arm_cfft_f32.c",
    "TransformFunctions/arm_cfft_init_f32.c",
    "TransformFunctions/arm_cfft_radix8_f32.c",
    "TransformFunctions/arm_bitreversal2.c",
    "CommonTables/arm_common_tables.c",
    "CommonTables/arm_const_structs.c",
    "ComplexMathFunctions/arm_cmplx_mag_f32.c",
)
_MFCC_SOURCES = (
    "TransformFunctions/arm_mfcc_f32.c",
    "TransformFunctions/arm_mfcc_init_f32.c",
    "StatisticsFunctions/arm_absmax_f32.c",
    "BasicMathFunctions/arm_scale_f32.c",
    "BasicMathFunctions/arm_mult_f32.c",
    "BasicMathFunctions/arm_dot_prod_f32.c",
    "BasicMathFunctions/arm_offset_f32.c",
    "FastMathFunctions/arm_vlog_f32.c",
    "MatrixFunctions/arm_mat_vec_mult_f32.c",
)


class CmsisDspError(RuntimeError):
    """The CMSIS-DSP sources could not be fetched or did not verify (one line, names the cause)."""


def cache_root() -> Path:
    """Where the unpacked sources live: $TINYML_LABS_CMSIS_DSP_CACHE, else <user cache>/tinyml-labs/cmsis-dsp."""
    explicit = os.environ.get("TINYML_LABS_CMSIS_DSP_CACHE")
    if explicit:
        return Path(explicit)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "tinyml-labs" / "cmsis-dsp"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download_sdist(into: Path) -> Path:
    """`pip download` the sdist into `into` (the only form pip fetches without building numpy): its path."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", "cmsisdsp",
               f"cmsisdsp=={VERSION}", "-d", str(into), "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    sdist = into / SDIST_NAME
    if result.returncode != 0 or not sdist.is_file():
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise CmsisDspError(f"could not download {SDIST_NAME} with pip: {last}")
    return sdist


def _verified_sdist(cache: Path) -> Path:
    """The cached sdist, downloaded first if missing; CmsisDspError if its sha256 is not the pinned one."""
    sdist = cache / SDIST_NAME
    if not sdist.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            downloaded = _download_sdist(Path(tmp))
            if _sha256(downloaded) != SDIST_SHA256:
                raise CmsisDspError(f"{SDIST_NAME} from PyPI has sha256 {_sha256(downloaded)}, expected {SDIST_SHA256}")
            os.replace(downloaded, sdist)
    actual = _sha256(sdist)
    if actual != SDIST_SHA256:
        raise CmsisDspError(f"{sdist} has sha256 {actual}, expected {SDIST_SHA256}; delete it to download again")
    return sdist


def cmsis_dsp_root(cache: Path | None = None) -> Path:
    """The unpacked CMSIS-DSP tree (has Source/, Include/, PrivateInclude/), fetching it on first use."""
    cache = cache or cache_root()
    root = cache / f"cmsisdsp-{VERSION}"
    if (root / "Source").is_dir():
        return root
    sdist = _verified_sdist(cache)
    staging = Path(tempfile.mkdtemp(prefix="unpack-", dir=cache))
    try:
        with tarfile.open(sdist, "r:gz") as archive:
            archive.extractall(staging, filter="data")
        try:
            os.replace(staging / f"cmsisdsp-{VERSION}", root)  # atomic: a half-unpacked tree is never seen
        except OSError:
            if not (root / "Source").is_dir():  # lost a race with another process: theirs is as good
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root


def mfcc_sources(root: Path | None = None) -> list[Path]:
    """The .c files `arm_mfcc_f32` and its init need (FFT included)."""
    root = root or cmsis_dsp_root()
    return [root / "Source" / name for name in _MFCC_SOURCES + _FFT_SOURCES]


def rfft_sources(root: Path | None = None) -> list[Path]:
    """The .c files `arm_rfft_fast_f32` and `arm_cmplx_mag_f32` need."""
    root = root or cmsis_dsp_root()
    return [root / "Source" / name for name in _FFT_SOURCES]


def include_dirs(root: Path | None = None) -> list[Path]:
    """Include folders for a CMSIS-DSP build: Include/ and PrivateInclude/."""
    root = root or cmsis_dsp_root()
    return [root / "Include", root / "PrivateInclude"]


def compile_flags() -> list[str]:
    """Defines and float flags for a CMSIS-DSP build on host gcc or arm-none-eabi-gcc.

    `-ffp-contract=off`: no fused multiply-add, so host and Cortex-M builds give bit-identical float32 results.
    `-DARM_MATH_LOOPUNROLL`: the unrolled loops CMSIS-DSP's own CMake build enables by default; host and device must
    agree on it, as it changes the order of float32 sums. (Never -ffast-math: the `cmsisdsp` Python package is
    built with it, which is why that package differs from these builds in the last bits.)
    Put `include_dirs()` on the command line with -isystem so -Werror is not tripped by CMSIS-DSP's own headers.
    """
    return ["-D__GNUC_PYTHON__", "-DARM_MATH_LOOPUNROLL", "-ffp-contract=off"]
