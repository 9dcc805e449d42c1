"""The pooling stage: one window of a map, its values, the winner or the mean, where it lands."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from cnnexplain.core import ops
from cnnexplain.figures import forward as fwdfig
from cnnexplain.model.trace import TraceStage
from cnnexplain.texts import forward as text
from cnnexplain.ui.forward.stage import (
    figure_cache,
    map_figure,
    map_ranges,
    num,
    output_map,
    pick_cell,
    signed_sum,
    torch_agrees,
)
from cnnexplain.ui.kit.detail import every_number

COLUMN_PX = 330  # width of the input and output columns
MAP_UNIT_PX = 14  # the largest a cell of the input and output maps is drawn


@figure_cache
def _window_figure(
    values: np.ndarray, name: str, zrange: tuple[float, float], winner: tuple[int, int] | None
) -> go.Figure:
    return fwdfig.window_values(values, name=name, zmin=zrange[0], zmax=zrange[1], winner=winner)


def show(stage: TraceStage, before: TraceStage, scale: str, network: tuple[float, float]) -> None:
    """The pooling `stage` applied to the output of `before`."""
    name = stage.name
    size, stride, mode = stage.hparams["size"], stage.hparams["stride"], stage.hparams["pool"]
    keys = (f"fwd_pool_c_{name}", f"fwd_pool_i_{name}", f"fwd_pool_j_{name}")
    c, i, j = pick_cell(
        stage.torch_out, keys, (text.POOL_CHANNEL, text.ROW, text.COL), st.columns(3)
    )
    window = ops.pool_window(before.numpy_out, c, i, j, size=size, stride=stride, mode=mode)
    ranges = (
        map_ranges(before.torch_out, scale, network)[c],
        map_ranges(stage.torch_out, scale, network)[c],
    )
    _maps(stage, before, window, (c, i, j), ranges, keys)
    _words(stage, before, window, (c, i, j))


def _maps(
    stage: TraceStage,
    before: TraceStage,
    window: ops.PoolWindow,
    cell: tuple[int, int, int],
    ranges: tuple[tuple[float, float], tuple[float, float]],
    keys: tuple[str, str, str],
) -> None:
    """The input map with the window, the window's values, and the output map, where a click
    chooses another cell (the widgets of its map, row and column are `keys`)."""
    c = cell[0]
    in_range, out_range = ranges
    box = (int(window.rows[0]), int(window.cols[0]), int(window.rows[-1]), int(window.cols[-1]))
    winner_local = None
    dots: tuple[tuple[int, int], ...] = ()
    if window.winner is not None:
        dots = (window.winner,)
        winner_local = (window.winner[0] - box[0], window.winner[1] - box[1])

    left, middle, right = st.columns([3, 2, 3])
    with left:
        st.markdown(text.POOL_INPUT_HEADER.format(name=before.name, c=c))
        st.plotly_chart(
            map_figure(
                before.torch_out[c],
                text.MAP_NAME.format(stage=before.name, channel=c),
                in_range,
                box,
                dots,
                width_px=COLUMN_PX,
                max_unit_px=MAP_UNIT_PX,
            ),
            key="fwd_pool_input",
        )
    with middle:
        st.markdown(text.POOL_WINDOW_HEADER.format(size=stage.hparams["size"]))
        st.plotly_chart(
            _window_figure(
                window.values.astype(np.float32),
                text.POOL_WINDOW_NAME,
                in_range,
                winner_local,
            ),
            key="fwd_pool_window",
        )
    with right:
        st.markdown(text.POOL_OUTPUT_HEADER.format(name=stage.name, c=c))
        output_map(
            stage,
            cell,
            out_range,
            keys,
            chart_key=f"fwd_pool_click_{stage.name}",
            width_px=COLUMN_PX,
            max_unit_px=MAP_UNIT_PX,
        )
        st.caption(text.CLICK_TO_PICK)


def _words(
    stage: TraceStage, before: TraceStage, window: ops.PoolWindow, cell: tuple[int, int, int]
) -> None:
    """The window's numbers and what pooling made of them, PyTorch's value, how the map shrank."""
    c, i, j = cell
    name = stage.name
    values = window.values.reshape(-1)
    if stage.hparams["pool"] == "max":
        st.markdown(
            text.POOL_MAX.format(
                values=", ".join(num(v) for v in values),
                result=num(window.result),
                r=window.winner[0],
                col=window.winner[1],
                name=name,
                c=c,
                i=i,
                j=j,
            )
        )
    else:
        st.markdown(
            text.POOL_AVG.format(
                terms=signed_sum(values),
                n=len(values),
                sum=num(window.total),
                result=num(window.result),
                name=name,
                c=c,
                i=i,
                j=j,
            )
        )
    if every_number():
        torch_agrees(float(stage.torch_out[c, i, j]), window.result)
    _, h_out, w_out = stage.shape
    st.caption(
        text.POOL_SHRINK.format(h_in=before.shape[1], w_in=before.shape[2], h=h_out, w=w_out)
    )
