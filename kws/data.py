"""The Free Spoken Digit Dataset (FSDD v1.0.10, CC BY-SA 4.0): strict loading, checks, splits.

Where the recordings come from, in order: a local folder (`--data-dir`/$TINYML_LABS_DATA; read-only, may hold only
some speakers), the cache, or the upstream GitHub archive of tag v1.0.10 (downloaded with a progress bar).

Verification. GitHub makes tag archives on the fly and does not promise byte-stable archives, so no archive sha256
is pinned. Instead each speaker's recordings are checked after unpacking against a pinned digest: the sha256 of the
speaker's `sha256sum`-style manifest (one "<sha256>  <file name>" line per recording, sorted by name). Five speakers
are pinned, measured from a copy of v1.0.10 verified file by file against its published sha256 sums. **Limitation:** the
sixth speaker, theo, was not available to measure, so theo's 500 recordings are only checked as WAV files; the run
notes say so. A mismatch for a pinned speaker stops the download with the speaker's name.

Every file of a folder is either loaded or counted as skipped with its reason (bad name, not PCM, wrong rate, ...):
nothing is dropped silently.
"""

from __future__ import annotations

import collections
import hashlib
import re
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kws.wav import read_pcm16
from shared.data import DataError, RemoteFile, cache_dir, fetch

ARCHIVE_URL = "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/v1.0.10.tar.gz"
ARCHIVE = RemoteFile("free-spoken-digit-dataset-1.0.10.tar.gz", (ARCHIVE_URL,), sha256=None)
CACHE_SUBDIR = "fsdd-v1.0.10"  # the cache holds the archive and the unpacked, verified recordings/ here
SPEAKER_DIGESTS = {  # sha256 of each speaker's sorted "<sha256>  <name>" manifest (see module doc)
    "george": "7543fea03052e8492c445f376230a4b080e882d238532002bc974a6e69577f3d",
    "jackson": "422e32a8d1b20006e18ea0bcdcce21860ec13781d91f1786b18ba266c9d6de01",
    "lucas": "9b75b134c810b831a6e9ee7e987f9a673d1877c82a02e7487cd397f7dfcf9a41",
    "nicolas": "fc6e8ed1b1b7280008c3cb0ac9568e16309aa37d9f4956493e5a00e34bdba3c8",
    "yweweler": "8cf3e97a77edc7bd53a086c6892ef5d544c4ca6ee04a3dbe908712f5cd279bbc",
}
NAME_PATTERN = re.compile(r"(?P<digit>[0-9])_(?P<speaker>[a-z]+)_(?P<index>0|[1-9][0-9]*)\.wav")
OFFICIAL_TEST_TAKES = range(0, 5)  # upstream README: recordings 0-4 of every speaker and digit are the test set


@dataclass(frozen=True)
class Recording:
    """One FSDD clip: parsed from its name, samples int16 (n,) at 8 kHz."""

    name: str
    digit: int
    speaker: str
    take: int
    pcm: np.ndarray


@dataclass
class Fsdd:
    """What was loaded, from where, and what was skipped (file name -> reason)."""

    recordings: list[Recording]
    source: str
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def speakers(self) -> list[str]:
        return sorted({r.speaker for r in self.recordings})


def parse_name(name: str) -> tuple[int, str, int]:
    """(digit, speaker, take) from `{digit}_{speaker}_{index}.wav`; DataError otherwise."""
    match = NAME_PATTERN.fullmatch(name)
    if match is None:
        raise DataError(f"{name}: name is not {{digit}}_{{speaker}}_{{index}}.wav (digit 0-9, speaker a-z)")
    return int(match["digit"]), match["speaker"], int(match["index"])


def load_recording(path: Path, sample_rate_hz: int = 8000) -> Recording:
    """One dataset file, checked: a valid name and 16-bit PCM mono WAV at `sample_rate_hz`; DataError otherwise."""
    digit, speaker, take = parse_name(path.name)
    pcm, rate, channels = read_pcm16(path)
    if channels != 1 or rate != sample_rate_hz:
        raise DataError(f"{path.name}: {rate} Hz, {channels} channel(s); FSDD files are {sample_rate_hz} Hz mono")
    return Recording(path.name, digit, speaker, take, pcm[:, 0])


def load_folder(folder: Path, sample_rate_hz: int = 8000) -> Fsdd:
    """Every file of `folder` loaded or skipped with a reason. DataError if no recording is usable."""
    recordings, skipped = [], {}
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        try:
            recordings.append(load_recording(path, sample_rate_hz))
        except DataError as error:
            skipped[path.name] = str(error).split(": ", 1)[-1]
    if not recordings:
        raise DataError(f"{folder}: no usable FSDD recordings ({len(skipped)} files skipped)")
    data = Fsdd(recordings, str(folder), skipped)
    data.notes.extend(describe_skipped(skipped))
    data.notes.extend(check_speaker_digests(folder, data.speakers))
    return data


def describe_skipped(skipped: dict[str, str]) -> list[str]:
    """One note per reason: how many files it skipped and the first of them."""
    by_reason: dict[str, list[str]] = collections.defaultdict(list)
    for name, reason in skipped.items():
        by_reason[reason].append(name)
    return [f"skipped {len(names)} file(s): {reason} (e.g. {names[0]})" for reason, names in sorted(by_reason.items())]


