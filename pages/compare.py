"""CNN against a plain network: both learn the same pictures the same way, live, and the page
says what this run found, from its own numbers."""

import streamlit as st

from cnnexplain.experiment.design import ANN
from cnnexplain.experiment.findings import first_shift_below
from cnnexplain.texts import compare as text
from cnnexplain.ui.compare import data, model_file, networks, results, settings, training, why
from cnnexplain.ui.compare.predict import ask_before_training, reveal_at_results
from cnnexplain.ui.compare.state import measurements
from cnnexplain.ui.kit import path, tasks
from cnnexplain.ui.kit.sidebar import architecture_sidebar

architecture_sidebar()
st.title(text.TITLE)
path.opening("compare")
st.write(text.INTRO)
st.info(text.STORY)

st.subheader(text.DATA_HEADER)
choice = data.choose_pictures()

st.subheader(text.NETWORKS_HEADER)
pair = networks.choose(choice) if choice is not None else None

st.subheader(text.TRAINING_HEADER)
config = settings.shared_training(choice)
planned = settings.planned_experiment(choice, pair, config)
ask_before_training()
comparison = training.buttons(planned, choice)

# Training runs inside this script run and can take minutes, so every other section is drawn
# first; these places, in page order, then take the live view and what it measured.
live_slot, results_slot, why_slot = st.empty(), st.empty(), st.empty()

st.subheader(text.LOAD_HEADER)
model_file.load_and_test(choice)

training.live(comparison, live_slot)
measured = measurements(comparison)
if measured is not None:
    with results_slot.container():
        reveal_at_results(*measured)
        results.show(comparison, *measured)
    with why_slot.container():
        why.show(comparison, *measured)
    tasks.done("compare", "trained")
    if first_shift_below(measured[1], ANN) is not None:
        tasks.done("compare", "shift_half")
path.next_step("compare")
