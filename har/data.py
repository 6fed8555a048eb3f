"""WISDM v1.1 data: the raw accelerometer stream (download + robust parser) and the transformed ARFF file.

Raw format, one record per sample (20 Hz, m/s^2, "10 = 1g"):
    user,activity,timestamp_ns,x,y,z;
The real file bends that format: a trailing `;` (sometimes `;` without a newline, so several records share a line),
a record broken over two lines, a missing `;`, empty or missing fields, a few non-numeric values and zero
timestamps. `parse_raw_text` keeps every record it can read and counts each skipped one under a reason; it never
raises on content.

Integrity of the download: the WISDM lab publishes no checksum of the archive, so none is pinned here (pretending
otherwise would be worse). What we check instead is what the authors do publish: the raw file's record count
(1,098,207 in WISDM_ar_v1.1_raw_about.txt) and its first record (EXPECTED_FIRST_RECORD). A mismatch is reported as
a warning note in the report, not hidden.
"""

from __future__ import annotations

import math
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from har.config import ACTIVITIES

RAW_FILE_NAME = "WISDM_ar_v1.1_raw.txt"
ARFF_FILE_NAME = "WISDM_ar_v1.1_transformed.arff"
ARCHIVE_NAME = "WISDM_ar_latest.tar.gz"
ARCHIVE_URLS = ("https://www.cis.fordham.edu/wisdm/includes/datasets/latest/WISDM_ar_latest.tar.gz",)
# The only integrity figures: the record count the authors publish (raw_about.txt) and the file's first record.
EXPECTED_RECORDS = 1_098_207
EXPECTED_FIRST_RECORD = (33, "Jogging", 49105962326000, -0.6946377, 12.680544, 0.50395286)

FIELDS_PER_RECORD = 6
_ACTIVITY_INDEX = {name: i for i, name in enumerate(ACTIVITIES)}

# Reasons a record is skipped, in the order they are checked.
SKIP_FIELD_COUNT = "wrong number of fields"
SKIP_EMPTY = "empty field"
SKIP_USER = "user id not a positive integer"
SKIP_ACTIVITY = "unknown activity"
SKIP_TIMESTAMP = "timestamp not an integer"
SKIP_ZERO_TIME = "zero timestamp"
SKIP_NUMBER = "acceleration not a finite float32 number"


@dataclass
class RawRecords:
    """Parsed raw stream, in file order. Arrays have one entry per kept record."""

    user: np.ndarray  # (n,) int16, 1..36
    activity: np.ndarray  # (n,) int8, index into ACTIVITIES
    timestamp_ns: np.ndarray  # (n,) int64
    xyz: np.ndarray  # (n, 3) float32, m/s^2
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count

    @property
    def n_skipped(self) -> int:
        return sum(self.skipped.values())

    def __len__(self) -> int:
        return len(self.user)


def _split_records(text: str) -> list[str]:
    """Record strings (without `;`), undoing records split over lines and lines that lack their `;`."""
    records: list[str] = []
    # No valid field holds white space, so dropping it everywhere is safe (and cheaper than a strip per field).
    text = text.replace(" ", "").replace("\t", "").replace("\r", "\n")
    for chunk in text.split(";"):
        chunk = chunk.strip()
        if not chunk:
            continue
        if "\n" not in chunk:  # the common case: one record between two `;`
            records.append(chunk)
            continue
        pieces = [piece.strip() for piece in chunk.split("\n") if piece.strip()]
        records.extend(_rejoin_pieces(pieces))
    return records


def _rejoin_pieces(pieces: list[str]) -> list[str]:
    """Lines inside one `;`-chunk: a record broken over lines, or several records missing their `;`.

    If the lines together hold exactly one record's commas they are one record broken over lines (even inside a
    number). Otherwise lines are joined greedily until a buffer holds all its separators.
    """
    separators = FIELDS_PER_RECORD - 1
    joined = "".join(pieces)
    if joined.count(",") == separators:
        return [joined]  # one record broken over lines (at a comma or inside a number)
    out: list[str] = []
    buffer = ""
    for piece in pieces:  # greedy: a buffer is a record once it holds all its separators
        buffer += piece
        if buffer.count(",") >= separators and not buffer.endswith(","):
            out.append(buffer)
            buffer = ""
    if buffer:
        out.append(buffer)
    return out


