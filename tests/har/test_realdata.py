"""MotionSense through the HAR chain: trial-bounded windows, the subject split, per-class figures, and one QUICK
run on a few real subjects with the device step, `predict` on its model and a leave-one-subject-out round."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score

from har import motionsense
from har.class_report import class_report, confusion, confusion_report
from har.config import ACTIVITIES, HarConfig
from har.dataset import motionsense_stream, prepare_windows
from har.windows import split_users, windows_in_segments
from tests.conftest import REPO_ROOT, require_tool
from tests.har.motionsense_files import standing_csv, write_trial_zips

CONFIG = HarConfig(data="motionsense", window_samples=80, fft_length=128)  # 4 s windows, set here


def test_windows_never_span_two_trials_or_a_dropped_row(tmp_path):
    """Two trials of the same subject and activity, each with its own constant level, one with a dropped row."""
    broken = standing_csv(400, seed=2, value=0.5).split("\n")
    broken[201] = broken[201].rsplit(",", 1)[0]  # file line 202 loses a column: trial wlk_8 splits in two runs
    files = {("wlk_7", 1): standing_csv(400, seed=1, value=1.0), ("wlk_8", 1): "\n".join(broken)}
    data = motionsense.load_motionsense(write_trial_zips(tmp_path, files))
    xyz, user, activity, bounds = motionsense_stream(data, CONFIG)
    assert bounds.tolist() == [[0, 160], [160, 240], [240, 320]]  # 400 rows -> 160; 200 + 199 -> 80 + 80
    windows = windows_in_segments(xyz, user, activity, bounds, CONFIG)
    # 160 samples: starts 0, 40, 80; 80 samples: one window each
    assert windows.start.tolist() == [0, 40, 80, 160, 240]
    assert windows.stream.tolist() == [0, 0, 0, 1, 2]  # the unbroken run each window lies in
    levels = np.round(windows.xyz[:, :, 1].mean(axis=1) / 9.80665, 1)
    assert levels.tolist() == [1.0, 1.0, 1.0, 0.5, 0.5]
    for window, begin in zip(windows.xyz, windows.start, strict=True):
        segment = next(b for b in bounds if b[0] <= begin < b[1])
        np.testing.assert_array_equal(window, xyz[begin : begin + 80])
        assert begin + 80 <= segment[1]


@pytest.fixture(scope="module")
def real_windows(shared_data):
    data = motionsense.load_motionsense(motionsense.find_source(shared_data, download=False))
    return windows_in_segments(*motionsense_stream(data, CONFIG), CONFIG)


def test_default_subject_split_has_no_leak(real_windows):
    masks = split_users(real_windows.user, CONFIG)
    sets = {name: set(real_windows.user[mask].tolist()) for name, mask in masks.items()}
    assert sets == {"train": {1, 2, 3, 6, 7, 8, 11, 12, 13, 16, 17, 18}, "val": {4, 9, 14, 19},
                    "test": {5, 10, 15, 20}}
    assert sum(mask.sum() for mask in masks.values()) == len(real_windows)
    for name in ("val", "test"):  # every activity is in every held-out set
        assert set(real_windows.activity[masks[name]].tolist()) == set(range(len(ACTIVITIES)))


def test_loso_split_holds_out_one_subject(real_windows):
    masks = split_users(real_windows.user, dataclasses.replace(CONFIG, split="loso", holdout_user=9))
    assert set(real_windows.user[masks["test"]].tolist()) == {9}
    assert set(real_windows.user[masks["val"]].tolist()) == {4, 14, 19}
    prepared = prepare_windows(real_windows, dataclasses.replace(CONFIG, split="loso", holdout_user=9), [])
    assert len(prepared.test_windows) == masks["test"].sum()
    # standardised with training subjects only (the model is mlp_cnn1d: the features are its input's first 41 values)
    features = prepared.dataset.x_train.reshape(len(prepared.dataset.x_train), -1)[:, :41]
    assert np.abs(features.mean(axis=0)).max() < 1e-3


def test_class_report_matches_scikit_learn():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 6, 500)
    predictions = np.where(rng.random(500) < 0.7, labels, rng.integers(0, 6, 500))
    predictions[predictions == 5] = 4  # class 5 never predicted: precision 0, not a division error
    report = class_report(labels, predictions, list(ACTIVITIES))
    assert report["accuracy"] == pytest.approx(np.mean(labels == predictions))
    assert report["macro_f1"] == pytest.approx(f1_score(labels, predictions, average="macro"))
    np.testing.assert_allclose(list(report["recall"].values()), recall_score(labels, predictions, average=None))
    np.testing.assert_allclose(list(report["precision"].values()),
                               precision_score(labels, predictions, average=None, zero_division=0))


def test_pooled_report_is_the_report_of_the_windows_together():
    """loso's pooled figures: the confusion matrices of two subjects summed give scikit-learn's figures on their
    windows together, not the mean of the two subjects' figures."""
    rng = np.random.default_rng(4)
    first, second = rng.integers(0, 6, 300), rng.integers(0, 6, 40)
    guesses = [np.where(rng.random(len(y)) < share, y, rng.integers(0, 6, len(y)))
               for y, share in ((first, 0.9), (second, 0.4))]
    pooled = confusion_report(confusion(first, guesses[0], 6) + confusion(second, guesses[1], 6), list(ACTIVITIES))
    labels, predictions = np.concatenate([first, second]), np.concatenate(guesses)
    assert pooled["accuracy"] == pytest.approx(np.mean(labels == predictions))
    assert pooled["macro_f1"] == pytest.approx(f1_score(labels, predictions, average="macro"))
    mean = np.mean([f1_score(y, g, average="macro") for y, g in zip((first, second), guesses, strict=True)])
    assert abs(pooled["macro_f1"] - mean) > 0.05, "pooling weighs windows, the mean weighs subjects"


