"""The gradient of one step, stage by stage, from the loss back to the first convolution.

One bordered box per stage of the model, in reverse order, each drawn from the step's record:
the gradient arriving at the stage, what the stage does to it (its local slopes, the pooling's
routing, a reshape), the gradient it passes back, and for dense and convolution stages the
gradients of their weights and biases. The stages come from the record, so any architecture the
sidebar builds is drawn.

The learner walks the stages with a stepper, one box at a time: every box at once sent about
two megabytes of charts to the browser after each Step, most of them scrolled out of sight.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cnnexplain.core import ops
from cnnexplain.figures import backprop as bpfig
from cnnexplain.figures import theme
from cnnexplain.figures.maps import symmetric_range
from cnnexplain.model.backprop import StepRecord, local_gradient
from cnnexplain.model.engine import StageGrad
from cnnexplain.texts import backprop as text
from cnnexplain.texts import stages
from cnnexplain.ui.backprop.formulas import input_gradient_tex, sigmoid_tex, softmax_true_tex
from cnnexplain.ui.backprop.views import clamped, number
from cnnexplain.ui.kit.detail import at_level, every_number
from cnnexplain.ui.kit.widgets import recall_choice, remember

STAGE_KEY = "bp_stage"  # the box shown: LOSS_BOX or a stage's name
LOSS_BOX = "loss"  # the first box, from the loss to the logits (no stage is called that)
HALF_PX = 460  # half of the page's width, for a map grid drawn in one of two columns
DX_TERMS = 8  # terms of one input number's gradient listed in its table
DX_SUM_TERMS = 3  # terms written into its sum


def example_picker(record: StepRecord, class_names: tuple[str, ...]) -> int:
    """Which picture of the batch the maps show."""
    count = len(record.labels)
    if count == 1:
        return 0
    clamped("bp_example", 0, count - 1, 0)
    n = int(st.number_input(text.EXAMPLE, 0, count - 1, key="bp_example", help=text.EXAMPLE_HELP))
    st.caption(text.EXAMPLE_LABEL.format(n=n, label=class_names[record.labels[n]]))
    return n


def _chart(fig: go.Figure, key: str) -> None:
    st.plotly_chart(at_level(fig), key=key)


def _gradient_bars(values: np.ndarray, title: str, key: str) -> None:
    """A vector of gradients (D,) as bars."""
    _chart(bpfig.bars(values, title=title, value_name=text.HOVER_GRADIENT), key)


def _vector_or_maps(
    values: np.ndarray, title: str, key: str, zrange: tuple[float, float] | None = None
) -> None:
    """One picture's gradient: maps (C, H, W) as tiles, a vector as bars."""
    if values.ndim == 3:
        _chart(bpfig.map_grid(values, zrange=zrange, title=title, labels=text.HOVER_MAP), key)
    else:
        _gradient_bars(values, title, key)


def _local_chart(local: np.ndarray, title: str, key: str) -> None:
    """An activation's slopes or a pooling's shares: never negative, on the maps' scale."""
    top = float(np.max(local, initial=0.0)) or 1.0
    if local.ndim == 3:
        _chart(
            bpfig.map_grid(
                local,
                zrange=(0.0, top),
                colorscale=theme.SCALES["maps"],
                title=title,
                labels=text.HOVER_MAP,
            ),
            key,
        )
    else:
        _gradient_bars(local, title, key)


def _loss_to_logits(record: StepRecord, n: int, class_names: tuple[str, ...], head: str) -> None:
    N = len(record.labels)
    label = int(record.labels[n])
    with st.container(border=True):
        st.markdown(f"#### {text.LOSS_STAGE}")
        if head == "sigmoid":
            st.write(text.SIGMOID_GRADIENT)
            p = float(record.probs[n, 1])
            if every_number():
                st.latex(sigmoid_tex(p, label, N, float(record.dlogits[n, 0])))
            return
        st.write(text.SOFTMAX_GRADIENT)
        if every_number():
            st.latex(text.SOFTMAX_TEX)
            st.latex(
                softmax_true_tex(
                    label,
                    class_names[label],
                    float(record.probs[n, label]),
                    N,
                    float(record.dlogits[n, label]),
                )
            )
        onehot = np.zeros(record.probs.shape[1])
        onehot[label] = 1.0
        left, right = st.columns(2)
        with left:
            series = dict(zip(text.PROBS_SERIES, (record.probs[n], onehot), strict=True))
            _chart(
                bpfig.grouped_bars(series, labels=class_names, title=text.PROBS_TITLE),
                "bp_probs",
            )
        with right:
            _chart(
                bpfig.bars(
                    record.dlogits[n],
                    labels=class_names,
                    title=_titled(text.LOGIT_GRADIENT_TITLE, "logits"),
                    value_name=text.HOVER_GRADIENT,
                ),
                "bp_dlogits",
            )


