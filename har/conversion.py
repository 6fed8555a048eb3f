"""From Core Motion (iPhone) readings to what WISDM's Android phones, and the board's accelerometer, would give.

Units and sign. Core Motion reports acceleration in g and, for a phone at rest, *the direction of gravity*: lying
screen up, gravity.z = -1 g. Android (WISDM v1.1) reports the specific force the sensor feels, in m/s^2: lying
screen up, z = +9.81 m/s^2. The device axes are the same on both (x to the right of the screen, y to its top,
z out of the screen), so Android = -9.80665 * Core Motion, axis by axis. The total acceleration is
gravity + userAcceleration (Core Motion splits the accelerometer reading into these two).

Axes. In MotionSense the iPhone sat in the front pocket top down: standing, gravity.y is about +1 g, which on
Android reads y = -9.8 m/s^2, whereas WISDM's standing windows have y = +8.5 m/s^2 on average (its phones sat
top up). Turning the phone 180 degrees about its own z axis (x -> -x, y -> -y, z unchanged: a rotation, so a
physically possible placement) gives WISDM's orientation. That it is z and not x: seated, the thigh is level and
the phone lies flat; WISDM's sitting windows have z = +6.3 m/s^2 on average (ARFF ZAVG), and MotionSense's
sitting trials read gravity.z < 0 for 14 of 20 subjects, i.e. +z after the sign change, so the screen faces the
same way in both and only the top/bottom differ.

Together: x_wisdm = +g0 * x_cm, y_wisdm = +g0 * y_cm, z_wisdm = -g0 * z_cm with g0 = 9.80665 m/s^2.

Rate. MotionSense is 50 Hz, WISDM 20 Hz (the config's `sample_rate_hz`). `resample` uses scipy's polyphase
resampler, whose FIR low-pass (Kaiser window) removes what lies above the new Nyquist frequency before
decimating: without it, 10-25 Hz content of the 50 Hz signal (footstep impacts) would fold into 0-10 Hz.
"""

from __future__ import annotations

import math

import numpy as np

STANDARD_GRAVITY = 9.80665  # m/s^2 per g (ISO 80000-3)
# Android/WISDM axis = SIGN * Core Motion axis * g0: the sign change of the convention times the 180-degree turn
# about z (-1, -1, +1) of the phone's placement.
COREMOTION_TO_WISDM_SIGN = np.array([1.0, 1.0, -1.0])


def coremotion_to_wisdm(total_g: np.ndarray) -> np.ndarray:
    """(n, 3) gravity + userAcceleration in g, Core Motion frame -> (n, 3) float64 m/s^2 in WISDM's convention."""
    return np.asarray(total_g, dtype=np.float64) * (COREMOTION_TO_WISDM_SIGN * STANDARD_GRAVITY)


def resample(samples: np.ndarray, from_hz: int, to_hz: int) -> np.ndarray:
    """(n, ...) samples at from_hz -> (ceil(n * to_hz / from_hz), ...) float64 at to_hz, anti-aliased.

    Sample i of the output is at time i / to_hz, as sample j of the input is at j / from_hz. The signal is
    extended past both ends along the line through its end samples ("line" padding), so the filter does not see
    a jump to 0 there: gravity (about 9.8 m/s^2 of offset) would otherwise ring in the first and last samples.
    """
    from scipy.signal import resample_poly

    samples = np.asarray(samples, dtype=np.float64)
    if from_hz == to_hz:
        return samples.copy()
    common = math.gcd(from_hz, to_hz)
    return resample_poly(samples, to_hz // common, from_hz // common, axis=0, padtype="line")
