"""har/dataset.py: from a source to train/val/test arrays, split by subject, standardised on training users only."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from har.config import QUICK
from har.dataset import prepare_arff, prepare_raw, write_firmware_headers
from shared.data import DataError


@pytest.fixture(scope="module")
def synthetic_prepared(tmp_path_factory):
    config = dataclasses.replace(QUICK, data="synthetic", synthetic_seconds=10)
    return config, prepare_raw(config, None, tmp_path_factory.mktemp("har"))


def test_synthetic_dataset_is_labelled_and_split_by_subject(synthetic_prepared):
    config, prepared = synthetic_prepared
    dataset = prepared.dataset
    assert dataset.x_train.shape[1:] == (27,) and dataset.x_train.dtype == np.float32
    assert any("GENERATED DATA" in note for note in dataset.notes)
    assert set(np.unique(dataset.y_test)) == set(range(6))
    # Standardised with training constants: training features have mean ~0 and std ~1.
    assert np.abs(dataset.x_train.mean(axis=0)).max() < 1e-3
    assert prepared.sample_file.read_text().startswith(f"{config.split_users()[0][0]},")


def test_cnn_inputs_are_raw_windows(tmp_path):
    config = dataclasses.replace(QUICK, data="synthetic", synthetic_seconds=10, model="cnn1d")
    prepared = prepare_raw(config, None, tmp_path)
    assert prepared.dataset.x_test.shape[1:] == (80, 1, 3) and prepared.mean is None


def test_combined_inputs_are_features_then_window(tmp_path):
    """mlp_cnn1d: the standardised features (27, 9 rows of 3) then the raw window times WINDOW_SCALE."""
    from har.config import WINDOW_SCALE

    config = dataclasses.replace(QUICK, data="synthetic", synthetic_seconds=10, model="mlp_cnn1d")
    prepared = prepare_raw(config, None, tmp_path)
    x_test = prepared.dataset.x_test
    assert x_test.shape[1:] == (9 + 80, 1, 3) and prepared.mean is not None
    features = prepare_raw(dataclasses.replace(config, model="mlp"), None, tmp_path).dataset.x_test
    np.testing.assert_array_equal(x_test.reshape(len(x_test), -1)[:, :27], features)
    np.testing.assert_array_equal(x_test[:, 9:, 0, :],
                                  prepared.test_windows.xyz.astype(np.float32) * np.float32(WINDOW_SCALE))


def test_preprocess_and_headers_written(synthetic_prepared, tmp_path):
    """What predict reloads (data/run.json "preprocess", via HarDemo) round-trips float32 exactly; the headers."""
    from har.demo import HarDemo

    config, har_prepared = synthetic_prepared
    prepared = HarDemo().prepare(config, None, tmp_path)
    saved = json.loads(json.dumps(prepared.preprocess))
    np.testing.assert_array_equal(np.float32(saved["mean"]), har_prepared.mean)  # float32 round-trips through JSON
    paths = write_firmware_headers(har_prepared, config, tmp_path / "generated")
    assert [p.name for p in paths] == ["har_config.h", "har_features_tables.h"]
    assert prepared.device.raw_inputs.shape == (len(prepared.dataset.x_test), 80, 3)
    np.testing.assert_array_equal(har_prepared.test_windows.activity, prepared.dataset.y_test)


def test_arff_dataset(wisdm_arff, tmp_path):
    config = dataclasses.replace(QUICK, data="wisdm-arff")
    prepared = prepare_arff(config, wisdm_arff.parent)
    dataset = prepared.dataset
    assert len(dataset.x_train) + len(dataset.x_val) + len(dataset.x_test) == 5418
    assert dataset.x_train.shape[1] == 43 and np.isfinite(dataset.x_train).all() and np.isfinite(dataset.x_test).all()
    assert any("not deployable" in note for note in dataset.notes)
    assert any("XAVG is 0 in every row" in note for note in dataset.notes)
    header = write_firmware_headers(prepared, config, tmp_path)
    assert len(header) == 1 and "#error" in header[0].read_text()


@pytest.mark.parametrize("model", ["cnn1d", "mlp_cnn1d"])
def test_arff_refuses_the_cnn(wisdm_arff, model):
    with pytest.raises(DataError, match="raw windows"):
        prepare_arff(dataclasses.replace(QUICK, data="wisdm-arff", model=model), wisdm_arff.parent)


def test_wisdm_source_from_local_folder(tmp_path):
    """--data wisdm with --data-dir: the raw file is read from there and checked against the published figures."""
    from har.synthetic import generate_text

    text, _ = generate_text(seed=2, n_users=36, seconds_per_activity=5)
    (tmp_path / "WISDM_ar_v1.1_raw.txt").write_text(text)
    prepared = prepare_raw(dataclasses.replace(QUICK, data="wisdm"), tmp_path, tmp_path / "out")
    notes = " ".join(prepared.dataset.notes)
    assert "GENERATED" not in notes and "no published sha256" in notes
    assert "the authors state 1098207" in notes and "differs from the documented" in notes


def test_default_source_prefers_wisdm_raw_then_motionsense(tmp_path, monkeypatch):
    """No WISDM raw file and no network (the download fails): MotionSense, and the reason names the failure."""
    from har import data
    from har.dataset import choose_source
    from tests.har.motionsense_files import standing_csv, write_trial_zips

    def offline(*args, **kwargs):
        raise DataError("WISDM_ar_latest.tar.gz: could not download from any mirror (no network)")

    import shared.data

    monkeypatch.setattr(data, "download_archive", offline)
    monkeypatch.setattr(shared.data, "_download", lambda url, target, sha256: offline())
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(DataError, match=r"no HAR data: .*could not download.*A_DeviceMotion_data\.zip.*motionsense/"):
        choose_source(tmp_path)
    write_trial_zips(tmp_path / "motionsense", {("std_6", 1): standing_csv(100)})
    source, why = choose_source(tmp_path)
    assert source == "motionsense"
    assert why.startswith("data: motionsense (") and "could not download from any mirror (no network)" in why
    (tmp_path / data.RAW_FILE_NAME).write_text("33,Jogging,49105962326000,-0.6946377,12.680544,0.50395286;\n")
    source, why = choose_source(tmp_path)
    assert source == "wisdm" and data.RAW_FILE_NAME in why
