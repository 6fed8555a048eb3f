"""har/model.py: every HAR model converts to int8 with only the ops the C code generator supports."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from har.config import FULL, MODELS
from har.features import N_FEATURES
from har.model import model_builder, uses_features

# What shared/codegen supports (PLAN.md); Keras layers must convert to these and nothing else.
CODEGEN_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "MAX_POOL_2D", "AVERAGE_POOL_2D", "MEAN", "ADD",
               "RESHAPE", "SOFTMAX", "RELU", "RELU6"}


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_int8_model_uses_codegen_ops_only(name):
    from shared.convert import to_int8
    from shared.export import builtin_op_names

    config = dataclasses.replace(FULL, model=name)
    model = model_builder(config, N_FEATURES)()
    shape = (N_FEATURES,) if uses_features(config) else (config.window_samples, 1, 3)
    representative = np.random.default_rng(0).normal(0, 3, (32, *shape)).astype(np.float32)
    ops = set(builtin_op_names(to_int8(model, representative)))
    assert ops <= CODEGEN_OPS, f"{name}: unsupported ops {sorted(ops - CODEGEN_OPS)}"
    if name == "mlp_textbook":
        assert [layer.units for layer in model.layers] == [100, 100, 6]


def test_merged_mlps_average_the_members_logits():
    """merge_mlps(members) == softmax(mean of the members' logits), the logits recovered from each member's own
    softmax output (log p = z - logsumexp z: the per-sample constant cancels in the softmax)."""
    from har.model import build_mlp, merge_mlps
    from shared.convert import to_int8
    from shared.export import builtin_op_names

    members = []
    for seed in range(3):
        np.random.seed(seed)
        model = build_mlp(7, (5, 4), 6, "har_mlp", dropout=0.2)
        model.set_weights([np.random.default_rng(seed).normal(0, 1, w.shape).astype(np.float32)
                           for w in model.get_weights()])
        members.append(model)
    merged = merge_mlps(members)
    assert [layer.units for layer in merged.layers] == [15, 12, 6]
    x = np.random.default_rng(9).normal(0, 1, (50, 7)).astype(np.float32)
    logits = np.mean([np.log(member.predict(x, verbose=0).astype(np.float64)) for member in members], axis=0)
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(merged.predict(x, verbose=0), expected, atol=1e-5,
                               err_msg="float32 network vs float64 from the members' outputs")
    assert set(builtin_op_names(to_int8(merged, x))) <= CODEGEN_OPS
