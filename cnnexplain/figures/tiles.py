"""The tile engine: many small maps drawn on one pair of hidden axes, and grids of maps.

`figures.maps` draws one array per chart, or a grid of them through plotly subplots. The detail
views need dozens of small maps at once (every stage of the network side by side, a kernel and
its products for every input channel), each on its own colour scale and some with outlines. One
subplot per map makes plotly slow to build and to draw, so here every map is one heatmap trace
placed with an offset on a single pair of hidden axes ("tiles"). Hover still gives the exact
value and the row and column inside the map.

Arrays in, `plotly.graph_objects.Figure` out; colours and sizes come from `figures.theme`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from cnnexplain.figures.theme import (
    COLOURS,
    FONT,
    FORMATS,
    SCALES,
    SIZES,
    STILL,
    TILES,
    figure,
)
from cnnexplain.texts import figures as text

Box = tuple[int, int, int, int]  # (row0, col0, row1, col1), inclusive, in cells of one map
HIDDEN_AXIS = {"visible": False, "showgrid": False, "zeroline": False}  # tiles carry no scale


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
    colorscale: str = SCALES["maps"]
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
    size: int = FONT["text"]
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
    """The tile's heatmap, then its invisible click targets and its marked cells, if any."""
    traces: list[go.BaseTraceType] = [_heatmap(tile)]
    if tile.clickable:
        traces.append(_click_targets(index, tile, unit_px))
    if tile.dots:
        traces.append(_dots(tile, unit_px))
    return traces


def _hover_name(tile: Tile) -> str:
    return f"{tile.name}<br>" if tile.name else ""


def _heatmap(tile: Tile) -> go.Heatmap:
    """The tile's values; a clickable tile leaves its hover text to its click targets."""
    z = np.asarray(tile.z, dtype=np.float32)
    h, w = z.shape
    if tile.hover_index:
        custom = (np.arange(h) + tile.first_index).astype(np.int32).reshape(h, 1)
        where = f"{text.NUMBER} %{{customdata}}"
    else:
        custom = _cell_indices(h, w) + np.int16(tile.first_index)
        where = f"{text.ROW} %{{customdata[0]}}, {text.COL} %{{customdata[1]}}"
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
        hovertemplate=(
            f"{_hover_name(tile)}{where}<br>{text.VALUE} %{{z:{FORMATS['value']}}}<extra></extra>"
        ),
        hoverinfo="skip" if tile.clickable else None,
        xgap=0,
        ygap=0,
    )
    if tile.showscale:
        heat.update(colorbar={"thickness": SIZES["colorbar"], "len": 0.8})
    if tile.text:
        heat.update(texttemplate=f"%{{z:{tile.text_format}}}", textfont={"size": FONT["label"]})
    return heat


def _click_targets(index: int, tile: Tile, unit_px: float) -> go.Scatter:
    """An invisible square point on every cell: plotly selects points, not heatmap cells.
    Each point's customdata is (tile index, row, col, value)."""
    z = np.asarray(tile.z, dtype=np.float32)
    rows, cols = (i.ravel() for i in np.indices(z.shape))
    custom_points = np.column_stack(
        [np.full(z.size, index), rows + tile.first_index, cols + tile.first_index, z.ravel()]
    ).astype(np.float32)
    return go.Scatter(
        x=(tile.x + (cols + 0.5) * tile.dx).astype(np.float32),
        y=(tile.y + (rows + 0.5) * tile.cell).astype(np.float32),
        mode="markers",
        marker={"size": max(4.0, tile.cell * unit_px), "symbol": "square", "opacity": 0},
        selected={"marker": {"opacity": 0}},
        unselected={"marker": {"opacity": 0}},
        # Plain lists, not a typed array: a clicked point then reports its customdata
        # as a list (a typed array's row would arrive as an object).
        customdata=custom_points.tolist(),
        hovertemplate=(
            f"{_hover_name(tile)}{text.ROW} %{{customdata[1]}}, {text.COL} %{{customdata[2]}}"
            f"<br>{text.VALUE} %{{customdata[3]:{FORMATS['value']}}}<extra></extra>"
        ),
        showlegend=False,
    )


