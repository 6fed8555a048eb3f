"""MotionSense (Malekzadeh et al. 2019): real raw phone motion for the six WISDM activities, read strictly.

Source layout (the authors' `A_DeviceMotion_data.zip`): `A_DeviceMotion_data/<activity>_<trial>/sub_<n>.csv`,
one CSV per subject and trial, Core Motion `CMDeviceMotion` at 50 Hz, iPhone 6s in the front trouser pocket.
Each row: an unnamed row index, then attitude.roll/pitch/yaw (rad), gravity.x/y/z (g), rotationRate.x/y/z (rad/s),
userAcceleration.x/y/z (g). No timestamp: rows are consecutive samples.

Three ways to hold it, tried in this order (`find_source`):
1. a folder of per-trial zips (`wlk_7.zip` holding `A_DeviceMotion_data/wlk_7/sub_*.csv`), read without unpacking;
2. an extracted `A_DeviceMotion_data/` tree;
3. the upstream single `A_DeviceMotion_data.zip` (local, cached, or downloaded into the cache).

Strict parsing: every row must have the 13 fields, numbers only, all finite, and the row index must count up from 0
by 1 (blank lines hold no sample and are passed over). A row that fails is dropped and counted under its reason;
it also ends the run of good rows, so a window never spans a dropped sample (`Trial.segments`). A file whose
header is not the Core Motion header is skipped whole and counted. Nothing is guessed or filled in.

Integrity: the authors publish no checksum of the zip. What is checked instead: the layout (15 trial folders, the
six activities, `sub_<n>.csv` names) and, for subjects 1-20, the total row count of this project's reference copy
(1,182,344 rows, 300 files); a mismatch becomes a note in the report.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from har.config import ACTIVITIES

NATIVE_RATE_HZ = 50
ROOT = "A_DeviceMotion_data"
ARCHIVE_NAME = "A_DeviceMotion_data.zip"
ARCHIVE_URLS = ("https://github.com/mmalekzadeh/motion-sense/raw/master/data/A_DeviceMotion_data.zip",)
SUBDIR = "motionsense"
HEADER = (",attitude.roll,attitude.pitch,attitude.yaw,gravity.x,gravity.y,gravity.z,"
          "rotationRate.x,rotationRate.y,rotationRate.z,userAcceleration.x,userAcceleration.y,userAcceleration.z")
N_FIELDS = 13
GRAVITY = slice(4, 7)
USER_ACCELERATION = slice(10, 13)
# Trial folder prefix -> WISDM activity name (the authors' README).
ACTIVITY_CODES = {"wlk": "Walking", "jog": "Jogging", "ups": "Upstairs", "dws": "Downstairs", "sit": "Sitting",
                  "std": "Standing"}
TRIALS = ("dws_1", "dws_2", "dws_11", "ups_3", "ups_4", "ups_12", "wlk_7", "wlk_8", "wlk_15", "jog_9", "jog_16",
          "sit_5", "sit_13", "std_6", "std_14")
# Rows of subjects 1-20 in the reference copy (SOURCE.md of the data folder; the upstream CSVs byte for byte).
EXPECTED_ROWS_SUBJECTS_1_20 = 1_182_344
_MEMBER = re.compile(r"(?:^|/)A_DeviceMotion_data/([a-z]{3}_\d+)/sub_(\d+)\.csv$")

# Reasons a row (or a whole file) is dropped.
SKIP_HEADER = "file header is not the Core Motion header (file skipped)"
SKIP_FIELDS = "missing or extra column"
SKIP_TRUNCATED = "truncated file (last row incomplete)"
SKIP_NUMBER = "not a number"
SKIP_NAN = "NaN or infinite value"
SKIP_INDEX = "row index out of sequence"
SKIP_TRIAL = "unknown trial folder (file skipped)"


@dataclass
class CsvTable:
    """One strictly parsed CSV: its good rows and the row ranges that are unbroken runs of good rows."""

    values: np.ndarray  # (n, 13) float64, good rows only, file order
    segments: np.ndarray  # (k, 2) int64 [begin, end) into values: runs without a dropped row
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows
    first_bad_row: int | None = None  # 1-based line number in the file of the first dropped row (header = 1)
    first_bad_reason: str | None = None


@dataclass
class Trial:
    """One subject's recording of one trial folder, total acceleration in the WISDM convention at the native rate."""

    name: str  # trial folder, e.g. "wlk_7"
    subject: int
    activity: int  # index into ACTIVITIES
    xyz: np.ndarray  # (n, 3) float64, m/s^2, Android/WISDM axes and sign (har.conversion), 50 Hz
    segments: np.ndarray  # (k, 2) int64 [begin, end): runs of consecutive good rows


@dataclass
class MotionSense:
    """Every trial read, and what was skipped, for the report."""

    trials: list[Trial]
    source: str  # where it came from, for the report
    skipped: dict[str, int] = field(default_factory=dict)
    rows_by_subject: dict[int, int] = field(default_factory=dict)  # data rows read (good + dropped), no headers

    @property
    def rows(self) -> int:
        return sum(self.rows_by_subject.values())

    @property
    def subjects(self) -> list[int]:
        return sorted({trial.subject for trial in self.trials})


