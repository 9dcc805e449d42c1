"""One input through a model, every stage kept, and the same pass replayed in numpy.

`trace` runs the torch model child by child and keeps each child's output, then recomputes every
stage with the `ops` reference math on numpy copies of the model's own weights. Pages show the
numbers of either (they agree to float32 rounding, and `max_abs_diff` says by how much), so what
the learner reads under "the math" is the network's real output.

The model is only read, never changed (not even switched between train and eval mode: none of
its layers depend on the mode), so a model shared by every user can be traced by all of them at
once.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnexplain.core import checks, ops
from cnnexplain.model.spec import ACTIVATION_MODULES

_ACTIVATION_KINDS = {module: kind for kind, module in ACTIVATION_MODULES.items()}
# Largest input value taken, either sign. Pictures here hold values from 0 to 1 (standardised
# inputs a few units either side of 0); a value a thousand times brighter than white can only
# come from a broken input, and would turn the numbers of every later stage into nonsense.
MAX_INPUT_MAGNITUDE = 1000.0


@dataclass(frozen=True, eq=False)
class TraceStage:
    """One stage's output for one input, from torch and from the numpy replay."""

    name: str  # stage name as in models.stage_shapes: "conv1", "relu1", "maxpool1", "logits", ...
    kind: str  # input, conv, activation, pool, flatten, dense, logits or probs
    torch_out: np.ndarray  # the torch module's output, batch dim removed: (C, H, W) or (D,)
    numpy_out: np.ndarray  # cnnexplain.core.ops applied to the previous stage's numpy_out
    shape: tuple[int, ...]  # shape of both outputs
    params: dict[str, np.ndarray] = field(default_factory=dict)  # numpy copies: weight, bias
    hparams: dict[str, Any] = field(default_factory=dict)  # stride, padding, size, activation..

    @property
    def max_abs_diff(self) -> float:
        """Largest |torch − numpy| over this stage's values."""
        return float(np.max(np.abs(self.torch_out - self.numpy_out), initial=0.0))


@dataclass(frozen=True, eq=False)
class Trace:
    """Everything one input does in a model: each stage, the prediction and the loss."""

    stages: list[TraceStage]  # in order: input, every child of the model, probs
    logits: np.ndarray  # (K,), or (1,) for a sigmoid head: torch's raw scores
    probs: np.ndarray  # (K,) probability of each class; for a sigmoid head [1 − p, p]
    predicted: int  # the class with the highest probability
    label: int | None  # the true class, when it was given
    loss: float | None  # torch's cross-entropy (or binary cross-entropy) for label
    loss_numpy: float | None  # the same loss from cnnexplain.core.ops
    max_abs_diff: float  # largest |torch − numpy| over every stage

    @property
    def names(self) -> list[str]:
        """Stage names in order."""
        return [s.name for s in self.stages]

    def stage(self, name: str) -> TraceStage:
        """The stage called `name`."""
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(f"No stage {name!r} in this trace; stages: {', '.join(self.names)}.")


def _square(value: Any, what: str, name: str) -> int:
    """A torch int-or-pair hyper-parameter as one int (the replay handles square settings)."""
    if isinstance(value, int):
        return value
    if isinstance(value, tuple) and len(value) == 2 and value[0] == value[1]:
        return int(value[0])
    raise ValueError(
        f"Stage {name}: {what} {value!r} is not one whole number for rows and columns alike."
    )


