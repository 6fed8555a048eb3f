"""Test-wide settings: tf-keras before TensorFlow, where the real data sets are, tool checks.

Real data sets come from $TINYML_LABS_DATA if it is set (a folder laid out as fsdd/recordings/, mnist/,
wisdm_ar_v1.1/), else from the download cache the demos fill (shared.data.cache_dir(): mnist/, fsdd-v1.0.10/, wisdm/);
the pytest header says which. Tests never download.

A test that needs an outside tool (arm-none-eabi-gcc, qemu-system-arm, clang) or a real data file calls
`require_tool` / `real_data_file` (or uses the `shared_data` folder). Locally a missing one skips the test; with
TINYML_LABS_STRICT=1 (set by .ci/run) it fails instead, so CI never reports a skipped check as passing.
"""

import os
import shutil
from pathlib import Path

import pytest

import shared  # noqa: F401  (sets TF_USE_LEGACY_KERAS before any test imports TensorFlow)
from shared.data import DATA_ENV, cache_dir

REPO_ROOT = Path(__file__).resolve().parent.parent
STRICT = os.environ.get("TINYML_LABS_STRICT") == "1"


def _data_source() -> tuple[Path, str]:
    """(folder, where it came from): $TINYML_LABS_DATA if set, else the download cache."""
    value = os.environ.get(DATA_ENV, "")
    if value:
        return Path(value).expanduser(), f"${DATA_ENV}"
    return cache_dir(), "the download cache, as TINYML_LABS_DATA is not set"


DATA_ROOT, DATA_SOURCE = _data_source()


def pytest_report_header(config: pytest.Config) -> str:
    found = "" if DATA_ROOT.is_dir() else "; the folder does not exist, tests that need real data will skip or fail"
    return f"tinyml-labs real data: {DATA_ROOT}, from {DATA_SOURCE}{found}"


def missing(what: str) -> None:
    """Skip (locally) or fail (TINYML_LABS_STRICT=1) because `what` is not available."""
    if STRICT:
        pytest.fail(f"{what} is missing and TINYML_LABS_STRICT=1 forbids skipping")
    pytest.skip(f"{what} is missing")


def require_tool(name: str) -> str:
    """Path of executable `name`, or skip/fail the calling test."""
    path = shutil.which(name)
    if path is None:
        missing(f"tool {name!r}")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only folder of real data sets ($TINYML_LABS_DATA, else the download cache)."""
    if not DATA_ROOT.is_dir():
        missing(f"real data folder {DATA_ROOT} (from {DATA_SOURCE})")
    return DATA_ROOT


def real_data_file(*candidates: str) -> Path:
    """The first of `candidates` (paths relative to the data folder) that exists, or skip/fail naming them all."""
    for relative in candidates:
        path = DATA_ROOT / relative
        if path.exists():
            return path
    missing(f"real data {' or '.join(candidates)} in {DATA_ROOT} (from {DATA_SOURCE})")
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def mnist_data(shared_data) -> Path:
    """The real data folder, checked to hold the MNIST training files (mnist/ in a data folder and in the cache)."""
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        real_data_file(f"mnist/{name}")
    return shared_data


@pytest.fixture(scope="session")
def wisdm_arff(shared_data) -> Path:
    """WISDM v1.1's transformed ARFF: wisdm_ar_v1.1/ in a data folder, wisdm/ (from the archive) in the cache."""
    name = "WISDM_ar_v1.1_transformed.arff"
    return real_data_file(f"wisdm_ar_v1.1/{name}", f"wisdm/{name}")