def _dots(tile: Tile, unit_px: float) -> go.Scatter:
    """A ringed dot on each marked cell (the pool winner, the taps of a dilated kernel)."""
    return go.Scatter(
        x=[tile.x + (c + 0.5) * tile.dx for _, c in tile.dots],
        y=[tile.y + (r + 0.5) * tile.cell for r, _ in tile.dots],
        mode="markers",
        marker={
            "size": max(5.0, min(14.0, tile.cell * unit_px * 0.45)),
            "color": COLOURS["background"],
            "line": {"color": COLOURS["focus"], "width": 2},
        },
        hoverinfo="skip",
        showlegend=False,
    )


def _box_shape(tile: Tile, box: Box, line: dict | None = None) -> dict:
    r0, c0, r1, c1 = box
    return {
        "type": "rect",
        "x0": tile.x + c0 * tile.dx,
        "x1": tile.x + (c1 + 1) * tile.dx,
        "y0": tile.y + r0 * tile.cell,
        "y1": tile.y + (r1 + 1) * tile.cell,
        "line": line or {"color": COLOURS["focus"], "width": SIZES["box_width"]},
    }


def tiles_figure(
    layout: TileLayout,
    *,
    width_px: float = TILES["width_px"],
    max_unit_px: float = TILES["max_unit_px"],
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
    unit_px = fit_unit_px(extent[0], extent[1], width_px, max_unit_px)
    traces = []
    for index, tile in enumerate(layout.tiles):
        traces.extend(_tile_traces(index, tile, unit_px))
    frame = {"color": COLOURS["frame"], "width": 1, "dash": "dot"}
    shapes = [
        _box_shape(tile, tile.outline, frame) for tile in layout.tiles if tile.outline is not None
    ]
    shapes += [_box_shape(tile, box) for tile in layout.tiles for box in tile.boxes]
    return _figure(traces, shapes, layout.labels, extent, unit_px, title=title)


def fit_unit_px(left: float, right: float, width_px: float, max_unit_px: float) -> float:
    """Pixels per figure unit that fit left..right, and half a unit on either side, into
    `width_px`, but never more than `max_unit_px`."""
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
    label_room = TILES["label_px"] / unit_px if labels else 0.5
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
    return figure(
        traces,
        height=height,
        title=title,
        margin={"l": 4, "r": 4, "t": margin_top, "b": 4},
        **STILL,
        xaxis={**HIDDEN_AXIS, "range": [left - 0.5, right + 0.5], "constrain": "domain"},
        yaxis={
            **HIDDEN_AXIS,
            "range": [bottom + 0.5, y_top],
            "scaleanchor": "x",
            "constrain": "domain",
        },
        shapes=shapes,
        annotations=annotations,
        hovermode="closest",
    )


def map_grid(
    maps: np.ndarray,
    *,
    names: Sequence[str],
    ranges: Sequence[tuple[float, float] | tuple[None, None]],
    columns: int = 8,
    colorscale: str = SCALES["maps"],
    boxes: Sequence[Sequence[Box]] | None = None,
    dots: Sequence[Sequence[tuple[int, int]]] | None = None,
    clickable: bool = False,
    showscale: bool = False,
    text: bool = False,
    first_index: int = 0,
    outline: Box | None = None,
    width_px: float = TILES["width_px"],
    max_unit_px: float = TILES["max_unit_px"],
    titles: Sequence[str] | None = None,
) -> go.Figure:
    """Maps (n, h, w) as a grid of heatmaps, `columns` wide, one cell per unit.

    Map k has the colour range ranges[k], the outlines boxes[k] and the marked cells dots[k];
    it is titled titles[k] (default: its name, which the hover text also shows).
    """
    maps = np.asarray(maps)
    n, h, w = maps.shape
    columns = min(columns, n)
    gap = max(2.0, w / 7)
    layout = TileLayout()
    for k in range(n):
        row, col = divmod(k, columns)
        x = col * (w + gap)
        y = row * (h + gap + 2.5)
        zmin, zmax = ranges[k]
        layout.tiles.append(
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
        layout.labels.append(Label(title, x + w / 2, y - 0.3, FONT["label"]))
    if showscale:
        width_px -= 60  # room for the colour bar
    return tiles_figure(layout, width_px=width_px, max_unit_px=max_unit_px)
