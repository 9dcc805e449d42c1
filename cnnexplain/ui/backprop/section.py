"""The backpropagation page from the Step button down: everything a step changes.

A fragment: Step, and every control inside it (the stage stepper, the picture and the weight
shown, the predict questions, the timeline), reruns this section alone. The data and optimizer
pickers above it, and the shared model they start from, are not drawn again; a change to them
is a full run, which gives this section their new values. Undo, Reset and "Run N steps" still
rerun the whole page.
"""

from __future__ import annotations

import streamlit as st

from cnnexplain.io.datasets import Dataset
from cnnexplain.model.backprop import OptimizerSettings
from cnnexplain.model.spec import CNNSpec
from cnnexplain.texts import backprop as text
from cnnexplain.ui.backprop import backward, timeline, views, weights
from cnnexplain.ui.backprop.predict import before_step
from cnnexplain.ui.kit import datasets as named
from cnnexplain.ui.kit import predict, tasks
from cnnexplain.ui.kit.detail import every_number


@st.fragment
def step_section(
    state: views.Stepper,
    batch: views.Batch,
    settings: OptimizerSettings,
    data: Dataset,
    spec: CNNSpec,
) -> None:
    """Step and its controls, then the loss, the gradient stage by stage, one kernel weight's
    arithmetic, every kernel, and the timeline of the kept steps."""
    # In every run, full ones too: a fragment's run may redraw the sidebar's score (a guess
    # scored) only where the last full run drew it.
    predict.redraw_score()
    # Taken before anything that shows it is drawn, so that one run shows it.
    views.step_if_clicked(state, batch, settings)
    views.show_switch(state.history, settings)

    # Each heading is given its anchor: without one, the browser works it out from the words
    # every time the section is drawn again: about a tenth of a Step's time in the browser.
    st.subheader(text.STEP_HEADER, anchor="bp-step")
    before_step(state, settings)
    views.step_controls(state, batch, settings)
    if _tick_tasks(state):
        st.rerun()  # the checklist above the section shows the tick after a full run
    views.show_notices(state)  # shown once: after that rerun, or they would be lost to it
    views.show_status(state.history)

    st.subheader(text.LOSS_HEADER, anchor="bp-loss")
    views.show_loss(state)

    if state.last is not None:
        record = state.last.record
        class_names = named.class_names(data)
        st.subheader(text.BACKWARD_HEADER, anchor="bp-backward")
        n = backward.example_picker(record, class_names)
        backward.show_backward(record, n, class_names, spec.head)

        st.subheader(text.WEIGHT_HEADER, anchor="bp-weight")
        if every_number():
            weights.show_kernel_weight(state.last, n)
        else:
            st.caption(text.SIMPLE_WEIGHT)

        st.subheader(text.KERNELS_HEADER, anchor="bp-kernels")
        weights.show_kernels(record)

    timeline.show(state, batch)


def _tick_tasks(state: views.Stepper) -> bool:
    """Tick the tasks the step or the undo just taken did; True when one is newly ticked."""
    ticked = False
    if state.last is not None and state.last.p_after > state.last.p_before:
        ticked = tasks.tick("backprop", "more_likely") or ticked
    if state.undid_explosion:
        ticked = tasks.tick("backprop", "explode_undo") or ticked
    return ticked
