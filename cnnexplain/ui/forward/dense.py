"""Flatten and the dense layers: where each number of the maps goes, and one neuron's sum.

The label travels beside every vector as its one-hot code, as it does through the real
network: it only meets the network's answer at the loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from cnnexplain.core import ops
from cnnexplain.figures import forward as fwdfig
from cnnexplain.figures import tiles
from cnnexplain.io.datasets import Dataset
from cnnexplain.model.spec import CNNSpec
from cnnexplain.model.trace import Trace, TraceStage
from cnnexplain.texts import forward as text
from cnnexplain.texts import stages
from cnnexplain.ui.forward.stage import (
    MAX_MAPS,
    chart,
    clicked_cell,
    clicked_point,
    figure_cache,
    go_to,
    map_ranges,
    num,
    pick_cell,
    position_input,
    shown_maps,
    torch_agrees,
)
from cnnexplain.ui.kit import datasets as named
from cnnexplain.ui.kit.detail import every_number
from cnnexplain.ui.kit.widgets import kept

FLAT_FROM_KEY = "fwd_flat_from"
FLAT_KEYS = {"c": "fwd_flat_c", "r": "fwd_flat_r", "col": "fwd_flat_col", "k": "fwd_flat_k"}
FLAT_LAST_KEY = "fwd_flat_last"  # (c, r, col, k) shown last, so switching modes keeps the place
TOP_TERMS = 12  # terms of a weighted sum listed one by one
NUMBER = st.column_config.NumberColumn(format="%.4f")


@figure_cache
def _strip_figure(
    values: np.ndarray,
    highlight: int | None,
    name: str,
    labels: tuple[str, ...] | None,
    band: tuple[int, int] | None,
) -> go.Figure:
    return fwdfig.vector_strip(values, highlight=highlight, name=name, labels=labels, band=band)


@figure_cache
def _onehot_figure(label: int, class_names: tuple[str, ...], title: str) -> go.Figure:
    return fwdfig.onehot(label, class_names, title=title)


def vector_with_label(
    values: np.ndarray,
    result: Trace,
    data: Dataset,
    *,
    name: str,
    key: str,
    highlight: int | None = None,
    labels: tuple[str, ...] | None = None,
    band: tuple[int, int] | None = None,
    clickable: bool = False,
):
    """A stage's vector as bars, with the label's one-hot code travelling beside it.

    `band` shades a run of places (first, last): the part of the list one map became. Before the
    learner has said what their picture shows, the label's place says that it waits for it.
    """
    wide, narrow = st.columns([5, 1])
    with wide:
        event = chart(
            _strip_figure(np.asarray(values, dtype=np.float32), highlight, name, labels, band),
            key=key,
            clickable=clickable,
        )
    if result.label is None:
        narrow.caption(text.ONEHOT_WAITING)
        st.caption(text.LABEL_WAITS)
        return event
    with narrow:
        st.plotly_chart(
            _onehot_figure(result.label, named.class_names(data), text.ONEHOT_TITLE),
            key=f"{key}_label",
        )
    st.caption(
        text.LABEL_TRAVELS.format(
            label=named.class_names(data)[result.label],
            code=", ".join("1" if k == result.label else "0" for k in range(data.num_classes)),
        )
    )
    return event


def _remember_flat_mode() -> None:
    """Switching between "a cell" and "a number" keeps the same place selected."""
    last = st.session_state.get(FLAT_LAST_KEY)
    if last is None:
        return
    c, r, col, k = last
    if st.session_state[FLAT_FROM_KEY] == "cell":
        st.session_state.update({FLAT_KEYS["c"]: c, FLAT_KEYS["r"]: r, FLAT_KEYS["col"]: col})
    else:
        st.session_state[FLAT_KEYS["k"]] = k


@figure_cache
def _flat_maps_figure(
    maps: np.ndarray,
    names: tuple[str, ...],
    titles: tuple[str, ...],
    ranges: tuple[tuple[float, float], ...],
    c: int,
    r: int,
    col: int,
) -> go.Figure:
    boxes = [[(r, col, r, col)] if k == c else [] for k in range(len(maps))]
    return tiles.map_grid(
        maps,
        names=names,
        titles=titles,
        ranges=ranges,
        columns=8,
        boxes=boxes,
        clickable=True,
        max_unit_px=14,
    )


def show_flatten(stage: TraceStage, before: TraceStage, result: Trace, data: Dataset) -> None:
    """Where number (c, r, col) of the maps lands in the flat vector, and back."""
    _, h, w = before.shape
    c, r, col, k = _flat_place(stage, before)
    _flat_words(stage, before, (c, r, col), k)
    maps_event = _flat_maps(before, c, r, col)
    st.markdown(text.FLAT_LIST_HEADER.format(name=stage.name, n=stage.shape[0]))
    vector_event = vector_with_label(
        stage.torch_out,
        result,
        data,
        name=stage.name,
        key="fwd_flat_vector_click",
        highlight=k,
        band=(c * h * w, (c + 1) * h * w - 1),
        clickable=True,
    )
    st.caption(text.FLAT_CLICK)
    st.caption(text.FLAT_OTHER_INPUTS)
    cell = clicked_cell(clicked_point(maps_event, "fwd_flat_maps_click"))
    if cell is not None:
        go_to(
            {
                FLAT_FROM_KEY: "cell",
                FLAT_KEYS["c"]: cell[0],
                FLAT_KEYS["r"]: cell[1],
                FLAT_KEYS["col"]: cell[2],
            }
        )
    point = clicked_point(vector_event, "fwd_flat_vector_click")
    if point is not None and point.get("point_index") is not None:
        go_to({FLAT_FROM_KEY: "index", FLAT_KEYS["k"]: int(point["point_index"])})


def _flat_place(stage: TraceStage, before: TraceStage) -> tuple[int, int, int, int]:
    """(c, r, col) in the maps and k in the flat vector, chosen from either side."""
    mode = kept(
        FLAT_FROM_KEY,
        "cell",
        st.radio,
        text.FLAT_FROM,
        ("cell", "index"),
        format_func=text.FLAT_FROM_OPTIONS.get,
        horizontal=True,
        on_change=_remember_flat_mode,
    )
    cols = st.columns(4)
    if mode == "cell":
        c, r, col = pick_cell(
            before.torch_out,
            (FLAT_KEYS["c"], FLAT_KEYS["r"], FLAT_KEYS["col"]),
            (text.FLAT_CHANNEL, text.ROW, text.COL),
            cols[:3],
        )
        k = ops.flat_index(c, r, col, before.shape)
    else:
        (k0,) = ops.strongest_index(stage.torch_out)
        with cols[0]:
            k = position_input(
                text.FLAT_INDEX, FLAT_KEYS["k"], stage.shape[0], k0, text.FLAT_INDEX_HELP
            )
        c, r, col = ops.unflat_index(k, before.shape)
    st.session_state[FLAT_LAST_KEY] = (c, r, col, k)
    return c, r, col, k


def _flat_words(stage: TraceStage, before: TraceStage, cell: tuple[int, int, int], k: int) -> None:
    """The flat-index formula both ways, and the same value on either side."""
    c, r, col = cell
    _, h, w = before.shape
    hw = h * w
    rest = k - c * hw
    if every_number():
        st.markdown(
            text.FLAT_FORWARD.format(c=c, r=r, col=col, h=h, w=w, hw=hw, k=k, name=before.name)
        )
        st.markdown(text.FLAT_BACKWARD.format(k=k, hw=hw, c=c, rest=rest, w=w, r=r, col=col))
    else:
        st.caption(text.SIMPLE_FLAT)
    value_map = float(before.numpy_out[c, r, col])
    value_vec = float(stage.numpy_out[k])
    st.markdown(
        text.FLAT_VALUE.format(
            before=before.name, c=c, r=r, col=col, v1=num(value_map), k=k, v2=num(value_vec)
        )
    )


def _flat_maps(before: TraceStage, c: int, r: int, col: int) -> Any:
    """The maps before flatten, the chosen cell outlined; returns the click on them."""
    maps = shown_maps(before.torch_out)
    names = tuple(text.MAP_NAME.format(stage=before.name, channel=j) for j in range(len(maps)))
    titles = tuple(text.CHANNEL.format(c=j) for j in range(len(maps)))
    ranges = tuple(map_ranges(before.torch_out, "local", (0.0, 1.0))[: len(maps)])
    st.markdown(text.FLAT_MAPS_HEADER.format(name=before.name))
    event = chart(
        _flat_maps_figure(maps, names, titles, ranges, c, r, col),
        key="fwd_flat_maps_click",
        clickable=True,
    )
    if c >= MAX_MAPS:
        st.caption(text.SHOWING_MAPS.format(shown=len(maps), total=before.shape[0]))
    return event


def _input_names(before: TraceStage, result: Trace, order: np.ndarray) -> list[str]:
    """Where each listed input of a dense layer comes from."""
    if before.kind == "flatten":
        source = result.stages[result.names.index(before.name) - 1]
        names = []
        for k in order:
            c, r, col = ops.unflat_index(int(k), source.shape)
            names.append(text.FROM_CELL.format(k=int(k), stage=source.name, c=c, r=r, col=col))
        return names
    return [text.FROM_NEURON.format(k=int(k), stage=before.name) for k in order]


def show_dense(
    stage: TraceStage,
    before: TraceStage,
    after: TraceStage,
    result: Trace,
    data: Dataset,
    spec: CNNSpec,
) -> None:
    """One neuron of a dense layer (or one class score of the logits), term by term."""
    name = stage.name
    weight, bias = stage.params["weight"], stage.params["bias"]  # (M, D), (M,)
    n_out, n_in = weight.shape
    labels, chooser, what = _neuron_names(stage, data)
    # The most active neuron; for class scores, the network's answer.
    (m0,) = ops.strongest_index(stage.torch_out)
    with st.columns(3)[0]:
        m = position_input(chooser, f"fwd_dense_m_{name}", n_out, m0, text.NEURON_HELP)
    terms = ops.dense_terms(before.numpy_out, weight, bias, m)
    top = terms.order[:TOP_TERMS]
    sources = _input_names(before, result, top)

    st.markdown(text.DENSE_OUTPUTS_HEADER.format(name=name, n=n_out))
    event = vector_with_label(
        stage.torch_out,
        result,
        data,
        name=name,
        key=f"fwd_dense_click_{name}",
        highlight=m,
        labels=labels,
        clickable=True,
    )
    point = clicked_point(event, f"fwd_dense_click_{name}")
    if point is not None and point.get("point_index") is not None:
        go_to({f"fwd_dense_m_{name}": int(point["point_index"])})

    neuron = what.format(m=m, label=labels[m] if labels else "")
    if every_number():
        st.markdown(text.DENSE_TERMS_HEADER.format(top=len(top), n_in=n_in, neuron=neuron))
        _terms_table(terms, top, sources)
    else:
        st.caption(text.SIMPLE_DENSE)
    words, bars = st.columns([3, 2])
    with words:
        _sum_words(terms, m, len(top), neuron, stage, after, spec)
    with bars:
        st.plotly_chart(
            _contributions_figure(terms.products[top], tuple(sources)),
            key="fwd_dense_contributions",
        )


def _neuron_names(stage: TraceStage, data: Dataset) -> tuple[tuple[str, ...] | None, str, str]:
    """(the outputs' labels, the chooser's label, what one output is called) for a stage:
    class scores, a sigmoid head's one score, or the neurons of a hidden layer."""
    if stage.kind == "logits" and stage.shape[0] == data.num_classes:
        return named.class_names(data), text.CLASS_SCORE, text.WHAT_CLASS
    if stage.kind == "logits":
        labels = (text.SIGMOID_LOGIT_NAME.format(second=named.class_names(data)[1]),)
        return labels, text.NEURON, text.WHAT_SIGMOID
    return None, text.NEURON, text.WHAT_NEURON


