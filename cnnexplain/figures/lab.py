"""Figures of the convolution lab: the padded input with the kernel's taps, and the output map.

Arrays in, `plotly.graph_objects.Figure` out, like `figures.maps`; colours and sizes (`LAB`) come
from `figures.theme`.
Axes count pixels of the real picture: the padding sits at rows and columns below 0 and beyond
the last one, so a tap's position reads the same as in ops.ConvWindow.

A value is written inside its cell only where it fits: each builder is told the width it is
drawn at (`width_px`, the narrowest its place on the page gets), works out the side of one cell
in pixels, and writes the values at the largest font size at which the widest of them fits,
down to a readable minimum; below that, it writes none. Hover always gives every value, in full.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnexplain.figures.maps import array_with_ndim, cell_rect
from cnnexplain.figures.theme import COLOURS, LAB, SCALES, SIZES, base_layout
from cnnexplain.texts import figures as text


def value_hover(value: str = "%{z:.4f}") -> str:
    """Hover text of a cell: its place and `value` (a plotly field), in the learner's words."""
    return f"{text.ROW} %{{y}}, {text.COL} %{{x}}<br>{text.VALUE} {value}<extra></extra>"


def padding_hover() -> str:
    """Hover text of a padding cell: its place, and that it holds a zero."""
    return f"{text.ROW} %{{y}}, {text.COL} %{{x}}<br>{text.PADDING} 0<extra></extra>"


def cell_text(values: np.ndarray, decimals: int = LAB["decimals"]) -> np.ndarray:
    """Each value as written in its cell: at most `decimals` decimals and no trailing zeros
    ("1", "0.5", "−0.25"), a true minus sign, and "" for NaN (a cell not computed yet)."""
    values = np.asarray(values, dtype=np.float64)

    def one(v: float) -> str:
        if np.isnan(v):
            return ""
        s = f"{v:.{decimals}f}".rstrip("0").rstrip(".")
        return "0" if s == "-0" else s.replace("-", "\u2212")

    return np.vectorize(one, otypes=[object])(values) if values.size else values.astype(object)


def cell_px(
    shape: tuple[int, int], *, width_px: float, height_px: float, colorbar: bool = False
) -> float:
    """The side in pixels of one (square) cell of a (rows, cols) grid in a figure drawn
    `width_px` × `height_px`: the grid fills whichever way runs out of room first."""
    rows, cols = shape
    margin = LAB["margin"]
    wide = width_px - margin["l"] - margin["r"] - (LAB["colorbar_px"] if colorbar else 0)
    high = height_px - margin["t"] - margin["b"]
    return max(0.0, min(wide / cols, high / rows))


def text_px(text: str, font_px: float) -> float:
    """About how wide `text` (a number as cell_text writes it) is drawn, in pixels."""
    points = text.count(".")
    return (LAB["char_em"] * (len(text) - points) + LAB["point_em"] * points) * font_px


def value_font(texts: np.ndarray, cell: float) -> int | None:
    """The font size that fits every one of `texts` inside a cell `cell` pixels wide and high
    (at most LAB["value_font"]), or None when only an unreadably small one would."""
    texts = [t for t in np.asarray(texts).reshape(-1) if t]
    low, high = LAB["min_value_font"], LAB["value_font"]
    for size in range(high, low - 1, -1):
        wide = max((text_px(t, size) for t in texts), default=0.0)
        if wide + LAB["text_room_px"] <= cell and LAB["line_em"] * size <= cell:
            return size
    return None


def _outline(fig: go.Figure, r0: int, c0: int, r1: int, c1: int, **line) -> None:
    """A line around the cells r0..r1, c0..c1 (inclusive), over everything else."""
    fig.add_shape(cell_rect(r0, c0, r1, c1, line=line, layer="above"))


def _square_cells(fig: go.Figure, rows: np.ndarray, cols: np.ndarray, cell: float) -> None:
    """Row 0 at the top, square cells with a thin gap on small grids, and a number on every
    row and column where cells `cell` pixels wide leave room for one.

    The ranges are set, not found: Plotly would widen them to fit the outlines drawn on top.
    """
    small = max(len(rows), len(cols)) <= LAB["small_grid"]
    dtick = 1 if small and cell >= LAB["tick_every_cell_px"] else None
    gap = LAB["cell_gap"] if small else 0
    fig.update_traces(xgap=gap, ygap=gap, selector={"type": "heatmap"})
    fig.update_yaxes(range=[rows[-1] + 0.5, rows[0] - 0.5], scaleanchor="x", constrain="domain")
    fig.update_xaxes(range=[cols[0] - 0.5, cols[-1] + 0.5], constrain="domain")
    fig.update_xaxes(dtick=dtick, showgrid=False, zeroline=False)
    fig.update_yaxes(dtick=dtick, showgrid=False, zeroline=False)


