"""har/data.py: the raw parser on every quirk of the real file, and the transformed ARFF."""

from __future__ import annotations

import numpy as np
import pytest

from har import data
from har.config import ACTIVITIES
from har.synthetic import BROKEN_KINDS, NO_QUIRKS, Quirks, generate_text

CRAFTED = (
    "33,Jogging,49105962326000,-0.6946377,12.680544,0.50395286;\n"  # 1 the documented first record
    "33,Jogging,49106062271000,5.012288,11.264028,0.95342433;33,Jogging,49106112167000,4.903325,10.882658,-0.0817;\n"
    "33,Jogging,49106222305000,-0.61291564,\n"  # 4 broken over two lines at a comma
    "18.496431,3.0237172;\n"
    "33,Jogging,49106332290000,-1.18497\n"  # 5 broken inside a number
    "03,12.108489,7.205164;\n"
    "33,Jogging,49106442306000,1.3756552,-2.4925237,-6.510526\n"  # 6 no `;`
    "33,Jogging,49106542312000,1.0,2.0,3.0;\r\n"  # 7 CRLF
    "\n   \n"  # blank lines
    "33, Jogging ,49106652312000, 1.0 ,2.0,3.0;\n"  # 8 stray spaces
    "33,Jogging,49106762312000,,10.882658,-0.08172209;\n"  # empty field
    "33,Jogging,49106872312000,-0.61291564,18.496431;\n"  # missing field
    "33,Jogging,49106982312000,-0.6,18.4,3.0,7.7;\n"  # extra field
    "33,Jogging,49107092312000,abc,12.108489,7.205164;\n"  # non-numeric
    "33,Jogging,49107202312000,1.0,2.0,NaN;\n"  # not finite
    "33,Jogging,0,-1.1849703,12.108489,7.205164;\n"  # zero timestamp
    "33,Jogging,491072x2312000,1.0,2.0,3.0;\n"  # timestamp not an integer
    "33,Running,49107312312000,1.0,2.0,3.0;\n"  # unknown activity
    "x3,Jogging,49107422312000,1.0,2.0,3.0;\n"  # user not a number
    "-4,Jogging,49107532312000,1.0,2.0,3.0;\n"  # user not positive
    "33,Walking,49107642312000,1.0,2.0,3.0"  # 9 last record, no `;`, no newline
)


def test_crafted_file_every_quirk(tmp_path):
    path = tmp_path / "crafted.txt"
    path.write_bytes(b"\xff\xfe;\n" + CRAFTED.encode())  # and bytes that are not UTF-8
    records = data.read_raw_file(path)
    assert len(records) == 9
    assert records.skipped == {
        data.SKIP_FIELD_COUNT: 3,  # missing field, extra field, the undecodable bytes
        data.SKIP_EMPTY: 1,
        data.SKIP_NUMBER: 2,
        data.SKIP_ZERO_TIME: 1,
        data.SKIP_TIMESTAMP: 1,
        data.SKIP_ACTIVITY: 1,
        data.SKIP_USER: 2,
    }
    assert records.timestamp_ns[0] == 49105962326000 and records.user[0] == 33
    np.testing.assert_array_equal(records.xyz[0], np.float32([-0.6946377, 12.680544, 0.50395286]))
    np.testing.assert_array_equal(records.xyz[3], np.float32([-0.61291564, 18.496431, 3.0237172]))
    np.testing.assert_array_equal(records.xyz[4], np.float32([-1.1849703, 12.108489, 7.205164]))
    assert records.xyz.dtype == np.float32 and records.timestamp_ns.dtype == np.int64
    assert ACTIVITIES[records.activity[-1]] == "Walking"
    assert data.integrity_notes(records)[1].startswith("WISDM raw file: 20 records read")


def test_unknown_activity_kept_on_request():
    records = data.parse_raw_text("7,Cycling,100,1,2,3;\n7,Walking,150,1,2,3;", unknown_activity_ok=True)
    assert records.activity.tolist() == [-1, 0] and records.n_skipped == 0


