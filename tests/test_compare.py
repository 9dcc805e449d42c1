"""The CNN-versus-ANN experiment: setup checks, training in turns, stopping, the comparison,
the numbers its curves and summary are drawn with, perturbed test images, data efficiency and
first-layer pictures."""

from dataclasses import replace

import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

from cnnexplain.experiment.design import (
    ANN,
    CNN,
    MODEL_NAMES,
    Experiment,
    ann_for,
    build_models,
    default_experiment,
    fits,
    fitted_cnn,
    same_budget,
)
from cnnexplain.experiment.efficiency import (
    MAX_SIZES,
    data_efficiency,
    efficiency_curves,
    efficiency_epochs,
    training_sizes,
)
from cnnexplain.experiment.first_layer import first_layer_images
from cnnexplain.experiment.metrics import (
    current_epochs,
    held_out_curve,
    recent_means,
    summary_rows,
    training_curve,
)
from cnnexplain.experiment.result import compare_models, confusion_matrix, finish
from cnnexplain.experiment.robustness import (
    SHIFT_DIRECTIONS,
    add_noise,
    border_values,
    robustness_curves,
    rotate_images,
    shift_images,
)
from cnnexplain.experiment.run import run_experiment
from cnnexplain.io.datasets import Dataset, load_digits28
from cnnexplain.model.spec import (
    CNNSpec,
    ConvBlock,
    MLPSpec,
    count_parameters,
    mlp_matching_budget,
    parameter_counts,
)
from cnnexplain.training.train import TrainConfig, TrainRecord, evaluate, predict, train

SMALL_CNN = CNNSpec(conv_blocks=(ConvBlock(filters=4),), dense=(16,))
FAST = TrainConfig(epochs=2, batch_size=32, lr=1e-2)


@pytest.fixture(scope="module")
def small() -> Dataset:
    """200 training and 100 test digits: enough to learn something in a second."""
    d = load_digits28()
    return Dataset(
        name="digits",
        x_train=d.x_train[:200].copy(),
        y_train=d.y_train[:200].copy(),
        x_test=d.x_test[:100].copy(),
        y_test=d.y_test[:100].copy(),
        class_names=d.class_names,
        description=d.description,
    )


@pytest.fixture(scope="module")
def experiment() -> Experiment:
    return Experiment("digits", cnn=SMALL_CNN, config=FAST)


def weights(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


# ---------------------------------------------------------------------------------------------
# The experiment's setup


def test_default_experiment_matches_the_ann_to_the_cnn_budget():
    exp = Experiment("digits")
    assert exp.cnn == CNNSpec()
    assert exp.mlp == mlp_matching_budget(CNNSpec())
    assert abs(count_parameters(exp.mlp) - count_parameters(exp.cnn)) < 0.01 * count_parameters(
        exp.cnn
    )
    assert exp.specs == {CNN: exp.cnn, ANN: exp.mlp}
    assert exp.config == TrainConfig()


def test_default_experiment_fits_the_networks_to_the_data(small):
    exp = default_experiment("digits", small, FAST)
    assert (exp.cnn.in_channels, exp.cnn.input_size, exp.cnn.num_classes) == (1, 28, 10)
    assert exp.mlp == mlp_matching_budget(exp.cnn)
    assert exp.config == FAST


def test_experiment_refuses_networks_that_read_different_images():
    with pytest.raises(ValueError) as err:
        Experiment("digits", mlp=MLPSpec(in_channels=3, hidden=(66,)), match_budget=False)
    assert str(err.value) == (
        "The CNN reads 1×28×28 images into 10 classes with a softmax head but the ANN reads "
        "3×28×28 images into 10 classes with a softmax head: both networks must read the "
        "same images and give the same output."
    )


def test_match_budget_refuses_an_ann_of_another_size_and_says_what_to_do():
    big = MLPSpec(hidden=(512,))
    with pytest.raises(ValueError) as err:
        Experiment("digits", mlp=big)
    assert str(err.value) == (
        "match_budget asks for an ANN with about as many parameters as the CNN (52,138, give "
        f"or take 10%), but this ANN has {count_parameters(big):,}: use "
        "mlp_matching_budget(cnn) for the ANN's layers, or turn match_budget off."
    )
    assert Experiment("digits", mlp=big, match_budget=False).mlp == big


def test_match_budget_says_when_no_ann_can_be_as_small_as_the_cnn():
    # A 3-filter CNN on 64×64 RGB images pooled hard: fewer weights than one ANN neuron needs.
    tiny = CNNSpec(
        in_channels=3,
        input_size=64,
        conv_blocks=(ConvBlock(filters=2, pool_size=8), ConvBlock(filters=2, pool_size=8)),
        dense=(),
    )
    with pytest.raises(ValueError, match="no ANN can match this CNN, or turn match_budget off"):
        Experiment("cifar-10", cnn=tiny)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"dataset": ""}, ValueError, "The data set must be named by its key, got ''."),
        ({"cnn": MLPSpec()}, TypeError, "cnn must be a CNNSpec, got MLPSpec."),
        ({"mlp": CNNSpec()}, TypeError, "mlp must be an MLPSpec, got CNNSpec."),
        ({"config": {"epochs": 3}}, TypeError, "config must be a TrainConfig, got dict."),
        ({"match_budget": "yes"}, TypeError, "match_budget must be True or False, got 'yes'."),
    ],
)
def test_experiment_rejects_wrong_kinds_of_settings(kwargs, error, message):
    with pytest.raises(error) as err:
        Experiment(**{"dataset": "digits", **kwargs})
    assert str(err.value) == message


