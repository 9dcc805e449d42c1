"""One training step, inspected: every gradient on the way back, every update, both verified.

`inspected_step` takes one optimizer step of a model on one batch and records all of it:

1. torch: the forward pass, the loss (mean cross-entropy, or binary cross-entropy on the logit
   of a sigmoid head) and autograd's gradient of every parameter;
2. numpy: the same forward pass with the `ops` math (the `engine` the forward trace runs, so it
   reads each layer's hyper-parameters exactly as the trace does), then the `ops` backward
   functions stage by stage, from dL/dlogits down to the input, keeping the gradient arriving
   at every stage's output and leaving through its input;
3. the check that the numpy parameter gradients equal autograd's (`grad_relative_error`);
4. the update with the `optim` numpy arithmetic, and the same update by `torch.optim` started
   from the same optimizer state (`update_relative_error`). Both use autograd's gradients, the
   reference: Adam divides each gradient by its own running size, so a gradient within rounding
   of 0 can change sign between two sums of the same terms and move its weight by up to 2 * lr;
   following autograd keeps every weight where torch.optim puts it. The `ops` gradients are the
   ones explained;
5. the loss on the same batch with the new weights.

All of it is computed in float64, from the model's weights cast up exactly. Training runs in
float32, which is plenty to learn with, but float32 cannot explain a step on a picture the
network is sure of: softmax minus one-hot, p - 1, loses its digits as p comes within 1e-7 of 1
(and is 0 beyond), and every gradient behind it is off by percents or by all of it. In float64
those gradients, and autograd's (also in float64) they are checked against, keep their digits.

The model passed in is never changed: the step runs on a private copy. What it leaves behind is
what training keeps: the new weights (`StepRecord.params_after`, named as in
`model.named_parameters()`) and the optimizer state to pass to the next step (`opt_state`: the
momentum buffer, Adam's m and v) are rounded once to the model's dtype, as torch.optim holds them
for a float32 model. So the state carried from step to step has one dtype whatever path it took;
the next step casts it up exactly and shows the value it really starts from (its m_{t-1} is this
step's m_t rounded to float32); a StepHistory keeps arrays the size of the model's, which its
byte budget counts; and `loss_after`, the float64 loss of the rounded weights the learner now
has, equals the next step's `loss_before` on the same batch. A page keeps its own history of
weights and loads the ones it shows with `load_params`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from cnnexplain.core import checks, optim
from cnnexplain.core.optim import MAX_LR
from cnnexplain.model import engine
from cnnexplain.model.engine import StageGrad
from cnnexplain.model.head import HEADS, Head
from cnnexplain.model.spec import clone_model

# Examples in one inspected step. The record keeps every stage's input, output and gradients
# for each example in float64, about 0.5 MB per example for the default network: 256 of them is
# already some 140 MB per step in a learner's session.
MAX_STEP_EXAMPLES = 256

# The dtype of every number an inspected step computes and explains (see the module docstring).
INSPECTED_DTYPE = torch.float64


@dataclass(frozen=True)
class OptimizerSettings:
    """Which optimizer takes the step, and its hyper-parameters (checked when made)."""

    kind: str = "sgd"  # one of optim.OPTIMIZERS: "sgd", "momentum" or "adam"
    lr: float = 0.01  # learning rate, above 0 and at most MAX_LR
    momentum: float = 0.9  # used by "momentum": weight of the previous step's direction
    betas: tuple[float, float] = (0.9, 0.999)  # used by "adam": decay of the two moments
    eps: float = 1e-8  # used by "adam": added to the denominator so it is never 0

    def __post_init__(self) -> None:
        checks.choice("optimizer", self.kind, tuple(optim.OPTIMIZERS))
        lr = checks.number("The learning rate", self.lr, above=0, at_most=MAX_LR)
        momentum = checks.fraction("Momentum", self.momentum)
        beta1, beta2 = checks.pair("Adam's betas", self.betas, "beta1", "beta2")
        betas = (checks.fraction("beta1", beta1), checks.fraction("beta2", beta2))
        eps = checks.number("eps", self.eps, above=0)
        # Plain floats, so the dataclass stays hashable and numpy keeps float32 arrays float32.
        object.__setattr__(self, "lr", lr)
        object.__setattr__(self, "momentum", momentum)
        object.__setattr__(self, "betas", betas)
        object.__setattr__(self, "eps", eps)

    def optimizer_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `optim.optimizer_step(kind, ...)` and `optim.torch_optimizer`.

        Only the options `kind` uses: lr for "sgd", lr and momentum for "momentum", lr, betas
        and eps for "adam".
        """
        if self.kind == "adam":
            return {"lr": self.lr, "betas": self.betas, "eps": self.eps}
        if self.kind == "momentum":
            return {"lr": self.lr, "momentum": self.momentum}
        return {"lr": self.lr}