def replay_stage(
    name: str, module: nn.Module, x: np.ndarray
) -> tuple[str, np.ndarray, dict[str, np.ndarray], dict[str, Any], Any]:
    """One child of the model applied to x (N, ...) with the `ops` math.

    Returns (kind, numpy output, params, hparams, cache); cache is what the matching
    `ops.*_backward` takes, so `backprop` can run the same stage backwards.
    """
    if isinstance(module, nn.Conv2d):
        if module.groups != 1 or module.padding_mode != "zeros" or module.bias is None:
            raise ValueError(
                f"Stage {name}: the replay handles ungrouped convolutions with zero padding "
                "and a bias only."
            )
        params = {
            "weight": module.weight.detach().numpy().copy(),  # (F, C, KH, KW)
            "bias": module.bias.detach().numpy().copy(),  # (F,)
        }
        hparams = {
            "stride": _square(module.stride, "stride", name),
            "padding": _square(module.padding, "padding", name),
            "dilation": _square(module.dilation, "dilation", name),
        }
        out, cache = ops.conv2d_forward(x, params["weight"], params["bias"], **hparams)
        return "conv", out, params, hparams, cache
    if type(module) in _ACTIVATION_KINDS:
        kind = _ACTIVATION_KINDS[type(module)]
        out, cache = ops.activation_forward(x, kind)
        return "activation", out, {}, {"activation": kind}, cache
    if isinstance(module, nn.MaxPool2d | nn.AvgPool2d):
        if _square(module.padding, "padding", name) != 0 or module.ceil_mode:
            raise ValueError(f"Stage {name}: the replay handles pooling without padding only.")
        hparams = {
            "size": _square(module.kernel_size, "pool size", name),
            "stride": _square(module.stride, "pool stride", name),
        }
        if isinstance(module, nn.MaxPool2d):
            if _square(module.dilation, "pool dilation", name) != 1:
                raise ValueError(f"Stage {name}: the replay handles undilated pooling only.")
            out, cache = ops.maxpool2d_forward(x, **hparams)
            return "pool", out, {}, {"pool": "max", **hparams}, cache
        out, cache = ops.avgpool2d_forward(x, **hparams)
        return "pool", out, {}, {"pool": "avg", **hparams}, cache
    if isinstance(module, nn.Flatten):
        out, cache = ops.flatten_forward(x)
        return "flatten", out, {}, {}, cache
    if isinstance(module, nn.Linear):
        params = {
            "weight": module.weight.detach().numpy().copy(),  # (M, D)
            "bias": module.bias.detach().numpy().copy(),  # (M,)
        }
        out, cache = ops.dense_forward(x, params["weight"], params["bias"])
        return ("logits" if name == "logits" else "dense"), out, params, {}, cache
    raise ValueError(f"Stage {name}: no numpy replay for a {type(module).__name__} layer.")


