"""What each network's first layer looks for, drawn side by side."""

from __future__ import annotations

import streamlit as st

from cnnexplain.experiment.design import ANN, CNN
from cnnexplain.experiment.first_layer import first_layer_images
from cnnexplain.experiment.jobs import Comparison
from cnnexplain.figures import compare as cmpfig
from cnnexplain.texts import compare as text

MAX_ANN_UNITS = 24  # ANN first-layer neurons drawn
MAX_KERNELS = 32  # CNN first-layer kernels drawn


def first_layers(current: Comparison) -> None:
    """The ANN's first-layer weights as pictures, beside the CNN's first kernels."""
    ann = first_layer_images(current.run.models[ANN])  # (units, C, H, W)
    cnn = first_layer_images(current.run.models[CNN])  # (F, C, KH, KW)
    left, right = st.columns(2)
    for column, weights, limit, title, unit, columns in (
        (left, ann, MAX_ANN_UNITS, text.LEARNED_ANN, text.UNIT_ANN, 6),
        (right, cnn, MAX_KERNELS, text.LEARNED_CNN, text.UNIT_CNN, 8),
    ):
        shown = weights[:limit]
        column.caption(title.format(shown=len(shown), units=len(weights)))
        column.plotly_chart(
            cmpfig.weight_grid(
                shown,
                [f"{unit} {k}" for k in range(len(shown))],
                cell_hover=text.WEIGHT_HOVER if weights.shape[1] == 1 else text.WEIGHT_HOVER_RGB,
                columns=columns,
            ),
            key=f"cmp_weights_{unit}",
        )
    C, H, W = ann.shape[1:]
    KH, KW = cnn.shape[2:]
    st.caption(
        text.LEARNED_EXPLAIN.format(
            ann_weights=C * H * W,
            shape=f"{C}×{H}×{W}" if C > 1 else f"{H}×{W}",
            cnn_weights=C * KH * KW,
            kernel=f"{C}×{KH}×{KW}" if C > 1 else f"{KH}×{KW}",
        )
    )
