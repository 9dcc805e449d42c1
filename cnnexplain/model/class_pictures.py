"""What the network thinks each class looks like: the picture it scores highest for the class.

Start from a plain grey picture (plus a tiny seeded jitter) and climb the class's score by
gradient ascent on the picture, the model held fixed. The score is the class's logit, before
softmax or sigmoid (with a sigmoid head, z for class 1 and -z for class 0, see `model.head`):
pushing a probability instead would stop climbing once it is near 1 and could also rise by
lowering the other classes. Each step:

    objective(x) = score_k(x) - smoothness * sum of squared differences of neighbour pixels
    x <- clip(x + Adam step along d objective / dx, low, high)

The smoothness penalty keeps the picture from turning into pixel noise that a network also
scores highly; clipping keeps it a picture the data set could hold (every data set of the app
holds values in [0, 1]).

All classes climb together, one picture per class in one batch: the networks have no layer that
mixes the pictures of a batch, so each picture's gradient is its own class's alone.

The model is only read: the gradient is taken with `torch.autograd.grad` with respect to the
pictures, so no parameter gets a `.grad` and no flag is flipped; a model in training mode is put
in eval mode for the climb and back afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from cnnexplain.core import checks
from cnnexplain.model.head import HEADS

STEPS = 100  # Adam steps on the pictures; the scores have levelled off by then
LEARNING_RATE = 0.05  # Adam's step on pixel values in [0, 1]
SMOOTHNESS = 0.3  # weight of the neighbour-difference penalty: less gives pixel noise
GREY = 0.5  # the plain picture every class starts from
JITTER = 0.01  # largest size of the seeded noise added to the grey start
PIXEL_RANGE = (0.0, 1.0)  # the values every data set of the app holds

Progress = Callable[[int, int], None]  # (steps done, steps planned)


@dataclass(frozen=True, eq=False)
class ClassPictures:
    """For every class, the picture the model scores highest for it, and its scores."""

    pictures: np.ndarray  # (K, C, H, W): picture k climbs class k's score, within the pixel range
    start_scores: np.ndarray  # (K,) class k's score at the plain grey picture
    scores: np.ndarray  # (K,) class k's score at picture k
    probabilities: np.ndarray  # (K,) the head's probability of class k at picture k
    predicted: np.ndarray  # (K,) int64: the class the model predicts for picture k
    steps: int  # Adam steps taken
    seed: int  # seed of the jitter


def neighbour_penalty(x: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N,): sum of squared differences between pixels side by side or above."""
    down = (x[:, :, 1:, :] - x[:, :, :-1, :]).pow(2).sum(dim=(1, 2, 3))
    across = (x[:, :, :, 1:] - x[:, :, :, :-1]).pow(2).sum(dim=(1, 2, 3))
    return down + across


def class_scores(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """(K, C, H, W) -> (K,): the score of class k at picture k (row k of the batch)."""
    head = HEADS[model.spec.head]
    logits = model(x)  # (K, logits)
    return torch.stack([head.score(logits[k : k + 1], k)[0] for k in range(len(x))])


def _check(
    model: nn.Module, steps: int, lr: float, smoothness: float, pixel_range: tuple[float, float]
) -> None:
    if getattr(model, "spec", None) is None:
        raise ValueError("The model has no .spec: build it with models.build_cnn or build_mlp.")
    checks.whole("The number of steps", steps, 0, None)
    checks.number("The learning rate", lr, above=0)
    checks.number("The smoothness", smoothness, at_least=0)
    low, high = pixel_range
    if not low < high:
        raise ValueError(f"The pixel range must go up: got {pixel_range}.")


def _start(model: nn.Module, seed: int, pixel_range: tuple[float, float]) -> torch.Tensor:
    """(K, C, H, W): the grey picture for every class, each with its own tiny seeded jitter."""
    spec = model.spec
    dtype = next(model.parameters()).dtype
    shape = (spec.num_classes, spec.in_channels, spec.input_size, spec.input_size)
    generator = torch.Generator().manual_seed(seed)
    jitter = (torch.rand(shape, generator=generator, dtype=dtype) * 2 - 1) * JITTER
    low, high = pixel_range
    grey = low + GREY * (high - low)
    return (grey + jitter).clamp(low, high)


def class_pictures(
    model: nn.Module,
    *,
    steps: int = STEPS,
    lr: float = LEARNING_RATE,
    smoothness: float = SMOOTHNESS,
    seed: int = 0,
    pixel_range: tuple[float, float] = PIXEL_RANGE,
    on_progress: Progress | None = None,
) -> ClassPictures:
    """For each class k of `model`, the picture (C, H, W) that scores highest for class k.

    model: from models.build_cnn or build_mlp, with either head; it is not changed. The same
    model, settings and seed give the same pictures. `on_progress(done, steps)` is called after
    every step. Raises ValueError for settings that cannot work.
    """
    _check(model, steps, lr, smoothness, pixel_range)
    low, high = pixel_range
    # A shared model is in eval mode already and is not even written to; a model in the middle
    # of training goes back to training mode afterwards.
    was_training = model.training
    if was_training:
        model.eval()
    try:
        x = _start(model, seed, pixel_range).requires_grad_()  # (K, C, H, W)
        # Adam on the pictures alone: the model's parameters are never handed to it.
        optimizer = torch.optim.Adam([x], lr=lr, maximize=True)
        with torch.no_grad():
            grey = torch.full_like(x, low + GREY * (high - low))
            start_scores = class_scores(model, grey)
        for done in range(1, steps + 1):
            with torch.enable_grad():
                objective = (class_scores(model, x) - smoothness * neighbour_penalty(x)).sum()
                (x.grad,) = torch.autograd.grad(objective, [x])
            optimizer.step()
            with torch.no_grad():
                x.clamp_(low, high)
            if on_progress is not None:
                on_progress(done, steps)
        with torch.no_grad():
            pictures = x.detach()
            logits = model(pictures)
            head = HEADS[model.spec.head]
            probs = head.probabilities(logits)  # (K, K)
            scores = class_scores(model, pictures)
    finally:
        if was_training:
            model.train()
    K = len(pictures)
    return ClassPictures(
        pictures=pictures.numpy().copy(),
        start_scores=start_scores.numpy().copy(),
        scores=scores.numpy().copy(),
        probabilities=probs[torch.arange(K), torch.arange(K)].numpy().copy(),
        predicted=head.predicted(logits).numpy().astype(np.int64),
        steps=steps,
        seed=seed,
    )
