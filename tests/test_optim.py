"""The numpy optimizer steps against torch.optim, step after step."""

import warnings
from functools import partial

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnexplain.core.optim import (
    OPTIMIZERS,
    AdamState,
    AdamStepTerms,
    SGDState,
    SGDStepTerms,
    adam_explain,
    adam_step,
    optimizer_step,
    sgd_explain,
    sgd_step,
    torch_optimizer,
)

STEPS = 25
SHAPE = (4, 2, 3, 3)  # a small conv weight: (F, C, KH, KW)
# float32 values of order 1 carry about 1e-7 of rounding per operation; torch fuses some
# multiply-adds that numpy rounds twice, so the two drift apart by a few units of that.
ATOL = {np.float32: 1e-6, np.float64: 1e-12}

SGD_SETTINGS = {
    "plain": {"lr": 0.1},
    "momentum": {"lr": 0.05, "momentum": 0.9},
    "weight decay": {"lr": 0.1, "weight_decay": 0.05},
    "momentum and weight decay": {"lr": 0.02, "momentum": 0.5, "weight_decay": 0.1},
}
ADAM_SETTINGS = {
    "default": {"lr": 0.01},
    "other betas": {"lr": 0.05, "betas": (0.5, 0.99)},
    "weight decay": {"lr": 0.01, "weight_decay": 0.1},
    "large eps": {"lr": 0.1, "betas": (0.8, 0.9), "eps": 1e-3},
}


def quadratic_grad(rng: np.random.Generator, param: np.ndarray) -> np.ndarray:
    """A noisy gradient that depends on the current parameter, as a real loss's would."""
    return (rng.standard_normal(param.shape) + 0.5 * param).astype(param.dtype)


def torch_run(optimizer_class, param, grads, **options):
    """The parameter and torch's state after each step of optimizer_class over grads."""
    p = torch.nn.Parameter(torch.tensor(param))
    optimizer = optimizer_class([p], foreach=False, **options)
    for grad in grads:
        p.grad = torch.tensor(grad)
        optimizer.step()
        state = {k: v.clone() if torch.is_tensor(v) else v for k, v in optimizer.state[p].items()}
        yield p.detach().numpy().copy(), state