def _to_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _int_column(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """int64 column and a mask of the texts that are integers. Fast path: numpy's own conversion."""
    try:
        return np.array(texts).astype(np.int64), np.ones(len(texts), dtype=bool)
    except (ValueError, OverflowError):
        values = [_to_int(text) for text in texts]
        ok = np.array([v is not None and abs(v) < 2**62 for v in values], dtype=bool)
        return np.array([v if good else 0 for v, good in zip(values, ok, strict=True)], dtype=np.int64), ok


def _to_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _float_column(texts: list[str]) -> np.ndarray:
    """float64 column; NaN where a text is not a number. Fast path: numpy's own conversion."""
    try:
        return np.array(texts).astype(np.float64)
    except ValueError:
        return np.array([_to_float(text) for text in texts], dtype=np.float64)


def _field_columns(records: list[str], skipped: dict[str, int]) -> list[list[str]]:
    """Six columns of field texts for records with six non-empty fields; counts the others.

    One join and one split over all records instead of a split per record: ~4x faster on 1.1 M records.
    """
    separators = FIELDS_PER_RECORD - 1
    shaped = [record for record in records if record.count(",") == separators]
    if len(shaped) != len(records):
        skipped[SKIP_FIELD_COUNT] = len(records) - len(shaped)
    flat = ",".join(shaped).split(",") if shaped else []
    columns = [flat[i::FIELDS_PER_RECORD] for i in range(FIELDS_PER_RECORD)]
    if "" in flat:  # rare: drop records with an empty field
        empty = np.zeros(len(shaped), dtype=bool)
        for column in columns:
            empty |= np.array(column, dtype=object) == ""
        if empty.any():
            skipped[SKIP_EMPTY] = int(empty.sum())
            keep = np.flatnonzero(~empty)
            columns = [[column[i] for i in keep] for column in columns]
    return columns


def parse_raw_text(text: str, unknown_activity_ok: bool = False) -> RawRecords:
    """Parse WISDM raw text; every valid record is kept, every other one counted under its reason.

    unknown_activity_ok: keep records whose activity is not one of the six (activity index -1), for `predict`
    on the user's own recordings, where the activity column may hold anything.
    """
    skipped: dict[str, int] = {}
    columns = _field_columns(_split_records(text), skipped)
    n = len(columns[0])
    user, user_ok = _int_column(columns[0])
    activity = np.array([_ACTIVITY_INDEX.get(t, -1) for t in columns[1]], dtype=np.int64)
    timestamp_ns, time_ok = _int_column(columns[2])
    xyz = np.stack([_float_column(columns[i]) for i in (3, 4, 5)], axis=1) if n else np.zeros((0, 3))
    with np.errstate(over="ignore"):
        xyz = xyz.astype(np.float32)  # what the device holds; 1e39 becomes inf here and is skipped below
    checks = [
        (SKIP_USER, user_ok & (user > 0) & (user < 2**15)),
        (SKIP_ACTIVITY, (activity >= 0) | unknown_activity_ok),
        (SKIP_TIMESTAMP, time_ok),
        (SKIP_ZERO_TIME, timestamp_ns != 0),
        (SKIP_NUMBER, np.isfinite(xyz).all(axis=1)),
    ]
    keep = np.ones(n, dtype=bool)
    for reason, ok in checks:
        failed = int(np.count_nonzero(keep & ~ok))
        if failed:
            skipped[reason] = failed
        keep &= ok
    return RawRecords(
        user=user[keep].astype(np.int16),
        activity=activity[keep].astype(np.int8),
        timestamp_ns=timestamp_ns[keep],
        xyz=xyz[keep],
        skipped=skipped,
    )


def read_raw_file(path: Path, unknown_activity_ok: bool = False) -> RawRecords:
    """Parse a WISDM-format text file (bytes that are not UTF-8 become U+FFFD and fail their record only)."""
    return parse_raw_text(Path(path).read_bytes().decode("utf-8", errors="replace"), unknown_activity_ok)


def integrity_notes(records: RawRecords) -> list[str]:
    """Compare a parsed full raw file with the only figures the authors publish; a note per mismatch."""
    notes = [
        "WISDM raw archive: no published sha256 exists, so the download is checked by record count and first record"
    ]
    total = len(records) + records.n_skipped
    if total != EXPECTED_RECORDS:
        notes.append(f"WISDM raw file: {total} records read (kept + skipped), the authors state {EXPECTED_RECORDS}")
    if len(records):
        first = (int(records.user[0]), ACTIVITIES[records.activity[0]], int(records.timestamp_ns[0]))
        first_xyz = records.xyz[0]
        expected_xyz = np.array(EXPECTED_FIRST_RECORD[3:], dtype=np.float32)
        if first != EXPECTED_FIRST_RECORD[:3] or not np.array_equal(first_xyz, expected_xyz):
            notes.append(f"WISDM raw file: first record {first} differs from the documented {EXPECTED_FIRST_RECORD}")
    return notes


def find_wisdm_file(name: str, data_dir: Path | None) -> Path:
    """`name` (raw or ARFF) from a local folder (itself or WISDM_ar_v1.1/ inside), else from the downloaded archive."""
    if data_dir is not None:
        for folder in (data_dir, data_dir / "WISDM_ar_v1.1", data_dir / "wisdm_ar_v1.1"):
            if (folder / name).is_file():
                return folder / name
    return extract_from_archive(name, download_archive())


def download_archive() -> Path:
    """The WISDM archive from the cache, or downloaded with a progress bar (atomic rename when complete).

    The authors publish no sha256, so the archive is taken unverified; its content is checked later by
    `integrity_notes` (record count and first record) and the report says so.
    """
    from shared.data import DataError, RemoteFile, fetch

    try:
        return fetch(RemoteFile(ARCHIVE_NAME, ARCHIVE_URLS, sha256=None), "wisdm")
    except DataError as error:
        raise DataError(f"{error}; or pass --data-dir with {RAW_FILE_NAME}") from None


def extract_from_archive(name: str, archive: Path) -> Path:
    """`name` extracted (once) from the WISDM archive into the cache folder beside it."""
    from shared.data import DataError, atomic_write_bytes

    target = archive.parent / name
    if target.is_file():
        return target
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = next((m for m in tar.getmembers() if m.isfile() and Path(m.name).name == name), None)
            if member is None:
                raise DataError(f"{archive}: no {name} inside the WISDM archive")
            data = tar.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError) as error:
        archive.unlink(missing_ok=True)  # a broken download would fail again: fetch anew next time
        raise DataError(f"{archive}: cannot read the WISDM archive ({error}); removed, run again") from error
    return atomic_write_bytes(target, data)


