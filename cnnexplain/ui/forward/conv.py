"""The convolution stage: one output number worked out from the window under the kernel.

The learner picks an output channel and a position (or clicks the output map). For every input
channel the view shows the window of the input under the kernel, the kernel's weights and
their products; then the sum, the bias, the result before and after the activation, and where
it lands. "Play" slides the kernel along the row and writes the map as it goes.

The three number inputs are the one record of the chosen cell: the red window, the red square
and the arithmetic are all drawn from them. Play moves the chosen cell to where the kernel will
stop (before the page is drawn), then animates the slide in the figures' places, then draws the
figures and the arithmetic for that cell, so the page never rests on two different cells.
"""

from __future__ import annotations

import time

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from cnnexplain.core import ops
from cnnexplain.figures import forward as fwdfig
from cnnexplain.figures import theme, tiles
from cnnexplain.model.trace import TraceStage
from cnnexplain.texts import forward as text
from cnnexplain.texts import stages
from cnnexplain.ui.forward.stage import (
    build_map_figure,
    figure_cache,
    map_ranges,
    num,
    output_map,
    pick_cell,
    shown_maps,
    signed_sum,
    torch_agrees,
    value_range,
)
from cnnexplain.ui.kit.detail import every_number

PLAY_KEY = "fwd_play"
PLAY_DELAY_S = 0.12  # pause between two positions of the sliding window
PLAY_MAX_FRAMES = 40  # a row longer than this plays its first 40 positions
ARITHMETIC_CHANNELS = 16  # input channels drawn in full; the rest are summed in words
HALF_PX = 430  # width of one of two columns on a wide page
MAP_UNIT_PX = 12  # the largest a cell of the input and output maps is drawn


def _window_box(win: ops.ConvWindow, padding: int) -> tiles.Box:
    """The window's outline on the padded map (row and column 0 of the padded map are -padding)."""
    return (
        int(win.rows[0]) + padding,
        int(win.cols[0]) + padding,
        int(win.rows[-1]) + padding,
        int(win.cols[-1]) + padding,
    )


def _taps(win: ops.ConvWindow, padding: int) -> list[tuple[int, int]]:
    """Every cell a dilated kernel reads, on the padded map (a plain kernel reads the whole box)."""
    return [(int(r) + padding, int(c) + padding) for r in win.rows for c in win.cols]


def _build_input_figure(
    maps: np.ndarray,
    names: tuple[str, ...],
    ranges: tuple[tuple[float, float], ...],
    colorscale: str,
    box: tiles.Box,
    taps: tuple[tuple[int, int], ...],
    padding: int,
    size: tuple[int, int],
) -> go.Figure:
    padded = np.pad(maps, ((0, 0), (padding, padding), (padding, padding)))
    h, w = size
    return tiles.map_grid(
        padded,
        names=names,
        ranges=ranges,
        columns=4,
        colorscale=colorscale,
        boxes=[[box]] * len(padded),
        dots=[list(taps)] * len(padded) if taps else None,
        first_index=-padding,
        outline=(padding, padding, padding + h - 1, padding + w - 1) if padding else None,
        width_px=HALF_PX,
        max_unit_px=MAP_UNIT_PX,
    )


_input_figure = figure_cache(_build_input_figure)


@figure_cache
def _arithmetic_figure(
    windows: np.ndarray,
    kernels: np.ndarray,
    products: np.ndarray,
    sums: np.ndarray,
    names: tuple[str, ...],
    window_range: tuple[float, float],
    window_colorscale: str,
) -> go.Figure:
    rows = [
        fwdfig.ArithmeticRow(
            name=names[c],
            window=windows[c],
            kernel=kernels[c],
            products=products[c],
            total=float(sums[c]),
            window_range=window_range,
        )
        for c in range(len(windows))
    ]
    return fwdfig.conv_arithmetic(
        rows,
        window_colorscale=window_colorscale,
        words=text.ARITHMETIC_WORDS,
        sum_label=text.ARITHMETIC_SUM,
    )


