"""One kernel weight of one step, number by number, and every kernel before and after it.

The weight's gradient is written out as the sum it is (input value times arriving gradient, over
every position the kernel visited), from `backprop.kernel_weight_gradient_terms`; then the
optimizer's arithmetic for that weight, from the step's `opt_terms`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cnnexplain.core import ops
from cnnexplain.core.optim import AdamStepTerms, SGDStepTerms
from cnnexplain.figures import backprop as bpfig
from cnnexplain.model.backprop import KernelWeightGradient, StepRecord, kernel_weight_gradient_terms
from cnnexplain.texts import backprop as text
from cnnexplain.ui.backprop.formulas import adam_tex, momentum_tex, sgd_tex, terms_sum_tex
from cnnexplain.ui.backprop.views import LastStep, clamped, number
from cnnexplain.ui.kit.detail import at_level
from cnnexplain.ui.kit.numbers import arrow
from cnnexplain.ui.kit.widgets import kept, recall_choice

TOP_TERMS = 8  # terms of a kernel weight's gradient listed one by one
SUM_TERMS = 3  # terms written into the sum itself
KERNELS_KEY = "bp_kernels_layer"  # the convolution whose kernels are drawn


def _pick_largest(layer: str, index: tuple[int, int, int, int]) -> None:
    for part, value in zip("fcrs", index, strict=True):
        st.session_state[f"bp_w_{layer}_{part}"] = int(value)


def _weight_picker(record: StepRecord) -> tuple[str, tuple[int, int, int, int]]:
    """The layer and (f, c, row, col) of one kernel weight."""
    layers = [s.name for s in record.stage_grads if s.kind == "conv"]
    layer = st.selectbox(text.WEIGHT_LAYER, layers, key="bp_w_layer")
    shape = record.grads[f"{layer}.weight"].shape  # (F, C, KH, KW)
    largest = ops.strongest_index(np.abs(record.grads[f"{layer}.weight"]))
    labels = (text.WEIGHT_FILTER, text.WEIGHT_CHANNEL, text.WEIGHT_ROW, text.WEIGHT_COL)
    defaults = (0, 0, shape[2] // 2, shape[3] // 2)
    index = []
    for column, part, label, size, default in zip(
        st.columns(4), "fcrs", labels, shape, defaults, strict=True
    ):
        key = f"bp_w_{layer}_{part}"
        clamped(key, 0, size - 1, default)
        with column:
            index.append(int(st.number_input(label, 0, size - 1, key=key)))
    st.button(
        text.WEIGHT_LARGEST,
        key="bp_w_largest",
        on_click=_pick_largest,
        args=(layer, largest),
    )
    return layer, tuple(index)


def _terms_table(terms: KernelWeightGradient, height: int, width: int) -> pd.DataFrame:
    """The TOP_TERMS largest terms, one row each, numbers as text with 6 significant digits.

    The picture column is left out when the step learned from one picture.
    """
    columns = text.TERMS_COLUMNS
    rows = []
    for k in terms.order[:TOP_TERMS]:
        n, i, j = np.unravel_index(k, terms.products.shape)
        row, col = int(terms.input_rows[i]), int(terms.input_cols[j])
        inside = 0 <= row < height and 0 <= col < width
        rows.append(
            {
                columns["n"]: int(n),
                columns["i"]: int(i),
                columns["j"]: int(j),
                columns["row"]: str(row) if inside else text.PADDING,
                columns["col"]: str(col) if inside else text.PADDING,
                columns["input"]: number(float(terms.inputs[n, i, j])),
                columns["upstream"]: number(float(terms.upstream[n, i, j])),
                columns["product"]: number(float(terms.products[n, i, j])),
            }
        )
    table = pd.DataFrame(rows)
    return table.drop(columns=columns["n"]) if terms.products.shape[0] == 1 else table


def _update_arithmetic(last: LastStep, name: str, index: tuple[int, ...]) -> None:
    terms = last.record.opt_terms[name]
    w, g, new = (float(a[index]) for a in (terms.param, terms.grad, terms.new_param))
    if isinstance(terms, AdamStepTerms):
        previous = None if last.state_in is None else last.state_in[name]
        st.caption(text.ADAM_WORDS.format(t=terms.step, eps=terms.eps))
        st.latex(
            adam_tex(
                w=w,
                g=g,
                new=new,
                lr=terms.lr,
                beta1=terms.beta1,
                beta2=terms.beta2,
                eps=terms.eps,
                t=terms.step,
                m_prev=0.0 if previous is None else float(previous.m[index]),
                v_prev=0.0 if previous is None else float(previous.v[index]),
                m=float(terms.m[index]),
                v=float(terms.v[index]),
                m_hat=float(terms.m_hat[index]),
                v_hat=float(terms.v_hat[index]),
                update=float(terms.update[index]),
            )
        )
        st.caption(text.ADAM_NOTE_FIRST if terms.step == 1 else text.ADAM_NOTE)
    elif isinstance(terms, SGDStepTerms) and terms.momentum_buffer is not None:
        previous = None if last.state_in is None else last.state_in[name].momentum_buffer
        b_prev = None if previous is None else float(previous[index])
        b = float(terms.momentum_buffer[index])
        st.latex(momentum_tex(w, terms.lr, g, b, new, terms.momentum, b_prev))
        if b_prev is None:
            st.caption(text.MOMENTUM_FIRST)
    else:
        st.latex(sgd_tex(w, terms.lr, g, new))
    before_col, after_col = st.columns(2)
    before_col.metric(text.WEIGHT_BEFORE, number(w))
    # Neither direction is better for one weight: the change in grey, not green or red.
    after_col.metric(
        text.WEIGHT_AFTER,
        number(new),
        delta=number(new - w),
        delta_color="off",
        delta_arrow=arrow(new - w),
    )


def show_kernel_weight(last: LastStep, n: int) -> None:
    """One kernel weight's gradient as a sum of products, then its update."""
    record = last.record
    st.write(text.WEIGHT_INTRO)
    layer, (f, c, r, s) = _weight_picker(record)
    terms = kernel_weight_gradient_terms(record, layer, f, c, r, s)
    height, width = record.stage(layer).x.shape[2:]
    st.latex(text.WEIGHT_SUM_TEX)

    maps = (
        (terms.inputs[n], text.WEIGHT_INPUTS_TITLE, "inputs"),
        (terms.upstream[n], text.WEIGHT_UPSTREAM_TITLE, "upstream"),
        (terms.products[n], text.WEIGHT_PRODUCTS_TITLE, "products"),
    )
    for column, (values, title, key) in zip(st.columns(3), maps, strict=True):
        with column:
            st.plotly_chart(
                bpfig.map_grid(values[None], title=title, labels=text.HOVER_POSITION),
                key=f"bp_w_{key}",
            )
    st.caption(text.WEIGHT_MAPS_CAPTION.format(n=n))

    count = terms.products.size
    listed = min(TOP_TERMS, count)
    st.markdown(text.TERMS_TOP.format(k=listed, count=count))
    st.dataframe(_terms_table(terms, height, width), hide_index=True)
    shown = [
        (float(terms.inputs.ravel()[k]), float(terms.upstream.ravel()[k]))
        for k in terms.order[:SUM_TERMS]
    ]
    st.latex(terms_sum_tex(shown, terms.total))
    top = float(terms.running_sum[listed - 1])
    st.caption(
        text.TERMS_REST.format(
            k=listed,
            top=number(top),
            rest=count - listed,
            others=number(terms.total - top),
            zero=terms.zero_terms,
            torch=number(float(record.torch_grads[f"{layer}.weight"][f, c, r, s])),
        )
    )
    st.markdown(f"#### {text.UPDATE_HEADER}")
    _update_arithmetic(last, f"{layer}.weight", (f, c, r, s))