def _titled(title: str, symbol: str) -> str:
    """A chart's title; with every number, followed by its symbol (∂L/∂W, ...)."""
    if every_number():
        return text.TITLE_SYMBOL.format(title=title, symbol=text.SYMBOLS[symbol])
    return title


def _stage_title(stage: StageGrad) -> str:
    what = text.STAGE_WHAT[stage.kind].format(
        activation=stages.ACTIVATION_NAMES.get(stage.hparams.get("activation"), ""),
        pool=stages.POOL_NAMES.get(stage.hparams.get("pool"), ""),
        size=stage.hparams.get("size", ""),
    )
    return text.STAGE_TITLE.format(name=stage.name, what=what)


def _dense_stage(stage: StageGrad, n: int) -> None:
    st.write(text.DENSE_EXPLAIN)
    if every_number():
        st.latex(text.DENSE_TEX)
    arriving, weights, bias = st.columns([1, 2, 1])
    with arriving:
        _vector_or_maps(
            stage.dout[n], _titled(text.ARRIVING_TITLE, "arriving"), f"bp_{stage.name}_dout"
        )
    with weights:
        rows, cols = stage.dw.shape
        _chart(
            bpfig.matrix(
                stage.dw,
                title=_titled(
                    text.DENSE_W_TITLE.format(name=stage.name, rows=rows, cols=cols), "dense_w"
                ),
                labels=text.HOVER_MATRIX,
            ),
            f"bp_{stage.name}_dw",
        )
    with bias:
        _gradient_bars(
            stage.db,
            _titled(text.DENSE_B_TITLE.format(name=stage.name), "bias"),
            f"bp_{stage.name}_db",
        )


def _through_stage(stage: StageGrad, n: int, local_title: str) -> None:
    """Arriving gradient, the stage's local slopes or shares, and the gradient passed back."""
    local = local_gradient(stage)[n]
    zrange = symmetric_range(stage.dout[n], stage.dx[n])
    arriving, middle, leaving = st.columns(3)
    with arriving:
        _vector_or_maps(
            stage.dout[n], _titled(text.ARRIVING_TITLE, "arriving"), f"bp_{stage.name}_dout", zrange
        )
    with middle:
        _local_chart(local, local_title, f"bp_{stage.name}_local")
    with leaving:
        _vector_or_maps(
            stage.dx[n], _titled(text.LEAVING_TITLE, "leaving"), f"bp_{stage.name}_dx", zrange
        )


def _activation_stage(stage: StageGrad, n: int) -> None:
    activation = stage.hparams["activation"]
    st.write(text.ACTIVATION_EXPLAIN[activation])
    title = text.LOCAL_ACTIVATION_TITLE.format(activation=stages.ACTIVATION_NAMES[activation])
    _through_stage(stage, n, title)


def _pool_stage(stage: StageGrad, n: int) -> None:
    area = stage.hparams["size"] ** 2
    st.write(text.POOL_EXPLAIN[stage.hparams["pool"]].format(area=area))
    _through_stage(stage, n, text.LOCAL_POOL_TITLE)


def _flatten_stage(stage: StageGrad, n: int) -> None:
    st.write(text.FLATTEN_EXPLAIN)
    channels, rows, cols = stage.dx.shape[1:]
    flat, maps = st.columns(2)
    with flat:
        _gradient_bars(
            stage.dout[n],
            text.FLATTEN_VECTOR_TITLE.format(size=stage.dout.shape[1]),
            f"bp_{stage.name}_dout",
        )
    with maps:
        _chart(
            bpfig.map_grid(
                stage.dx[n],
                title=text.FLATTEN_MAPS_TITLE.format(channels=channels, rows=rows, cols=cols),
                labels=text.HOVER_MAP,
                width=HALF_PX,
            ),
            f"bp_{stage.name}_dx",
        )


