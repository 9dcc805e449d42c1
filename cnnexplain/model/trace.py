"""One input through a model, every stage kept, and the same pass replayed in numpy.

`trace` runs the torch model child by child and keeps each child's output, then recomputes every
stage with the numpy `engine` (the `ops` reference math on copies of the model's own weights).
Pages show the numbers of either (they agree to float32 rounding, and `max_abs_diff` says by how
much), so what the learner reads under "the math" is the network's real output.

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
from torch import nn

from cnnexplain.core import checks
from cnnexplain.model import engine
from cnnexplain.model.head import HEADS

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
        return engine.named_stage(self.stages, name, "this trace")


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

    head = HEADS[spec.head]
    stages = [TraceStage("input", "input", x.copy(), x.copy(), x.shape)]
    out_t = torch.from_numpy(np.ascontiguousarray(x[None]))  # (1, C, H, W)
    # The replay carries its own values forward, never torch's.
    replayed = engine.forward(model, x[None])
    for stage, module in zip(replayed, model.children(), strict=True):
        out_t = module(out_t)
        torch_out = out_t.numpy()[0]
        stages.append(
            TraceStage(
                stage.name,
                stage.kind,
                torch_out,
                stage.out[0],
                torch_out.shape,
                stage.params,
                stage.hparams,
            )
        )

    logits_t, logits_np = out_t, replayed[-1].out  # (1, K) or (1, 1)
    # The head's own output: softmax (1, K), or sigmoid (1, 1), P(class 1).
    probs_t, probs_np = head.output(logits_t), head.output_numpy(logits_np)
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
    probs = head.probabilities(logits_t).numpy()[0].copy()  # (K,); [1 - p, p] for sigmoid

    loss = loss_numpy = None
    if label is not None:
        loss = head.loss(logits_t, torch.tensor([label])).item()
        loss_numpy, _ = head.loss_numpy(logits_np, np.array([label]))

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