def _written(texts: np.ndarray, size: int | None) -> dict:
    """Heatmap settings that write `texts` (one per cell) inside the cells at font `size`;
    none when `size` is None. The size is set, not left to Plotly: Plotly would size each
    chart's values on its own, and write them unreadably small rather than not at all."""
    if size is None:
        return {}
    return {"text": texts, "texttemplate": "%{text}", "textfont": {"size": size}}


def _two_d(arr: np.ndarray, who: str) -> np.ndarray:
    return array_with_ndim(arr, 2, who + " needs a 2-D array, got shape {shape}.", np.float64)


def _padded_grid(
    values: np.ndarray,
    is_pad: np.ndarray,
    *,
    first: int,
    zrange: tuple[float, float],
    colorscale: str,
    hovers: tuple[str | None, str | None],
    size_px: tuple[float, float],
    title: str | None,
) -> go.Figure:
    """`values` (h, w), its rows and columns numbered from `first`, with the cells where
    `is_pad` is True drawn as padding zeros in their own colour.

    Two heatmaps on one grid: trace 0 the real values (NaN on padding), trace 1 the padding
    zeros (NaN elsewhere); `hovers` are their (value, padding) hover templates, None for the
    plain ones in the learner's words. The values are written in the cells when every one of
    them fits in a figure drawn `size_px` = (width, height) pixels.
    """
    width_px, height = size_px
    rows, cols = (np.arange(n) + first for n in values.shape)
    cell = cell_px(values.shape, width_px=width_px, height_px=height)
    texts = np.where(is_pad, "0", cell_text(values))
    size = value_font(texts, cell)
    hover_value, hover_padding = hovers
    hover_value, hover_padding = hover_value or value_hover(), hover_padding or padding_hover()
    fig = go.Figure(
        [
            go.Heatmap(
                z=np.where(is_pad, np.nan, values),
                x=cols,
                y=rows,
                zmin=zrange[0],
                zmax=zrange[1],
                colorscale=colorscale,
                showscale=False,
                hovertemplate=hover_value,
                # Each trace writes only its own cells, or it would write on the other's too.
                **_written(np.where(is_pad, "", texts), size),
            ),
            go.Heatmap(
                z=np.where(is_pad, 0.0, np.nan),
                x=cols,
                y=rows,
                colorscale=[[0.0, COLOURS["padding"]], [1.0, COLOURS["padding"]]],
                showscale=False,
                hovertemplate=hover_padding,
                **_written(np.where(is_pad, texts, ""), size),
            ),
        ]
    )
    _square_cells(fig, rows, cols, cell)
    return _lab_layout(fig, height=height, title=title)


def padded_input(
    padded: np.ndarray,
    padding: int,
    *,
    taps: tuple[np.ndarray, np.ndarray] | None = None,
    title: str | None = None,
    hover_pixel: str | None = None,
    hover_padding: str | None = None,
    height: int = 380,
    width_px: float = 270,
) -> go.Figure:
    """The input (H + 2·padding, W + 2·padding) with its zero border in its own colour.

    Trace 0 holds the picture's pixels (NaN on the padding), trace 1 the padding zeros (NaN on
    the picture). `taps` = (rows, cols) of ops.ConvWindow, in the picture's coordinates: the
    rectangle they span is outlined and every tap the kernel reads is tinted. Values are
    written in the cells when they fit at `width_px` × `height` pixels.
    """
    padded = _two_d(padded, "padded_input")
    Hp, Wp = padded.shape
    is_pad = np.ones((Hp, Wp), dtype=bool)
    is_pad[padding : Hp - padding, padding : Wp - padding] = False
    fig = _padded_grid(
        padded,
        is_pad,
        first=-padding,
        zrange=(0.0, 1.0),
        colorscale=SCALES["image"],
        hovers=(hover_pixel, hover_padding),
        size_px=(width_px, height),
        title=title,
    )
    if padding > 0:
        H, W = Hp - 2 * padding, Wp - 2 * padding
        _outline(fig, 0, 0, H - 1, W - 1, color=COLOURS["picture_edge"], width=2, dash="dash")
    if taps is not None:
        tap_rows, tap_cols = (np.asarray(t) for t in taps)
        box = (tap_rows[0], tap_cols[0], tap_rows[-1], tap_cols[-1])
        _outline(fig, *box, color=COLOURS["focus"], width=SIZES["box_width"])
        tint = {"fillcolor": COLOURS["tap"], "line": {"width": 0}, "layer": "above"}
        for r in tap_rows:
            for c in tap_cols:
                fig.add_shape(cell_rect(r, c, r, c, **tint))
    return fig


