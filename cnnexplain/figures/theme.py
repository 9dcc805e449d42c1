"""Every colour, font size, size and number format the figures use, and their one base layout.

The look of the app changes here and nowhere else: a figure module names a colour by what it
means (`COLOURS["focus"]`, the window being explained), never by its code. A test fails when a
colour code appears in any other figure module.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

# Colour scales, by what they show (plotly names).
SCALES = {
    "maps": "Viridis",  # feature maps: perceptually even, readable for colour-blind users
    "signed": "RdBu",  # weights and gradients: blue positive, red negative, white zero
    "image": "Greys_r",  # grayscale input: black 0, white 1
    # Not Inferno or Magma: they start at "#000004", a code Streamlit's chart theme replaces
    # with one of its own colours (#000001 to #000010 are its placeholders).
    "saliency": "Hot",
    "cam": "Jet",
}


def translucent(colour: str, alpha: float) -> str:
    """A "#RRGGBB" colour as see-through "rgba(...)", `alpha` 0 (invisible) to 1 (solid)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


_MAIN, _HIGHLIGHT, _FOCUS, _ON = "#4C78A8", "#F58518", "#E45756", "#54A24B"

COLOURS = {
    "main": _MAIN,  # bars, the first of two curves, a term that adds to a sum
    "highlight": _HIGHLIGHT,  # the chosen bar (predicted class, picked neuron), the second curve
    "focus": _FOCUS,  # what is explained (the kernel's window, the pool winner); a term taken off
    "positive": "#2166AC",  # the two ends of SCALES["signed"] (RdBu), for signed bars
    "negative": "#B2182B",
    "on": _ON,  # a one-hot code: the true class ...
    "off": "#E0E0E0",  # ... and every other
    "background": "white",  # behind every chart; the fill of a marked cell; a count of zero
    "frame": "#888888",  # thin dotted frame around a small grid
    "band": translucent(_HIGHLIGHT, 0.12),  # a shaded run of a vector (one map's part of it)
    "chance": "#9A9A9A",  # the accuracy of guessing
    "axis_grid": "#E5E5E5",  # grid lines behind numbers
    "padding": "#FDE68A",  # padded zeros: a yellow no gray pixel, and no signed value, can have
    "picture_edge": "#08519C",  # dashed outline of the real picture inside its padding
    "tap": translucent(_FOCUS, 0.5),  # the pixels the kernel reads, see-through
    "cell_gap": "#D9D9D9",  # between the cells of a small grid
    "chosen_cell": ("white", "black"),  # the chosen output cell: a wide and a narrow line
}
# The two networks always wear the same colours, so a learner can follow one across charts.
MODEL_COLOURS = {"CNN": _MAIN, "ANN": _HIGHLIGHT}
SERIES = (_MAIN, _HIGHLIGHT, _FOCUS, _ON)  # several series side by side, in this order

FONT = {
    "text": 12,  # every text unless named below
    "title": 14,  # a chart's title
    "panel_title": 13,  # the title of a chart a third of the page wide
    "label": 11,  # titles over small maps, sums under them, values inside cells
    "note": 10,  # notes under overview columns, titles over feature-map thumbnails
    "sign": 16,  # "×" and "=" between grids
}

FORMATS = {
    "value": ".4f",  # an activation, a weight, a probability in hover text
    "gradient": ".6g",  # gradients span many orders of magnitude: significant digits
}

SIZES = {
    "margin": {"l": 10, "r": 10, "t": 30, "b": 10},  # around a chart's plot area, pixels
    "colorbar": 12,  # thickness of a colour bar, pixels
    "box_width": 3,  # line of an outline (a kernel window, a pooling window)
    "thumb_px": 92,  # one feature-map thumbnail
    "panel_px": 300,  # a third of the page's width: the default width of a gradient map grid
    "heatmap_colorbar_px": 90,  # what the colour bar and margins take from a heatmap's width
    "picture_px": 78,  # one small picture in a grid of pictures
    "picture_gap": 0.02,  # space between pictures in that grid, as a share of the figure
    "mosaic_gap": 1,  # empty cells between two tiles of a gradient mosaic
}

# Many small maps drawn on one pair of axes (figures.tiles, figures.overview); "units" are
# figure units, one cell of a map.
TILES = {
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
    "min_text_cell_px": 30,  # narrowest cell a value is written into
    "cam_opacity": 0.45,  # Grad-CAM over the picture: both stay visible
}

# The convolution lab's grids (figures.lab), with a value written in each cell where it fits.
LAB = {
    "value_font": FONT["label"],  # values in cells: this size where it fits, ...
    "min_value_font": 9,  # ... smaller down to this where it does not, and none below it
    "cell_gap": 1,  # pixels between cells, so that equal neighbours still read as two cells
    "small_grid": 16,  # up to this many rows and columns: a gap and a tick for every cell
    "tick_every_cell_px": 18,  # cells at least this wide get a row and column number each
    # Fixed room around the grid, so that the cells' size in pixels can be worked out: the
    # title above, the row numbers on the left, the column numbers below.
    "margin": {"l": 34, "r": 8, "t": 34, "b": 26, "pad": 0},
    "colorbar_xpad": 6,  # between the output map and its colour bar
    "colorbar_px": 56,  # what the output map's colour bar, its labels included, takes from the grid
    "decimals": 2,  # a value in a cell has at most this many decimals ("0.25", "1", "−0.5")
    # Width of one character of a value, in font sizes: a digit or a minus sign is half a font
    # size wide in the app's font, a point a quarter; a little more, for a fallback font.
    "char_em": 0.55,
    "point_em": 0.3,
    "text_room_px": 4,  # space a value leaves free in its cell, so that neighbours never touch
    "line_em": 1.3,  # height a value needs, in font sizes
}

# Charts that only show: no legend, and a drag neither zooms nor pans.
STILL = {"showlegend": False, "dragmode": False}


def base_layout(
    height: int,
    *,
    title: str | None = None,
    margin: dict | None = None,
    title_size: int = FONT["title"],
    **extra: Any,
) -> dict[str, Any]:
    """The house layout every figure starts from, as a dict: margins, fonts and background.

    `extra` adds or overrides layout settings. A dict, so that a figure can be built with its
    whole layout in one constructor call: plotly checks every property each time one is set,
    and some pages draw dozens of figures on every rerun.
    """
    return {
        "height": height,
        "margin": margin or SIZES["margin"],
        "title": {"text": title, "font": {"size": title_size}} if title else None,
        "font": {"size": FONT["text"]},
        "plot_bgcolor": COLOURS["background"],
        **extra,
    }


def figure(traces: list, *, height: int, title: str | None = None, **layout: Any) -> go.Figure:
    """One figure from its traces and the house layout (`base_layout`), in one call."""
    return go.Figure(data=traces, layout=base_layout(height, title=title, **layout))
