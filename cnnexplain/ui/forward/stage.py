"""What the stage views of the forward page share.

The steps a learner walks through, the colour ranges of feature maps, position pickers that
stay inside a map whatever the network, clicks on maps, and a cache for figures. The pure
functions at the top take a `Trace` and return plain values; the rest draws widgets.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from cnnexplain.core import ops
from cnnexplain.figures import theme, tiles
from cnnexplain.model.trace import Trace, TraceStage
from cnnexplain.texts import forward as text
from cnnexplain.texts import language
from cnnexplain.ui.kit.widgets import recall, remember

PENDING_KEY = "fwd_pending"  # widget values to set at the start of the next run (from a click)
SCALES = ("local", "layer", "network")
MAX_MAPS = 32  # the most feature maps one grid draws
GRID_COLUMNS = 8


# --------------------------------------------------------------------------------------------
# Steps and colour ranges (pure)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One stop of the walk through the network: a stage of the trace, or the loss at the end."""

    index: int  # position in the walk, from 0
    name: str  # the stage's name ("conv1", "relu1", ...), or "loss"
    kind: str  # input, conv, activation, pool, flatten, dense, logits, probs or loss
    shape: tuple[int, ...]  # the stage's output shape; () for the loss


def steps_of(result: Trace) -> list[Step]:
    """Every stage of the trace in order, then the loss."""
    steps = [Step(i, s.name, s.kind, s.shape) for i, s in enumerate(result.stages)]
    return [*steps, Step(len(steps), "loss", "loss", ())]


def stage_before(result: Trace, name: str) -> TraceStage:
    """The stage whose output feeds stage `name`."""
    names = result.names
    return result.stages[names.index(name) - 1]


def value_range(*arrays: np.ndarray) -> tuple[float, float]:
    """(smallest, largest) over the arrays.

    When every value is the same (a map that ReLU turned all to 0) the range starts at that
    value, so the map takes the lowest colour: nothing found here.
    """
    lo = min(float(np.min(a)) for a in arrays)
    hi = max(float(np.max(a)) for a in arrays)
    if hi - lo < 1e-12:
        return lo, lo + 1.0
    return lo, hi


def network_range(result: Trace) -> tuple[float, float]:
    """The range of every feature map of the network, input included."""
    return value_range(*(s.torch_out for s in result.stages if s.torch_out.ndim == 3))


def map_ranges(
    out: np.ndarray, scale: str, network: tuple[float, float]
) -> list[tuple[float, float]]:
    """One colour range per map of a stage's output (C, H, W).

    "local": each map's own range; "layer": the range of the whole stage; "network": the range
    of every feature map in the network, given as `network`.
    """
    if scale == "local":
        return [value_range(m) for m in out]
    shared = value_range(out) if scale == "layer" else network
    return [shared] * len(out)


def shown_maps(out: np.ndarray) -> np.ndarray:
    """The first MAX_MAPS maps of a (C, H, W) output."""
    return out[:MAX_MAPS]


# --------------------------------------------------------------------------------------------
# Widgets
# --------------------------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


def figure_cache(func: F) -> F:
    """Keep the figures `func` builds, keyed by its (hashable or array) arguments.

    Figures are rebuilt from the same arrays on many reruns (a learner stepping back and
    forth), and building one costs far more than sending it. They are kept as objects, not
    copies (st.cache_resource): nothing changes a figure after it is built.

    The learner's language is part of the key: a figure's titles and hover words are theirs.
    """

    def in_language(language_name: str, **arguments: Any) -> Any:
        return func(**arguments)

    # Each figure gets its own cache: the cache tells functions apart by these names. Not
    # functools.wraps: its __wrapped__ would make the cache read func's own parameters.
    in_language.__module__, in_language.__qualname__ = func.__module__, func.__qualname__
    cached = st.cache_resource(max_entries=96, show_spinner=False)(in_language)
    signature = inspect.signature(func)

    @functools.wraps(func)
    def drawn(*args: Any, **kwargs: Any) -> Any:
        # By name, so that the cache still skips the arguments whose names start with "_".
        arguments = signature.bind(*args, **kwargs).arguments
        return cached(language.current(), **arguments)

    return drawn  # type: ignore[return-value]


def apply_pending() -> None:
    """Give widgets the values a click asked for, before they are drawn."""
    pending = st.session_state.pop(PENDING_KEY, None)
    if pending:
        for key, value in pending.items():
            st.session_state[key] = value


def go_to(values: dict[str, Any]) -> NoReturn:
    """Rerun with these widget values (a click on a map chose a new position)."""
    st.session_state[PENDING_KEY] = values
    st.rerun()


def position_input(label: str, key: str, size: int, default: int, help: str | None = None) -> int:
    """A whole number from 0 to size - 1 that stays in range when the network changes."""
    value = recall(key, default)
    st.session_state[key] = min(max(int(value), 0), size - 1)
    chosen = st.number_input(label, min_value=0, max_value=size - 1, step=1, key=key, help=help)
    return remember(key, int(chosen))


def pick_cell(
    out: np.ndarray,
    keys: tuple[str, str, str],
    labels: tuple[str, str, str],
    places: Sequence[AbstractContextManager] | None = None,
    help: str | None = None,
) -> tuple[int, int, int]:
    """One cell (map, row, column) of a stage's output (C, H, W), as three whole numbers.

    The first visit starts on the strongest cell, where the layer found most (see
    `ops.strongest_index`). The inputs go into `places` (three columns, say), else one after
    the other where the page is; `help` explains the first.
    """
    start = ops.strongest_index(out)
    places = places or [nullcontext()] * 3
    tips = (help, None, None)
    cell = []
    for place, label, key, size, default, tip in zip(
        places, labels, keys, out.shape, start, tips, strict=True
    ):
        with place:
            cell.append(position_input(label, key, size, default, tip))
    return cell[0], cell[1], cell[2]


