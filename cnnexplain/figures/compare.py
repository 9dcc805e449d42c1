"""Plotly figure builders for the CNN-against-ANN page: arrays in, `go.Figure` out.

Built like `figures.maps` (colours and sizes from `figures.theme`). The two networks always wear
the same colours (`theme.MODEL_COLOURS`), so a learner can follow one across every chart. Labels
that come from the learner (class names of an uploaded zip) go through `maps.plotly_literal`
before plotly sees them: plotly reads a few HTML tags in its texts, and a class folder may be
called anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnexplain.figures.maps import plotly_literal, symmetric_range
from cnnexplain.figures.theme import (
    COLOURS,
    FONT,
    MODEL_COLOURS,
    SCALES,
    SIZES,
    base_layout,
    figure,
)
from cnnexplain.io.images import to_display

LEGEND = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0.0}
# Four entries do not fit beside a title in half a page: the learning curves list them below.
LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.22, "xanchor": "left", "x": 0.0}
# On a log axis, a measured size is labelled only this far (as a ratio) from the last one
# labelled: Plotly's own log ticks label every 2, 3, ... 9 in between, and they run together.
MIN_LABEL_RATIO = 1.3


def _colour(name: str) -> str:
    return MODEL_COLOURS.get(name, COLOURS["main"])


def _figure(traces: list, *, height: int, title: str | None, **layout) -> go.Figure:
    """One figure in the house layout, with room above the plot for a title and a legend."""
    layout.setdefault("margin", {**SIZES["margin"], "t": 70 if title else 30})
    return figure(traces, height=height, title=title, **layout)


def _axis(title: str, *, percent: bool = False, log: bool = False) -> dict:
    axis = {"title": {"text": title}, "gridcolor": COLOURS["axis_grid"], "zeroline": False}
    if percent:
        axis.update(tickformat=".0%", range=[0, 1.02])
    if log:
        axis["type"] = "log"
    return axis


def _curve(
    model: str,
    x: Sequence[float],
    y: Sequence[float],
    *,
    label: str,
    hover: str,
    width: float,
    mode: str,
    size: float | None = None,
    opacity: float | None = None,
) -> go.Scatter:
    """One network's curve in its colour, named `label`; `hover` follows the label's line and
    `size` gives it markers of that size."""
    return go.Scatter(
        x=list(x),
        y=list(y),
        name=label,
        mode=mode,
        line={"color": _colour(model), "width": width},
        marker={"size": size} if size is not None else None,
        opacity=opacity,
        hovertemplate=f"{label}<br>{hover}<extra></extra>",
    )


def log_ticks(values: Sequence[float]) -> dict:
    """Axis settings that label a log axis at the measured `values` only (e.g. 50 100 200 400
    800), skipping one that would sit closer than MIN_LABEL_RATIO to the last one labelled."""
    shown: list[float] = []
    for v in sorted({float(v) for v in values if v > 0}):
        if not shown or v >= shown[-1] * MIN_LABEL_RATIO:
            shown.append(v)
    return {"tickmode": "array", "tickvals": shown, "ticktext": [f"{v:,g}" for v in shown]}


def learning_curves(
    train: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    held_out: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    title: str,
    x_title: str,
    y_title: str,
    train_label: str,
    held_out_label: str,
    percent: bool = False,
    height: int = 360,
) -> go.Figure:
    """Both networks' curves of one measure: {name: (x, y)} for training and held-out points.

    Held-out curves are thick with markers (one point per epoch), training curves thin (a point
    every few steps). Traces are named "<network> <part>", e.g. "CNN held-out".
    """
    fmt = ".1%" if percent else ".4f"
    parts = (
        (train, train_label, ".2f", {"width": 1, "mode": "lines", "opacity": 0.7}),
        (held_out, held_out_label, ".0f", {"width": 3, "mode": "lines+markers", "size": 7}),
    )
    traces = [
        _curve(
            name,
            x,
            y,
            label=f"{name} {part}",
            hover=f"{x_title} %{{x:{x_format}}}<br>{y_title} %{{y:{fmt}}}",
            **style,
        )
        for curves, part, x_format, style in parts
        for name, (x, y) in curves.items()
    ]
    return _figure(
        traces,
        height=height,
        title=title,
        xaxis=_axis(x_title) | {"rangemode": "tozero"},
        yaxis=_axis(y_title, percent=percent) | ({} if percent else {"rangemode": "tozero"}),
        legend=LEGEND_BELOW,
        margin={**SIZES["margin"], "t": 40, "b": 90},
    )


def accuracy_lines(
    x: Sequence[float] | Mapping[str, Sequence[float]],
    accuracy: Mapping[str, Sequence[float]],
    *,
    title: str,
    x_title: str,
    y_title: str,
    chance: float | None = None,
    chance_label: str = "",
    log_x: bool = False,
    height: int = 300,
) -> go.Figure:
    """Accuracy of each network against one quantity (a change's strength, a set's size).

    `x` is shared by every network, or given per network as {name: x}. `chance` draws the
    accuracy of guessing as a dotted line. With `log_x` the x-axis is logarithmic and labelled
    at the measured values only (`log_ticks`).
    """
    traces = [
        _curve(
            name,
            x[name] if isinstance(x, Mapping) else x,
            acc,
            label=name,
            hover=f"{x_title}: %{{x:g}}<br>{y_title}: %{{y:.1%}}",
            width=3,
            mode="lines+markers",
            size=8,
        )
        for name, acc in accuracy.items()
    ]
    if chance is not None:
        everywhere = sorted({v for t in traces for v in t.x})
        if everywhere:
            traces.append(
                go.Scatter(
                    x=[everywhere[0], everywhere[-1]],
                    y=[chance, chance],
                    name=chance_label,
                    mode="lines",
                    line={"color": COLOURS["chance"], "dash": "dot", "width": 2},
                    hovertemplate=f"{chance_label}: %{{y:.1%}}<extra></extra>",
                )
            )
    return _figure(
        traces,
        height=height,
        title=title,
        xaxis=_axis(x_title, log=log_x)
        | (log_ticks([v for t in traces for v in t.x]) if log_x else {}),
        yaxis=_axis(y_title, percent=True),
        legend=LEGEND,
    )


def confusion(
    matrix: np.ndarray,
    class_names: Sequence[str],
    *,
    title: str,
    true_title: str,
    said_title: str,
    share_title: str,
    model: str = "",
    height: int = 380,
) -> go.Figure:
    """A (K, K) confusion matrix as a heatmap: row = true class, column = the class said.

    Hover gives the count and, after `share_title`, its share of the true class; with few
    classes every count is also written in its cell.
    """
    counts = np.asarray(matrix, dtype=np.int64)
    K = counts.shape[0]
    if counts.shape != (K, K) or len(class_names) != K:
        raise ValueError(
            f"confusion needs a (K, K) matrix and K class names, got {counts.shape} and "
            f"{len(class_names)} names."
        )
    labels = [plotly_literal(name) for name in class_names]
    rows = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    trace = go.Heatmap(
        z=counts,
        x=labels,
        y=labels,
        customdata=share,
        colorscale=[[0.0, COLOURS["background"]], [1.0, _colour(model)]],
        showscale=False,
        xgap=1,
        ygap=1,
        hovertemplate=f"{true_title}: %{{y}}<br>{said_title}: %{{x}}<br>%{{z}}"
        f"<br>{share_title}: %{{customdata:.1%}}<extra></extra>",
    )
    if K <= 12:
        trace.update(texttemplate="%{z}", textfont={"size": FONT["text"]})
    return _figure(
        [trace],
        height=height,
        title=title,
        xaxis={"title": {"text": said_title}, "type": "category", "side": "bottom"},
        yaxis={"title": {"text": true_title}, "type": "category", "autorange": "reversed"},
    )


def _grid(count: int, columns: int, titles: Sequence[str]) -> tuple[go.Figure, int, int]:
    cols = max(1, min(columns, count))
    rows = max(1, -(-count // cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[plotly_literal(t) for t in titles[:count]],
        horizontal_spacing=SIZES["picture_gap"],
        vertical_spacing=min(0.3, 0.25 / rows),
    )
    return fig, rows, cols


def _finish_grid(fig: go.Figure, rows: int, count: int, cols: int) -> go.Figure:
    for i in range(1, count + 1):
        suffix = "" if i == 1 else str(i)
        fig.layout[f"yaxis{suffix}"].update(
            autorange="reversed", scaleanchor=f"x{suffix}", constrain="domain"
        )
        fig.layout[f"xaxis{suffix}"].update(constrain="domain")
    plain_axis = {"showticklabels": False, "ticks": "", "showgrid": False, "zeroline": False}
    fig.update_xaxes(**plain_axis)
    fig.update_yaxes(**plain_axis)
    fig.update_annotations(font_size=FONT["label"])
    height = rows * (SIZES["picture_px"] + 24) + 20
    margin = {"l": 5, "r": 5, "t": 25, "b": 5}
    return fig.update_layout(base_layout(height, margin=margin, showlegend=False))


def _pictures_figure(
    pictures: np.ndarray,
    titles: Sequence[str],
    columns: int,
    trace: Callable[[int, np.ndarray], go.Heatmap | go.Image],
) -> go.Figure:
    """Small pictures (N, C, H, W) in a grid of `columns`, each titled; `trace(k, picture)`
    draws picture k."""
    count = len(pictures)
    fig, rows, cols = _grid(count, columns, titles)
    for k, picture in enumerate(pictures):
        fig.add_trace(trace(k, picture), row=k // cols + 1, col=k % cols + 1)
    return _finish_grid(fig, rows, count, cols)


def _one_or_three_channels(arr: np.ndarray, message: str) -> np.ndarray:
    arr = np.asarray(arr, dtype=np.float32)
    if arr.ndim != 4 or arr.shape[1] not in (1, 3):
        raise ValueError(message.format(shape=arr.shape))
    return arr


def picture_grid(
    images: np.ndarray,
    titles: Sequence[str],
    hovers: Sequence[Sequence[str]],
    *,
    columns: int = 6,
) -> go.Figure:
    """Small pictures (N, C, H, W) in [0, 1], each with a title above and hover lines.

    One channel is drawn in grays (black 0, white 1), three as a colour picture. `titles` and
    `hovers` (a few lines of text for each picture) may hold text from the learner: it is
    escaped here.
    """
    message = "picture_grid needs pictures (N, 1 or 3, H, W), got {shape}."
    images = _one_or_three_channels(images, message)

    def trace(i: int, picture: np.ndarray) -> go.Heatmap | go.Image:
        hover = "<br>".join(plotly_literal(line) for line in hovers[i]) + "<extra></extra>"
        return _picture_trace(picture, hover)

    return _pictures_figure(images, titles, columns, trace)


def _picture_trace(picture: np.ndarray, hover: str) -> go.Heatmap | go.Image:
    """One picture (C, H, W) in [0, 1]: grays for one channel, colour for three."""
    if picture.shape[0] == 1:
        return go.Heatmap(
            z=picture[0],
            zmin=0.0,
            zmax=1.0,
            colorscale=SCALES["image"],
            showscale=False,
            hovertemplate=hover,
        )
    return go.Image(z=to_display(picture), hovertemplate=hover)


def weight_grid(
    weights: np.ndarray,
    titles: Sequence[str],
    *,
    cell_hover: str,
    columns: int = 8,
) -> go.Figure:
    """First-layer weights (U, C, H, W) as small pictures, each on its own signed scale.

    One channel: a heatmap, blue positive, red negative, white zero. Three channels: a colour
    picture with 0 as middle gray. Hover shows the unit's title, then `cell_hover`, a plotly
    template for one cell (%{y}, %{x}, %{z}).
    """
    message = "weight_grid needs weights (U, 1 or 3, H, W), got {shape}."
    weights = _one_or_three_channels(weights, message)

    def trace(k: int, w: np.ndarray) -> go.Heatmap | go.Image:
        low, high = symmetric_range(w)
        template = f"{plotly_literal(titles[k])}<br>{cell_hover}<extra></extra>"
        if w.shape[0] == 1:
            return go.Heatmap(
                z=w[0],
                zmin=low,
                zmax=high,
                colorscale=SCALES["signed"],
                reversescale=False,
                showscale=False,
                hovertemplate=template,
            )
        rgb = np.round((0.5 + w.transpose(1, 2, 0) / (2 * high)) * 255).astype(np.uint8)
        return go.Image(z=rgb, hovertemplate=template)

    return _pictures_figure(weights, titles, columns, trace)


def value_pictures(
    pictures: np.ndarray,
    titles: Sequence[str],
    *,
    cell_hover: str,
    columns: int = 5,
) -> go.Figure:
    """Pictures (N, C, H, W) in [0, 1] a model could read, each titled, every value in hover.

    One channel is drawn in grays (black 0, white 1), three as a colour picture. Hover shows
    the picture's title, then `cell_hover`, a plotly template for one cell (%{y}, %{x}, %{z}).
    Titles may hold class names from the learner: they are escaped here.
    """
    message = "value_pictures needs pictures (N, 1 or 3, H, W), got {shape}."
    pictures = _one_or_three_channels(pictures, message)

    def trace(k: int, picture: np.ndarray) -> go.Heatmap | go.Image:
        return _picture_trace(
            picture, f"{plotly_literal(titles[k])}<br>{cell_hover}<extra></extra>"
        )

    return _pictures_figure(pictures, titles, columns, trace)
