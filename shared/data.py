"""Getting data files: a local folder first, then the cache, then a verified download.

A local folder (`--data-dir` or $TINYML_LABS_DATA) may be read-only and may hold only part of a data set; nothing is
ever written into it. Downloads go to a temporary file in the cache, are checked against a pinned sha256 and only
then renamed into place, so a corrupt or interrupted download never stays in the cache.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

DATA_ENV = "TINYML_LABS_DATA"
CHUNK_BYTES = 1 << 20


class DataError(Exception):
    """A problem with the user's data or files: shown as one line naming the file and the problem."""


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file: its name on disk, mirror URLs tried in order, and its pinned sha256 (hex).

    sha256=None only where the publisher gives no checksum (WISDM): the file is then taken unverified and the caller
    must check its content and say so in the report.
    """

    name: str
    urls: tuple[str, ...]
    sha256: str | None


def data_dir(cli_value: Path | str | None = None) -> Path | None:
    """The local data folder: `--data-dir` if given, else $TINYML_LABS_DATA, else None."""
    value = cli_value if cli_value is not None else os.environ.get(DATA_ENV)
    if value in (None, ""):
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise DataError(f"{path}: data folder does not exist")
    return path


def cache_dir() -> Path:
    """Where downloads are kept: $XDG_CACHE_HOME/tinyml-labs (default ~/.cache/tinyml-labs)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tinyml-labs"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _temporary_beside(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    return Path(name)


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to a temporary file beside `path`, then rename: readers never see half a file."""
    path = Path(path)
    tmp = _temporary_beside(path)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    """Text version of `atomic_write_bytes` (UTF-8)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _download(url: str, target: Path, expected_sha256: str | None) -> None:
    """Download `url` to `target` through a temporary file; raise DataError on a sha256 mismatch."""
    tmp = _temporary_beside(target)
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=target.name, leave=False) as bar:
                while chunk := response.read(CHUNK_BYTES):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
        if expected_sha256 is not None and digest.hexdigest() != expected_sha256:
            raise DataError(
                f"{url}: downloaded file has sha256 {digest.hexdigest()}, expected {expected_sha256}; not kept"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _verified_local(path: Path, remote: RemoteFile) -> Path:
    if remote.sha256 is None:
        return path
    actual = sha256_file(path)
    if actual != remote.sha256:
        raise DataError(f"{path}: sha256 is {actual}, expected {remote.sha256} (corrupt or a different file)")
    return path


def find_local(remote: RemoteFile, subdir: str, local_dir: Path | None) -> Path | None:
    """The verified file from `local_dir/subdir` (or `local_dir` itself), or None if the folder lacks it."""
    if local_dir is None:
        return None
    for candidate in (local_dir / subdir / remote.name, local_dir / remote.name):
        if candidate.is_file():
            return _verified_local(candidate, remote)
    return None


def fetch(remote: RemoteFile, subdir: str, local_dir: Path | None = None) -> Path:
    """Path of a verified copy of `remote`: from `local_dir/subdir` if there, else the cache, else downloaded.

    A cached file that fails verification is removed (it would fail again) and downloaded anew.
    """
    local = find_local(remote, subdir, local_dir)
    if local is not None:
        return local
    cached = cache_dir() / subdir / remote.name
    if cached.is_file():
        if remote.sha256 is None or sha256_file(cached) == remote.sha256:
            return cached
        cached.unlink()
    errors = []
    for url in remote.urls:
        try:
            _download(url, cached, remote.sha256)
            return cached
        except (urllib.error.URLError, OSError, TimeoutError, DataError) as error:
            errors.append(f"{url}: {error}")
    raise DataError(f"{remote.name}: could not download from any mirror ({'; '.join(errors)})")
