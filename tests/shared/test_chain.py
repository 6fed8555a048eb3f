"""shared.chain: one demo run computes each expensive thing once — the deployed model's C, its TFLM scores on the
test split, the test features — and leaves an export/ that the device step can use alone. Counted on real runs."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from shared import codegen, tflm

pytestmark = pytest.mark.slow


def digest(blob: bytes) -> str:
    return hashlib.sha256(bytes(blob)).hexdigest()


class CallCounter:
    """Wraps functions by module attribute; counts calls by a key the caller computes from the arguments."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.stack = ExitStack()

    def wrap(self, module, name: str, key) -> None:
        original = getattr(module, name)

        def counted(*args, **kwargs):
            self.counts[(name, key(*args, **kwargs))] += 1
            return original(*args, **kwargs)

        self.stack.enter_context(mock.patch.object(module, name, counted))


def _run_counted(main, argv: list[str], extra) -> Counter:
    counter = CallCounter()
    with counter.stack:
        counter.wrap(codegen, "generate", lambda blob, name, source, *rest: (digest(blob), name))
        counter.wrap(tflm, "run_tflm", lambda blob, x: (digest(blob), len(x)))
        extra(counter)
        assert main(argv) == 0
    return counter.counts


def check_once(counts: Counter, out: Path, n_test: int) -> None:
    deployed = digest((out / "models" / "int8.tflite").read_bytes())
    assert counts[("generate", (deployed, "model"))] == 1, counts
    # the only other C of it: the per-layer inspector's debug builds (with the layer hook), under their own names
    others = {key[1] for (name, key), n in counts.items() if name == "generate" and key[1] != "model"}
    assert others <= {"m_plain", "m_hooked", "net"}, others
    assert counts[("run_tflm", (deployed, n_test))] == 1, counts
    with np.load(out / "export" / "expected.npz") as expected:
        assert len(expected["tflm_scores"]) == n_test


def test_mnist_run_computes_each_thing_once(tmp_path, mnist_data):
    import mnist.demo
    from mnist.__main__ import main

    out = tmp_path / "mnist"
    argv = ["run", "--quick", "--no-device", "--data-dir", str(mnist_data), "--out", str(out), "--set",
            "train_limit=1200", "--set", "test_limit=700", "--set", "epochs=1", "--set", "val_size=500"]
    counts = _run_counted(main, argv, lambda c: c.wrap(mnist.demo, "scale_pixels", lambda images: len(images)))
    check_once(counts, out, 700)
    assert counts[("scale_pixels", 700)] == 1, "the test images' pixel features are computed once"
    assert not (out / "firmware").exists() and not (out / "device" / "result.json").read_text().count('"passed"')
    device = json.loads((out / "metrics.json").read_text())["device"]
    assert device["status"] == "skipped"


def test_har_run_computes_each_thing_once(tmp_path):
    import har.dataset
    from har.__main__ import main

    out = tmp_path / "har"
    argv = ["run", "--quick", "--data", "synthetic", "--set", "synthetic_seconds=20", "--no-device", "--out",
            str(out)]
    counts = _run_counted(main, argv, lambda c: c.wrap(har.dataset, "compute_features_float32",
                                                        lambda xyz, config: len(xyz)))
    n_test = json.loads((out / "metrics.json").read_text())["data"]["test_samples"]
    check_once(counts, out, n_test)
    feature_calls = sum(n for (name, _), n in counts.items() if name == "compute_features_float32")
    assert feature_calls == 2, "all windows once (the model inputs), the training windows once (standardisation)"
