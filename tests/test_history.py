"""history: undo, reset, the memory cap and the divergence rollback, on real inspected steps."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnexplain.core import optim
from cnnexplain.core.optim import AdamState, SGDState
from cnnexplain.model.backprop import (
    OptimizerSettings,
    StepRecord,
    inspected_step,
    load_params,
    params_of,
)
from cnnexplain.model.history import Snapshot, StepHistory
from cnnexplain.model.spec import CNNSpec, ConvBlock, build_cnn, clone_model

SPEC = CNNSpec(
    input_size=8,
    conv_blocks=(ConvBlock(2), ConvBlock(3, pool="avg")),
    dense=(6,),
    num_classes=3,
)
# No activations anywhere: nothing dies or saturates, so a large learning rate blows up.
LINEAR_SPEC = CNNSpec(
    input_size=6,
    conv_blocks=(
        ConvBlock(2, activation="none", pool="avg"),
        ConvBlock(2, activation="none", pool=None),
    ),
    dense=(4,),
    dense_activation="none",
    num_classes=3,
)


def batch(spec: CNNSpec, n: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 1, spec.input_size, spec.input_size), dtype=np.float32)
    return x, rng.integers(0, spec.num_classes, size=n)


def assert_same_params(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name], b[name]), name


def assert_same_state(a: dict | None, b: dict | None) -> None:
    assert (a is None) == (b is None)
    if a is None:
        return
    assert a.keys() == b.keys()
    for name in a:
        left, right = a[name], b[name]
        assert type(left) is type(right) and left.step == right.step, name
        if isinstance(left, AdamState):
            assert np.array_equal(left.m, right.m) and np.array_equal(left.v, right.v), name
        elif left.momentum_buffer is None:
            assert right.momentum_buffer is None, name
        else:
            assert np.array_equal(left.momentum_buffer, right.momentum_buffer), name


def step(
    history: StepHistory, model: torch.nn.Module, settings: OptimizerSettings, x, y
) -> StepRecord:
    """One step from the history's current weights, pushed; the model follows the history."""
    load_params(model, history.current.params_copy())
    record = inspected_step(model, x, y, settings, history.current.state_for(settings.kind))
    history.push(record)
    return record


@pytest.mark.parametrize("kind", ["sgd", "momentum", "adam"])
def test_undo_restores_the_exact_weights_and_optimizer_state_of_every_step(kind):
    model = build_cnn(SPEC, seed=0)
    history = StepHistory(params_of(model))
    settings = OptimizerSettings(kind=kind, lr=0.05)
    x, y = batch(SPEC)
    records = [step(history, model, settings, x, y) for _ in range(4)]
    assert history.step_count == 4 and history.undo_depth == 4
    assert_same_params(history.current.params, records[-1].params_after)
    assert_same_state(history.current.opt_state, records[-1].opt_state)
    for k in (3, 2, 1):
        assert history.undo()
        assert_same_params(history.current.params, records[k - 1].params_after)
        assert_same_state(history.current.opt_state, records[k - 1].opt_state)
        assert history.step_count == k
        assert [e.loss_after for e in history.steps] == [r.loss_after for r in records[:k]]
    assert history.undo()
    assert_same_params(history.current.params, records[0].params_before)
    assert history.current.opt_state is None
    assert not history.undo() and not history.can_undo


