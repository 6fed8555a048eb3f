"""har/motionsense.py: the strict CSV parser on broken files, the three source layouts, the download path."""

from __future__ import annotations

import numpy as np
import pytest

from har import motionsense
from har.config import ACTIVITIES
from shared.data import DataError
from tests.har.motionsense_files import (
    csv_text,
    standing_csv,
    write_tree,
    write_trial_zips,
    write_upstream_zip,
)

GOOD = standing_csv(20)
HEADER_LINES = 1


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _with_line(text: str, file_line: int, new: str) -> str:
    """`text` with 1-based file line `file_line` (the header is line 1) replaced by `new`."""
    lines = _lines(text)
    lines[file_line - 1] = new
    return "\n".join(lines)


def test_clean_file_parses_whole():
    table = motionsense.parse_csv_text(GOOD)
    assert table.values.shape == (20, 13) and table.skipped == {} and table.first_bad_row is None
    assert table.segments.tolist() == [[0, 20]]
    first = _lines(GOOD)[1].split(",")
    np.testing.assert_array_equal(table.values[0], [float(v) for v in first])


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda line: line.rsplit(",", 1)[0], motionsense.SKIP_FIELDS),  # a missing column
        (lambda line: line + ",0.5", motionsense.SKIP_FIELDS),  # an extra column
        (lambda line: line.replace(",", ",abc,", 1).rsplit(",", 1)[0], motionsense.SKIP_NUMBER),  # a non-number
        (lambda line: line.rsplit(",", 1)[0] + ",", motionsense.SKIP_NUMBER),  # an empty field
        (lambda line: line.rsplit(",", 1)[0] + ",nan", motionsense.SKIP_NAN),
        (lambda line: line.rsplit(",", 1)[0] + ",inf", motionsense.SKIP_NAN),
        (lambda line: "99," + line.split(",", 1)[1], motionsense.SKIP_INDEX),  # row index out of sequence
    ],
)
def test_broken_row_is_dropped_counted_and_splits_the_run(change, reason):
    line_number = HEADER_LINES + 8  # data row 7 (0-based)
    text = _with_line(GOOD, line_number, change(_lines(GOOD)[line_number - 1]))
    table = motionsense.parse_csv_text(text)
    assert table.skipped == {reason: 1}
    assert table.first_bad_row == line_number and table.first_bad_reason == reason
    assert len(table.values) == 19
    assert table.segments.tolist() == [[0, 7], [7, 19]]  # no window may span the dropped sample
    assert table.values[7, 0] == 8.0  # the row after the dropped one keeps its own index


def test_truncated_file():
    text = GOOD.rstrip("\n")
    text = text[: text.rindex(",") - 3]  # cut inside the last row, no final newline
    table = motionsense.parse_csv_text(text)
    assert table.skipped == {motionsense.SKIP_TRUNCATED: 1} and len(table.values) == 19
    assert table.first_bad_row == HEADER_LINES + 20


def test_blank_lines_hold_no_sample():
    lines = _lines(GOOD)
    lines.insert(5, "")
    table = motionsense.parse_csv_text("\n".join(lines) + "\n")
    np.testing.assert_array_equal(table.values, motionsense.parse_csv_text(GOOD).values)
    assert table.skipped == {} and table.segments.tolist() == [[0, 20]]
    lines[9] = lines[9].rsplit(",", 1)[0]  # after the blank line: file line 10 is data row 7
    table = motionsense.parse_csv_text("\n".join(lines))
    assert table.first_bad_row == 10 and table.skipped == {motionsense.SKIP_FIELDS: 1}


def test_wrong_header_skips_the_file():
    table = motionsense.parse_csv_text(GOOD.replace("gravity.x", "grav.x", 1))
    assert table.skipped == {motionsense.SKIP_HEADER: 1} and len(table.values) == 0


def test_windows_line_ends_are_the_same_rows():
    table = motionsense.parse_csv_text(GOOD.replace("\n", "\r\n"))
    np.testing.assert_array_equal(table.values, motionsense.parse_csv_text(GOOD).values)


FILES = {("std_6", 1): standing_csv(30, 1), ("std_6", 2): standing_csv(40, 2), ("wlk_7", 1): standing_csv(25, 3)}


