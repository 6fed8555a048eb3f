"""KWS test fixtures: real FSDD clips and the host-gcc builds of the C twins (kws/twin.py)."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from kws import config, data
from kws.twin import build_twin, run_twin
from tests.conftest import real_data_file, require_tool

__all__ = ["CMN_MFCC", "RAW_MFCC", "run_twin"]

RAW_MFCC = dataclasses.replace(config.FULL, cmn=False, lifter=0)
"""FULL without the steps after arm_mfcc_f32 (mean normalisation, lifter): its features are arm_mfcc_f32's output."""


CMN_MFCC = dataclasses.replace(config.FULL, cmn=True)
"""FULL with cepstral mean normalisation on (FULL leaves it off): every step after arm_mfcc_f32 runs."""


@pytest.fixture(scope="session")
def twin_exe(tmp_path_factory) -> Path:
    """The C twin built for CMN_MFCC."""
    return build_twin(CMN_MFCC, tmp_path_factory.mktemp("kws_twin"), require_tool("gcc"))


@pytest.fixture(scope="session")
def raw_twin_exe(tmp_path_factory) -> Path:
    """The C twin built for RAW_MFCC."""
    return build_twin(RAW_MFCC, tmp_path_factory.mktemp("kws_raw_twin"), require_tool("gcc"))


@pytest.fixture(scope="session")
def fsdd_dir(shared_data) -> Path:
    """The real FSDD recordings folder (5 speakers): fsdd/recordings in a data folder, its own folder in the cache."""
    return real_data_file("fsdd/recordings", f"{data.CACHE_SUBDIR}/recordings")


@pytest.fixture(scope="session")
def real_clips(fsdd_dir) -> list[np.ndarray]:
    """40 real FSDD clips (every digit, every speaker), int16."""
    import soundfile

    names = [f"{d}_{s}_{i}.wav" for d in range(10) for s, i in (("george", 3), ("jackson", 17), ("lucas", 31),
                                                                     ("yweweler", 49))]
    return [soundfile.read(fsdd_dir / name, dtype="int16")[0] for name in names]


QUICK_RUN_CALLS: Counter = Counter()
"""Calls made during quick_run, by (function, key): tests/kws/test_cli.py checks each expensive thing ran once."""


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory, shared_data) -> tuple[Path, dict]:
    """`python -m kws run --quick --no-device` once per session (official split, leave-one-out only for george):
    (build folder, metrics.json). test_device.py runs `python -m kws device` on the same folder. The calls of the
    generator, the TFLM runtime, the numpy MFCC of whole splits and the C twin are counted (QUICK_RUN_CALLS)."""
    import kws.demo
    from kws.__main__ import main
    from shared import codegen, tflm
    from tests.shared.test_chain import CallCounter, digest

    out = tmp_path_factory.mktemp("kws_quick")
    argv = ["run", "--quick", "--no-device", "--data-dir", str(shared_data), "--test-speaker", "george", "--out",
            str(out)]
    counter = CallCounter()
    with counter.stack:
        counter.wrap(codegen, "generate", lambda blob, name, source, *rest: (digest(blob), name))
        counter.wrap(tflm, "run_tflm", lambda blob, x: (digest(blob), len(x)))
        counter.wrap(kws.demo, "clip_features", lambda recordings, cfg: len(recordings))
        counter.wrap(kws.demo, "run_twin", lambda exe, clips, cfg: len(clips))
        assert main(argv) == 0
    QUICK_RUN_CALLS.update(counter.counts)
    return out, json.loads((out / "metrics.json").read_text())