def assert_close(actual, expected, dtype):
    np.testing.assert_allclose(actual, expected, rtol=0, atol=ATOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("setting", SGD_SETTINGS)
def test_sgd_matches_torch_step_after_step(setting, dtype):
    options = SGD_SETTINGS[setting]
    rng = np.random.default_rng(0)
    start = rng.standard_normal(SHAPE).astype(dtype)
    # The gradients depend on the parameter, so they come from our own run, then torch replays them.
    param, state, grads, ours = start, None, [], []
    for _ in range(STEPS):
        grads.append(quadratic_grad(rng, param))
        param, state = sgd_step(param, grads[-1], state, **options)
        ours.append((param, state))

    torch_steps = torch_run(torch.optim.SGD, start, grads, **options)
    for t, ((param, state), (torch_param, torch_state)) in enumerate(
        zip(ours, torch_steps, strict=True), start=1
    ):
        assert param.dtype == dtype
        assert_close(param, torch_param, dtype)
        assert state.step == t
        if options.get("momentum", 0) == 0:
            assert state.momentum_buffer is None
            assert torch_state.get("momentum_buffer") is None
        else:
            assert_close(state.momentum_buffer, torch_state["momentum_buffer"].numpy(), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("setting", ADAM_SETTINGS)
def test_adam_matches_torch_step_after_step(setting, dtype):
    options = ADAM_SETTINGS[setting]
    rng = np.random.default_rng(1)
    start = rng.standard_normal(SHAPE).astype(dtype)
    # The gradients depend on the parameter, so they come from our own run, then torch replays them.
    param, state, grads, ours = start, None, [], []
    for _ in range(STEPS):
        grads.append(quadratic_grad(rng, param))
        param, state = adam_step(param, grads[-1], state, **options)
        ours.append((param, state))

    torch_steps = torch_run(torch.optim.Adam, start, grads, **options)
    for t, ((param, state), (torch_param, torch_state)) in enumerate(
        zip(ours, torch_steps, strict=True), start=1
    ):
        assert param.dtype == dtype
        assert_close(param, torch_param, dtype)
        assert state.step == t == int(torch_state["step"].item())
        assert_close(state.m, torch_state["exp_avg"].numpy(), dtype)
        assert_close(state.v, torch_state["exp_avg_sq"].numpy(), dtype)


def test_sgd_with_momentum_switched_off_keeps_its_buffer_like_torch():
    rng = np.random.default_rng(2)
    param = rng.standard_normal(SHAPE)
    p = torch.nn.Parameter(torch.tensor(param))
    optimizer = torch.optim.SGD([p], lr=0.1, momentum=0.9, foreach=False)
    state = None
    for momentum in [0.9] * 3 + [0.0] * 3 + [0.9] * 3:
        grad = quadratic_grad(rng, param)
        param, state = sgd_step(param, grad, state, lr=0.1, momentum=momentum)
        optimizer.param_groups[0]["momentum"] = momentum
        p.grad = torch.tensor(grad)
        optimizer.step()
        np.testing.assert_allclose(param, p.detach().numpy(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(
            state.momentum_buffer, optimizer.state[p]["momentum_buffer"].numpy(), rtol=0, atol=1e-12
        )


@settings(max_examples=25, deadline=None)
@given(
    lr=st.floats(1e-4, 1.0),
    momentum=st.floats(0.0, 0.99),
    weight_decay=st.sampled_from([0.0, 1e-4, 0.1, 1.0]),
    seed=st.integers(0, 2**16),
)
def test_sgd_matches_torch_for_any_settings(lr, momentum, weight_decay, seed):
    rng = np.random.default_rng(seed)
    param = rng.standard_normal((3, 5))
    p = torch.nn.Parameter(torch.tensor(param))
    optimizer = torch.optim.SGD(
        [p], lr=lr, momentum=momentum, weight_decay=weight_decay, foreach=False
    )
    state = None
    for _ in range(20):
        grad = quadratic_grad(rng, param)
        param, state = sgd_step(
            param, grad, state, lr=lr, momentum=momentum, weight_decay=weight_decay
        )
        p.grad = torch.tensor(grad)
        optimizer.step()
    np.testing.assert_allclose(param, p.detach().numpy(), rtol=1e-10, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(
    lr=st.floats(1e-4, 1.0),
    beta1=st.floats(0.0, 0.99),
    beta2=st.floats(0.0, 0.9999),
    eps=st.sampled_from([1e-8, 1e-6, 1e-3]),
    weight_decay=st.sampled_from([0.0, 1e-4, 0.1]),
    seed=st.integers(0, 2**16),
)
def test_adam_matches_torch_for_any_settings(lr, beta1, beta2, eps, weight_decay, seed):
    rng = np.random.default_rng(seed)
    param = rng.standard_normal((3, 5))
    options = {"lr": lr, "betas": (beta1, beta2), "eps": eps, "weight_decay": weight_decay}
    p = torch.nn.Parameter(torch.tensor(param))
    optimizer = torch.optim.Adam([p], foreach=False, **options)
    state = None
    for _ in range(20):
        grad = quadratic_grad(rng, param)
        param, state = adam_step(param, grad, state, **options)
        p.grad = torch.tensor(grad)
        optimizer.step()
    np.testing.assert_allclose(param, p.detach().numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(state.v, optimizer.state[p]["exp_avg_sq"].numpy(), rtol=1e-9)


def _two_steps(step, options):
    """(param, grad, state) before a second step, with copies to compare against afterwards."""
    rng = np.random.default_rng(3)
    param = rng.standard_normal(SHAPE)
    _, state = step(param, quadratic_grad(rng, param), None, **options)
    return param, quadratic_grad(rng, param), state


@pytest.mark.parametrize(
    ("step", "options", "fields"),
    [
        (sgd_step, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1}, ("momentum_buffer",)),
        (adam_step, {"lr": 0.1, "weight_decay": 0.1}, ("m", "v")),
    ],
)
def test_inputs_are_never_modified_or_shared(step, options, fields):
    param, grad, state = _two_steps(step, options)
    before = [param.copy(), grad.copy()] + [getattr(state, f).copy() for f in fields]

    new_param, new_state = step(param, grad, state, **options)

    after = [param, grad] + [getattr(state, f) for f in fields]
    for old, now in zip(before, after, strict=True):
        np.testing.assert_array_equal(now, old)
    for output in [new_param] + [getattr(new_state, f) for f in fields]:
        for given_array in after:
            assert not np.shares_memory(output, given_array)


def test_first_momentum_buffer_is_a_copy_of_the_gradient():
    grad = np.array([1.0, -2.0])
    _, state = sgd_step(np.zeros(2), grad, lr=0.1, momentum=0.9)
    grad[0] = 100.0
    np.testing.assert_array_equal(state.momentum_buffer, [1.0, -2.0])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtype_and_shape_are_kept(dtype):
    param = np.ones((2, 3), dtype=dtype)
    grad = np.full((2, 3), 0.5)  # float64: cast to the parameter's dtype
    new_param, sgd_state = sgd_step(param, grad, lr=0.1, momentum=0.9)
    assert new_param.dtype == sgd_state.momentum_buffer.dtype == dtype
    new_param, adam_state = adam_step(param, grad, lr=0.1)
    assert new_param.dtype == adam_state.m.dtype == adam_state.v.dtype == dtype
    assert new_param.shape == adam_state.m.shape == (2, 3)


def test_numpy_scalar_hyperparameters_do_not_promote_float32():
    param = np.ones(3, dtype=np.float32)
    new_param, _ = sgd_step(param, param, lr=np.float64(0.1), momentum=np.float64(0.5))
    assert new_param.dtype == np.float32
    new_param, _ = adam_step(param, param, lr=np.float64(0.1), betas=np.array([0.9, 0.999]))
    assert new_param.dtype == np.float32


def test_a_scalar_parameter_gives_arrays():
    terms = adam_explain(np.float64(1.0), np.float64(0.5), lr=0.1)
    for field in ("grad", "effective_grad", "m", "v", "m_hat", "v_hat", "update", "new_param"):
        value = getattr(terms, field)
        assert isinstance(value, np.ndarray)
        assert value.shape == ()
    np.testing.assert_allclose(terms.new_param, 0.9)  # the first Adam step moves by lr


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_explain_terms_follow_the_formulas(momentum):
    lr, weight_decay = 0.1, 0.05
    rng = np.random.default_rng(4)
    param, state, previous_buffer = rng.standard_normal(SHAPE), None, None
    for _ in range(3):
        grad = quadratic_grad(rng, param)
        terms = sgd_explain(param, grad, state, lr=lr, momentum=momentum, weight_decay=weight_decay)
        new_param, state = sgd_step(
            param, grad, state, lr=lr, momentum=momentum, weight_decay=weight_decay
        )

        assert isinstance(terms, SGDStepTerms)
        assert (terms.lr, terms.momentum, terms.weight_decay) == (lr, momentum, weight_decay)
        np.testing.assert_array_equal(terms.new_param, new_param)
        np.testing.assert_array_equal(terms.param, param)
        np.testing.assert_array_equal(terms.grad, grad)
        np.testing.assert_allclose(terms.effective_grad, grad + weight_decay * param)
        if momentum == 0:
            assert terms.momentum_buffer is None
            direction = terms.effective_grad
        else:
            expected = terms.effective_grad
            if previous_buffer is not None:
                expected = momentum * previous_buffer + terms.effective_grad
            np.testing.assert_allclose(terms.momentum_buffer, expected)
            np.testing.assert_array_equal(terms.momentum_buffer, state.momentum_buffer)
            direction = previous_buffer = terms.momentum_buffer
        np.testing.assert_allclose(terms.update, -lr * direction)
        np.testing.assert_array_equal(terms.new_param, param + terms.update)
        param = new_param


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_explain_terms_follow_the_formulas(dtype):
    lr, (beta1, beta2), eps, weight_decay = 0.01, (0.8, 0.95), 1e-8, 0.1
    options = {"lr": lr, "betas": (beta1, beta2), "eps": eps, "weight_decay": weight_decay}
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    rng = np.random.default_rng(5)
    param, state = rng.standard_normal(SHAPE).astype(dtype), None
    m_prev = v_prev = np.zeros(SHAPE)
    for t in range(1, 5):
        grad = quadratic_grad(rng, param)
        terms = adam_explain(param, grad, state, **options)
        new_param, state = adam_step(param, grad, state, **options)

        assert isinstance(terms, AdamStepTerms)
        assert terms.step == state.step == t
        assert (terms.lr, terms.beta1, terms.beta2, terms.eps) == (lr, beta1, beta2, eps)
        for field in ("grad", "effective_grad", "m", "v", "m_hat", "v_hat", "update"):
            assert getattr(terms, field).shape == SHAPE
            assert getattr(terms, field).dtype == dtype
        np.testing.assert_array_equal(terms.new_param, new_param)
        np.testing.assert_array_equal(terms.m, state.m)
        np.testing.assert_array_equal(terms.v, state.v)
        g = grad + weight_decay * param
        np.testing.assert_allclose(terms.effective_grad, g, rtol=rtol)
        np.testing.assert_allclose(terms.m, beta1 * m_prev + (1 - beta1) * g, rtol=rtol)
        np.testing.assert_allclose(terms.v, beta2 * v_prev + (1 - beta2) * g**2, rtol=rtol)
        np.testing.assert_allclose(terms.m_hat, terms.m / (1 - beta1**t), rtol=rtol)
        np.testing.assert_allclose(terms.v_hat, terms.v / (1 - beta2**t), rtol=rtol)
        textbook_update = -lr * terms.m_hat / (np.sqrt(terms.v_hat) + eps)
        np.testing.assert_allclose(terms.update, textbook_update, rtol=rtol)
        np.testing.assert_array_equal(terms.new_param, param + terms.update)
        param, m_prev, v_prev = new_param, terms.m, terms.v


def test_first_adam_step_moves_every_weight_by_lr():
    # m_hat = g and v_hat = g^2 on the first step, so the update is -lr * sign(g) up to eps.
    grad = np.array([3.0, -0.2, 1e-3])
    terms = adam_explain(np.zeros(3), grad, lr=0.01)
    np.testing.assert_allclose(terms.m_hat, grad)
    np.testing.assert_allclose(terms.v_hat, grad**2)
    np.testing.assert_allclose(terms.update, -0.01 * np.sign(grad), rtol=1e-4)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("kind", OPTIMIZERS)
def test_non_finite_gradients_pass_through_silently_like_torch(kind, bad):
    param = np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32)
    grad = np.array([[0.1, bad], [1e30, -0.3]], dtype=np.float32)  # 1e30 squared overflows
    p = torch.nn.Parameter(torch.tensor(param))
    optimizer = torch_optimizer(kind, [p], lr=0.1, weight_decay=0.01)
    state = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            params, state, _ = optimizer_step(
                kind, {"w": param}, {"w": grad}, state, lr=0.1, weight_decay=0.01
            )
            param = params["w"]
            p.grad = torch.tensor(grad)
            optimizer.step()
    assert not np.isfinite(param[0, 1])
    np.testing.assert_allclose(param, p.detach().numpy(), rtol=1e-6, atol=1e-6, equal_nan=True)


ONES = np.ones((2, 2))


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"lr": -0.1}, r"Learning rate must be above 0, got -0\.1\."),
        ({"lr": 0}, r"Learning rate must be above 0, got 0\.0\."),
        ({"lr": float("inf")}, r"Learning rate must be a finite number, got inf\."),
        ({"lr": float("nan")}, r"Learning rate must be a finite number, got nan\."),
        ({"lr": "0.1"}, r"Learning rate must be a number, got '0\.1'\."),
        ({"lr": True}, r"Learning rate must be a number, got True\."),
        ({"lr": 0.1, "momentum": 1.0}, r"Momentum must be at least 0 and below 1, got 1\.0\."),
        ({"lr": 0.1, "momentum": -0.5}, r"Momentum must be at least 0 and below 1, got -0\.5\."),
        ({"lr": 0.1, "weight_decay": -1}, r"Weight decay must be at least 0, got -1\.0\."),
    ],
)
def test_sgd_rejects_bad_options(options, match):
    with pytest.raises(ValueError, match=match):
        sgd_step(ONES, ONES, **options)
    with pytest.raises(ValueError, match=match):
        sgd_explain(ONES, ONES, **options)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"lr": -1.0}, r"Learning rate must be above 0, got -1\.0\."),
        ({"betas": (0.9, 1.0)}, r"beta2 must be at least 0 and below 1, got 1\.0\."),
        ({"betas": (-0.1, 0.9)}, r"beta1 must be at least 0 and below 1, got -0\.1\."),
        ({"betas": (0.9,)}, r"Adam's betas must be a pair \(beta1, beta2\), got \(0\.9,\)\."),
        ({"betas": 0.9}, r"Adam's betas must be a pair"),
        ({"eps": 0.0}, r"eps must be above 0, got 0\.0\."),
        ({"eps": -1e-8}, r"eps must be above 0, got -1e-08\."),
        ({"weight_decay": -0.1}, r"Weight decay must be at least 0, got -0\.1\."),
    ],
)
def test_adam_rejects_bad_options(options, match):
    options = {"lr": 0.1} | options
    with pytest.raises(ValueError, match=match):
        adam_step(ONES, ONES, **options)
    with pytest.raises(ValueError, match=match):
        adam_explain(ONES, ONES, **options)


