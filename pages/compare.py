"""CNN against a plain network: both learn the same pictures the same way, live, and the page
says what this run found, from its own numbers."""

import streamlit as st

from cnnexplain.texts import compare as text
from cnnexplain.ui.compare import views
from cnnexplain.ui.kit.sidebar import architecture_sidebar

architecture_sidebar()
st.title(text.TITLE)
st.write(text.INTRO)
st.info(text.STORY)

st.subheader(text.DATA_HEADER)
choice = views.data_source()

st.subheader(text.NETWORKS_HEADER)
pair = views.networks(choice) if choice is not None else None

st.subheader(text.TRAINING_HEADER)
config = views.training_settings(choice)
experiment = views.experiment(choice, pair, config)
comparison = views.run_buttons(experiment, choice)

# Training runs inside this script run and can take minutes, so every other section is drawn
# first; these places, in page order, then take the live view and what it measured.
live, results, why = st.empty(), st.empty(), st.empty()

st.subheader(text.LOAD_HEADER)
views.model_upload(choice)

views.live_training(comparison, live)
views.results(comparison, results)
views.why(comparison, why)
