"""Plotly figure builders: numpy arrays in, `plotly.graph_objects.Figure` out.

Colours and sizes come from `figures.theme`. Heatmaps always carry the exact value in their
hover text: a learner can point at any cell and read it. Labels that may come from the learner
(class names) go through `plotly_literal`; `category_labels`, `cell_rect` and
`symmetric_range` are shared by the other figure modules.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnexplain.figures.theme import COLOURS, FONT, FORMATS, SCALES, SIZES, base_layout
from cnnexplain.io.images import to_display
from cnnexplain.texts import figures as text


def plotly_literal(text: object) -> str:
    """`text` as plotly shows it literally, in tick labels, titles, legends and hover text.

    Plotly reads a few HTML tags (<b>, <br>, <a href=...>) and entities in every text, "%{...}"
    in hover and text templates, and a text between two "$" as LaTeX. A label from the learner
    (a class folder may be called anything) is escaped here; plotly turns the entities back
    into the characters, so "<b>%{x}</b>" is shown as just that.
    """
    return html.escape(str(text), quote=False).replace("%", "&#37;").replace("$", "&#36;")


def array_with_ndim(
    arr: np.ndarray, ndim: int, message: str, dtype: type | None = None
) -> np.ndarray:
    """`arr` as a numpy array (of `dtype`, if given); ValueError(`message`, its "{shape}"
    filled in) when it has not `ndim` dimensions."""
    arr = np.asarray(arr, dtype=dtype)
    if arr.ndim != ndim:
        raise ValueError(message.format(shape=arr.shape))
    return arr


def category_labels(labels: Sequence[object] | None, count: int) -> list[str]:
    """Names along a category axis: the given labels as plotly shows them literally, or
    0, 1, ... count - 1."""
    if labels is None:
        return [str(i) for i in range(count)]
    return [plotly_literal(label) for label in labels]


def cell_rect(r0: int, c0: int, r1: int, c1: int, **style: object) -> dict:
    """A rectangle shape around the cells r0..r1, c0..c1 (inclusive) of a heatmap whose cell
    (r, c) is centred on x = c, y = r; `style` sets its line, fill and layer."""
    return {"type": "rect", "x0": c0 - 0.5, "x1": c1 + 0.5, "y0": r0 - 0.5, "y1": r1 + 0.5, **style}


def _heatmap_trace(
    arr: np.ndarray,
    *,
    zmin: float | None,
    zmax: float | None,
    colorscale: str,
    showscale: bool,
    name: str = "",
) -> go.Heatmap:
    arr = np.asarray(arr, dtype=np.float64)
    fmt = FORMATS["value"]
    return go.Heatmap(
        z=arr,
        zmin=zmin,
        zmax=zmax,
        colorscale=colorscale,
        showscale=showscale,
        name=name,
        hovertemplate=f"{name} {text.ROW} %{{y}}, {text.COL} %{{x}}<br>{text.VALUE} "
        f"%{{z:{fmt}}}<extra></extra>",
    )


def heatmap(
    arr: np.ndarray,
    *,
    title: str | None = None,
    zmin: float | None = None,
    zmax: float | None = None,
    colorscale: str | None = None,
    boxes: Sequence[tuple[int, int, int, int]] = (),
    height: int = 320,
    show_values: bool = False,
) -> go.Figure:
    """One 2-D array (H, W) as a heatmap, row 0 at the top.

    `boxes` are (row0, col0, row1, col1) inclusive rectangles drawn as outlines (a kernel window,
    a pooling window). `show_values` writes each value in its cell (for small arrays).
    """
    arr = array_with_ndim(arr, 2, "heatmap needs a 2-D array, got shape {shape}.")
    trace = _heatmap_trace(
        arr, zmin=zmin, zmax=zmax, colorscale=colorscale or SCALES["maps"], showscale=True
    )
    if show_values:
        trace.update(texttemplate="%{z:.2f}", textfont={"size": FONT["label"]})
    outline = {"color": COLOURS["focus"], "width": SIZES["box_width"]}
    shapes = {"shapes": [cell_rect(*box, line=outline) for box in boxes]} if boxes else {}
    # The whole layout in the constructor: plotly checks every property each time one is set.
    xaxis = {"constrain": "domain", "showgrid": False}
    yaxis = {**xaxis, "autorange": "reversed", "scaleanchor": "x"}
    layout = base_layout(height, title=title, xaxis=xaxis, yaxis=yaxis, **shapes)
    return go.Figure(trace, layout=layout)


def image(arr: np.ndarray, *, title: str | None = None, height: int = 260) -> go.Figure:
    """A model input (C, H, W) in [0, 1]: grayscale as a heatmap with values, RGB as a picture."""
    arr = np.asarray(arr)
    if arr.ndim == 3 and arr.shape[0] == 1:
        return heatmap(
            arr[0], title=title, zmin=0.0, zmax=1.0, colorscale=SCALES["image"], height=height
        )
    if arr.ndim == 3 and arr.shape[0] == 3:
        fig = go.Figure(
            go.Image(
                z=to_display(arr),
                hovertemplate=f"{text.ROW} %{{y}}, {text.COL} %{{x}}<br>{text.RGB} %{{z}}"
                "<extra></extra>",
            )
        )
        return fig.update_layout(base_layout(height, title=title))
    raise ValueError(f"image needs an array of shape (1, H, W) or (3, H, W), got {arr.shape}.")


def feature_maps(
    maps: np.ndarray,
    *,
    names: Sequence[str] | None = None,
    zmin: float | None = None,
    zmax: float | None = None,
    colorscale: str | None = None,
    columns: int = 8,
    max_maps: int = 32,
    title: str | None = None,
    titles: Sequence[str] | None = None,
) -> go.Figure:
    """Channels of a feature map (C, H, W) as a grid of small heatmaps, each cell square.

    Pass zmin/zmax to put every map on one colour scale (shared by the layer or by the whole
    network); leave them None for a scale local to each map. `names` start each map's hover
    text, `titles` (default: the names) stand above the maps: short ones fit narrow maps.
    """
    maps = array_with_ndim(maps, 3, "feature_maps needs an array (C, H, W), got shape {shape}.")
    count = min(len(maps), max_maps)
    names = (
        list(names) if names is not None else [text.CHANNEL_NAME.format(c=c) for c in range(count)]
    )
    cols = min(columns, count)
    rows = -(-count // cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=list(titles or names)[:count],
        horizontal_spacing=0.02,
        vertical_spacing=0.08 / max(rows, 1),
    )
    shared = zmin is not None and zmax is not None
    for c in range(count):
        fig.add_trace(
            _heatmap_trace(
                maps[c],
                zmin=zmin,
                zmax=zmax,
                colorscale=colorscale or SCALES["maps"],
                showscale=shared and c == 0,
                name=names[c],
            ),
            row=c // cols + 1,
            col=c % cols + 1,
        )
    # Each map keeps its own shape: a cell is as high as it is wide, and the map hangs from the
    # top of its place, right under its title. No ticks: they would poke into the next map.
    for c in range(count):
        suffix = "" if c == 0 else str(c + 1)
        fig.layout[f"yaxis{suffix}"].update(
            scaleanchor=f"x{suffix}", constrain="domain", constraintoward="top"
        )
        fig.layout[f"xaxis{suffix}"].update(constrain="domain")
    fig.update_yaxes(autorange="reversed", showticklabels=False, ticks="", showgrid=False)
    fig.update_xaxes(showticklabels=False, ticks="", showgrid=False, zeroline=False)
    fig.update_annotations(font_size=FONT["note"])
    height = rows * SIZES["thumb_px"] + 50 + (20 if title else 0)
    return fig.update_layout(base_layout(height, title=title))


def vector(
    values: np.ndarray,
    *,
    labels: Sequence[str] | None = None,
    highlight: int | None = None,
    title: str | None = None,
    height: int = 220,
    value_name: str | None = None,
) -> go.Figure:
    """A 1-D array as bars; `highlight` colours one bar (the predicted class, a chosen neuron).
    `value_name` names the values in hover text (default: "value" in the learner's language)."""
    value_name = text.VALUE if value_name is None else value_name
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    x = category_labels(labels, len(values))
    colors = [COLOURS["main"]] * len(values)
    if highlight is not None and 0 <= highlight < len(values):
        colors[highlight] = COLOURS["highlight"]
    fmt = FORMATS["value"]
    fig = go.Figure(
        go.Bar(
            x=x,
            y=values,
            marker_color=colors,
            hovertemplate=f"%{{x}}<br>{value_name} %{{y:{fmt}}}<extra></extra>",
        )
    )
    fig.update_xaxes(type="category")
    return fig.update_layout(base_layout(height, title=title))


def training_curves(
    series: dict[str, Sequence[float]],
    *,
    x_title: str | None = None,
    y_title: str = "",
    height: int = 280,
) -> go.Figure:
    """Several named curves over the same steps (loss or accuracy of one or more models); the
    x-axis counts epochs unless `x_title` says otherwise."""
    x_title = text.EPOCH if x_title is None else x_title
    fig = go.Figure()
    for name, ys in series.items():
        fig.add_trace(
            go.Scatter(x=list(range(1, len(ys) + 1)), y=list(ys), mode="lines+markers", name=name)
        )
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title)
    return fig.update_layout(base_layout(height))


def symmetric_range(*arrays: np.ndarray) -> tuple[float, float]:
    """(-m, m) with m the largest absolute value: a signed colour scale centred on zero."""
    m = max((float(np.max(np.abs(a))) for a in arrays if np.size(a)), default=0.0)
    m = m if m > 0 else 1.0
    return -m, m
