"""Home: one picture through the whole network, stage by stage."""

import streamlit as st

from cnnexplain.figures import maps as figures
from cnnexplain.model.spec import stage_shapes
from cnnexplain.model.trace import trace
from cnnexplain.texts import home as text
from cnnexplain.texts import stages
from cnnexplain.ui.kit import datasets as named
from cnnexplain.ui.kit import path, resources, session
from cnnexplain.ui.kit.detail import every_number
from cnnexplain.ui.kit.numbers import plain
from cnnexplain.ui.kit.sidebar import architecture_sidebar
from cnnexplain.ui.kit.widgets import format_shape, test_sample_picker

MAX_THUMBNAILS = 8

architecture_sidebar()
st.title(text.TITLE)
path.opening("home")
st.write(text.INTRO)
st.info(text.STORY)
path.overview()

spec = session.current_spec()
dataset_key = session.current_dataset_key()
data = resources.dataset(dataset_key)
entry = resources.trained_model(spec, dataset_key, trained=session.current_trained())

st.subheader(text.MODEL_HEADER)
if entry.trained:
    st.write(
        text.MODEL_TRAINED.format(
            dataset=named.title(dataset_key), acc=entry.test_acc, n_test=len(data.x_test)
        )
    )
else:
    st.warning(text.MODEL_UNTRAINED)

st.subheader(text.SAMPLE_HEADER)
left, right = st.columns([1, 2])
with left:
    x, label = test_sample_picker(data, key="home_sample")
with right:
    result = trace(entry.model, x, label=label)
    st.write(text.TRUE_LABEL.format(label=named.class_names(data)[label]))
    st.write(
        text.PREDICTED.format(
            label=named.class_names(data)[result.predicted], p=float(result.probs[result.predicted])
        )
    )
    st.write(text.LOSS.format(loss=plain(result.loss)))
    if every_number():
        st.caption(text.REPLAY_AGREES.format(diff=max(result.max_abs_diff, 1e-12)))
    else:
        st.caption(text.SIMPLE_HIDES)

st.subheader(text.PIPELINE_HEADER)
infos = {info.name: info for info in stage_shapes(spec)}
first_maps = True  # the first row of feature maps says what the numbers above them are
for stage in result.stages:
    info = infos[stage.name]
    kind = stage.kind
    if kind == "probs":
        kind = "probs_sigmoid" if spec.head == "sigmoid" else "probs_softmax"
    words, chart = st.columns([1, 2])
    with words:
        st.markdown(
            text.STAGE_LINE.format(
                name=stage.name, shape=format_shape(info.shape), params=info.params
            )
        )
        st.caption(stages.STAGE_KIND[kind])
    with chart:
        out = stage.torch_out
        if stage.kind == "input":
            st.plotly_chart(figures.image(out, height=200), key=f"home_{stage.name}")
        elif out.ndim == 3:
            shown = min(len(out), MAX_THUMBNAILS)
            st.plotly_chart(
                figures.feature_maps(
                    out[:shown],
                    columns=MAX_THUMBNAILS,
                    names=[text.MAP_NAME.format(c=c) for c in range(shown)],
                    titles=[text.MAP_TITLE.format(c=c) for c in range(shown)],
                ),
                key=f"home_{stage.name}",
            )
            if first_maps:
                st.caption(text.MAPS_NUMBERED)
                first_maps = False
            if shown < len(out):
                st.caption(text.SHOWING_MAPS.format(shown=shown, total=len(out)))
        elif stage.kind in ("logits", "probs") and len(out) == len(named.class_names(data)):
            st.plotly_chart(
                figures.vector(
                    out, labels=named.class_names(data), highlight=result.predicted, height=180
                ),
                key=f"home_{stage.name}",
            )
        else:
            st.plotly_chart(figures.vector(out, height=160), key=f"home_{stage.name}")

st.markdown(text.FINAL_LOSS.format(loss=plain(result.loss)))
st.caption(stages.STAGE_KIND["loss"])
st.write(text.TOTAL_PARAMS.format(total=sum(info.params for info in infos.values())))
path.next_step("home")