def test_undo_then_step_again_is_the_run_torch_optim_takes():
    model = build_cnn(SPEC, seed=0)
    reference = clone_model(model)
    history = StepHistory(params_of(model))
    settings = OptimizerSettings(kind="adam", lr=0.01)
    x, y = batch(SPEC)
    for _ in range(3):
        step(history, model, settings, x, y)
    history.undo()
    step(history, model, settings, x, y)
    # Three Adam steps of torch.optim in float32, started from the same weights: the history's
    # float64 steps, each kept in float32, follow them to float32 rounding.
    for p in reference.parameters():
        p.requires_grad_(True)
    adam = optim.torch_optimizer("adam", reference.parameters(), **settings.optimizer_kwargs())
    for _ in range(3):
        adam.zero_grad()
        F.cross_entropy(reference(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        adam.step()
    for name, p in reference.named_parameters():
        np.testing.assert_allclose(history.current.params[name], p.detach().numpy(), atol=1e-6)
    assert history.current.opt_state["conv1.weight"].step == 3


def test_reset_goes_back_to_the_start_and_forgets_every_step():
    model = build_cnn(SPEC, seed=0)
    start = params_of(model)
    history = StepHistory(start)
    x, y = batch(SPEC)
    for _ in range(3):
        step(history, model, OptimizerSettings(kind="momentum", lr=0.1), x, y)
    history.reset()
    assert_same_params(history.current.params, start)
    assert history.current.opt_state is None and history.current.opt_kind is None
    assert history.step_count == 0 and history.undo_depth == 0 and history.dropped == 0
    assert history.undo_bytes == 0
    # It starts over from there: the next step is the first one.
    record = step(history, model, OptimizerSettings(kind="momentum", lr=0.1), x, y)
    assert_same_params(record.params_before, start)
    assert history.steps[0].number == 1


def test_the_cap_drops_the_oldest_undo_states_and_keeps_every_loss():
    model = build_cnn(SPEC, seed=0)
    history = StepHistory(params_of(model), max_undo=3)
    settings = OptimizerSettings(kind="sgd", lr=0.1)
    x, y = batch(SPEC)
    results = []
    records = []
    for _ in range(5):
        load_params(model, history.current.params_copy())
        records.append(inspected_step(model, x, y, settings, history.current.state_for("sgd")))
        results.append(history.push(records[-1]))
    assert [r.dropped for r in results] == [0, 0, 0, 1, 1]
    assert all(r.accepted for r in results)
    assert history.dropped == 2 and history.undo_depth == 3
    assert [e.number for e in history.steps] == [1, 2, 3, 4, 5]
    assert [e.loss_before for e in history.steps] == [r.loss_before for r in records]
    while history.undo():
        pass
    # Back as far as the cap allows: the weights after step 2, whose loss stays on the curve.
    assert_same_params(history.current.params, records[1].params_after)
    assert history.step_count == 2 and history.dropped == 2


def test_the_byte_cap_keeps_what_fits_and_always_one_step():
    model = build_cnn(SPEC, seed=0)
    one = Snapshot.of(params_of(model)).nbytes
    x, y = batch(SPEC)
    settings = OptimizerSettings(kind="sgd", lr=0.1)

    roomy = StepHistory(params_of(model), max_bytes=2 * one)
    for _ in range(4):
        step(roomy, model, settings, x, y)
    assert roomy.undo_depth == 2 and roomy.dropped == 2
    assert roomy.undo_bytes == 2 * one

    tight = StepHistory(params_of(model), max_bytes=1)
    for _ in range(3):
        step(tight, model, settings, x, y)
    assert tight.undo_depth == 1 and tight.dropped == 2 and tight.can_undo


def test_adam_state_counts_towards_the_bytes():
    model = build_cnn(SPEC, seed=0)
    history = StepHistory(params_of(model))
    x, y = batch(SPEC)
    step(history, model, OptimizerSettings(kind="adam", lr=0.01), x, y)
    weights = sum(p.nbytes for p in history.current.params.values())
    assert history.current.nbytes == 3 * weights  # weights, m and v
    assert history.undo_bytes == weights  # the start: weights only
    # The step computes in float64 but keeps weights and state in the model's float32, so a
    # state costs what the byte budget assumes.
    for name, p in history.current.params.items():
        state = history.current.opt_state[name]
        assert p.dtype == state.m.dtype == state.v.dtype == np.float32, name


def test_a_diverging_step_is_refused_and_the_last_good_state_stays():
    model = build_cnn(LINEAR_SPEC, seed=0)
    history = StepHistory(params_of(model))
    settings = OptimizerSettings(kind="sgd", lr=10.0)
    x, y = batch(LINEAR_SPEC)
    good = None
    for _ in range(10):
        load_params(model, history.current.params_copy())
        record = inspected_step(model, x, y, settings, history.current.state_for("sgd"))
        result = history.push(record)
        if not result.accepted:
            break
        good = record
    assert record.diverged and not result.accepted
    assert good is not None and history.step_count >= 1
    assert history.rejected == 1
    assert_same_params(history.current.params, good.params_after)
    assert_same_params(history.current.params, record.params_before)
    assert_same_state(history.current.opt_state, good.opt_state)
    assert all(np.isfinite(e.loss_after) for e in history.steps)
    # Undo takes back the good steps too, down to the start, from where a smaller rate works.
    while history.undo():
        pass
    load_params(model, history.current.params_copy())
    smaller = inspected_step(model, x, y, OptimizerSettings(kind="sgd", lr=0.01))
    assert history.push(smaller).accepted


def test_a_step_from_other_weights_is_refused():
    model = build_cnn(SPEC, seed=0)
    history = StepHistory(params_of(model))
    x, y = batch(SPEC)
    step(history, model, OptimizerSettings(), x, y)
    stale = inspected_step(build_cnn(SPEC, seed=0), x, y)  # from the start, not from step 1
    with pytest.raises(ValueError, match="did not start from the current weights"):
        history.push(stale)
    assert history.step_count == 1


def test_kept_states_are_copies_nobody_can_change():
    model = build_cnn(SPEC, seed=0)
    start = params_of(model)
    history = StepHistory(start)
    start["conv1.weight"][...] = 7.0  # the caller's array, not the history's
    assert not np.any(history.start.params["conv1.weight"] == 7.0)
    x, y = batch(SPEC)
    record = step(history, model, OptimizerSettings(kind="momentum", lr=0.1), x, y)
    kept = history.current.params["conv1.weight"].copy()
    record.params_after["conv1.weight"][...] = 7.0
    assert np.array_equal(history.current.params["conv1.weight"], kept)
    with pytest.raises(ValueError, match="read-only"):
        history.current.params["conv1.weight"][0, 0, 0, 0] = 1.0
    buffer = history.current.opt_state["conv1.weight"].momentum_buffer
    assert isinstance(history.current.opt_state["conv1.weight"], SGDState)
    assert not buffer.flags.writeable


def test_another_optimizer_starts_with_no_state_and_the_same_one_continues():
    model = build_cnn(SPEC, seed=0)
    history = StepHistory(params_of(model))
    x, y = batch(SPEC)
    step(history, model, OptimizerSettings(kind="adam", lr=0.01), x, y)
    assert_same_state(history.current.state_for("adam"), history.current.opt_state)
    assert history.current.state_for("adam")["conv1.weight"].m.flags.writeable
    assert history.current.state_for("momentum") is None
    assert history.current.state_for("sgd") is None
    # Switching optimizer and learning rate keeps the steps taken so far.
    step(history, model, OptimizerSettings(kind="momentum", lr=0.2), x, y)
    assert [(e.kind, e.lr) for e in history.steps] == [("adam", 0.01), ("momentum", 0.2)]
    assert isinstance(history.current.opt_state["logits.bias"], SGDState)
    history.undo()
    assert history.current.opt_kind == "adam"


def test_limits_must_allow_one_undo():
    with pytest.raises(ValueError, match="max_undo must be at least 1"):
        StepHistory({}, max_undo=0)


def test_the_loss_curve_keeps_the_latest_steps_and_counts_the_rest():
    model = build_cnn(SPEC, seed=0)
    history = StepHistory(params_of(model), max_undo=2, max_curve=3)
    settings = OptimizerSettings(kind="sgd", lr=0.1)
    x, y = batch(SPEC)
    records = []
    for _ in range(7):
        load_params(model, history.current.params_copy())
        records.append(inspected_step(model, x, y, settings, history.current.state_for("sgd")))
        history.push(records[-1])
    assert history.step_count == 7 and history.curve_dropped == 4
    assert [e.number for e in history.steps] == [5, 6, 7]
    assert [e.loss_after for e in history.steps] == [r.loss_after for r in records[4:]]
    assert history.undo() and history.undo() and not history.undo()
    assert history.step_count == 5 and [e.number for e in history.steps] == [5]
    assert_same_params(history.current.params, records[4].params_after)
    history.reset()
    assert history.step_count == 0 and history.curve_dropped == 0


def test_the_curve_must_hold_every_step_undo_can_take_back():
    with pytest.raises(ValueError, match="max_curve must be at least max_undo"):
        StepHistory(params_of(build_cnn(SPEC, seed=0)), max_undo=5, max_curve=4)
