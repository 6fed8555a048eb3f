"""kws/data.py: strict names, folder loading with counted skips, speaker digests, splits without leaks."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from kws import data
from shared.data import DataError
from tests.kws.test_wav import wav_bytes


@pytest.mark.parametrize("name", ["3_theo_12.wav", "0_george_0.wav", "9_yweweler_49.wav"])
def test_parses_good_names(name):
    digit, speaker, take = data.parse_name(name)
    assert name == f"{digit}_{speaker}_{take}.wav"


@pytest.mark.parametrize("name", ["10_george_1.wav", "3_George_1.wav", "3_george_01.wav", "3_george.wav",
                                  "3_george_1.WAV", "3-george-1.wav", "3_george_1.wav.bak", "a_george_1.wav"])
def test_refuses_bad_names(name):
    with pytest.raises(DataError, match="name is not"):
        data.parse_name(name)


def test_folder_counts_every_skip(tmp_path):
    ok = wav_bytes(np.arange(800, dtype="<i2"))
    (tmp_path / "1_anna_0.wav").write_bytes(ok)
    (tmp_path / "2_anna_7.wav").write_bytes(ok)
    (tmp_path / "readme.txt").write_text("not audio")
    (tmp_path / "3_anna_1.wav").write_bytes(wav_bytes(np.zeros(800, "<i2"), rate=16000))
    (tmp_path / "4_anna_1.wav").write_bytes(wav_bytes(np.zeros((800, 2), "<i2"), channels=2))
    (tmp_path / "5_anna_1.wav").write_bytes(ok[:60])
    fsdd = data.load_folder(tmp_path)
    assert [r.name for r in fsdd.recordings] == ["1_anna_0.wav", "2_anna_7.wav"]
    assert fsdd.recordings[1].digit == 2 and fsdd.recordings[1].take == 7 and fsdd.recordings[1].pcm.dtype == np.int16
    assert set(fsdd.skipped) == {"readme.txt", "3_anna_1.wav", "4_anna_1.wav", "5_anna_1.wav"}
    assert "16000 Hz" in fsdd.skipped["3_anna_1.wav"] and "2 channel" in fsdd.skipped["4_anna_1.wav"]
    assert "truncated" in fsdd.skipped["5_anna_1.wav"]
    assert sum(int(note.split()[1]) for note in fsdd.notes if note.startswith("skipped")) == 4
    assert any("verified" in note and "none" in note for note in fsdd.notes)  # anna has no pinned digest


def test_empty_folder_is_an_error(tmp_path):
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(DataError, match="no usable FSDD recordings"):
        data.load_folder(tmp_path)


def test_real_folder_verifies_and_partial_copy_is_fine(fsdd_dir, tmp_path):
    fsdd = data.load_fsdd(fsdd_dir.parent.parent)  # the data folder: fsdd/recordings (or the cache's layout)
    assert fsdd.speakers == ["george", "jackson", "lucas", "nicolas", "yweweler"]
    assert len(fsdd.recordings) == 2500 and not fsdd.skipped
    assert fsdd.notes[0].endswith("george, jackson, lucas, nicolas, yweweler")
    partial = tmp_path / "recordings"
    partial.mkdir()
    for path in sorted(fsdd_dir.glob("*_lucas_*.wav"))[:20] + sorted(fsdd_dir.glob("*_jackson_*.wav")):
        shutil.copy(path, partial)
    some = data.load_fsdd(tmp_path)
    assert some.speakers == ["jackson", "lucas"] and len(some.recordings) == 520
    assert "verified (pinned per-speaker sha256) for: jackson" in some.notes[0]  # lucas incomplete: not verified


def fake_recordings() -> list[data.Recording]:
    return [data.Recording(f"{d}_{s}_{t}.wav", d, s, t, np.zeros(10, np.int16))
            for s in ("ann", "bob", "cyd") for d in range(10) for t in range(8)]


def test_official_split_uses_takes_0_to_4():
    train, test = data.official_split(fake_recordings())
    assert {r.take for r in test} == {0, 1, 2, 3, 4} and {r.take for r in train} == {5, 6, 7}
    assert len(train) + len(test) == 240


def test_speaker_split_has_no_leak():
    recordings = fake_recordings()
    for speaker in ("ann", "bob", "cyd"):
        train, test = data.speaker_split(recordings, speaker)
        assert {r.speaker for r in test} == {speaker}
        assert speaker not in {r.speaker for r in train}
        kept, val = data.validation_split(train, 0.1, seed=3)
        assert speaker not in {r.speaker for r in kept + val}
        assert len(kept) + len(val) == len(train) and not {r.name for r in kept} & {r.name for r in val}
    with pytest.raises(DataError, match="not in the data"):
        data.speaker_split(recordings, "dan")


def test_validation_split_is_per_digit_and_seeded():
    train, _ = data.official_split(fake_recordings())
    kept, val = data.validation_split(train, 0.2, seed=5)
    assert sorted({r.digit for r in val}) == list(range(10))
    assert all(sum(r.digit == d for r in val) == 2 for d in range(10))  # 20 % of 9 per digit, rounded
    again, _ = data.validation_split(train, 0.2, seed=5)
    assert [r.name for r in again] == [r.name for r in kept]


def make_archive(path, fsdd_dir, tamper: str | None = None, extra: bytes | None = None):
    """An upstream-like tag archive (top folder, recordings/, a README) of the shared recordings."""
    import io
    import tarfile

    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        readme = tarfile.TarInfo("free-spoken-digit-dataset-1.0.10/README.md")
        readme.size = 6
        tar.addfile(readme, io.BytesIO(b"# FSDD"))
        for wav in sorted(fsdd_dir.glob("*.wav")):
            blob = wav.read_bytes()
            if wav.name == tamper:
                blob = blob[:-2] + b"\x00\x01"
            info = tarfile.TarInfo(f"free-spoken-digit-dataset-1.0.10/recordings/{wav.name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
        if extra is not None:
            info = tarfile.TarInfo("free-spoken-digit-dataset-1.0.10/recordings/3_theo_0.wav")
            info.size = len(extra)
            tar.addfile(info, io.BytesIO(extra))


def test_download_verifies_each_pinned_speaker(fsdd_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    good = tmp_path / "good.tar.gz"
    make_archive(good, fsdd_dir, extra=wav_bytes(np.arange(900, dtype="<i2")))
    monkeypatch.setattr(data, "ARCHIVE", data.RemoteFile("fsdd.tar.gz", (good.as_uri(),), sha256=None))
    fsdd = data.load_fsdd(None)
    assert len(fsdd.recordings) == 2501 and "theo" in fsdd.speakers
    assert any(note.startswith("limitation: no pinned digest for theo") for note in fsdd.notes)
    assert data.download_fsdd() == tmp_path / "cache" / "tinyml-labs" / "fsdd-v1.0.10" / "recordings"  # cached

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache2"))
    bad = tmp_path / "bad.tar.gz"
    make_archive(bad, fsdd_dir, tamper="5_lucas_20.wav")
    monkeypatch.setattr(data, "ARCHIVE", data.RemoteFile("fsdd.tar.gz", (bad.as_uri(),), sha256=None))
    with pytest.raises(DataError, match="recordings of lucas differ"):
        data.load_fsdd(None)
    assert not (tmp_path / "cache2" / "tinyml-labs" / "fsdd-v1.0.10" / "recordings").exists()