@pytest.mark.parametrize("step", [sgd_step, adam_step])
def test_rejects_arrays_that_do_not_fit(step):
    with pytest.raises(
        ValueError, match=r"gradient has shape \(3,\) but the parameter .* \(2, 2\)"
    ):
        step(ONES, np.ones(3), lr=0.1)
    with pytest.raises(
        ValueError, match=r"parameter must be a floating-point array, got dtype int"
    ):
        step(np.ones(3, dtype=int), np.ones(3), lr=0.1)
    with pytest.raises(ValueError, match=r"gradient must be a real-valued array"):
        step(ONES, ONES * 1j, lr=0.1)


def test_rejects_states_that_do_not_fit():
    _, sgd_state = sgd_step(ONES, ONES, lr=0.1, momentum=0.9)
    _, adam_state = adam_step(ONES, ONES, lr=0.1)
    with pytest.raises(
        ValueError, match=r"The SGD state must be an SGDState, or None .*; got AdamState\."
    ):
        sgd_step(ONES, ONES, adam_state, lr=0.1)
    with pytest.raises(
        ValueError, match=r"The Adam state must be an AdamState, or None .*; got SGDState\."
    ):
        adam_step(ONES, ONES, sgd_state, lr=0.1)
    with pytest.raises(ValueError, match=r"momentum_buffer has shape \(2, 2\) .* shape \(3,\)"):
        sgd_step(np.ones(3), np.ones(3), sgd_state, lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"Adam state's m has shape \(2, 2\) .* shape \(4,\)"):
        adam_step(np.ones(4), np.ones(4), adam_state, lr=0.1)
    with pytest.raises(ValueError, match=r"state's step must be a whole number >= 0, got -1\."):
        adam_step(ONES, ONES, AdamState(step=-1, m=ONES, v=ONES), lr=0.1)


