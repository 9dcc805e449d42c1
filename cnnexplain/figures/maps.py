"""Plotly figure builders: numpy arrays in, `plotly.graph_objects.Figure` out.

Every colour and size the charts use is in THEME, so the look changes in one place. Heatmaps
always carry the exact value in their hover text: a learner can point at any cell and read it.
Labels that may come from the learner (class names) go through `plotly_literal`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

THEME = {
    "maps": "Viridis",  # feature maps: perceptually even, readable for colour-blind users
    "signed": "RdBu",  # weights and gradients: blue positive, red negative, white zero
    "image": "Greys_r",  # grayscale input: black 0, white 1
    "bar": "#4C78A8",
    "bar_highlight": "#F58518",
    "curve_a": "#4C78A8",
    "curve_b": "#F58518",
    "box": "#E45756",
    "font_size": 12,
    "thumb_px": 92,  # one feature-map thumbnail
    "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
    "value_format": ".4f",
}


def plotly_literal(text: object) -> str:
    """`text` as plotly shows it literally, in tick labels, titles, legends and hover text.

    Plotly reads a few HTML tags (<b>, <br>, <a href=...>) and entities in every text, "%{...}"
    in hover and text templates, and a text between two "$" as LaTeX. A label from the learner
    (a class folder may be called anything) is escaped here; plotly turns the entities back
    into the characters, so "<b>%{x}</b>" is shown as just that.
    """
    return html.escape(str(text), quote=False).replace("%", "&#37;").replace("$", "&#36;")


def apply_layout(fig: go.Figure, *, height: int, title: str | None = None) -> go.Figure:
    """The house margins, fonts and background, shared by every figure module."""
    fig.update_layout(
        height=height,
        margin=THEME["margin"],
        title={"text": title, "font": {"size": THEME["font_size"] + 2}} if title else None,
        font={"size": THEME["font_size"]},
        plot_bgcolor="white",
    )
    return fig


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
    fmt = THEME["value_format"]
    return go.Heatmap(
        z=arr,
        zmin=zmin,
        zmax=zmax,
        colorscale=colorscale,
        showscale=showscale,
        name=name,
        hovertemplate=f"{name} row %{{y}}, col %{{x}}<br>value %{{z:{fmt}}}<extra></extra>",
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
    arr = np.asarray(arr)
    if arr.ndim != 2:
        raise ValueError(f"heatmap needs a 2-D array, got shape {arr.shape}.")
    trace = _heatmap_trace(
        arr, zmin=zmin, zmax=zmax, colorscale=colorscale or THEME["maps"], showscale=True
    )
    if show_values:
        trace.update(texttemplate="%{z:.2f}", textfont={"size": THEME["font_size"] - 1})
    fig = go.Figure(trace)
    for r0, c0, r1, c1 in boxes:
        fig.add_shape(
            type="rect",
            x0=c0 - 0.5,
            x1=c1 + 0.5,
            y0=r0 - 0.5,
            y1=r1 + 0.5,
            line={"color": THEME["box"], "width": 3},
        )
    fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain", showgrid=False)
    fig.update_xaxes(constrain="domain", showgrid=False)
    return apply_layout(fig, height=height, title=title)


def image(arr: np.ndarray, *, title: str | None = None, height: int = 260) -> go.Figure:
    """A model input (C, H, W) in [0, 1]: grayscale as a heatmap with values, RGB as a picture."""
    arr = np.asarray(arr)
    if arr.ndim == 3 and arr.shape[0] == 1:
        return heatmap(
            arr[0], title=title, zmin=0.0, zmax=1.0, colorscale=THEME["image"], height=height
        )
    if arr.ndim == 3 and arr.shape[0] == 3:
        rgb = np.clip(np.transpose(arr, (1, 2, 0)) * 255.0, 0, 255).astype(np.uint8)
        fig = go.Figure(
            go.Image(z=rgb, hovertemplate="row %{y}, col %{x}<br>RGB %{z}<extra></extra>")
        )
        return apply_layout(fig, height=height, title=title)
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
    maps = np.asarray(maps)
    if maps.ndim != 3:
        raise ValueError(f"feature_maps needs an array (C, H, W), got shape {maps.shape}.")
    count = min(len(maps), max_maps)
    names = list(names) if names is not None else [f"channel {c}" for c in range(count)]
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
                colorscale=colorscale or THEME["maps"],
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
    fig.update_annotations(font_size=THEME["font_size"] - 2)
    height = rows * THEME["thumb_px"] + 50 + (20 if title else 0)
    return apply_layout(fig, height=height, title=title)


def vector(
    values: np.ndarray,
    *,
    labels: Sequence[str] | None = None,
    highlight: int | None = None,
    title: str | None = None,
    height: int = 220,
    value_name: str = "value",
) -> go.Figure:
    """A 1-D array as bars; `highlight` colours one bar (the predicted class, a chosen neuron)."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    x = (
        [plotly_literal(label) for label in labels]
        if labels is not None
        else [str(i) for i in range(len(values))]
    )
    colors = [THEME["bar"]] * len(values)
    if highlight is not None and 0 <= highlight < len(values):
        colors[highlight] = THEME["bar_highlight"]
    fmt = THEME["value_format"]
    fig = go.Figure(
        go.Bar(
            x=x,
            y=values,
            marker_color=colors,
            hovertemplate=f"%{{x}}<br>{value_name} %{{y:{fmt}}}<extra></extra>",
        )
    )
    fig.update_xaxes(type="category")
    return apply_layout(fig, height=height, title=title)


def training_curves(
    series: dict[str, Sequence[float]],
    *,
    x_title: str = "epoch",
    y_title: str = "",
    height: int = 280,
) -> go.Figure:
    """Several named curves over the same steps (loss or accuracy of one or more models)."""
    fig = go.Figure()
    for name, ys in series.items():
        fig.add_trace(
            go.Scatter(x=list(range(1, len(ys) + 1)), y=list(ys), mode="lines+markers", name=name)
        )
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title)
    return apply_layout(fig, height=height)


def symmetric_range(*arrays: np.ndarray) -> tuple[float, float]:
    """(-m, m) with m the largest absolute value: a signed colour scale centred on zero."""
    m = max((float(np.max(np.abs(a))) for a in arrays if np.size(a)), default=0.0)
    m = m if m > 0 else 1.0
    return -m, m
