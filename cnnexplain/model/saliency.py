"""What the network looked at: gradient saliency and Grad-CAM for one input.

Both ask the model one question: how much would the score of a class change if a part of the
input (or of a feature map) changed a little? autograd answers it.

* Saliency: |d score / d pixel|, the largest over the input's channels, one number per pixel.
* Grad-CAM: for one feature-map stage (by default the activation after the last convolution,
  before its pooling), weight each channel by the mean over the map of d score / d channel, add
  the weighted channels, keep the positive part, upsample it to the input size and scale it to
  [0, 1].

The score of class k is its logit, before softmax. With a sigmoid head the one logit z is the
score of class 1 and -z the score of class 0.

The model is only read. Gradients come from `torch.autograd.grad` with respect to the input and
the chosen feature map, so no parameter gets a `.grad`, no `requires_grad` flag is flipped, no
hook is registered and the train/eval mode is left as it is: a model shared by every user can be
explained by all of them at once, even with its parameters frozen (`requires_grad=False`),
because the input requires a gradient and so does everything computed from it.

The same gradients are derived a second time by the numpy `engine` (the `ops` backward functions
on the numpy replay of the forward pass); `max_abs_diff` says how closely they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnexplain.core import checks
from cnnexplain.model import engine
from cnnexplain.model.head import HEADS
from cnnexplain.model.spec import ACTIVATION_MODULES
from cnnexplain.model.trace import check_class, check_input

NO_CONV_MESSAGE = "Grad-CAM needs a convolution layer; this network has none."

_FEATURE_MAP_MODULES = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, *ACTIVATION_MODULES.values())
_NUMPY_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}


@dataclass(frozen=True, eq=False)
class SaliencyResult:
    """The gradient of one class score with respect to every input value."""

    saliency: np.ndarray  # (H, W) max over channels of |gradient|
    gradient: np.ndarray  # (C, H, W) d score / d input from torch, with its sign
    numpy_gradient: np.ndarray  # (C, H, W) the same from the ops backward functions
    target: int  # the class whose score was differentiated
    predicted: int  # the class the model predicts for this input
    score: float  # the target's score: its logit (sigmoid head: z for class 1, -z for class 0)
    max_abs_diff: float  # largest |gradient − numpy_gradient|


@dataclass(frozen=True, eq=False)
class GradCamResult:
    """Grad-CAM of one class on one feature-map stage, with every intermediate value."""

    layer: str  # the stage whose output was used: "relu2", "conv1", "maxpool1", ...
    target: int  # the class whose score was differentiated
    predicted: int  # the class the model predicts for this input
    score: float  # the target's score, as in SaliencyResult
    activations: np.ndarray  # (C', h, w) the stage's output A
    gradients: np.ndarray  # (C', h, w) d score / d A from torch
    weights: np.ndarray  # (C',) mean of gradients over each map: how much each channel counts
    cam: np.ndarray  # (h, w) relu(sum over k of weights[k] * A[k]), before upsampling
    upsampled: np.ndarray  # (H, W) cam resized bilinearly to the input, divided by its max (if > 0)
    max_abs_diff: float  # largest |gradients − the same from the ops backward functions|


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


def _check_model(model: nn.Module) -> Any:
    spec = getattr(model, "spec", None)
    if spec is None:
        raise ValueError("The model has no .spec: build it with models.build_cnn or build_mlp.")
    return spec


def _numpy_dtype(model: nn.Module) -> type[np.floating]:
    """The numpy dtype of the model's parameters: float32 for the app, float64 for checks."""
    dtype = next(model.parameters()).dtype
    if dtype not in _NUMPY_DTYPES:
        raise ValueError(f"Explanations need a float32 or float64 model, this one is {dtype}.")
    return _NUMPY_DTYPES[dtype]


def _feature_map_stages(model: nn.Module) -> list[str]:
    """Names of the conv, activation and pool stages before flatten, in order."""
    names = []
    for name, module in model.named_children():
        if isinstance(module, nn.Flatten):
            break
        if isinstance(module, _FEATURE_MAP_MODULES):
            names.append(name)
    return names


def _default_layer(model: nn.Module) -> str:
    """The activation after the last convolution, or the convolution if it has none."""
    children = list(model.named_children())
    conv_positions = [i for i, (_, m) in enumerate(children) if isinstance(m, nn.Conv2d)]
    if not conv_positions:
        raise ValueError(NO_CONV_MESSAGE)
    last = conv_positions[-1]
    after = last + 1
    if after < len(children) and type(children[after][1]) in ACTIVATION_MODULES.values():
        return children[after][0]
    return children[last][0]


# --------------------------------------------------------------------------------------------
# The score and its gradients
# --------------------------------------------------------------------------------------------