def named_params(dtype=np.float64):
    rng = np.random.default_rng(6)
    shapes = {"conv1.weight": (2, 1, 3, 3), "conv1.bias": (2,), "fc.weight": (3, 8)}
    return {name: rng.standard_normal(shape).astype(dtype) for name, shape in shapes.items()}


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("sgd", {}),
        ("sgd", {"weight_decay": 0.01}),
        ("momentum", {}),
        ("momentum", {"momentum": 0.5}),
        ("adam", {}),
        ("adam", {"betas": (0.5, 0.9), "eps": 1e-6, "weight_decay": 0.01}),
    ],
)
def test_optimizer_step_matches_torch_optimizer_on_a_model(kind, options):
    params = named_params()
    tensors = {name: torch.nn.Parameter(torch.tensor(value)) for name, value in params.items()}
    optimizer = torch_optimizer(kind, tensors, lr=0.05, **options)
    rng = np.random.default_rng(7)
    states = None
    for _ in range(20):
        grads = {name: quadratic_grad(rng, value) for name, value in params.items()}
        params, states, terms = optimizer_step(kind, params, grads, states, lr=0.05, **options)
        for name, tensor in tensors.items():
            tensor.grad = torch.tensor(grads[name])
        optimizer.step()

    assert list(params) == list(states) == list(terms) == list(tensors)
    for name, tensor in tensors.items():
        np.testing.assert_allclose(params[name], tensor.detach().numpy(), rtol=0, atol=1e-12)
        np.testing.assert_array_equal(terms[name].new_param, params[name])
        torch_state = optimizer.state[tensor]
        if kind == "adam":
            assert isinstance(states[name], AdamState)
            np.testing.assert_allclose(states[name].m, torch_state["exp_avg"].numpy(), atol=1e-12)
        else:
            assert isinstance(states[name], SGDState)
            if kind == "sgd":
                assert states[name].momentum_buffer is None
            else:
                np.testing.assert_allclose(
                    states[name].momentum_buffer, torch_state["momentum_buffer"].numpy(), atol=1e-12
                )