def output_map(
    out: np.ndarray,
    *,
    cell: tuple[int, int] | None = None,
    filled: int | None = None,
    zrange: tuple[float, float] | None = None,
    title: str | None = None,
    hover: str | None = None,
    height: int = 380,
    width_px: float = 270,
) -> go.Figure:
    """The output (H', W') on a signed colour scale, `cell` = (i, j) outlined.

    Trace 0 is the heatmap. Trace 1 puts an invisible marker on every cell so that a click can
    select it (Plotly selects markers, not heatmap cells); it carries the hover text. With
    `filled` = k, only the first k cells in reading order have their values (the rest are
    NaN), as while the kernel is still sliding. Values are written in the cells when they fit
    at `width_px` × `height` pixels; whether they do is decided on the whole output, so that
    the values do not come and go while the kernel slides.
    """
    out = _two_d(out, "output_map")
    Ho, Wo = out.shape
    shown = out.copy()
    if filled is not None:
        shown.reshape(-1)[filled:] = np.nan
    zmin, zmax = zrange if zrange is not None else (None, None)
    heat = go.Heatmap(
        z=shown,
        zmin=zmin,
        zmax=zmax,
        colorscale=SCALES["signed"],
        showscale=True,
        colorbar={"thickness": SIZES["colorbar"], "xpad": LAB["colorbar_xpad"]},
        hoverinfo="skip",
    )
    side = cell_px(out.shape, width_px=width_px, height_px=height, colorbar=True)
    heat.update(_written(cell_text(shown), value_font(cell_text(out), side)))
    r, c = np.indices((Ho, Wo))
    markers = go.Scatter(
        x=c.reshape(-1),
        y=r.reshape(-1),
        customdata=shown.reshape(-1),
        mode="markers",
        marker={"symbol": "square", "size": 14, "opacity": 0.0},
        unselected={"marker": {"opacity": 0.0}},
        selected={"marker": {"opacity": 0.0}},
        hovertemplate=hover or value_hover("%{customdata:.4f}"),
        showlegend=False,
    )
    fig = go.Figure([heat, markers])
    if cell is not None:
        i, j = cell
        for colour, width in zip(COLOURS["chosen_cell"], (6, 2), strict=True):
            _outline(fig, i, j, i, j, color=colour, width=width)
    _square_cells(fig, np.arange(Ho), np.arange(Wo), side)
    fig.update_layout(clickmode="event+select", dragmode=False, hovermode="closest")
    return _lab_layout(fig, height=height, title=title)


def small_grid(
    arr: np.ndarray,
    *,
    zrange: tuple[float, float],
    colorscale: str,
    on_padding: np.ndarray | None = None,
    title: str | None = None,
    hover_value: str | None = None,
    hover_padding: str | None = None,
    height: int = 240,
    width_px: float = 170,
) -> go.Figure:
    """A kernel-sized array (KH, KW) with its values written in the cells when they fit at
    `width_px` × `height` pixels; the cells where `on_padding` is True are drawn as padding
    zeros."""
    arr = _two_d(arr, "small_grid")
    is_pad = np.zeros(arr.shape, dtype=bool) if on_padding is None else np.asarray(on_padding)
    return _padded_grid(
        arr,
        is_pad,
        first=0,
        zrange=zrange,
        colorscale=colorscale,
        hovers=(hover_value, hover_padding),
        size_px=(width_px, height),
        title=title,
    )


def _lab_layout(fig: go.Figure, *, height: int, title: str | None) -> go.Figure:
    """The app's layout, with the gaps between cells in a soft gray, and fixed margins (see
    cell_px). No padding between the cells and the axes (Streamlit's theme adds some), or the
    gray would frame the grid."""
    layout = base_layout(
        height, title=title, margin=LAB["margin"], plot_bgcolor=COLOURS["cell_gap"]
    )
    fig.update_layout(layout)
    fig.update_xaxes(automargin=False)
    fig.update_yaxes(automargin=False)
    return fig