def test_run_refuses_data_the_networks_cannot_read(small):
    five_classes = CNNSpec(num_classes=5)
    with pytest.raises(ValueError) as err:
        run_experiment(Experiment("shapes", cnn=five_classes), small)
    assert str(err.value) == (
        "The data set has 1×28×28 images in 10 classes but the networks expect 1×28×28 images "
        "in 5 classes: change the networks' input or number of classes to match the data."
    )


def test_same_budget_allows_a_tenth_of_the_cnn_s_parameters_either_way():
    assert same_budget(1000, 1100) and same_budget(1000, 900)
    assert not same_budget(1000, 1101) and not same_budget(1000, 899)


def test_fitted_cnn_answers_with_the_data_s_classes(small):
    two = replace(small, y_train=small.y_train % 2, y_test=small.y_test % 2, class_names=("a", "b"))
    sigmoid = CNNSpec(num_classes=2, head="sigmoid")
    assert fitted_cnn(sigmoid, two) == sigmoid  # two classes: the sidebar's head stays
    assert fitted_cnn(sigmoid, small) == replace(sigmoid, num_classes=10, head="softmax")
    assert fits(fitted_cnn(CNNSpec(num_classes=3), small), small)
    assert not fits(CNNSpec(num_classes=3), small)
    assert not fits(CNNSpec(in_channels=3), small)


def test_ann_for_reads_and_answers_like_its_cnn():
    cnn = CNNSpec(in_channels=3, input_size=32, num_classes=2, head="sigmoid")
    ann = ann_for(cnn, (40, 20))
    assert ann.hidden == (40, 20)
    assert (ann.in_channels, ann.input_size, ann.num_classes, ann.head) == (3, 32, 2, "sigmoid")
    assert ann.activation == cnn.dense_activation
    assert Experiment("x", cnn=cnn, mlp=ann, match_budget=False).mlp == ann


# ---------------------------------------------------------------------------------------------
# Training in turns


def test_the_two_networks_train_in_turns_and_progress_reaches_one(experiment, small):
    run = run_experiment(experiment, small, report_every=3)  # 7 steps an epoch, 14 in all
    records = list(run)
    steps = {name: [r.record.step for r in records if r.model == name] for name in MODEL_NAMES}
    assert steps[CNN] == steps[ANN] == [3, 6, 7, 9, 12, 14]
    assert [r.model for r in records] == [CNN, ANN] * 6  # strictly in turns
    progress = [r.progress for r in records]
    assert progress == sorted(progress)
    assert progress[0] == pytest.approx(3 / 28)
    assert progress[-1] == 1.0
    assert run.complete and run.progress == 1.0
    for name in MODEL_NAMES:
        own = [r.record for r in records if r.model == name]
        assert run.history[name] == own
        assert [r.kind for r in own].count("epoch") == FAST.epochs
        # elapsed_s is the network's own training time, not the wall time of the whole run
        assert own[-1].elapsed_s == run.train_seconds[name]
        assert [r.elapsed_s for r in own] == sorted(r.elapsed_s for r in own)
    assert sum(run.train_seconds.values()) <= records[-1].record.elapsed_s + max(
        run.train_seconds.values()
    )


