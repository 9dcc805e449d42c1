"""The end of the network: scores turned into probabilities, and the loss for the label."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from cnnexplain.core import ops
from cnnexplain.io.datasets import Dataset
from cnnexplain.model.spec import CNNSpec
from cnnexplain.model.trace import Trace
from cnnexplain.texts import forward as text
from cnnexplain.ui.forward.dense import vector_with_label
from cnnexplain.ui.forward.stage import num, torch_agrees
from cnnexplain.ui.kit import datasets as named
from cnnexplain.ui.kit.detail import every_number


def _logits_numpy(result: Trace) -> np.ndarray:
    return result.stage("logits").numpy_out


def _probs_vector(result: Trace, data: Dataset, key: str, highlight: int) -> None:
    """The probabilities as bars, one class highlighted, the label's code beside them."""
    vector_with_label(
        result.probs,
        result,
        data,
        name="probs",
        key=key,
        highlight=highlight,
        labels=named.class_names(data),
    )


def show_probs(result: Trace, data: Dataset, spec: CNNSpec) -> None:
    """The answer and its probabilities; with every number, softmax written out with its
    exponentials, or the sigmoid of the one score."""
    names = named.class_names(data)
    if spec.head == "sigmoid":
        if every_number():
            _sigmoid_arithmetic(result, names)
        else:
            st.caption(text.SIMPLE_SIGMOID)
    elif every_number():
        _softmax_arithmetic(result, names)
    else:
        st.caption(text.SIMPLE_SOFTMAX)
    st.markdown(
        text.PREDICTED.format(
            label=names[result.predicted], p=float(result.probs[result.predicted])
        )
    )
    _probs_vector(result, data, "fwd_probs_vector", result.predicted)


def _sigmoid_arithmetic(result: Trace, names: tuple[str, ...]) -> None:
    z = float(_logits_numpy(result)[0])
    p = float(ops.sigmoid(np.array([z]))[0])
    st.markdown(
        text.SIGMOID_FORMULA.format(
            z=num(z), minus_z=num(-z), e=num(math.exp(-z)), p=num(p), second=names[1]
        )
    )
    st.markdown(text.SIGMOID_OTHER.format(first=names[0], q=num(1 - p), p=num(p)))
    torch_agrees(float(result.stage("probs").torch_out[0]), p)


def _softmax_arithmetic(result: Trace, names: tuple[str, ...]) -> None:
    terms = ops.softmax_terms(_logits_numpy(result))
    top = int(np.argmax(terms.logits))
    st.markdown(text.SOFTMAX_SHIFT.format(m=num(float(terms.logits[top])), top=names[top]))
    columns = text.SOFTMAX_COLUMNS
    st.dataframe(
        {
            columns[0]: list(names),
            columns[1]: [float(v) for v in terms.logits],
            columns[2]: [float(v) for v in terms.shifted],
            columns[3]: [float(v) for v in terms.exps],
            columns[4]: [float(v) for v in terms.probs],
        },
        hide_index=True,
        width="stretch",
        column_config={
            columns[1]: st.column_config.NumberColumn(format="%.4f"),
            columns[2]: st.column_config.NumberColumn(format="%.4f"),
            columns[3]: st.column_config.NumberColumn(format="%.4g"),
            columns[4]: st.column_config.NumberColumn(format="%.4g"),
        },
        key="fwd_softmax_table",
    )
    k = result.predicted
    st.markdown(
        text.SOFTMAX_SUM.format(
            terms=" + ".join(num(float(v), ".4g") for v in terms.exps),
            total=num(terms.sum_exps, ".6g"),
        )
    )
    st.markdown(
        text.SOFTMAX_ONE.format(
            label=names[k],
            shifted=num(float(terms.shifted[k])),
            e=num(float(terms.exps[k])),
            total=num(terms.sum_exps),
            p=num(float(terms.probs[k])),
        )
    )
    diff = float(np.max(np.abs(terms.probs - result.stage("probs").torch_out)))
    st.caption(text.SOFTMAX_AGREES.format(diff=diff))


def show_loss(result: Trace, data: Dataset) -> None:
    """The loss for the chosen label, its formula filled in, checked against PyTorch.

    Without a label there is nothing to measure yet: say so, and show the answer it will meet.
    """
    names = named.class_names(data)
    label = result.label
    if label is None:
        st.info(
            text.LOSS_WAITS.format(
                predicted=names[result.predicted], p=float(result.probs[result.predicted])
            )
        )
        _probs_vector(result, data, "fwd_loss_vector", result.predicted)
        return
    if every_number():
        _loss_arithmetic(result, names)
    else:
        st.caption(text.SIMPLE_LOSS)
    p_true = num(float(result.probs[label]))
    if result.predicted == label:
        st.success(text.LOSS_RIGHT.format(label=names[label], p=p_true, loss=num(result.loss)))
    else:
        st.warning(
            text.LOSS_WRONG.format(
                predicted=names[result.predicted],
                label=names[label],
                p=p_true,
                loss=num(result.loss),
            )
        )
    st.caption(text.LOSS_SCALE.format(k=len(names), chance=num(math.log(len(names)))))
    _probs_vector(result, data, "fwd_loss_vector", label)
    st.caption(text.LOSS_NEXT)


def _loss_arithmetic(result: Trace, names: tuple[str, ...]) -> None:
    """The loss formula, filled in with this picture's numbers, checked against PyTorch."""
    label = result.label
    if result.stage("probs").hparams["head"] == "sigmoid":
        z = float(_logits_numpy(result)[0])
        p = float(ops.sigmoid(np.array([z]))[0])
        st.markdown(text.BCE_FORMULA)
        st.markdown(
            text.BCE_FILLED.format(
                y=label,
                ny=1 - label,
                p=num(p),
                q=num(1 - p),
                loss=num(result.loss_numpy),
            )
        )
    else:
        p = float(result.probs[label])
        st.markdown(text.CE_FORMULA)
        st.markdown(
            text.CE_FILLED.format(label=names[label], p=num(p), loss=num(result.loss_numpy))
        )
    st.markdown(
        text.LOSS_CHECK.format(
            torch=num(result.loss),
            numpy=num(result.loss_numpy),
            diff=abs(result.loss - result.loss_numpy),
        )
    )
