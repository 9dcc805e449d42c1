"""Robustness: the same test images, moved, turned and blurred by noise.

`robustness_curves` measures each trained network's accuracy as one kind of change to the
held-out pictures grows; `shift_images`, `rotate_images` and `add_noise` make the changed
pictures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnexplain.core import checks
from cnnexplain.training.train import MAX_SEED, predict

# Shifts move the picture this way and that, and the accuracy is the mean over the four.
SHIFT_DIRECTIONS = ((1, 0), (-1, 0), (0, 1), (0, -1))  # (dx, dy): right, left, down, up
DEFAULT_SHIFTS = tuple(range(0, 7))  # pixels
DEFAULT_ANGLES = (0, 10, 20, 30, 45)  # degrees, each turned both ways
DEFAULT_NOISE = (0.0, 0.1, 0.2, 0.3, 0.5)  # standard deviation of added Gaussian noise
# Limits on what a robustness study measures, each well past the page's defaults: every level
# of a curve is one more pass of both networks over the whole test set (four for a shift).
MAX_LEVELS = 16  # points on one robustness curve
MAX_SHIFT = 256  # pixels; models.MAX_INPUT_SIZE, past which every picture is gone
MAX_ANGLE = 180  # degrees either way: a larger turn is a smaller one the other way

FILLS = ("zero", "border")  # what fills the pixels a shift or a turn uncovers


def border_values(x: np.ndarray) -> np.ndarray:
    """(N, C, 1, 1) median of each picture's outer ring of pixels, channel by channel.

    That is the background of a picture whose object does not touch the edge: 0 for the
    digits, the random gray of each shapes picture.
    """
    ring = np.concatenate(
        [x[..., 0, :], x[..., -1, :], x[..., 1:-1, 0], x[..., 1:-1, -1]], axis=-1
    )  # (N, C, 2W + 2H - 4)
    return np.median(ring, axis=-1)[..., None, None].astype(x.dtype)


def _check_fill(fill: str) -> None:
    if not isinstance(fill, str) or fill not in FILLS:
        raise ValueError(f"Unknown fill {checks.quoted(fill)}: choose one of {', '.join(FILLS)}.")


def _background(x: np.ndarray, fill: str) -> np.ndarray | None:
    _check_fill(fill)
    return border_values(x) if fill == "border" else None


def shift_images(x: np.ndarray, dx: int, dy: int, *, fill: str = "zero") -> np.ndarray:
    """Move every picture dx pixels right and dy pixels down.

    Inputs:
    - x: (N, C, H, W) images
    - dx, dy: whole pixels, at most MAX_SHIFT either way; negative values move left and up
    - fill: "zero" fills the uncovered pixels with 0; "border" with each picture's own
      background (`border_values`), so that on a light background the shift adds no dark band

    Returns a new (N, C, H, W) array of x's dtype. Content moved past the edge is lost.
    """
    background = _background(x, fill)
    dx = checks.whole("The shift dx", dx, -MAX_SHIFT, MAX_SHIFT)
    dy = checks.whole("The shift dy", dy, -MAX_SHIFT, MAX_SHIFT)
    H, W = x.shape[-2:]
    out = np.zeros_like(x)
    if background is not None:
        out += background
    if abs(dx) >= W or abs(dy) >= H:
        return out
    # Input rows max(0, -dy) .. H - max(0, dy) land on output rows max(0, dy) .. H + min(0, dy).
    out[..., max(0, dy) : H + min(0, dy), max(0, dx) : W + min(0, dx)] = x[
        ..., max(0, -dy) : H - max(0, dy), max(0, -dx) : W - max(0, dx)
    ]
    return out


def rotate_images(x: np.ndarray, degrees: float, *, fill: str = "zero") -> np.ndarray:
    """Turn every picture about its centre, counter-clockwise as seen on screen.

    Bilinear interpolation. The corners that come from outside the picture are filled as in
    `shift_images`: with 0, or with each picture's own background.

    Inputs:
    - x: (N, C, H, W) images
    - degrees: angle of the turn, from -MAX_ANGLE to MAX_ANGLE; negative turns clockwise

    Returns a new float32 array of shape (N, C, H, W).
    """
    background = _background(x, fill)
    theta = math.radians(
        checks.number("The angle", degrees, at_least=-MAX_ANGLE, at_most=MAX_ANGLE)
    )
    c, s = math.cos(theta), math.sin(theta)
    # affine_grid maps each output pixel to where it samples the input, in coordinates that run
    # -1..1 with y pointing down: sampling at R(-theta) turns the content by +theta on screen.
    matrix = torch.tensor([[c, -s, 0.0], [s, c, 0.0]], dtype=torch.float32)
    xt = torch.tensor(x, dtype=torch.float32)
    if background is not None:
        # Sampling is linear, so turning (x - b) and adding b back fills the outside with b.
        xt -= torch.from_numpy(background)
    grid = F.affine_grid(matrix.expand(len(xt), 2, 3), list(xt.shape), align_corners=False)
    out = F.grid_sample(xt, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if background is not None:
        out += torch.from_numpy(background)
    return out.numpy()


def add_noise(x: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """x plus Gaussian noise of standard deviation `sigma`, clipped back to [0, 1], float32."""
    # No upper limit: the result is clipped to [0, 1], so a huge level is just static.
    sigma = checks.number("The noise level", sigma, at_least=0)
    noise = np.random.default_rng(seed).normal(0.0, sigma, size=x.shape)
    return np.clip(x + noise, 0.0, 1.0).astype(np.float32)


def _levels(what: str, levels: Iterable[Any], check) -> tuple:
    """At most MAX_LEVELS levels, each passed through `check`."""
    if isinstance(levels, str) or not isinstance(levels, Iterable):
        raise ValueError(f"The {what} must be a list of numbers, got {checks.quoted(levels)}.")
    first = list(islice(levels, MAX_LEVELS + 1))
    if len(first) > MAX_LEVELS:
        raise ValueError(f"A curve takes at most {MAX_LEVELS} {what}, got more.")
    return tuple(check(level) for level in first)


@dataclass(frozen=True, eq=False)
class RobustnessCurve:
    """Accuracy of each network as one kind of change to the test images grows."""

    perturbation: str  # "shift", "rotation" or "noise"
    label: str  # axis title, with the unit
    levels: tuple[float, ...]  # how strong the change is at each point
    accuracy: dict[str, tuple[float, ...]]  # {"CNN": (...), "ANN": (...)}, one per level


def robustness_curves(
    models: dict[str, nn.Module],
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    shifts: Iterable[int] = DEFAULT_SHIFTS,
    angles: Iterable[float] = DEFAULT_ANGLES,
    noise_levels: Iterable[float] = DEFAULT_NOISE,
    seed: int = 0,
    fill: str = "border",
) -> dict[str, RobustnessCurve]:
    """Accuracy of each model on test images that are shifted, rotated or noisy.

    A shift of s pixels is the mean accuracy over moving the pictures s pixels right, left,
    down and up (SHIFT_DIRECTIONS); an angle is the mean over turning both ways. Every model
    sees exactly the same changed pictures (the noise comes from `seed`).

    The uncovered pixels take each picture's background by default (`fill="border"`): the same
    as zeros on the digits, and on a gray background it moves the object without also drawing a
    dark band that no training picture had. `fill="zero"` measures with the band.

    Returns {"shift": curve, "rotation": curve, "noise": curve}. Raises ValueError for a
    level out of range (shifts: whole pixels from 0 to MAX_SHIFT; angles: 0 to MAX_ANGLE
    degrees; noise: at least 0) or more than MAX_LEVELS levels of one kind.
    """
    _check_fill(fill)
    seed = checks.whole("The seed", seed, 0, MAX_SEED)
    shifts = _levels("shifts", shifts, lambda s: checks.whole("Each shift", s, 0, MAX_SHIFT))
    angles = _levels(
        "angles", angles, lambda a: checks.number("Each angle", a, at_least=0, at_most=MAX_ANGLE)
    )
    noise_levels = _levels(
        "noise levels", noise_levels, lambda n: checks.number("Each noise level", n, at_least=0)
    )

    def accuracy(model: nn.Module, variants: list[np.ndarray]) -> float:
        return float(np.mean([np.mean(predict(model, v) == y_test) for v in variants]))

    def curve(perturbation: str, label: str, levels: Iterable[float], make) -> RobustnessCurve:
        levels = tuple(levels)
        scores: dict[str, list[float]] = {name: [] for name in models}
        for level in levels:
            variants = make(level)
            for name, model in models.items():
                scores[name].append(accuracy(model, variants))
        return RobustnessCurve(
            perturbation, label, levels, {name: tuple(s) for name, s in scores.items()}
        )

    def shifted(s: int) -> list[np.ndarray]:
        if s == 0:
            return [x_test]
        return [shift_images(x_test, dx * s, dy * s, fill=fill) for dx, dy in SHIFT_DIRECTIONS]

    def rotated(a: float) -> list[np.ndarray]:
        if a == 0:
            return [x_test]
        return [rotate_images(x_test, a, fill=fill), rotate_images(x_test, -a, fill=fill)]

    def noisy(sigma: float) -> list[np.ndarray]:
        return [x_test] if sigma == 0 else [add_noise(x_test, sigma, seed)]

    return {
        "shift": curve("shift", "Shift (pixels)", shifts, shifted),
        "rotation": curve("rotation", "Rotation (degrees)", angles, rotated),
        "noise": curve("noise", "Noise (standard deviation)", noise_levels, noisy),
    }
