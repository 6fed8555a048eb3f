"""firmware/apps/kws/vlog.c (arm_vlog_f32 made of + - * / only, so host and Cortex-M builds give the same bits):
built with host gcc and the device's float flags, it stays within 1.5 ulp of the float64 log (np.log in float32 is
within 3 ulp) and gives IEEE answers at the edges."""

from __future__ import annotations

import ctypes
import subprocess

import numpy as np
import pytest

from kws.twin import APP_DIR, OUR_WARNINGS
from shared import cmsis_dsp
from tests.conftest import require_tool


@pytest.fixture(scope="module")
def vlog(tmp_path_factory):
    gcc = require_tool("gcc")
    library = tmp_path_factory.mktemp("kws_vlog") / "vlog.so"
    includes = [f"-isystem{d}" for d in cmsis_dsp.include_dirs()]
    subprocess.run([gcc, "-std=c99", "-O2", "-shared", "-fPIC", *OUR_WARNINGS, *cmsis_dsp.compile_flags(), *includes,
                    str(APP_DIR / "vlog.c"), "-o", str(library)], check=True)
    function = ctypes.CDLL(str(library)).arm_vlog_f32

    def log(x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        y = np.empty_like(x)
        function(x.ctypes.data_as(ctypes.c_void_p), y.ctypes.data_as(ctypes.c_void_p), ctypes.c_uint32(len(x)))
        return y

    return log


def test_within_one_and_a_half_ulp(vlog):
    rng = np.random.default_rng(0)
    # arm_mfcc_f32 logs mel energies + 1e-6: 1e-6 .. ~1e3 here, and a wider range for safety
    x = (np.float32(10) ** rng.uniform(-38, 38, 200_000)).astype(np.float32)
    exact = np.log(x.astype(np.float64))
    ulps = np.abs(vlog(x) - exact) / np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    worst = int(np.argmax(ulps))
    assert ulps.max() <= 1.5, f"log({x[worst]!r}) off by {ulps.max():.2f} ulp"


def test_edges(vlog):
    x = np.array([1.0, 2.0, 0.5, 1e-40, 0.0, -1.0, np.inf, np.nan], dtype=np.float32)
    y = vlog(x)
    assert y[0] == 0.0 and y[1] == np.float32(np.log(2.0)) and y[2] == -y[1]
    assert y[3] == pytest.approx(np.log(1e-40), rel=1e-6)  # subnormal input
    assert y[4] == -np.inf and np.isnan(y[5]) and y[6] == np.inf and np.isnan(y[7])