def show(
    stage: TraceStage,
    before: TraceStage,
    after: TraceStage | None,
    scale: str,
    network: tuple[float, float],
) -> None:
    """The convolution `stage` applied to the output of `before`; `after` may be its activation."""
    name = stage.name
    weight, bias = stage.params["weight"], stage.params["bias"]  # (F, C, KH, KW), (F,)
    padding = stage.hparams["padding"]
    keys = (f"fwd_conv_f_{name}", f"fwd_conv_i_{name}", f"fwd_conv_j_{name}")
    f, i, j, play = _pick(stage, keys)

    x = before.numpy_out  # (C, H, W): the replay's own input to this stage
    win = ops.conv2d_window(x, weight, bias, f, i, j, **stage.hparams)
    in_maps, input_args = _input_maps(before, scale, network)
    out_range = map_ranges(stage.torch_out, scale, network)[f]
    taps = tuple(_taps(win, padding)) if stage.hparams["dilation"] > 1 else ()
    out_name = text.MAP_NAME.format(stage=name, channel=f)

    input_slot, output_slot, line_slot, arithmetic_slot = _places(stage, before, f, len(in_maps))
    if play:
        _play(
            stage,
            x,
            f,
            i,
            (input_slot, output_slot, line_slot),
            in_maps,
            input_args,
            out_name,
            out_range,
        )

    input_slot.plotly_chart(
        _input_figure(in_maps, *input_args, _window_box(win, padding), taps, padding, x.shape[1:]),
        key="fwd_conv_input",
    )
    with output_slot:
        output_map(
            stage,
            (f, i, j),
            out_range,
            keys,
            chart_key=f"fwd_conv_click_{name}",
            width_px=HALF_PX,
            max_unit_px=MAP_UNIT_PX,
        )
    with arithmetic_slot.container():
        _arithmetic(win, stage, before, after, f, i, j)


def _pick(stage: TraceStage, keys: tuple[str, str, str]) -> tuple[int, int, int, bool]:
    """The output cell (filter, row, column), and whether Play was pressed."""
    play_end = min(stage.shape[2], PLAY_MAX_FRAMES) - 1
    # The button takes the width of its words, the three numbers share the rest.
    with st.container(horizontal=True, vertical_alignment="bottom", wrap=False):
        f, i, j = pick_cell(
            stage.torch_out,
            keys,
            (text.CONV_FILTER, text.ROW, text.COL),
            help=text.CONV_FILTER_HELP,
        )
        play = st.button(
            text.PLAY,
            key=PLAY_KEY,
            help=text.PLAY_HELP,
            on_click=_stop_at,
            args=(keys[2], play_end),
        )
    return f, i, j, play


def _input_maps(
    before: TraceStage, scale: str, network: tuple[float, float]
) -> tuple[np.ndarray, tuple]:
    """The input maps drawn, and their (names, colour ranges, colour scale)."""
    image_like = before.kind == "input"
    maps = shown_maps(before.torch_out)
    names = tuple(text.MAP_NAME.format(stage=before.name, channel=c) for c in range(len(maps)))
    if image_like:
        ranges = ((0.0, 1.0),) * len(maps)
    else:
        ranges = tuple(map_ranges(before.torch_out, scale, network)[: len(maps)])
    return maps, (names, ranges, theme.SCALES["image"] if image_like else theme.SCALES["maps"])


def _places(
    stage: TraceStage, before: TraceStage, f: int, shown: int
) -> tuple[DeltaGenerator, DeltaGenerator, DeltaGenerator, DeltaGenerator]:
    """Headers and notes of the two maps, and the empty places of the figures, of Play's line
    and of the arithmetic."""
    n_in = stage.params["weight"].shape[1]
    padding = stage.hparams["padding"]
    left, right = st.columns(2)
    with left:
        st.markdown(text.CONV_INPUT_HEADER.format(name=before.name))
        input_slot = st.empty()
        if padding:
            st.caption(text.PADDING_NOTE.format(padding=padding))
        if shown < n_in:
            st.caption(text.SHOWING_MAPS.format(shown=shown, total=n_in))
    with right:
        st.markdown(text.CONV_OUTPUT_HEADER.format(name=stage.name, f=f))
        output_slot = st.empty()
        st.caption(text.CLICK_TO_PICK)
    line_slot = st.empty()
    # Empty while the kernel slides: the numbers of another cell must not stay on screen.
    arithmetic_slot = st.empty()
    return input_slot, output_slot, line_slot, arithmetic_slot


def _stop_at(key: str, column: int) -> None:
    """Play's click: the chosen column becomes the one the kernel slides to."""
    st.session_state[key] = column


