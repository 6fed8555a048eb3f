"""python -m kws: the quick end-to-end run above a floor (quick_run: tests/kws/conftest.py), and predict on WAV files
written here."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile

from kws import config
from kws.__main__ import clip_features, main
from kws.data import load_recording
from shared import evaluate
from tests.kws.test_wav import wav_bytes

QUICK_FLOOR = 0.9  # QUICK int8 accuracy, official split (kws/README.md: 95.6-98.0 % measured; chance 10 %)


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
    generated = out / "firmware" / "generated"
    assert {"kws_config.h", "kws_mfcc_tables.c", "kws_mfcc_tables.h"} <= {p.name for p in generated.iterdir()}
    assert metrics["config"]["epochs"] == config.QUICK.epochs
    assert metrics["device"]["status"] == "skipped by --no-device" and metrics["device"]["samples"] == 0


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
