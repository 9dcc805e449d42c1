"""Training-time variation of the digits, so that a network reads the digits learners make.

The built-in digits were all written by 13 people (1,437 of them are for training). A network
trained on them alone reads them very well and a learner's own digits badly: it has never seen
a digit turned, slanted, narrower, bolder or written in another hand. `DigitAugment` changes
each training batch, freshly every time, in two ways:

- every picture is turned, slanted, stretched and shifted a little, and its strokes made a
  little bolder or thinner;
- a share of the pictures is replaced by pen digits of the same labels, generated and prepared
  exactly like a learner's picture (`strokes.pen_digits`).

Only training batches change; the held-out pictures are the built-in ones, untouched. Everything
is vectorised in torch and seeded: the same seed gives the same batches.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from cnnexplain.io.digit_prep import grow
from cnnexplain.io.strokes import pen_digits


@dataclass(frozen=True)
class DigitAugmentSettings:
    """How much each training batch of digits is varied."""

    max_turn: float = 12.0  # degrees either way
    max_shear: float = 0.25  # horizontal shift per unit of height either way (a slant)
    width: tuple[float, float] = (0.75, 1.1)  # the digit's width is scaled within this range
    height: tuple[float, float] = (0.85, 1.05)  # ... and its height
    max_shift: float = 1.5  # pixels either way, up and down, left and right
    max_weight: float = 0.6  # strokes move this far towards one pixel bolder or thinner
    pen_share: float = 0.5  # share of each batch replaced by generated pen digits
    keep_share: float = 0.25  # share of the pictures left exactly as they are
    pen_pool: int = 400  # generated pen digits of each class, drawn once per training run


class DigitAugment:
    """Varies batches of (N, 1, 28, 28) digits in [0, 1] with labels 0..9; see the module notes."""

    shape = (1, 28, 28)  # the pictures it varies: the built-in digits'

    def __init__(self, seed: int, settings: DigitAugmentSettings = DigitAugmentSettings()) -> None:
        self.settings = settings
        self.generator = torch.Generator().manual_seed(seed)
        labels = np.repeat(np.arange(10), settings.pen_pool)
        self.pen_x = torch.from_numpy(pen_digits(labels, self.generator))  # (10 * pool, 1, 28, 28)
        self.pen_y = torch.from_numpy(labels)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """A varied copy of the batch x (N, 1, 28, 28) for labels y (N,); x is left unchanged.

        A share of the pictures is left as it is, so that the built-in digits are also learned
        as they are.
        """
        keep = torch.rand(len(x), generator=self.generator) < self.settings.keep_share
        varied = self._weight(self._warp(self._pen_digits(x.clone(), y)))
        return torch.where(keep[:, None, None, None], x, varied)

    def _rand(self, n: int, low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(n, generator=self.generator)

    def _pen_digits(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Replace a share of the batch by pool digits of the same label."""
        swap = torch.rand(len(x), generator=self.generator) < self.settings.pen_share
        pool = self.settings.pen_pool
        pick = y[swap] * pool + torch.randint(pool, (int(swap.sum()),), generator=self.generator)
        x[swap] = self.pen_x[pick]
        return x

    def _warp(self, x: torch.Tensor) -> torch.Tensor:
        """Turn, slant, stretch and shift each picture about its centre."""
        s, n, size = self.settings, len(x), x.shape[-1]
        turn = self._rand(n, -s.max_turn, s.max_turn) * math.pi / 180
        shear = self._rand(n, -s.max_shear, s.max_shear)
        sx, sy = self._rand(n, *s.width), self._rand(n, *s.height)
        shift = self._rand(2 * n, -s.max_shift, s.max_shift).reshape(n, 2) * 2 / size
        cos, sin = torch.cos(turn), torch.sin(turn)
        # affine_grid maps output positions to input positions, so the matrix is the inverse
        # of the change: (R @ Shear @ Scale)^-1 = Scale^-1 @ Shear^-1 @ R^T.
        inv = torch.stack(
            [
                torch.stack([(cos + shear * sin) / sx, (sin - shear * cos) / sx], 1),
                torch.stack([-sin / sy, cos / sy], 1),
            ],
            1,
        )  # (N, 2, 2)
        # Pixel centres in grid_sample's -1..1 coordinates, as (x, y); written out because
        # F.affine_grid takes several times longer than the rest of the batch's changes.
        cells = (torch.arange(size) + 0.5) * 2 / size - 1
        ys, xs = torch.meshgrid(cells, cells, indexing="ij")
        out = torch.stack([xs, ys], dim=-1).reshape(1, -1, 2) - shift[:, None]  # (N, HW, 2)
        grid = (out @ inv.transpose(1, 2)).reshape(n, size, size, 2)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    def _weight(self, x: torch.Tensor) -> torch.Tensor:
        """Make strokes bolder (grey-level dilation) or thinner (erosion), each by its share."""
        amount = self._rand(len(x), -self.settings.max_weight, self.settings.max_weight)
        amount = amount[:, None, None, None]
        bolder = grow(x)
        thinner = 1.0 - grow(1.0 - x)
        return torch.where(amount > 0, x + amount * (bolder - x), x - amount * (thinner - x))


# Augmentations a TrainConfig can name, each made from a seed.
AUGMENTATIONS: dict[str, type[DigitAugment]] = {"digits": DigitAugment}
# Added to the training seed, so that the augmentation's random numbers are not the shuffling's.
SEED_OFFSET = 0x5EED


def make_augment(
    name: str | None, seed: int, shape: tuple[int, ...]
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None:
    """The augmentation called `name` (None: none) for pictures of `shape` (C, H, W), seeded."""
    if name is None:
        return None
    kind = AUGMENTATIONS[name]
    if tuple(shape) != kind.shape:
        c, h, w = kind.shape
        raise ValueError(
            f"The {name} augmentation varies {c} x {h} x {w} pictures, but these are "
            f"{' x '.join(str(v) for v in shape)}: train without it."
        )
    return kind(seed + SEED_OFFSET)
