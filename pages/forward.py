"""Forward pass, step by step: your picture through every stage, every number shown."""

import streamlit as st

from cnnexplain.model.trace import trace
from cnnexplain.texts import forward as text
from cnnexplain.ui.forward import class_pictures as class_pictures_view
from cnnexplain.ui.forward import receptive as receptive_view
from cnnexplain.ui.forward import views
from cnnexplain.ui.forward.neighbours import nearest_training
from cnnexplain.ui.forward.predict import class_question
from cnnexplain.ui.kit import errors, path, resources, session, tasks
from cnnexplain.ui.kit.inputs import input_picker, show_input
from cnnexplain.ui.kit.sidebar import architecture_sidebar
from cnnexplain.ui.kit.widgets import problem

architecture_sidebar()
st.title(text.TITLE, anchor="fwd-title")
path.opening("forward")
st.write(text.INTRO)

spec = session.current_spec()
dataset_key = session.current_dataset_key()
data = resources.dataset(dataset_key)
entry = resources.trained_model(spec, dataset_key, trained=session.current_trained())
views.model_status(entry, data)

st.subheader(text.PICTURE_HEADER, anchor="fwd-picture")
picker, picture = st.columns([2, 3])
with picker:
    chosen = input_picker(data)
with picture:
    show_input(chosen, data)
    neighbours = st.container()  # filled once the network's answer may be shown

try:
    result = trace(entry.model, chosen.x, label=chosen.label)
except ValueError as err:
    problem(text.INPUT_REFUSED, errors.say(err))
    st.stop()
if class_question(result, data):
    views.summary(result, data)
    with neighbours:
        nearest_training(entry, chosen.x, data)

st.subheader(text.OVERVIEW_HEADER, anchor="fwd-overview")
scale = views.scale_picker()
views.overview(result, scale)

st.subheader(text.STEP_HEADER, anchor="fwd-stage")
views.stage_section(result, data, scale, spec)

st.subheader(text.LOOKED_HEADER, anchor="fwd-looked")
views.looked_at(entry, chosen.x, data)

st.subheader(text.RECEPTIVE_HEADER, anchor="fwd-receptive")
receptive_view.show(result, spec, scale)
class_pictures_view.show(entry, data)

if result.label is not None and result.label != result.predicted:
    tasks.done("forward", "wrong_label")
path.next_step("forward")