@dataclass(frozen=True, eq=False)
class StepRecord:
    """Everything one optimizer step did on one batch of N examples.

    Parameter dicts are keyed like `model.named_parameters()`: "conv1.weight", "logits.bias", ...
    Every number is float64 except the weights and optimizer state the step leaves behind
    (params_before, params_after, opt_state), which have the model's dtype.
    """

    settings: OptimizerSettings  # the optimizer and its hyper-parameters
    labels: np.ndarray  # (N,) the true classes
    loss_before: float  # torch's mean loss on the batch before the step, in float64
    loss_after: float  # the same loss with params_after (inf or nan when the step diverged)
    logits: np.ndarray  # (N, K), or (N, 1) for a sigmoid head: torch's raw scores
    probs: np.ndarray  # (N, K) class probabilities; [1 - p, p] per row for a sigmoid head
    dlogits: np.ndarray  # like logits: (softmax - one-hot) / N, or (sigmoid - label) / N
    stage_grads: list[StageGrad]  # every child of the model, in forward order
    grads: dict[str, np.ndarray]  # dL/d parameter from the `ops` backward functions
    torch_grads: dict[str, np.ndarray]  # the same from torch autograd
    # Largest over the parameters of max|grads - torch_grads| / max|torch_grads| of that
    # parameter (see `relative_error`).
    grad_relative_error: float
    params_before: dict[str, np.ndarray]  # the weights the step started from (model's dtype)
    params_after: dict[str, np.ndarray]  # the numpy update, rounded to the model's dtype
    opt_state: dict[str, optim.SGDState | optim.AdamState]  # pass to the next step
    opt_terms: dict[str, optim.SGDStepTerms | optim.AdamStepTerms]  # the update's arithmetic
    # Largest over the parameters of max|our change - torch.optim's change| / max|torch.optim's
    # change| of that parameter, both updates taken in float64 from the same weights and state.
    update_relative_error: float
    diverged: bool  # loss_after or some weight in params_after is inf or nan

    @property
    def names(self) -> list[str]:
        """Stage names in forward order."""
        return [s.name for s in self.stage_grads]

    def stage(self, name: str) -> StageGrad:
        """The stage called `name`."""
        return engine.named_stage(self.stage_grads, name, "this step")


def params_of(model: nn.Module) -> dict[str, np.ndarray]:
    """Numpy copies of `model`'s parameters, by name: what `load_params` puts back."""
    return {name: p.detach().numpy().copy() for name, p in model.named_parameters()}


def load_params(model: nn.Module, params: Mapping[str, np.ndarray]) -> None:
    """Copy numpy weights (as in StepRecord.params_after) into `model`'s parameters, in place.

    `params` must name every parameter of the model, with its shape. Raises ValueError otherwise,
    before anything is copied.
    """
    named = dict(model.named_parameters())
    if params.keys() != named.keys():
        missing = [n for n in named if n not in params]
        extra = [n for n in params if n not in named]
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unexpected {', '.join(extra)}"] if extra else []
        )
        raise ValueError(f"The weights do not match the model's parameters: {'; '.join(parts)}.")
    for name, p in named.items():
        if np.shape(params[name]) != tuple(p.shape):
            raise ValueError(
                f"{name} has shape {np.shape(params[name])} but the model's is {tuple(p.shape)}."
            )
    with torch.no_grad():
        for name, p in named.items():
            p.copy_(torch.as_tensor(np.asarray(params[name]), dtype=p.dtype))