def _forward(
    model: nn.Module, x_t: torch.Tensor, keep: str | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Logits (1, K) for x_t (1, C, H, W), and the output of stage `keep` on the way."""
    out, kept = x_t, None
    for name, module in model.named_children():
        out = module(out)
        if name == keep:
            kept = out
    return out, kept


def _numpy_gradient(model: nn.Module, x: np.ndarray, target: int, stage: str | None) -> np.ndarray:
    """d score / d (output of stage `stage`, or of the input when None), from the numpy engine.

    x: (C, H, W). Returns the gradient with the batch dim removed.
    """
    replayed = engine.forward(model, x[None])
    dscore = HEADS[model.spec.head].dscore_numpy(replayed[-1].out, target)  # (1, K) or (1, 1)
    grads = engine.backward(replayed, dscore)
    if stage is None:
        return grads[0].dx[0]
    return next(g.dout[0] for g in grads if g.name == stage)


def _max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b), initial=0.0))


@dataclass(frozen=True, eq=False)
class _ScoreGradients:
    """One forward pass and the gradient of the target's score, from torch."""

    target: int
    predicted: int
    score: float
    dx: torch.Tensor  # (C, H, W) d score / d input
    kept: torch.Tensor | None  # (C', h, w) output of the kept stage, if one was asked for
    dkept: torch.Tensor | None  # (C', h, w) d score / d kept


def _score_gradients(
    model: nn.Module, x: np.ndarray, target: int | None, keep: str | None
) -> _ScoreGradients:
    """Forward x (C, H, W), keeping the output of stage `keep`, and differentiate the score."""
    head = HEADS[model.spec.head]
    # A fresh leaf that requires a gradient: everything computed from it does too, whatever the
    # parameters' flags, so autograd reaches the input and the kept stage.
    x_t = torch.from_numpy(x[None]).requires_grad_()  # (1, C, H, W)
    with torch.enable_grad():
        logits, kept = _forward(model, x_t, keep)  # (1, K) or (1, 1)
        predicted = int(head.predicted(logits.detach())[0])
        target = predicted if target is None else target
        score = head.score(logits, target)[0]
        grads = torch.autograd.grad(score, [x_t] if kept is None else [x_t, kept])
    return _ScoreGradients(
        target=target,
        predicted=predicted,
        score=score.item(),
        dx=grads[0][0],
        kept=None if kept is None else kept.detach()[0],
        dkept=None if kept is None else grads[1][0],
    )


# --------------------------------------------------------------------------------------------
# The two explanations
# --------------------------------------------------------------------------------------------


def saliency_map(model: nn.Module, x: np.ndarray, target: int | None = None) -> SaliencyResult:
    """Vanilla gradient saliency of class `target` for one input.

    model: from models.build_cnn or build_mlp (any dtype; the input is converted to it).
    x: (C, H, W) or (1, C, H, W). target: a class, by default the predicted one; with a sigmoid
    head 0 or 1.

    Returns the (H, W) map max_c |d score / d x[c, h, w]|, the signed (C, H, W) gradient from
    torch and from the ops backward functions, and the score. Raises ValueError for an input or
    target that does not fit the model.
    """
    spec = _check_model(model)
    x = check_input(x, spec, _numpy_dtype(model))
    target = check_class(target, spec.num_classes, "target")
    run = _score_gradients(model, x, target, keep=None)
    gradient = run.dx.numpy().copy()  # (C, H, W)
    numpy_gradient = _numpy_gradient(model, x, run.target, stage=None)
    return SaliencyResult(
        saliency=np.abs(gradient).max(axis=0),  # (H, W)
        gradient=gradient,
        numpy_gradient=numpy_gradient,
        target=run.target,
        predicted=run.predicted,
        score=run.score,
        max_abs_diff=_max_abs_diff(gradient, numpy_gradient),
    )


def grad_cam(
    model: nn.Module, x: np.ndarray, target: int | None = None, layer: str | None = None
) -> GradCamResult:
    """Grad-CAM of class `target` on the output of stage `layer`, for one input.

    model: from models.build_cnn (an MLP has no feature maps). x: (C, H, W) or (1, C, H, W).
    target: a class, by default the predicted one. layer: a conv, activation or pool stage before
    flatten; by default the activation after the last convolution (the convolution itself if
    that block has no activation).

    With A (C', h, w) the stage's output and G = d score / d A:
        weights[k] = mean over (h, w) of G[k]                       # (C',)
        cam = relu(sum over k of weights[k] * A[k])                 # (h, w)
        upsampled = bilinear resize of cam to (H, W), divided by its max   # in [0, 1]
    A map with no positive value stays all zeros.

    Raises ValueError for a network without convolutions, an unknown or unsuitable layer, or an
    input or target that does not fit the model.
    """
    spec = _check_model(model)
    default = _default_layer(model)  # raises for a network without convolutions
    choices = _feature_map_stages(model)
    layer = default if layer is None else layer
    if layer not in choices:
        raise ValueError(
            f"Grad-CAM works on a feature map: {checks.quoted(layer)} is not a conv, activation "
            "or pooling "
            f"stage of this network; choose one of {', '.join(choices)}."
        )
    x = check_input(x, spec, _numpy_dtype(model))
    target = check_class(target, spec.num_classes, "target")
    run = _score_gradients(model, x, target, keep=layer)
    acts_t, grads_t = run.kept, run.dkept  # (C', h, w) each

    weights_t = grads_t.mean(dim=(1, 2))  # (C',)
    cam_t = torch.relu((weights_t[:, None, None] * acts_t).sum(dim=0))  # (h, w)
    H, W = x.shape[1:]
    # Bilinear weights are non-negative, so the resized map stays >= 0 and its max is the
    # largest value; dividing by it gives exactly 1 there.
    up_t = F.interpolate(cam_t[None, None], size=(H, W), mode="bilinear", align_corners=False)
    upsampled = up_t[0, 0].numpy().copy()  # (H, W)
    peak = upsampled.max()
    if peak > 0:
        upsampled /= peak

    gradients = grads_t.numpy().copy()
    numpy_gradients = _numpy_gradient(model, x, run.target, stage=layer)
    return GradCamResult(
        layer=layer,
        target=run.target,
        predicted=run.predicted,
        score=run.score,
        activations=acts_t.numpy().copy(),
        gradients=gradients,
        weights=weights_t.numpy().copy(),
        cam=cam_t.numpy().copy(),
        upsampled=upsampled,
        max_abs_diff=_max_abs_diff(gradients, numpy_gradients),
    )
