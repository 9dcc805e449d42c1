"""Figures of the forward page's detail views, one per thing a stage does.

A convolution's arithmetic at one position (window × kernel = products, for every input
channel), a pooling window with its winner, a long vector as bars, a label as a one-hot code,
the largest terms of a dense neuron's sum, an activation's curve, and what the network looked
at (saliency and Grad-CAM). Arrays in, `plotly.graph_objects.Figure` out; the grids are drawn
with the tile engine (`figures.tiles`), colours and sizes come from `figures.theme`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from cnnexplain.figures.maps import category_labels, plotly_literal, symmetric_range
from cnnexplain.figures.theme import COLOURS, FONT, FORMATS, SCALES, STILL, TILES, figure
from cnnexplain.figures.tiles import Label, Tile, TileLayout, tiles_figure
from cnnexplain.texts import figures as text


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
    sum_label: str | None = None,
    width_px: float = TILES["width_px"],
) -> go.Figure:
    """For each input channel: its window, the kernel and their products, with values written in.

    `words` names the three grids (input under the kernel, kernel, products) and `sum_label`
    formats each channel's sum of products (`{total}`; default "sum {total}" in the learner's
    words). Signed grids share one colour scale
    centred on zero. As many channels share a row as leave each cell wide enough to read.
    """
    k_h, k_w = rows[0].kernel.shape
    kernel_range = symmetric_range(*(r.kernel for r in rows))  # one for every kernel slice
    product_range = symmetric_range(*(r.products for r in rows))
    sign_w = 1.6  # room for "×" and "=" between grids
    block_w = 3 * k_w + 2 * sign_w
    block_gap = max(2.0, k_w * 0.6)
    fits = int(width_px // ((block_w + block_gap) * TILES["min_text_cell_px"]))
    per_row = max(1, min(len(rows), fits))
    unit_px = min(46.0, width_px / (per_row * (block_w + block_gap)))
    pitch = k_h + 50 / unit_px  # room for a channel's title above and its sum below
    out = TileLayout()
    for n, row in enumerate(rows):
        r, c = divmod(n, per_row)
        x = c * (block_w + block_gap)
        y = r * pitch
        grids = (
            (row.window, row.window_range, window_colorscale),
            (row.kernel, kernel_range, SCALES["signed"]),
            (row.products, product_range, SCALES["signed"]),
        )
        for g, (arr, (zmin, zmax), scale) in enumerate(grids):
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
            out.labels.append(Label(sign, sx, y + k_h / 2, FONT["sign"], "middle"))
        out.labels.append(Label(f"<b>{row.name}</b>", x + block_w / 2, y - 0.2))
        out.labels.append(
            Label(
                (sum_label or text.SUM).format(total=f"{row.total:.4f}".replace("-", "−")),
                x + 2 * (k_w + sign_w) + k_w / 2,
                y + k_h + 0.1,
                FONT["label"],
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
    value_name: str | None = None,
    band: tuple[int, int] | None = None,
) -> go.Figure:
    """A long vector as bars; the highlighted entry in the highlight colour.

    `band` (first, last) shades a run of entries, such as the part one feature map became;
    `value_name` names the values in hover text (default: "value" in the learner's words).
    """
    value_name = text.VALUE if value_name is None else value_name
    values = np.asarray(values, dtype=np.float32).reshape(-1)
    colors = np.full(len(values), COLOURS["main"], dtype=object)
    if highlight is not None and 0 <= highlight < len(values):
        colors[highlight] = COLOURS["highlight"]
    x = np.arange(len(values)) if labels is None else [plotly_literal(t) for t in labels]
    fmt = FORMATS["value"]
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
                "line": {"color": COLOURS["highlight"], "width": 1, "dash": "dot"},
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
                "fillcolor": COLOURS["band"],
                "line": {"width": 0},
                "layer": "below",
            }
        )
    return figure(
        [bar],
        height=height,
        **STILL,
        bargap=0.1 if len(values) < 40 else 0,
        xaxis={"type": "category"} if labels is not None else {"title": name},
        shapes=shapes,
    )


def onehot(label: int, class_names: Sequence[str], *, title: str, height: int = 240) -> go.Figure:
    """The label as a one-hot code: a column with 1 for the true class and 0 for every other."""
    code = np.zeros((len(class_names), 1), dtype=np.float32)
    code[label, 0] = 1.0
    heat = go.Heatmap(
        z=code,
        x=[title],
        y=category_labels(class_names, len(class_names)),
        zmin=0.0,
        zmax=1.0,
        colorscale=[[0.0, COLOURS["off"]], [1.0, COLOURS["on"]]],
        showscale=False,
        texttemplate="%{z:.0f}",
        xgap=2,
        ygap=2,
        hovertemplate="%{y}: %{z:.0f}<extra></extra>",
    )
    return figure(
        [heat],
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        **STILL,
        xaxis={"side": "top", "showgrid": False, "fixedrange": True},
        yaxis={"type": "category", "autorange": "reversed", "showgrid": False},
    )


def contributions(
    products: np.ndarray, order: np.ndarray, *, names: Sequence[str], height: int = 320
) -> go.Figure:
    """The largest terms of a weighted sum as horizontal bars, biggest on top, signed colours."""
    picked = np.asarray(order)
    values = np.asarray(products, dtype=np.float64)[picked]
    colors = [COLOURS["main"] if v >= 0 else COLOURS["focus"] for v in values]
    fmt = FORMATS["value"]
    bar = go.Bar(
        x=values,
        y=list(names),
        orientation="h",
        marker={"color": colors},
        hovertemplate=f"%{{y}}<br>{text.INPUT_TIMES_WEIGHT} = %{{x:{fmt}}}<extra></extra>",
    )
    return figure(
        [bar], height=height, **STILL, yaxis={"type": "category", "autorange": "reversed"}
    )


def activation_curve(
    before: np.ndarray, after: np.ndarray, *, x_title: str, y_title: str, height: int = 260
) -> go.Figure:
    """Every value before an activation against the same value after it: the function's shape."""
    before = np.asarray(before, dtype=np.float32).reshape(-1)
    after = np.asarray(after, dtype=np.float32).reshape(-1)
    fmt = FORMATS["value"]
    points = go.Scattergl(
        x=before,
        y=after,
        mode="markers",
        marker={"size": 4, "color": COLOURS["main"], "opacity": 0.5},
        hovertemplate=f"{text.BEFORE} %{{x:{fmt}}}<br>{text.AFTER} %{{y:{fmt}}}<extra></extra>",
    )
    return figure(
        [points],
        height=height,
        margin={"l": 50, "r": 10, "t": 10, "b": 40},
        **STILL,
        xaxis={"title": x_title, "zeroline": True},
        yaxis={"title": y_title, "zeroline": True},
    )


def looked_at(
    image: np.ndarray,
    saliency: np.ndarray,
    cam: np.ndarray,
    *,
    titles: tuple[str, str, str],
    width_px: float = TILES["width_px"],
) -> go.Figure:
    """The input, its saliency map, and Grad-CAM laid over the input, side by side.

    image: (H, W) gray in [0, 1]; saliency: (H, W) >= 0; cam: (H, W) in [0, 1].
    """
    h, w = image.shape
    gap = max(3.0, w / 6)
    peak = float(np.max(saliency)) or 1.0
    tiles = [
        Tile(image, 0.0, 0.0, name=titles[0], zmin=0, zmax=1, colorscale=SCALES["image"]),
        Tile(
            saliency,
            w + gap,
            0.0,
            name=titles[1],
            zmin=0,
            zmax=peak,
            colorscale=SCALES["saliency"],
        ),
        Tile(image, 2 * (w + gap), 0.0, name=titles[2], zmin=0, zmax=1, colorscale=SCALES["image"]),
        Tile(
            cam,
            2 * (w + gap),
            0.0,
            name=titles[2],
            zmin=0,
            zmax=1,
            colorscale=SCALES["cam"],
            opacity=TILES["cam_opacity"],
        ),
    ]
    labels = [Label(t, k * (w + gap) + w / 2, -0.3) for k, t in enumerate(titles)]
    return tiles_figure(TileLayout(tiles, labels), width_px=width_px, max_unit_px=12)


def partial_map(values: np.ndarray, done: np.ndarray) -> np.ndarray:
    """`values` where `done` is True and NaN (drawn empty) elsewhere: a map being written."""
    return np.where(done, values, np.nan).astype(np.float32)
