"""The right answers to the questions a page asks before it shows: each one computed from the
live objects the page is about to draw (the convolution's settings, the traced forward pass,
the pooled window, the step just taken), never typed in.
"""

from __future__ import annotations

import math

import numpy as np

from cnnexplain.core import ops
from cnnexplain.core.kernels import size_formula

UP, DOWN = "up", "down"  # the true class's probability after a step
RISES, FALLS = "rises", "falls"  # the loss after a step (staying the same is not rising)


def conv_output_size(
    height: int, width: int, kernel: int, stride: int, padding: int, dilation: int
) -> tuple[int, int]:
    """(rows, cols) of the feature map a square `kernel` makes of a height × width picture:
    (size + 2·padding − dilation·(kernel − 1) − 1) // stride + 1 along each axis."""
    rows = size_formula(height, kernel, stride, padding, dilation).result
    cols = size_formula(width, kernel, stride, padding, dilation).result
    return rows, cols


def size_choices(
    height: int, width: int, kernel: int, stride: int, padding: int, dilation: int
) -> list[tuple[int, int]]:
    """The right output size and the sizes of the usual slips, sorted, each once.

    The slips are the formula with one setting forgotten (no padding, stride 1, no dilation),
    the input's own size, and the count off by one: each is a size a learner may believe.
    """
    right = conv_output_size(height, width, kernel, stride, padding, dilation)
    slips = [
        (height, width),
        conv_output_size(height, width, kernel, stride, 0, dilation),
        conv_output_size(height, width, kernel, 1, padding, dilation),
        conv_output_size(height, width, kernel, stride, padding, 1),
        (right[0] + 1, right[1] + 1),
        (right[0] - 1, right[1] - 1),
    ]
    choices = {right}
    for rows, cols in slips:
        if len(choices) == 4:
            break
        if rows > 0 and cols > 0:
            choices.add((rows, cols))
    return sorted(choices)


def chosen_class(probs: np.ndarray) -> int:
    """The class the network answers: the one with the highest probability, (K,) -> index."""
    return int(np.argmax(probs))


def pool_winners(values: np.ndarray) -> tuple[int, ...]:
    """Flat indices (in reading order) of the cells of a max-pool window that hold its largest
    value: every one of them is the pooled result, so a tie has more than one right answer."""
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    return tuple(int(k) for k in np.flatnonzero(flat == flat.max()))


def pool_window_values(x: np.ndarray, c: int, i: int, j: int, size: int, stride: int) -> np.ndarray:
    """(size, size) values of the window of map c that max pooling reduces to output (i, j),
    for one picture's stage output x (C, H, W): `ops.pool_window`, the pooling forward's own."""
    return ops.pool_window(x, c, i, j, size=size, stride=stride, mode="max").values


def true_probability(probs: np.ndarray, labels: np.ndarray) -> float:
    """The probability (N, K) `probs` give each picture's true class, averaged over N: what a
    step moves UP or DOWN."""
    return float(np.mean(probs[np.arange(len(labels)), labels]))


def probability_direction(p_before: float, p_after: float) -> str | None:
    """UP or DOWN: how a step moved the true class's probability; None when it did not move
    (or a value is not a number), so neither answer is right."""
    if not (math.isfinite(p_before) and math.isfinite(p_after)) or p_after == p_before:
        return None
    return UP if p_after > p_before else DOWN


def loss_direction(loss_before: float, loss_after: float) -> str | None:
    """RISES when the step made the loss larger, FALLS otherwise; None when a loss is not a
    number (a step that broke the network has no honest answer)."""
    if math.isnan(loss_before) or math.isnan(loss_after):
        return None
    return RISES if loss_after > loss_before else FALLS