def _conv_stage(stage: StageGrad, n: int, first: bool) -> None:
    st.write(text.CONV_EXPLAIN)
    filters, channels, kh, kw = stage.dw.shape
    arriving, bias, picture = st.columns(3)
    with arriving:
        _vector_or_maps(
            stage.dout[n], _titled(text.ARRIVING_TITLE, "arriving"), f"bp_{stage.name}_dout"
        )
    with bias:
        _gradient_bars(
            stage.db,
            _titled(text.CONV_B_TITLE.format(name=stage.name), "bias"),
            f"bp_{stage.name}_db",
        )
    if first:
        with picture:
            _vector_or_maps(stage.dx[n], text.INPUT_GRADIENT_TITLE, f"bp_{stage.name}_dx")
            st.caption(text.INPUT_GRADIENT)
    title = _titled(
        text.CONV_W_TITLE.format(name=stage.name, filters=filters, channels=channels, kh=kh, kw=kw),
        "kernels",
    )
    _chart(
        bpfig.kernel_grid(stage.dw, title=title, labels=text.HOVER_KERNEL),
        f"bp_{stage.name}_dw",
    )
    if every_number():
        _conv_input_gradient(stage, n)


def _pick(keys: tuple[str, ...], values: tuple[int, ...]) -> None:
    for key, value in zip(keys, values, strict=True):
        st.session_state[key] = int(value)


def _input_cell(stage: StageGrad, n: int) -> tuple[int, int, int]:
    """The (channel, row, column) of one input number of a convolution, at first the one with
    the largest gradient."""
    shape = stage.dx.shape[1:]  # (C, H, W)
    largest = ops.strongest_index(np.abs(stage.dx[n]))
    keys = tuple(f"bp_dx_{stage.name}_{part}" for part in "crs")
    labels = (text.CONV_DX_CHANNEL, text.CONV_DX_ROW, text.CONV_DX_COL)
    cell = []
    for column, key, label, size, start in zip(
        st.columns(3), keys, labels, shape, largest, strict=True
    ):
        clamped(key, 0, size - 1, start)
        with column:
            cell.append(int(st.number_input(label, 0, size - 1, key=key)))
    st.button(
        text.CONV_DX_LARGEST,
        key=f"bp_dx_{stage.name}_largest",
        on_click=_pick,
        args=(keys, largest),
    )
    c, r, s = cell
    return c, r, s


def _dx_terms_table(terms: ops.InputGradientTerms, order: np.ndarray) -> pd.DataFrame:
    """The largest terms, one row each: which kernel and tap, at which output, and the numbers."""
    columns = text.CONV_DX_COLUMNS
    rows = []
    for k in order[:DX_TERMS]:
        f, ki, kj = np.unravel_index(k, terms.products.shape)
        rows.append(
            {
                columns["f"]: int(f),
                columns["row"]: int(ki),
                columns["col"]: int(kj),
                columns["i"]: int(terms.rows[ki]),
                columns["j"]: int(terms.cols[kj]),
                columns["weight"]: number(float(terms.weights[f, ki, kj])),
                columns["upstream"]: number(float(terms.upstream[f, ki, kj])),
                columns["product"]: number(float(terms.products[f, ki, kj])),
            }
        )
    return pd.DataFrame(rows)


