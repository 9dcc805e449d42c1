"""Snapshots of both first layers during a comparison: they are the weights of those moments."""

from __future__ import annotations

import numpy as np
import pytest

from cnnexplain.experiment.design import MODEL_NAMES, Experiment, build_models
from cnnexplain.experiment.first_layer import first_layer_images
from cnnexplain.experiment.run import run_experiment
from cnnexplain.experiment.snapshots import MAX_SNAPSHOTS, SNAPSHOT_UNITS, snapshot_epochs
from cnnexplain.io.datasets import load_dataset
from cnnexplain.training.train import TrainConfig

TWO_EPOCHS = TrainConfig(epochs=2, batch_size=128)


def finished(config: TrainConfig):
    run = run_experiment(Experiment("digits", config=config), load_dataset("digits"))
    for _ in run:
        pass
    return run


@pytest.fixture(scope="module")
def two_epochs():
    return finished(TWO_EPOCHS)


def test_snapshots_start_at_the_seeded_weights_and_end_at_the_trained_ones(two_epochs):
    initial = build_models(two_epochs.experiment)
    for name in MODEL_NAMES:
        snapshots = two_epochs.snapshots[name]
        assert [s.epoch for s in snapshots] == [0, 1, 2]
        assert [s.step for s in snapshots] == [
            0,
            two_epochs.planned_steps // 2,
            two_epochs.planned_steps,
        ]
        first, last = snapshots[0].weights, snapshots[-1].weights
        np.testing.assert_array_equal(first, first_layer_images(initial[name])[:SNAPSHOT_UNITS])
        np.testing.assert_array_equal(
            last, first_layer_images(two_epochs.models[name])[:SNAPSHOT_UNITS]
        )
        assert not np.array_equal(first, last)  # training changed the first layer
        assert not first.flags.writeable


def test_the_snapshot_after_epoch_1_is_what_one_epoch_of_training_gives(two_epochs):
    # The learning rate is constant and the shuffling comes from the seed alone, so the first
    # epoch of a two-epoch run is a whole one-epoch run.
    one_epoch = finished(TrainConfig(epochs=1, batch_size=128))
    for name in MODEL_NAMES:
        middle = two_epochs.snapshots[name][1]
        expected = first_layer_images(one_epoch.models[name])[:SNAPSHOT_UNITS]
        np.testing.assert_array_equal(middle.weights, expected)
        assert not np.array_equal(middle.weights, two_epochs.snapshots[name][2].weights)


def test_the_ann_keeps_its_first_neurons_as_pictures_and_the_cnn_its_kernels(two_epochs):
    cnn, ann = (two_epochs.snapshots[name][-1].weights for name in ("CNN", "ANN"))
    assert cnn.shape == (8, 1, 3, 3)  # the default CNN's eight 3×3 kernels
    assert ann.shape == (SNAPSHOT_UNITS, 1, 28, 28)
    weight = two_epochs.models["ANN"].dense1.weight.detach().numpy()  # (units, 784)
    np.testing.assert_array_equal(ann[5, 0].reshape(-1), weight[5])


def test_a_long_run_keeps_a_bounded_number_ending_at_the_last_epoch():
    run = finished(TrainConfig(epochs=30, batch_size=32, max_train=32))  # one step an epoch
    for name in MODEL_NAMES:
        epochs = [s.epoch for s in run.snapshots[name]]
        assert len(epochs) == MAX_SNAPSHOTS
        assert epochs[0] == 0 and epochs[-1] == 30
        assert epochs == sorted(set(epochs))
        np.testing.assert_array_equal(
            run.snapshots[name][-1].weights, first_layer_images(run.models[name])[:SNAPSHOT_UNITS]
        )


@pytest.mark.parametrize(
    ("epochs", "expected"),
    [(1, {1}), (3, {1, 2, 3}), (19, set(range(1, 20))), (38, set(range(2, 39, 2)))],
)
def test_snapshot_epochs_are_spread_evenly_and_include_the_last(epochs, expected):
    assert snapshot_epochs(epochs) == expected


def test_snapshot_epochs_never_pass_the_limit():
    for epochs in range(1, 201):
        chosen = snapshot_epochs(epochs)
        assert len(chosen) == min(epochs, MAX_SNAPSHOTS - 1)
        assert max(chosen) == epochs and min(chosen) >= 1
    with pytest.raises(ValueError, match="at least 2"):
        snapshot_epochs(5, limit=1)