def speaker_digest(folder: Path, speaker: str) -> str:
    """sha256 of the speaker's sorted "<sha256>  <name>" manifest over the files of `folder`."""
    lines = []
    for path in sorted(folder.glob(f"*_{speaker}_*.wav")):
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def check_speaker_digests(folder: Path, speakers: list[str]) -> list[str]:
    """Notes on how each present speaker's files compare with the pinned v1.0.10 digests (a local folder may differ)."""
    verified = [s for s in speakers if s in SPEAKER_DIGESTS and speaker_digest(folder, s) == SPEAKER_DIGESTS[s]]
    notes = [f"FSDD v1.0.10 verified (pinned per-speaker sha256) for: {', '.join(verified) or 'none'}"]
    others = [s for s in speakers if s not in verified]
    if others:
        notes.append(f"not verified against v1.0.10 (no pinned digest, or files differ): {', '.join(others)}")
    return notes


def _unpack_recordings(archive: Path, into: Path) -> None:
    """Only `*/recordings/*.wav` members, flattened into `into` (tar 'data' filter: no links, no absolute paths)."""
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if member.isfile() and len(parts) == 3 and parts[1] == "recordings" and parts[2].endswith(".wav"):
                member.name = parts[2]
                tar.extract(member, into, filter="data")


def download_fsdd() -> Path:
    """The cached `recordings/` folder, downloaded, unpacked and verified on first use (atomic rename)."""
    root = cache_dir() / CACHE_SUBDIR
    recordings = root / "recordings"
    if recordings.is_dir():
        return recordings
    archive = fetch(ARCHIVE, CACHE_SUBDIR)  # no archive hash (see the module doc): recordings verified below
    staging = Path(tempfile.mkdtemp(prefix="recordings-", dir=root))
    try:
        _unpack_recordings(archive, staging)
        for speaker, expected in SPEAKER_DIGESTS.items():
            if speaker_digest(staging, speaker) != expected:
                archive.unlink()
                raise DataError(f"{ARCHIVE.urls[0]}: recordings of {speaker} differ from FSDD v1.0.10; archive removed")
        staging.replace(recordings)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return recordings


def find_recordings(local_dir: Path | None) -> Path | None:
    """The recordings folder inside a local data folder: D/fsdd/recordings, D/recordings, D itself, or
    D/fsdd-v1.0.10/recordings (D is the download cache)."""
    if local_dir is None:
        return None
    candidates = (local_dir / "fsdd" / "recordings", local_dir / "recordings", local_dir,
                  local_dir / CACHE_SUBDIR / "recordings")  # fmt: skip
    for candidate in candidates:
        if candidate.is_dir() and any(candidate.glob("*.wav")):
            return candidate
    raise DataError(f"{local_dir}: no FSDD .wav files in fsdd/recordings/, recordings/, the folder itself or "
                    f"{CACHE_SUBDIR}/recordings/")


def load_fsdd(local_dir: Path | None, sample_rate_hz: int = 8000) -> Fsdd:
    """FSDD from a local folder if given, else from the cache or the upstream archive."""
    folder = find_recordings(local_dir)
    if folder is None:
        folder = download_fsdd()
    data = load_folder(folder, sample_rate_hz)
    unpinned = [s for s in data.speakers if s not in SPEAKER_DIGESTS]
    if unpinned and local_dir is None:
        data.notes.append(f"limitation: no pinned digest for {', '.join(unpinned)}; checked as WAV files only")
    return data


def official_split(recordings: list[Recording]) -> tuple[list[Recording], list[Recording]]:
    """(train, test): takes 0-4 of every speaker and digit are test, the rest train (upstream README)."""
    test = [r for r in recordings if r.take in OFFICIAL_TEST_TAKES]
    train = [r for r in recordings if r.take not in OFFICIAL_TEST_TAKES]
    return train, test


def speaker_split(recordings: list[Recording], test_speaker: str) -> tuple[list[Recording], list[Recording]]:
    """(train, test) for leave-one-speaker-out: every recording of `test_speaker` is test, nothing else."""
    present = sorted({r.speaker for r in recordings})
    if test_speaker not in present:
        raise DataError(f"test speaker {test_speaker!r} is not in the data (present: {', '.join(present)})")
    train = [r for r in recordings if r.speaker != test_speaker]
    test = [r for r in recordings if r.speaker == test_speaker]
    return train, test


def validation_split(train: list[Recording], fraction: float, seed: int) -> tuple[list[Recording], list[Recording]]:
    """(train, validation): `fraction` of each digit's training recordings, picked with a seeded generator."""
    rng = np.random.default_rng(seed)
    keep, held = [], []
    for digit in sorted({r.digit for r in train}):
        group = [r for r in train if r.digit == digit]
        order = rng.permutation(len(group))
        n_val = max(1, round(fraction * len(group)))
        held.extend(group[i] for i in sorted(order[:n_val]))
        keep.extend(group[i] for i in sorted(order[n_val:]))
    return keep, held
