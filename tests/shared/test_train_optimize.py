"""shared.train and shared.optimize: reproducible training, pruning sparsity and cluster counts measured."""

import numpy as np
import pytest

from shared import optimize
from shared.train import train_float
from tests.shared.conftest import SETTINGS, build_mlp

pytestmark = pytest.mark.slow


def test_training_learns_and_records_history(trained, blobs, tmp_path):
    model, history = trained
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(history)
    _, _, (xt, yt) = blobs
    accuracy = np.mean(np.argmax(model.predict(xt, verbose=0), axis=1) == yt)
    assert accuracy > 0.85, f"separable blobs should be learned, got {accuracy:.3f}"


def test_same_seed_gives_same_model(blobs, trained, tmp_path):
    (x, y), (xv, yv), _ = blobs
    again, _ = train_float(build_mlp, x, y, xv, yv, SETTINGS, history_path=tmp_path / "h.json")
    assert (tmp_path / "h.json").is_file()
    for first, second in zip(trained[0].get_weights(), again.get_weights(), strict=True):
        np.testing.assert_allclose(first, second, rtol=0, atol=1e-5, err_msg="same seed and data, same weights")


def test_pruning_reaches_target_sparsity(trained, blobs):
    (x, y), (xv, yv), _ = blobs
    pruned, measured = optimize.prune(trained[0], x, y, xv, yv, SETTINGS)
    recount = optimize.measure_sparsity(pruned)
    assert recount.share >= SETTINGS.prune_sparsity - 0.02
    assert recount == measured
    assert optimize.measure_sparsity(trained[0]).share < 0.05, "the original model must stay untouched"


def test_clustering_limits_distinct_values(trained, blobs):
    (x, y), (xv, yv), _ = blobs
    clustered, counts = optimize.cluster(trained[0], x, y, xv, yv, SETTINGS)
    assert max(counts) <= SETTINGS.clusters
    assert optimize.unique_values_per_kernel(clustered) == counts
    assert max(optimize.unique_values_per_kernel(trained[0])) > SETTINGS.clusters


def test_quantization_aware_training_runs(trained, blobs):
    (x, y), (xv, yv), (xt, yt) = blobs
    qat = optimize.quantization_aware(trained[0], x, y, xv, yv, SETTINGS)
    assert any("quant" in layer.name for layer in qat.layers)
    assert np.mean(np.argmax(qat.predict(xt, verbose=0), axis=1) == yt) > 0.8
