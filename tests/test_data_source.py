"""Where the tests find real data: $TINYML_LABS_DATA if set, else the download cache (tests/conftest.py)."""

from pathlib import Path

from tests import conftest


def test_the_variable_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("TINYML_LABS_DATA", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
    assert conftest._data_source() == (tmp_path, "$TINYML_LABS_DATA")


def test_without_it_the_download_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("TINYML_LABS_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder, source = conftest._data_source()
    assert folder == Path(tmp_path) / "tinyml-labs"
    assert source.startswith("the download cache")


def test_the_header_names_folder_and_source():
    header = conftest.pytest_report_header(None)
    assert str(conftest.DATA_ROOT) in header and conftest.DATA_SOURCE in header
