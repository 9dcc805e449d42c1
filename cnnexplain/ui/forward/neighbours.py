"""Beside the learner's picture: the training pictures closest to it, and a word of doubt."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnexplain.io.datasets import Dataset
from cnnexplain.io.images import to_display
from cnnexplain.texts import digits as text
from cnnexplain.training.neighbours import (
    NeighbourIndex,
    build_index,
    doubt,
    nearest,
    probabilities,
)
from cnnexplain.training.store import TrainedModel, training_for
from cnnexplain.ui.kit import datasets as named

THUMB_SCALE = 3  # training pictures are shown enlarged this many times, pixels kept sharp


@st.cache_resource(show_spinner=False, max_entries=16)
def _index(key: str, _entry: TrainedModel, _data: Dataset) -> NeighbourIndex:
    """The shared model's neighbour index, built once per model (`key` names the model)."""
    return build_index(_entry.model, _data)


def nearest_training(entry: TrainedModel, x: np.ndarray, data: Dataset) -> None:
    """The training pictures nearest to x (C, H, W) for the shared model, and the doubt."""
    index = _index(f"{entry.spec!r}|{entry.dataset}|{entry.trained}", entry, data)
    near = nearest(index, entry.model, x)
    probs = probabilities(entry.model, x)
    judged = doubt(index, probs, float(near.distances[0]))
    first, second = np.argsort(probs, kind="stable")[::-1][:2]
    names = named.class_names(data)

    st.markdown(text.NEAREST_HEADER.format(k=len(near.indices)))
    for column, i, label, distance in zip(
        st.columns(len(near.indices)), near.indices, near.labels, near.distances, strict=True
    ):
        with column:
            picture = to_display(data.x_train[i]).repeat(THUMB_SCALE, 0).repeat(THUMB_SCALE, 1)
            st.image(
                picture,
                caption=text.NEAREST_ONE.format(label=names[label], distance=distance),
            )
    st.caption(text.NEAREST_CAPTION.format(width=index.features.shape[1]))
    if training_for(entry.dataset).augment is not None and entry.trained:
        st.caption(text.AUGMENTED.format(n=len(data.x_train)))

    words = {
        "predicted": names[first],
        "second": names[second],
        "top": judged.top,
        "runner": judged.second,
        "nearest": judged.nearest,
        "typical": judged.typical,
        "threshold": judged.threshold,
    }
    if judged.unlike:
        st.warning(text.UNLIKE.format(**words))
    elif judged.unsure:
        st.warning(text.UNSURE.format(**words))
    else:
        st.caption(text.SURE.format(**words))