def test_generated_quirks_are_counted_exactly():
    text, quirks = generate_text(seed=3, n_users=2, seconds_per_activity=20, quirks=Quirks(
        joined_line=0.05, split_line=0.05, missing_semicolon=0.05, empty_field=0.02, missing_field=0.02,
        non_numeric=0.02, zero_timestamp=0.02))
    total = 2 * 6 * 20 * 20
    records = data.parse_raw_text(text)
    assert all(quirks[kind] > 0 for kind in quirks), quirks
    assert len(records) == total - sum(quirks[kind] for kind in BROKEN_KINDS)
    assert records.skipped == {
        data.SKIP_EMPTY: quirks["empty_field"], data.SKIP_FIELD_COUNT: quirks["missing_field"],
        data.SKIP_NUMBER: quirks["non_numeric"], data.SKIP_ZERO_TIME: quirks["zero_timestamp"],
    }


@pytest.mark.parametrize("seed", range(3))
def test_random_edits_never_crash(seed):
    """Fuzz: 200 random one-character edits of clean text break at most a few records each, never the parser."""
    text, _ = generate_text(seed=seed, n_users=1, seconds_per_activity=15, quirks=NO_QUIRKS)
    n_clean = len(data.parse_raw_text(text))
    rng = np.random.default_rng(seed)
    chars = list(text)
    alphabet = list("0123456789,;.-\n\r eE+x?\x00\u00e9")
    for _ in range(200):
        where, what = int(rng.integers(len(chars))), str(rng.choice(alphabet))
        kind = rng.integers(3)
        if kind == 0:
            del chars[where]
        elif kind == 1:
            chars.insert(where, what)
        else:
            chars[where] = what
    records = data.parse_raw_text("".join(chars))
    assert n_clean - 3 * 200 <= len(records) <= n_clean + 200
    assert np.isfinite(records.xyz).all() and (records.timestamp_ns != 0).all() and (records.user > 0).all()


def test_empty_input():
    records = data.parse_raw_text("")
    assert len(records) == 0 and records.n_skipped == 0 and records.xyz.shape == (0, 3)


def test_arff_rows_users_and_missing_values(wisdm_arff):
    path = wisdm_arff
    table = data.read_arff(path)
    assert table.features.shape == (5418, 43) and table.features.dtype == np.float32
    assert sorted(set(table.user.tolist())) == list(range(1, 37))
    counts = dict(zip(*np.unique(table.activity, return_counts=True), strict=True))
    # Per-class counts of the transformed ARFF (each one fewer than its about file says).
    assert {ACTIVITIES[k]: int(v) for k, v in counts.items()} == {
        "Walking": 2081, "Jogging": 1625, "Upstairs": 632, "Downstairs": 528, "Sitting": 306, "Standing": 246}
    assert table.feature_names[:2] == ["X0", "X1"] and table.feature_names[-1] == "RESULTANT"
    n_question_marks = sum(line.count("?") for line in path.read_text().splitlines() if line[:1].isdigit())
    assert int(np.isnan(table.features).sum()) == n_question_marks > 0


def test_raw_file_from_local_folder_or_archive(tmp_path, monkeypatch):
    import io
    import tarfile

    text, _ = generate_text(seed=1, n_users=1, seconds_per_activity=5, quirks=NO_QUIRKS)
    local = tmp_path / "local" / "WISDM_ar_v1.1"
    local.mkdir(parents=True)
    (local / data.RAW_FILE_NAME).write_text(text)
    assert data.find_wisdm_file(data.RAW_FILE_NAME, tmp_path / "local") == local / data.RAW_FILE_NAME
    # No local copy: the archive in the cache (as the download leaves it) is opened and the file extracted once.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    archive = tmp_path / "cache" / "tinyml-labs" / "wisdm" / data.ARCHIVE_NAME
    archive.parent.mkdir(parents=True)
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo(f"WISDM_ar_v1.1/{data.RAW_FILE_NAME}")
        info.size = len(text.encode())
        tar.addfile(info, io.BytesIO(text.encode()))
    extracted = data.find_wisdm_file(data.RAW_FILE_NAME, None)
    assert extracted.read_text() == text
    assert len(data.read_raw_file(extracted)) == 6 * 5 * 20


def test_broken_archive_is_a_data_error(tmp_path):
    from shared.data import DataError

    archive = tmp_path / data.ARCHIVE_NAME
    archive.write_bytes(b"not gzip")
    with pytest.raises(DataError, match="cannot read the WISDM archive"):
        data.extract_from_archive(data.RAW_FILE_NAME, archive)
    assert not archive.exists()
