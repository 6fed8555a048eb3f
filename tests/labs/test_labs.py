"""Every classroom lab (docs/labs/NN_*.py) runs to its end in smoke mode: every cell and every "check yourself"
assert, on the real data sets, with tiny subsets and one or two epochs (docs/labs/labmode.py). A change that breaks a
lab fails here. Each lab runs as a student runs it: `python docs/labs/NN_x.py`, its output in a fresh folder."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.data import DATA_ENV
from tests.conftest import REPO_ROOT, require_tool

LABS = sorted((REPO_ROOT / "docs" / "labs").glob("[0-9][0-9]_*.py"))


def test_there_are_six_labs():
    assert [lab.name[:2] for lab in LABS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.slow
@pytest.mark.firmware
@pytest.mark.parametrize("lab", LABS, ids=[lab.stem[:2] for lab in LABS])
def test_lab_runs_in_smoke_mode(lab: Path, shared_data: Path, tmp_path: Path):
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "cmake"):
        require_tool(tool)
    env = {**os.environ, "TINYML_LABS_SMOKE": "1", "TINYML_LABS_OUT": str(tmp_path), DATA_ENV: str(shared_data),
           "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, str(lab)], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{lab.name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    summary = tmp_path / lab.stem / "summary.md"
    assert summary.is_file() and "smoke mode" in summary.read_text()
    assert list((tmp_path / lab.stem).glob("*.png")), f"{lab.name} drew no figure"
    written = {p.relative_to(tmp_path).parts[0] for p in tmp_path.iterdir()}
    assert written == {lab.stem}, f"{lab.name} wrote outside build/labs/{lab.stem}/: {sorted(written)}"