# --- every kernel


def show_kernels(record: StepRecord) -> None:
    """Every kernel of one convolution before and after the step, and the change; the largest
    change of any kernel weight, over every convolution.

    One convolution at a time, chosen by the learner (the first at first): every convolution's
    three panels at once made the largest chart a Step drew, most of it out of sight.
    """
    st.write(text.KERNELS_INTRO)
    convs = [stage for stage in record.stage_grads if stage.kind == "conv"]
    names = [stage.name for stage in convs]
    chosen = names[0]
    if len(names) > 1:
        recall_choice(KERNELS_KEY, names, names[0])  # the network may have changed under it
        chosen = kept(KERNELS_KEY, names[0], st.radio, text.KERNELS_PICK, names, horizontal=True)
    stage = convs[names.index(chosen)]
    name = f"{stage.name}.weight"
    before, after = record.params_before[name], record.params_after[name]
    filters, channels, kh, kw = before.shape
    layer = text.KERNELS_LAYER.format(
        name=stage.name, filters=filters, channels=channels, kh=kh, kw=kw
    )
    st.markdown(f"**{layer}**")
    change = bpfig.kernel_change(before, after, titles=text.KERNEL_PANELS, labels=text.HOVER_KERNEL)
    st.plotly_chart(at_level(change), key=f"bp_{stage.name}_kernels")
    largest = max(
        float(np.max(np.abs(record.params_after[n] - record.params_before[n])))
        for n in (f"{s.name}.weight" for s in convs)
    )
    st.caption(text.LARGEST_CHANGE.format(change=number(largest)))
