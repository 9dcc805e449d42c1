"""The whole network at a glance: every stage as a column of thumbnails, side by side.

One heatmap trace per stage (its maps stacked, each scaled to [0, 1] on its own range, or its
vector as one tall strip) keeps a figure of hundreds of maps quick to build and to send. The
column titles are in pixels and are placed so that they never run into each other, down to the
narrowest width the overview is drawn at. Colours and sizes come from `figures.theme`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from cnnexplain.figures.theme import FONT, FORMATS, SCALES, STILL, TILES, figure
from cnnexplain.figures.tiles import HIDDEN_AXIS, fit_unit_px
from cnnexplain.texts import figures as text


@dataclass(frozen=True, eq=False)
class OverviewColumn:
    """One stage in the overview: its maps (n, h, w) or its vector (D,), and colour ranges."""

    label: str  # column title, e.g. "conv1<br>8×28×28"
    values: np.ndarray  # (n, h, w) maps already cut to the ones shown, or (D,) a vector
    ranges: Sequence[tuple[float, float]]  # one (zmin, zmax) per map, or one for the vector
    colorscale: str = SCALES["maps"]
    note: str = ""  # under the column, e.g. "8 of 16"


def _normalised(arr: np.ndarray, zrange: tuple[float, float]) -> np.ndarray:
    lo, hi = zrange
    return np.clip((arr - lo) / ((hi - lo) or 1.0), 0.0, 1.0)


def _column_trace(col: OverviewColumn, x: float, column_height: float) -> go.Heatmap:
    """One stage as one heatmap: a vector as a strip as high as the column, maps stacked."""
    values = np.asarray(col.values, dtype=np.float32)
    if values.ndim == 1:
        return _strip_trace(col, values, x, column_height)
    return _stack_trace(col, values, x)


def _strip_trace(
    col: OverviewColumn, values: np.ndarray, x: float, column_height: float
) -> go.Heatmap:
    """A vector (D,) as a strip of D cells, scaled to [0, 1] on its range."""
    strip = _normalised(values, col.ranges[0]).reshape(-1, 1)
    custom = np.column_stack([np.arange(len(values)), values]).astype(np.float32)
    return go.Heatmap(
        z=strip.astype(np.float32),
        customdata=custom.reshape(-1, 1, 2),
        x0=x + TILES["strip"] / 2,
        dx=TILES["strip"],
        y0=column_height / len(values) / 2,
        dy=column_height / len(values),
        zmin=0.0,
        zmax=1.0,
        colorscale=col.colorscale,
        showscale=False,
        hovertemplate=(
            f"{_first_line(col.label)}<br>number %{{customdata[0]}}<br>value "
            f"%{{customdata[1]:{FORMATS['value']}}}<extra></extra>"
        ),
    )


def _stack_trace(col: OverviewColumn, values: np.ndarray, x: float) -> go.Heatmap:
    """Maps (n, h, w) stacked into one heatmap with an empty row between two maps.

    Each map keeps its own colour range by being scaled to [0, 1] on it; the exact values ride
    along as customdata for the hover text. One trace per stage keeps the figure quick to send.
    The rows' edges are given, so that map k starts at k·(thumb + gap) in every column, however
    many cells its maps have.
    """
    n, h, w = values.shape
    thumb, gap = TILES["thumb"], TILES["gap"]
    cell = thumb / max(h, w)
    rows = n * h + (n - 1)  # one empty row between two maps
    z = np.full((rows, w), np.nan, dtype=np.float32)
    custom = np.full((rows, w, 4), np.nan, dtype=np.float32)
    edges = np.empty(rows + 1)
    r_idx, c_idx = np.indices((h, w))
    for k in range(n):
        first = k * (h + 1)
        z[first : first + h] = _normalised(values[k], col.ranges[k])
        custom[first : first + h] = np.stack([np.full((h, w), k), r_idx, c_idx, values[k]], -1)
        edges[first : first + h + 1] = k * (thumb + gap) + cell * np.arange(h + 1)
    edges[-1] = (n - 1) * (thumb + gap) + cell * h
    return go.Heatmap(
        z=z,
        customdata=custom,
        x0=x + cell / 2,
        dx=cell,
        y=edges,
        zmin=0.0,
        zmax=1.0,
        colorscale=col.colorscale,
        showscale=False,
        hoverongaps=False,
        hovertemplate=(
            f"{_first_line(col.label)} · {text.CHANNEL} %{{customdata[0]}}<br>{text.ROW} "
            f"%{{customdata[1]}}, {text.COL} %{{customdata[2]}}<br>{text.VALUE} "
            f"%{{customdata[3]:{FORMATS['value']}}}"
            "<extra></extra>"
        ),
    )


def _text_px(text: str, size: float = FONT["text"]) -> float:
    """About how wide the widest line of `text` is drawn, in pixels (a little more, if off)."""
    return max(
        (
            TILES["label_char_em"] * (len(line) - line.count(" "))
            + TILES["label_space_em"] * line.count(" ")
        )
        * size
        for line in text.split("<br>")
    )


@dataclass(frozen=True)
class _Placement:
    """Where the overview's columns go, in figure units, for one unit size in pixels."""

    lefts: list[float]  # left edge of each column's tiles
    left: float  # the figure's extent, titles included
    right: float


