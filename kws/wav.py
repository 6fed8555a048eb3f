"""Reading WAV files: a strict 16-bit PCM reader for the dataset, and a forgiving one for `predict`.

The strict reader parses the RIFF chunks itself so every problem has a precise one-line message (a library would
read a truncated file without complaint, or call an 8-bit file "not recognised").
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from shared.data import DataError

WAVE_FORMAT_PCM = 1
WAVE_FORMAT_EXTENSIBLE = 0xFFFE


class TruncatedWavError(DataError):
    """A WAV whose header promises more bytes than the file holds (a copy or a recording cut short)."""


def _chunks(blob: bytes, name: str) -> dict[bytes, bytes]:
    """RIFF/WAVE chunks by id (first of each); DataError for a bad header or a chunk running past the file's end."""
    if len(blob) < 12:
        raise DataError(f"{name}: truncated WAV header ({len(blob)} bytes)")
    if blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        raise DataError(f"{name}: not a RIFF/WAVE file")
    chunks: dict[bytes, bytes] = {}
    offset = 12
    while offset + 8 <= len(blob):
        chunk_id, size = struct.unpack_from("<4sI", blob, offset)
        body = blob[offset + 8 : offset + 8 + size]
        if len(body) < size:
            chunk = chunk_id.decode(errors="replace")
            raise TruncatedWavError(f"{name}: truncated: chunk {chunk!r} declares {size} bytes, file has {len(body)}")
        chunks.setdefault(chunk_id, body)
        offset += 8 + size + (size & 1)  # chunks are padded to an even length
    return chunks


def _format(chunks: dict[bytes, bytes], name: str) -> tuple[int, int, int, int]:
    """(format tag, channels, rate in Hz, bits per sample) from the fmt chunk."""
    fmt = chunks.get(b"fmt ")
    if fmt is None or len(fmt) < 16:
        raise DataError(f"{name}: no valid 'fmt ' chunk")
    tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == WAVE_FORMAT_EXTENSIBLE and len(fmt) >= 26:
        tag = struct.unpack_from("<H", fmt, 24)[0]  # the sub-format GUID starts with the real format tag
    return tag, channels, rate, bits


def read_pcm16(path: Path) -> tuple[np.ndarray, int, int]:
    """(samples int16 (n, channels), rate in Hz, channels) of a 16-bit PCM WAV; DataError naming the problem."""
    path = Path(path)
    chunks = _chunks(path.read_bytes(), path.name)
    tag, channels, rate, bits = _format(chunks, path.name)
    if tag != WAVE_FORMAT_PCM:
        raise DataError(f"{path.name}: format tag {tag} is not integer PCM (1)")
    if bits != 16:
        raise DataError(f"{path.name}: {bits}-bit samples; 16-bit PCM expected")
    if channels < 1:
        raise DataError(f"{path.name}: 0 channels")
    data = chunks.get(b"data")
    if data is None:
        raise DataError(f"{path.name}: no 'data' chunk")
    frame_bytes = 2 * channels
    if len(data) < frame_bytes:
        raise DataError(f"{path.name}: no samples (0-length data chunk)")
    usable = len(data) - len(data) % frame_bytes
    return np.frombuffer(data[:usable], dtype="<i2").astype(np.int16).reshape(-1, channels), rate, channels


def read_any_as_pcm16(path: Path, rate_hz: int) -> tuple[np.ndarray, str]:
    """Any WAV soundfile reads -> (int16 mono (n,) at `rate_hz`, what was done to it).

    16-bit mono files at `rate_hz` are read as they are (exactly what training saw); otherwise channels are averaged,
    the signal is resampled with librosa (soxr, high quality) and rounded back to int16. A file cut short (its
    header and its length disagree) is refused, never read as far as it goes.
    """
    path = Path(path)
    try:
        pcm, rate, channels = read_pcm16(path)
        if channels == 1 and rate == rate_hz:
            return pcm[:, 0], "as is"
    except TruncatedWavError as error:
        raise DataError(f"{path}: {str(error).split(': ', 1)[1]}") from None
    except DataError:
        pass
    import soundfile

    try:
        audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as error:
        raise DataError(f"{path}: cannot read as audio ({error})") from None
    if audio.shape[0] == 0:
        raise DataError(f"{path}: no samples")
    mono = audio.mean(axis=1)
    steps = [f"{audio.shape[1]} channels averaged"] if audio.shape[1] > 1 else []
    if rate != rate_hz:
        import librosa

        mono = librosa.resample(mono, orig_sr=rate, target_sr=rate_hz)
        steps.append(f"resampled {rate} -> {rate_hz} Hz")
    steps.append("rounded to int16")
    pcm = np.clip(np.round(mono * 32768.0), -32768, 32767).astype(np.int16)
    return pcm, ", ".join(steps)