# ---------------------------------------------------------------------------------------------------------------
# strict CSV parsing


def _row_problem(fields: list[str], is_last_unterminated: bool) -> str | None:
    """Why a row's fields are not a good row, or None."""
    if len(fields) != N_FIELDS:
        return SKIP_TRUNCATED if is_last_unterminated else SKIP_FIELDS
    try:
        numbers = [float(text) for text in fields]
    except ValueError:
        return SKIP_NUMBER
    return None if all(np.isfinite(numbers)) else SKIP_NAN


def _slow_parse(lines: list[str], unterminated: bool) -> tuple[np.ndarray, list[str | None]]:
    """Row by row: (n, 13) float64 (NaN rows where a row is bad) and the problem of each row (None = good)."""
    values = np.full((len(lines), N_FIELDS), np.nan)
    problems: list[str | None] = []
    for i, line in enumerate(lines):
        fields = line.split(",")
        problem = _row_problem(fields, unterminated and i == len(lines) - 1)
        if problem is None:
            values[i] = [float(text) for text in fields]
        problems.append(problem)
    return values, problems


def _fast_parse(body: str, n_lines: int) -> np.ndarray | None:
    """numpy's C parser for the common case of a clean file; None if anything is off (the slow path then says what)."""
    try:
        values = np.loadtxt(io.StringIO(body), delimiter=",", dtype=np.float64, ndmin=2, comments=None)
    except ValueError:
        return None
    if values.shape != (n_lines, N_FIELDS) or not np.isfinite(values).all():
        return None
    return values


def _runs(good: np.ndarray) -> np.ndarray:
    """(k, 2) [begin, end) runs of True in `good`, as indices into the kept rows good[good]."""
    kept_index = np.cumsum(good) - 1
    edges = np.diff(np.concatenate([[0], good.astype(np.int8), [0]]))
    begins, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if not len(begins):
        return np.zeros((0, 2), dtype=np.int64)
    return np.stack([kept_index[begins], kept_index[ends - 1] + 1], axis=1).astype(np.int64)


def parse_csv_text(text: str) -> CsvTable:
    """Parse one MotionSense CSV strictly; never raises on content (see the module doc for the rules)."""
    text = text.replace("\r\n", "\n")  # a file saved on Windows: same rows
    if not text.startswith(HEADER + "\n") and text.rstrip("\r\n") != HEADER:
        return CsvTable(np.zeros((0, N_FIELDS)), np.zeros((0, 2), np.int64), {SKIP_HEADER: 1}, 1, SKIP_HEADER)
    body = text[len(HEADER) + 1 :]
    unterminated = bool(body) and not body.endswith("\n")
    # Blank lines hold no sample: passed over (they neither count nor shift the row index check).
    numbered = [(number, line) for number, line in enumerate(body.split("\n"), start=2) if line.strip()]
    lines = [line for _, line in numbered]
    values = None if unterminated else _fast_parse(body, len(lines))
    problems: list[str | None] = [None] * len(lines)
    if values is None:
        values, problems = _slow_parse(lines, unterminated)
    # The row index must count 0, 1, 2, ...: a row whose index is not its line's position was moved or invented.
    for i in np.flatnonzero(values[:, 0] != np.arange(len(lines))):
        problems[i] = problems[i] or SKIP_INDEX
    skipped: dict[str, int] = {}
    for problem in problems:
        if problem is not None:
            skipped[problem] = skipped.get(problem, 0) + 1
    good = np.array([problem is None for problem in problems], dtype=bool)
    first_bad = int(np.argmin(good)) if not good.all() else None
    return CsvTable(values[good], _runs(good), skipped,
                    None if first_bad is None else numbered[first_bad][0],  # 1-based file line (header = 1)
                    None if first_bad is None else problems[first_bad])


def total_acceleration_g(table: CsvTable) -> np.ndarray:
    """(n, 3) float64 gravity + userAcceleration, g, Core Motion's device frame and sign."""
    return table.values[:, GRAVITY] + table.values[:, USER_ACCELERATION]


# ---------------------------------------------------------------------------------------------------------------
# finding and reading the files


Opener = Callable[[], bytes]


def _entries_from_zip(archive: zipfile.ZipFile) -> Iterator[tuple[str, int, Opener]]:
    for name in archive.namelist():
        if name.startswith("__MACOSX/") or Path(name).name.startswith("._"):
            continue  # macOS resource forks in archives made on a Mac: not data
        match = _MEMBER.search(name)
        if match:
            yield match.group(1), int(match.group(2)), (lambda n=name: archive.read(n))


def _entries_from_tree(root: Path) -> Iterator[tuple[str, int, Opener]]:
    for path in sorted(root.glob("*/sub_*.csv")):
        match = _MEMBER.search(path.as_posix())
        if match:
            yield match.group(1), int(match.group(2)), path.read_bytes


