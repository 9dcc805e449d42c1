"""backprop: one inspected training step, checked against PyTorch autograd and torch.optim."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnexplain.core import ops, optim
from cnnexplain.io.datasets import load_digits28
from cnnexplain.model import engine
from cnnexplain.model.backprop import (
    EXPLOSION_CHANCE_MULTIPLE,
    EXPLOSION_GROWTH,
    MAX_LR,
    TINY_WEIGHT_CHANGE,
    OptimizerSettings,
    StepOutcome,
    StepRecord,
    inspected_step,
    kernel_weight_gradient_terms,
    load_params,
    local_gradient,
    relative_error,
    step_outcome,
)
from cnnexplain.model.spec import CNNSpec, ConvBlock, MLPSpec, build_cnn, build_mlp, clone_model
from cnnexplain.texts import backprop as bp_text
from cnnexplain.training import pretrained
from cnnexplain.training.store import DEFAULT_DATASET, DEFAULT_SPEC
from tools.bench_backprop import bench_backprop_step

ARCHITECTURES = {
    "default": CNNSpec(),
    "no_padding_stride2_avgpool": CNNSpec(
        input_size=15,
        conv_blocks=(
            ConvBlock(4, kernel_size=3, stride=2, padding=0, pool="avg"),
            ConvBlock(5, kernel_size=2, padding=0, pool=None),
        ),
        dense=(12,),
    ),
    "tanh_dilated_overlapping_maxpool": CNNSpec(
        in_channels=3,
        input_size=14,
        conv_blocks=(
            ConvBlock(
                4,
                kernel_size=3,
                dilation=2,
                padding=2,
                activation="tanh",
                pool_size=3,
                pool_stride=2,
            ),
        ),
        dense=(10,),
        dense_activation="tanh",
        num_classes=4,
    ),
    "sigmoid_head": CNNSpec(
        input_size=12,
        conv_blocks=(ConvBlock(3), ConvBlock(4, pool="avg")),
        dense=(8,),
        num_classes=2,
        head="sigmoid",
    ),
    "one_block_no_activation_no_dense": CNNSpec(
        input_size=10,
        conv_blocks=(ConvBlock(3, kernel_size=5, activation="none", pool=None),),
        dense=(),
        num_classes=3,
    ),
    "three_blocks": CNNSpec(
        in_channels=2,
        input_size=16,
        conv_blocks=(ConvBlock(4), ConvBlock(6, activation="sigmoid"), ConvBlock(8, pool="avg")),
        dense=(16, 8),
    ),
    "mlp": MLPSpec(input_size=10, hidden=(24, 12), activation="sigmoid", num_classes=5),
    "mlp_sigmoid_head": MLPSpec(input_size=8, hidden=(6,), num_classes=2, head="sigmoid"),
}


def _build(spec: CNNSpec | MLPSpec, seed: int = 0) -> torch.nn.Sequential:
    return build_cnn(spec, seed) if isinstance(spec, CNNSpec) else build_mlp(spec, seed)


def _batch(spec: CNNSpec | MLPSpec, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, spec.in_channels, spec.input_size, spec.input_size))
    return x.astype(np.float32), rng.integers(0, spec.num_classes, size=n)


def _diverged_words(outcome: StepOutcome, record: StepRecord) -> str:
    """The sentence a page shows for a refused step: the outcome's kind in the texts' words."""
    return bp_text.DIVERGED.format(what=bp_text.DIVERGED_WHAT[outcome.kind], lr=record.settings.lr)


def _torch_loss(model: torch.nn.Module, x: np.ndarray, y: np.ndarray) -> torch.Tensor:
    logits = model(torch.from_numpy(x))
    if model.spec.head == "sigmoid":
        target = torch.from_numpy(y).to(logits.dtype)
        return F.binary_cross_entropy_with_logits(logits.reshape(-1), target)
    return F.cross_entropy(logits, torch.from_numpy(y))


def _autograd_by_stage(model, x, y):
    """Torch's dL/d(output) of every child, dL/d(input) and dL/d(parameter), by autograd.

    In float64, on a copy of `model` and `x` cast up: the reference an inspected step is held to.
    """
    model = clone_model(model).double()
    for p in model.parameters():
        p.requires_grad_(True)  # a shared model is frozen
    inp = torch.from_numpy(np.asarray(x, dtype=np.float64)).requires_grad_()
    y = np.array(y)  # writable, for torch
    outs, h = {}, inp
    for name, child in model.named_children():
        h = child(h)
        h.retain_grad()
        outs[name] = h
    if model.spec.head == "sigmoid":
        loss = F.binary_cross_entropy_with_logits(h.reshape(-1), torch.from_numpy(y).to(h.dtype))
    else:
        loss = F.cross_entropy(h, torch.from_numpy(y))
    model.zero_grad(set_to_none=True)
    loss.backward()
    douts = {name: out.grad.numpy().copy() for name, out in outs.items()}
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    return loss.item(), douts, inp.grad.numpy().copy(), grads


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_every_gradient_equals_autograd(name):
    spec = ARCHITECTURES[name]
    model = _build(spec, seed=3)
    x, y = _batch(spec, 6, seed=1)
    record = inspected_step(model, x, y, OptimizerSettings("sgd", lr=0.01))

    # The float32 model's step is computed, and checked, in float64: agreement to rounding.
    loss, douts, dinput, grads = _autograd_by_stage(model, x, y)
    assert record.loss_before == pytest.approx(loss, rel=1e-13)
    assert list(record.grads) == [n for n, _ in model.named_parameters()]
    assert record.grad_relative_error < 1e-12
    for pname, g in grads.items():
        assert record.grads[pname].dtype == np.float64
        assert relative_error(record.grads[pname], g) < 1e-12, pname
        assert relative_error(record.torch_grads[pname], g) < 1e-13, pname
    # The gradient arriving at every stage's output, and the one leaving the first stage.
    assert record.names == [n for n, _ in model.named_children()]
    for stage in record.stage_grads:
        assert relative_error(stage.dout, douts[stage.name]) < 1e-12, stage.name
    assert relative_error(record.stage_grads[0].dx, dinput) < 1e-12
    # Each stage hands its dx to the stage before as that stage's dout.
    for before, after in zip(record.stage_grads, record.stage_grads[1:], strict=False):
        np.testing.assert_array_equal(after.dx, before.dout)
        np.testing.assert_array_equal(after.x, before.out)
    np.testing.assert_array_equal(record.stage_grads[-1].dout, record.dlogits)


@pytest.mark.parametrize("name", ["default", "sigmoid_head", "mlp"])
def test_dlogits_is_probability_minus_label_over_batch(name):
    spec = ARCHITECTURES[name]
    x, y = _batch(spec, 5, seed=2)
    record = inspected_step(_build(spec), x, y)
    N = len(y)
    if spec.head == "sigmoid":
        p1 = 1 / (1 + np.exp(-record.logits.astype(np.float64)))  # (N, 1)
        np.testing.assert_allclose(record.probs, np.hstack([1 - p1, p1]), atol=1e-6)
        np.testing.assert_allclose(record.dlogits, (p1 - y[:, None]) / N, atol=1e-6)
    else:
        onehot = np.eye(spec.num_classes)[y]
        np.testing.assert_allclose(record.probs.sum(axis=1), 1, atol=1e-6)
        np.testing.assert_allclose(record.dlogits, (record.probs - onehot) / N, atol=1e-7)
    np.testing.assert_array_equal(record.labels, y)


def test_float64_model_gradients_and_update_agree_to_double_precision():
    spec = ARCHITECTURES["no_padding_stride2_avgpool"]
    model = _build(spec).double()
    x, y = _batch(spec, 4, seed=5)
    x = x.astype(np.float64)
    record = inspected_step(model, x, y, OptimizerSettings("adam", lr=0.01))
    assert record.grads["conv1.weight"].dtype == np.float64
    assert record.params_after["logits.bias"].dtype == np.float64
    assert record.grad_relative_error < 1e-12
    assert record.update_relative_error < 1e-12

    # Central differences, the second witness, for one kernel weight of each conv layer.
    for layer, index in (("conv1", (2, 0, 1, 0)), ("conv2", (4, 3, 1, 1))):
        h = 1e-6
        losses = []
        for sign in (1, -1):
            moved = clone_model(model)
            with torch.no_grad():
                getattr(moved, layer).weight[index] += sign * h
                losses.append(_torch_loss(moved, x, y).item())
        numeric = (losses[0] - losses[1]) / (2 * h)
        terms = kernel_weight_gradient_terms(record, layer, *index)
        assert terms.total == pytest.approx(numeric, rel=1e-6, abs=1e-9)
        assert record.grads[f"{layer}.weight"][index] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


SETTINGS = {
    "sgd": OptimizerSettings("sgd", lr=0.05),
    "momentum": OptimizerSettings("momentum", lr=0.05, momentum=0.7),
    "adam": OptimizerSettings("adam", lr=0.01, betas=(0.8, 0.95), eps=1e-6),
}


@pytest.mark.parametrize("kind", list(SETTINGS))
def test_six_steps_follow_a_model_trained_by_torch_optim(kind):
    settings = SETTINGS[kind]
    spec = ARCHITECTURES["sigmoid_head"] if kind == "momentum" else ARCHITECTURES["three_blocks"]
    ours = _build(spec, seed=4)
    reference = clone_model(ours)
    torch_opt = optim.torch_optimizer(kind, reference.parameters(), **settings.optimizer_kwargs())

    opt_state = None
    for step in range(1, 7):
        x, y = _batch(spec, 8, seed=step)  # a new batch every step, as training would
        record = inspected_step(ours, x, y, settings, opt_state)
        load_params(ours, record.params_after)
        opt_state = record.opt_state

        torch_opt.zero_grad()
        loss = _torch_loss(reference, x, y)
        loss.backward()
        torch_opt.step()

        assert record.loss_before == pytest.approx(loss.item(), rel=1e-6)
        assert record.update_relative_error < 1e-12, record.update_relative_error
        for name, p in reference.named_parameters():
            np.testing.assert_allclose(
                record.params_after[name], p.detach().numpy(), rtol=0, atol=1e-6, err_msg=name
            )
        state = record.opt_state["conv1.weight"]
        if kind == "adam":
            assert isinstance(state, optim.AdamState)
            assert state.step == step
            np.testing.assert_allclose(
                state.m, torch_opt.state[reference.conv1.weight]["exp_avg"].numpy(), atol=1e-7
            )
        else:
            assert isinstance(state, optim.SGDState)
            assert state.step == step
            assert (state.momentum_buffer is None) == (kind == "sgd")


def test_terms_spell_out_the_update_of_one_weight():
    spec = ARCHITECTURES["default"]
    x, y = _batch(spec, 4, seed=0)
    record = inspected_step(_build(spec), x, y, OptimizerSettings("sgd", lr=0.1))
    terms = record.opt_terms["conv2.weight"]
    index = (3, 5, 1, 2)
    np.testing.assert_array_equal(terms.grad, record.torch_grads["conv2.weight"])
    assert terms.param.dtype == terms.new_param.dtype == np.float64
    assert terms.param[index] == record.params_before["conv2.weight"][index]
    # The arithmetic is float64 and exact as written; the weight kept is rounded to float32.
    assert terms.new_param[index] == terms.param[index] - 0.1 * terms.grad[index]
    kept = record.params_after["conv2.weight"]
    assert kept.dtype == np.float32
    assert kept[index] == np.float32(terms.new_param[index])


def test_a_small_step_lowers_the_loss_on_its_batch():
    spec = ARCHITECTURES["default"]
    model = _build(spec)
    x, y = _batch(spec, 16, seed=7)
    record = inspected_step(model, x, y, OptimizerSettings("sgd", lr=0.01))
    assert record.loss_after < record.loss_before
    assert not record.diverged
    assert step_outcome(record).kept
    # loss_after is the float64 loss of params_after, computed again on a separate model.
    after = clone_model(model)
    load_params(after, record.params_after)
    with torch.no_grad():
        expected = _torch_loss(after.double(), x.astype(np.float64), y).item()
    assert record.loss_after == pytest.approx(expected, rel=1e-13)


def test_the_model_passed_in_is_left_untouched():
    spec = ARCHITECTURES["default"]
    model = _build(spec)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = _batch(spec, 4, seed=0)
    record = inspected_step(model, x, y, OptimizerSettings("adam", lr=0.1))
    after = model.state_dict()
    assert after.keys() == before.keys()
    for k in before:
        assert torch.equal(after[k], before[k]), k
    assert all(p.grad is None for p in model.parameters())
    assert all(p.requires_grad for p in model.parameters())
    # The step did change its own copy, and the record's arrays are not the model's memory.
    assert not np.array_equal(record.params_after["conv1.weight"], before["conv1.weight"])
    record.params_before["conv1.weight"][:] = 0
    assert torch.equal(model.conv1.weight, before["conv1.weight"])


@pytest.mark.parametrize(
    ("name", "layer", "index"),
    [
        ("default", "conv1", (0, 0, 0, 0)),  # a corner tap: reads padding at the border
        ("default", "conv2", (15, 7, 2, 1)),
        ("no_padding_stride2_avgpool", "conv1", (3, 0, 1, 2)),
        ("tanh_dilated_overlapping_maxpool", "conv1", (2, 1, 2, 0)),
    ],
)
def test_kernel_weight_gradient_is_the_sum_of_its_terms(name, layer, index):
    spec = ARCHITECTURES[name]
    x, y = _batch(spec, 3, seed=9)
    record = inspected_step(_build(spec), x, y)
    terms = kernel_weight_gradient_terms(record, layer, *index)
    f, c, kh, kw = index
    stage = record.stage(layer)
    stride, padding, dilation = (stage.hparams[k] for k in ("stride", "padding", "dilation"))

    N, _, Ho, Wo = stage.dout.shape
    assert terms.inputs.shape == terms.upstream.shape == terms.products.shape == (N, Ho, Wo)
    np.testing.assert_array_equal(terms.upstream, stage.dout[:, f])
    # Each input is the padded input pixel this tap reads at each output position.
    xp = np.pad(stage.x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    rows = np.arange(Ho) * stride + kh * dilation
    cols = np.arange(Wo) * stride + kw * dilation
    np.testing.assert_array_equal(terms.inputs, xp[:, c][:, rows][:, :, cols])
    np.testing.assert_array_equal(terms.input_rows, rows - padding)
    np.testing.assert_array_equal(terms.input_cols, cols - padding)
    np.testing.assert_array_equal(terms.products, terms.inputs * terms.upstream)

    expected = record.grads[f"{layer}.weight"][index]
    assert terms.gradient == expected
    # The same float64 products, summed in another order: equal to rounding, on the scale of
    # the layer's gradients.
    scale = np.abs(record.torch_grads[f"{layer}.weight"]).max()
    assert abs(terms.total - expected) < 1e-13 * scale
    assert abs(terms.total - record.torch_grads[f"{layer}.weight"][index]) < 1e-13 * scale
    if layer == "conv1" and padding and kh == 0:
        assert terms.input_rows[0] == -padding
        assert np.all(terms.inputs[:, 0, :] == 0)  # the top row of outputs reads padding


def test_kernel_weight_gradient_refuses_what_is_not_a_conv_weight():
    spec = ARCHITECTURES["default"]
    x, y = _batch(spec, 2, seed=0)
    record = inspected_step(_build(spec), x, y)
    with pytest.raises(ValueError, match="'dense1' is not a convolution.*conv1, conv2"):
        kernel_weight_gradient_terms(record, "dense1", 0, 0, 0, 0)
    with pytest.raises(ValueError, match=r"filter f must be in 0\.\.7 for conv1, got 8"):
        kernel_weight_gradient_terms(record, "conv1", 8, 0, 0, 0)
    with pytest.raises(ValueError, match=r"kernel column kw must be in 0\.\.2 for conv2, got -1"):
        kernel_weight_gradient_terms(record, "conv2", 0, 0, 0, -1)
    mlp = ARCHITECTURES["mlp"]
    record = inspected_step(_build(mlp), *_batch(mlp, 2, seed=0))
    with pytest.raises(ValueError, match="no convolutions"):
        kernel_weight_gradient_terms(record, "conv1", 0, 0, 0, 0)


def test_local_gradient_is_the_mask_and_the_routing():
    spec = ARCHITECTURES["default"]
    x, y = _batch(spec, 4, seed=3)
    record = inspected_step(_build(spec), x, y)

    relu = record.stage("relu1")
    mask = local_gradient(relu)
    np.testing.assert_array_equal(mask, (relu.x > 0).astype(np.float32))
    np.testing.assert_array_equal(relu.dx, relu.dout * mask)

    pool = record.stage("maxpool1")  # 2x2 windows, stride 2: each window has one winner
    routing = local_gradient(pool)
    N, C, H, W = pool.x.shape
    windows = routing.reshape(N, C, H // 2, 2, W // 2, 2)
    np.testing.assert_array_equal(windows.sum(axis=(3, 5)), 1)
    # The winner is where the window's maximum is, and it receives the whole dout.
    x_windows = pool.x.reshape(N, C, H // 2, 2, W // 2, 2)
    winners = x_windows == x_windows.max(axis=(3, 5), keepdims=True)
    assert np.all(winners[windows == 1])
    np.testing.assert_array_equal(pool.dx, routing * np.repeat(np.repeat(pool.dout, 2, 2), 2, 3))

    tanh_spec = ARCHITECTURES["tanh_dilated_overlapping_maxpool"]
    record = inspected_step(_build(tanh_spec), *_batch(tanh_spec, 2, seed=0))
    tanh = record.stage("tanh1")
    np.testing.assert_allclose(local_gradient(tanh), 1 - np.tanh(tanh.x) ** 2, atol=1e-6)
    # 3x3 windows at stride 2 overlap: a pixel can win two windows (or four).
    overlapping = local_gradient(record.stage("maxpool1"))
    assert overlapping.max() >= 2
    assert overlapping.sum() == pytest.approx(np.prod(record.stage("maxpool1").out.shape))

    avg_spec = ARCHITECTURES["no_padding_stride2_avgpool"]
    record = inspected_step(_build(avg_spec), *_batch(avg_spec, 2, seed=0))
    share = local_gradient(record.stage("avgpool1"))  # 7x7 maps pooled 2x2: last row unused
    np.testing.assert_array_equal(share[:, :, :6, :6], 0.25)
    np.testing.assert_array_equal(share[:, :, 6, :], 0)

    with pytest.raises(ValueError, match="conv1 is a conv stage"):
        local_gradient(record.stage("conv1"))


def test_a_step_that_overflows_is_reported_with_the_learning_rate():
    spec = MLPSpec(input_size=8, hidden=(16,), num_classes=3)
    x, y = _batch(spec, 8, seed=0)
    # Inputs of 1e36 and output weights a thousand times too large make the gradients so large
    # that one step at lr 10 moves weights past the largest float32 (about 3.4e38). The step's
    # float64 arithmetic still holds them; the float32 weights it leaves are infinite.
    model = _build(spec)
    with torch.no_grad():
        model.logits.weight.mul_(1e3)
    record = inspected_step(model, x * 1e36, y, OptimizerSettings("sgd", lr=MAX_LR))
    assert math.isfinite(record.loss_before)
    assert np.isfinite(record.opt_terms["dense1.weight"].new_param).all()
    assert np.isinf(record.params_after["dense1.weight"]).any()
    assert not math.isfinite(record.loss_after)
    assert record.diverged
    outcome = step_outcome(record)
    assert outcome.kind in ("nan", "inf") and not outcome.kept
    message = _diverged_words(outcome, record)
    assert message.startswith("The loss became")
    assert "learning rate 10 " in message
    assert "smaller learning rate" in message
    # The weights to go back to are in the record.
    np.testing.assert_array_equal(
        record.params_before["dense1.weight"], model.dense1.weight.detach()
    )


def test_weights_that_overflow_while_the_loss_stays_finite_are_reported():
    spec = ARCHITECTURES["default"]
    x, y = _batch(spec, 2, seed=0)
    record = inspected_step(_build(spec), x, y)
    broken = dict(record.params_after)
    broken["dense1.weight"] = np.full_like(broken["dense1.weight"], np.inf)
    fields = {k: getattr(record, k) for k in StepRecord.__dataclass_fields__}
    fields.update(params_after=broken, diverged=True)
    broken_record = StepRecord(**fields)
    outcome = step_outcome(broken_record)
    assert outcome.kind == "weights" and not outcome.kept
    message = _diverged_words(outcome, broken_record)
    assert message.startswith("Some weights became infinite")
    assert "learning rate 0.01 " in message


def test_load_params_copies_and_checks_names_and_shapes():
    spec = ARCHITECTURES["mlp"]
    model = _build(spec)
    record = inspected_step(model, *_batch(spec, 3, seed=0), OptimizerSettings("sgd", lr=1.0))
    load_params(model, record.params_after)
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.detach().numpy(), record.params_after[name])
    params = dict(record.params_before)
    del params["logits.bias"]
    params["extra.weight"] = np.zeros(3, np.float32)
    with pytest.raises(ValueError, match="missing logits.bias; unexpected extra.weight"):
        load_params(model, params)
    params = dict(record.params_before, **{"dense1.bias": np.zeros(3, np.float32)})
    with pytest.raises(
        ValueError, match=r"dense1.bias has shape \(3,\) but the model's is \(24,\)"
    ):
        load_params(model, params)
    np.testing.assert_array_equal(
        model.dense1.bias.detach().numpy(), record.params_after["dense1.bias"]
    )


def test_optimizer_kwargs_hold_only_what_the_kind_uses():
    assert OptimizerSettings("sgd", lr=1).optimizer_kwargs() == {"lr": 1.0}
    assert OptimizerSettings("momentum", lr=0.5, momentum=0.5).optimizer_kwargs() == {
        "lr": 0.5,
        "momentum": 0.5,
    }
    settings = OptimizerSettings("adam", lr=np.float32(0.25), betas=[0.5, 0.75], eps=1e-7)
    assert settings.optimizer_kwargs() == {"lr": 0.25, "betas": (0.5, 0.75), "eps": 1e-7}
    assert type(settings.lr) is float
    assert hash(settings) == hash(OptimizerSettings("adam", lr=0.25, betas=(0.5, 0.75), eps=1e-7))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "rmsprop"}, "Unknown optimizer 'rmsprop': choose one of sgd, momentum, adam"),
        ({"lr": 0}, "learning rate must be above 0 and at most 10, got 0"),
        ({"lr": -0.1}, "learning rate must be above 0 and at most 10, got -0.1"),
        ({"lr": 10.5}, "learning rate must be above 0 and at most 10, got 10.5"),
        ({"lr": float("nan")}, "learning rate must be a finite number, got nan"),
        ({"lr": "0.1"}, "learning rate must be a number, got '0.1'"),
        ({"lr": True}, "learning rate must be a number, got True"),
        ({"momentum": 1.0}, "Momentum must be at least 0 and below 1, got 1.0"),
        ({"betas": (0.9,)}, r"betas must be a pair \(beta1, beta2\), got \(0.9,\)"),
        ({"betas": 0.9}, r"betas must be a pair \(beta1, beta2\), got 0.9"),
        ({"betas": (0.9, 1.0)}, "beta2 must be at least 0 and below 1, got 1.0"),
        ({"eps": 0.0}, "eps must be above 0, got 0.0"),
    ],
)
def test_settings_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        OptimizerSettings(**kwargs)


def test_batches_labels_and_states_that_do_not_fit_are_refused():
    spec = ARCHITECTURES["sigmoid_head"]
    model = _build(spec)
    x, y = _batch(spec, 3, seed=0)
    with pytest.raises(ValueError, match=r"shape \(N, 1, 12, 12\).*got shape \(1, 12, 12\)"):
        inspected_step(model, x[0], y)
    with pytest.raises(ValueError, match=r"labels must be 3 whole numbers.*float64"):
        inspected_step(model, x, y.astype(np.float64))
    with pytest.raises(ValueError, match="labels must be classes from 0 to 1"):
        inspected_step(model, x, np.array([0, 1, 2]))
    bad = x.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        inspected_step(model, bad, y)
    plain = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(144, 2))
    with pytest.raises(ValueError, match=r"no \.spec"):
        inspected_step(plain, x, y)
    adam_state = inspected_step(model, x, y, OptimizerSettings("adam")).opt_state
    with pytest.raises(ValueError, match="AdamState, left by another optimizer.*opt_state=None"):
        inspected_step(model, x, y, OptimizerSettings("momentum"), adam_state)
    # sgd and momentum share their state: momentum picks up where plain SGD left off.
    sgd_state = inspected_step(model, x, y, OptimizerSettings("sgd")).opt_state
    record = inspected_step(model, x, y, OptimizerSettings("momentum"), sgd_state)
    assert record.opt_state["logits.weight"].step == 2


def test_bench_reports_both_timings_and_their_ratio():
    result = bench_backprop_step(repeats=1, kind="sgd")
    assert set(result) == {"step_ms", "torch_step_ms", "ratio"}
    assert result["step_ms"] > 0 and result["torch_step_ms"] > 0
    assert result["ratio"] == pytest.approx(result["step_ms"] / result["torch_step_ms"])


# --- the shipped default network, on the pictures it is surest of and most wrong about

# How close, relative to the largest gradient of the same parameter or stage, every gradient the
# page explains must be to float64 autograd's. float32 arithmetic misses it by 100% on the surest
# picture (p - 1 with p within 1e-10 of 1 keeps no digit) and by 2% on the page's first picture;
# the float64 step is measured within 1e-10. The margin is for float64's own cancellation: in
# p - 1 with 1 - p = 1e-10, float64 keeps only six digits, and two correct ways of computing it
# may differ there.
EXPLAINED_TOL = 1e-4


@pytest.fixture(scope="module")
def digits():
    return load_digits28()


@pytest.fixture(scope="module")
def shipped_model(digits):
    entry = pretrained.load(DEFAULT_SPEC, digits, DEFAULT_DATASET)
    assert entry is not None, "the shipped default weights no longer match the defaults"
    return entry.model


@pytest.fixture(scope="module")
def test_losses(shipped_model, digits):
    """The float64 loss of every picture of the digits test split under the shipped network."""
    model = clone_model(shipped_model).double()
    with torch.no_grad():
        logits = model(torch.from_numpy(digits.x_test.astype(np.float64)))
        return F.cross_entropy(logits, torch.tensor(digits.y_test), reduction="none").numpy()


def _test_pictures(digits, losses, which: str) -> tuple[np.ndarray, np.ndarray]:
    """The surest picture, the most wrong one, or the first 16 (the page's first is number 0)."""
    order = np.argsort(losses, kind="stable")
    chosen = {"surest": order[:1], "most_wrong": order[-1:], "first_16": np.arange(16)}[which]
    return digits.x_test[chosen], digits.y_test[chosen]


def _sync_torch_optimizer(optimizer, reference, record) -> None:
    """Put the weights and optimizer state the step kept into torch's float64 copy."""
    with torch.no_grad():
        for name, p in reference.named_parameters():
            p.copy_(torch.from_numpy(record.params_after[name]))
            kept, state = record.opt_state[name], optimizer.state[p]
            if isinstance(kept, optim.AdamState):
                state["exp_avg"].copy_(torch.from_numpy(kept.m))
                state["exp_avg_sq"].copy_(torch.from_numpy(kept.v))
            elif kept.momentum_buffer is not None:
                state["momentum_buffer"].copy_(torch.from_numpy(kept.momentum_buffer))


@pytest.mark.parametrize("kind", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("which", ["surest", "most_wrong", "first_16"])
def test_every_gradient_the_page_explains_is_float64_autograds(
    shipped_model, digits, test_losses, which, kind
):
    x, y = _test_pictures(digits, test_losses, which)
    settings = OptimizerSettings(kind, lr=0.001)
    model = clone_model(shipped_model)
    reference = clone_model(shipped_model).double()
    for p in reference.parameters():
        p.requires_grad_(True)
    torch_opt = optim.torch_optimizer(kind, reference.parameters(), **settings.optimizer_kwargs())
    opt_state = None
    for _ in range(2):  # the second step starts from the weights and state the first kept
        record = inspected_step(model, x, y, settings, opt_state)
        loss, douts, dinput, grads = _autograd_by_stage(model, x, y)
        assert record.loss_before == pytest.approx(loss, rel=1e-12)
        errors = {name: relative_error(record.grads[name], g) for name, g in grads.items()}
        assert max(errors.values()) < EXPLAINED_TOL, errors
        assert record.grad_relative_error < EXPLAINED_TOL  # what the page says
        for name, g in grads.items():
            assert relative_error(record.torch_grads[name], g) < 1e-13, name
        for stage in record.stage_grads:
            assert relative_error(stage.dout, douts[stage.name]) < EXPLAINED_TOL, stage.name
        assert relative_error(record.stage_grads[0].dx, dinput) < EXPLAINED_TOL
        for stage in record.stage_grads:
            if stage.kind != "conv":
                continue
            g = grads[f"{stage.name}.weight"]
            totals = np.array(
                [
                    kernel_weight_gradient_terms(record, stage.name, *i).total
                    for i in np.ndindex(g.shape)
                ]
            ).reshape(g.shape)
            assert relative_error(totals, g) < EXPLAINED_TOL, stage.name

        # torch.optim, in float64 from the same weights and state, makes the same change.
        torch_opt.zero_grad()
        _torch_loss(reference, x.astype(np.float64), y).backward()
        torch_opt.step()
        assert record.update_relative_error < 1e-12
        for name, p in reference.named_parameters():
            before = record.params_before[name].astype(np.float64)
            ours = record.opt_terms[name].new_param - before
            assert relative_error(ours, p.detach().numpy() - before) < 1e-12, name
        _sync_torch_optimizer(torch_opt, reference, record)
        load_params(model, record.params_after)
        opt_state = record.opt_state


def _float32_ops_gradients(model, x, y) -> dict[str, np.ndarray]:
    """The `ops` forward replay and backward functions run in float32, as a step did before."""
    replayed = engine.forward(model, np.asarray(x, dtype=np.float32))
    _, dlogits = ops.softmax_cross_entropy(replayed[-1].out, y)
    return engine.parameter_gradients(engine.backward(replayed, dlogits))


def test_float32_cannot_explain_the_surest_picture_and_the_step_does(
    shipped_model, digits, test_losses
):
    x, y = _test_pictures(digits, test_losses, "surest")
    record = inspected_step(shipped_model, x, y)
    _, _, _, truth = _autograd_by_stage(shipped_model, x, y)
    in_float32 = _float32_ops_gradients(shipped_model, x, y)
    for name, g in truth.items():
        assert in_float32[name].dtype == np.float32
        assert relative_error(in_float32[name], g) > 1e-3, name
        assert relative_error(record.grads[name], g) < 1e-6, name
    # Its loss is below 1e-6, where float32 (about 7 digits next to 1) keeps at most one digit
    # of 1 - p: float32 rounds it to 0 or to noise, the record keeps its digits.
    assert record.loss_before == pytest.approx(test_losses[np.argmin(test_losses)], rel=1e-12)
    assert 0 < record.loss_before < 1e-6
    with torch.no_grad():
        float32_loss = _torch_loss(shipped_model, x, np.array(y)).item()
    assert float32_loss != pytest.approx(record.loss_before, rel=0.1)


def test_the_step_keeps_float32_weights_and_state_and_the_next_starts_from_them(
    shipped_model, digits
):
    x, y = digits.x_test[:4], digits.y_test[:4]
    settings = OptimizerSettings("adam", lr=0.001)
    model = clone_model(shipped_model)
    first = inspected_step(model, x, y, settings)
    for name, terms in first.opt_terms.items():
        kept = first.opt_state[name]
        assert first.params_before[name].dtype == first.params_after[name].dtype == np.float32
        assert kept.m.dtype == kept.v.dtype == np.float32
        assert terms.m.dtype == terms.new_param.dtype == np.float64
        np.testing.assert_array_equal(first.params_after[name], terms.new_param.astype(np.float32))
        np.testing.assert_array_equal(kept.m, terms.m.astype(np.float32))
        np.testing.assert_array_equal(kept.v, terms.v.astype(np.float32))
    load_params(model, first.params_after)
    second = inspected_step(model, x, y, settings, first.opt_state)
    # The loss after the first step is that of the weights kept, which the second starts from.
    assert second.loss_before == first.loss_after
    for name, terms in second.opt_terms.items():
        np.testing.assert_array_equal(terms.param, first.params_after[name])
        # m_t = beta1 m_{t-1} + (1 - beta1) g, with m_{t-1} the kept state, cast up exactly.
        m_prev = first.opt_state[name].m.astype(np.float64)
        np.testing.assert_array_equal(terms.m, 0.9 * m_prev + (1 - 0.9) * terms.grad)


def test_relative_error_is_judged_on_the_scale_of_the_whole_array():
    reference = np.array([1.0, -2.0, 0.0])
    assert relative_error(reference, reference) == 0.0
    assert relative_error([1.0, -2.0, 1e-20], reference) == pytest.approx(5e-21)
    assert relative_error([1.0, -1.0, 0.0], reference) == pytest.approx(0.5)
    # Two all-zero gradients agree; a gradient where the reference has none is all error.
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error([0.0, 1e-30, 0.0], np.zeros(3)) == pytest.approx(1.0)
    # Equal infinities agree and the finite values set the scale; a NaN on one side is NaN.
    assert relative_error([np.inf, 1.0], [np.inf, 1.5]) == pytest.approx(0.5 / 1.5)
    assert relative_error([np.nan, 1.0], [np.nan, 1.0]) == 0.0
    assert math.isnan(relative_error([np.nan, 1.0], [0.0, 1.0]))
    assert relative_error([np.inf], [0.0]) == math.inf


# --- what a step did


def _moved(record: StepRecord, by: float, **changes) -> StepRecord:
    """`record` with every weight after the step moved `by` from before it, and `changes`."""
    after = {name: p + np.float32(by) for name, p in record.params_before.items()}
    return dataclasses.replace(record, params_after=after, **changes)


@pytest.fixture(scope="module")
def small_step() -> StepRecord:
    """A plain step of the untrained default network on 16 random pictures: the loss falls."""
    spec = ARCHITECTURES["default"]
    x, y = _batch(spec, 16, seed=7)
    return inspected_step(_build(spec), x, y, OptimizerSettings("sgd", lr=0.01))


def test_a_step_that_lowers_the_loss_fell_and_its_changes_are_measured(small_step):
    outcome = step_outcome(small_step)
    assert outcome.kind == "fell"
    assert outcome.kept and not outcome.stops_run
    assert outcome.loss_before == small_step.loss_before
    assert outcome.loss_after == small_step.loss_after < small_step.loss_before
    assert outcome.chance_loss == pytest.approx(math.log(10))
    changes = {
        name: np.abs(small_step.params_after[name] - before).max()
        for name, before in small_step.params_before.items()
    }
    assert outcome.largest_change == pytest.approx(max(changes.values()), rel=1e-12)
    relative = max(
        changes[name] / np.abs(before).max() for name, before in small_step.params_before.items()
    )
    assert outcome.relative_change == pytest.approx(relative, rel=1e-6)


def test_a_step_that_changes_almost_nothing_is_sure_or_tiny_by_the_loss(small_step):
    # A tenth of the change that counts as almost nothing for the smallest parameter.
    scale = min(float(np.abs(p).max()) for p in small_step.params_before.values())
    hardly = scale * TINY_WEIGHT_CHANGE / 10
    # A network already sure of the answers: the loss is almost 0.
    sure = step_outcome(_moved(small_step, hardly, loss_before=4e-6, loss_after=4e-6))
    assert sure.kind == "sure" and sure.kept and not sure.stops_run
    # A large loss that the step hardly moved: the learning rate was too small.
    tiny = step_outcome(_moved(small_step, hardly, loss_before=2.3, loss_after=2.3 - 1e-5))
    assert tiny.kind == "tiny"
    # The loss changed by more than a rounding: then it is no longer "almost nothing".
    assert step_outcome(_moved(small_step, hardly, loss_before=2.3, loss_after=2.2)).kind == "fell"


def test_a_sure_network_that_a_step_throws_far_is_not_called_sure(small_step):
    # Adam at learning rate 10 moves every weight by about 10, whatever the loss was.
    far = _moved(small_step, 9.4, loss_before=4e-4, loss_after=4e-4)
    assert step_outcome(far).kind == "steady"
    assert step_outcome(dataclasses.replace(far, loss_after=2e-4)).kind == "fell"
    assert step_outcome(dataclasses.replace(far, loss_after=5e-4)).kind == "rose"
    assert step_outcome(dataclasses.replace(far, loss_after=230.0)).kind == "exploded"


def test_a_loss_that_more_than_doubles_past_the_bound_exploded(small_step):
    bound = EXPLOSION_CHANCE_MULTIPLE * math.log(10)
    exploded = step_outcome(dataclasses.replace(small_step, loss_before=230.0, loss_after=1602.0))
    assert exploded.kind == "exploded"
    assert exploded.kept and exploded.stops_run
    assert exploded.explosion_bound == pytest.approx(bound)
    cases = [
        (2.3, 1.05 * bound, "exploded"),  # from a guess to far worse than guessing
        (2.3, 0.95 * bound, "rose"),  # more than doubled, but not past the bound
        (0.000468, 0.46, "rose"),  # a thousandfold, and still below a guess
        (0.6 * bound, 1.1 * bound, "rose"),  # past the bound, but not doubled
    ]
    for before, after, kind in cases:
        replaced = dataclasses.replace(small_step, loss_before=before, loss_after=after)
        assert step_outcome(replaced).kind == kind, (before, after)


def test_a_real_step_at_the_largest_learning_rate_explodes():
    spec = ARCHITECTURES["default"]
    x, y = _batch(spec, 16, seed=7)
    record = inspected_step(_build(spec), x, y, OptimizerSettings("sgd", lr=MAX_LR))
    outcome = step_outcome(record)
    assert not record.diverged and outcome.kind == "exploded"
    assert outcome.loss_after > EXPLOSION_GROWTH * outcome.loss_before
    assert outcome.loss_after > outcome.explosion_bound


def test_the_bound_follows_the_number_of_classes():
    spec = ARCHITECTURES["sigmoid_head"]
    x, y = _batch(spec, 8, seed=0)
    record = inspected_step(_build(spec), x, y)
    assert step_outcome(record).chance_loss == pytest.approx(math.log(2))


def test_a_diverged_step_is_refused_and_stops_a_run(small_step):
    spec = MLPSpec(input_size=8, hidden=(16,), num_classes=3)
    x, y = _batch(spec, 8, seed=0)
    model = _build(spec)
    with torch.no_grad():
        model.logits.weight.mul_(1e3)  # as above: the kept float32 weights overflow
    overflow = inspected_step(model, x * 1e36, y, OptimizerSettings("sgd", lr=MAX_LR))
    outcome = step_outcome(overflow)
    assert outcome.kind == ("nan" if math.isnan(overflow.loss_after) else "inf")
    assert not outcome.kept and outcome.stops_run
    for loss, kind in ((math.nan, "nan"), (math.inf, "inf")):
        replaced = dataclasses.replace(small_step, loss_after=loss, diverged=True)
        assert step_outcome(replaced).kind == kind
    broken = dict(small_step.params_after)
    broken["conv1.weight"] = np.full_like(broken["conv1.weight"], np.inf)
    weights = step_outcome(dataclasses.replace(small_step, params_after=broken, diverged=True))
    assert weights.kind == "weights" and not weights.kept
    assert math.isinf(weights.largest_change)


def test_kernel_weight_gradient_terms_come_largest_first_with_their_running_sum():
    spec = ARCHITECTURES["default"]
    x, y = _batch(spec, 3, seed=9)
    record = inspected_step(_build(spec), x, y)
    f, c, kh, kw = 3, 5, 0, 2  # a top-row tap: it reads the zero padding at the border
    terms = kernel_weight_gradient_terms(record, "conv2", f, c, kh, kw)
    stage = record.stage("conv2")
    _, C, KH, KW = record.grads["conv2.weight"].shape
    # torch's own patches: row (c, kh, kw) of unfold is what this tap reads at every position.
    patches = F.unfold(
        torch.tensor(stage.x),
        (KH, KW),
        dilation=stage.hparams["dilation"],
        padding=stage.hparams["padding"],
        stride=stage.hparams["stride"],
    )  # (N, C*KH*KW, H'*W')
    upstream = torch.tensor(stage.dout[:, f]).reshape(len(y), -1)  # (N, H'*W')
    flat = (patches[:, (c * KH + kh) * KW + kw] * upstream).reshape(-1)

    assert sorted(terms.order.tolist()) == list(range(len(flat)))
    largest_first = torch.sort(flat.abs(), descending=True).values
    np.testing.assert_allclose(flat.abs()[terms.order].numpy(), largest_first.numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        terms.running_sum,
        torch.cumsum(flat[terms.order], dim=0).numpy(),
        rtol=1e-12,
        atol=1e-15,
    )
    assert terms.running_sum[-1] == pytest.approx(terms.total, rel=1e-12)
    zeros = int(torch.count_nonzero(flat == 0))
    assert terms.zero_terms == zeros > 0