def test_each_network_learns_exactly_as_when_trained_alone(experiment, small):
    run = run_experiment(experiment, small, report_every=2)
    together = [r for r in run if r.record.kind == "epoch"]
    alone = build_models(experiment)
    for name, model in alone.items():
        records = list(train(model, small.x_train, small.y_train, small.x_test, small.y_test, FAST))
        mine = [r.record for r in together if r.model == name]
        assert [(r.train_loss, r.test_acc) for r in mine] == [
            (r.train_loss, r.test_acc) for r in records
        ]
        assert all(
            torch.equal(a, b)
            for a, b in zip(weights(model), weights(run.models[name]), strict=True)
        )


def test_finish_measures_both_networks_on_the_test_set(experiment, small):
    run = run_experiment(experiment, small)
    for _ in run:
        pass
    result = finish(run)
    assert result.complete
    assert result.dataset == "digits"
    assert result.class_names == small.class_names
    assert np.array_equal(result.y_test, small.y_test)
    for name, model in run.models.items():
        s = result.models[name]
        assert s.name == name and s.spec == experiment.specs[name]
        assert list(s.layer_params) == parameter_counts(model)
        assert s.total_params == count_parameters(experiment.specs[name])
        assert s.epochs_done == FAST.epochs
        assert s.steps == 14 and s.samples_seen == 400
        assert s.train_seconds == run.train_seconds[name] > 0
        assert s.samples_per_second == pytest.approx(400 / run.train_seconds[name])
        assert (s.test_loss, s.test_acc) == evaluate(model, small.x_test, small.y_test)
        assert np.array_equal(s.predictions, predict(model, small.x_test))
        assert np.array_equal(
            s.confusion, sk_confusion_matrix(small.y_test, s.predictions, labels=range(10))
        )
        assert s.confusion.trace() / len(small.y_test) == pytest.approx(s.test_acc)
        assert s.history == tuple(run.history[name])
        assert s.complete
    right = {name: result.models[name].predictions == small.y_test for name in MODEL_NAMES}
    assert np.array_equal(result.only_wrong[CNN], np.flatnonzero(~right[CNN] & right[ANN]))
    assert np.array_equal(result.only_wrong[ANN], np.flatnonzero(right[CNN] & ~right[ANN]))
    assert not result.only_wrong[CNN].flags.writeable


def test_a_stopped_run_keeps_what_the_models_learned(experiment, small):
    run = run_experiment(experiment, small, report_every=2)
    initial = {name: weights(m) for name, m in run.models.items()}
    taken = [next(run) for _ in range(5)]  # CNN, ANN, CNN, ANN, CNN
    run.close()
    with pytest.raises(StopIteration):
        next(run)
    assert [r.model for r in taken] == [CNN, ANN, CNN, ANN, CNN]
    for name, model in run.models.items():
        assert not all(
            torch.equal(a, b) for a, b in zip(initial[name], weights(model), strict=True)
        )
    result = finish(run)
    assert not result.complete
    assert result.models[CNN].steps == 6 and result.models[ANN].steps == 4
    assert result.models[CNN].epochs_done == 0
    assert run.progress == pytest.approx(10 / 28)
    for name, model in run.models.items():
        assert result.models[name].test_acc == evaluate(model, small.x_test, small.y_test)[1]


def test_a_run_left_part_way_continues_where_it_stopped(experiment, small):
    whole = [
        (r.model, r.record.step, r.record.train_loss) for r in run_experiment(experiment, small)
    ]
    run = run_experiment(experiment, small)
    first = [next(run) for _ in range(3)]
    rest = list(run)
    assert [(r.model, r.record.step, r.record.train_loss) for r in first + rest] == whole


def test_same_experiment_same_numbers(experiment, small):
    def once():
        run = run_experiment(experiment, small, report_every=4)
        history = [
            (r.model, r.record.kind, r.record.step, r.record.train_loss, r.record.train_acc)
            + (() if r.record.kind == "step" else (r.record.test_loss, r.record.test_acc))
            for r in run
        ]
        result = finish(run)
        return history, result, {name: weights(m) for name, m in run.models.items()}

    (hist_a, res_a, w_a), (hist_b, res_b, w_b) = once(), once()
    assert hist_a == hist_b
    for name in MODEL_NAMES:
        assert all(torch.equal(a, b) for a, b in zip(w_a[name], w_b[name], strict=True))
        assert res_a.models[name].test_acc == res_b.models[name].test_acc
        assert np.array_equal(res_a.models[name].predictions, res_b.models[name].predictions)


