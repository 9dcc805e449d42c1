"""Convolution lab: one kernel on one small picture, with padding, stride and dilation."""

import streamlit as st

from cnnexplain.core.kernels import (
    finds_vertical_edges,
    lab_convolve,
    padded_picture,
    size_formula,
)
from cnnexplain.texts import conv_lab as text
from cnnexplain.ui.conv_lab import views
from cnnexplain.ui.conv_lab.predict import size_question
from cnnexplain.ui.kit import errors, path, predict, tasks
from cnnexplain.ui.kit.detail import every_number
from cnnexplain.ui.kit.sidebar import architecture_sidebar
from cnnexplain.ui.kit.widgets import problem

architecture_sidebar()
st.title(text.TITLE, anchor="lab-title")
path.opening("conv_lab")
st.write(text.INTRO)


@st.fragment
def lab() -> None:
    """The picture, the kernel and the settings, then everything they drive: a fragment, so
    that a change of setting redraws the lab alone, not the page around it."""
    # The size question may have been answered before this run; in every run, full ones too,
    # since a fragment's run may draw the sidebar's score only where the last full run did.
    predict.redraw_score()
    picture_column, kernel_column, settings_column = st.columns(views.TOP_COLUMNS, gap="medium")
    with picture_column:
        st.subheader(text.INPUT_HEADER, anchor="lab-input")
        picture = views.choose_picture()  # (H, W)
        st.caption(text.INPUT_SHAPE.format(H=picture.shape[0], W=picture.shape[1]))
    with kernel_column:
        st.subheader(text.KERNEL_HEADER, anchor="lab-kernel")
        kernel = views.choose_kernel()  # (K, K)
    with settings_column:
        st.subheader(text.SETTINGS_HEADER, anchor="lab-settings")
        stride, padding, dilation = views.choose_settings()

    st.subheader(text.FORMULA_HEADER, anchor="lab-formula")
    try:
        rows = size_formula(picture.shape[0], kernel.shape[0], stride, padding, dilation)
        cols = size_formula(picture.shape[1], kernel.shape[1], stride, padding, dilation)
    except ValueError as err:
        problem(text.SETTINGS_REFUSED, errors.say(err))
        return
    if every_number():
        views.show_formula(rows, cols)
    else:
        st.caption(text.SIMPLE_FORMULA)

    try:
        result = lab_convolve(picture, kernel, stride, padding, dilation)
    except ValueError as err:
        st.error(text.EMPTY_OUTPUT)
        st.caption(text.EMPTY_DETAIL.format(message=errors.say(err).removeprefix("conv2d: ")))
        st.plotly_chart(
            views.input_figure(padded_picture(picture, padding), padding), key="lab_input_map"
        )
        return

    Ho, Wo = result.output.shape
    if size_question(*picture.shape, kernel.shape[0], stride, padding, dilation):
        st.markdown(text.OUTPUT_SHAPE.format(Ho=Ho, Wo=Wo, n=Ho * Wo))

    st.subheader(text.MAPS_HEADER, anchor="lab-maps")
    i, j = views.choose_position(Ho, Wo)
    steps = views.play_positions(i * Wo + j, Ho * Wo)
    played = len(steps) > 1 and st.button(
        text.PLAY.format(n=len(steps)), key="lab_play", help=text.PLAY_HELP
    )
    input_slot, output_slot = (column.empty() for column in st.columns(2))
    line_slot = st.empty()
    window = views.window_at(result, i, j)
    views.show_maps(result, window, i, j, (input_slot, output_slot))
    st.caption(text.MAPS_LEGEND)

    st.subheader(text.POSITION_HEADER, anchor="lab-position")
    views.show_window(window, i, j)

    ticked = False
    if kernel.shape[0] >= 5 and result.output.shape == picture.shape:
        ticked = tasks.tick("conv_lab", "same_size") or ticked
    if stride >= 2 and Ho < picture.shape[0]:
        ticked = tasks.tick("conv_lab", "stride_two") or ticked
    if finds_vertical_edges(kernel):
        ticked = tasks.tick("conv_lab", "vertical_edges") or ticked
    if played:
        views.play(result, steps, (input_slot, output_slot, line_slot))
        st.rerun()
    if ticked:
        st.rerun()  # the checklist above the lab shows the tick after a full run


lab()
path.next_step("conv_lab")
