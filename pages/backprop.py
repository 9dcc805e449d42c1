"""Backpropagation, one step at a time: the learner steps their own copy of the network and
sees the gradient at every stage, one kernel weight's arithmetic, and every kernel change."""

import streamlit as st

from cnnexplain.texts import backprop as text
from cnnexplain.ui.backprop import section, start, views
from cnnexplain.ui.kit import datasets as named
from cnnexplain.ui.kit import path, resources, session
from cnnexplain.ui.kit.sidebar import architecture_sidebar

architecture_sidebar()
st.title(text.TITLE, anchor="bp-title")
path.opening("backprop")
st.write(text.INTRO)
st.info(text.STORY)

spec = session.current_spec()
dataset_key = session.current_dataset_key()
data = resources.dataset(dataset_key)
entry = resources.trained_model(spec, dataset_key, trained=session.current_trained())
state = views.stepper(entry, dataset_key)
views.show_model_line(entry, named.title(dataset_key))

st.subheader(text.DATA_HEADER, anchor="bp-data")
start.start_unsure(entry, data)
batch = views.batch_picker(data)

st.subheader(text.OPTIMIZER_HEADER, anchor="bp-optimizer")
settings = views.optimizer_picker()

section.step_section(state, batch, settings, data, spec)
path.next_step("backprop")
