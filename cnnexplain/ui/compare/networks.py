"""2. The networks: the sidebar's CNN, and the ANN it is compared with."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from cnnexplain.experiment.design import ann_for
from cnnexplain.model.cost import multiply_adds
from cnnexplain.model.spec import ArchitectureError, CNNSpec, MLPSpec, mlp_matching_budget
from cnnexplain.model.spec import count_parameters as count
from cnnexplain.texts import compare as text
from cnnexplain.ui.compare.data import DataChoice
from cnnexplain.ui.kit import errors, session
from cnnexplain.ui.kit.sidebar import parse_widths
from cnnexplain.ui.kit.widgets import kept, problem

MAX_ANN_DEPTH = 3


@dataclass(frozen=True)
class Networks:
    """The two networks the learner chose to compare."""

    cnn: CNNSpec  # the sidebar's network, fitted to the chosen pictures
    mlp: MLPSpec  # the ANN
    match_budget: bool  # the ANN was sized to the CNN's parameter count


def choose(choice: DataChoice) -> Networks | None:
    """Show the CNN, and choose the ANN; None (with the reason shown) when it cannot be built."""
    cnn = choice.cnn
    left, right = st.columns(2)
    with left:
        st.markdown(
            text.CNN_LINE.format(
                blocks=len(cnn.conv_blocks),
                filters=", ".join(str(b.filters) for b in cnn.conv_blocks),
                dense=", ".join(str(w) for w in cnn.dense) or text.NO_DENSE,
                params=count(cnn),
            )
        )
        if choice.own and cnn != session.current_spec():
            st.caption(text.CNN_REFITTED.format(classes=cnn.num_classes))
    with right:
        match = kept("cmp_match", True, st.checkbox, text.MATCH, help=text.MATCH_HELP)
        mlp = _matching_ann(cnn) if match else _typed_ann(cnn)
        if mlp is None:
            return None
        st.markdown(
            text.ANN_LINE.format(
                widths=", ".join(str(w) for w in mlp.hidden) or text.NO_DENSE,
                params=count(mlp),
                ratio=count(mlp) / count(cnn),
            )
        )
    cnn_macs, ann_macs = multiply_adds(cnn), multiply_adds(mlp)
    st.markdown(
        text.WORK_LINE.format(cnn_macs=cnn_macs, ann_macs=ann_macs, ratio=ann_macs / cnn_macs)
    )
    st.caption(text.WORK_WHY)
    return Networks(cnn, mlp, match)


def _matching_ann(cnn: CNNSpec) -> MLPSpec:
    """The ANN of as many parameters as `cnn`, with the hidden layers the learner asks for."""
    depth = kept(
        "cmp_ann_depth", 1, st.number_input, text.DEPTH, 1, MAX_ANN_DEPTH, help=text.DEPTH_HELP
    )
    return mlp_matching_budget(cnn, depth=int(depth))


def _typed_ann(cnn: CNNSpec) -> MLPSpec | None:
    """The ANN of the widths the learner types; None, with the reason shown, if there is none."""
    default = ", ".join(str(w) for w in mlp_matching_budget(cnn).hidden)
    typed = st.text_input(text.WIDTHS, default, key="cmp_ann_widths", help=text.WIDTHS_HELP)
    widths = parse_widths(typed)
    if widths is None:
        st.error(text.WIDTHS_BAD)
        return None
    try:
        return ann_for(cnn, widths)
    except ArchitectureError as err:
        problem(text.BAD_SETUP, errors.say(err))
        return None
