"""The numpy engine: a torch network replayed forward with the `ops` math, and run backwards.

`forward` applies each child of the model to a batch with the `ops` forward function of its kind,
on numpy copies of the model's own weights, and keeps every stage's input, output and cache.
`backward` walks those stages in reverse with the matching `ops` backward functions, from the
gradient at the logits down to the input, and keeps the gradient arriving at every stage's output
and leaving through its input, with dL/d weight and dL/d bias where the stage has them.

The forward trace, the inspected training step and the saliency check all run this one engine,
so each reads a layer's hyper-parameters, and routes a gradient through it, the same way. The
arrays keep the dtype they are given: float32 for a trace, float64 for an inspected step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from torch import nn

from cnnexplain.core import ops
from cnnexplain.model.spec import ACTIVATION_MODULES

_ACTIVATION_KINDS = {module: kind for kind, module in ACTIVATION_MODULES.items()}
_PARAM_KINDS = ("conv", "dense", "logits")  # stages whose weight and bias are parameters


@dataclass(frozen=True, eq=False)
class ReplayedStage:
    """One child of the model applied to a batch with the `ops` math.

    Arrays keep the batch dimension N: (N, C, H, W) for feature maps, (N, D) for vectors.
    """

    name: str  # the model's child name: "conv1", "relu1", "maxpool1", "flatten", "logits", ...
    kind: str  # conv, activation, pool, flatten, dense or logits
    x: np.ndarray  # the stage's input: the previous stage's output, or the batch
    out: np.ndarray  # its output
    params: dict[str, np.ndarray]  # numpy copies of weight (F, C, KH, KW) or (M, D) and bias
    hparams: dict[str, Any]  # stride, padding, dilation; pool, size, stride; activation
    cache: Any  # what the matching `ops.*_backward` takes


@dataclass(frozen=True, eq=False)
class StageGrad(ReplayedStage):
    """One replayed stage on the way back: its forward values and the gradients through it.

    Shapes are those of the stage's input x and output out, with the batch dimension N.
    """

    dout: np.ndarray  # dL/d out, shaped like out: the gradient arriving from the stage after
    dx: np.ndarray  # dL/d x, shaped like x: the gradient passed to the stage before
    dw: np.ndarray | None  # dL/d weight, (F, C, KH, KW) or (M, D); None without parameters
    db: np.ndarray | None  # dL/d bias, (F,) or (M,); None without parameters


def _square(value: Any, what: str, name: str) -> int:
    """A torch int-or-pair hyper-parameter as one int (the replay handles square settings)."""
    if isinstance(value, int):
        return value
    if isinstance(value, tuple) and len(value) == 2 and value[0] == value[1]:
        return int(value[0])
    raise ValueError(
        f"Stage {name}: {what} {value!r} is not one whole number for rows and columns alike."
    )


def _weights(module: nn.Conv2d | nn.Linear) -> dict[str, np.ndarray]:
    """Numpy copies of a layer's weight and bias: the replay never shares the model's memory."""
    return {
        "weight": module.weight.detach().numpy().copy(),  # (F, C, KH, KW) or (M, D)
        "bias": module.bias.detach().numpy().copy(),  # (F,) or (M,)
    }


def replay_stage(name: str, module: nn.Module, x: np.ndarray) -> ReplayedStage:
    """One child of the model, called `name`, applied to x (N, ...) with the `ops` math.

    Raises ValueError for a layer, or a setting of one, that the replay cannot follow.
    """
    if isinstance(module, nn.Conv2d):
        if module.groups != 1 or module.padding_mode != "zeros" or module.bias is None:
            raise ValueError(
                f"Stage {name}: the replay handles ungrouped convolutions with zero padding "
                "and a bias only."
            )
        params = _weights(module)
        hparams = {
            "stride": _square(module.stride, "stride", name),
            "padding": _square(module.padding, "padding", name),
            "dilation": _square(module.dilation, "dilation", name),
        }
        out, cache = ops.conv2d_forward(x, params["weight"], params["bias"], **hparams)
        return ReplayedStage(name, "conv", x, out, params, hparams, cache)
    if type(module) in _ACTIVATION_KINDS:
        kind = _ACTIVATION_KINDS[type(module)]
        out, cache = ops.activation_forward(x, kind)
        return ReplayedStage(name, "activation", x, out, {}, {"activation": kind}, cache)
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
            return ReplayedStage(name, "pool", x, out, {}, {"pool": "max", **hparams}, cache)
        out, cache = ops.avgpool2d_forward(x, **hparams)
        return ReplayedStage(name, "pool", x, out, {}, {"pool": "avg", **hparams}, cache)
    if isinstance(module, nn.Flatten):
        out, cache = ops.flatten_forward(x)
        return ReplayedStage(name, "flatten", x, out, {}, {}, cache)
    if isinstance(module, nn.Linear):
        params = _weights(module)
        out, cache = ops.dense_forward(x, params["weight"], params["bias"])
        kind = "logits" if name == "logits" else "dense"
        return ReplayedStage(name, kind, x, out, params, {}, cache)
    raise ValueError(f"Stage {name}: no numpy replay for a {type(module).__name__} layer.")


def backward_stage(
    kind: str, hparams: dict[str, Any], dout: np.ndarray, cache: Any
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The ops backward of one replayed stage: (dx, dw, db) from the gradient at its output.

    `kind`, `hparams` and `cache` are those of the stage's ReplayedStage (or StageGrad); dw and
    db are None for stages without parameters.
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


S = TypeVar("S")  # a stage of a trace or of a step: anything with a .name


def named_stage(stages: Sequence[S], name: str, where: str) -> S:
    """The stage called `name` among `stages`; KeyError naming `where` and every stage if none."""
    for s in stages:
        if s.name == name:
            return s
    names = ", ".join(s.name for s in stages)
    raise KeyError(f"No stage {name!r} in {where}; stages: {names}.")


def forward(model: nn.Module, x: np.ndarray) -> list[ReplayedStage]:
    """Every child of `model` applied in turn to the batch x (N, C, H, W), in forward order.

    Each stage reads the previous stage's numpy output, never torch's; the last output is the
    logits, (N, K) or (N, 1) for a sigmoid head.
    """
    stages = []
    for name, module in model.named_children():
        stages.append(replay_stage(name, module, x))
        x = stages[-1].out
    return stages


def backward(stages: list[ReplayedStage], dlogits: np.ndarray) -> list[StageGrad]:
    """The gradients through every stage, in forward order, from dL/d logits (like the last out).

    Each stage's dx is the dout of the stage before it; the first stage's dx is dL/d input.
    """
    grads = []
    dout = dlogits
    for stage in reversed(stages):
        dx, dw, db = backward_stage(stage.kind, stage.hparams, dout, stage.cache)
        grads.append(StageGrad(**vars(stage), dout=dout, dx=dx, dw=dw, db=db))
        dout = dx
    grads.reverse()
    return grads


def parameter_gradients(grads: list[StageGrad]) -> dict[str, np.ndarray]:
    """dL/d parameter by name, "conv1.weight", "conv1.bias", ..., in forward order."""
    out = {}
    for stage in grads:
        if stage.kind in _PARAM_KINDS:
            out[f"{stage.name}.weight"], out[f"{stage.name}.bias"] = stage.dw, stage.db
    return out
