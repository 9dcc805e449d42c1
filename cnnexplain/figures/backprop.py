"""Plotly figure builders for the backpropagation page: gradients, kernels, the loss curve.

Built like `figures.maps` (arrays in, `plotly.graph_objects.Figure` out, colours and sizes from
`figures.theme`), and adds what a training step needs: many maps or kernels drawn as one heatmap
of tiles (one trace, so a step with a hundred kernels stays quick to draw), signed scales centred
on zero, and hover text with enough digits for gradients of 0.00001.

Each figure is built by one constructor call with its whole layout: the page draws about thirty
of them after every step, and plotly checks every property each time it is set, so setting them
one by one (update_layout, update_xaxes, ...) took twice as long.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from cnnexplain.figures.maps import array_with_ndim, category_labels, symmetric_range
from cnnexplain.figures.theme import COLOURS, FONT, FORMATS, SCALES, SERIES, SIZES, figure
from cnnexplain.texts import figures as text

VALUE_FORMAT = FORMATS["gradient"]
GAP = SIZES["mosaic_gap"]
PANEL_PX = SIZES["panel_px"]
COLORBAR_PX = SIZES["heatmap_colorbar_px"]
# Numbers like 0.00002 as 2e-5 on axes and colour bars, not in SI prefixes ("20µ").
COLORBAR = {"thickness": SIZES["colorbar"], "exponentformat": "e"}
NUMBER_AXIS = {"exponentformat": "e"}
PLAIN_AXIS = {"visible": False}  # a picture needs no axes: the hover names every cell


def tile(blocks: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Lay K equally sized 2-D blocks (K, h, w) out in a grid, `columns` blocks wide.

    Returns (z, where): z is float32 (R*(h+GAP)-GAP, cols*(w+GAP)-GAP) with NaN in the gaps
    and in empty places; where[r, c] = (k, row, col) says which block and which of its cells
    is there (-1 in gaps), for hover text.
    """
    # float32: more digits than a hover shows, half the bytes
    blocks = array_with_ndim(
        blocks, 3, "tile needs blocks of shape (K, h, w), got {shape}.", np.float32
    )
    K, h, w = blocks.shape
    cols = max(1, min(columns, K))
    rows = -(-K // cols)
    H, W = rows * (h + GAP) - GAP, cols * (w + GAP) - GAP
    z = np.full((H, W), np.nan, dtype=np.float32)
    where = np.full((H, W, 3), -1, dtype=np.int32)
    r_in, c_in = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    for k in range(K):
        top, left = (k // cols) * (h + GAP), (k % cols) * (w + GAP)
        z[top : top + h, left : left + w] = blocks[k]
        where[top : top + h, left : left + w] = np.stack([np.full_like(r_in, k), r_in, c_in], -1)
    return z, where


def compact(where: np.ndarray) -> np.ndarray:
    """Hover positions in the smallest integer type that holds them: a figure of maps carries
    three numbers a cell, sent again on every rerun, and maps, kernels and channels are small
    enough for int8 (a quarter of the bytes of int32) nearly always."""
    for small in (np.int8, np.int16):
        limits = np.iinfo(small)
        if not where.size or (where.min() >= limits.min and where.max() <= limits.max):
            return where.astype(small)
    return where


def _figure(
    traces: list[dict[str, Any]], *, height: int, title: str | None, **layout: Any
) -> go.Figure:
    """One figure from trace dicts and layout settings; its title sized for a third of a page."""
    return figure(traces, height=height, title=title, title_size=FONT["panel_title"], **layout)


def _heatmap(z: np.ndarray, hover: str, *, zrange: tuple[float, float], **extra: Any) -> dict:
    """A signed heatmap trace: its colour bar writes small numbers as powers of ten."""
    return {
        "type": "heatmap",
        "z": z,
        "zmin": zrange[0],
        "zmax": zrange[1],
        "colorscale": SCALES["signed"],
        "colorbar": COLORBAR,
        "hovertemplate": hover,
        **extra,
    }


def _height(rows: int, cols: int, *, width: int, title: bool) -> int:
    """Pixels that give a heatmap of rows x cols cells square cells at `width` pixels wide."""
    cell = (width - COLORBAR_PX) / cols
    return int(min(700, max(120, cell * rows + 30 + (25 if title else 0))))


def _image_axes(x: str = "x") -> tuple[dict[str, Any], dict[str, Any]]:
    """(x axis, y axis) settings for a heatmap drawn as a picture: row 0 on top, square cells."""
    return dict(PLAIN_AXIS), {**PLAIN_AXIS, "autorange": "reversed", "scaleanchor": x}


def _mosaic_figure(
    z: np.ndarray,
    where: np.ndarray,
    hover: str,
    *,
    zrange: tuple[float, float],
    width: int,
    title: str | None,
    colorscale: str | None = None,
) -> go.Figure:
    """A mosaic of tiles (z, where from `tile`) drawn as a picture with square cells, `width`
    pixels wide; `where` rides along for the hover text."""
    trace = _heatmap(
        z,
        hover,
        zrange=zrange,
        customdata=compact(where),
        hoverongaps=False,
        colorscale=colorscale or SCALES["signed"],
    )
    xaxis, yaxis = _image_axes()
    height = _height(*z.shape, width=width, title=bool(title))
    return _figure([trace], height=height, title=title, xaxis=xaxis, yaxis=yaxis)


def map_grid(
    maps: np.ndarray,
    *,
    zrange: tuple[float, float] | None = None,
    colorscale: str | None = None,
    title: str | None = None,
    columns: int = 4,
    labels: tuple[str | None, str, str, str] | None = None,
    width: int = PANEL_PX,
) -> go.Figure:
    """Maps (C, H, W) as one heatmap of tiles, with one colour scale for all of them.

    zrange: (zmin, zmax); by default a signed range centred on zero (figures.symmetric_range)
    with SCALES["signed"]. Pointing at a cell shows its channel, row, column and exact value;
    `labels` names those four in the hover text (for a translation; a channel label of None
    leaves the channel out, for a single map). `width` is the width in pixels the page gives
    the figure, for a height that keeps the cells square. Without `labels`, the hover speaks
    the learner's language.
    """
    maps = array_with_ndim(maps, 3, "map_grid needs maps of shape (C, H, W), got {shape}.")
    z, where = tile(maps, columns)
    channel, row, col, value = labels or (text.CHANNEL, text.ROW, text.COL, text.VALUE)
    prefix = "" if channel is None else f"{channel} %{{customdata[0]}}, "
    hover = (
        f"{prefix}{row} %{{customdata[1]}}, {col} %{{customdata[2]}}<br>"
        f"{value} %{{z:{VALUE_FORMAT}}}<extra></extra>"
    )
    zrange = zrange if zrange is not None else symmetric_range(maps)
    return _mosaic_figure(
        z, where, hover, zrange=zrange, colorscale=colorscale, width=width, title=title
    )


def _kernel_mosaic(kernels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kernels (F, C, KH, KW) as tiles: kernel f is tile column f, channel c tile row c.

    Returns (z, where) like `tile`, with where[r, col] = (f, c, row, col) (-1 in gaps).
    """
    F_, C, KH, KW = kernels.shape
    # Channel-major order puts kernel (f, c) at tile row c, tile column f.
    z, where = tile(kernels.transpose(1, 0, 2, 3).reshape(C * F_, KH, KW), F_)
    k = where[..., 0]
    f = np.where(k < 0, -1, k % F_)
    c = np.where(k < 0, -1, k // F_)
    return z, np.stack([f, c, where[..., 1], where[..., 2]], -1).astype(np.int32)


def _kernel_hover(labels: tuple[str, str, str, str, str] | None) -> str:
    """Hover text of a kernel's weight; without `labels`, in the learner's language."""
    f_name, c_name, r_name, col_name, value = labels or (
        text.FILTER,
        text.CHANNEL,
        text.ROW,
        text.COL,
        text.VALUE,
    )
    return (
        f"{f_name} %{{customdata[0]}}, {c_name} %{{customdata[1]}}<br>{r_name} "
        f"%{{customdata[2]}}, {col_name} %{{customdata[3]}}<br>{value} %{{z:{VALUE_FORMAT}}}"
        "<extra></extra>"
    )


def _check_kernels(kernels: np.ndarray) -> np.ndarray:
    return array_with_ndim(
        kernels, 4, "kernels must have shape (F, C, KH, KW), got {shape}.", np.float64
    )


def kernel_grid(
    kernels: np.ndarray,
    *,
    title: str | None = None,
    labels: tuple[str, str, str, str, str] | None = None,
    width: int = 3 * PANEL_PX,
    zrange: tuple[float, float] | None = None,
) -> go.Figure:
    """Every kernel of a conv layer (F, C, KH, KW), or its gradient, on one signed scale.

    Kernel f is column f of tiles, its input channels stacked down that column. `width` is the
    figure's width in pixels, for square cells. `zrange` fixes the colour scale (to compare
    figures of the same kernels at different times); by default it is centred on zero and fits
    these kernels.
    """
    kernels = _check_kernels(kernels)
    z, where = _kernel_mosaic(kernels)
    hover = _kernel_hover(labels)
    zrange = zrange if zrange is not None else symmetric_range(kernels)
    return _mosaic_figure(z, where, hover, zrange=zrange, width=width, title=title)


def kernel_change(
    before: np.ndarray,
    after: np.ndarray,
    *,
    titles: tuple[str, str, str] | None = None,
    labels: tuple[str, str, str, str, str] | None = None,
    width: int = 3 * PANEL_PX,
) -> go.Figure:
    """Every kernel of a conv layer (F, C, KH, KW) before and after a step, and the change.

    Three panels side by side, each laid out like `kernel_grid`. Before and after share one
    signed colour scale; the change, usually far smaller, has its own, also centred on zero.
    `width` is the figure's width in pixels, for square cells.
    """
    titles = titles or (text.BEFORE, text.AFTER, text.CHANGE)
    before, after = _check_kernels(before), _check_kernels(after)
    if before.shape != after.shape:
        raise ValueError(
            f"before and after must have one shape, got {before.shape} and {after.shape}."
        )
    change = after - before
    weight_range, change_range = symmetric_range(before, after), symmetric_range(change)
    # Three panels with room on the right of the second and third for their colour bars.
    domains = ((0.0, 0.28), (0.31, 0.59), (0.69, 0.97))
    panels = ((before, "coloraxis"), (after, "coloraxis"), (change, "coloraxis2"))
    traces, layout = [], {}
    annotations = []
    for i, ((arr, axis), domain, title) in enumerate(
        zip(panels, domains, titles, strict=True), start=1
    ):
        z, where = _kernel_mosaic(arr)
        suffix = "" if i == 1 else str(i)
        traces.append(
            {
                "type": "heatmap",
                "z": z,
                "customdata": compact(where),
                "coloraxis": axis,
                "hoverongaps": False,
                "hovertemplate": _kernel_hover(labels),
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
            }
        )
        xaxis, yaxis = _image_axes(f"x{suffix}")
        layout[f"xaxis{suffix}"] = {**xaxis, "domain": domain, "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {**yaxis, "anchor": f"x{suffix}"}
        annotations.append(
            {
                "text": title,
                "x": sum(domain) / 2,
                "y": 1.0,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "center",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": FONT["text"]},
            }
        )
    return _figure(
        traces,
        height=_height(*z.shape, width=int(width * 0.28) + COLORBAR_PX, title=True),
        title=None,
        annotations=annotations,
        coloraxis=_signed_axis(weight_range, colorbar_x=0.6),
        coloraxis2=_signed_axis(change_range, colorbar_x=0.98),
        **layout,
    )


def _signed_axis(zrange: tuple[float, float], *, colorbar_x: float) -> dict[str, Any]:
    """A shared signed colour scale over `zrange`, its slim colour bar at `colorbar_x`."""
    colorbar = {**COLORBAR, "thickness": 10, "len": 0.9, "x": colorbar_x}
    return {
        "colorscale": SCALES["signed"],
        "cmin": zrange[0],
        "cmax": zrange[1],
        "colorbar": colorbar,
    }


def matrix(
    arr: np.ndarray,
    *,
    title: str | None = None,
    labels: tuple[str, str, str] | None = None,
    height: int = 260,
) -> go.Figure:
    """A (M, D) matrix, such as a dense layer's weight gradient, on a signed scale.

    Cells are not kept square: a 64 × 784 matrix would otherwise be a thin strip.
    """
    arr = array_with_ndim(arr, 2, "matrix needs a 2-D array, got shape {shape}.", np.float32)
    row, col, value = labels or (text.ROW, text.COL, text.VALUE)
    hover = f"{row} %{{y}}, {col} %{{x}}<br>{value} %{{z:{VALUE_FORMAT}}}<extra></extra>"
    trace = _heatmap(arr, hover, zrange=symmetric_range(arr))
    return _figure(
        [trace],
        height=height,
        title=title,
        xaxis={"showgrid": False, "zeroline": False},
        yaxis={"autorange": "reversed", "showgrid": False, "zeroline": False},
    )


def bars(
    values: np.ndarray,
    *,
    labels: Sequence[str] | None = None,
    title: str | None = None,
    value_name: str | None = None,
    height: int = 220,
) -> go.Figure:
    """A 1-D array of signed numbers as bars: blue above zero, red below (as SCALES["signed"])."""
    value_name = text.VALUE if value_name is None else value_name
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    signed = np.where(values >= 0, COLOURS["positive"], COLOURS["negative"])
    trace = {
        "type": "bar",
        "x": category_labels(labels, len(values)),
        "y": values,
        "marker": {"color": signed.tolist()},
        "hovertemplate": f"%{{x}}<br>{value_name} %{{y:{VALUE_FORMAT}}}<extra></extra>",
    }
    return _figure(
        [trace],
        height=height,
        title=title,
        xaxis={"type": "category", "showticklabels": len(values) <= 40},
        yaxis=NUMBER_AXIS,
    )


def grouped_bars(
    series: Mapping[str, np.ndarray],
    *,
    labels: Sequence[str],
    title: str | None = None,
    height: int = 240,
) -> go.Figure:
    """Several named 1-D arrays over the same labels, side by side (probability vs one-hot)."""
    x = category_labels(labels, len(labels))  # class names: from the learner, maybe
    colors = SERIES
    traces = [
        {
            "type": "bar",
            "x": x,
            "y": np.asarray(values, dtype=np.float64).reshape(-1),
            "name": name,
            "marker": {"color": colors[i % len(colors)]},
            "hovertemplate": f"%{{x}}<br>{name} %{{y:{VALUE_FORMAT}}}<extra></extra>",
        }
        for i, (name, values) in enumerate(series.items())
    ]
    return _figure(
        traces,
        height=height,
        title=title,
        barmode="group",
        legend={"orientation": "h", "y": -0.15},
        xaxis={"type": "category"},
        yaxis=NUMBER_AXIS,
    )


def loss_curve(
    numbers: Sequence[int],
    before: Sequence[float],
    after: Sequence[float],
    *,
    names: tuple[str, str] | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    height: int = 300,
) -> go.Figure:
    """The loss before and after each step; a log scale once the values span 1000×. Names and
    axis titles left out are the learner's words for "before/after the step", "step", "loss"."""
    names = names or (text.BEFORE_STEP, text.AFTER_STEP)
    x_title = text.STEP if x_title is None else x_title
    y_title = text.LOSS if y_title is None else y_title
    traces = [
        {
            "type": "scatter",
            "x": list(numbers),
            "y": list(ys),
            "mode": "lines+markers",
            "name": name,
            "line": {"color": color},
            "hovertemplate": f"{x_title} %{{x}}<br>{name}: %{{y:{VALUE_FORMAT}}}<extra></extra>",
        }
        for name, ys, color in zip(
            names, (before, after), (COLOURS["main"], COLOURS["highlight"]), strict=True
        )
    ]
    values = np.asarray([*before, *after], dtype=np.float64)
    values = values[np.isfinite(values)]
    log = bool(values.size) and values.min() > 0 and values.max() > 1000 * values.min()
    yaxis: dict[str, Any] = {"title": {"text": y_title}, **NUMBER_AXIS}
    if log:
        # One labelled tick per power of ten (or per few), not plotly's 2s and 5s in between.
        decades = np.log10(values.max()) - np.log10(values.min())
        yaxis |= {
            "type": "log",
            "dtick": max(1, int(np.ceil(decades / 8))),
            "exponentformat": "power",
        }
    last = max(numbers, default=1)
    xaxis = {
        "title": {"text": x_title},
        "range": [min(numbers, default=1) - 0.5, last + 0.5],
        "tick0": 1,
        "dtick": max(1, int(np.ceil(last / 10))),  # whole steps only
    }
    return _figure(
        traces,
        height=height,
        title=None,
        xaxis=xaxis,
        yaxis=yaxis,
        legend={"orientation": "h", "y": 1.12},
    )
