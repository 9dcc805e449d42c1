"""Small widgets shared by several pages."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnexplain.data import Dataset
from cnnexplain.texts import home as text


def test_sample_picker(data: Dataset, key: str) -> tuple[np.ndarray, int]:
    """Pick one held-out test image by number; returns (x (C, H, W), its label)."""
    index = st.number_input(
        text.SAMPLE_PICK,
        min_value=0,
        max_value=len(data.x_test) - 1,
        value=0,
        step=1,
        key=key,
        help=text.SAMPLE_HELP,
    )
    return np.asarray(data.x_test[index]), int(data.y_test[index])


def format_shape(shape: tuple[int, ...]) -> str:
    """(8, 28, 28) -> '8 × 28 × 28'."""
    return " × ".join(str(s) for s in shape)
