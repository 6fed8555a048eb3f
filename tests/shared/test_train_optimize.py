"""shared.train and shared.optimize: reproducible training, pruning sparsity and cluster counts measured."""

import dataclasses

import numpy as np
import pytest

from shared import optimize
from shared.train import class_weights, mix_batch, one_hot, train_float
from tests.shared.conftest import N_CLASSES, N_FEATURES, SETTINGS, build_mlp

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


def test_mixup_blends_samples_and_labels_alike():
    n = 64
    x = np.repeat(np.arange(n, dtype=np.float32)[:, None, None], 3, axis=1)  # sample i holds the value i everywhere
    mixed_x, mixed_y = mix_batch(x, one_hot(np.arange(n), n), 0.4, np.random.default_rng(0))
    np.testing.assert_allclose(mixed_y.sum(axis=1), 1.0, atol=1e-6)
    assert np.all(np.diagonal(mixed_y) >= 0.5), "every sample keeps the larger weight"
    assert np.count_nonzero(mixed_y > 0) > n, "some samples must be blended with another"
    expected = mixed_y @ np.arange(n, dtype=np.float32)  # the label weights, applied to the samples' values
    np.testing.assert_allclose(mixed_x[:, :, 0], np.repeat(expected[:, None], 3, axis=1), rtol=1e-5)
    assert np.array_equal(x[:, 0, 0], np.arange(n)), "the input batch is left as it was"


def test_class_weights_by_hand():
    labels = np.array([0, 0, 0, 1, 2, 2])  # counts 3, 1, 2: mean 2
    assert class_weights(labels, 1.0) == pytest.approx({0: 2 / 3, 1: 2.0, 2: 1.0})
    assert class_weights(labels, 0.5) == pytest.approx({0: (2 / 3) ** 0.5, 1: 2**0.5, 2: 1.0})
    assert class_weights(one_hot(labels, 3), 1.0) == pytest.approx({0: 2 / 3, 1: 2.0, 2: 1.0})
    assert class_weights(np.array([0, 0, 2]), 1.0) == pytest.approx({0: 0.75, 2: 1.5}), "absent classes get none"


def test_class_balance_raises_the_rare_class_recall():
    """Overlapping classes, class 2 rare (5 %): weighting the classes alike must find more of class 2."""
    rng = np.random.default_rng(7)
    y = rng.choice(N_CLASSES, 1500, p=[0.6, 0.35, 0.05])
    x = rng.normal(size=(len(y), N_FEATURES)).astype(np.float32)
    x[np.arange(len(y)), y] += 1.0  # weak signal: an unweighted model seldom says "2"
    rare = y == 2
    recall = {}
    for balance in (0.0, 1.0):
        model, _ = train_float(build_mlp, x[:1000], y[:1000], x[1000:], y[1000:],
                               dataclasses.replace(SETTINGS, class_balance=balance))
        predicted = np.argmax(model.predict(x, verbose=0), axis=1)
        recall[balance] = np.mean(predicted[rare] == 2)
    assert recall[1.0] > recall[0.0] + 0.2, f"rare-class recall {recall}"


def test_refit_learns_from_the_validation_data_for_the_epochs_kept(blobs):
    """Class 2 almost only in the validation data (5 training samples): without refit the model seldom names it,
    after refit it does; the refit runs up to the epoch of the lowest validation loss, at the learning rates the
    first training used."""
    (x, y), (xv, yv), (xt, yt) = blobs
    keep = (y != 2) | (np.cumsum(y == 2) <= 5)
    settings = dataclasses.replace(SETTINGS, reduce_lr_patience=1, patience=3)
    named = {}
    for refit in (False, True):
        model, history = train_float(build_mlp, x[keep], y[keep], xv, yv, dataclasses.replace(settings, refit=refit))
        named[refit] = np.mean(np.argmax(model.predict(xt[yt == 2], verbose=0), axis=1) == 2)
    kept = int(np.argmin(history["val_loss"])) + 1
    assert len(history["refit_loss"]) == kept <= settings.epochs
    np.testing.assert_allclose(history["refit_lr"], history["lr"][:kept])
    assert named[False] < 0.2, f"5 training samples of class 2 teach little, recall {named[False]:.3f}"
    assert named[True] > named[False] + 0.4, f"refit on training + validation data must learn class 2: {named}"


def test_training_with_mixup_learns(blobs):
    (x, y), (xv, yv), (xt, yt) = blobs
    model, history = train_float(build_mlp, x, y, xv, yv, dataclasses.replace(SETTINGS, mixup_alpha=0.4))
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(history)
    accuracy = np.mean(np.argmax(model.predict(xt, verbose=0), axis=1) == yt)
    assert accuracy > 0.85, f"separable blobs should be learned with mixup too, got {accuracy:.3f}"
    pruned, _ = optimize.prune(model, x, y, xv, yv, SETTINGS)  # the variants fine-tune on integer labels
    assert np.mean(np.argmax(pruned.predict(xt, verbose=0), axis=1) == yt) > 0.8


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