def _terms_table(terms: ops.DenseTerms, top: np.ndarray, sources: list[str]) -> None:
    """The largest terms of the sum, one a row, with the sum so far."""
    columns = text.TERM_COLUMNS
    st.dataframe(
        {
            columns[0]: sources,
            columns[1]: [float(v) for v in terms.inputs[top]],
            columns[2]: [float(v) for v in terms.weights[top]],
            columns[3]: [float(v) for v in terms.products[top]],
            columns[4]: [float(v) for v in terms.running_sum[: len(top)]],
        },
        hide_index=True,
        width="stretch",
        height=36 * (len(top) + 1) + 3,
        column_config={name: NUMBER for name in columns[1:]},
        key="fwd_dense_table",
    )


def _sum_words(
    terms: ops.DenseTerms,
    m: int,
    shown: int,
    neuron: str,
    stage: TraceStage,
    after: TraceStage,
    spec: CNNSpec,
) -> None:
    """Neuron m's sum (its `shown` largest terms, then the rest), the bias, PyTorch's value,
    and what comes next."""
    n_in = len(terms.products)
    top_sum = float(terms.running_sum[shown - 1])
    if every_number():
        st.markdown(
            text.DENSE_SUM.format(
                n_in=n_in,
                total=num(terms.total),
                top=shown,
                top_sum=num(top_sum),
                rest_n=n_in - shown,
                rest=num(terms.total - top_sum),
            )
        )
    st.markdown(
        text.DENSE_RESULT.format(
            total=num(terms.total),
            bias=num(terms.bias),
            result=num(terms.result),
            neuron=neuron,
            name=stage.name,
        )
    )
    if every_number():
        torch_agrees(float(stage.torch_out[m]), terms.result)
    if after.kind == "activation":
        st.markdown(
            text.DENSE_ACTIVATED.format(
                kind=stages.ACTIVATION_NAMES[after.hparams["activation"]],
                result=num(terms.result),
                value=num(float(after.numpy_out[m])),
                name=after.name,
            )
        )
    elif stage.kind == "logits":
        st.markdown(text.LOGITS_NEXT[spec.head])


@figure_cache
def _contributions_figure(products: np.ndarray, names: tuple[str, ...]) -> go.Figure:
    return fwdfig.contributions(products, np.arange(len(products)), names=names)
