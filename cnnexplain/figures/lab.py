"""Figures of the convolution lab: the padded input with the kernel's taps, and the output map.

Arrays in, `plotly.graph_objects.Figure` out, like cnnexplain.figures.maps (whose THEME they share).
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

from cnnexplain.figures.maps import THEME, apply_layout

LAB_THEME = {
    "padding": "#FDE68A",  # padded zeros: a yellow no gray pixel, and no signed value, can have
    "picture_edge": "#08519C",  # dashed outline of the real picture inside the padding
    "tap": "rgba(228, 87, 86, 0.5)",  # the pixels the kernel reads: THEME["box"], see-through
    "value_font": THEME["font_size"] - 1,  # values in cells: this size where it fits, ...
    "min_value_font": 9,  # ... smaller down to this where it does not, and none below it
    "cell_gap": 1,  # pixels between cells, so that equal neighbours still read as two cells
    "small_grid": 16,  # up to this many rows and columns: a gap and a tick for every cell
    "tick_every_cell_px": 18,  # cells at least this wide get a row and column number each
    "gap_colour": "#D9D9D9",
    "cell_outline": ("white", "black"),  # the chosen output cell: a wide and a narrow line
    # Fixed room around the grid, so that the cells' size in pixels can be worked out: the
    # title above, the row numbers on the left, the column numbers below.
    "margin": {"l": 34, "r": 8, "t": 34, "b": 26, "pad": 0},
    "colorbar": {"thickness": 12, "xpad": 6},
    "colorbar_px": 56,  # what the output map's colour bar, its labels included, takes from the grid
    "decimals": 2,  # a value in a cell has at most this many decimals ("0.25", "1", "−0.5")
    # Width of one character of a value, in font sizes: a digit or a minus sign is half a font
    # size wide in the app's font, a point a quarter; a little more, for a fallback font.
    "char_em": 0.55,
    "point_em": 0.3,
    "text_room_px": 4,  # space a value leaves free in its cell, so that neighbours never touch
    "line_em": 1.3,  # height a value needs, in font sizes
}


def cell_text(values: np.ndarray, decimals: int = LAB_THEME["decimals"]) -> np.ndarray:
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
    margin = LAB_THEME["margin"]
    wide = width_px - margin["l"] - margin["r"] - (LAB_THEME["colorbar_px"] if colorbar else 0)
    high = height_px - margin["t"] - margin["b"]
    return max(0.0, min(wide / cols, high / rows))


def text_px(text: str, font_px: float) -> float:
    """About how wide `text` (a number as cell_text writes it) is drawn, in pixels."""
    points = text.count(".")
    return (LAB_THEME["char_em"] * (len(text) - points) + LAB_THEME["point_em"] * points) * font_px


def value_font(texts: np.ndarray, cell: float) -> int | None:
    """The font size that fits every one of `texts` inside a cell `cell` pixels wide and high
    (at most LAB_THEME["value_font"]), or None when only an unreadably small one would."""
    texts = [t for t in np.asarray(texts).reshape(-1) if t]
    low, high = LAB_THEME["min_value_font"], LAB_THEME["value_font"]
    for size in range(high, low - 1, -1):
        wide = max((text_px(t, size) for t in texts), default=0.0)
        if wide + LAB_THEME["text_room_px"] <= cell and LAB_THEME["line_em"] * size <= cell:
            return size
    return None


def _outline(fig: go.Figure, r0: float, c0: float, r1: float, c1: float, **line) -> None:
    fig.add_shape(type="rect", x0=c0, x1=c1, y0=r0, y1=r1, line=line, layer="above")


def _square_cells(fig: go.Figure, rows: np.ndarray, cols: np.ndarray, cell: float) -> None:
    """Row 0 at the top, square cells with a thin gap on small grids, and a number on every
    row and column where cells `cell` pixels wide leave room for one.

    The ranges are set, not found: Plotly would widen them to fit the outlines drawn on top.
    """
    small = max(len(rows), len(cols)) <= LAB_THEME["small_grid"]
    dtick = 1 if small and cell >= LAB_THEME["tick_every_cell_px"] else None
    gap = LAB_THEME["cell_gap"] if small else 0
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


def _with_padding(
    values: np.ndarray,
    is_pad: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    *,
    cell: float,
    zrange: tuple[float, float],
    colorscale: str,
    hover_value: str,
    hover_padding: str,
) -> list[go.Heatmap]:
    """Two heatmaps on one grid: the real values (NaN on padding), then the padding zeros in
    their own colour (NaN elsewhere). The values are written in the cells when every one of
    them fits in a cell `cell` pixels wide."""
    texts = np.where(is_pad, "0", cell_text(values))
    size = value_font(texts, cell)
    return [
        go.Heatmap(
            z=np.where(is_pad, np.nan, values),
            x=x,
            y=y,
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
            x=x,
            y=y,
            colorscale=[[0.0, LAB_THEME["padding"]], [1.0, LAB_THEME["padding"]]],
            showscale=False,
            hovertemplate=hover_padding,
            **_written(np.where(is_pad, texts, ""), size),
        ),
    ]


def padded_input(
    padded: np.ndarray,
    padding: int,
    *,
    taps: tuple[np.ndarray, np.ndarray] | None = None,
    title: str | None = None,
    hover_pixel: str = "row %{y}, col %{x}<br>value %{z:.4f}<extra></extra>",
    hover_padding: str = "row %{y}, col %{x}<br>padding 0<extra></extra>",
    height: int = 380,
    width_px: float = 270,
) -> go.Figure:
    """The input (H + 2·padding, W + 2·padding) with its zero border in its own colour.

    Trace 0 holds the picture's pixels (NaN on the padding), trace 1 the padding zeros (NaN on
    the picture). `taps` = (rows, cols) of ops.ConvWindow, in the picture's coordinates: the
    rectangle they span is outlined and every tap the kernel reads is tinted. Values are
    written in the cells when they fit at `width_px` × `height` pixels.
    """
    padded = np.asarray(padded, dtype=np.float64)
    if padded.ndim != 2:
        raise ValueError(f"padded_input needs a 2-D array, got shape {padded.shape}.")
    Hp, Wp = padded.shape
    rows = np.arange(Hp) - padding
    cols = np.arange(Wp) - padding
    is_pad = np.ones((Hp, Wp), dtype=bool)
    is_pad[padding : Hp - padding, padding : Wp - padding] = False
    cell = cell_px(padded.shape, width_px=width_px, height_px=height)
    fig = go.Figure(
        _with_padding(
            padded,
            is_pad,
            cols,
            rows,
            cell=cell,
            zrange=(0.0, 1.0),
            colorscale=THEME["image"],
            hover_value=hover_pixel,
            hover_padding=hover_padding,
        )
    )
    if padding > 0:
        H, W = Hp - 2 * padding, Wp - 2 * padding
        _outline(
            fig, -0.5, -0.5, H - 0.5, W - 0.5, color=LAB_THEME["picture_edge"], width=2, dash="dash"
        )
    if taps is not None:
        tap_rows, tap_cols = (np.asarray(t) for t in taps)
        _outline(
            fig,
            tap_rows[0] - 0.5,
            tap_cols[0] - 0.5,
            tap_rows[-1] + 0.5,
            tap_cols[-1] + 0.5,
            color=THEME["box"],
            width=3,
        )
        for r in tap_rows:
            for c in tap_cols:
                fig.add_shape(
                    type="rect",
                    x0=c - 0.5,
                    x1=c + 0.5,
                    y0=r - 0.5,
                    y1=r + 0.5,
                    fillcolor=LAB_THEME["tap"],
                    line={"width": 0},
                    layer="above",
                )
    _square_cells(fig, rows, cols, cell)
    return _lab_layout(fig, height=height, title=title)


def output_map(
    out: np.ndarray,
    *,
    cell: tuple[int, int] | None = None,
    filled: int | None = None,
    zrange: tuple[float, float] | None = None,
    title: str | None = None,
    hover: str = "row %{y}, col %{x}<br>value %{customdata:.4f}<extra></extra>",
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
    out = np.asarray(out, dtype=np.float64)
    if out.ndim != 2:
        raise ValueError(f"output_map needs a 2-D array, got shape {out.shape}.")
    Ho, Wo = out.shape
    shown = out.copy()
    if filled is not None:
        shown.reshape(-1)[filled:] = np.nan
    zmin, zmax = zrange if zrange is not None else (None, None)
    heat = go.Heatmap(
        z=shown,
        zmin=zmin,
        zmax=zmax,
        colorscale=THEME["signed"],
        showscale=True,
        colorbar=LAB_THEME["colorbar"],
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
        hovertemplate=hover,
        showlegend=False,
    )
    fig = go.Figure([heat, markers])
    if cell is not None:
        i, j = cell
        for colour, width in zip(LAB_THEME["cell_outline"], (6, 2), strict=True):
            _outline(fig, i - 0.5, j - 0.5, i + 0.5, j + 0.5, color=colour, width=width)
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
    hover_value: str = "row %{y}, col %{x}<br>value %{z:.4f}<extra></extra>",
    hover_padding: str = "row %{y}, col %{x}<br>padding 0<extra></extra>",
    height: int = 240,
    width_px: float = 170,
) -> go.Figure:
    """A kernel-sized array (KH, KW) with its values written in the cells when they fit at
    `width_px` × `height` pixels; the cells where `on_padding` is True are drawn as padding
    zeros."""
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"small_grid needs a 2-D array, got shape {arr.shape}.")
    KH, KW = arr.shape
    is_pad = np.zeros(arr.shape, dtype=bool) if on_padding is None else np.asarray(on_padding)
    cell = cell_px(arr.shape, width_px=width_px, height_px=height)
    fig = go.Figure(
        _with_padding(
            arr,
            is_pad,
            np.arange(KW),
            np.arange(KH),
            cell=cell,
            zrange=zrange,
            colorscale=colorscale,
            hover_value=hover_value,
            hover_padding=hover_padding,
        )
    )
    _square_cells(fig, np.arange(KH), np.arange(KW), cell)
    return _lab_layout(fig, height=height, title=title)


def _lab_layout(fig: go.Figure, *, height: int, title: str | None) -> go.Figure:
    """The app's layout, with the gaps between cells in a soft gray, and fixed margins (see
    cell_px). No padding between the cells and the axes (Streamlit's theme adds some), or the
    gray would frame the grid."""
    apply_layout(fig, height=height, title=title)
    fig.update_layout(plot_bgcolor=LAB_THEME["gap_colour"], margin=LAB_THEME["margin"])
    fig.update_xaxes(automargin=False)
    fig.update_yaxes(automargin=False)
    return fig
