"""Generated accelerometer data in the exact WISDM raw format, format quirks included (tests and offline demos).

Results on this data are labelled "generated" everywhere: they show the pipeline works, not how well a model
recognises real activities.

Signal model per user and activity, in the phone's frame (m/s^2, gravity 9.81 included, 20 Hz):
- gravity: a unit vector per posture (upright in a trouser pocket: mostly +y; sitting: thigh horizontal, mostly
  +z or -x), rotated by a per-user phone tilt of a few degrees, times g;
- gait (walking, jogging, stairs): a step fundamental with harmonics whose amplitudes and phases differ per axis,
  jogging faster and stronger; stairs add a per-step impact pulse (sharp on the way down, a slower push up);
- every user has their own cadence, intensity and tilt; every segment a slowly drifting cadence;
- sensor noise (white, per axis) and, for still postures, a slow sway.
Timestamps are phone uptime in ns with 50 ms steps, a little jitter and a few gaps between segments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from har.config import ACTIVITIES

GRAVITY_M_S2 = 9.81
SAMPLE_PERIOD_NS = 50_000_000

# Per activity: step frequency (Hz), gait amplitude (m/s^2), impact pulse amplitude (m/s^2), impact width (s),
# posture gravity direction (x, y, z) before the per-user tilt. Amplitudes are set so that the median per-axis
# standard deviations and mean |a| come out near the real WISDM ARFF's (walking ~4-5, jogging ~8-10, stairs ~4 m/s^2;
# sitting/standing ~0.1); tests/har/test_synthetic.py checks that against the ARFF. Impact widths are >= 0.07 s
# (1.4 sample periods) so that 20 Hz sampling sees the pulse as a pulse; the phone's own low-pass does the same.
_ACTIVITY_MODEL = {
    "Walking": (1.9, 4.6, 0.0, 0.0, (0.15, 0.97, 0.2)),
    "Jogging": (2.8, 10.5, 4.0, 0.07, (0.25, 0.92, 0.3)),
    "Upstairs": (1.5, 4.6, 3.0, 0.12, (0.3, 0.93, 0.2)),
    "Downstairs": (1.8, 4.0, 6.0, 0.07, (0.1, 0.95, 0.3)),
    "Sitting": (0.0, 0.0, 0.0, 0.0, (-0.3, 0.2, 0.93)),
    "Standing": (0.0, 0.0, 0.0, 0.0, (0.1, 0.99, 0.1)),
}

# White sensor noise plus unmodelled body motion, m/s^2 (standing sways more than sitting; gait gets 0.5).
_NOISE_M_S2 = {"Sitting": 0.08, "Standing": 0.14}


@dataclass(frozen=True)
class Quirks:
    """Per-record probabilities of each format quirk of the real file."""

    joined_line: float = 0.01  # two records on one line (`;` without newline)
    split_line: float = 0.005  # a record broken over two lines
    missing_semicolon: float = 0.003  # a line without its `;` (the parser still separates the records)
    empty_field: float = 0.002  # an acceleration field left empty -> skipped
    missing_field: float = 0.002  # the last field dropped -> skipped
    non_numeric: float = 0.002  # an acceleration like "1.2.3" or "NaN" -> skipped
    zero_timestamp: float = 0.002  # timestamp 0 -> skipped


NO_QUIRKS = Quirks(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def _rotation(rng: np.random.Generator, max_degrees: float) -> np.ndarray:
    """A small random rotation (3, 3): the phone sits a little differently in each user's pocket."""
    angles = np.radians(rng.uniform(-max_degrees, max_degrees, size=3))
    cx, cy, cz = np.cos(angles)
    sx, sy, sz = np.sin(angles)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def _gait(rng: np.random.Generator, t: np.ndarray, activity: str, user_scale: float, user_cadence: float):
    """Body acceleration (n, 3) of one segment: step fundamental + 2 harmonics, plus stair impacts."""
    step_hz, amplitude, impact, width, _ = _ACTIVITY_MODEL[activity]
    n = len(t)
    if step_hz == 0.0:  # still posture: slow sway only
        return 0.05 * np.sin(2 * np.pi * rng.uniform(0.1, 0.3) * t[:, None] + rng.uniform(0, 2 * np.pi, 3))
    drift = 1.0 + 0.03 * np.sin(2 * np.pi * t / rng.uniform(20, 40) + rng.uniform(0, 2 * np.pi))
    dt_s = t[1] - t[0] if n > 1 else 0.05
    phase = 2 * np.pi * step_hz * user_cadence * np.cumsum(drift) * dt_s
    body = np.zeros((n, 3))
    axis_weights = np.array([1.1, 1.0, 0.6]) * rng.uniform(0.8, 1.2, 3)
    for harmonic, weight in ((1, 1.0), (2, 0.45), (3, 0.2)):
        offsets = rng.uniform(0, 2 * np.pi, 3)
        body += weight * np.sin(harmonic * phase[:, None] + offsets) * axis_weights
    # The left and right steps differ a little: a half-cadence component.
    body += 0.25 * np.sin(0.5 * phase[:, None] + rng.uniform(0, 2 * np.pi, 3)) * axis_weights
    body *= amplitude * user_scale
    if impact:
        cycle = np.mod(phase, 2 * np.pi) / (2 * np.pi * step_hz * user_cadence)  # seconds since the step began
        pulse = impact * user_scale * np.exp(-0.5 * (cycle / width) ** 2)
        body += pulse[:, None] * np.array([0.3, 1.0, 0.4])
    return body


