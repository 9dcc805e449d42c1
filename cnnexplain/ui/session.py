"""What one user has chosen, kept in their own session state across reruns."""

from __future__ import annotations

import streamlit as st

from cnnexplain.models import CNNSpec
from cnnexplain.store import DEFAULT_DATASET, DEFAULT_SPEC

SPEC_KEY = "arch_spec"
DATASET_KEY = "arch_dataset"
TRAINED_KEY = "arch_trained"


def init() -> None:
    """Give a new session the defaults; an existing one keeps what it had."""
    st.session_state.setdefault(SPEC_KEY, DEFAULT_SPEC)
    st.session_state.setdefault(DATASET_KEY, DEFAULT_DATASET)
    st.session_state.setdefault(TRAINED_KEY, True)


def current_spec() -> CNNSpec:
    init()
    return st.session_state[SPEC_KEY]


def current_dataset_key() -> str:
    init()
    return st.session_state[DATASET_KEY]


def current_trained() -> bool:
    init()
    return st.session_state[TRAINED_KEY]