def test_compare_models_needs_both_networks(small, experiment):
    models = build_models(experiment)
    with pytest.raises(ValueError, match=r"Expected models named \('CNN', 'ANN'\)"):
        compare_models({CNN: models[CNN]}, small)
    result = compare_models(models, small)  # untrained: no history, no speed
    assert result.models[CNN].steps == 0 and np.isnan(result.models[CNN].samples_per_second)
    assert not result.complete


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    assert confusion_matrix(y_true, y_pred, 3).tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


# ---------------------------------------------------------------------------------------------
# The numbers the curves and the summary are drawn with


def records_after(steps: list[int], losses: list[float], batches: list[int]) -> list[TrainRecord]:
    """Records after the given steps, made as `train` makes them: each carries the mean loss
    over its epoch so far. One epoch is len(batches) steps of those batch sizes."""
    per_epoch_steps, records = len(batches), []
    for step in steps:
        epoch = (step - 1) // per_epoch_steps + 1
        first = (epoch - 1) * per_epoch_steps
        sizes = batches[: step - first]
        mean = float(np.dot(losses[first:step], sizes) / sum(sizes))
        seen = (epoch - 1) * sum(batches) + sum(sizes)
        kind = "epoch" if step % per_epoch_steps == 0 else "step"
        records.append(
            TrainRecord(
                epoch=epoch,
                step=step,
                samples_seen=seen,
                train_loss=mean,
                train_acc=0.5,
                test_loss=1.0 / epoch,
                test_acc=0.1 * epoch,
                elapsed_s=0.0,
                progress=step / (2 * per_epoch_steps),
                kind=kind,
            )
        )
    return records


def test_recent_means_are_the_mean_over_the_steps_since_the_record_before():
    losses = [2.0, 1.6, 1.0, 0.9, 0.5, 0.2]  # one per step, two epochs of three steps
    batches = [4, 4, 2]  # the last batch of an epoch is smaller
    records = records_after([2, 3, 5, 6], losses, batches)
    expected = [
        (2.0 * 4 + 1.6 * 4) / 8,  # steps 1 and 2
        1.0,  # step 3, the end of the first epoch
        (0.9 * 4 + 0.5 * 4) / 8,  # steps 4 and 5: the new epoch starts afresh
        0.2,  # step 6
    ]
    assert recent_means(records, 10, "train_loss") == pytest.approx(expected)
    epochs, means = training_curve(records, 3, 10, "train_loss")
    assert epochs == pytest.approx([2 / 3, 1.0, 5 / 3, 2.0])
    assert means == recent_means(records, 10, "train_loss")


def test_held_out_curves_take_the_records_that_close_an_epoch():
    records = records_after([2, 3, 5, 6], [1.0] * 6, [4, 4, 2])
    assert held_out_curve(records, "test_loss") == ([1, 2], [1.0, 0.5])
    assert held_out_curve(records, "test_acc") == ([1, 2], [0.1, 0.2])
    assert current_epochs({CNN: records[:3], ANN: []}) == {CNN: 2, ANN: 0}


def test_summary_rows_are_the_numbers_finish_measured(experiment, small):
    run = run_experiment(experiment, small)
    for _ in run:
        pass
    result = finish(run)
    rows = summary_rows(result, {CNN: 2, ANN: 1.5})
    assert [r.model for r in rows] == list(MODEL_NAMES)
    for row, epochs in zip(rows, (2, 1.5), strict=True):
        m = result.models[row.model]
        assert (row.params, row.seconds, row.samples_per_second) == (
            m.total_params,
            m.train_seconds,
            m.samples_per_second,
        )
        assert (row.test_acc, row.test_loss, row.epochs) == (m.test_acc, m.test_loss, epochs)
    untrained = summary_rows(compare_models(build_models(experiment), small), {CNN: 0, ANN: 0})
    assert [r.samples_per_second for r in untrained] == [None, None]


# ---------------------------------------------------------------------------------------------
# Perturbed test images