def _check_batch(x: Any, y: Any, spec: Any, dtype: torch.dtype) -> tuple[np.ndarray, np.ndarray]:
    """x as a (N, C, H, W) array of the model's dtype and y as (N,) int64 labels, checked."""
    np_dtype = torch.empty((), dtype=dtype).numpy().dtype
    x = np.ascontiguousarray(x, dtype=np_dtype)
    expected = (spec.in_channels, spec.input_size, spec.input_size)
    if x.ndim != 4 or x.shape[0] < 1 or x.shape[1:] != expected:
        raise ValueError(
            f"The batch must have shape (N, {', '.join(map(str, expected))}) "
            f"(examples, channels, rows, columns) with N >= 1, got shape {x.shape}."
        )
    if x.shape[0] > MAX_STEP_EXAMPLES:
        raise ValueError(
            f"One inspected step takes at most {MAX_STEP_EXAMPLES} examples, got {x.shape[0]}: "
            "use a smaller batch."
        )
    if not np.isfinite(x).all():
        raise ValueError("The batch contains NaN or infinite values.")
    labels = np.asarray(y)
    if labels.shape != (x.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"The labels must be {x.shape[0]} whole numbers, one per example, "
            f"got {labels.dtype} of shape {labels.shape}."
        )
    K = spec.num_classes
    if labels.min() < 0 or labels.max() >= K:
        raise ValueError(f"The labels must be classes from 0 to {K - 1}.")
    return x, labels.astype(np.int64)


def _check_step(
    model: nn.Module, settings: OptimizerSettings | None, opt_state: Mapping[str, Any] | None
) -> tuple[OptimizerSettings, Any]:
    """(settings, the model's spec), checked; plain SGD when settings is None.

    Refuses an optimizer state left by another optimizer, with what to do instead.
    """
    settings = OptimizerSettings() if settings is None else settings
    if not isinstance(settings, OptimizerSettings):
        raise ValueError(f"settings must be an OptimizerSettings, got {type(settings).__name__}.")
    spec = getattr(model, "spec", None)
    if spec is None:
        raise ValueError("The model has no .spec: build it with models.build_cnn or build_mlp.")
    kind = settings.kind
    expected = optim.AdamState if kind == "adam" else optim.SGDState
    for name, state in (opt_state or {}).items():
        if not isinstance(state, expected):
            raise ValueError(
                f"The optimizer state of {name} is a {type(state).__name__}, left by another "
                f"optimizer; {kind} needs {expected.__name__}s: start it with opt_state=None."
            )
    return settings, spec