# ---------------------------------------------------------------------------------------------------------------
# Transformed ARFF: Kwapisz et al.'s 43 features per 10 s window, computed by the WISDM lab. Host-only: our firmware
# computes its own feature set (har/features.py), not these, so a model trained on the ARFF is not deployable as is.


@dataclass
class ArffTable:
    """The transformed ARFF: one row per 200-sample window."""

    features: np.ndarray  # (n, 43) float32; NaN where the file has `?`
    feature_names: list[str]
    user: np.ndarray  # (n,) int16
    activity: np.ndarray  # (n,) int8, index into ACTIVITIES


_ATTRIBUTE = re.compile(r'@attribute\s+"?([^"\s{]+)"?', re.IGNORECASE)


def read_arff(path: Path) -> ArffTable:
    """Read WISDM_ar_v1.1_transformed.arff; `?` becomes NaN. DataError on a malformed file."""
    from shared.data import DataError

    lines = Path(path).read_text(errors="replace").splitlines()
    names = [m.group(1) for line in lines if (m := _ATTRIBUTE.match(line.strip()))]
    try:
        start = next(i for i, line in enumerate(lines) if line.strip().lower() == "@data") + 1
    except StopIteration:
        raise DataError(f"{path}: no @data line; not an ARFF file") from None
    rows = [line.split(",") for line in lines[start:] if line.strip() and not line.startswith("%")]
    if not rows or any(len(row) != len(names) for row in rows):
        raise DataError(f"{path}: rows do not have the {len(names)} attributes the header declares")
    table = np.array(rows, dtype=object)
    activity = np.array([_ACTIVITY_INDEX.get(name.strip().strip('"'), -1) for name in table[:, -1]])
    if (activity < 0).any():
        raise DataError(f"{path}: unknown activity {table[np.argmax(activity < 0), -1]!r}")
    values = np.array([[_to_float(v) for v in row] for row in table[:, 2:-1]], dtype=np.float32)
    return ArffTable(
        features=values,
        feature_names=names[2:-1],
        user=table[:, 1].astype(np.int16),
        activity=activity.astype(np.int8),
    )
