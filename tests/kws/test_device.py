"""kws/device.py + firmware/apps/kws/app.c on the emulated Cortex-M7 (QEMU mps2-an500): the board gets raw test clips,
picks its own window, computes the MFCC with CMSIS-DSP and runs the generated int8 model; it must give the host's
features (host-gcc C twin, bit for bit) and the TFLM host runtime's int8 scores on every clip sent.

The model is the QUICK CNN trained for a few epochs here (accuracy is not the point: device == host is), on the
official split of the shared FSDD folder (5 speakers: 250 test clips, the first 100 also over the serial protocol).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import shared  # noqa: F401  (sets TF_USE_LEGACY_KERAS before tensorflow is imported)
from kws import config
from kws.data import load_fsdd, official_split
from kws.device import MAX_CLIP_SAMPLES, check_clips, clip_payloads
from kws.mfcc import compute_mfcc, make_tables
from kws.window import extract_windows
from tests.conftest import require_tool

CFG = dataclasses.replace(config.QUICK, epochs=3)
SERIAL_SAMPLES = 100


@pytest.fixture(scope="module")
def quick_model(fsdd_dir, tmp_path_factory):
    """(tflite, test clips, labels, TFLM host int8 scores) for a QUICK CNN trained briefly on the official split."""
    import tensorflow as tf

    from kws.model import build_model
    from shared.board.verify import tflm_expected_scores
    from shared.convert import representative_samples, to_int8

    tf.keras.utils.set_random_seed(CFG.seed)
    train, test = official_split(load_fsdd(fsdd_dir, CFG.sample_rate_hz).recordings)
    tables = make_tables(CFG)
    x_train = compute_mfcc(extract_windows([r.pcm for r in train], CFG), CFG, tables)[..., None]
    y_train = np.array([r.digit for r in train])
    model = build_model(CFG)
    model.compile(optimizer=tf.keras.optimizers.Adam(CFG.learning_rate), loss="sparse_categorical_crossentropy")
    model.fit(x_train, y_train, epochs=CFG.epochs, batch_size=CFG.batch_size, verbose=0)
    tflite = tmp_path_factory.mktemp("kws_device") / "int8.tflite"
    tflite.write_bytes(to_int8(model, representative_samples(x_train)))
    clips = [r.pcm for r in test]
    x_test = compute_mfcc(extract_windows(clips, CFG), CFG, tables)[..., None]
    return tflite, clips, np.array([r.digit for r in test]), tflm_expected_scores(tflite.read_bytes(), x_test)


def test_payload_holds_the_raw_clip_and_cuts_only_long_ones():
    short = np.arange(-5, 5, dtype=np.int16)
    long = np.zeros(MAX_CLIP_SAMPLES + 2000, dtype=np.int16)
    long[9000] = 1000  # the loudest block: the host window is centred there
    inputs = clip_payloads([short, long], config.FULL)
    assert inputs.payloads.shape == (2, MAX_CLIP_SAMPLES + 1)
    assert inputs.payloads.nbytes // 2 == 16384, "one payload is the protocol's largest (16384 bytes)"
    assert inputs.payloads[0, 0] == len(short)
    np.testing.assert_array_equal(inputs.payloads[0, 1 : 1 + len(short)], short)
    assert not inputs.payloads[0, 1 + len(short) :].any()
    assert inputs.payloads[1, 0] == config.FULL.window_samples and inputs.cut == 1
    np.testing.assert_array_equal(inputs.clips[1], extract_windows([long], config.FULL)[0])


@pytest.mark.slow
@pytest.mark.firmware
def test_device_gives_the_host_answers_on_every_clip(quick_model, tmp_path):
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "cmake", "gcc"):
        require_tool(tool)
    tflite, clips, labels, host_scores = quick_model
    device = check_clips(clips, labels, CFG, tflite, tmp_path / "firmware", serial_samples=SERIAL_SAMPLES)
    # features == C twin bit for bit, C twin == numpy within 1e-5 x range, scores == TFLM: all in `problems`
    assert device["problems"] == [], "\n".join(device["problems"])
    assert device["serial_samples"] == min(SERIAL_SAMPLES, len(clips)) >= 100
    assert device["samples"] == len(clips) == 250  # every clip of the test split, in bulk through semihosting
    assert device["agree_with_host"] == 1.0 and device["serial_agree_with_host"] == 1.0
    host_accuracy = float(np.mean(np.argmax(host_scores, axis=1) == labels))
    assert device["accuracy"] == host_accuracy
    assert device["stm32f746g_disco"]["fits"]
    assert device["feature_instructions_per_sample"] > 0 and device["instructions_per_inference"] > 0