@pytest.mark.parametrize("layout", ["trial zips", "tree", "upstream zip"])
def test_every_layout_reads_the_same(tmp_path, layout):
    if layout == "trial zips":
        source = write_trial_zips(tmp_path / "motionsense", FILES)
    elif layout == "tree":
        source = write_tree(tmp_path / "motionsense", FILES)
    else:
        source = write_upstream_zip(tmp_path / "motionsense" / motionsense.ARCHIVE_NAME, FILES)
    found = motionsense.find_source(tmp_path, download=False)
    assert found == source
    data = motionsense.load_motionsense(found)
    # in motionsense.TRIALS order (wlk_7 before std_6), then by subject
    assert [(t.name, t.subject, len(t.xyz)) for t in data.trials] == [("wlk_7", 1, 25), ("std_6", 1, 30),
                                                                      ("std_6", 2, 40)]
    assert [ACTIVITIES[t.activity] for t in data.trials] == ["Walking", "Standing", "Standing"]
    assert data.rows == 95 and data.skipped == {}
    only_two = motionsense.load_motionsense(found, subjects=(2,))
    assert [t.subject for t in only_two.trials] == [2]


def test_skips_are_totalled_over_files(tmp_path):
    files = dict(FILES)
    files[("std_6", 3)] = _with_line(standing_csv(10), 3, "1,2,3")
    files[("std_6", 4)] = standing_csv(10).replace("attitude.roll", "roll", 1)
    data = motionsense.load_motionsense(write_trial_zips(tmp_path, files))
    assert data.skipped == {motionsense.SKIP_FIELDS: 1, motionsense.SKIP_HEADER: 1}
    assert [(t.name, t.subject) for t in data.trials] == [("wlk_7", 1), ("std_6", 1), ("std_6", 2), ("std_6", 3)]


def test_download_goes_to_the_cache(tmp_path, monkeypatch):
    """No local copy: the upstream zip is fetched (here: a copy of one the test built) into the cache."""
    import shared.data

    built = write_upstream_zip(tmp_path / "upstream" / motionsense.ARCHIVE_NAME, FILES)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    fetched: list[str] = []

    def fake_download(url: str, target, expected_sha256):
        fetched.append(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(built.read_bytes())

    monkeypatch.setattr(shared.data, "_download", fake_download)
    source = motionsense.find_source(None)
    assert fetched == list(motionsense.ARCHIVE_URLS)
    assert source == tmp_path / "cache" / "tinyml-labs" / "motionsense" / motionsense.ARCHIVE_NAME
    assert len(motionsense.load_motionsense(source).trials) == 3


def test_integrity_notes_name_missing_trials(tmp_path):
    notes = motionsense.integrity_notes(motionsense.load_motionsense(write_trial_zips(tmp_path, FILES)))
    assert notes[0].startswith("MotionSense: the authors publish no checksum")
    assert notes[1].startswith("MotionSense: trial folders missing: ['dws_1', 'dws_2'")


def test_nothing_found_without_download(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(DataError, match="MotionSense not found"):
        motionsense.find_source(tmp_path, download=False)


def test_damaged_archive_is_one_clear_error(tmp_path):
    folder = write_trial_zips(tmp_path / "motionsense", FILES)
    (folder / "std_6.zip").write_bytes((folder / "std_6.zip").read_bytes()[:100])
    with pytest.raises(DataError, match=r"std_6\.zip"):
        motionsense.load_motionsense(folder)


def test_real_copy_reads_clean(shared_data):
    """Subject 1 of the shared copy: 15 trials, no row dropped, standing gravity along +y in Core Motion's frame."""
    data = motionsense.load_motionsense(motionsense.find_source(shared_data, download=False), subjects=(1,))
    assert sorted(t.name for t in data.trials) == sorted(motionsense.TRIALS)
    assert data.skipped == {} and all(t.segments.tolist() == [[0, len(t.xyz)]] for t in data.trials)


def test_csv_helper_round_trips():
    gravity = np.tile([0.1, 0.2, -0.97], (3, 1))
    table = motionsense.parse_csv_text(csv_text(gravity, np.zeros((3, 3))))
    np.testing.assert_array_equal(motionsense.total_acceleration_g(table), gravity)