def clicked_point(event: Any, chart_key: str) -> dict | None:
    """The point just clicked on a chart, or None when nothing new was clicked.

    A chart keeps its selection across reruns; remembering the last one applied stops a click
    from being applied again and again.
    """
    points = event["selection"]["points"] if event else []
    last_key = f"{chart_key}__applied"
    if not points:
        st.session_state.pop(last_key, None)
        return None
    point = points[0]
    signature = repr(sorted(point.items()))
    if st.session_state.get(last_key) == signature:
        return None
    st.session_state[last_key] = signature
    return point


def clicked_cell(point: dict | None) -> tuple[int, int, int] | None:
    """(map, row, column) of a clicked cell of a clickable tile figure, from its customdata."""
    if point is None or point.get("customdata") is None:
        return None
    data = point["customdata"]
    if isinstance(data, dict):  # a row of a typed array arrives as {"0": .., "1": .., ...}
        data = [data[k] for k in sorted(data, key=int)]
    tile, row, col = (int(round(float(v))) for v in list(data)[:3])
    return tile, row, col


def chart(fig: go.Figure, key: str, *, clickable: bool = False) -> Any:
    """Draw a figure; with `clickable`, return the click event."""
    if clickable:
        return st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points")
    st.plotly_chart(fig, key=key)
    return None


@figure_cache
def _grid_figure(
    maps: np.ndarray,
    names: tuple[str, ...],
    ranges: tuple[tuple[float, float], ...],
    colorscale: str,
    showscale: bool,
) -> go.Figure:
    return tiles.map_grid(
        maps,
        names=names,
        ranges=ranges,
        columns=GRID_COLUMNS,
        colorscale=colorscale,
        showscale=showscale,
    )


def build_map_figure(
    one_map: np.ndarray,
    name: str,
    zrange: tuple[float, float],
    box: tiles.Box,
    dots: tuple[tuple[int, int], ...] = (),
    *,
    clickable: bool = False,
    width_px: int,
    max_unit_px: int,
) -> go.Figure:
    """One map (H, W) with its colour bar, a cell or a window outlined, `dots` marked."""
    return tiles.map_grid(
        one_map[None],
        names=(name,),
        ranges=(zrange,),
        boxes=[[box]],
        dots=[list(dots)] if dots else None,
        clickable=clickable,
        showscale=True,
        width_px=width_px,
        max_unit_px=max_unit_px,
    )


map_figure = figure_cache(build_map_figure)


def output_map(
    stage: TraceStage,
    cell: tuple[int, int, int],
    zrange: tuple[float, float],
    keys: tuple[str, str, str],
    *,
    chart_key: str,
    width_px: int,
    max_unit_px: int,
) -> None:
    """Map c of a stage's output (C, H', W') with the chosen cell (c, row, column) outlined; a
    click on another cell chooses it (`keys`: the widgets of the map, row and column)."""
    c, i, j = cell
    figure = map_figure(
        stage.torch_out[c],
        text.MAP_NAME.format(stage=stage.name, channel=c),
        zrange,
        (i, j, i, j),
        clickable=True,
        width_px=width_px,
        max_unit_px=max_unit_px,
    )
    picked = clicked_cell(clicked_point(chart(figure, chart_key, clickable=True), chart_key))
    if picked is not None:
        go_to({keys[1]: picked[1], keys[2]: picked[2]})


def maps_grid(
    out: np.ndarray,
    *,
    name: str,
    scale: str,
    network: tuple[float, float],
    key: str,
    colorscale: str = theme.SCALES["maps"],
    names: tuple[str, ...] | None = None,
) -> None:
    """Every map of a (C, H, W) output with hover values, on the chosen colour scale."""
    maps = shown_maps(out)
    if names is None:
        names = tuple(text.MAP_NAME.format(stage=name, channel=c) for c in range(len(maps)))
    ranges = tuple(map_ranges(out, scale, network)[: len(maps)])
    if colorscale == theme.SCALES["image"]:
        ranges = ((0.0, 1.0),) * len(maps)  # pixels: 0 is black and 1 is white on every scale
    st.plotly_chart(
        _grid_figure(maps, names, ranges, colorscale, scale != "local"),
        key=key,
    )
    if len(maps) < len(out):
        st.caption(text.SHOWING_MAPS.format(shown=len(maps), total=len(out)))


def signed_sum(values: list[float] | np.ndarray, fmt: str = ".4f") -> str:
    """'0.5000 + (−0.2500) + 1.0000': terms of a sum, negative ones in brackets."""
    parts = [f"{v:{fmt}}" if v >= 0 else f"({v:{fmt}})" for v in values]
    return " + ".join(parts).replace("-", "−")


def num(value: float, fmt: str = ".4f") -> str:
    """A number as the page writes it, with a true minus sign."""
    return f"{value:{fmt}}".replace("-", "−")


def torch_agrees(torch_value: float, ours: float) -> None:
    """PyTorch's own value of the number just worked out, and how far the page's is from it."""
    st.caption(text.TORCH_AGREES.format(value=num(torch_value), diff=abs(torch_value - ours)))
