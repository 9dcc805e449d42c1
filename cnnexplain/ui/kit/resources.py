"""Things every user of the server shares, built once and never changed in place."""

from __future__ import annotations

import streamlit as st

from cnnexplain.io.datasets import Dataset, load_dataset
from cnnexplain.model.spec import CNNSpec, MLPSpec
from cnnexplain.texts import home as text
from cnnexplain.training import pretrained
from cnnexplain.training.store import ModelStore, TrainedModel, training_for
from cnnexplain.ui.kit import datasets as named


@st.cache_resource(show_spinner=False)
def _dataset(key: str) -> Dataset:
    return load_dataset(key)


def dataset(key: str) -> Dataset:
    """A data set by registry key; its arrays are read-only.

    The spinner is the page's, not the cache's: a cache fixes its spinner's words when it is
    made, in one language for every learner. Streamlit shows it only for a slow first load."""
    with st.spinner(text.LOADING_DATA):
        return _dataset(key)


@st.cache_resource
def model_store() -> ModelStore:
    """The server's store of trained models, keyed by architecture and data set.

    The default network comes with its weights (`pretrained`), so a fresh server shows the home
    page without first training it.
    """
    return ModelStore(shipped=pretrained.load)


def trained_model(
    spec: CNNSpec | MLPSpec, dataset_key: str, *, trained: bool = True
) -> TrainedModel:
    """The shared model for this architecture, training it with a progress bar the first time."""
    store = model_store()
    entry = store.peek(spec, dataset_key, trained)
    if entry is not None:
        return entry
    data = dataset(dataset_key)
    epochs = training_for(dataset_key).epochs
    title = named.title(dataset_key)
    bar = st.progress(
        0.0, text=text.TRAINING_PROGRESS.format(dataset=title, epoch=0, epochs=epochs)
    )

    def report(record) -> None:
        bar.progress(
            record.progress,
            text=text.TRAINING_PROGRESS.format(dataset=title, epoch=record.epoch, epochs=epochs),
        )

    entry = store.get(spec, data, dataset_key, trained=trained, on_progress=report)
    bar.empty()
    return entry