SUBJECTS = "subjects=1,2,3,4,5"


@pytest.fixture(scope="module")
def quick_real_run(tmp_path_factory, shared_data):
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "cmake"):
        require_tool(tool)
    out = tmp_path_factory.mktemp("har_real")
    command = [sys.executable, "-m", "har", "run", "--quick", "--data", "motionsense", "--data-dir", str(shared_data),
               "--set", SUBJECTS, "--set", "test_users=5", "--set", "val_users=4", "--out", str(out)]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return out, result.stdout


@pytest.mark.slow
@pytest.mark.firmware
def test_real_windows_on_the_device(quick_real_run):
    out, stdout = quick_real_run
    metrics = json.loads((out / "metrics.json").read_text())
    device = metrics["device"]
    assert device["problems"] == [] and device["agree_with_host"] == 1.0
    with np.load(out / "export" / "expected.npz") as npz:
        assert device["samples"] == len(npz["labels"]) == len(npz["raw_inputs"]) == metrics["data"]["test_samples"]
    assert any("test: users [5]" in note for note in metrics["notes"]), metrics["notes"]
    assert any(note.startswith("MotionSense (Malekzadeh") for note in metrics["notes"])
    rows = {(row["variant"], row["split"]): row for row in metrics["per_class"]["table"]}
    smoothed = f"int8, smoothed {metrics['config']['smooth_windows']}"
    assert set(rows) == {(v, s) for v in ("float32", "int8", smoothed) for s in ("validation", "test")}
    assert rows["int8", "test"]["accuracy"] == pytest.approx(metrics["variants"]["int8"]["accuracy"], abs=1e-4)
    # the board's own classes (its smoothing, after RESET at each trial) score what the host's smoothing scores
    assert device["details"]["decisions"]["agree_with_host"] == 1.0
    assert rows[smoothed, "test"]["accuracy"] == pytest.approx(device["details"]["decisions"]["accuracy"], abs=1e-4)
    assert "macro-F1" in stdout.splitlines()[-1]


@pytest.mark.slow
@pytest.mark.firmware
def test_predict_on_real_csv_wisdm_text_and_a_bad_file(quick_real_run, shared_data, tmp_path):
    out, _ = quick_real_run
    with zipfile.ZipFile(shared_data / "motionsense" / "jog_9.zip") as archive:
        (tmp_path / "sub_5.csv").write_bytes(archive.read("A_DeviceMotion_data/jog_9/sub_5.csv"))
    wisdm = tmp_path / "mine.txt"
    # 12 s at 20 Hz: two windows of MotionSense's 8 s (160 samples, hop 80), starting at 0 and 4 s
    wisdm.write_text("".join(f"9,Walking,{10**12 + i * 50_000_000},0.5,9.5,1.0;\n" for i in range(240)))
    bad = tmp_path / "bad.csv"
    lines = standing_csv(300).split("\n")
    lines[1] = lines[1].replace(",", ",x,", 1)  # file line 2: one field too many
    bad.write_text("\n".join(lines))
    command = [sys.executable, "-m", "har", "predict", "--model", str(out / "models" / "int8.tflite"),
               str(tmp_path / "sub_5.csv"), str(bad), str(wisdm)]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    by_file = {name: [line for line in lines if line["file"] == name] for name in {line["file"] for line in lines}}
    assert set(by_file) == {str(tmp_path / "sub_5.csv"), str(wisdm)}  # nothing printed for the bad file
    assert all(set(line) == {"file", "start_s", "label", "scores"} for line in lines)
    assert [line["start_s"] for line in by_file[str(wisdm)]] == [0.0, 4.0]
    jogging = [line["label"] for line in by_file[str(tmp_path / "sub_5.csv")]]
    assert jogging.count("Jogging") > len(jogging) / 2  # subject 5 is the held-out test subject of this run
    assert result.stderr.count("error: ") == 1 and f"{bad}: row 2: " in result.stderr


@pytest.mark.slow
def test_loso_one_subject(shared_data, tmp_path):
    command = [sys.executable, "-m", "har", "loso", "--quick", "--data", "motionsense", "--data-dir",
               str(shared_data), "--set", SUBJECTS, "--set", "val_users=4", "--subjects", "3", "--out", str(tmp_path)]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    loso = json.loads((tmp_path / "loso.json").read_text())
    assert [row["subject"] for row in loso["subjects"]] == [3]
    assert loso["means"]["int8"] == loso["subjects"][0]["int8"] > 1 / 6
    assert loso["means"]["int8_smoothed"] == loso["subjects"][0]["int8_smoothed"] > 1 / 6  # the board's decisions
    assert "leave-one-subject-out (motionsense, mlp_cnn1d" in result.stdout.splitlines()[-1]  # model auto
    assert set(loso["subjects"][0]["parts"]) == {"mlp", "cnn1d", "mean_probabilities"}
    row = loso["subjects"][0]  # one subject: its windows are the pool
    assert np.sum(row["confusion"]["int8_smoothed"]) == row["windows"]
    assert loso["pooled"]["int8_smoothed"] == pytest.approx(row["int8_smoothed"], abs=5e-5)
    assert loso["pooled"]["int8_smoothed_macro_f1"] == pytest.approx(row["int8_smoothed_macro_f1"], abs=5e-5)
