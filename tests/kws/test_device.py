"""kws/device.py + firmware/apps/kws/app.c on the emulated Cortex-M7 (QEMU mps2-an500): the board gets raw test clips,
picks its own window, computes the MFCC with CMSIS-DSP and runs the generated int8 model; it must give the host's
features (host-gcc C twin, bit for bit) and the TFLM host runtime's int8 scores on those features, on every clip sent.

`python -m kws device` runs on the QUICK `run --no-device` build of tests/kws/conftest.py (quick_run), from its
export/ alone; official split of the shared FSDD folder (5 speakers: 250 test clips, all in bulk through
semihosting, the first 100 also over the serial protocol).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from kws import config
from kws.__main__ import main
from kws.data import load_fsdd, official_split
from kws.device import MAX_CLIP_SAMPLES, clip_payloads
from kws.twin import build_twin, run_twin
from kws.window import extract_windows
from tests.conftest import require_tool


def test_payload_holds_the_raw_clip_and_cuts_only_long_ones():
    short = np.arange(-5, 5, dtype=np.int16)
    long = np.zeros(MAX_CLIP_SAMPLES + 2000, dtype=np.int16)
    long[9000] = 1000  # the loudest block: the host window is centred there
    inputs = clip_payloads([short, long], config.FULL)
    assert inputs.payloads.shape == (2, MAX_CLIP_SAMPLES + 1)
    assert inputs.payloads[0].nbytes == 16384, "one payload is the protocol's largest (16384 bytes)"
    assert inputs.payloads[0, 0] == len(short)
    np.testing.assert_array_equal(inputs.payloads[0, 1 : 1 + len(short)], short)
    assert not inputs.payloads[0, 1 + len(short) :].any()
    assert inputs.payloads[1, 0] == config.FULL.window_samples and inputs.cut == 1
    np.testing.assert_array_equal(inputs.clips[1], extract_windows([long], config.FULL)[0])


@pytest.mark.slow
@pytest.mark.firmware
def test_device_gives_the_host_answers_on_every_clip(quick_run, fsdd_dir, capsys, tmp_path):
    """`run --no-device` left export/; `device` alone builds the firmware from it and checks the emulated board."""
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "cmake", "gcc"):
        require_tool(tool)
    out, _ = quick_run
    assert main(["device", "--out", str(out)]) == 0
    device = json.loads((out / "metrics.json").read_text())["device"]
    assert device == json.loads((out / "device" / "result.json").read_text())
    # features == C twin bit for bit, scores == TFLM on the twin's features: all in `problems`
    assert device["problems"] == [], "\n".join(device["problems"])
    assert device["status"] == "passed"
    assert device["details"]["serial_samples"] == 100
    assert device["samples"] == 250  # every clip of the official test split, in bulk through semihosting
    assert device["agree_with_host"] == 1.0 and device["details"]["serial_agree_with_host"] == 1.0
    assert device["details"]["stm32f746g_disco"]["fits"]
    assert device["counter"]["unit"] == "instructions"
    assert device["counter"]["features_per_sample"] > 0 and device["counter"]["per_inference"] > 0
    assert "device (mps2-an500) passed: 100.0 % of 250 samples" in capsys.readouterr().out

    # accuracy: the device's equals the TFLM host runtime's on the C twin's features of the same clips (same scores,
    # so same argmax); the twin rebuilt here from the exported sources, independently of the run
    from shared.board.verify import tflm_expected_scores

    _, test = official_split(load_fsdd(fsdd_dir, config.QUICK.sample_rate_hz).recordings)
    model = (out / "models" / "int8.tflite").read_bytes()
    sent = clip_payloads([r.pcm for r in test], config.QUICK).clips
    twin = build_twin(config.QUICK, tmp_path / "twin", sources_dir=out / "export" / "c")
    _, _, twin_features = run_twin(twin, sent, config.QUICK)
    host = tflm_expected_scores(model, twin_features[..., None])
    assert device["accuracy"] == float(np.mean(np.argmax(host, axis=1) == [r.digit for r in test]))
