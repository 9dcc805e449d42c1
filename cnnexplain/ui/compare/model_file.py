"""Loading a model file back: a network downloaded from this page, tested on the chosen pictures.

The file, once read, is kept in the session under LOADED_MODEL_KEY with the upload it came from.
"""

from __future__ import annotations

import streamlit as st

from cnnexplain.experiment.design import fits
from cnnexplain.io.modelfile import MAX_MODEL_BYTES, ModelFileError, import_model
from cnnexplain.model.spec import CNNSpec
from cnnexplain.model.spec import count_parameters as count
from cnnexplain.texts import compare as text
from cnnexplain.training.train import evaluate
from cnnexplain.ui.compare.data import DataChoice
from cnnexplain.ui.kit import errors
from cnnexplain.ui.kit.widgets import problem

MODEL_UPLOAD_MB = MAX_MODEL_BYTES // 2**20
LOADED_MODEL_KEY = "cmp_loaded_model"


def load_and_test(choice: DataChoice | None) -> None:
    """Load a model file from this page and test it on the chosen pictures."""
    st.caption(text.LOAD_EXPLAIN)
    upload = st.file_uploader(
        text.MODEL_UPLOAD.format(mb=MODEL_UPLOAD_MB),
        type=["pt"],
        max_upload_size=MODEL_UPLOAD_MB,
        key="cmp_model_upload",
    )
    if upload is None:
        return
    kept = st.session_state.get(LOADED_MODEL_KEY)
    if kept is None or kept[0] != upload.file_id:
        try:
            kept = (upload.file_id, import_model(upload.getvalue()), None)
        except ModelFileError as err:
            kept = (upload.file_id, None, err)
        st.session_state[LOADED_MODEL_KEY] = kept
    _, model, error = kept
    if error is not None:
        problem(text.MODEL_REFUSED, errors.say(error))
        return
    if choice is None:
        st.info(text.NO_DATA)
        return
    spec, data = model.spec, choice.data
    kind = text.MODEL_KIND["cnn" if isinstance(spec, CNNSpec) else "mlp"]
    if not fits(spec, data):
        st.warning(
            text.MODEL_DOES_NOT_FIT.format(
                kind=kind,
                channels=spec.in_channels,
                size=spec.input_size,
                classes=spec.num_classes,
                data_channels=data.channels,
                data_size=data.size,
                data_classes=data.num_classes,
            )
        )
        return
    _, acc = evaluate(model, data.x_test, data.y_test)
    st.markdown(
        text.MODEL_LOADED.format(
            kind=kind,
            params=count(model),
            acc=acc,
            n_test=len(data.x_test),
            data=choice.title,
        )
    )