@pytest.mark.parametrize(
    ("kind", "options"),
    [("sgd", {"weight_decay": 0.01}), ("momentum", {"momentum": 0.5}), ("adam", {})],
)
def test_fused_torch_optimizer_follows_the_same_formula(kind, options):
    # float32 throughout, as training runs; only the last bits may differ.
    params = named_params(np.float32)
    runs = {}
    for fused in (False, True):
        tensors = {name: torch.nn.Parameter(torch.tensor(value)) for name, value in params.items()}
        optimizer = torch_optimizer(kind, tensors, lr=0.05, fused=fused, **options)
        assert optimizer.param_groups[0]["fused"] is (True if fused else None)
        rng = np.random.default_rng(7)
        for _ in range(20):
            for tensor in tensors.values():
                tensor.grad = torch.tensor(quadratic_grad(rng, tensor.detach().numpy()))
            optimizer.step()
        runs[fused] = {name: tensor.detach().numpy() for name, tensor in tensors.items()}
    for name in params:
        np.testing.assert_allclose(runs[True][name], runs[False][name], rtol=1e-5, atol=1e-6)


def test_momentum_kind_defaults_to_0_9_and_sgd_kind_has_none():
    params = named_params()
    tensors = [torch.nn.Parameter(torch.tensor(value)) for value in params.values()]
    assert torch_optimizer("momentum", tensors, lr=0.1).param_groups[0]["momentum"] == 0.9
    assert torch_optimizer("sgd", tensors, lr=0.1).param_groups[0]["momentum"] == 0.0
    _, _, terms = optimizer_step("momentum", params, params, None, lr=0.1)
    assert all(t.momentum == 0.9 for t in terms.values())


