"""Figure builders for the detail views: many small maps laid out on one pair of axes.

`figures.py` draws one array per chart, or a grid of them through plotly subplots. The detail
views need dozens of small maps at once (every stage of the network side by side, a kernel and
its products for every input channel), each on its own colour scale and some with outlines. One
subplot per map makes plotly slow to build and to draw, so here every map is one heatmap trace
placed with an offset on a single pair of hidden axes ("tiles"); the overview goes further and
stacks a whole stage into one trace. Hover still gives the exact value and the row and column
inside the map.

Arrays in, `plotly.graph_objects.Figure` out; colours come from `figures.THEME` and `DETAIL`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from cnnexplain.figures.maps import THEME, plotly_literal

DETAIL = {
    "width_px": 900,  # width a figure is drawn for unless told otherwise: a wide main column
    "max_unit_px": 40,  # a figure unit (one cell of a map) is never drawn larger than this
    "thumb": 10.0,  # side of one overview thumbnail, in figure units
    "gap": 1.5,  # space between tiles, in figure units
    "column_gap": 4.0,  # space between overview columns
    # The overview's column titles are written in pixels, so they are laid out for the
    # narrowest the overview is drawn: the main column of a 1024 px window with the sidebar
    # open. Wider, the columns move apart and the titles keep their size.
    "overview_min_px": 540,
    "label_line_px": 16,  # height of one line of an overview title or note
    "label_char_em": 0.52,  # width of a letter or digit of a title, in font sizes (a bit more
    "label_space_em": 0.22,  # than the app's font draws); of a space
    "label_pad_px": 8,  # space between two titles side by side
    "strip": 3.0,  # width of a vector drawn as a strip
    "label_px": 46,  # room above the tiles for column labels
    "box_width": 3,
    "dot": "#FFFFFF",  # markers on a map (pool winner, dilated kernel taps)
    "dot_edge": "#E45756",
    "cell_text": 11,  # font size of values written inside cells
    "min_text_cell_px": 30,  # narrowest cell a value is written into
    # Not Inferno or Magma: they start at "#000004", a code Streamlit's chart theme replaces
    # with one of its own colours (#000001 to #000010 are its placeholders).
    "saliency": "Hot",
    "cam": "Jet",
    "cam_opacity": 0.45,
    "onehot_on": "#54A24B",
    "onehot_off": "#E0E0E0",
    "outline": "#888888",
    "band": "rgba(245, 133, 24, 0.12)",  # a shaded run of a vector (one map's part of the list)
}


def _layout(height: int, margin: dict | None = None, title: str | None = None, **extra) -> dict:
    """The house layout, as figures.apply_layout sets it, in the form of a dict.

    Passing the whole layout to the Figure has plotly check it once; updating a built figure
    costs as much again, and these figures are drawn on every rerun of a page.
    """
    return {
        "height": height,
        "margin": margin or THEME["margin"],
        "title": {"text": title, "font": {"size": THEME["font_size"] + 2}} if title else None,
        "font": {"size": THEME["font_size"]},
        "plot_bgcolor": "white",
        "showlegend": False,
        "dragmode": False,
        **extra,
    }


Box = tuple[int, int, int, int]  # (row0, col0, row1, col1), inclusive, in cells of one map


@dataclass(frozen=True, eq=False)
class Tile:
    """One 2-D array drawn at a place on the shared axes."""

    z: np.ndarray  # (h, w) the values; hover shows them exactly
    x: float  # left edge, in figure units
    y: float  # top edge, in figure units (y grows downwards)
    cell: float = 1.0  # height of one cell (and its width unless cell_w is given), figure units
    cell_w: float | None = None  # width of one cell when cells are not square (a vector strip)
    name: str = ""  # first line of the hover text: which map this is
    zmin: float | None = None  # colour range; None lets plotly pick this map's own range
    zmax: float | None = None
    colorscale: str = THEME["maps"]
    text: bool = False  # write each value inside its cell (small arrays only)
    text_format: str = ".2f"
    boxes: Sequence[Box] = ()  # outlines (a kernel window, a pooling window)
    dots: Sequence[tuple[int, int]] = ()  # marked cells (the pool winner, dilated taps)
    clickable: bool = False  # lay invisible points over the cells so a click picks one
    opacity: float = 1.0
    showscale: bool = False
    hover_index: bool = False  # a (D, 1) strip: hover says "number k" instead of row and col
    first_index: int = 0  # the row (and col, or number) of the first cell: -padding on a padded map
    outline: Box | None = None  # a thin grey frame (the real picture inside its padding)

    @property
    def dx(self) -> float:
        return self.cell if self.cell_w is None else self.cell_w

    @property
    def width(self) -> float:
        return self.z.shape[1] * self.dx

    @property
    def height(self) -> float:
        return self.z.shape[0] * self.cell


@dataclass(frozen=True)
class Label:
    """Text placed on the shared axes (column titles, signs between tiles)."""

    text: str
    x: float
    y: float
    size: int = THEME["font_size"]
    anchor: str = "bottom"  # "bottom" sits above (x, y), "top" below it, "middle" centres on it


@dataclass(frozen=True, eq=False)
class TileLayout:
    """The tiles and labels of one figure."""

    tiles: list[Tile] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)


def _cell_indices(h: int, w: int) -> np.ndarray:
    """(h, w, 2) int16 array of (row, col) for hover text."""
    return np.stack(np.indices((h, w)), axis=-1).astype(np.int16)


def _tile_traces(index: int, tile: Tile, unit_px: float) -> list[go.BaseTraceType]:
    z = np.asarray(tile.z, dtype=np.float32)
    h, w = z.shape
    fmt = THEME["value_format"]
    name = f"{tile.name}<br>" if tile.name else ""
    if tile.hover_index:
        custom = (np.arange(h) + tile.first_index).astype(np.int32).reshape(h, 1)
        where = "number %{customdata}"
    else:
        custom = _cell_indices(h, w) + np.int16(tile.first_index)
        where = "row %{customdata[0]}, col %{customdata[1]}"
    heat = go.Heatmap(
        z=z,
        x0=tile.x + tile.dx / 2,
        dx=tile.dx,
        y0=tile.y + tile.cell / 2,
        dy=tile.cell,
        zmin=tile.zmin,
        zmax=tile.zmax,
        colorscale=tile.colorscale,
        showscale=tile.showscale,
        opacity=tile.opacity,
        customdata=custom,
        hovertemplate=f"{name}{where}<br>value %{{z:{fmt}}}<extra></extra>",
        hoverinfo="skip" if tile.clickable else None,
        xgap=0,
        ygap=0,
    )
    if tile.showscale:
        heat.update(colorbar={"thickness": 12, "len": 0.8})
    if tile.text:
        heat.update(
            texttemplate=f"%{{z:{tile.text_format}}}", textfont={"size": DETAIL["cell_text"]}
        )
    traces: list[go.BaseTraceType] = [heat]
    if tile.clickable:
        rows, cols = np.indices((h, w))
        centres_x = tile.x + (cols.ravel() + 0.5) * tile.dx
        centres_y = tile.y + (rows.ravel() + 0.5) * tile.cell
        custom_points = np.column_stack(
            [
                np.full(h * w, index),
                rows.ravel() + tile.first_index,
                cols.ravel() + tile.first_index,
                z.ravel(),
            ]
        ).astype(np.float32)
        traces.append(
            go.Scatter(
                x=centres_x.astype(np.float32),
                y=centres_y.astype(np.float32),
                mode="markers",
                marker={
                    "size": max(4.0, tile.cell * unit_px),
                    "symbol": "square",
                    "opacity": 0,
                },
                selected={"marker": {"opacity": 0}},
                unselected={"marker": {"opacity": 0}},
                # Plain lists, not a typed array: a clicked point then reports its customdata
                # as a list (a typed array's row would arrive as an object).
                customdata=custom_points.tolist(),
                hovertemplate=(
                    f"{name}row %{{customdata[1]}}, col %{{customdata[2]}}"
                    f"<br>value %{{customdata[3]:{fmt}}}<extra></extra>"
                ),
                showlegend=False,
            )
        )
    if tile.dots:
        traces.append(
            go.Scatter(
                x=[tile.x + (c + 0.5) * tile.dx for _, c in tile.dots],
                y=[tile.y + (r + 0.5) * tile.cell for r, _ in tile.dots],
                mode="markers",
                marker={
                    "size": max(5.0, min(14.0, tile.cell * unit_px * 0.45)),
                    "color": DETAIL["dot"],
                    "line": {"color": DETAIL["dot_edge"], "width": 2},
                },
                hoverinfo="skip",
                showlegend=False,
            )
        )
    return traces


def _box_shape(tile: Tile, box: Box, line: dict | None = None) -> dict:
    r0, c0, r1, c1 = box
    return {
        "type": "rect",
        "x0": tile.x + c0 * tile.dx,
        "x1": tile.x + (c1 + 1) * tile.dx,
        "y0": tile.y + r0 * tile.cell,
        "y1": tile.y + (r1 + 1) * tile.cell,
        "line": line or {"color": THEME["box"], "width": DETAIL["box_width"]},
    }


def tiles_figure(
    layout: TileLayout,
    *,
    width_px: float = DETAIL["width_px"],
    max_unit_px: float = DETAIL["max_unit_px"],
    title: str | None = None,
) -> go.Figure:
    """Draw every tile and label of `layout` on one pair of hidden axes, row 0 at the top.

    The figure is sized for a column `width_px` wide, one figure unit never larger than
    `max_unit_px`. Clickable tiles carry invisible points whose customdata is
    (tile index, row, col, value).
    """
    extent = (
        min(t.x for t in layout.tiles),
        max(t.x + t.width for t in layout.tiles),
        min([t.y for t in layout.tiles] + [lab.y for lab in layout.labels]),
        max([t.y + t.height for t in layout.tiles] + [lab.y for lab in layout.labels]),
    )
    unit_px = _unit_px(extent, width_px, max_unit_px)
    traces = []
    for index, tile in enumerate(layout.tiles):
        traces.extend(_tile_traces(index, tile, unit_px))
    frame = {"color": DETAIL["outline"], "width": 1, "dash": "dot"}
    shapes = [
        _box_shape(tile, tile.outline, frame) for tile in layout.tiles if tile.outline is not None
    ]
    shapes += [_box_shape(tile, box) for tile in layout.tiles for box in tile.boxes]
    return _figure(traces, shapes, layout.labels, extent, unit_px, title=title)


def _unit_px(
    extent: tuple[float, float, float, float], width_px: float, max_unit_px: float
) -> float:
    left, right = extent[0], extent[1]
    return min(width_px / (right - left + 1.0), max_unit_px)


def _figure(
    traces: list,
    shapes: list[dict],
    labels: Sequence[Label],
    extent: tuple[float, float, float, float],
    unit_px: float,
    *,
    title: str | None = None,
) -> go.Figure:
    """Traces on one pair of hidden axes spanning extent (left, right, top, bottom).

    The height follows from `unit_px` pixels per unit, plus fixed room for the labels on top.
    """
    left, right, top, bottom = extent
    label_room = DETAIL["label_px"] / unit_px if labels else 0.5
    annotations = [
        {
            "text": lab.text,
            "x": lab.x,
            "y": lab.y,
            "xref": "x",
            "yref": "y",
            "showarrow": False,
            "yanchor": lab.anchor,
            "font": {"size": lab.size},
        }
        for lab in labels
    ]
    y_top = top - label_room
    margin_top = 30 if title else 4
    height = int((bottom + 0.5 - y_top) * unit_px) + margin_top + 8
    axis = {"visible": False, "showgrid": False, "zeroline": False}
    return go.Figure(
        data=traces,
        layout=_layout(
            height,
            {"l": 4, "r": 4, "t": margin_top, "b": 4},
            title,
            xaxis={**axis, "range": [left - 0.5, right + 0.5], "constrain": "domain"},
            yaxis={
                **axis,
                "range": [bottom + 0.5, y_top],
                "scaleanchor": "x",
                "constrain": "domain",
            },
            shapes=shapes,
            annotations=annotations,
            hovermode="closest",
        ),
    )


# --------------------------------------------------------------------------------------------
# Layouts the views use
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class OverviewColumn:
    """One stage in the overview: its maps (n, h, w) or its vector (D,), and colour ranges."""

    label: str  # column title, e.g. "conv1<br>8×28×28"
    values: np.ndarray  # (n, h, w) maps already cut to the ones shown, or (D,) a vector
    ranges: Sequence[tuple[float, float]]  # one (zmin, zmax) per map, or one for the vector
    colorscale: str = THEME["maps"]
    note: str = ""  # under the column, e.g. "8 of 16"


def _normalised(arr: np.ndarray, zrange: tuple[float, float]) -> np.ndarray:
    lo, hi = zrange
    return np.clip((arr - lo) / ((hi - lo) or 1.0), 0.0, 1.0)


def _column_trace(col: OverviewColumn, x: float, column_height: float) -> go.Heatmap:
    """One stage's maps stacked into one heatmap with an empty row between two maps.

    Each map keeps its own colour range by being scaled to [0, 1] on it; the exact values ride
    along as customdata for the hover text. One trace per stage keeps the figure quick to send.
    The rows' edges are given, so that map k starts at k·(thumb + gap) in every column, however
    many cells its maps have.
    """
    values = np.asarray(col.values, dtype=np.float32)
    name = _first_line(col.label)
    fmt = THEME["value_format"]
    if values.ndim == 1:
        strip = _normalised(values, col.ranges[0]).reshape(-1, 1)
        custom = np.column_stack([np.arange(len(values)), values]).astype(np.float32)
        return go.Heatmap(
            z=strip.astype(np.float32),
            customdata=custom.reshape(-1, 1, 2),
            x0=x + DETAIL["strip"] / 2,
            dx=DETAIL["strip"],
            y0=column_height / len(values) / 2,
            dy=column_height / len(values),
            zmin=0.0,
            zmax=1.0,
            colorscale=col.colorscale,
            showscale=False,
            hovertemplate=(
                f"{name}<br>number %{{customdata[0]}}<br>value %{{customdata[1]:{fmt}}}"
                "<extra></extra>"
            ),
        )
    n, h, w = values.shape
    thumb = DETAIL["thumb"]
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
        edges[first : first + h + 1] = k * (thumb + DETAIL["gap"]) + cell * np.arange(h + 1)
    edges[-1] = (n - 1) * (thumb + DETAIL["gap"]) + cell * h
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
            f"{name} · channel %{{customdata[0]}}<br>row %{{customdata[1]}}, "
            f"col %{{customdata[2]}}<br>value %{{customdata[3]:{fmt}}}<extra></extra>"
        ),
    )


def _text_px(text: str, size: float = THEME["font_size"]) -> float:
    """About how wide the widest line of `text` is drawn, in pixels (a little more, if off)."""
    return max(
        (
            DETAIL["label_char_em"] * (len(line) - line.count(" "))
            + DETAIL["label_space_em"] * line.count(" ")
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
        left = lefts[-1] + widths[i - 1] + DETAIL["column_gap"] if lefts else 0.0
        j = last_in_row.get(rows[i])
        if j is not None:
            centre_j = lefts[j] + widths[j] / 2
            apart = (titles_px[j] + title) / 2 + DETAIL["label_pad_px"]
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

    low, high = 1e-3, float(DETAIL["max_unit_px"])
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
    width_px: float = DETAIL["width_px"],
    min_width_px: float = DETAIL["overview_min_px"],
) -> go.Figure:
    """Every stage as a column: maps stacked as thumbnails, vectors as one tall strip.

    Thumbnail k of every column sits at the same height. The titles sit above the tiles, in
    pixels: where side by side they would not fit at `min_width_px`, every other one is raised
    by a line of titles. The notes sit under their columns, in the same rows. The height is
    set for `width_px`; narrower, the tiles shrink to the width and the titles stay whole.
    """
    thumb, gap = DETAIL["thumb"], DETAIL["gap"]
    column_height = max_rows * thumb + (max_rows - 1) * gap
    widths = [thumb if np.asarray(c.values).ndim == 3 else DETAIL["strip"] for c in columns]
    titles_px = [max(_text_px(c.label), _text_px(c.note, THEME["font_size"] - 2)) for c in columns]
    flat = [0] * len(columns)
    staggered = [i % 2 for i in range(len(columns))]
    unit_flat, placed = _fit(widths, titles_px, flat, min_width_px)
    unit_staggered, placed_staggered = _fit(widths, titles_px, staggered, min_width_px)
    # Staggered titles cost a line of height: worth it only where the titles, not the tiles,
    # were what kept the figure small (the search's own tolerance aside).
    rows = flat
    if unit_staggered > unit_flat * 1.01:
        rows, placed = staggered, placed_staggered
    lines = max(len(c.label.split("<br>")) for c in columns)
    title_px = lines * DETAIL["label_line_px"]
    traces, annotations = [], []
    for col, left, width, row in zip(columns, placed.lefts, widths, rows, strict=True):
        values = np.asarray(col.values)
        traces.append(_column_trace(col, left, column_height))
        centre = left + width / 2
        annotations.append(
            {
                "text": col.label,
                "x": centre,
                "xref": "x",
                "y": 1.0,
                "yref": "paper",
                "yanchor": "bottom",
                "yshift": 2 + row * title_px,
                "showarrow": False,
                "font": {"size": THEME["font_size"]},
            }
        )
        if col.note:
            bottom = len(values) * (thumb + gap) - gap if values.ndim == 3 else column_height
            annotations.append(
                {
                    "text": col.note,
                    "x": centre,
                    "xref": "x",
                    "y": bottom,
                    "yref": "y",
                    "yanchor": "top",
                    "yshift": -2 - row * DETAIL["label_line_px"],
                    "showarrow": False,
                    "font": {"size": THEME["font_size"] - 2},
                }
            )
    title_rows = max(rows) + 1
    note_rows = title_rows if any(c.note for c in columns) else 0
    margin = {
        "l": 4,
        "r": 4,
        "t": title_rows * title_px + 6,
        "b": note_rows * DETAIL["label_line_px"] + 6,
    }
    unit_px = min(width_px / (placed.right - placed.left + 1.0), DETAIL["max_unit_px"])
    height = int((column_height + 1.0) * unit_px) + margin["t"] + margin["b"]
    axis = {"visible": False, "showgrid": False, "zeroline": False}
    return go.Figure(
        data=traces,
        layout=_layout(
            height,
            margin,
            xaxis={**axis, "range": [placed.left - 0.5, placed.right + 0.5], "constrain": "domain"},
            yaxis={
                **axis,
                "range": [column_height + 0.5, -0.5],
                "scaleanchor": "x",
                "constrain": "domain",
                # Narrower than width_px the tiles shrink: keep them under their titles.
                "constraintoward": "top",
            },
            annotations=annotations,
            hovermode="closest",
        ),
    )


def _first_line(label: str) -> str:
    return label.split("<br>")[0]


def grid_layout(
    maps: np.ndarray,
    *,
    names: Sequence[str],
    ranges: Sequence[tuple[float, float] | tuple[None, None]],
    columns: int,
    colorscale: str = THEME["maps"],
    boxes: Sequence[Sequence[Box]] | None = None,
    dots: Sequence[Sequence[tuple[int, int]]] | None = None,
    clickable: bool = False,
    showscale: bool = False,
    text: bool = False,
    first_index: int = 0,
    outline: Box | None = None,
    titles: Sequence[str] | None = None,
) -> TileLayout:
    """Maps (n, h, w) in a grid of `columns`, one cell per unit.

    Each map is titled by `titles` (default: its name, which the hover text also shows).
    """
    maps = np.asarray(maps)
    n, h, w = maps.shape
    gap = max(2.0, w / 7)
    out = TileLayout()
    for k in range(n):
        row, col = divmod(k, columns)
        x = col * (w + gap)
        y = row * (h + gap + 2.5)
        zmin, zmax = ranges[k]
        out.tiles.append(
            Tile(
                z=maps[k],
                x=x,
                y=y,
                name=names[k],
                zmin=zmin,
                zmax=zmax,
                colorscale=colorscale,
                boxes=boxes[k] if boxes is not None else (),
                dots=dots[k] if dots is not None else (),
                clickable=clickable,
                showscale=showscale and k == 0,
                text=text,
                first_index=first_index,
                outline=outline,
            )
        )
        title = names[k] if titles is None else titles[k]
        out.labels.append(Label(title, x + w / 2, y - 0.3, THEME["font_size"] - 1))
    return out


def map_grid(
    maps: np.ndarray,
    *,
    names: Sequence[str],
    ranges: Sequence[tuple[float, float] | tuple[None, None]],
    columns: int = 8,
    colorscale: str = THEME["maps"],
    boxes: Sequence[Sequence[Box]] | None = None,
    dots: Sequence[Sequence[tuple[int, int]]] | None = None,
    clickable: bool = False,
    showscale: bool = False,
    text: bool = False,
    first_index: int = 0,
    outline: Box | None = None,
    width_px: float = DETAIL["width_px"],
    max_unit_px: float = DETAIL["max_unit_px"],
    titles: Sequence[str] | None = None,
) -> go.Figure:
    """Maps (n, h, w) as a grid of heatmaps with titles, outlines and marked cells."""
    layout = grid_layout(
        maps,
        names=names,
        ranges=ranges,
        columns=min(columns, len(maps)),
        colorscale=colorscale,
        boxes=boxes,
        dots=dots,
        clickable=clickable,
        showscale=showscale,
        text=text,
        first_index=first_index,
        outline=outline,
        titles=titles,
    )
    if showscale:
        width_px -= 60  # room for the colour bar
    return tiles_figure(layout, width_px=width_px, max_unit_px=max_unit_px)


@dataclass(frozen=True, eq=False)
class ArithmeticRow:
    """One input channel of a convolution at one position: window × kernel = products."""

    name: str  # "channel 3"
    window: np.ndarray  # (KH, KW) input values under the kernel
    kernel: np.ndarray  # (KH, KW) weights
    products: np.ndarray  # (KH, KW) window * kernel
    total: float  # sum of this channel's products
    window_range: tuple[float, float]  # colour range of the input window


def conv_arithmetic(
    rows: Sequence[ArithmeticRow],
    *,
    window_colorscale: str,
    words: tuple[str, str, str],
    sum_label: str = "sum {total}",
    width_px: float = DETAIL["width_px"],
) -> go.Figure:
    """For each input channel: its window, the kernel and their products, with values written in.

    `words` names the three grids (input under the kernel, kernel, products) and `sum_label`
    formats each channel's sum of products (`{total}`). Signed grids share one colour scale
    centred on zero. As many channels share a row as leave each cell wide enough to read.
    """
    k_h, k_w = rows[0].kernel.shape
    limit = max(
        float(np.max(np.abs(r.kernel))) for r in rows
    )  # one signed scale for every kernel slice
    product_limit = max(float(np.max(np.abs(r.products))) for r in rows)
    limit = limit or 1.0
    product_limit = product_limit or 1.0
    sign_w = 1.6  # room for "×" and "=" between grids
    block_w = 3 * k_w + 2 * sign_w
    block_gap = max(2.0, k_w * 0.6)
    fits = int(width_px // ((block_w + block_gap) * DETAIL["min_text_cell_px"]))
    per_row = max(1, min(len(rows), fits))
    unit_px = min(46.0, width_px / (per_row * (block_w + block_gap)))
    pitch = k_h + 50 / unit_px  # room for a channel's title above and its sum below
    out = TileLayout()
    for n, row in enumerate(rows):
        r, c = divmod(n, per_row)
        x = c * (block_w + block_gap)
        y = r * pitch
        grids = (
            (row.window, row.window_range[0], row.window_range[1], window_colorscale),
            (row.kernel, -limit, limit, THEME["signed"]),
            (row.products, -product_limit, product_limit, THEME["signed"]),
        )
        for g, (arr, zmin, zmax, scale) in enumerate(grids):
            gx = x + g * (k_w + sign_w)
            out.tiles.append(
                Tile(
                    z=arr,
                    x=gx,
                    y=y,
                    name=f"{row.name} · {words[g]}",
                    zmin=zmin,
                    zmax=zmax,
                    colorscale=scale,
                    text=True,
                    outline=(0, 0, k_h - 1, k_w - 1),
                )
            )
        for g, sign in ((0, "×"), (1, "=")):
            sx = x + (g + 1) * k_w + g * sign_w + sign_w / 2
            out.labels.append(Label(sign, sx, y + k_h / 2, THEME["font_size"] + 4, "middle"))
        out.labels.append(Label(f"<b>{row.name}</b>", x + block_w / 2, y - 0.2))
        out.labels.append(
            Label(
                sum_label.format(total=f"{row.total:.4f}".replace("-", "−")),
                x + 2 * (k_w + sign_w) + k_w / 2,
                y + k_h + 0.1,
                THEME["font_size"] - 1,
                "top",
            )
        )
    return tiles_figure(out, width_px=width_px, max_unit_px=46)


def window_values(
    values: np.ndarray,
    *,
    name: str,
    zmin: float,
    zmax: float,
    winner: tuple[int, int] | None,
    width_px: float = 260,
) -> go.Figure:
    """A small window (pooling) with its values written in and the winner marked."""
    tile = Tile(
        z=values,
        x=0.0,
        y=0.0,
        name=name,
        zmin=zmin,
        zmax=zmax,
        text=True,
        text_format=".3f",
        boxes=[(winner[0], winner[1], winner[0], winner[1])] if winner is not None else (),
    )
    return tiles_figure(TileLayout([tile]), width_px=width_px, max_unit_px=70)


def vector_strip(
    values: np.ndarray,
    *,
    highlight: int | None,
    name: str,
    labels: Sequence[str] | None = None,
    height: int = 240,
    value_name: str = "value",
    band: tuple[int, int] | None = None,
) -> go.Figure:
    """A long vector as bars; the highlighted entry in the highlight colour.

    `band` (first, last) shades a run of entries, such as the part one feature map became.
    """
    values = np.asarray(values, dtype=np.float32).reshape(-1)
    colors = np.full(len(values), THEME["bar"], dtype=object)
    if highlight is not None and 0 <= highlight < len(values):
        colors[highlight] = THEME["bar_highlight"]
    x = np.arange(len(values)) if labels is None else [plotly_literal(t) for t in labels]
    fmt = THEME["value_format"]
    bar = go.Bar(
        x=x,
        y=values,
        marker={"color": colors.tolist(), "line": {"width": 0}},
        hovertemplate=f"{name} %{{x}}<br>{value_name} %{{y:{fmt}}}<extra></extra>",
    )
    shapes = []
    if highlight is not None and labels is None and len(values) > 40:
        # A thin bar among hundreds is hard to find: mark its place with a line.
        shapes.append(
            {
                "type": "line",
                "x0": highlight,
                "x1": highlight,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": THEME["bar_highlight"], "width": 1, "dash": "dot"},
            }
        )
    if band is not None:
        shapes.append(
            {
                "type": "rect",
                "x0": band[0] - 0.5,
                "x1": band[1] + 0.5,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "fillcolor": DETAIL["band"],
                "line": {"width": 0},
                "layer": "below",
            }
        )
    return go.Figure(
        data=[bar],
        layout=_layout(
            height,
            bargap=0.1 if len(values) < 40 else 0,
            xaxis={"type": "category"} if labels is not None else {"title": name},
            shapes=shapes,
        ),
    )


def onehot(label: int, class_names: Sequence[str], *, title: str, height: int = 240) -> go.Figure:
    """The label as a one-hot code: a column with 1 for the true class and 0 for every other."""
    code = np.zeros((len(class_names), 1), dtype=np.float32)
    code[label, 0] = 1.0
    return go.Figure(
        data=[
            go.Heatmap(
                z=code,
                x=[title],
                y=[plotly_literal(name) for name in class_names],
                zmin=0.0,
                zmax=1.0,
                colorscale=[[0.0, DETAIL["onehot_off"]], [1.0, DETAIL["onehot_on"]]],
                showscale=False,
                texttemplate="%{z:.0f}",
                xgap=2,
                ygap=2,
                hovertemplate="%{y}: %{z:.0f}<extra></extra>",
            )
        ],
        layout=_layout(
            height,
            {"l": 10, "r": 10, "t": 10, "b": 10},
            xaxis={"side": "top", "showgrid": False, "fixedrange": True},
            yaxis={"type": "category", "autorange": "reversed", "showgrid": False},
        ),
    )


def contributions(
    products: np.ndarray, order: np.ndarray, *, names: Sequence[str], height: int = 320
) -> go.Figure:
    """The largest terms of a weighted sum as horizontal bars, biggest on top, signed colours."""
    picked = np.asarray(order)
    values = np.asarray(products, dtype=np.float64)[picked]
    colors = [THEME["curve_a"] if v >= 0 else THEME["box"] for v in values]
    fmt = THEME["value_format"]
    return go.Figure(
        data=[
            go.Bar(
                x=values,
                y=list(names),
                orientation="h",
                marker={"color": colors},
                hovertemplate=f"%{{y}}<br>input × weight = %{{x:{fmt}}}<extra></extra>",
            )
        ],
        layout=_layout(height, yaxis={"type": "category", "autorange": "reversed"}),
    )


def activation_curve(
    before: np.ndarray, after: np.ndarray, *, x_title: str, y_title: str, height: int = 260
) -> go.Figure:
    """Every value before an activation against the same value after it: the function's shape."""
    before = np.asarray(before, dtype=np.float32).reshape(-1)
    after = np.asarray(after, dtype=np.float32).reshape(-1)
    fmt = THEME["value_format"]
    return go.Figure(
        data=[
            go.Scattergl(
                x=before,
                y=after,
                mode="markers",
                marker={"size": 4, "color": THEME["curve_a"], "opacity": 0.5},
                hovertemplate=f"before %{{x:{fmt}}}<br>after %{{y:{fmt}}}<extra></extra>",
            )
        ],
        layout=_layout(
            height,
            {"l": 50, "r": 10, "t": 10, "b": 40},
            xaxis={"title": x_title, "zeroline": True},
            yaxis={"title": y_title, "zeroline": True},
        ),
    )


