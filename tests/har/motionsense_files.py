"""MotionSense CSVs and archives in the exact upstream format, for tests (no network, no real data needed).

The real files are pandas `to_csv` output: a header whose first column is unnamed, then `index,13 values` rows with
Python's shortest float repr (e.g. `0.9899870000000001`), `\n` line ends, a final newline.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from har.motionsense import HEADER, ROOT


def csv_text(gravity_g: np.ndarray, user_acceleration_g: np.ndarray, seed: int = 0) -> str:
    """A CSV with the given gravity and userAcceleration (n, 3) in g; attitude and rotation rate random."""
    rng = np.random.default_rng(seed)
    n = len(gravity_g)
    attitude = rng.uniform(-3, 3, (n, 3))
    rotation = rng.normal(0, 1, (n, 3))
    values = np.concatenate([attitude, gravity_g, rotation, user_acceleration_g], axis=1)
    rows = [f"{i}," + ",".join(repr(float(v)) for v in row) for i, row in enumerate(values)]
    return HEADER + "\n" + "\n".join(rows) + "\n"


def standing_csv(n: int, seed: int = 0, value: float = 1.0) -> str:
    """Phone top down in the pocket (gravity.y = +value g, as MotionSense's standing trials), a little motion."""
    rng = np.random.default_rng(seed)
    gravity = np.tile([0.0, value, 0.0], (n, 1))
    return csv_text(gravity, rng.normal(0, 0.01, (n, 3)), seed)


def write_trial_zips(folder: Path, files: dict[tuple[str, int], str]) -> Path:
    """Per-trial zips as in the shared data folder: `<trial>.zip` holding `A_DeviceMotion_data/<trial>/sub_<n>.csv`."""
    folder.mkdir(parents=True, exist_ok=True)
    for trial in sorted({trial for trial, _ in files}):
        with zipfile.ZipFile(folder / f"{trial}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for (name, subject), text in sorted(files.items()):
                if name == trial:
                    archive.writestr(f"{ROOT}/{trial}/sub_{subject}.csv", text)
    return folder


def write_upstream_zip(path: Path, files: dict[tuple[str, int], str]) -> Path:
    """One `A_DeviceMotion_data.zip` as the authors distribute it: folder entries, then every CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{ROOT}/", "")
        for trial in sorted({trial for trial, _ in files}):
            archive.writestr(f"{ROOT}/{trial}/", "")
            for (name, subject), text in sorted(files.items()):
                if name == trial:
                    archive.writestr(f"{ROOT}/{trial}/sub_{subject}.csv", text)
    return path


def write_tree(folder: Path, files: dict[tuple[str, int], str]) -> Path:
    """The extracted tree `folder/A_DeviceMotion_data/<trial>/sub_<n>.csv`."""
    for (trial, subject), text in files.items():
        path = folder / ROOT / trial / f"sub_{subject}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder
