"""Backpropagation, one step at a time: the learner steps their own copy of the network and
sees the gradient at every stage, one kernel weight's arithmetic, and every kernel change."""

import streamlit as st

from cnnexplain.texts import backprop as text
from cnnexplain.ui.backprop import backward, start, timeline, views, weights
from cnnexplain.ui.backprop.predict import before_step
from cnnexplain.ui.kit import datasets as named
from cnnexplain.ui.kit import path, resources, session, tasks
from cnnexplain.ui.kit.detail import every_number
from cnnexplain.ui.kit.sidebar import architecture_sidebar

architecture_sidebar()
st.title(text.TITLE)
path.opening("backprop")
st.write(text.INTRO)
st.info(text.STORY)

spec = session.current_spec()
dataset_key = session.current_dataset_key()
data = resources.dataset(dataset_key)
entry = resources.trained_model(spec, dataset_key, trained=session.current_trained())
state = views.stepper(entry, dataset_key)
views.show_model_line(entry, named.title(dataset_key))

st.subheader(text.DATA_HEADER)
start.start_unsure(entry, data)
batch = views.batch_picker(data)

st.subheader(text.OPTIMIZER_HEADER)
settings = views.optimizer_picker()
views.step_if_clicked(state, batch, settings)
views.show_switch(state.history, settings)

st.subheader(text.STEP_HEADER)
before_step(state, settings)
views.step_controls(state, batch, settings)
views.show_notices(state)
views.show_status(state.history)

st.subheader(text.LOSS_HEADER)
views.show_loss(state)

if state.last is not None:
    record = state.last.record
    st.subheader(text.BACKWARD_HEADER)
    n = backward.example_picker(record, named.class_names(data))
    backward.show_backward(record, n, named.class_names(data), spec.head)

    st.subheader(text.WEIGHT_HEADER)
    if every_number():
        weights.show_kernel_weight(state.last, n)
    else:
        st.caption(text.SIMPLE_WEIGHT)

    st.subheader(text.KERNELS_HEADER)
    weights.show_kernels(record)

timeline.show(state, batch)

if state.last is not None and state.last.p_after > state.last.p_before:
    tasks.done("backprop", "more_likely")
if state.undid_explosion:
    tasks.done("backprop", "explode_undo")
path.next_step("backprop")
