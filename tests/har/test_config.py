"""har/config.py: the data source's window is the default wherever a config is built, unless it is set."""

from __future__ import annotations

import dataclasses

import pytest

from har.config import FULL, QUICK, HarConfig
from shared.config import apply_overrides


@pytest.mark.parametrize(("config", "window"), [
    (HarConfig(data="motionsense"), (160, 256)),  # MotionSense's 8 s at 20 Hz, 256-point FFT
    (HarConfig(), (80, 128)),  # WISDM: the textbook's 4 s
    (HarConfig(data="synthetic"), (80, 128)),
    (dataclasses.replace(FULL, data="motionsense"), (160, 256)),  # a copy for another source takes its window
    (dataclasses.replace(QUICK, data="motionsense"), (160, 256)),
    (dataclasses.replace(dataclasses.replace(FULL, data="motionsense"), data="wisdm"), (80, 128)),
    (apply_overrides(FULL, ["data=motionsense"]), (160, 256)),
    (HarConfig(data="motionsense", window_samples=80, fft_length=128), (80, 128)),  # set: kept
    (HarConfig(data="motionsense", window_samples=100), (100, 128)),  # FFT: the smallest power of 2 >= 100
    (HarConfig(data="motionsense", fft_length=512), (160, 512)),
    (dataclasses.replace(FULL, data="motionsense", window_samples=64), (64, 128)),
    (dataclasses.replace(FULL, window_samples=64), (64, 128)),
    (dataclasses.replace(dataclasses.replace(FULL, window_samples=64), data="motionsense"), (64, 128)),  # stays set
    (dataclasses.replace(FULL, data="motionsense", window_samples=80, window_source=""), (80, 128)),
])
def test_window_is_the_sources_unless_set(config, window):
    assert (config.window_samples, config.fft_length) == window


def test_resolved_config_round_trips():
    """A saved config (data/run.json) builds the same config again."""
    config = dataclasses.replace(FULL, data="motionsense", overlap_percent=75)
    assert HarConfig(**dataclasses.asdict(config)) == config
    assert config.hop_samples == 40


@pytest.mark.parametrize(("config", "model", "model_input"), [
    (HarConfig(data="motionsense"), "mlp_cnn1d", 2),  # auto: MotionSense's choice (leave-one-subject-out)
    (dataclasses.replace(FULL, data="motionsense"), "mlp_cnn1d", 2),
    (dataclasses.replace(dataclasses.replace(FULL, data="motionsense"), data="wisdm"), "mlp", 1),
    (HarConfig(), "mlp", 1),
    (HarConfig(data="synthetic"), "mlp", 1),
    (HarConfig(data="motionsense", model="mlp"), "mlp", 1),  # set: kept
    (HarConfig(model="cnn1d"), "cnn1d", 0),
    (HarConfig(model="mlp_cnn1d"), "mlp_cnn1d", 2),
])
def test_model_is_the_sources_unless_set(config, model, model_input):
    from har.config import firmware_constants

    assert config.resolved_model == model
    constants = firmware_constants(config, 41)
    assert constants["model_input"] == model_input and constants["model_name"] == f"har_{model}"


@pytest.mark.parametrize("members", [0, 3])
def test_cnn_members_outside_one_or_two_is_one_clear_error(members):
    from shared.cli import UserError

    with pytest.raises(UserError, match=f"cnn_members must be 1 or 2, not {members}"):
        HarConfig(data="motionsense", cnn_members=members)
