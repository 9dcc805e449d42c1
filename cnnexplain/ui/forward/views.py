"""The sections of the forward page: the model, the overview, the stepper and each stage.

Each function draws one part of the screen from a `Trace` (or from the shared model), so the
page script reads as a list of sections. The stage views with most to show live in their own
modules: conv_view, pool_view, dense_view (flatten and dense layers) and output_view (softmax or
sigmoid, and the loss).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from cnnexplain.core import ops
from cnnexplain.figures import forward as fwdfig
from cnnexplain.figures import overview as ovfig
from cnnexplain.figures import theme
from cnnexplain.io.datasets import Dataset
from cnnexplain.io.images import to_gray
from cnnexplain.model.saliency import grad_cam, saliency_map
from cnnexplain.model.spec import CNNSpec, stage_shapes
from cnnexplain.model.trace import Trace, TraceStage
from cnnexplain.texts import forward as text
from cnnexplain.texts import stages
from cnnexplain.training.store import TrainedModel
from cnnexplain.ui.forward import conv as conv_view
from cnnexplain.ui.forward import dense as dense_view
from cnnexplain.ui.forward import output as output_view
from cnnexplain.ui.forward import pool as pool_view
from cnnexplain.ui.forward.predict import pool_question
from cnnexplain.ui.forward.stage import (
    SCALES,
    Step,
    apply_pending,
    figure_cache,
    map_ranges,
    maps_grid,
    network_range,
    num,
    stage_before,
    steps_of,
    value_range,
)
from cnnexplain.ui.kit import datasets as named
from cnnexplain.ui.kit import predict, tasks
from cnnexplain.ui.kit.detail import every_number
from cnnexplain.ui.kit.widgets import format_shape

STEP_KEY = "fwd_step"  # index of the step being shown
STEP_NAME_KEY = "fwd_step_name"  # its name, to find the same stage again in a changed network
STAGE_KEY = "fwd_stage"
SCALE_KEY = "fwd_scale"
OVERVIEW_MAPS = 8  # thumbnails per stage in the overview


# --------------------------------------------------------------------------------------------
# The model and the picture's result
# --------------------------------------------------------------------------------------------


def model_status(entry: TrainedModel, data: Dataset) -> None:
    """Say whether the network in use has learned anything yet."""
    if entry.trained:
        st.success(
            text.MODEL_TRAINED.format(
                dataset=named.title(entry.dataset), acc=entry.test_acc, n_test=len(data.x_test)
            )
        )
    else:
        st.warning(text.MODEL_UNTRAINED)


def summary(result: Trace, data: Dataset) -> None:
    """The answer, the label, the loss, and how closely numpy and PyTorch agree.

    Without a label (the learner's own picture, before they say what it shows) there is no
    right or wrong and no loss yet: the answer, and a request for the label.
    """
    names = named.class_names(data)
    predicted, p = names[result.predicted], float(result.probs[result.predicted])
    if result.label is None:
        st.markdown(text.PREDICTION.format(predicted=predicted, p=p))
        st.info(text.ASK_LABEL)
    else:
        verdict = text.RIGHT if result.predicted == result.label else text.WRONG
        st.markdown(
            text.SUMMARY.format(
                predicted=predicted,
                p=p,
                label=names[result.label],
                verdict=verdict,
                loss=result.loss,
            )
        )
    if every_number():
        st.caption(text.REPLAY_AGREES.format(diff=result.max_abs_diff))


# --------------------------------------------------------------------------------------------
# Overview and colour scale
# --------------------------------------------------------------------------------------------


def scale_picker() -> str:
    """How the feature maps share their colours."""
    st.session_state.setdefault(SCALE_KEY, "local")
    return st.radio(
        text.SCALE,
        SCALES,
        format_func=text.SCALE_OPTIONS.get,
        horizontal=True,
        key=SCALE_KEY,
        help=text.SCALE_HELP,
    )


def stage_label(name: str, shape: tuple[int, ...]) -> str:
    return f"{name}<br>{format_shape(shape)}"


@figure_cache
def _overview_figure(
    labels: tuple[str, ...],
    values: tuple[np.ndarray, ...],
    ranges: tuple[tuple[tuple[float, float], ...], ...],
    colorscales: tuple[str, ...],
    notes: tuple[str, ...],
) -> go.Figure:
    columns = [
        ovfig.OverviewColumn(label, v, r, scale, note)
        for label, v, r, scale, note in zip(labels, values, ranges, colorscales, notes, strict=True)
    ]
    rows = max(len(v) if v.ndim == 3 else 1 for v in values)
    return ovfig.overview(columns, max_rows=max(rows, 4))


def overview(result: Trace, scale: str) -> None:
    """Every stage side by side: a column of feature maps, or a strip for a vector."""
    network = network_range(result)
    labels, values, ranges, colorscales, notes = [], [], [], [], []
    for stage in result.stages:
        out = stage.torch_out
        labels.append(stage_label(stage.name, stage.shape))
        if out.ndim == 3:
            maps = out[:OVERVIEW_MAPS]
            if stage.kind == "input":
                # Pixels keep their meaning: 0 is black and 1 is white on every scale.
                ranges.append(((0.0, 1.0),) * len(maps))
            else:
                ranges.append(tuple(map_ranges(out, scale, network)[: len(maps)]))
            values.append(maps)
            colorscales.append(
                theme.SCALES["image"] if stage.kind == "input" else theme.SCALES["maps"]
            )
            shown = len(maps)
            notes.append(
                text.OVERVIEW_SOME.format(shown=shown, total=len(out)) if shown < len(out) else ""
            )
        else:
            values.append(out)
            ranges.append((value_range(out),))
            colorscales.append(theme.SCALES["maps"])
            notes.append("")
    fig = _overview_figure(
        tuple(labels), tuple(values), tuple(ranges), tuple(colorscales), tuple(notes)
    )
    st.plotly_chart(fig, key="fwd_overview")
    st.caption(text.OVERVIEW_CAPTION)


# --------------------------------------------------------------------------------------------
# Walking through the stages
# --------------------------------------------------------------------------------------------


def _step_title(step: Step) -> str:
    kind = text.KIND_NAMES[step.kind]
    if step.kind == "loss":
        return text.STEP_OPTION_LOSS.format(n=step.index + 1, name=step.name, kind=kind)
    return text.STEP_OPTION.format(
        n=step.index + 1, name=step.name, kind=kind, shape=format_shape(step.shape)
    )


def _move(delta: int, names: list[str]) -> None:
    index = min(max(st.session_state.get(STEP_KEY, 0) + delta, 0), len(names) - 1)
    st.session_state[STEP_KEY] = index
    st.session_state[STEP_NAME_KEY] = names[index]


def _chosen(names: list[str]) -> None:
    name = st.session_state[STAGE_KEY]
    st.session_state[STEP_KEY] = names.index(name)
    st.session_state[STEP_NAME_KEY] = name


def current_index(names: list[str]) -> int:
    """The step to show: the same stage as before if the network still has it, else clamped."""
    name = st.session_state.get(STEP_NAME_KEY)
    if name in names:
        return names.index(name)
    return min(max(int(st.session_state.get(STEP_KEY, 0)), 0), len(names) - 1)


def stage_stepper(result: Trace) -> Step:
    """Previous / a list of every stage / Next; returns the step chosen."""
    steps = steps_of(result)
    names = [s.name for s in steps]
    titles = {s.name: _step_title(s) for s in steps}
    index = current_index(names)
    st.session_state[STEP_KEY] = index
    st.session_state[STEP_NAME_KEY] = names[index]
    st.session_state[STAGE_KEY] = names[index]
    # One row in which the buttons take the width of their words and the list the rest: in
    # fixed columns a narrow window cut the buttons' words short.
    with st.container(horizontal=True, vertical_alignment="bottom", wrap=False):
        st.button(
            text.PREV,
            key="fwd_prev",
            on_click=_move,
            args=(-1, names),
            disabled=index == 0,
        )
        st.selectbox(
            text.STAGE,
            names,
            format_func=titles.get,
            key=STAGE_KEY,
            on_change=_chosen,
            args=(names,),
        )
        st.button(
            text.NEXT,
            key="fwd_next",
            on_click=_move,
            args=(1, names),
            disabled=index == len(names) - 1,
            type="primary",
        )
    return steps[index]


@st.fragment
def stage_section(result: Trace, data: Dataset, scale: str, spec: CNNSpec) -> None:
    """The stepper and the stage it is on.

    A fragment: Previous, Next and the controls of a stage rerun this section alone, not the
    overview and the charts around it, which a full run sent and the browser drew again.
    """
    step = stage_stepper(result)
    if pool_question(step, result):
        stage_detail(step, result, data, scale, spec)
    predict.redraw_score()  # the pool question may have been answered in this run
    if step.kind == "flatten" and tasks.tick("forward", "flatten"):
        st.rerun()  # the checklist above the section shows the tick after a full run


def stage_detail(step: Step, result: Trace, data: Dataset, scale: str, spec: CNNSpec) -> None:
    """Everything about one stage: what it does, and its numbers worked out."""
    apply_pending()
    kind = step.kind
    if kind == "probs":
        kind = "probs_sigmoid" if spec.head == "sigmoid" else "probs_softmax"
    # Its own anchor: the browser would work one out from the words at every Next.
    st.subheader(_step_title(step), anchor="fwd-stage-detail")
    st.info(stages.STAGE_KIND[kind])
    if step.kind != "loss":
        params = {info.name: info.params for info in stage_shapes(spec)}.get(step.name, 0)
        st.caption(text.SHAPE_LINE.format(shape=format_shape(step.shape), params=params))
    if step.kind == "loss":
        output_view.show_loss(result, data)
        return
    network = network_range(result)
    stage = result.stages[step.index]
    if step.kind == "input":
        _show_input(stage.torch_out, scale, network)
        return
    before = stage_before(result, step.name)
    if step.kind == "conv":
        after = result.stages[step.index + 1] if step.index + 1 < len(result.stages) else None
        conv_view.show(stage, before, after, scale, network)
    elif step.kind == "activation":
        _show_activation(stage, before, data, result, scale, network)
    elif step.kind == "pool":
        pool_view.show(stage, before, scale, network)
    elif step.kind == "flatten":
        dense_view.show_flatten(stage, before, result, data)
    elif step.kind in ("dense", "logits"):
        after = result.stages[step.index + 1]
        dense_view.show_dense(stage, before, after, result, data, spec)
    elif step.kind == "probs":
        output_view.show_probs(result, data, spec)


def _show_input(x: np.ndarray, scale: str, network: tuple[float, float]) -> None:
    colours = text.CHANNEL_COLOURS.get(len(x), ())
    names = (
        tuple(text.INPUT_CHANNEL.format(colour=c) for c in colours)
        if len(colours) == len(x)
        else None
    )
    st.markdown(text.INPUT_NUMBERS.format(count=x.size, lo=float(x.min()), hi=float(x.max())))
    maps_grid(
        x,
        name="input",
        scale=scale,
        network=network,
        key="fwd_input_maps",
        colorscale=theme.SCALES["image"],
        names=names,
    )


def _show_activation(
    stage: TraceStage,
    before: TraceStage,
    data: Dataset,
    result: Trace,
    scale: str,
    network: tuple[float, float],
) -> None:
    """What the activation did to every number, with the smallest and largest as examples."""
    kind = stage.hparams["activation"]
    x, y = before.numpy_out, stage.numpy_out
    low = np.unravel_index(int(np.argmin(x)), x.shape)
    high = ops.strongest_index(x)

    def where(index: tuple[int, ...]) -> str:
        if x.ndim == 3:
            c, r, col = (int(v) for v in index)
            return text.AT_CELL.format(c=c, r=r, col=col)
        return text.AT_NEURON.format(m=int(index[0]))

    if kind == "relu":
        zeroed = int(np.count_nonzero(x < 0))
        st.markdown(text.RELU_COUNT.format(zeroed=zeroed, total=x.size))
    else:
        st.markdown(text.SQUEEZE[kind])
    st.markdown(
        text.ACT_EXAMPLES.format(
            kind=stages.ACTIVATION_NAMES[kind],
            low=num(float(x[low])),
            low_after=num(float(y[low])),
            low_at=where(low),
            high=num(float(x[high])),
            high_after=num(float(y[high])),
            high_at=where(high),
        )
    )
    if stage.torch_out.ndim == 3:
        maps_grid(
            stage.torch_out, name=stage.name, scale=scale, network=network, key="fwd_act_maps"
        )
    else:
        dense_view.vector_with_label(
            stage.torch_out, result, data, name=stage.name, key="fwd_act_vector"
        )
    curve, words = st.columns([2, 3])
    with curve:
        st.plotly_chart(
            _curve_figure(
                x, y, text.BEFORE.format(name=before.name), text.AFTER.format(name=stage.name)
            ),
            key="fwd_act_curve",
        )
    with words:
        st.caption(text.CURVE_CAPTION)


@figure_cache
def _curve_figure(x: np.ndarray, y: np.ndarray, x_title: str, y_title: str) -> go.Figure:
    return fwdfig.activation_curve(x, y, x_title=x_title, y_title=y_title)


# --------------------------------------------------------------------------------------------
# What the network looked at
# --------------------------------------------------------------------------------------------


@figure_cache
def _looked_at(
    _model, model_key: tuple, x: np.ndarray, titles: tuple[str, str, str]
) -> tuple[go.Figure, int, float, str]:
    sal = saliency_map(_model, x)
    cam = grad_cam(_model, x)
    fig = fwdfig.looked_at(to_gray(x), sal.saliency, cam.upsampled, titles=titles)
    return fig, sal.target, max(sal.max_abs_diff, cam.max_abs_diff), cam.layer


def looked_at(entry: TrainedModel, x: np.ndarray, data: Dataset) -> None:
    """Saliency and Grad-CAM of the predicted class, over the picture."""
    model_key = (entry.spec, entry.dataset, entry.trained, id(entry.model))
    fig, target, diff, layer = _looked_at(
        entry.model, model_key, np.asarray(x, dtype=np.float32), text.LOOKED_TITLES
    )
    st.markdown(text.LOOKED_INTRO.format(label=named.class_names(data)[target]))
    st.plotly_chart(fig, key="fwd_looked_at")
    left, right = st.columns(2)
    left.caption(text.SALIENCY_EXPLAIN)
    right.caption(text.GRADCAM_EXPLAIN.format(layer=layer))
    if every_number():
        st.caption(text.LOOKED_CHECK.format(diff=diff))
