"""Where the backpropagation page starts: a picture on which one step changes something visible.

A trained network is sure of most test pictures; one step on such a picture moves the loss in
its fourth decimal, and the first Step seems to do nothing. So the page's first visit in a
session starts from the test picture the network is least sure of, among those it gets right
(where its loss is largest without its answer being wrong), unless the learner already chose
another picture on the forward page.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from cnnexplain.io.datasets import Dataset
from cnnexplain.model.head import HEADS
from cnnexplain.texts import path as text
from cnnexplain.training.store import TrainedModel
from cnnexplain.ui.kit.inputs import SOURCE_KEY
from cnnexplain.ui.kit.widgets import MEMORY_KEY, remember

STARTED_KEY = "bp_unsure_start"  # (index, probability of its true class) chosen on first visit
SAMPLE_KEY = "input_sample_index"  # the input picker's test picture (shared with forward)
UNTOUCHED = (None, 0)  # the picker's memory before the learner moves it


def least_sure(entry: TrainedModel, data: Dataset) -> tuple[int, float]:
    """(index, p): the test picture whose true class gets the lowest probability p, among the
    pictures the network answers right (among all of them if it answers none right)."""
    head = HEADS[entry.spec.head]
    with torch.no_grad():
        logits = entry.model(torch.as_tensor(np.array(data.x_test, dtype=np.float32)))
        probs = head.probabilities(logits).double().numpy()  # (N, K)
    labels = np.asarray(data.y_test)
    true_p = probs[np.arange(len(labels)), labels]
    right = np.flatnonzero(probs.argmax(axis=1) == labels)
    candidates = right if len(right) else np.arange(len(labels))
    index = int(candidates[np.argmin(true_p[candidates])])
    return index, float(true_p[index])


def _shown(key: str, default: object) -> object:
    """What the picker's widget `key` shows: its value in this run, else the remembered one
    (a widget not drawn on the previous page has no value until the picker draws it)."""
    return st.session_state.get(key, st.session_state.get(MEMORY_KEY, {}).get(key, default))


def start_unsure(entry: TrainedModel, data: Dataset) -> None:
    """On the first visit, move an untouched picker to the least sure picture; say so while it
    stays there."""
    if STARTED_KEY not in st.session_state:
        index, p = least_sure(entry, data)
        st.session_state[STARTED_KEY] = (index, p)
        if st.session_state.get(MEMORY_KEY, {}).get(SAMPLE_KEY) in UNTOUCHED:
            remember(SAMPLE_KEY, index)
            st.session_state[SAMPLE_KEY] = index
    index, p = st.session_state[STARTED_KEY]
    if _shown(SOURCE_KEY, "sample") == "sample" and _shown(SAMPLE_KEY, None) == index:
        st.caption(text.UNSURE_START.format(index=index, p=f"{p:.2f}"))
