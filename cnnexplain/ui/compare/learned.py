"""What each network learned, drawn side by side: its first layer, and the picture it likes
best for each class."""

from __future__ import annotations

import streamlit as st

from cnnexplain.experiment.design import ANN, CNN, MODEL_NAMES
from cnnexplain.experiment.first_layer import first_layer_images
from cnnexplain.experiment.jobs import Comparison
from cnnexplain.figures import compare as cmpfig
from cnnexplain.model.class_pictures import ClassPictures
from cnnexplain.texts import compare as text
from cnnexplain.ui.compare.state import holding
from cnnexplain.ui.kit import class_pictures as pictures
from cnnexplain.ui.kit import datasets as named
from cnnexplain.ui.kit.widgets import kept

MAX_ANN_UNITS = 24  # ANN first-layer neurons drawn
MAX_KERNELS = 32  # CNN first-layer kernels drawn
SHOW_KEY = "cmp_class_pictures_show"  # the learner's switch: draw the pictures or not
# (comparison, its steps done, {"CNN": ClassPictures, "ANN": ...}): the pictures and the
# weights they were drawn from
PICTURES_KEY = "cmp_class_pictures"


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


def class_pictures(current: Comparison) -> None:
    """Behind a switch: the picture each trained network likes best for each class."""
    earlier = st.session_state.get(PICTURES_KEY)
    if earlier is not None and earlier[0] is not current:
        del st.session_state[PICTURES_KEY]  # an earlier comparison's: let its networks go
    st.markdown(f"**{text.CLASS_PICTURES_HEADER}**")
    st.caption(text.CLASS_PICTURES_INTRO)
    on = kept(
        SHOW_KEY, False, st.toggle, text.CLASS_PICTURES_SHOW, help=text.CLASS_PICTURES_SHOW_HELP
    )
    if not on:
        return
    drawn = _drawn(current)
    names = named.class_names(current.data)
    # The ANN on the left, as in the first layers above.
    for column, name in zip(st.columns(2), (ANN, CNN), strict=True):
        result = drawn[name]
        with column:
            st.caption(
                text.CLASS_PICTURES_OF.format(
                    model=name, right=pictures.recognised(result), total=len(result.scores)
                )
            )
            pictures.grid(
                result,
                list(names),
                hover=text.CLASS_PICTURES_HOVER,
                hover_rgb=text.CLASS_PICTURES_HOVER_RGB,
                key=f"cmp_class_pictures_{name}",
            )
    st.caption(text.CLASS_PICTURES_EXPLAIN)


def _drawn(current: Comparison) -> dict[str, ClassPictures]:
    """Both networks' pictures, drawn once for the weights they have now."""
    earlier = st.session_state.get(PICTURES_KEY)
    steps = current.run.steps_done
    if earlier is not None and earlier[0] is current and earlier[1] == steps:
        return earlier[2]
    # Under the comparison's lock: a click on Continue must not train the networks while
    # their pictures are being drawn.
    with holding(current):
        drawn = {
            name: pictures.climb(
                current.run.models[name], text.CLASS_PICTURES_PROGRESS, network=name
            )
            for name in MODEL_NAMES
        }
    st.session_state[PICTURES_KEY] = (current, steps, drawn)
    return drawn