def _arithmetic(
    win: ops.ConvWindow,
    stage: TraceStage,
    before: TraceStage,
    after: TraceStage | None,
    f: int,
    i: int,
    j: int,
) -> None:
    """The chosen cell's result; with every number, each product and sum first."""
    if every_number():
        _products(win, before)
    else:
        st.caption(text.SIMPLE_CONV)
    st.markdown(
        text.CONV_RESULT.format(
            total=num(win.total),
            bias=num(win.bias),
            result=num(win.result),
            name=stage.name,
            f=f,
            i=i,
            j=j,
        )
    )
    if every_number():
        torch_agrees(float(stage.torch_out[f, i, j]), win.result)
    if after is not None and after.kind == "activation":
        st.markdown(
            text.CONV_ACTIVATED.format(
                kind=stages.ACTIVATION_NAMES[after.hparams["activation"]],
                result=num(win.result),
                value=num(float(after.numpy_out[f, i, j])),
                name=after.name,
            )
        )


def _products(win: ops.ConvWindow, before: TraceStage) -> None:
    """Every product of the window and the kernel, channel by channel, and their sum."""
    n_in = win.window.shape[0]
    shown = min(n_in, ARITHMETIC_CHANNELS)
    names = tuple(text.CHANNEL.format(c=c) for c in range(shown))
    st.markdown(text.CONV_ARITHMETIC_HEADER)
    st.caption(text.CONV_ARITHMETIC_CAPTION)
    st.caption(text.CONV_NO_FLIP)
    window_range = (0.0, 1.0) if before.kind == "input" else value_range(win.window)
    st.plotly_chart(
        _arithmetic_figure(
            win.window[:shown].astype(np.float32),
            win.kernel[:shown],
            win.products[:shown],
            win.channel_sums[:shown],
            names,
            window_range,
            theme.SCALES["image"] if before.kind == "input" else theme.SCALES["maps"],
        ),
        key="fwd_conv_arithmetic",
    )
    per_channel = win.channel_sums  # (C,)
    count = win.products.size
    if n_in == 1:
        st.markdown(text.CONV_SUM_ONE.format(count=count, total=num(win.total)))
    elif n_in <= ARITHMETIC_CHANNELS:
        st.markdown(
            text.CONV_SUM_MANY.format(
                count=count, n_in=n_in, terms=signed_sum(per_channel), total=num(win.total)
            )
        )
    else:
        rest = float(per_channel[shown:].sum())
        st.markdown(
            text.CONV_SUM_REST.format(
                count=count,
                n_in=n_in,
                terms=signed_sum(per_channel[:shown]),
                rest_n=n_in - shown,
                rest=num(rest),
                total=num(win.total),
            )
        )


def _play(
    stage: TraceStage,
    x: np.ndarray,
    f: int,
    i: int,
    slots: tuple,
    in_maps: np.ndarray,
    input_args: tuple,
    out_name: str,
    out_range: tuple[float, float],
) -> None:
    """Slide the kernel along row i, writing the output map one number at a time, in the
    places of the two figures and of the line under them.

    The slide ends on the chosen cell (Play's click made it the last column played), whose
    figures and arithmetic the caller then draws. Any click on the page starts a new run, which
    stops this one.
    """
    input_slot, output_slot, line_slot = slots
    weight, bias = stage.params["weight"], stage.params["bias"]
    padding = stage.hparams["padding"]
    out_map = stage.torch_out[f]
    done = np.zeros(out_map.shape, dtype=bool)
    done[:i] = True
    frames = min(out_map.shape[1], PLAY_MAX_FRAMES)
    for j in range(frames):
        win = ops.conv2d_window(x, weight, bias, f, i, j, **stage.hparams)
        done[i, j] = True
        taps = tuple(_taps(win, padding)) if stage.hparams["dilation"] > 1 else ()
        input_slot.plotly_chart(
            _build_input_figure(
                in_maps, *input_args, _window_box(win, padding), taps, padding, x.shape[1:]
            ),
            key=f"fwd_play_input_{j}",
        )
        output_slot.plotly_chart(
            build_map_figure(
                fwdfig.partial_map(out_map, done),
                out_name,
                out_range,
                (i, j, i, j),
                width_px=HALF_PX,
                max_unit_px=MAP_UNIT_PX,
            ),
            key=f"fwd_play_output_{j}",
        )
        line_slot.markdown(
            text.PLAY_LINE.format(
                i=i, j=j, total=num(win.total), bias=num(win.bias), result=num(win.result)
            )
        )
        time.sleep(PLAY_DELAY_S)
    line_slot.markdown(text.PLAY_DONE.format(i=i, frames=frames, j=frames - 1))