def _roll_reference(x: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Shift by np.roll, then blank what wrapped around."""
    out = np.roll(x, (dy, dx), axis=(2, 3))
    H, W = x.shape[2:]
    rows, cols = np.arange(H), np.arange(W)
    keep_r = (rows - dy >= 0) & (rows - dy < H)
    keep_c = (cols - dx >= 0) & (cols - dx < W)
    return out * keep_r[:, None] * keep_c[None, :]


@pytest.mark.parametrize(("dx", "dy"), [(0, 0), (3, 0), (-2, 0), (0, 4), (0, -1), (2, -3)])
def test_shift_moves_content_and_fills_with_zeros(dx, dy):
    x = np.random.default_rng(1).random((3, 2, 9, 9), dtype=np.float32) + 0.1
    shifted = shift_images(x, dx, dy)
    assert shifted.dtype == np.float32 and shifted.shape == x.shape
    assert np.array_equal(shifted, _roll_reference(x, dx, dy))


def test_shift_past_the_edge_leaves_nothing_and_leaves_the_input_alone():
    x = np.ones((1, 1, 5, 5), dtype=np.float32)
    x.flags.writeable = False  # like the shared data sets
    assert not shift_images(x, 5, 0).any()
    assert not shift_images(x, 0, -7).any()
    assert np.array_equal(x, np.ones((1, 1, 5, 5)))


def test_border_fill_moves_the_object_over_its_own_background():
    x = np.full((2, 1, 8, 8), 0.6, dtype=np.float32)
    x[1] = 0.2
    x[:, :, 3:5, 3:5] = 1.0  # a white square in the middle
    assert border_values(x).reshape(-1).tolist() == pytest.approx([0.6, 0.2])
    shifted = shift_images(x, 2, -1, fill="border")
    expected = np.broadcast_to(border_values(x), x.shape).copy()
    expected[:, :, 2:4, 5:7] = 1.0
    assert np.array_equal(shifted, expected)
    with pytest.raises(ValueError, match="Unknown fill 'edge': choose one of zero, border."):
        shift_images(x, 1, 0, fill="edge")


def test_rotation_by_quarter_turns_matches_rot90_counter_clockwise():
    x = np.random.default_rng(2).random((2, 3, 10, 10), dtype=np.float32)
    np.testing.assert_allclose(rotate_images(x, 90), np.rot90(x, 1, axes=(2, 3)), atol=1e-5)
    np.testing.assert_allclose(rotate_images(x, -90), np.rot90(x, -1, axes=(2, 3)), atol=1e-5)
    np.testing.assert_allclose(rotate_images(x, 0), x, atol=1e-6)
    # a pixel right of centre goes up (rows grow downwards) under a positive turn
    dot = np.zeros((1, 1, 11, 11), dtype=np.float32)
    dot[0, 0, 5, 9] = 1.0
    turned = rotate_images(dot, 90)[0, 0]
    assert np.unravel_index(turned.argmax(), turned.shape) == (1, 5)


def test_rotation_fills_the_corners_with_zeros_or_the_background():
    x = np.full((1, 1, 12, 12), 0.5, dtype=np.float32)
    zero = rotate_images(x, 45)
    assert zero[0, 0, 0, 0] == 0.0 and zero[0, 0, 6, 6] == pytest.approx(0.5)
    np.testing.assert_allclose(rotate_images(x, 45, fill="border"), x, atol=1e-6)


def test_noise_is_seeded_clipped_and_measured_by_sigma():
    x = np.full((20, 1, 28, 28), 0.5, dtype=np.float32)
    a, b = add_noise(x, 0.1, seed=3), add_noise(x, 0.1, seed=3)
    assert np.array_equal(a, b) and a.dtype == np.float32
    assert not np.array_equal(a, add_noise(x, 0.1, seed=4))
    assert float((a - x).std()) == pytest.approx(0.1, rel=0.03)
    assert np.array_equal(add_noise(x, 0.0), x)
    assert add_noise(x, 5.0).min() >= 0.0 and add_noise(x, 5.0).max() <= 1.0
    with pytest.raises(ValueError, match=r"The noise level must be at least 0, got -0\.1\."):
        add_noise(x, -0.1)


def test_robustness_curves_are_the_mean_accuracy_over_directions(experiment, small):
    run = run_experiment(experiment, small)
    for _ in run:
        pass
    curves = robustness_curves(
        run.models, small.x_test, small.y_test, shifts=(0, 2), angles=(0, 15), noise_levels=(0, 0.2)
    )
    assert list(curves) == ["shift", "rotation", "noise"]
    x, y = small.x_test, small.y_test
    for name, model in run.models.items():
        plain = float(np.mean(predict(model, x) == y))
        for curve in curves.values():
            assert curve.accuracy[name][0] == plain
        shifted = np.mean(
            [
                np.mean(predict(model, shift_images(x, 2 * dx, 2 * dy)) == y)
                for dx, dy in SHIFT_DIRECTIONS
            ]
        )
        assert curves["shift"].accuracy[name][1] == pytest.approx(shifted)
        turned = np.mean([np.mean(predict(model, rotate_images(x, a)) == y) for a in (15, -15)])
        assert curves["rotation"].accuracy[name][1] == pytest.approx(turned)
        noisy = np.mean(predict(model, add_noise(x, 0.2, seed=0)) == y)
        assert curves["noise"].accuracy[name][1] == pytest.approx(noisy)
    assert curves["shift"].levels == (0, 2) and curves["shift"].label == "Shift (pixels)"


# ---------------------------------------------------------------------------------------------
# Data efficiency


def test_efficiency_epochs_give_small_sets_enough_steps():
    config = TrainConfig(epochs=3, batch_size=32)
    assert efficiency_epochs(1000, config, min_steps=50) == 3  # 32 steps an epoch already
    assert efficiency_epochs(64, config, min_steps=50) == 25  # 2 steps an epoch
    assert efficiency_epochs(1, config, min_steps=10_000) == 200  # TrainConfig's limit


def test_data_efficiency_trains_fresh_networks_on_the_first_n_examples(experiment, small):
    records = list(data_efficiency(experiment, small, sizes=(40, 10_000, 40), min_steps=4))
    finals = [r for r in records if r.final]
    assert [(r.size, r.model) for r in finals] == [(40, CNN), (40, ANN), (200, CNN), (200, ANN)]
    progress = [r.progress for r in records]
    assert progress == sorted(progress) and progress[-1] == pytest.approx(1.0)
    curves = efficiency_curves(records)
    assert [size for size, _ in curves[CNN]] == [40, 200]
    for r in finals:
        config = replace(FAST, max_train=r.size, epochs=efficiency_epochs(r.size, FAST, 4))
        model = build_models(replace(experiment, config=config))[r.model]
        alone = list(train(model, small.x_train, small.y_train, small.x_test, small.y_test, config))
        assert r.record.test_acc == alone[-1].test_acc
        assert r.record.samples_seen == r.size * config.epochs


def test_training_sizes_are_counts_capped_at_the_training_set_smallest_first():
    assert training_sizes((800, 50, 10_000, 50), 400) == (50, 400)
    assert training_sizes(np.array([3, 2]), 10) == (2, 3)
    with pytest.raises(ValueError, match="Each size must be a whole number of examples, got 2.5"):
        training_sizes((2.5,), 10)
    with pytest.raises(ValueError, match="The sizes must be a list of counts, got '50'."):
        training_sizes("50", 10)
    with pytest.raises(ValueError, match=f"at most {MAX_SIZES} sizes, got more"):
        training_sizes(range(1, MAX_SIZES + 2), 100)


def test_data_efficiency_rejects_sizes_that_are_not_counts(experiment, small):
    with pytest.raises(ValueError, match="Each size must be a whole number of examples, got 0"):
        next(data_efficiency(experiment, small, sizes=(0,)))


# ---------------------------------------------------------------------------------------------
# What the first layers look for


def test_ann_first_layer_is_one_picture_per_neuron_in_flatten_order(experiment):
    ann = build_models(experiment)[ANN]
    pictures = first_layer_images(ann)
    units = experiment.mlp.hidden[0]
    assert pictures.shape == (units, 1, 28, 28)
    w = ann.dense1.weight.detach().numpy()
    assert pictures[5, 0, 3, 7] == w[5, 3 * 28 + 7]
    rgb = build_models(Experiment("x", cnn=replace(SMALL_CNN, in_channels=3), config=FAST))[ANN]
    w = rgb.dense1.weight.detach().numpy()
    assert first_layer_images(rgb)[2, 1, 4, 9] == w[2, 1 * 784 + 4 * 28 + 9]  # channel, row, col


def test_cnn_first_layer_is_its_conv1_kernels(experiment):
    cnn = build_models(experiment)[CNN]
    kernels = first_layer_images(cnn)
    assert kernels.shape == (4, 1, 3, 3)
    assert np.array_equal(kernels, cnn.conv1.weight.detach().numpy())
    kernels[0, 0, 0, 0] += 1.0  # a copy: changing it leaves the model alone
    assert not np.array_equal(kernels, cnn.conv1.weight.detach().numpy())


def test_first_layer_images_checks_the_input_shape(experiment):
    ann = build_models(experiment)[ANN]
    with pytest.raises(ValueError) as err:
        first_layer_images(ann, (1, 20, 20))
    assert str(err.value) == (
        "The first layer reads 784 values, not the 1×20×20 = 400 of input_shape (1, 20, 20)."
    )
