"""har/model.py: every HAR model converts to int8 with only the ops the C code generator supports."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from har.config import FULL, MODELS
from har.features import N_FEATURES
from har.model import feature_rows, model_builder, uses_features, uses_window

# What shared/codegen supports (PLAN.md); Keras layers must convert to these and nothing else.
CODEGEN_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "MAX_POOL_2D", "AVERAGE_POOL_2D", "MEAN", "ADD",
               "RESHAPE", "SOFTMAX", "RELU", "RELU6", "CONCATENATION", "STRIDED_SLICE"}


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_int8_model_uses_codegen_ops_only(name):
    from shared.convert import to_int8
    from shared.export import builtin_op_names

    config = dataclasses.replace(FULL, model=name)
    model = model_builder(config, N_FEATURES)()
    shape = model.input_shape[1:]
    assert shape == ((N_FEATURES,) if not uses_window(config) else
                     (config.window_samples + feature_rows(N_FEATURES) * uses_features(config), 1, 3))
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


def _random_weights(model, seed: int, scale: float) -> None:
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, scale, w.shape).astype(np.float32) for w in model.get_weights()])


def test_combined_input_layout():
    """combined_inputs: 41 features -> 14 rows of 3 (one zero of padding), then the window times WINDOW_SCALE in
    float32; split_combined gives both parts back."""
    from har.config import WINDOW_SCALE
    from har.model import combined_inputs, split_combined

    rng = np.random.default_rng(3)
    features = rng.normal(0, 1, (4, 41)).astype(np.float32)
    xyz = rng.normal(0, 9, (4, 160, 3)).astype(np.float32)
    x = combined_inputs(features, xyz)
    assert feature_rows(41) == 14 and x.shape == (4, 14 + 160, 1, 3) and x.dtype == np.float32
    flat = x.reshape(4, -1)
    np.testing.assert_array_equal(flat[:, :41], features)
    assert (flat[:, 41:42] == 0).all()
    np.testing.assert_array_equal(flat[:, 42:].view(np.uint32),
                                  (xyz.reshape(4, -1) * np.float32(WINDOW_SCALE)).view(np.uint32))
    parts = split_combined(x, 41)
    np.testing.assert_array_equal(parts[0], features)
    np.testing.assert_allclose(parts[1][:, :, 0, :], xyz, rtol=1e-6)


@pytest.mark.parametrize("n_cnns", [1, 2])
def test_combined_model_is_the_mean_of_the_mlp_and_cnn_logits(n_cnns: int):
    """combine_mlp_cnn1d(mlp, cnns) on combined_inputs == softmax of the mean of the MLP's logits and the CNNs' mean
    logits (each recovered from its own softmax output as log p), float32; converted, only ops the generator has."""
    from har.model import build_cnn1d, build_mlp, combine_mlp_cnn1d, combined_inputs, merge_mlps
    from shared.convert import to_int8
    from shared.export import builtin_op_names

    members = [build_mlp(41, (8, 5), 6, "har_mlp", dropout=0.2) for _ in range(2)]
    for seed, member in enumerate(members):
        _random_weights(member, seed, 0.5)
    mlp, cnns = merge_mlps(members), [build_cnn1d(40, 6) for _ in range(n_cnns)]
    for seed, cnn in enumerate(cnns):
        _random_weights(cnn, 7 + seed, 0.15)
    model = combine_mlp_cnn1d(mlp, cnns, 41)
    rng = np.random.default_rng(11)
    features, xyz = rng.normal(0, 1, (30, 41)).astype(np.float32), rng.normal(0, 3, (30, 40, 3)).astype(np.float32)
    cnn_logits = np.mean([np.log(cnn.predict(xyz[:, :, None, :], verbose=0).astype(np.float64)) for cnn in cnns],
                         axis=0)
    logits = (np.log(mlp.predict(features, verbose=0).astype(np.float64)) + cnn_logits) / 2
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert np.isfinite(logits).all() and logits.std() > 0.5  # no probability underflows to 0; not all equal
    x = combined_inputs(features, xyz)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5,
                               err_msg="combined float32 network vs the mean of the parts' logits")
    ops = builtin_op_names(to_int8(model, x))
    assert set(ops) <= CODEGEN_OPS
    assert {"STRIDED_SLICE", "CONCATENATION"} <= set(ops)


def test_rotations_about_turn_about_the_axis():
    """rotations_about: a quarter turn about z takes x to y; the axis is kept; rotations are orthonormal; and
    augment_windows_yaw keeps each window's |a| statistics close (a rotation, then the small augmentation)."""
    from har.model import augment_windows_yaw, rotations_about

    quarter = rotations_about(np.array([[0.0, 0.0, 2.0]]), np.array([np.pi / 2]))[0]
    np.testing.assert_allclose(quarter @ [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], atol=1e-12)
    rng = np.random.default_rng(3)
    axes, angles = rng.normal(0, 1, (20, 3)), rng.uniform(-np.pi, np.pi, 20)
    rotations = rotations_about(axes, angles)
    np.testing.assert_allclose(np.einsum("bij,bj->bi", rotations, axes), axes, atol=1e-12)
    np.testing.assert_allclose(rotations @ rotations.transpose(0, 2, 1), np.broadcast_to(np.eye(3), (20, 3, 3)),
                               atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(rotations), 1.0, atol=1e-12)
    x = rng.normal(0, 2, (8, 160, 1, 3)).astype(np.float32) + np.float32([0.0, 9.81, 0.0])
    turned = augment_windows_yaw(x, np.random.default_rng(4))
    assert turned.shape == x.shape and turned.dtype == np.float32
    gravity_y = turned.mean(axis=(1, 2))[:, 1]
    assert (gravity_y > 9.81 * np.cos(np.radians(30))).all()  # gravity stays near y: only the <= 15 degree tilts
    assert turned[..., 0].std(axis=1).mean() > 1.0  # the motion is not lost