def generate_records(seed: int, n_users: int, seconds_per_activity: float, sample_rate_hz: int = 20) -> list[tuple]:
    """Clean records (user, activity, timestamp_ns, x, y, z) in file order: users in turn, activities shuffled."""
    rng = np.random.default_rng(seed)
    period_s = 1.0 / sample_rate_hz
    records: list[tuple] = []
    for user in range(1, n_users + 1):
        tilt = _rotation(rng, 12.0)
        user_scale, user_cadence = rng.uniform(0.75, 1.25), rng.uniform(0.88, 1.12)
        clock_ns = int(rng.integers(10**12, 10**14))
        for activity in rng.permutation(ACTIVITIES):
            n = int(seconds_per_activity * sample_rate_hz)
            t = np.arange(n) * period_s
            gravity = tilt @ np.array(_ACTIVITY_MODEL[activity][4])
            gravity = GRAVITY_M_S2 * gravity / np.linalg.norm(gravity)
            body = _gait(rng, t, str(activity), user_scale, user_cadence)
            noise = rng.normal(0.0, _NOISE_M_S2.get(str(activity), 0.5), (n, 3))
            xyz = gravity + body @ tilt.T + noise
            jitter = rng.integers(-2_000_000, 2_000_001, n)
            stamps = clock_ns + np.arange(n) * SAMPLE_PERIOD_NS + jitter
            records.extend(
                (user, str(activity), int(ts), float(v[0]), float(v[1]), float(v[2]))
                for ts, v in zip(stamps, xyz.astype(np.float32), strict=True)
            )
            clock_ns = int(stamps[-1]) + int(rng.integers(5, 60)) * 10**9  # a pause between recordings
    return records


def _format(value: float) -> str:
    """An acceleration as the phone app wrote it: float32 shortest digits, e.g. -0.6946377."""
    return str(np.float32(value)) if abs(value) >= 1e-4 else "0.0"


def render_records(records: list[tuple], seed: int, quirks: Quirks = Quirks()) -> tuple[str, dict[str, int]]:
    """WISDM raw text with quirks injected; returns the text and how many records were broken, by kind."""
    rng = np.random.default_rng(seed + 1)
    kinds = [name for name in Quirks.__dataclass_fields__]
    probabilities = np.array([getattr(quirks, name) for name in kinds])
    draws = rng.random((len(records), len(kinds))) < probabilities  # independent draws, first hit wins
    counts = dict.fromkeys(kinds, 0)
    parts: list[str] = []
    for record, hits in zip(records, draws, strict=True):
        user, activity, ts, x, y, z = record
        fields = [str(user), activity, str(ts), _format(x), _format(y), _format(z)]
        kind = kinds[int(np.argmax(hits))] if hits.any() else None
        end = ";\n"
        if kind == "joined_line":
            end = ";"
        elif kind == "split_line":
            fields[3] = fields[3] + "\n"
        elif kind == "missing_semicolon":
            end = "\n"
        elif kind == "empty_field":
            fields[4] = ""
        elif kind == "missing_field":
            fields = fields[:5]
        elif kind == "non_numeric":
            fields[5] = "1.2.3" if rng.random() < 0.5 else "NaN"
        elif kind == "zero_timestamp":
            fields[2] = "0"
        if kind:
            counts[kind] += 1
        parts.append(",".join(fields) + end)
    return "".join(parts), counts


BROKEN_KINDS = ("empty_field", "missing_field", "non_numeric", "zero_timestamp")


def generate_text(seed: int, n_users: int, seconds_per_activity: float, quirks: Quirks = Quirks()) -> tuple[str, dict]:
    """Generated WISDM raw text and the quirk counts (records of BROKEN_KINDS are the ones a parser must skip)."""
    records = generate_records(seed, n_users, seconds_per_activity)
    return render_records(records, seed, quirks)
