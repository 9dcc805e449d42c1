"""Receptive fields: which pixels of the input picture can change one cell of a feature map.

Rows and columns are independent (every kernel and pooling window is a square sliding along
each side alike), so a field is worked out along one side at a time and is a rectangle. Each
sliding window (a convolution with kernel k, stride s, padding p, dilation d; a pooling window
with its size and stride) maps output index i to the input indices

    i*s - p + j*d,  j = 0 .. k-1,

of which only those inside [0, size) are pixels: padding is made of zeros that no picture
changes. Walking back from the chosen stage to the input keeps the exact set of reachable
indices, not only its ends, because a dilated kernel's taps leave gaps, and a tap that lands in
a gap of the next stage's set reaches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from cnnexplain.model.spec import CNNSpec, Spec, stage_shapes

__all__ = ["Field", "Window", "field_sizes", "reachable", "receptive_field", "stage_windows"]


@dataclass(frozen=True)
class Field:
    """Input rows top..bottom-1 and columns left..right-1 (bottom and right exclusive).

    An empty field (a cell whose every tap falls on padding, so only the bias makes it) is
    Field(0, 0, 0, 0).
    """

    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def empty(self) -> bool:
        return self.height == 0 or self.width == 0


@dataclass(frozen=True)
class Window:
    """One sliding window along one side: what turns a map of `size_in` into the next one."""

    kernel: int  # taps along the side
    stride: int
    padding: int  # zeros added before index 0 (and after the end)
    dilation: int  # spacing between taps
    size_in: int  # side of the map the window slides over


def stage_windows(spec: Spec) -> dict[str, tuple[Window, ...]]:
    """{spatial stage name: the windows from the input up to that stage, input first}."""
    found: dict[str, tuple[Window, ...]] = {"input": ()}
    if not isinstance(spec, CNNSpec):
        return found
    shapes = {s.name: s.shape for s in stage_shapes(spec)}
    side = spec.input_size
    path: tuple[Window, ...] = ()
    for i, block in enumerate(spec.conv_blocks, start=1):
        conv = Window(block.kernel_size, block.stride, block.padding, block.dilation, side)
        path += (conv,)
        side = shapes[f"conv{i}"][1]
        found[f"conv{i}"] = path
        if block.activation != "none":
            found[f"{block.activation}{i}"] = path  # one value in, one out: the same field
        if block.pool is not None:
            # Pooling slides a window like a convolution without padding or dilation.
            path += (Window(block.pool_size, block.pool_step, 0, 1, side),)
            side = shapes[f"{block.pool}pool{i}"][1]
            found[f"{block.pool}pool{i}"] = path
    return found


def reachable(windows: tuple[Window, ...], index: int) -> np.ndarray:
    """Every input index (sorted) that output `index` after `windows` can reach along a side."""
    reached = np.array([index])
    for w in reversed(windows):
        taps = np.arange(w.kernel) * w.dilation - w.padding  # (k,)
        candidates = (reached[:, None] * w.stride + taps[None, :]).ravel()  # (n * k,)
        reached = np.unique(candidates[(candidates >= 0) & (candidates < w.size_in)])
    return reached


def _span(windows: tuple[Window, ...], index: int) -> tuple[int, int] | None:
    """(first, last + 1) of the reachable input indices; None when there are none."""
    reached = reachable(windows, index)
    return (int(reached[0]), int(reached[-1]) + 1) if reached.size else None


def _spatial(spec: Spec) -> dict[str, tuple[int, ...]]:
    """{spatial stage name: its shape (C, H, W)}, in order."""
    return {s.name: s.shape for s in stage_shapes(spec) if len(s.shape) == 3}


def receptive_field(spec: Spec, stage: str, row: int, col: int) -> Field:
    """The smallest rectangle of input pixels holding every pixel that can change cell
    (row, col) of any channel of `stage` (for generic weights). Clipped to the picture.

    Raises ValueError for a stage without a map of pixels or a cell outside the map.
    """
    shapes = _spatial(spec)
    if stage not in shapes:
        raise ValueError(
            f"Stage {stage!r} has no map of cells a receptive field can belong to: "
            f"choose one of {', '.join(shapes)}."
        )
    _, H, W = shapes[stage]
    if not (0 <= int(row) < H and 0 <= int(col) < W):
        raise ValueError(
            f"Cell (row {row}, col {col}) is outside {stage}'s {H}×{W} map: rows go from 0 to "
            f"{H - 1} and columns from 0 to {W - 1}."
        )
    windows = stage_windows(spec)[stage]
    rows, cols = _span(windows, int(row)), _span(windows, int(col))
    if rows is None or cols is None:
        return Field(0, 0, 0, 0)
    return Field(rows[0], cols[0], rows[1], cols[1])


def _longest(windows: tuple[Window, ...], size: int) -> int:
    """The most input indices, first to last, that any of `size` output indices reaches."""
    spans = (_span(windows, i) for i in range(size))
    return max((last - first for first, last in filter(None, spans)), default=0)


@lru_cache(maxsize=64)
def _largest(spec: Spec) -> tuple[tuple[str, int, int], ...]:
    windows = stage_windows(spec)
    # Rows and columns are independent: the largest field is the tallest by the widest.
    return tuple(
        (name, _longest(windows[name], H), _longest(windows[name], W))
        for name, (_, H, W) in _spatial(spec).items()
    )


def field_sizes(spec: Spec) -> list[tuple[str, int, int]]:
    """(stage name, height, width) of the largest receptive field of each spatial stage."""
    return list(_largest(spec))
