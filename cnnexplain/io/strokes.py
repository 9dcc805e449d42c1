"""Digits written with a pen, generated for training: skeletons, jittered, drawn, prepared.

Each digit has a few ways of being written (a 1 with or without its flag and base, a 7 with or
without a bar, an open or a closed 4, ...), given as pen strokes through a handful of points in
a unit box. A generated digit picks one, moves every point a little, turns, slants and stretches
the whole, smooths each stroke through its points (Catmull-Rom), and draws it with a thin pen.
The drawing then goes through the same preparation as a learner's picture (`digit_prep`), made
as bold as one of the built-in digits picked at random, so that it looks like the digits the
network learns from.

Everything is vectorised in torch and seeded by a torch.Generator: the same generator state
gives the same digits.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from cnnexplain.io import digit_prep
from cnnexplain.io.datasets import enlarge_scans

Point = tuple[float, float]

CANVAS = 64  # side of the square a skeleton is drawn on, in pixels
POINTS_PER_PIECE = 8  # points drawn between two skeleton points
JITTER = 0.035  # standard deviation of each skeleton point's move, as a share of the box
MAX_TURN = math.radians(14)  # the whole digit turns by up to this either way
MAX_SLANT = 0.3  # shear: how far the top leans right (or left) per unit of height
ASPECT = (0.6, 1.25)  # width is multiplied by a factor in this range
INK_PIXELS = (250.0, 380.0)  # ink in the prepared 32x32 bitmap, as spread in the training ones


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float) -> list[Point]:
    """Points along an ellipse from angle `start` to `end` (degrees; y grows downwards)."""
    n = max(2, round(abs(end - start) / 30) + 1)
    angles = np.radians(np.linspace(start, end, n))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


# A figure eight in one stroke, begun at the top right.
_EIGHT = [
    (0.75, 0.12),
    (0.5, 0.0),
    (0.25, 0.12),
    (0.28, 0.35),
    (0.5, 0.48),
    (0.75, 0.65),
    (0.75, 0.88),
    (0.5, 1.0),
    (0.25, 0.88),
    (0.25, 0.65),
    (0.5, 0.48),
    (0.72, 0.35),
    (0.75, 0.12),
]

# Skeletons: for each digit, the ways of writing it; each way is a list of pen strokes, each a
# list of points in the unit box (x to the right, y down).
SKELETONS: dict[int, list[list[list[Point]]]] = {
    0: [
        [_arc(0.5, 0.5, 0.32, 0.47, -100, 265)],
        [_arc(0.5, 0.5, 0.38, 0.46, -80, -440)],
    ],
    1: [
        [[(0.5, 0.0), (0.5, 1.0)]],
        [[(0.22, 0.28), (0.55, 0.0), (0.55, 1.0)]],
        [[(0.22, 0.28), (0.55, 0.0), (0.55, 1.0)], [(0.28, 1.0), (0.82, 1.0)]],
        [[(0.32, 0.16), (0.5, 0.0), (0.5, 1.0)], [(0.2, 1.0), (0.8, 1.0)]],
    ],
    2: [
        [_arc(0.5, 0.28, 0.32, 0.27, -170, 20) + [(0.15, 1.0), (0.88, 1.0)]],
        [_arc(0.48, 0.3, 0.3, 0.3, -160, 0) + [(0.55, 0.65), (0.15, 1.0), (0.9, 0.97)]],
        [
            _arc(0.5, 0.28, 0.32, 0.27, -170, 25)
            + [(0.2, 0.9), (0.18, 1.0), (0.35, 0.92), (0.55, 1.0), (0.9, 0.98)]
        ],
    ],
    3: [
        [_arc(0.5, 0.26, 0.3, 0.24, -160, 90) + _arc(0.5, 0.73, 0.35, 0.27, -90, 160)],
        [[(0.12, 0.02), (0.85, 0.02), (0.42, 0.4)] + _arc(0.5, 0.7, 0.36, 0.3, -100, 160)],
    ],
    4: [
        [[(0.55, 0.0), (0.1, 0.65), (0.9, 0.65)], [(0.7, 0.3), (0.7, 1.0)]],
        [[(0.68, 1.0), (0.68, 0.0), (0.08, 0.68), (0.92, 0.68)]],
        [[(0.2, 0.0), (0.15, 0.6), (0.88, 0.6)], [(0.7, 0.0), (0.7, 1.0)]],
        [[(0.65, 0.0), (0.1, 0.68), (0.92, 0.68)], [(0.65, 0.0), (0.65, 1.0)]],
    ],
    5: [
        [[(0.85, 0.02), (0.25, 0.02), (0.22, 0.45)] + _arc(0.5, 0.68, 0.36, 0.31, -140, 150)],
        [
            [(0.25, 0.02), (0.22, 0.45)] + _arc(0.5, 0.68, 0.36, 0.31, -140, 150),
            [(0.25, 0.02), (0.85, 0.0)],
        ],
    ],
    6: [
        [[(0.78, 0.02), (0.45, 0.15), (0.22, 0.45)] + _arc(0.5, 0.72, 0.3, 0.27, 180, -150)],
        [[(0.62, 0.0), (0.3, 0.35)] + _arc(0.5, 0.7, 0.28, 0.29, 190, -160)],
        [[(0.8, 0.14), (0.6, 0.0), (0.3, 0.1), (0.2, 0.45)] + _arc(0.5, 0.7, 0.3, 0.29, 180, -165)],
    ],
    7: [
        [[(0.1, 0.02), (0.9, 0.02), (0.4, 1.0)]],
        [[(0.1, 0.02), (0.9, 0.02), (0.42, 1.0)], [(0.35, 0.52), (0.85, 0.48)]],
        [[(0.1, 0.18), (0.12, 0.02), (0.9, 0.04), (0.5, 1.0)]],
    ],
    8: [
        [_EIGHT],
        [[(1.0 - x, y) for x, y in _EIGHT]],  # the same, mirrored: begun at the top left
        [_arc(0.5, 0.24, 0.25, 0.24, 90, 450), _arc(0.5, 0.72, 0.3, 0.28, -90, 270)],
        [_arc(0.5, 0.26, 0.2, 0.22, 90, -270), _arc(0.5, 0.73, 0.32, 0.27, -90, 270)],
    ],
    9: [
        [_arc(0.5, 0.28, 0.3, 0.27, 0, -360) + [(0.78, 0.6), (0.72, 1.0)]],
        [_arc(0.5, 0.28, 0.3, 0.27, 0, -360) + [(0.78, 0.6), (0.65, 0.92), (0.35, 1.0)]],
        [_arc(0.48, 0.3, 0.3, 0.28, -10, 350) + [(0.74, 0.65), (0.7, 1.0)]],
    ],
}


def _catmull_rom(points: torch.Tensor) -> torch.Tensor:
    """(N, K, 2) points -> (N, (K - 1) * POINTS_PER_PIECE + 1, 2), a smooth curve through them."""
    ends = torch.cat(
        [2 * points[:, :1] - points[:, 1:2], points, 2 * points[:, -1:] - points[:, -2:-1]], 1
    )
    p0, p1, p2, p3 = ends[:, :-3], ends[:, 1:-2], ends[:, 2:-1], ends[:, 3:]  # (N, K - 1, 2) each
    t = torch.linspace(0, 1, POINTS_PER_PIECE + 1)[:-1][None, None, :, None]  # (1, 1, T, 1)
    p0, p1, p2, p3 = (p[:, :, None] for p in (p0, p1, p2, p3))
    curve = 0.5 * (
        2 * p1
        + (p2 - p0) * t
        + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
        + (3 * p1 - p0 - 3 * p2 + p3) * t**3
    )  # (N, K - 1, T, 2)
    return torch.cat([curve.flatten(1, 2), points[:, -1:]], dim=1)


def _segments(labels: np.ndarray, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Pen segments of one jittered skeleton per label: starts, ends (N, S, 2), around 0.

    Strokes of one digit are joined into one list of segments; segments that do not exist
    (digits with fewer) have zero length, and `_draw` leaves them out.
    """
    n = len(labels)
    counts = torch.tensor([len(SKELETONS[int(d)]) for d in labels])
    ways = (torch.rand(n, generator=generator) * counts).long()  # (N,) one way for each
    turn = (torch.rand(n, generator=generator) * 2 - 1) * MAX_TURN
    slant = (torch.rand(n, generator=generator) * 2 - 1) * MAX_SLANT
    aspect = ASPECT[0] + torch.rand(n, generator=generator) * (ASPECT[1] - ASPECT[0])
    cos, sin = torch.cos(turn), torch.sin(turn)
    # Stretch the width, slant, turn: (R @ Slant @ Aspect), applied to row vectors.
    shape = torch.stack(
        [
            torch.stack([cos * aspect, cos * -slant - sin], 1),
            torch.stack([sin * aspect, sin * -slant + cos], 1),
        ],
        1,
    ).transpose(1, 2)  # (N, 2, 2)
    drawn: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []  # rows, starts, ends
    for digit in np.unique(labels):
        for way, strokes in enumerate(SKELETONS[int(digit)]):
            rows = torch.from_numpy(np.nonzero(labels == digit)[0])
            rows = rows[ways[rows] == way]
            if len(rows) == 0:
                continue
            starts, ends = [], []
            for stroke in strokes:
                points = torch.tensor(stroke, dtype=torch.float32).expand(len(rows), -1, -1)
                moved = points + torch.randn(points.shape, generator=generator) * JITTER
                curve = (_catmull_rom(moved) - 0.5) @ shape[rows]  # (R, M, 2)
                starts.append(curve[:, :-1])
                ends.append(curve[:, 1:])
            drawn.append((rows, torch.cat(starts, 1), torch.cat(ends, 1)))
    longest = max(starts.shape[1] for _, starts, _ in drawn)
    a = torch.zeros(n, longest, 2)
    b = torch.zeros(n, longest, 2)
    for rows, starts, ends in drawn:
        a[rows, : starts.shape[1]] = starts
        b[rows, : ends.shape[1]] = ends
    return a, b