def test_torch_optimizer_passes_every_option():
    p = [torch.nn.Parameter(torch.zeros(2))]
    group = torch_optimizer("adam", p, lr=0.3, betas=(0.5, 0.6), eps=1e-4, weight_decay=0.2)
    assert isinstance(group, torch.optim.Adam)
    group = group.param_groups[0]
    assert (group["lr"], group["betas"], group["eps"]) == (0.3, (0.5, 0.6), 1e-4)
    assert (group["weight_decay"], group["amsgrad"], group["foreach"]) == (0.2, False, False)
    group = torch_optimizer("momentum", p, lr=0.3, momentum=0.7, weight_decay=0.2).param_groups[0]
    assert (group["lr"], group["momentum"], group["weight_decay"]) == (0.3, 0.7, 0.2)
    assert (group["dampening"], group["nesterov"]) == (0, False)


def test_optimizer_step_and_torch_optimizer_reject_bad_requests():
    params = named_params()
    tensors = [torch.nn.Parameter(torch.zeros(2))]
    for build in (
        lambda kind, **kw: optimizer_step(kind, params, params, None, **kw),
        lambda kind, **kw: torch_optimizer(kind, tensors, **kw),
    ):
        with pytest.raises(ValueError, match=r"Unknown optimizer 'rmsprop': choose one of sgd, "):
            build("rmsprop", lr=0.1)
        with pytest.raises(ValueError, match=r"Unknown option\(s\) for 'sgd': momentum\. It "):
            build("sgd", lr=0.1, momentum=0.9)
        with pytest.raises(ValueError, match=r"Unknown option\(s\) for 'adam': beta1\."):
            build("adam", lr=0.1, beta1=0.9)
        with pytest.raises(ValueError, match=r"Learning rate must be above 0"):
            build("momentum", lr=-0.1)
        with pytest.raises(ValueError, match=r"Momentum must be at least 0 and below 1"):
            build("momentum", lr=0.1, momentum=1.5)


