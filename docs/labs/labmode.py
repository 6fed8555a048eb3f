"""What every lab shares: full or smoke mode, where it writes, the demo runs it needs, its summary.

Smoke mode (TINYML_LABS_SMOKE=1, set by `nox -s labs -- --smoke` and by tests/labs/test_labs.py) runs every cell and
every "check yourself" assert on real data, but on tiny subsets with one epoch, so all six labs fit in CI's budget.
A lab picks its sizes with `pick(full=..., smoke=...)`; nothing else changes between the modes.

A lab writes only under build/labs/<lab>/: its figures, summary.md, and the demo runs it needs
(build/labs/<lab>/<app>/, the same artifact chain as build/<app>/). A demo run is reused when its folder already holds
a finished run (metrics.json) made with the same command, so rerunning a lab to answer a question is fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `python docs/labs/NN_x.py` from a clone: the demos import as packages
    sys.path.insert(0, str(ROOT))

if "ipykernel" not in sys.modules:  # a script or a test draws into files; a notebook keeps its inline figures
    os.environ.setdefault("MPLBACKEND", "Agg")

SMOKE_ENV = "TINYML_LABS_SMOKE"
SMOKE = os.environ.get(SMOKE_ENV) == "1"
# Where labs write: build/labs/ of the clone; tests point it at a temporary folder so every run starts fresh.
LABS_OUT = Path(os.environ.get("TINYML_LABS_OUT") or ROOT / "build" / "labs")
COMMAND_FILE = "lab_command.json"  # beside a demo run: the command that made it

T = TypeVar("T")


def pick(full: T, smoke: T) -> T:
    """`full` for the lab as handed out, `smoke` in CI's smoke mode."""
    return smoke if SMOKE else full


def lab_dir(lab: str) -> Path:
    """build/labs/<lab>/, created: the only place a lab writes."""
    path = LABS_OUT / lab
    path.mkdir(parents=True, exist_ok=True)
    return path


def demo_command(app: str, out: Path, options: list[str]) -> list[str]:
    """`python -m <app> run <options> --out <out>` with this interpreter."""
    return [sys.executable, "-m", app, "run", *options, "--out", str(out)]


def run_demo(app: str, out: Path, options: list[str]) -> dict[str, Any]:
    """Run a demo into `out` (or reuse the finished run made by the same command there); returns its metrics.json.

    The demo's output goes to out/lab_run.log; on failure the log's last lines are raised with the command."""
    command = demo_command(app, out, options)
    stamp = out / COMMAND_FILE
    recorded = json.loads(stamp.read_text()) if stamp.is_file() else None
    if recorded == command[1:] and (out / "metrics.json").is_file():
        print(f"reusing {out} (made by: python {' '.join(command[1:])})")
        return json.loads((out / "metrics.json").read_text())
    out.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    print(f"running: python {' '.join(command[1:])}", flush=True)
    started = time.monotonic()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    log = out / "lab_run.log"
    with log.open("w") as stream:
        done = subprocess.run(command, cwd=ROOT, env=env, stdout=stream, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-25:])
        raise RuntimeError(f"`python {' '.join(command[1:])}` failed (exit {done.returncode}); {log}:\n{tail}")
    stamp.write_text(json.dumps(command[1:]) + "\n")
    print(f"done in {time.monotonic() - started:.0f} s; the run's log: {log}")
    return json.loads((out / "metrics.json").read_text())


def read_json(path: Path) -> dict[str, Any]:
    """A documented JSON artifact of a demo run."""
    return json.loads(Path(path).read_text())


def write_summary(lab: str, title: str, lines: list[str]) -> Path:
    """build/labs/<lab>/summary.md: what the student measured, in a few lines; printed too."""
    mode = "smoke mode (tiny subsets, figures not meaningful)" if SMOKE else "full lab"
    text = "\n".join([f"# {title}", "", f"_{mode}_", "", *lines, ""])
    path = lab_dir(lab) / "summary.md"
    path.write_text(text)
    print(text)
    print(f"wrote {path}")
    return path


def save_figure(figure: Any, lab: str, name: str) -> Path:
    """build/labs/<lab>/<name>.png from a matplotlib figure."""
    path = lab_dir(lab) / f"{name}.png"
    figure.savefig(path, dpi=110, bbox_inches="tight")
    print(f"wrote {path}")
    return path
