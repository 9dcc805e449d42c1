"""What one user has chosen, kept in their own session state across reruns and pages.

Widget values are not kept when the user moves to another page, so the choices live under
keys of their own (prefixed "arch_") and the widgets start from them on every page.
"""

from __future__ import annotations

import streamlit as st

from cnnexplain.model.spec import CNNSpec
from cnnexplain.training.store import DEFAULT_DATASET, DEFAULT_SPEC

SPEC_KEY = "arch_spec"
DATASET_KEY = "arch_dataset"
TRAINED_KEY = "arch_trained"
ERROR_KEY = "arch_error"


def init() -> None:
    """Give a new session the defaults; an existing one keeps what it had."""
    st.session_state.setdefault(SPEC_KEY, DEFAULT_SPEC)
    st.session_state.setdefault(DATASET_KEY, DEFAULT_DATASET)
    st.session_state.setdefault(TRAINED_KEY, True)
    st.session_state.setdefault(ERROR_KEY, None)


def current_spec() -> CNNSpec:
    init()
    return st.session_state[SPEC_KEY]


def current_dataset_key() -> str:
    init()
    return st.session_state[DATASET_KEY]


def current_trained() -> bool:
    init()
    return st.session_state[TRAINED_KEY]


def set_architecture(spec: CNNSpec, dataset_key: str, trained: bool) -> None:
    """Make this the user's network; clears any error shown for the previous attempt."""
    st.session_state[SPEC_KEY] = spec
    st.session_state[DATASET_KEY] = dataset_key
    st.session_state[TRAINED_KEY] = trained
    st.session_state[ERROR_KEY] = None


def set_error(place: str, reason: str | Exception) -> None:
    """Remember why the last attempt failed, to show beside the control at fault.

    `place` names the control in words no language owns ("block:2", "dense", "head",
    "dataset", "network"); an error is kept as the error, so that it is said in the learner's
    language whenever it is shown, even after they switch languages.
    """
    st.session_state[ERROR_KEY] = (place, reason)


def error_for(place: str) -> str | Exception | None:
    """The reason kept for this place ("block:2", "dense", ...), if it is at fault."""
    init()
    err = st.session_state[ERROR_KEY]
    return err[1] if err is not None and err[0] == place else None