def backward_stage(
    kind: str, hparams: dict[str, Any], dout: np.ndarray, cache: Any
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The ops backward of one replayed stage: (dx, dw, db) from the gradient at its output.

    `kind`, `hparams` and `cache` are what `replay_stage` returned for that stage; dw and db are
    None for stages without parameters.
    """
    if kind == "conv":
        return ops.conv2d_backward(dout, cache)
    if kind in ("dense", "logits"):
        return ops.dense_backward(dout, cache)
    if kind == "activation":
        return ops.activation_backward(dout, cache), None, None
    if kind == "pool":
        backward = ops.maxpool2d_backward if hparams["pool"] == "max" else ops.avgpool2d_backward
        return backward(dout, cache), None, None
    if kind == "flatten":
        return ops.flatten_backward(dout, cache), None, None
    raise ValueError(f"No backward pass for a {kind!r} stage.")


def check_input(x: Any, spec: Any, dtype: type[np.floating] = np.float32) -> np.ndarray:
    """x as a (C, H, W) array of `dtype`, of the size the spec expects, owned by the caller.

    Raises ValueError for another shape, for NaN or infinite values, for values beyond
    ±MAX_INPUT_MAGNITUDE, and for anything that is not an array of numbers.
    """
    # A copy: the caller's array may be read-only (shared data sets), which torch warns about.
    try:
        x = np.array(x, dtype=dtype)
    except (TypeError, ValueError):
        raise ValueError(
            f"The input must be an array of numbers, got {checks.quoted(x)}."
        ) from None
    if x.ndim == 4 and x.shape[0] == 1:
        x = x[0]
    expected = (spec.in_channels, spec.input_size, spec.input_size)
    if x.shape != expected:
        raise ValueError(
            f"The model expects one input of shape {expected} (channels, rows, columns), "
            f"got shape {x.shape}."
        )
    if not np.isfinite(x).all():
        raise ValueError("The input contains NaN or infinite values.")
    largest = float(np.abs(x).max(initial=0.0))
    if largest > MAX_INPUT_MAGNITUDE:
        raise ValueError(
            f"The input values must be between -{MAX_INPUT_MAGNITUDE:g} and "
            f"{MAX_INPUT_MAGNITUDE:g} (pictures here hold values from 0 to 1), got {largest:g}."
        )
    return x


def check_class(value: Any, num_classes: int, what: str = "label") -> int | None:
    """A class index in 0..K-1 (None passes through); `what` names it in the message."""
    if value is None:
        return None
    try:
        number = operator.index(value)
    except TypeError:
        number = None
    if number is None or isinstance(value, bool) or not 0 <= number < num_classes:
        raise ValueError(
            f"The {what} must be a class from 0 to {num_classes - 1}, got {checks.quoted(value)}."
        )
    return number


@torch.no_grad()
def trace(model: nn.Module, x: np.ndarray, label: int | None = None) -> Trace:
    """Run `model` (from models.build_cnn or build_mlp) on one input and replay it in numpy.

    x: (C, H, W) or (1, C, H, W), converted to float32. label: the true class, for the loss; with
    a sigmoid head 0 or 1. Raises ValueError for an input or label that does not fit the model.
    """
    spec = getattr(model, "spec", None)
    if spec is None:
        raise ValueError("The model has no .spec: build it with models.build_cnn or build_mlp.")
    x = check_input(x, spec)
    label = check_class(label, spec.num_classes)

    stages = [TraceStage("input", "input", x.copy(), x.copy(), x.shape)]
    out_t = torch.from_numpy(np.ascontiguousarray(x[None]))  # (1, C, H, W)
    out_np = x[None]  # the replay carries its own values forward, never torch's
    for name, module in model.named_children():
        out_t = module(out_t)
        kind, out_np, params, hparams, _ = replay_stage(name, module, out_np)
        torch_out = out_t.numpy()[0]
        stages.append(
            TraceStage(name, kind, torch_out, out_np[0], torch_out.shape, params, hparams)
        )

    logits_t, logits_np = out_t, out_np  # (1, K) or (1, 1)
    if spec.head == "sigmoid":
        probs_t, probs_np = torch.sigmoid(logits_t), ops.sigmoid(logits_np)  # (1, 1): P(class 1)
        probs = np.array([1.0 - probs_t[0, 0].item(), probs_t[0, 0].item()], dtype=np.float32)
    else:
        probs_t, probs_np = torch.softmax(logits_t, dim=1), ops.softmax(logits_np)  # (1, K)
        probs = probs_t.numpy()[0].copy()
    stages.append(
        TraceStage(
            "probs",
            "probs",
            probs_t.numpy()[0],
            probs_np[0],
            tuple(probs_t.shape[1:]),
            hparams={"head": spec.head},
        )
    )

    loss = loss_numpy = None
    if label is not None:
        if spec.head == "sigmoid":
            target = torch.tensor([float(label)])
            loss = F.binary_cross_entropy_with_logits(logits_t.reshape(-1), target).item()
            loss_numpy, _ = ops.sigmoid_binary_cross_entropy(logits_np, np.array([label]))
        else:
            loss = F.cross_entropy(logits_t, torch.tensor([label])).item()
            loss_numpy, _ = ops.softmax_cross_entropy(logits_np, np.array([label]))

    return Trace(
        stages=stages,
        logits=logits_t.numpy()[0].copy(),
        probs=probs,
        predicted=int(np.argmax(probs)),
        label=label,
        loss=loss,
        loss_numpy=loss_numpy,
        max_abs_diff=max(s.max_abs_diff for s in stages),
    )
