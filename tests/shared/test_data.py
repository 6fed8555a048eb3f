"""shared.data: verified downloads from a local HTTP server, the cache, read-only partial local folders."""

import hashlib
import http.server
import os
import threading
from pathlib import Path

import pytest

from shared.data import DataError, RemoteFile, atomic_write_text, cache_dir, data_dir, fetch, find_local

GOOD = b"the real file\n" * 1000
BAD = b"a corrupt file\n" * 1000


@pytest.fixture()
def server(tmp_path):
    """A file server on 127.0.0.1 with one good and one corrupt file; yields its base URL."""
    root = tmp_path / "served"
    root.mkdir()
    (root / "good.bin").write_bytes(GOOD)
    (root / "bad.bin").write_bytes(BAD)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def good_remote(url: str, name: str = "data.bin") -> RemoteFile:
    return RemoteFile(name, (url,), hashlib.sha256(GOOD).hexdigest())


def test_download_is_verified_and_cached(server):
    path = fetch(good_remote(server + "good.bin"), "demo")
    assert path == cache_dir() / "demo" / "data.bin"
    assert path.read_bytes() == GOOD
    # A second fetch is served from the cache: the URL is no longer needed.
    assert fetch(good_remote("http://127.0.0.1:9/nothing-here"), "demo").read_bytes() == GOOD


def test_corrupt_download_names_the_file_and_leaves_nothing(server):
    with pytest.raises(DataError, match=r"bad\.bin.*sha256"):
        fetch(good_remote(server + "bad.bin"), "demo")
    leftovers = list((cache_dir() / "demo").iterdir()) if (cache_dir() / "demo").exists() else []
    assert leftovers == []


def test_next_mirror_is_tried_after_a_bad_one(server):
    remote = RemoteFile("data.bin", (server + "bad.bin", server + "missing.bin", server + "good.bin"),
                        hashlib.sha256(GOOD).hexdigest())
    assert fetch(remote, "demo").read_bytes() == GOOD


def test_corrupt_cached_file_is_replaced(server):
    target = cache_dir() / "demo" / "data.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(BAD)
    assert fetch(good_remote(server + "good.bin"), "demo").read_bytes() == GOOD


def test_read_only_partial_local_folder(tmp_path, server):
    local = tmp_path / "local"
    (local / "demo").mkdir(parents=True)
    (local / "demo" / "data.bin").write_bytes(GOOD)
    os.chmod(local / "demo", 0o555)
    try:
        assert fetch(good_remote(server + "bad.bin"), "demo", local) == local / "demo" / "data.bin"
        assert find_local(good_remote("", "absent.bin"), "demo", local) is None
    finally:
        os.chmod(local / "demo", 0o755)


def test_mismatching_local_file_is_an_error(tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    (local / "data.bin").write_bytes(BAD)
    with pytest.raises(DataError, match=r"data\.bin: sha256"):
        find_local(good_remote(""), "demo", local)


def test_data_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYML_LABS_DATA", str(tmp_path))
    assert data_dir() == tmp_path
    with pytest.raises(DataError, match="does not exist"):
        data_dir(tmp_path / "missing")


def test_atomic_write_leaves_no_temporary(tmp_path):
    atomic_write_text(tmp_path / "a.txt", "hello")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    assert Path(tmp_path / "a.txt").read_text() == "hello"


def test_unpinned_file_is_downloaded_unverified(server):
    remote = RemoteFile("wisdm.tar.gz", (server + "good.bin",), sha256=None)
    assert fetch(remote, "demo").read_bytes() == GOOD