def looked_at(
    image: np.ndarray,
    saliency: np.ndarray,
    cam: np.ndarray,
    *,
    titles: tuple[str, str, str],
    width_px: float = DETAIL["width_px"],
) -> go.Figure:
    """The input, its saliency map, and Grad-CAM laid over the input, side by side.

    image: (H, W) gray in [0, 1]; saliency: (H, W) >= 0; cam: (H, W) in [0, 1].
    """
    h, w = image.shape
    gap = max(3.0, w / 6)
    peak = float(np.max(saliency)) or 1.0
    tiles = [
        Tile(image, 0.0, 0.0, name=titles[0], zmin=0, zmax=1, colorscale=THEME["image"]),
        Tile(
            saliency,
            w + gap,
            0.0,
            name=titles[1],
            zmin=0,
            zmax=peak,
            colorscale=DETAIL["saliency"],
        ),
        Tile(image, 2 * (w + gap), 0.0, name=titles[2], zmin=0, zmax=1, colorscale=THEME["image"]),
        Tile(
            cam,
            2 * (w + gap),
            0.0,
            name=titles[2],
            zmin=0,
            zmax=1,
            colorscale=DETAIL["cam"],
            opacity=DETAIL["cam_opacity"],
        ),
    ]
    labels = [Label(t, k * (w + gap) + w / 2, -0.3) for k, t in enumerate(titles)]
    return tiles_figure(TileLayout(tiles, labels), width_px=width_px, max_unit_px=12)


def partial_map(values: np.ndarray, done: np.ndarray) -> np.ndarray:
    """`values` where `done` is True and NaN (drawn empty) elsewhere: a map being written."""
    return np.where(done, values, np.nan).astype(np.float32)
