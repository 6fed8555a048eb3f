"""kws/config.py: checked settings, profiles, and kws_config.h compared with the config entry by entry."""

from __future__ import annotations

import dataclasses
import re

import pytest

from kws import config
from shared.cli import UserError
from shared.config import apply_overrides


def header_defines(text: str) -> dict[str, str]:
    return dict(re.findall(r"^#define (KWS_\w+) (.+?)(?: /\*.*)?$", text, flags=re.M))


@pytest.mark.parametrize("cfg", [config.FULL, config.QUICK, config.TEXTBOOK], ids=["full", "quick", "textbook"])
def test_header_matches_config(cfg):
    defines = header_defines(config.config_header_text(cfg))
    expected = {"KWS_SAMPLE_RATE_HZ": cfg.sample_rate_hz, "KWS_WINDOW_SAMPLES": cfg.window_samples,
                "KWS_ENERGY_BLOCK_SAMPLES": cfg.energy_block_samples, "KWS_N_FFT": cfg.n_fft,
                "KWS_HOP_SAMPLES": cfg.hop_samples, "KWS_N_FRAMES": cfg.n_frames, "KWS_N_MELS": cfg.n_mels,
                "KWS_N_MFCC": cfg.n_mfcc, "KWS_N_FEATURES": cfg.n_frames * cfg.n_mfcc, "KWS_CMN": int(cfg.cmn),
                "KWS_WINDOW_RULE_PEAK": int(cfg.window_rule == "peak"), "KWS_N_LABELS": len(config.LABELS)}
    for name, value in expected.items():
        assert defines[name] == str(value), name
    labels = re.findall(r'"([^"]*)"', defines["KWS_LABELS"])
    assert labels == list(config.LABELS)
    assert defines["KWS_PCM_SCALE"] == "3.05175781e-05f"  # 2^-15


def test_profiles():
    assert config.FULL.input_shape == (61, 13)
    assert config.TEXTBOOK.input_shape == (2, 13)  # the textbook's 26 features
    assert config.QUICK.augment_copies == 0 and config.QUICK.epochs < config.FULL.epochs


@pytest.mark.parametrize("override", ["n_fft=300", "fmax_hz=4500", "n_mfcc=40", "window_samples=100",
                                      "val_fraction=0.7", "window_rule=middle", "cmn=maybe", "nonsense=1"])
def test_bad_settings_are_refused_with_a_message(override):
    with pytest.raises(UserError):
        apply_overrides(config.FULL, [override])


def test_overrides_are_typed():
    cfg = apply_overrides(config.FULL, ["n_mels=40", "cmn=false", "window_type=hann", "fmin_hz=50"])
    assert (cfg.n_mels, cfg.cmn, cfg.window_type, cfg.fmin_hz) == (40, False, "hann", 50.0)
    assert dataclasses.replace(cfg, n_mels=32) == dataclasses.replace(config.FULL, cmn=False, window_type="hann",
                                                                      fmin_hz=50.0)


def test_header_is_written_atomically_and_deterministically(tmp_path):
    first = config.write_config_header(config.FULL, tmp_path / "a").read_bytes()
    second = config.write_config_header(config.FULL, tmp_path / "b").read_bytes()
    assert first == second and b"Do not edit" in first
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["kws_config.h"]
