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
