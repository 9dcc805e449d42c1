"""The backpropagation page's controls and the learner's own stepping state.

Each user steps their own copy of the shared model. `Stepper`, kept in the user's session under
STATE_KEY, holds that copy, the `history.StepHistory` of their weights and optimizer state, the
record of the last step (to draw), and messages to show once after the next rerun. The drawing
of a step lives beside this module: `backprop_backward` (the gradient stage by stage) and
`backprop_weights` (one kernel weight's arithmetic, every kernel before and after).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import streamlit as st
import torch
from torch import nn

from cnnexplain.core.optim import OPTIMIZERS
from cnnexplain.figures import backprop as bpfig
from cnnexplain.io.datasets import Dataset, batches
from cnnexplain.io.images import to_display
from cnnexplain.model.backprop import (
    EXPLOSION_CHANCE_MULTIPLE,
    MAX_LR,
    OptimizerSettings,
    StepOutcome,
    StepRecord,
    inspected_step,
    load_params,
    params_of,
    step_outcome,
)
from cnnexplain.model.head import HEADS
from cnnexplain.model.history import OptState, StepHistory
from cnnexplain.model.questions import true_probability
from cnnexplain.model.spec import clone_model
from cnnexplain.model.timeline import Probe, Timeline
from cnnexplain.texts import backprop as text
from cnnexplain.texts import path as path_text
from cnnexplain.training.store import TrainedModel
from cnnexplain.ui.kit import datasets as named
from cnnexplain.ui.kit import errors, resources
from cnnexplain.ui.kit.detail import at_level, every_number
from cnnexplain.ui.kit.glossary import term_help
from cnnexplain.ui.kit.inputs import input_picker, show_input, stop_until_labelled
from cnnexplain.ui.kit.numbers import arrow, plain
from cnnexplain.ui.kit.widgets import kept, problem

STATE_KEY = "bp_state"
STEP_BUTTON_KEY = "bp_step"
MAX_BATCH = 32  # a step on 32 pictures keeps a record of about 10 MB for the default network
MAX_RUN = 100
LR_CHOICES = tuple(
    round(m * 10.0**e, 6) for e in range(-4, 1) for m in (1, 2, 5) if m * 10.0**e <= MAX_LR
) + (MAX_LR,)
DEFAULT_LR = 0.001
THUMBNAILS = 16  # batch pictures shown
NUMBER_DIGITS = 6  # significant digits of every number the page writes


def number(value: float) -> str:
    """A number as the page writes it: 6 significant digits; in Simple, never in scientific
    notation."""
    return f"{value:.6g}" if every_number() else plain(value, NUMBER_DIGITS)


def clamped(key: str, low: int, high: int, default: int) -> None:
    """Keep a widget's remembered value inside its current range (the network may change)."""
    value = st.session_state.get(key, default)
    st.session_state[key] = min(max(int(value), low), high)


@dataclass
class LastStep:
    """The most recent step, kept to draw it."""

    record: StepRecord  # everything the step computed
    state_in: OptState | None  # the optimizer state it started from (None: a fresh optimizer)
    number: int  # its number in the history
    outcome: StepOutcome  # what it did to the loss and the weights, as the page says it
    # The true class's probability, averaged over the batch, before and after the step.
    p_before: float = float("nan")
    p_after: float = float("nan")


@dataclass
class Stepper:
    """One user's stepping: their own model, their history, and what to show next."""

    key: tuple  # (spec, data set key, trained): the shared model the steps started from
    model: nn.Module  # the user's own copy; loaded with history.current before every step
    history: StepHistory
    last: LastStep | None = None  # None before the first step and after undo or reset
    # (kind, words) to show once: "info", "warning", "error", or "refused" (a library message)
    notices: list[tuple[str, str]] = field(default_factory=list)
    undid_explosion: bool = False  # the learner has undone a step that made the loss explode


@dataclass(frozen=True, eq=False)
class Batch:
    """The pictures a step learns from."""

    x: np.ndarray  # (N, C, H, W) float32, the step's own writable copy
    y: np.ndarray  # (N,) int64 true classes