def find_source(data_dir: Path | None, download: bool = True) -> Path:
    """Where MotionSense is: a folder of per-trial zips, an extracted tree's parent, or the upstream zip.

    Looks in `data_dir/motionsense`, `data_dir`, then the cache; downloads the upstream zip into the cache last
    (no checksum is published: the layout and row counts are checked after reading).
    """
    from shared.data import DataError, RemoteFile, cache_dir, fetch

    folders = [data_dir / SUBDIR, data_dir] if data_dir is not None else []
    folders.append(cache_dir() / SUBDIR)
    for folder in folders:
        if any((folder / f"{trial}.zip").is_file() for trial in TRIALS) or (folder / ROOT).is_dir():
            return folder
        if (folder / ARCHIVE_NAME).is_file():
            return folder / ARCHIVE_NAME
    if not download:
        raise DataError(f"MotionSense not found in {', '.join(map(str, folders))}")
    try:
        return fetch(RemoteFile(ARCHIVE_NAME, ARCHIVE_URLS, sha256=None), SUBDIR)
    except DataError as error:
        raise DataError(f"{error}; or pass --data-dir with motionsense/ (per-trial zips or {ROOT}/)") from None


def _open_source(source: Path) -> tuple[list[tuple[str, int, Opener]], list[zipfile.ZipFile]]:
    """(trial, subject, read bytes) for every CSV of the source, and the zip files to close afterwards."""
    from shared.data import DataError

    paths = [source] if source.is_file() else [source / f"{t}.zip" for t in TRIALS if (source / f"{t}.zip").is_file()]
    archives = []
    for path in paths:
        try:
            archives.append(zipfile.ZipFile(path))
        except (zipfile.BadZipFile, OSError) as error:
            for archive in archives:
                archive.close()
            raise DataError(f"{path}: not a readable zip archive ({error})") from None
    entries = [entry for archive in archives for entry in _entries_from_zip(archive)]
    if not archives:
        entries = list(_entries_from_tree(source / ROOT))
    if not entries:
        raise DataError(f"{source}: no {ROOT}/<activity>_<trial>/sub_<n>.csv inside")
    return sorted(entries, key=lambda e: (TRIALS.index(e[0]) if e[0] in TRIALS else 99, e[1])), archives


def read_trial(trial: str, subject: int, raw: bytes) -> tuple[Trial | None, CsvTable]:
    """One CSV's bytes -> a Trial in the WISDM convention (None if no good row), and its parse table."""
    from har.conversion import coremotion_to_wisdm

    table = parse_csv_text(raw.decode("utf-8", errors="replace"))
    if not len(table.values):
        return None, table
    activity = ACTIVITIES.index(ACTIVITY_CODES[trial.split("_")[0]])
    return Trial(trial, subject, activity, coremotion_to_wisdm(total_acceleration_g(table)), table.segments), table


def load_motionsense(source: Path, subjects: tuple[int, ...] | None = None) -> MotionSense:
    """Read every trial CSV of `source` (see find_source); only `subjects` if given. DataError if none is usable."""
    from shared.data import DataError

    entries, archives = _open_source(source)
    trials, skipped, rows = [], {}, {}
    try:
        for trial, subject, read in entries:
            if trial.split("_")[0] not in ACTIVITY_CODES:
                skipped[SKIP_TRIAL] = skipped.get(SKIP_TRIAL, 0) + 1
                continue
            if subjects is not None and subject not in subjects:
                continue
            try:
                raw = read()
            except (zipfile.BadZipFile, OSError, EOFError) as error:  # a damaged member: CRC or truncated archive
                raise DataError(f"{source}: cannot read {ROOT}/{trial}/sub_{subject}.csv ({error})") from None
            parsed, table = read_trial(trial, subject, raw)
            dropped = sum(n for reason, n in table.skipped.items() if reason != SKIP_HEADER)
            rows[subject] = rows.get(subject, 0) + len(table.values) + dropped
            for reason, count in table.skipped.items():
                skipped[reason] = skipped.get(reason, 0) + count
            if parsed is not None:
                trials.append(parsed)
    finally:
        for archive in archives:
            archive.close()
    if not trials:
        raise DataError(f"{source}: no usable MotionSense rows (skipped: {skipped})")
    return MotionSense(trials, str(source), skipped, rows)


def integrity_notes(data: MotionSense) -> list[str]:
    """What was checked instead of a checksum, and any mismatch."""
    notes = ["MotionSense: the authors publish no checksum; checked instead: the layout (trial folders, "
             f"sub_<n>.csv) and the row count of subjects 1-20 ({EXPECTED_ROWS_SUBJECTS_1_20:,})"]
    names = {trial.name for trial in data.trials}
    missing = [trial for trial in TRIALS if trial not in names]
    if missing:
        notes.append(f"MotionSense: trial folders missing: {missing}")
    if set(range(1, 21)) <= set(data.rows_by_subject) and not missing:
        rows = sum(data.rows_by_subject[subject] for subject in range(1, 21))
        if rows != EXPECTED_ROWS_SUBJECTS_1_20:
            notes.append(f"MotionSense: subjects 1-20 have {rows:,} rows, expected {EXPECTED_ROWS_SUBJECTS_1_20:,}")
    return notes