def _conv_input_gradient(stage: StageGrad, n: int) -> None:
    """The gradient a convolution passes to one input number, term by term: a full convolution
    of the arriving gradient with the flipped kernels, drawn for one kernel and summed over all."""
    st.markdown(text.CONV_DX_HEADER.format(name=stage.name))
    st.write(text.CONV_DX_EXPLAIN)
    st.write(text.CONV_DX_FULL)
    if stage.hparams["stride"] > 1:
        st.caption(text.CONV_DX_STRIDE.format(stride=stage.hparams["stride"]))
    st.latex(text.CONV_DX_TEX)
    cell = _input_cell(stage, n)
    terms = ops.conv2d_input_gradient_terms(stage.dout, stage.cache, n, *cell)
    if not terms.used.any():
        st.latex(input_gradient_tex(cell, [], 0.0, more=False))
        st.caption(text.CONV_DX_UNREAD)
        return
    filters = terms.products.shape[0]
    key = f"bp_dx_{stage.name}_f"
    clamped(key, 0, filters - 1, int(np.argmax(np.abs(terms.kernel_sums))))
    f = int(st.number_input(text.CONV_DX_KERNEL, 0, filters - 1, key=key))
    drawn = (
        (terms.upstream[f], text.CONV_DX_ARRIVING_TITLE.format(f=f), "upstream"),
        (terms.weights[f], text.CONV_DX_WEIGHTS_TITLE.format(f=f, c=cell[0]), "weights"),
        (terms.products[f], text.CONV_DX_PRODUCTS_TITLE, "products"),
    )
    for column, (values, title, part) in zip(st.columns(3), drawn, strict=True):
        with column:
            flipped = values[None, ::-1, ::-1]  # (1, KH, KW), as the full convolution lays it
            _chart(
                bpfig.map_grid(flipped, title=title, labels=text.HOVER_FLIPPED),
                f"bp_dx_{stage.name}_{part}",
            )
    part = float(terms.kernel_sums[f])
    st.caption(text.CONV_DX_MAPS_CAPTION.format(f=f, part=number(part)))
    order = terms.order
    st.markdown(text.CONV_DX_TOP.format(k=min(DX_TERMS, len(order)), count=len(order)))
    st.dataframe(_dx_terms_table(terms, order), hide_index=True)
    shown = [
        (float(terms.weights.ravel()[k]), float(terms.upstream.ravel()[k]))
        for k in order[:DX_SUM_TERMS]
    ]
    st.latex(input_gradient_tex(cell, shown, terms.total, more=len(order) > DX_SUM_TERMS))
    dx = float(stage.dx[(n, *cell)])
    st.caption(
        text.CONV_DX_CHECK.format(count=len(order), total=number(terms.total), dx=number(dx))
    )


def _agreeing_digits(relative_error: float) -> int:
    """Significant digits two results share, from their relative error (float64 holds ~16)."""
    if not math.isfinite(relative_error):
        return 0
    if relative_error == 0:
        return 16
    return max(0, min(16, math.floor(-math.log10(relative_error))))


def _move(delta: int, names: list[str]) -> None:
    at = names.index(st.session_state[STAGE_KEY]) if st.session_state[STAGE_KEY] in names else 0
    st.session_state[STAGE_KEY] = names[min(max(at + delta, 0), len(names) - 1)]


def stage_picker(record: StepRecord) -> str:
    """Previous / the list of boxes, from the loss back to the first convolution / Next;
    returns the box chosen (LOSS_BOX or a stage's name), kept across steps and pages."""
    stages = list(reversed(record.stage_grads))
    names = [LOSS_BOX] + [s.name for s in stages]
    titles = {LOSS_BOX: text.LOSS_STAGE, **{s.name: _stage_title(s) for s in stages}}
    at = names.index(recall_choice(STAGE_KEY, names, LOSS_BOX))
    with st.container(horizontal=True, vertical_alignment="bottom", wrap=False):
        st.button(
            text.STAGE_PREV, key="bp_stage_prev", on_click=_move, args=(-1, names), disabled=at == 0
        )
        chosen = st.selectbox(
            text.STAGE_PICK, names, format_func=titles.get, key=STAGE_KEY, help=text.STAGE_PICK_HELP
        )
        st.button(
            text.STAGE_NEXT,
            key="bp_stage_next",
            on_click=_move,
            args=(1, names),
            disabled=at == len(names) - 1,
        )
    return remember(STAGE_KEY, chosen)


def show_backward(record: StepRecord, n: int, class_names: tuple[str, ...], head: str) -> None:
    """From the loss back to the first convolution: the stepper, then the box it is on."""
    st.write(text.BACKWARD_INTRO)
    if every_number():
        st.caption(
            text.CHECKED.format(
                grad_digits=_agreeing_digits(record.grad_relative_error),
                update_digits=_agreeing_digits(record.update_relative_error),
            )
        )
        st.caption(text.WHY_FLOAT64)
    else:
        st.caption(text.SIMPLE_BACKWARD)
    chosen = stage_picker(record)
    if chosen == LOSS_BOX:
        _loss_to_logits(record, n, class_names, head)
        return
    first_conv = next(s.name for s in record.stage_grads if s.kind == "conv")
    stage = record.stage(chosen)
    with st.container(border=True):
        st.markdown(f"#### {_stage_title(stage)}")
        if stage.kind in ("dense", "logits"):
            _dense_stage(stage, n)
        elif stage.kind == "activation":
            _activation_stage(stage, n)
        elif stage.kind == "pool":
            _pool_stage(stage, n)
        elif stage.kind == "flatten":
            _flatten_stage(stage, n)
        elif stage.kind == "conv":
            _conv_stage(stage, n, first=stage.name == first_conv)