def stepper(entry: TrainedModel, dataset_key: str) -> Stepper:
    """The user's Stepper, started over from `entry` when the network or data set changed."""
    key = (entry.spec, dataset_key, entry.trained)
    current = st.session_state.get(STATE_KEY)
    if current is None or current.key != key:
        model = clone_model(entry.model)
        data = resources.dataset(dataset_key)
        probe = Probe.first(data.x_test, data.y_test, entry.spec.head)
        timeline = Timeline.for_model(model, probe)
        history = StepHistory(params_of(model), timeline=timeline)
        fresh = Stepper(key=key, model=model, history=history)
        if current is not None:
            fresh.notices.append(("info", text.RESTARTED))
        st.session_state[STATE_KEY] = fresh
    return st.session_state[STATE_KEY]


# --- what the network learns from


def batch_picker(data: Dataset) -> Batch:
    """One picture from the input picker, or a seeded batch from the training set."""
    source = kept(
        "bp_source",
        next(iter(text.SOURCES)),
        st.radio,
        text.SOURCE,
        list(text.SOURCES),
        format_func=text.SOURCES.get,
        horizontal=True,
    )
    if source == "picture":
        chosen = input_picker(data)
        show_input(chosen, data)
        if chosen.label is None:  # a step learns from a label only the learner knows
            stop_until_labelled(text.PICTURE_NEEDS_LABEL, drawn=("bp_source",))
        return Batch(x=np.array(chosen.x[None], dtype=np.float32), y=np.array([chosen.label]))
    left, right = st.columns(2)
    with left:
        size = kept(
            "bp_batch_size",
            16,
            st.number_input,
            text.BATCH_SIZE,
            2,
            MAX_BATCH,
            help=term_help("batch", more=text.BATCH_SIZE_HELP),
        )
    with right:
        seed = kept(
            "bp_seed", 0, st.number_input, text.BATCH_SEED, 0, 1_000_000, help=text.BATCH_SEED_HELP
        )
    x, y = next(batches(data.x_train, data.y_train, int(size), seed=int(seed)))
    st.caption(text.BATCH_CAPTION.format(n=len(y), total=len(data.y_train)))
    shown = min(len(y), THUMBNAILS)
    st.image(
        [to_display(picture) for picture in x[:shown]],
        caption=[named.class_names(data)[k] for k in y[:shown]],
        width=56,
    )
    return Batch(x=np.array(x, dtype=np.float32), y=np.array(y, dtype=np.int64))


# --- the optimizer


def optimizer_picker() -> OptimizerSettings:
    """The optimizer and its learning rate (a log scale up to MAX_LR)."""
    left, right = st.columns([1, 2])
    with left:
        kind = kept(
            "bp_optimizer",
            OPTIMIZERS[0],
            st.radio,
            text.OPTIMIZER,
            OPTIMIZERS,
            format_func=text.OPTIMIZER_NAMES.get,
            help=term_help("optimizer", "momentum", "adam"),
        )
    with right:
        lr = kept(
            "bp_lr",
            DEFAULT_LR,
            st.select_slider,
            text.LR,
            options=LR_CHOICES,
            format_func=lambda v: f"{v:g}",
            help=term_help("learning rate", more=text.LR_HELP),
        )
    try:
        settings = OptimizerSettings(kind=kind, lr=lr)
    except ValueError as err:
        problem(text.SETTINGS_REFUSED, errors.say(err))
        st.stop()
    beta1, beta2 = settings.betas
    st.caption(
        text.OPTIMIZER_HELP[kind].format(momentum=settings.momentum, beta1=beta1, beta2=beta2)
    )
    st.caption(text.OPTIMIZER_STALL)
    return settings


def show_switch(history: StepHistory, settings: OptimizerSettings) -> None:
    """Say so when the next step uses another optimizer than the last one."""
    previous = history.current.opt_kind
    if previous is not None and previous != settings.kind:
        st.caption(
            text.SWITCHED.format(
                previous=text.OPTIMIZER_NAMES[previous],
                current=text.OPTIMIZER_NAMES[settings.kind],
            )
        )


# --- stepping


def divergence_words(outcome: StepOutcome, lr: float) -> str:
    """What went wrong in a diverged step and why, for its three outcomes: the loss became NaN,
    the loss became infinite, or only some weights did."""
    return text.DIVERGED.format(what=text.DIVERGED_WHAT[outcome.kind], lr=lr)


