"""Optimizer steps in numpy, with every intermediate term kept for display.

Each step takes one parameter array, its gradient and the state left by the previous step, and
returns the new parameter and the new state; nothing passed in is modified. The arithmetic is
the arithmetic of PyTorch's single-tensor code paths (`torch.optim.SGD` with dampening 0 and
nesterov off, `torch.optim.Adam` with amsgrad off and L2 weight decay), operation for operation,
so over many steps the two agree to float rounding.

The `*_explain` functions run the same code as the `*_step` functions and return the record of
one step (gradient, effective gradient, moments, update, new value), each term an array shaped
like the parameter, so a page can write out the arithmetic for any single weight.

Hyperparameters are turned into Python floats before any arithmetic: numpy keeps a float32 array
float32 when it meets a Python float, as torch does, but would promote it to float64 on meeting
a float64 numpy scalar.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from cnnexplain.core import checks

if TYPE_CHECKING:
    import torch

OPTIMIZERS = ("sgd", "momentum", "adam")
# The largest learning rate the app's settings take (backprop.OptimizerSettings, TrainConfig);
# larger ones only show overflow sooner. The step functions here take any, to show what it does.
MAX_LR = 10.0

# Keyword options each kind accepts besides `lr`.
_OPTIONS = {
    "sgd": ("weight_decay",),
    "momentum": ("momentum", "weight_decay"),
    "adam": ("betas", "eps", "weight_decay"),
}


# eq=False on every class below: the generated __eq__ would compare arrays with `==`, whose
# result has no single truth value.


@dataclass(frozen=True, eq=False)
class SGDState:
    """What SGD carries from one step to the next for one parameter."""

    step: int  # steps taken so far
    momentum_buffer: np.ndarray | None  # b_t, like the parameter; None while momentum is 0


@dataclass(frozen=True, eq=False)
class AdamState:
    """What Adam carries from one step to the next for one parameter."""

    step: int  # steps taken so far (t)
    m: np.ndarray  # first moment m_t, running mean of the gradient (torch: exp_avg)
    v: np.ndarray  # second moment v_t, running mean of the squared gradient (torch: exp_avg_sq)


@dataclass(frozen=True, eq=False)
class SGDStepTerms:
    """Every term of one SGD step; the arrays are shaped like the parameter."""

    param: np.ndarray  # w_{t-1}, the value before the step
    grad: np.ndarray  # g, the gradient of the loss
    effective_grad: np.ndarray  # g' = g + weight_decay * w_{t-1}
    momentum_buffer: np.ndarray | None  # b_t = momentum * b_{t-1} + g' (b_1 = g'); None without
    update: np.ndarray  # -lr * b_t, or -lr * g' without momentum
    new_param: np.ndarray  # w_t = w_{t-1} + update
    lr: float  # learning rate
    momentum: float  # momentum coefficient (0 for plain SGD)
    weight_decay: float  # L2 weight decay coefficient


@dataclass(frozen=True, eq=False)
class AdamStepTerms:
    """Every term of one Adam step; the arrays are shaped like the parameter."""

    param: np.ndarray  # w_{t-1}, the value before the step
    grad: np.ndarray  # g, the gradient of the loss
    effective_grad: np.ndarray  # g' = g + weight_decay * w_{t-1}
    m: np.ndarray  # m_t = beta1 * m_{t-1} + (1 - beta1) * g'
    v: np.ndarray  # v_t = beta2 * v_{t-1} + (1 - beta2) * g'^2
    m_hat: np.ndarray  # m_t / (1 - beta1^t), the bias-corrected first moment
    v_hat: np.ndarray  # v_t / (1 - beta2^t), the bias-corrected second moment
    step: int  # t, counting from 1
    update: np.ndarray  # -lr * m_hat / (sqrt(v_hat) + eps)
    new_param: np.ndarray  # w_t = w_{t-1} + update
    lr: float  # learning rate
    beta1: float  # decay rate of the first moment
    beta2: float  # decay rate of the second moment
    eps: float  # added to the denominator so it is never 0
    weight_decay: float  # L2 weight decay coefficient


def sgd_step(
    param: np.ndarray,
    grad: np.ndarray,
    state: SGDState | None = None,
    *,
    lr: float,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, SGDState]:
    """One step of stochastic gradient descent, as `torch.optim.SGD` takes it.

        g'  = g + weight_decay * w                    (only when weight_decay > 0)
        b_1 = g'                                      (first step, only when momentum > 0)
        b_t = momentum * b_{t-1} + g'
        w  <- w - lr * b_t                            (w - lr * g' without momentum)

    Inputs:
    - param: the parameter w before the step, any shape, floating dtype
    - grad: dloss/dw, same shape as param; inf or nan is allowed and passed through
    - state: the state returned by the previous step, or None before the first step
    - lr: learning rate, finite and > 0
    - momentum: in [0, 1); 0 is plain SGD
    - weight_decay: L2 penalty coefficient, >= 0

    Returns (new_param, new_state); new_param has param's shape and dtype.
    """
    options = _sgd_options(lr, momentum, weight_decay)
    terms, new_state = _sgd(param, grad, state, *options)
    return terms.new_param, new_state


def sgd_explain(
    param: np.ndarray,
    grad: np.ndarray,
    state: SGDState | None = None,
    *,
    lr: float,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
) -> SGDStepTerms:
    """The terms of the step `sgd_step` takes with the same arguments (see its formulas)."""
    options = _sgd_options(lr, momentum, weight_decay)
    terms, _ = _sgd(param, grad, state, *options)
    return terms


def adam_step(
    param: np.ndarray,
    grad: np.ndarray,
    state: AdamState | None = None,
    *,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, AdamState]:
    """One step of Adam, as `torch.optim.Adam` takes it (amsgrad off, L2 weight decay).

        t   = t + 1                                   (m_0 = v_0 = 0)
        g'  = g + weight_decay * w                    (only when weight_decay > 0)
        m_t = beta1 * m_{t-1} + (1 - beta1) * g'
        v_t = beta2 * v_{t-1} + (1 - beta2) * g'^2
        m_hat = m_t / (1 - beta1^t)
        v_hat = v_t / (1 - beta2^t)
        w  <- w - lr * m_hat / (sqrt(v_hat) + eps)

    The last line is evaluated as torch evaluates it, which rounds differently in float32:
    step_size = lr / (1 - beta1^t), denom = sqrt(v_t) / sqrt(1 - beta2^t) + eps,
    w <- w + (-step_size * m_t) / denom.

    Inputs:
    - param: the parameter w before the step, any shape, floating dtype
    - grad: dloss/dw, same shape as param; inf or nan is allowed and passed through
    - state: the state returned by the previous step, or None before the first step
    - lr: learning rate, finite and > 0
    - betas: (beta1, beta2), each in [0, 1)
    - eps: finite and > 0
    - weight_decay: L2 penalty coefficient, >= 0

    Returns (new_param, new_state); new_param has param's shape and dtype.
    """
    options = _adam_options(lr, betas, eps, weight_decay)
    terms, new_state = _adam(param, grad, state, *options)
    return terms.new_param, new_state


def adam_explain(
    param: np.ndarray,
    grad: np.ndarray,
    state: AdamState | None = None,
    *,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> AdamStepTerms:
    """The terms of the step `adam_step` takes with the same arguments (see its formulas)."""
    options = _adam_options(lr, betas, eps, weight_decay)
    terms, _ = _adam(param, grad, state, *options)
    return terms


def optimizer_step(
    kind: str,
    params: Mapping[str, np.ndarray],
    grads: Mapping[str, np.ndarray],
    states: Mapping[str, SGDState | AdamState] | None,
    *,
    lr: float,
    **kw: Any,
) -> tuple[
    dict[str, np.ndarray],
    dict[str, SGDState | AdamState],
    dict[str, SGDStepTerms | AdamStepTerms],
]:
    """One step of the optimizer `kind` for every named parameter of a model.

    kind is one of OPTIMIZERS: "sgd" (plain SGD; option weight_decay), "momentum" (SGD with
    momentum=kw.get("momentum", 0.9); option weight_decay) or "adam" (options betas, eps,
    weight_decay). `states` is None before the first step, then the states returned by the
    previous call. Returns (new_params, new_states, terms), each keyed like `params`.
    """
    _check_kind(kind)
    _check_option_names(kind, kw)
    if grads.keys() != params.keys():
        raise ValueError(_key_mismatch("gradients", grads, params))
    if states is not None and states.keys() != params.keys():
        raise ValueError(_key_mismatch("optimizer states", states, params))

    if kind == "adam":
        options: tuple[float, ...] = _adam_options(
            lr, kw.get("betas", (0.9, 0.999)), kw.get("eps", 1e-8), kw.get("weight_decay", 0.0)
        )
        take_step = _adam
    else:
        momentum = kw.get("momentum", 0.9) if kind == "momentum" else 0.0
        options = _sgd_options(lr, momentum, kw.get("weight_decay", 0.0))
        take_step = _sgd

    new_params, new_states, terms = {}, {}, {}
    for name, param in params.items():
        state = None if states is None else states[name]
        try:
            terms[name], new_states[name] = take_step(param, grads[name], state, *options)
        except ValueError as err:
            raise ValueError(f"Parameter {name!r}: {err}") from err
        new_params[name] = terms[name].new_param
    return new_params, new_states, terms


def torch_optimizer(
    kind: str,
    params: Iterable[torch.Tensor] | Mapping[str, torch.Tensor],
    *,
    lr: float,
    fused: bool = False,
    **kw: Any,
) -> torch.optim.Optimizer:
    """The torch optimizer that `optimizer_step(kind, ..., lr=lr, **kw)` reproduces.

    params is what torch optimizers accept (for example `model.parameters()`), or a mapping of
    names to tensors. The single-tensor code path is forced (foreach=False): it is the one the
    numpy steps copy, and the one torch picks on the CPU anyway.

    With `fused`, torch's fused step is used instead: the same formula in one kernel for each
    parameter rather than one per term (an Adam step of the default network takes about a third
    of the time). Its float32 results may differ from the single-tensor path's in the last bits.
    """
    # Imported here so the numpy steps can be used without loading torch.
    import torch

    _check_kind(kind)
    _check_option_names(kind, kw)
    if isinstance(params, Mapping):
        params = params.values()
    path = {"fused": True} if fused else {"foreach": False}
    if kind == "adam":
        lr, beta1, beta2, eps, weight_decay = _adam_options(
            lr, kw.get("betas", (0.9, 0.999)), kw.get("eps", 1e-8), kw.get("weight_decay", 0.0)
        )
        return torch.optim.Adam(
            params,
            lr=lr,
            betas=(beta1, beta2),
            eps=eps,
            weight_decay=weight_decay,
            **path,
        )
    momentum = kw.get("momentum", 0.9) if kind == "momentum" else 0.0
    lr, momentum, weight_decay = _sgd_options(lr, momentum, kw.get("weight_decay", 0.0))
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay, **path)


def _sgd(
    param: np.ndarray,
    grad: np.ndarray,
    state: SGDState | None,
    lr: float,
    momentum: float,
    weight_decay: float,
) -> tuple[SGDStepTerms, SGDState]:
    """The SGD step on checked options: its terms and the state for the next step."""
    param, grad = _check_arrays(param, grad)
    if state is None:
        state = SGDState(step=0, momentum_buffer=None)
    _check_state(state, SGDState, "SGD", param, ("momentum_buffer",))

    # A diverging run shows up as inf or nan in the result; the caller reports it.
    with np.errstate(all="ignore"):
        # torch skips the weight-decay term when it is 0; adding 0 * w would turn an inf w into nan.
        effective_grad = grad + weight_decay * param if weight_decay != 0 else grad.copy()
        if momentum != 0:
            if state.momentum_buffer is None:
                buffer = effective_grad.copy()  # its own array, so the terms never alias
            else:
                previous = state.momentum_buffer.astype(param.dtype, copy=False)
                buffer = momentum * previous + effective_grad
            direction = buffer
        else:
            buffer = None
            direction = effective_grad
        update = -lr * direction
        new_param = param + update

    terms = SGDStepTerms(
        param=param.copy(),
        grad=grad.copy(),
        effective_grad=np.asarray(effective_grad),
        momentum_buffer=None if buffer is None else np.asarray(buffer),
        update=np.asarray(update),
        new_param=np.asarray(new_param),
        lr=lr,
        momentum=momentum,
        weight_decay=weight_decay,
    )
    # With momentum 0 torch leaves an earlier buffer in place, to resume from if momentum returns.
    kept_buffer = terms.momentum_buffer if momentum != 0 else state.momentum_buffer
    return terms, SGDState(step=state.step + 1, momentum_buffer=kept_buffer)


def _adam(
    param: np.ndarray,
    grad: np.ndarray,
    state: AdamState | None,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
) -> tuple[AdamStepTerms, AdamState]:
    """The Adam step on checked options: its terms and the state for the next step."""
    param, grad = _check_arrays(param, grad)
    if state is None:
        state = AdamState(step=0, m=np.zeros_like(param), v=np.zeros_like(param))
    _check_state(state, AdamState, "Adam", param, ("m", "v"))
    m_prev = state.m.astype(param.dtype, copy=False)
    v_prev = state.v.astype(param.dtype, copy=False)
    step = state.step + 1

    with np.errstate(all="ignore"):
        effective_grad = grad + weight_decay * param if weight_decay != 0 else grad.copy()
        # Grouped as torch groups them: (1 - beta2) * g' first, then times g'.
        m = beta1 * m_prev + (1 - beta1) * effective_grad
        v = beta2 * v_prev + (1 - beta2) * effective_grad * effective_grad
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        m_hat = m / bias_correction1
        v_hat = v / bias_correction2
        # torch folds the bias corrections into a step size and the denominator; following it
        # keeps float32 results within rounding of torch's.
        step_size = lr / bias_correction1
        denom = np.sqrt(v) / bias_correction2**0.5 + eps
        update = (-step_size * m) / denom
        new_param = param + update

    terms = AdamStepTerms(
        param=param.copy(),
        grad=grad.copy(),
        effective_grad=np.asarray(effective_grad),
        m=np.asarray(m),
        v=np.asarray(v),
        m_hat=np.asarray(m_hat),
        v_hat=np.asarray(v_hat),
        step=step,
        update=np.asarray(update),
        new_param=np.asarray(new_param),
        lr=lr,
        beta1=beta1,
        beta2=beta2,
        eps=eps,
        weight_decay=weight_decay,
    )
    return terms, AdamState(step=step, m=terms.m, v=terms.v)


def _sgd_options(lr: Any, momentum: Any, weight_decay: Any) -> tuple[float, float, float]:
    """(lr, momentum, weight_decay) as checked Python floats."""
    return (
        _check_lr(lr),
        checks.fraction("Momentum", momentum),
        _check_weight_decay(weight_decay),
    )


def _adam_options(
    lr: Any, betas: Any, eps: Any, weight_decay: Any
) -> tuple[float, float, float, float, float]:
    """(lr, beta1, beta2, eps, weight_decay) as checked Python floats."""
    beta1, beta2 = checks.pair("Adam's betas", betas, "beta1", "beta2")
    return (
        _check_lr(lr),
        checks.fraction("beta1", beta1),
        checks.fraction("beta2", beta2),
        checks.number("eps", eps, above=0),
        _check_weight_decay(weight_decay),
    )


def _check_lr(lr: Any) -> float:
    # No MAX_LR here: a huge learning rate overflows to inf, which the caller reports.
    return checks.number("Learning rate", lr, above=0)


def _check_weight_decay(weight_decay: Any) -> float:
    return checks.number("Weight decay", weight_decay, at_least=0)


def _check_arrays(param: Any, grad: Any) -> tuple[np.ndarray, np.ndarray]:
    """param as a floating array and grad as an array of the same shape and dtype."""
    param = np.asarray(param)
    if param.dtype.kind != "f":
        raise ValueError(f"The parameter must be a floating-point array, got dtype {param.dtype}.")
    grad = np.asarray(grad)
    if grad.dtype.kind not in "fiu":
        raise ValueError(f"The gradient must be a real-valued array, got dtype {grad.dtype}.")
    if grad.shape != param.shape:
        raise ValueError(
            f"The gradient has shape {grad.shape} but the parameter has shape {param.shape}; "
            "they must match."
        )
    return param, grad.astype(param.dtype, copy=False)


def _check_state(
    state: Any, state_type: type, optimizer: str, param: np.ndarray, array_fields: tuple[str, ...]
) -> None:
    """state is a state_type whose step count and arrays (None allowed) fit param."""
    if not isinstance(state, state_type):
        raise ValueError(
            f"The {optimizer} state must be an {state_type.__name__}, or None before the first "
            f"step; got {type(state).__name__}."
        )
    step = state.step
    if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
        raise ValueError(f"The {optimizer} state's step must be a whole number >= 0, got {step!r}.")
    for name in array_fields:
        array = getattr(state, name)
        if array is None:
            continue
        if not isinstance(array, np.ndarray) or array.shape != param.shape:
            shape = getattr(array, "shape", type(array).__name__)
            raise ValueError(
                f"The {optimizer} state's {name} has shape {shape} but the parameter has "
                f"shape {param.shape}; was the state made for another parameter?"
            )


def _check_kind(kind: str) -> None:
    checks.choice("optimizer", kind, tuple(OPTIMIZERS))


def _check_option_names(kind: str, kw: Mapping[str, Any]) -> None:
    unknown = sorted(set(kw) - set(_OPTIONS[kind]))
    if unknown:
        raise ValueError(
            f"Unknown option(s) for {kind!r}: {', '.join(unknown)}. "
            f"It takes lr and {', '.join(_OPTIONS[kind])}."
        )


def _key_mismatch(what: str, got: Mapping[str, Any], params: Mapping[str, Any]) -> str:
    missing = [name for name in params if name not in got]
    extra = [name for name in got if name not in params]
    parts = []
    if missing:
        parts.append(f"missing {', '.join(missing)}")
    if extra:
        parts.append(f"unexpected {', '.join(extra)}")
    return f"The {what} do not match the parameters: {'; '.join(parts)}."
