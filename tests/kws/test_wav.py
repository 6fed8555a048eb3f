"""kws/wav.py: the strict dataset reader's edge cases (written here, byte by byte) and predict's converter."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from kws.wav import read_any_as_pcm16, read_pcm16
from shared.data import DataError


def wav_bytes(samples: np.ndarray, rate: int = 8000, channels: int = 1, bits: int = 16, tag: int = 1) -> bytes:
    """A canonical RIFF/WAVE file: 'fmt ' then 'data'."""
    data = samples.tobytes()
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def write(tmp_path, name: str, blob: bytes):
    path = tmp_path / name
    path.write_bytes(blob)
    return path


def test_reads_16_bit_mono(tmp_path):
    samples = np.array([0, 1, -1, 32767, -32768], dtype="<i2")
    pcm, rate, channels = read_pcm16(write(tmp_path, "ok.wav", wav_bytes(samples)))
    assert (rate, channels) == (8000, 1)
    np.testing.assert_array_equal(pcm[:, 0], samples)


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (wav_bytes(np.zeros(0, "<i2")), "no samples"),
        (wav_bytes(np.zeros(10, "u1"), bits=8), "8-bit"),
        (wav_bytes(np.zeros(10, "<f4"), bits=32, tag=3), "not integer PCM"),
        (wav_bytes(np.zeros(100, "<i2"))[:30], "truncated"),
        (wav_bytes(np.zeros(100, "<i2"))[:8], "truncated WAV header"),
        (wav_bytes(np.zeros(100, "<i2"))[:150], "truncated: chunk 'data' declares 200 bytes"),
        (b"RIFX" + bytes(40), "not a RIFF/WAVE"),
    ],
    ids=["0 samples", "8-bit", "float", "truncated fmt", "truncated header", "truncated data", "not RIFF"],
)
def test_refuses_bad_files_with_a_reason(tmp_path, blob, message):
    with pytest.raises(DataError, match=message):
        read_pcm16(write(tmp_path, "bad.wav", blob))


def test_predict_converts_stereo_and_16_khz(tmp_path):
    t = np.arange(16000) / 16000
    tone = np.round(8000 * np.sin(2 * np.pi * 500 * t)).astype("<i2")
    stereo = np.stack([tone, tone], axis=1)
    pcm, how = read_any_as_pcm16(write(tmp_path, "s.wav", wav_bytes(stereo, rate=16000, channels=2)), 8000)
    assert "2 channels averaged" in how and "resampled 16000 -> 8000 Hz" in how
    assert pcm.dtype == np.int16 and abs(len(pcm) - 8000) <= 1
    assert 7000 < np.abs(pcm[100:-100]).max() <= 8100  # still a 500 Hz tone of about the same amplitude
    same, how = read_any_as_pcm16(write(tmp_path, "m.wav", wav_bytes(tone[:4000])), 8000)
    assert how == "as is"
    np.testing.assert_array_equal(same, tone[:4000])
    eight_bit = write(tmp_path, "u8.wav", wav_bytes(np.full(800, 192, "u1"), bits=8))
    pcm, how = read_any_as_pcm16(eight_bit, 8000)
    assert pcm.shape == (800,) and int(pcm[0]) == 16384  # unsigned 8-bit 192 = +0.5 full scale


def test_predict_refuses_non_audio(tmp_path):
    with pytest.raises(DataError, match="cannot read as audio"):
        read_any_as_pcm16(write(tmp_path, "x.wav", b"hello"), 8000)