def take_steps(
    state: Stepper,
    batch: Batch,
    settings: OptimizerSettings,
    count: int,
    report: Callable[[int], None] | None = None,
) -> None:
    """`count` inspected steps from the current weights, each pushed to the history.

    A step that diverges is refused by the history (the weights stay the last good ones), its
    explanation is queued as a notice, and the run stops there. A step that makes the loss
    explode is kept (the page shows it and offers to undo it) and stops the run after it. So
    does a step the library refuses (a batch or settings out of range), with its message.
    """
    history = state.history
    for done in range(count):
        state_in = history.current.state_for(settings.kind)
        load_params(state.model, history.current.params_copy())
        try:
            record = inspected_step(state.model, batch.x, batch.y, settings, state_in)
        except ValueError as err:
            state.notices.append(("refused", errors.say(err)))
            break
        outcome = step_outcome(record)
        if not history.push(record).accepted:
            words = [
                divergence_words(outcome, settings.lr),
                text.DIVERGED_DETAIL.format(
                    number=history.step_count + 1,
                    before=number(record.loss_before),
                    after=number(record.loss_after),
                ),
            ]
            if count > 1:
                words.append(text.RUN_STOPPED.format(done=done, total=count))
            state.notices.append(("error", " ".join(words)))
            break
        load_params(state.model, history.current.params_copy())
        state.last = LastStep(
            record=record,
            state_in=state_in,
            number=history.step_count,
            outcome=outcome,
            p_before=true_probability(record.probs, batch.y),
            p_after=true_probability(probabilities(state, batch), batch.y),
        )
        if report is not None:
            report(done + 1)
        if outcome.stops_run and done + 1 < count:
            state.notices.append(
                ("warning", text.RUN_STOPPED_EXPLODED.format(done=done + 1, total=count))
            )
            break
    load_params(state.model, history.current.params_copy())


def probabilities(state: Stepper, batch: Batch) -> np.ndarray:
    """(N, K) class probabilities of the user's model, as its weights are now."""
    head = HEADS[state.key[0].head]
    with torch.no_grad():
        return head.probabilities(state.model(torch.from_numpy(batch.x))).double().numpy()


def undo_step(state: Stepper) -> None:
    """Back to the weights and optimizer memory before the last step, if there is one."""
    history = state.history
    undone = history.step_count
    exploded = state.last is not None and state.last.outcome.kind == "exploded"
    if history.undo():
        state.undid_explosion = state.undid_explosion or exploded
        load_params(state.model, history.current.params_copy())
        state.last = None
        state.notices.append(("info", text.UNDONE.format(number=undone)))


def step_if_clicked(state: Stepper, batch: Batch, settings: OptimizerSettings) -> None:
    """Take the step a click on Step asked for, in the run the click started.

    It is taken as soon as the pictures and the settings are known, before the sections that
    show it are drawn, so that one run shows it. (Taken where the button is drawn, it needed
    a second run to redraw the sections above.) `step_controls` draws the button.
    """
    if st.session_state.get(STEP_BUTTON_KEY):
        take_steps(state, batch, settings, 1)


def step_controls(state: Stepper, batch: Batch, settings: OptimizerSettings) -> None:
    """Step, Run N steps, Undo and Reset. A Step was taken before (`step_if_clicked`); the other
    actions change the state here, then the page reruns to draw it."""
    history = state.history
    step_col, undo_col, reset_col, n_col, run_col = st.columns(
        [1, 1, 1, 1.3, 1.3], vertical_alignment="bottom"
    )
    with step_col:
        st.button(text.STEP, key=STEP_BUTTON_KEY, type="primary", help=text.STEP_HELP)
    with undo_col:
        undo = st.button(
            text.UNDO, key="bp_undo", disabled=not history.can_undo, help=text.UNDO_HELP
        )
    with reset_col:
        reset = st.button(
            text.RESET, key="bp_reset", disabled=history.step_count == 0, help=text.RESET_HELP
        )
    with n_col:
        count = kept("bp_n", 10, st.number_input, text.RUN_N, 1, MAX_RUN)
    with run_col:
        run = st.button(text.RUN, key="bp_run", help=text.RUN_HELP)
    if run:
        total = int(count)
        bar = st.progress(0.0, text=text.RUNNING.format(done=0, total=total))
        take_steps(
            state,
            batch,
            settings,
            total,
            report=lambda done: bar.progress(
                done / total, text=text.RUNNING.format(done=done, total=total)
            ),
        )
    elif undo:
        undo_step(state)
    elif reset:
        history.reset()
        load_params(state.model, history.current.params_copy())
        state.last = None
        state.notices.append(("info", text.RESET_DONE))
    if run or undo or reset:
        st.rerun()