def relative_error(ours: np.ndarray, reference: np.ndarray) -> float:
    """max|ours - reference| / the largest magnitude in either array, 0 when they are equal.

    Comparing with the largest value, not value by value, judges every entry on the scale of the
    whole array: an entry that is 0 in one and 1e-20 in the other does not count as 100% wrong.
    Equal infinities (or two NaNs) count as agreeing; a NaN on one side only gives NaN, and a
    difference where both arrays are otherwise all zero gives inf.
    """
    ours = np.asarray(ours, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(ours - reference)
        diff[(ours == reference) | (np.isnan(ours) & np.isnan(reference))] = 0.0
        largest_diff = float(np.max(diff, initial=0.0))
    if math.isnan(largest_diff) or largest_diff == 0.0:
        return largest_diff
    finite = np.isfinite(ours) & np.isfinite(reference)
    scale = max(
        float(np.max(np.abs(ours[finite]), initial=0.0)),
        float(np.max(np.abs(reference[finite]), initial=0.0)),
    )
    return largest_diff / scale if scale > 0 else math.inf


def _worst_relative_error(
    ours: Mapping[str, np.ndarray], reference: Mapping[str, np.ndarray]
) -> float:
    """The largest `relative_error` of any named array: NaN if any is NaN."""
    errors = [relative_error(ours[name], reference[name]) for name in reference]
    if any(math.isnan(e) for e in errors):
        return math.nan
    return max(errors, default=0.0)


def _load_torch_state(
    optimizer: torch.optim.Optimizer,
    params: list[torch.Tensor],
    names: list[str],
    opt_state: Mapping[str, optim.SGDState | optim.AdamState] | None,
) -> None:
    """Give a fresh torch optimizer the state the numpy optimizer carries, by parameter."""
    if opt_state is None:
        return
    state_dict = optimizer.state_dict()
    state: dict[int, dict[str, torch.Tensor]] = {}
    for index, (name, p) in enumerate(zip(names, params, strict=True)):
        s = opt_state[name]
        if isinstance(s, optim.AdamState):
            state[index] = {
                # torch keeps Adam's step count as a float32 scalar tensor on the CPU path.
                "step": torch.tensor(float(s.step), dtype=torch.float32),
                "exp_avg": torch.as_tensor(s.m, dtype=p.dtype).clone(),
                "exp_avg_sq": torch.as_tensor(s.v, dtype=p.dtype).clone(),
            }
        elif s.momentum_buffer is not None:
            state[index] = {
                "momentum_buffer": torch.as_tensor(s.momentum_buffer, dtype=p.dtype).clone()
            }
    state_dict["state"] = state
    optimizer.load_state_dict(state_dict)


def _rounded_state(
    state: optim.SGDState | optim.AdamState, dtype: np.dtype
) -> optim.SGDState | optim.AdamState:
    """The optimizer state with its arrays rounded to `dtype` (inf where they overflow it)."""
    with np.errstate(over="ignore"):
        if isinstance(state, optim.AdamState):
            return optim.AdamState(
                step=state.step, m=state.m.astype(dtype), v=state.v.astype(dtype)
            )
        buffer = state.momentum_buffer
        return optim.SGDState(
            step=state.step, momentum_buffer=None if buffer is None else buffer.astype(dtype)
        )


def _autograd(
    work: nn.Module, x: np.ndarray, labels: np.ndarray, head: Head
) -> tuple[float, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Step (1) on `work`, the step's own copy (its flags are set here): torch's forward pass.

    Returns the mean loss on the batch, the logits (N, K) or (N, 1), the probabilities (N, K)
    ([1 - p, p] per row for a sigmoid head) and autograd's dL/d parameter by name, in the
    model's parameter order.
    """
    named = dict(work.named_parameters())
    for p in named.values():
        p.requires_grad_(True)
    logits_t = work(torch.from_numpy(x))  # (N, K) or (N, 1)
    loss_t = head.loss(logits_t, torch.from_numpy(labels))
    grads_t = torch.autograd.grad(loss_t, list(named.values()))
    logits_t = logits_t.detach()
    return (
        float(loss_t.detach()),
        logits_t.numpy().copy(),
        head.probabilities(logits_t).numpy().copy(),
        {name: g.numpy().copy() for name, g in zip(named, grads_t, strict=True)},
    )


def _ops_gradients(
    work: nn.Module, x: np.ndarray, labels: np.ndarray, head: Head
) -> tuple[np.ndarray, list[StageGrad]]:
    """Step (2): dL/d logits, and the gradients through every stage, from the numpy engine.

    A diverging history shows up as inf or nan here, which the record reports rather than warns
    about.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        replayed = engine.forward(work, x)
        _, dlogits = head.loss_numpy(replayed[-1].out, labels)  # (N, K) or (N, 1)
        return dlogits, engine.backward(replayed, dlogits)


def _checked_update(
    work: nn.Module,
    settings: OptimizerSettings,
    params_before: Mapping[str, np.ndarray],
    grads: Mapping[str, np.ndarray],
    opt_state: Mapping[str, optim.SGDState | optim.AdamState] | None,
) -> tuple[
    dict[str, np.ndarray],
    dict[str, optim.SGDState | optim.AdamState],
    dict[str, optim.SGDStepTerms | optim.AdamStepTerms],
    float,
]:
    """Step (4): the `optim` update of `params_before`, and torch.optim's on `work`.

    `work` holds params_before cast up to float64; torch.optim leaves its own result there.
    Both start from the same optimizer state (optim casts it up to the dtype of the weights it
    is given). Returns the new weights and state in float64, the update's arithmetic and the
    relative error between the two updates (see StepRecord.update_relative_error).
    """
    kwargs = settings.optimizer_kwargs()
    exact_before = {name: p.astype(np.float64) for name, p in params_before.items()}
    exact_after, exact_state, terms = optim.optimizer_step(
        settings.kind, exact_before, grads, opt_state, **kwargs
    )
    named = dict(work.named_parameters())
    params = list(named.values())
    optimizer = optim.torch_optimizer(settings.kind, params, **kwargs)
    _load_torch_state(optimizer, params, list(named), opt_state)
    for name, p in named.items():
        p.grad = torch.from_numpy(grads[name].copy())
    optimizer.step()
    with np.errstate(invalid="ignore", over="ignore"):
        ours_change = {n: exact_after[n] - exact_before[n] for n in named}
        torch_change = {n: p.detach().numpy() - exact_before[n] for n, p in named.items()}
    return exact_after, exact_state, terms, _worst_relative_error(ours_change, torch_change)


def _loss_with(
    work: nn.Module, params: Mapping[str, np.ndarray], x: np.ndarray, labels: np.ndarray, head: Head
) -> float:
    """The mean loss on the batch after loading `params` into `work`, in `work`'s dtype."""
    load_params(work, params)
    with torch.no_grad():
        return float(head.loss(work(torch.from_numpy(x)), torch.from_numpy(labels)))


def inspected_step(
    model: nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    settings: OptimizerSettings | None = None,
    opt_state: Mapping[str, optim.SGDState | optim.AdamState] | None = None,
) -> StepRecord:
    """One optimizer step of `model` on the batch (x, y), with every number along the way.

    Inputs:
        model: an nn.Sequential from models.build_cnn or build_mlp (it needs `.spec`); only
            read, never changed. Its parameters' dtype (float32 as trained, or float64) is the
            dtype of the weights and optimizer state the step leaves behind.
        x: (N, C, H, W) inputs, converted to the model's dtype: the pictures the model is given.
        y: (N,) integer labels, from 0 to K - 1 (0 or 1 for a sigmoid head).
        settings: the optimizer; plain SGD with lr 0.01 when None.
        opt_state: `StepRecord.opt_state` of the previous step, or None for the first step.

    Steps (1) to (5) of the module docstring, every number in between in float64: the weights,
    the batch and the optimizer state are cast up (exactly), torch autograd and torch.optim run
    on a float64 copy of the model, and the numpy replay, its gradients and the optimizer's
    arithmetic (`opt_terms`) on float64 arrays. `grad_relative_error` and
    `update_relative_error` say how closely the two agree. The weights and optimizer state the
    step leaves behind are rounded once to the model's dtype (see the module docstring).

    When the step diverges (see `step_outcome`) the record still holds every number; keep
    `params_before` rather than `params_after`.

    Raises ValueError for a batch, labels or optimizer state that do not fit the model.
    """
    settings, spec = _check_step(model, settings, opt_state)
    params_before = params_of(model)  # in the model's dtype: what the history keeps
    kept_dtype = next(iter(params_before.values())).dtype
    x, labels = _check_batch(x, y, spec, next(model.parameters()).dtype)
    x = x.astype(np.float64)  # exact, and the step's own writable array
    # The step's own float64 copy (cast up exactly): autograd and torch.optim write to it.
    work = clone_model(model).to(INSPECTED_DTYPE)
    head = HEADS[spec.head]

    # (1) torch: forward, loss, autograd.
    loss_before, logits, probs, torch_grads = _autograd(work, x, labels, head)

    # (2) numpy: the same forward with every cache, then backwards stage by stage.
    dlogits, stage_grads = _ops_gradients(work, x, labels, head)
    grads = engine.parameter_gradients(stage_grads)

    # (3) the two gradients agree.
    grad_relative_error = _worst_relative_error(grads, torch_grads)

    # (4) the numpy update, and torch.optim's from the same state and gradients.
    exact_after, exact_state, terms, update_relative_error = _checked_update(
        work, settings, params_before, torch_grads, opt_state
    )

    # (5) keep what training keeps, and the loss on the same batch with those weights.
    with np.errstate(over="ignore"):
        params_after = {name: p.astype(kept_dtype) for name, p in exact_after.items()}
    new_state = {name: _rounded_state(s, kept_dtype) for name, s in exact_state.items()}
    loss_after = _loss_with(work, params_after, x, labels, head)
    finite = math.isfinite(loss_after) and all(np.isfinite(p).all() for p in params_after.values())
    return StepRecord(
        settings=settings,
        labels=labels,
        loss_before=loss_before,
        loss_after=loss_after,
        logits=logits,
        probs=probs,
        dlogits=dlogits,
        stage_grads=stage_grads,
        grads=grads,
        torch_grads=torch_grads,
        grad_relative_error=grad_relative_error,
        params_before=params_before,
        params_after=params_after,
        opt_state=new_state,
        opt_terms=terms,
        update_relative_error=update_relative_error,
        diverged=not finite,
    )


def local_gradient(stage: StageGrad) -> np.ndarray:
    """How an activation or pooling stage passes gradient back, shaped like its input.

    The stage's `ops` backward applied to an upstream gradient of ones: for an activation its
    derivative at every input (for ReLU the mask, 1 where the input was positive, else 0); for
    pooling the share of an output's gradient each input position receives (1 for the winner of
    a max window and 0 for the others; 1/size² for every position under average pooling;
    overlapping windows add up). dx == the same backward of dout, so dx = dout routed this way.
    """
    if stage.kind not in ("activation", "pool"):
        raise ValueError(
            f"Stage {stage.name} is a {stage.kind} stage; local_gradient explains activation "
            "and pooling stages."
        )
    dx, _, _ = engine.backward_stage(
        stage.kind, stage.hparams, np.ones_like(stage.out), stage.cache
    )
    return dx


@dataclass(frozen=True, eq=False)
class KernelWeightGradient:
    """dL/dw[f, c, kh, kw] of one conv stage written out as a sum of products.

    Every output position (i, j) of every example n read, through tap (kh, kw) of channel c,
    one padded input value; the gradient is the sum over n, i, j of that value times the
    gradient arriving at out[n, f, i, j].
    """

    layer: str  # the conv stage: "conv1", ...
    index: tuple[int, int, int, int]  # (f, c, kh, kw)
    inputs: np.ndarray  # (N, H', W') padded input value under the tap at each output position
    upstream: np.ndarray  # (N, H', W') dL/d out[:, f]: the gradient arriving at the conv output
    products: np.ndarray  # (N, H', W') inputs * upstream
    order: np.ndarray  # (N*H'*W',) indices into products.ravel() by |product|, largest first
    running_sum: np.ndarray  # (N*H'*W',) products added up in that order: [k] sums k + 1 largest
    zero_terms: int  # products exactly 0: no gradient came through, or the input read was 0
    input_rows: np.ndarray  # (H',) input row the tap reads; < 0 or >= H where it is padding
    input_cols: np.ndarray  # (W',) input column the tap reads; < 0 or >= W where it is padding
    total: float  # sum of products, summed in float64
    gradient: float  # record.grads[f"{layer}.weight"][f, c, kh, kw]; equal to total


def kernel_weight_gradient_terms(
    record: StepRecord, layer: str, f: int, c: int, kh: int, kw: int
) -> KernelWeightGradient:
    """The terms of the gradient of weight w[f, c, kh, kw] of conv stage `layer`.

    Reads the im2col matrix the forward pass multiplied, so `inputs` are exactly the numbers the
    gradient was computed from. Raises ValueError for a stage that is not a convolution or an
    index out of range.
    """
    conv_layers = [s.name for s in record.stage_grads if s.kind == "conv"]
    if layer not in conv_layers:
        raise ValueError(
            f"{checks.quoted(layer)} is not a convolution of this model; choose one of "
            f"{', '.join(conv_layers) or '(none: the model has no convolutions)'}."
        )
    stage = record.stage(layer)
    x_shape, w, cols, stride, padding, dilation = stage.cache  # as conv2d_backward unpacks it
    N, C, H, W = x_shape
    F_, _, KH, KW = w.shape
    indices = (
        ("filter f", f, F_),
        ("channel c", c, C),
        ("kernel row kh", kh, KH),
        ("kernel column kw", kw, KW),
    )
    for what, value, size in indices:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"{what} must be a whole number, got {checks.quoted(value)}.")
        if not 0 <= value < size:
            raise ValueError(f"{what} must be in 0..{size - 1} for {layer}, got {value}.")
    Ho, Wo = stage.dout.shape[2:]
    # cols has one row per (c, kh, kw), in the order of w.reshape(F, -1), and one column per
    # (n, i, j).
    inputs = cols[(c * KH + kh) * KW + kw].reshape(N, Ho, Wo).copy()
    upstream = stage.dout[:, f].copy()
    products = inputs * upstream
    flat = products.ravel()
    order = np.argsort(-np.abs(flat), kind="stable")
    return KernelWeightGradient(
        layer=layer,
        index=(int(f), int(c), int(kh), int(kw)),
        inputs=inputs,
        upstream=upstream,
        products=products,
        order=order,
        running_sum=np.cumsum(flat[order], dtype=np.float64),
        zero_terms=int(np.count_nonzero(flat == 0)),
        input_rows=np.arange(Ho) * stride - padding + kh * dilation,
        input_cols=np.arange(Wo) * stride - padding + kw * dilation,
        total=float(products.sum(dtype=np.float64)),
        gradient=float(record.grads[f"{layer}.weight"][f, c, kh, kw]),
    )


# A step explodes when the loss more than doubles and ends above several times the loss of a
# network that gives every class the same probability (log K): the weights jumped far past
# anywhere the gradient pointed, often into a region where ReLUs die and training cannot return.
EXPLOSION_GROWTH = 2.0
EXPLOSION_CHANCE_MULTIPLE = 3.0
# A step changes almost nothing when no weight moves by more than this fraction of the largest
# weight of its parameter, and the loss by no more than this fraction of itself.
TINY_WEIGHT_CHANGE = 1e-4
TINY_LOSS_CHANGE = 1e-3
# A mean loss below this means every example's true class has probability above about 0.99.
SURE_LOSS = 0.01

DIVERGED_OUTCOMES = ("nan", "inf", "weights")  # refused: the model keeps its last good weights
# What a step did, most alarming first; `step_outcome` returns the first that applies.
STEP_OUTCOMES = DIVERGED_OUTCOMES + ("exploded", "sure", "tiny", "rose", "fell", "steady")


@dataclass(frozen=True)
class StepOutcome:
    """What one step did to the loss and to the weights, in the terms a page explains it with.

    kind is one of STEP_OUTCOMES:
        "nan", "inf": the loss after the step became undefined, or infinite;
        "weights": the loss is finite but some weight became infinite or undefined;
        "exploded": the loss more than doubled (EXPLOSION_GROWTH) and ended above
            EXPLOSION_CHANCE_MULTIPLE times `chance_loss`;
        "sure": the step changed almost nothing (see TINY_WEIGHT_CHANGE) because the network is
            already sure of the right answers (loss before below SURE_LOSS);
        "tiny": the step changed almost nothing although the loss is not small;
        "rose", "fell", "steady": the loss went up, down, or stayed exactly the same.
    """

    kind: str
    loss_before: float  # mean loss on the batch before the step
    loss_after: float  # the same after the step
    largest_change: float  # largest |w_after - w_before| of any weight (nan if one is not finite)
    relative_change: float  # largest, over the parameters, of max |change| / max |w_before|
    chance_loss: float  # log K: the loss when every one of the K classes gets 1/K

    @property
    def kept(self) -> bool:
        """Whether the history keeps the step (a diverged one is refused)."""
        return self.kind not in DIVERGED_OUTCOMES

    @property
    def stops_run(self) -> bool:
        """Whether a run of several steps should stop at this one."""
        return self.kind in DIVERGED_OUTCOMES or self.kind == "exploded"

    @property
    def explosion_bound(self) -> float:
        """The loss above which a step that more than doubles it counts as an explosion."""
        return EXPLOSION_CHANCE_MULTIPLE * self.chance_loss


def step_outcome(record: StepRecord) -> StepOutcome:
    """Classify what `record`'s step did, from its loss before and after and its weight change.

    A diverged record gives "nan", "inf" or "weights" (which of its numbers overflowed); every
    other step is judged on what it did, not on where it started: a network that was sure of the
    answer can still be thrown far by a large learning rate.
    """
    before, after = float(record.loss_before), float(record.loss_after)
    changes, relatives = [0.0], [0.0]
    with np.errstate(invalid="ignore", over="ignore"):
        for name, start in record.params_before.items():
            change = float(np.max(np.abs(record.params_after[name] - start), initial=0.0))
            scale = float(np.max(np.abs(start), initial=0.0))
            changes.append(change)
            # A parameter that was all zeros and moved has changed without bound.
            relatives.append(change / scale if scale > 0 else (math.inf if change else 0.0))
    largest, relative = float(np.max(changes)), float(np.max(relatives))  # nan propagates
    classes = record.probs.shape[1]  # 2 for a sigmoid head: class 0 or class 1
    chance = math.log(classes)
    if math.isnan(after):
        kind = "nan"
    elif math.isinf(after):
        kind = "inf"
    elif record.diverged:
        kind = "weights"
    elif after > EXPLOSION_GROWTH * before and after > EXPLOSION_CHANCE_MULTIPLE * chance:
        kind = "exploded"
    elif relative < TINY_WEIGHT_CHANGE and abs(after - before) <= TINY_LOSS_CHANGE * before:
        kind = "sure" if before < SURE_LOSS else "tiny"
    elif after > before:
        kind = "rose"
    elif after < before:
        kind = "fell"
    else:
        kind = "steady"
    return StepOutcome(
        kind=kind,
        loss_before=before,
        loss_after=after,
        largest_change=largest,
        relative_change=relative,
        chance_loss=chance,
    )