def _place(
    widths: Sequence[float], titles_px: Sequence[float], rows: Sequence[int], unit_px: float
) -> _Placement:
    """Columns side by side, `column_gap` apart, and further where two titles in the same row of
    titles (`rows`) would come closer than `label_pad_px` at `unit_px` pixels per unit."""
    lefts: list[float] = []
    last_in_row: dict[int, int] = {}
    for i, (width, title) in enumerate(zip(widths, titles_px, strict=True)):
        left = lefts[-1] + widths[i - 1] + TILES["column_gap"] if lefts else 0.0
        j = last_in_row.get(rows[i])
        if j is not None:
            centre_j = lefts[j] + widths[j] / 2
            apart = (titles_px[j] + title) / 2 + TILES["label_pad_px"]
            left = max(left, centre_j + apart / unit_px - width / 2)
        lefts.append(left)
        last_in_row[rows[i]] = i
    centres = [left + width / 2 for left, width in zip(lefts, widths, strict=True)]
    half = [title / 2 / unit_px for title in titles_px]
    return _Placement(
        lefts,
        min(min(c - h for c, h in zip(centres, half, strict=True)), 0.0),
        max(max(c + h for c, h in zip(centres, half, strict=True)), lefts[-1] + widths[-1]),
    )


def _fit(
    widths: Sequence[float], titles_px: Sequence[float], rows: Sequence[int], width_px: float
) -> tuple[float, _Placement]:
    """The largest unit size (pixels per unit, at most max_unit_px) at which the columns and
    their titles fit into `width_px`, and the placement at that size. The placement's width in
    pixels grows with the unit size, so halving the interval finds it."""

    def width_at(unit_px: float) -> float:
        placed = _place(widths, titles_px, rows, unit_px)
        return (placed.right - placed.left + 1.0) * unit_px  # + half a unit of margin each side

    low, high = 1e-3, float(TILES["max_unit_px"])
    if width_at(high) <= width_px:
        low = high
    for _ in range(40):
        if low == high:
            break
        mid = (low + high) / 2
        low, high = (mid, high) if width_at(mid) <= width_px else (low, mid)
    return low, _place(widths, titles_px, rows, low)


