"""Test-wide settings: tf-keras before TensorFlow, the shared data folder, tool checks.

A test that needs an outside tool (arm-none-eabi-gcc, qemu-system-arm, clang) or the shared data calls
`require_tool` / uses `shared_data`. Locally a missing one skips the test; with TINYML_LABS_STRICT=1 (set by
.ci/run) it fails instead, so CI never reports a skipped check as passing.
"""

import os
import shutil
from pathlib import Path

import pytest

import shared  # noqa: F401  (sets TF_USE_LEGACY_KERAS before any test imports TensorFlow)

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("TINYML_LABS_DATA", REPO_ROOT.parent / "shared" / "data"))
STRICT = os.environ.get("TINYML_LABS_STRICT") == "1"


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
    """The read-only folder of real data sets (../shared/data or TINYML_LABS_DATA)."""
    if not SHARED_DATA.is_dir():
        missing(f"real data folder {SHARED_DATA}")
    return SHARED_DATA
