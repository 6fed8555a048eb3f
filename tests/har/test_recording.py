"""har/recording.py: a user's MotionSense CSV or WISDM raw file -> windows as training cut them, or one clear error."""

from __future__ import annotations

import dataclasses
import zipfile

import numpy as np
import pytest

from har.config import ACTIVITIES, HarConfig
from har.dataset import load_motionsense_windows
from har.recording import RecordingError, read_recording
from tests.har.motionsense_files import standing_csv

CONFIG = HarConfig(data="motionsense", window_samples=80, fft_length=128)  # 4 s at 20 Hz, hop 40, set here


def test_motionsense_csv_windows(tmp_path):
    path = tmp_path / "sub_1.csv"
    path.write_text(standing_csv(500))  # 10 s at 50 Hz -> 200 samples at 20 Hz
    windows = read_recording(path, CONFIG)
    assert windows.start_s.tolist() == [0.0, 2.0, 4.0, 6.0]
    assert windows.xyz.shape == (4, 80, 3) and windows.xyz.dtype == np.float32
    assert abs(windows.xyz[:, :, 1].mean() - 9.80665) < 0.05  # top down in Core Motion -> +y in WISDM's frame


def test_real_csv_gives_the_training_windows(shared_data, tmp_path):
    """sub_1.csv of std_6, read as a user's file, gives bit for bit the windows training cut from that trial."""
    with zipfile.ZipFile(shared_data / "motionsense" / "std_6.zip") as archive:
        path = tmp_path / "sub_1.csv"
        path.write_bytes(archive.read("A_DeviceMotion_data/std_6/sub_1.csv"))
    recording = read_recording(path, CONFIG)
    training, _ = load_motionsense_windows(dataclasses.replace(CONFIG, subjects=(1,)), shared_data)
    standing = training.xyz[training.activity == ACTIVITIES.index("Standing")]  # std_6 first, then std_14
    np.testing.assert_array_equal(recording.xyz, standing[: len(recording.xyz)])
    assert len(standing) > len(recording.xyz)


def _wisdm_text(start_ns: int, n: int, y: float, user: int = 7, activity: str = "Walking") -> str:
    period = 50_000_000  # 20 Hz
    return "".join(f"{user},{activity},{start_ns + i * period},0.5,{y},1.25;\n" for i in range(n))


def test_wisdm_file_windows_stop_at_a_time_gap(tmp_path):
    path = tmp_path / "mine.txt"
    # 120 records, a 10 s pause, 90 more: windows at 0, 2 s in the first run, then 16 s in the second
    path.write_text(_wisdm_text(10**12, 120, 9.0) + _wisdm_text(10**12 + 16 * 10**9, 90, 8.0))
    windows = read_recording(path, CONFIG)
    assert windows.start_s.tolist() == [0.0, 2.0, 16.0]
    assert windows.xyz[0, 0].tolist() == [0.5, 9.0, 1.25]
    assert set(windows.xyz[2, :, 1].tolist()) == {8.0}  # the third window holds only second-run samples


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_wisdm_text(10**12, 100, 9.0).replace("0.5,9.0,1.25;", "0.5,9.0;", 1), r"mine\.txt: row 1: 5 fields"),
        (_wisdm_text(10**12, 100, 9.0).replace(",9.0,", ",abc,", 3), r"mine\.txt: row 1: acceleration is not"),
        (_wisdm_text(10**12, 50, 9.0) + "7,Walking,1,nan,1,1;\n", r"mine\.txt: row 51: acceleration is NaN"),
        (_wisdm_text(10**12, 79, 9.0), r"mine\.txt: 79 records .* shorter than one window \(80 samples = 4 s"),
        ("", r"mine\.txt: no record"),
    ],
)
def test_wisdm_errors_name_file_and_row(tmp_path, text, message):
    path = tmp_path / "mine.txt"
    path.write_text(text)
    with pytest.raises(RecordingError, match=message):
        read_recording(path, CONFIG)


def test_motionsense_errors_name_file_and_row(tmp_path):
    path = tmp_path / "sub_3.csv"
    lines = standing_csv(300).split("\n")
    lines[41] = lines[41].rsplit(",", 1)[0] + ",NaN"  # file line 42
    path.write_text("\n".join(lines))
    with pytest.raises(RecordingError, match=r"sub_3\.csv: row 42: NaN or infinite value"):
        read_recording(path, CONFIG)
    path.write_text(standing_csv(195))  # 3.9 s at 50 Hz -> 78 samples at 20 Hz
    with pytest.raises(RecordingError, match=r"sub_3\.csv: 195 rows at 50 Hz, shorter than one window"):
        read_recording(path, CONFIG)
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(RecordingError, match=r"sub_3\.csv: not UTF-8"):
        read_recording(path, CONFIG)
    with pytest.raises(RecordingError, match=r"nothing\.csv: cannot read"):
        read_recording(tmp_path / "nothing.csv", CONFIG)


def test_rate_reaches_the_windows(tmp_path):
    """At 50 Hz (a board run at MotionSense's own rate), the CSV is not resampled."""
    path = tmp_path / "sub_1.csv"
    path.write_text(standing_csv(300))
    config = dataclasses.replace(CONFIG, sample_rate_hz=50, window_samples=200, fft_length=256)
    windows = read_recording(path, config)
    assert windows.start_s.tolist() == [0.0, 2.0] and windows.xyz.shape == (2, 200, 3)
