"""timeline: the kept steps replay the learner's exact weights, accuracy and feature maps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnexplain.core.kernels import PRESETS
from cnnexplain.model.backprop import OptimizerSettings, inspected_step, load_params, params_of
from cnnexplain.model.history import StepHistory
from cnnexplain.model.spec import CNNSpec, ConvBlock, build_cnn
from cnnexplain.model.timeline import (
    EDGE_RISE,
    EdgeChange,
    Probe,
    Timeline,
    edge_change,
    edge_score,
    feature_maps,
)

SPEC = CNNSpec(
    input_size=8,
    conv_blocks=(ConvBlock(2), ConvBlock(3, pool="avg")),
    dense=(6,),
    num_classes=3,
)


def pictures(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 1, SPEC.input_size, SPEC.input_size), dtype=np.float32)
    return x, rng.integers(0, SPEC.num_classes, size=n)


def probe() -> Probe:
    x, y = pictures(40, seed=7)
    return Probe.first(x, y, SPEC.head, size=30)


def with_timeline(model: torch.nn.Module, **limits: int) -> StepHistory:
    timeline = Timeline.for_model(model, probe(), **limits)
    return StepHistory(params_of(model), timeline=timeline)


def steps(history: StepHistory, model: torch.nn.Module, count: int, kind: str = "adam") -> list:
    """`count` steps pushed to `history`; the full weights the history had after each."""
    settings = OptimizerSettings(kind=kind, lr=0.05)
    x, y = pictures(4, seed=0)
    after = []
    for _ in range(count):
        load_params(model, history.current.params_copy())
        record = inspected_step(model, x, y, settings, history.current.state_for(kind))
        assert history.push(record).accepted
        after.append(history.current.params)
    return after


def direct_scores(params: dict[str, np.ndarray], test: Probe) -> tuple[float, float]:
    """The accuracy and mean cross-entropy of those weights on the probe, by a plain torch
    forward pass."""
    model = build_cnn(SPEC, seed=0)
    load_params(model, {name: p.copy() for name, p in params.items()})
    with torch.no_grad():
        logits = model(torch.from_numpy(np.array(test.x)))
        loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(np.array(test.y)))
    predicted = logits.argmax(dim=1).numpy()
    return float(np.mean(predicted == test.y)), float(loss)


def test_the_timeline_replays_the_exact_weights_and_losses_of_every_step():
    model = build_cnn(SPEC, seed=0)
    history = with_timeline(model)
    start = history.current.params
    after = steps(history, model, 5)
    timeline = history.timeline
    assert [p.number for p in timeline.points] == [0, 1, 2, 3, 4, 5]
    assert timeline.names == ("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias")
    for point, params in zip(timeline.points, [start, *after], strict=True):
        for name in timeline.names:
            assert np.array_equal(point.params[name], params[name]), (point.number, name)
            # The history's own read-only array, not a copy of it.
            assert point.params[name] is params[name]
            assert not point.params[name].flags.writeable
    for point, entry in zip(timeline.points[1:], history.steps, strict=True):
        assert (point.loss_before, point.loss_after) == (entry.loss_before, entry.loss_after)
    assert np.isnan(timeline.start.loss_after)


def test_accuracy_and_test_loss_are_a_plain_torch_evaluation_of_the_step_s_weights():
    model = build_cnn(SPEC, seed=0)
    history = with_timeline(model)
    start = history.current.params
    after = steps(history, model, 4, kind="sgd")
    test = probe()
    points = history.timeline.points
    direct = [direct_scores(params, test) for params in [start, *after]]
    accuracies = [p.accuracy for p in points]
    assert accuracies == [accuracy for accuracy, _ in direct]
    assert all(0.0 <= a <= 1.0 for a in accuracies)
    # The test loss is the same cross-entropy, on the same fixed pictures, at every point.
    np.testing.assert_allclose([p.test_loss for p in points], [loss for _, loss in direct])
    assert len({p.test_loss for p in points}) == len(points)  # every step moved it
    assert len(test.y) == 30 and history.timeline.probe_size == 30


def test_undo_takes_the_step_off_the_timeline_and_reset_clears_it():
    model = build_cnn(SPEC, seed=0)
    history = with_timeline(model)
    after = steps(history, model, 3, kind="momentum")
    assert history.undo()
    assert [p.number for p in history.timeline.points] == [0, 1, 2]
    assert history.timeline.points[-1].params["conv2.weight"] is after[1]["conv2.weight"]
    # Stepping again from there is step 3 again.
    steps(history, model, 1, kind="momentum")
    assert [p.number for p in history.timeline.points] == [0, 1, 2, 3]
    history.reset()
    assert [p.number for p in history.timeline.points] == [0]
    assert history.timeline.dropped == 0
    assert history.timeline.nbytes == history.timeline.start.nbytes


def test_old_steps_drop_out_by_count_and_by_bytes_the_start_stays():
    model = build_cnn(SPEC, seed=0)
    history = with_timeline(model, max_points=3)
    steps(history, model, 5)
    timeline = history.timeline
    assert [p.number for p in timeline.points] == [0, 3, 4, 5]
    assert timeline.dropped == 2
    point_bytes = timeline.start.nbytes
    assert point_bytes == 4 * sum(
        p.numel() for n, p in model.named_parameters() if n.startswith("conv")
    )
    assert timeline.nbytes == 4 * point_bytes

    by_bytes = with_timeline(build_cnn(SPEC, seed=0), max_bytes=3 * point_bytes)
    steps(by_bytes, model, 4)
    assert [p.number for p in by_bytes.timeline.points] == [0, 3, 4]
    assert by_bytes.timeline.dropped == 2 and by_bytes.timeline.nbytes <= 3 * point_bytes
    # Undo still takes back the last step; a step no longer kept is left alone.
    assert by_bytes.undo() and [p.number for p in by_bytes.timeline.points] == [0, 3]
    assert not by_bytes.timeline.undo(1)


def test_a_diverged_step_is_not_on_the_timeline():
    model = build_cnn(SPEC, seed=0)
    history = with_timeline(model)
    steps(history, model, 1, kind="sgd")
    load_params(model, history.current.params_copy())
    x, y = pictures(4, seed=0)
    record = inspected_step(model, x * 1e30, y, OptimizerSettings(kind="sgd", lr=10.0))
    if record.diverged:  # a batch this large overflows float32 weights
        assert not history.push(record).accepted
    assert [p.number for p in history.timeline.points] == [0, 1]


def test_a_feature_map_is_the_network_s_own_with_the_step_s_weights():
    model = build_cnn(SPEC, seed=0)
    history = with_timeline(model)
    after = steps(history, model, 2)
    x, _ = pictures(1, seed=3)
    point = history.timeline.point(1)
    reference = build_cnn(SPEC, seed=0)
    load_params(reference, {name: p.copy() for name, p in after[0].items()})
    seen = {}
    hooks = [
        getattr(reference, name).register_forward_hook(
            lambda _m, _i, out, name=name: seen.__setitem__(name, out[0].numpy())
        )
        for name in ("conv1", "conv2")
    ]
    with torch.no_grad():
        reference(torch.from_numpy(x))
    for hook in hooks:
        hook.remove()
    for layer in ("conv1", "conv2"):
        np.testing.assert_array_equal(feature_maps(model, point.params, x[0], layer), seen[layer])
    with pytest.raises(KeyError):
        feature_maps(model, point.params, x[0], "dense1")


def test_the_edge_score_knows_an_edge_kernel_from_a_random_one():
    sobel = np.array(PRESETS["Sobel x"], dtype=np.float32)[None, None]
    assert edge_score(sobel) == pytest.approx(1.0)
    assert edge_score(-2.0 * sobel) == pytest.approx(1.0)  # the sign and the scale do not matter
    assert edge_score(np.ones((2, 1, 3, 3))) == 0.0  # a flat kernel correlates with nothing
    random = np.random.default_rng(0).normal(size=(64, 1, 3, 3))
    assert 0.2 < edge_score(random) < 0.7
    assert edge_score(np.zeros((2, 1, 5, 5))) is None
    assert EdgeChange(first=0.4, latest=0.41 + EDGE_RISE).rose
    assert not EdgeChange(first=0.4, latest=0.45).rose


def test_the_edge_change_compares_the_first_and_the_latest_kept_point():
    model = build_cnn(SPEC, seed=0)
    history = with_timeline(model)
    steps(history, model, 2)
    change = edge_change(history.timeline, "conv1")
    points = history.timeline.points
    assert change.first == edge_score(points[0].params["conv1.weight"])
    assert change.latest == edge_score(points[-1].params["conv1.weight"])


def test_the_probe_shares_the_data_set_s_pictures_and_cannot_change_them():
    x, y = pictures(10, seed=1)
    test = Probe.first(x, y, "softmax", size=4)
    assert test.x.shape == (4, 1, 8, 8) and np.shares_memory(test.x, x)
    assert not test.x.flags.writeable and x.flags.writeable
    small = Probe.first(x, y, "softmax", size=100)
    assert len(small.y) == 10
    empty = Probe.first(x[:0], y[:0], "softmax")
    assert np.isnan(empty.accuracy(build_cnn(SPEC, seed=0)))
    assert np.isnan(empty.scores(build_cnn(SPEC, seed=0)).loss)