def test_optimizer_step_names_the_parameter_that_does_not_fit():
    params = named_params()
    grads = dict(params, **{"fc.weight": np.ones(3)})
    with pytest.raises(ValueError, match=r"Parameter 'fc\.weight': The gradient has shape \(3,\)"):
        optimizer_step("adam", params, grads, None, lr=0.1)
    without_bias = {k: v for k, v in params.items() if k != "conv1.bias"}
    with pytest.raises(ValueError, match=r"gradients do not match .*: missing conv1\.bias\."):
        optimizer_step("sgd", params, without_bias, None, lr=0.1)
    _, states, _ = optimizer_step("sgd", without_bias, without_bias, None, lr=0.1)
    with pytest.raises(ValueError, match=r"optimizer states do not match .*: missing conv1\.bias"):
        optimizer_step("sgd", params, params, states, lr=0.1)
    _, adam_states, _ = optimizer_step("adam", params, params, None, lr=0.1)
    with pytest.raises(
        ValueError, match=r"Parameter 'conv1\.weight': The SGD state must be an SGDState"
    ):
        optimizer_step("momentum", params, params, adam_states, lr=0.1)


@pytest.mark.parametrize("kind", ["momentum", "adam"])
def test_a_float32_state_continues_a_float64_step_cast_up_exactly(kind):
    # An inspected step computes in float64, from the float32 state the step before it kept.
    rng = np.random.default_rng(0)
    param, grad = rng.standard_normal(SHAPE), rng.standard_normal(SHAPE)
    kept = rng.standard_normal((2, *SHAPE)).astype(np.float32)
    kept[1] = np.abs(kept[1])  # Adam's v is never negative

    def state(dtype):
        if kind == "adam":
            return {"w": AdamState(step=3, m=kept[0].astype(dtype), v=kept[1].astype(dtype))}
        return {"w": SGDState(step=3, momentum_buffer=kept[0].astype(dtype))}

    options = {"lr": 0.05, "momentum": 0.9} if kind == "momentum" else {"lr": 0.05}
    step = partial(optimizer_step, kind, {"w": param}, {"w": grad}, **options)
    from_kept, new_state, terms = step(state(np.float32))
    from_cast_up, _, _ = step(state(np.float64))
    np.testing.assert_array_equal(from_kept["w"], from_cast_up["w"])
    assert terms["w"].update.dtype == np.float64
    arrays = ("m", "v") if kind == "adam" else ("momentum_buffer",)
    assert all(getattr(new_state["w"], a).dtype == np.float64 for a in arrays)
