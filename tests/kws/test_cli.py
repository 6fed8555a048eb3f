"""python -m kws: the quick end-to-end run above a floor (quick_run: tests/kws/conftest.py), and predict on WAV files
written here."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile

from kws import config
from kws.__main__ import main
from kws.data import load_recording
from kws.demo import clip_features
from shared import evaluate
from tests.kws.test_wav import wav_bytes

QUICK_FLOOR = 0.9  # QUICK int8, official split (kws/README.md: 92.0-98.0 % over seeds 1-3; chance 10 %)


@pytest.mark.slow
def test_quick_run_meets_the_contract(quick_run):
    out, metrics = quick_run
    assert set(metrics["variants"]) == {"float32", "dynamic_range", "float16", "int8", "qat_int8", "pruned_int8",
                                        "clustered_int8"}
    for row in metrics["variants"].values():
        assert {"accuracy", "size_bytes", "gzip_bytes"} <= set(row)
    assert metrics["variants"]["int8"]["accuracy"] >= QUICK_FLOOR
    assert (out / metrics["deploy"]["tflite"]).is_file()
    assert set(metrics["speaker_split"]["speakers"]) == {"george"}
    assert 0.0 <= metrics["speaker_split"]["int8_mean"] <= 1.0
    report = (out / "report.md").read_text()
    assert "official split" in report and "leave-one-speaker-out" in report
    exported = {p.name for p in (out / "export" / "c").iterdir()}
    assert {"kws_config.h", "kws_mfcc_tables.c", "kws_mfcc_tables.h", "model.c", "model.h"} <= exported
    assert metrics["config"]["epochs"] == config.QUICK.epochs
    assert metrics["device"]["status"] == "skipped" and metrics["device"]["samples"] == 0
    parity = metrics["feature_parity"]
    assert parity["within_tolerance"], parity["problem"]
    assert 0 < parity["twin_vs_numpy_max_abs_error"] <= 1e-5 * parity["feature_range"]


@pytest.mark.slow
def test_quick_run_computes_each_thing_once(quick_run):
    """The deployed model's C, its TFLM scores on the test split, the test clips' numpy MFCC and their C twin
    features: each computed once in the whole run."""
    from tests.kws.conftest import QUICK_RUN_CALLS
    from tests.shared.test_chain import check_once

    out, metrics = quick_run
    n_test = metrics["data"]["test_samples"]
    check_once(QUICK_RUN_CALLS, out, n_test)
    assert QUICK_RUN_CALLS[("run_twin", n_test)] == 1 and sum(
        n for (name, _), n in QUICK_RUN_CALLS.items() if name == "run_twin") == 1, QUICK_RUN_CALLS
    assert QUICK_RUN_CALLS[("clip_features", n_test)] == 1, QUICK_RUN_CALLS


@pytest.mark.slow
def test_predict_on_written_wavs(quick_run, fsdd_dir, tmp_path, capsys):
    out, _ = quick_run
    model = out / "models" / "int8.tflite"
    clip = load_recording(fsdd_dir / "7_george_0.wav")
    as_is = tmp_path / "seven.wav"
    as_is.write_bytes(wav_bytes(clip.pcm.astype("<i2")))
    wide = tmp_path / "seven_16k_stereo.wav"
    upsampled = np.repeat(clip.pcm.astype(np.float32) / 32768.0, 2)  # 16 kHz by sample repetition
    soundfile.write(wide, np.stack([upsampled, upsampled], axis=1), 16000, subtype="PCM_16")
    capsys.readouterr()
    assert main(["predict", "--model", str(model), str(as_is), str(wide)]) == 0
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert [line["file"] for line in lines] == [str(as_is), str(wide)]
    assert all(len(line["scores"]) == 10 and line["label"] in config.LABELS for line in lines)
    assert "resampled 16000 -> 8000 Hz" in captured.err
    # same preprocessing as training: the label equals the one the training path's features give
    expected = np.argmax(evaluate.run_litert(model.read_bytes(), clip_features([clip], config.QUICK)))
    assert lines[0]["label"] == config.LABELS[expected]


def test_predict_user_errors_are_one_line(tmp_path, capsys):
    assert main(["predict", "--model", str(tmp_path / "missing.tflite"), "x.wav"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.slow
def test_predict_reports_a_bad_file_and_classifies_the_others(quick_run, fsdd_dir, tmp_path, capsys):
    """A WAV cut short (its header promises more than the file holds) is refused by name; the good files around it
    are still classified, and the exit status says a file failed."""
    out, _ = quick_run
    clip = load_recording(fsdd_dir / "3_lucas_0.wav").pcm.astype("<i2")
    good = tmp_path / "good.wav"
    good.write_bytes(wav_bytes(clip))
    cut = tmp_path / "cut.wav"
    cut.write_bytes(wav_bytes(clip)[:-1000])
    missing = tmp_path / "missing.wav"
    capsys.readouterr()
    status = main(["predict", "--model", str(out / "models" / "int8.tflite"), str(good), str(cut), str(missing),
                   str(good)])
    captured = capsys.readouterr()
    assert status == 2
    assert [json.loads(line)["file"] for line in captured.out.splitlines()] == [str(good), str(good)]
    errors = captured.err.splitlines()
    assert len(errors) == 2, errors
    assert errors[0].startswith(f"error: {cut}: truncated: chunk 'data' declares")
    assert errors[1] == f"error: {missing}: no such file"