def overview(
    columns: Sequence[OverviewColumn],
    max_rows: int,
    *,
    width_px: float = TILES["width_px"],
    min_width_px: float = TILES["overview_min_px"],
) -> go.Figure:
    """Every stage as a column: maps stacked as thumbnails, vectors as one tall strip.

    Thumbnail k of every column sits at the same height. The titles sit above the tiles, in
    pixels: where side by side they would not fit at `min_width_px`, every other one is raised
    by a line of titles. The notes sit under their columns, in the same rows. The height is
    set for `width_px`; narrower, the tiles shrink to the width and the titles stay whole.
    """
    thumb, gap = TILES["thumb"], TILES["gap"]
    column_height = max_rows * thumb + (max_rows - 1) * gap
    widths = [thumb if np.asarray(c.values).ndim == 3 else TILES["strip"] for c in columns]
    titles_px = [max(_text_px(c.label), _text_px(c.note, FONT["note"])) for c in columns]
    rows, placed = _title_rows(widths, titles_px, min_width_px)
    lines = max(len(c.label.split("<br>")) for c in columns)
    title_px = lines * TILES["label_line_px"]
    traces, annotations = [], []
    for col, left, width, row in zip(columns, placed.lefts, widths, rows, strict=True):
        traces.append(_column_trace(col, left, column_height))
        values = np.asarray(col.values)
        bottom = len(values) * (thumb + gap) - gap if values.ndim == 3 else column_height
        annotations += _column_texts(col, left + width / 2, bottom, row, title_px)
    title_rows = max(rows) + 1
    note_rows = title_rows if any(c.note for c in columns) else 0
    margin = {
        "l": 4,
        "r": 4,
        "t": title_rows * title_px + 6,
        "b": note_rows * TILES["label_line_px"] + 6,
    }
    unit = fit_unit_px(placed.left, placed.right, width_px, TILES["max_unit_px"])
    return figure(
        traces,
        height=int((column_height + 1.0) * unit) + margin["t"] + margin["b"],
        margin=margin,
        **STILL,
        xaxis={
            **HIDDEN_AXIS,
            "range": [placed.left - 0.5, placed.right + 0.5],
            "constrain": "domain",
        },
        yaxis={
            **HIDDEN_AXIS,
            "range": [column_height + 0.5, -0.5],
            "scaleanchor": "x",
            "constrain": "domain",
            # Narrower than width_px the tiles shrink: keep them under their titles.
            "constraintoward": "top",
        },
        annotations=annotations,
        hovermode="closest",
    )


def _title_rows(
    widths: Sequence[float], titles_px: Sequence[float], width_px: float
) -> tuple[list[int], _Placement]:
    """The row of titles each column's title goes in (all in one, or every other one raised)
    and the columns' placement that goes with it, at `width_px`."""
    flat = [0] * len(widths)
    staggered = [i % 2 for i in range(len(widths))]
    unit_flat, placed_flat = _fit(widths, titles_px, flat, width_px)
    unit_staggered, placed_staggered = _fit(widths, titles_px, staggered, width_px)
    # Staggered titles cost a line of height: worth it only where the titles, not the tiles,
    # were what kept the figure small (the search's own tolerance aside).
    if unit_staggered > unit_flat * 1.01:
        return staggered, placed_staggered
    return flat, placed_flat


def _column_texts(
    col: OverviewColumn, centre: float, bottom: float, row: int, title_px: float
) -> list[dict]:
    """The column's title above the tiles (raised by `row` rows of titles, `title_px` high)
    and its note, if any, under its last tile at `bottom`, lowered by as many lines."""
    texts = [
        {
            "text": col.label,
            "x": centre,
            "xref": "x",
            "y": 1.0,
            "yref": "paper",
            "yanchor": "bottom",
            "yshift": 2 + row * title_px,
            "showarrow": False,
            "font": {"size": FONT["text"]},
        }
    ]
    if col.note:
        texts.append(
            {
                "text": col.note,
                "x": centre,
                "xref": "x",
                "y": bottom,
                "yref": "y",
                "yanchor": "top",
                "yshift": -2 - row * TILES["label_line_px"],
                "showarrow": False,
                "font": {"size": FONT["note"]},
            }
        )
    return texts


def _first_line(label: str) -> str:
    return label.split("<br>")[0]