def _draw(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Segments (N, S, 2) around 0 -> (N, CANVAS, CANVAS) bool ink, traced by a thin pen.

    Each segment is walked in steps of half a pixel at most and every pixel it passes is inked,
    then the line is grown by one pixel on each side: a pen about three pixels wide. How bold
    the digit ends up is set later by the preparation, as for a learner's picture.
    """
    n = len(a)
    lo = torch.minimum(a, b).amin(1)  # (N, 2)
    hi = torch.maximum(a, b).amax(1)
    scale = (CANVAS - 4) / (hi - lo).amax(1, keepdim=True)  # (N, 1)
    centre = (lo + hi) / 2
    a = (a - centre[:, None]) * scale[:, :, None] + CANVAS / 2  # canvas pixels
    b = (b - centre[:, None]) * scale[:, :, None] + CANVAS / 2
    steps = int(((b - a).norm(dim=-1).max() * 2).ceil()) + 1
    t = torch.linspace(0, 1, steps)[None, None, :, None]  # (1, 1, T, 1)
    walk = (a[:, :, None] + t * (b - a)[:, :, None]).floor().long()  # (N, S, T, 2)
    walk = walk.clamp(0, CANVAS - 1).flatten(1, 2)  # (N, S * T, 2)
    real = ((b - a).abs().sum(-1) > 0)[:, :, None].expand(-1, -1, steps).flatten(1)  # (N, S * T)
    ink = torch.zeros(n, CANVAS * CANVAS)
    where = walk[..., 1] * CANVAS + walk[..., 0]  # row * CANVAS + column
    ink.scatter_add_(1, where, real.float())
    ink = ink.reshape(n, 1, CANVAS, CANVAS).clamp(max=1.0)
    return digit_prep.grow(ink)[:, 0] > 0


def pen_digits(labels: np.ndarray, generator: torch.Generator, chunk: int = 64) -> np.ndarray:
    """Generated pen digits for `labels` (N,), prepared like a learner's: (N, 1, 28, 28) float32."""
    out = []
    for first in range(0, len(labels), chunk):
        part = labels[first : first + chunk]
        a, b = _segments(part, generator)
        ink = _draw(a, b)
        target = INK_PIXELS[0] + torch.rand(len(part), generator=generator) * (
            INK_PIXELS[1] - INK_PIXELS[0]
        )
        bitmaps = digit_prep.bold_bitmaps(digit_prep.skeleton(digit_prep.fit_ink(ink)), target)
        out.append(enlarge_scans(digit_prep.count_blocks(bitmaps)))
    return np.concatenate(out)