def show_notices(state: Stepper) -> None:
    """The messages queued by the last action, once."""
    for kind, words in state.notices:
        if kind == "refused":
            problem(text.STEP_REFUSED, words)
        else:
            {"error": st.error, "warning": st.warning}.get(kind, st.info)(words)
    state.notices.clear()


def show_status(history: StepHistory) -> None:
    if history.step_count == 0:
        st.caption(text.STATUS_NONE)
        return
    st.markdown(text.STATUS.format(steps=history.step_count, undo=history.undo_depth))
    if history.dropped:
        st.caption(
            text.DROPPED.format(
                kept=history.undo_depth, mb=history.undo_bytes / 2**20, dropped=history.dropped
            )
        )
    if history.curve_dropped:
        st.caption(
            text.CURVE_DROPPED.format(kept=len(history.steps), dropped=history.curve_dropped)
        )


# --- the loss


def outcome_words(outcome: StepOutcome, settings: OptimizerSettings) -> str:
    """What a kept step did, in the page's words.

    A rise in the loss is a step too long, or, for an optimizer that remembers earlier steps,
    also a remembered direction that no longer points downhill.
    """
    words = text.OUTCOME[outcome.kind].format(
        before=number(outcome.loss_before),
        after=number(outcome.loss_after),
        change=number(outcome.largest_change),
        lr=settings.lr,
        bound=outcome.explosion_bound,
        multiple=EXPLOSION_CHANCE_MULTIPLE,
        chance=outcome.chance_loss,
    )
    if outcome.kind == "rose" and settings.kind != "sgd":
        remembered = text.ROSE_REMEMBERED.format(optimizer=text.OPTIMIZER_NAMES[settings.kind])
        words = f"{words}\n\n{remembered}"
    return words


def change_words(last: LastStep) -> str:
    """One sentence on what the step changed: the loss, and the true class's probability."""
    single = len(last.record.labels) == 1
    return (path_text.STEP_CHANGED if single else path_text.STEP_CHANGED_BATCH).format(
        before=number(last.outcome.loss_before),
        after=number(last.outcome.loss_after),
        p_before=f"{last.p_before:.4f}",
        p_after=f"{last.p_after:.4f}",
    )


def show_outcome(state: Stepper) -> None:
    """What the last step did; after an explosion, with a button that takes the step back."""
    last = state.last
    if last is None:
        st.caption(text.AFTER_UNDO)
        return
    kind = last.outcome.kind
    words = outcome_words(last.outcome, last.record.settings)
    st.markdown(change_words(last))
    if kind == "exploded":
        st.warning(words)
        st.button(
            text.UNDO_EXPLODED,
            key="bp_undo_exploded",
            on_click=undo_step,
            args=(state,),
            disabled=not state.history.can_undo,
        )
    elif kind == "rose":
        st.warning(words)
    elif kind in ("sure", "tiny"):
        st.info(words)
    else:
        st.caption(words)


def show_loss(state: Stepper) -> None:
    """The loss before and after the last step, what the step did, and the loss curve so far."""
    steps = state.history.steps
    if not steps:
        st.info(text.NO_STEP)
        return
    entry = steps[-1]
    before_col, after_col = st.columns(2)
    before_col.metric(text.LOSS_BEFORE.format(number=entry.number), number(entry.loss_before))
    change = entry.loss_after - entry.loss_before
    after_col.metric(
        text.LOSS_AFTER.format(number=entry.number),
        number(entry.loss_after),
        delta=number(change),
        delta_color="green" if change < 0 else "red" if change > 0 else "gray",  # lower is better
        delta_arrow=arrow(change),
    )
    st.caption(
        text.LOSS_ON.format(
            n=entry.batch_size, optimizer=text.OPTIMIZER_NAMES[entry.kind], lr=entry.lr
        )
    )
    show_outcome(state)
    curve = bpfig.loss_curve(
        [e.number for e in steps],
        [e.loss_before for e in steps],
        [e.loss_after for e in steps],
        names=text.CURVE_NAMES,
        x_title=text.CURVE_X,
        y_title=text.CURVE_Y,
    )
    st.plotly_chart(at_level(curve), key="bp_loss_curve")
    st.caption(text.CURVE_CAPTION)


def show_model_line(entry: TrainedModel, dataset_title: str) -> None:
    """Which shared network the steps started from."""
    if entry.trained:
        st.caption(text.MODEL_TRAINED.format(dataset=dataset_title))
    else:
        st.caption(text.MODEL_UNTRAINED)
