"""The input picker shared by the forward and backprop pages: a test image, an upload, or a
drawing, and the true label that travels with it.

The last good picture is kept in the user's session: a broken upload shows its message and the
previous picture stays. The choices (where the picture comes from, its label) are kept too, so a
learner who visits another page finds them as they left them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from cnnexplain.data import Dataset
from cnnexplain.digit_prep import PREPARED_LIKE_SCANS, prepare_upload
from cnnexplain.images import MAX_UPLOAD_MB, ImageError, load_image, to_display
from cnnexplain.texts import inputs as text
from cnnexplain.ui.widgets import recall, remember

SOURCE_KEY = "input_source"
UPLOADED_KEY = "input_uploaded"  # the last good upload: {"wanted", "x", "preview", "name"}
CANVAS_PX = 280
PREVIEW_PX = 192


@dataclass(frozen=True)
class ChosenInput:
    """The picture going through the network, with its true label."""

    x: np.ndarray  # (C, H, W) float32 in [0, 1], exactly what the network receives
    label: int  # the true class, chosen by the user
    source: str  # "sample", "upload" or "draw"
    identity: str  # changes whenever the picture changes (keys widgets that depend on it)
    preview: np.ndarray | None  # the user's own picture for display, uint8, or None for samples


def _sample(data: Dataset) -> tuple[np.ndarray, int, str]:
    last = len(data.x_test) - 1
    st.session_state["input_sample_index"] = min(int(recall("input_sample_index", 0)), last)
    index = st.number_input(
        text.SAMPLE_INDEX,
        min_value=0,
        max_value=last,
        step=1,
        key="input_sample_index",
        help=text.SAMPLE_HELP,
    )
    remember("input_sample_index", index)
    return np.asarray(data.x_test[index]), int(data.y_test[index]), f"{data.name}:{index}"


def _decode(raw: bytes, data: Dataset, digit_style: bool) -> tuple[np.ndarray, np.ndarray]:
    """(network input, preview) for raw image bytes; raises ImageError."""
    if digit_style and data.name in PREPARED_LIKE_SCANS:  # made as the built-in digits were
        x = prepare_upload(raw)
    else:
        x = load_image(raw, channels=data.channels, size=data.size, digit_style=digit_style)
    preview = to_display(load_image(raw, channels=3, size=PREVIEW_PX))
    return x, preview


def _upload(data: Dataset) -> tuple[np.ndarray, np.ndarray, str] | None:
    """The uploaded picture, the last good one when this upload is broken, or None."""
    file = st.file_uploader(
        text.UPLOAD.format(mb=MAX_UPLOAD_MB),
        max_upload_size=MAX_UPLOAD_MB,
        type=["png", "jpg", "jpeg", "gif", "bmp", "webp"],
        key="input_upload",
    )
    recall("input_digit_style", data.channels == 1)
    digit_style = remember(
        "input_digit_style",
        st.checkbox(text.DIGIT_STYLE, key="input_digit_style", help=text.DIGIT_STYLE_HELP),
    )
    kept = st.session_state.get(UPLOADED_KEY)
    if file is not None:
        wanted = (file.file_id, digit_style, data.channels, data.size)
        if kept is None or kept["wanted"] != wanted:
            try:
                x, preview = _decode(file.getvalue(), data, digit_style)
            except ImageError as err:
                st.error(str(err))
                if kept is not None:
                    st.caption(text.UPLOAD_KEPT)
            else:
                kept = {"wanted": wanted, "x": x, "preview": preview, "name": file.name}
                st.session_state[UPLOADED_KEY] = kept
    if kept is None or kept["x"].shape != (data.channels, data.size, data.size):
        st.info(text.UPLOAD_PROMPT)
        return None
    return kept["x"], kept["preview"], f"upload:{kept['wanted'][0]}:{kept['wanted'][1]}"


def _draw(data: Dataset) -> tuple[np.ndarray, np.ndarray, str] | None:
    st.caption(text.DRAW_PROMPT)
    canvas = st_canvas(
        stroke_width=22,
        stroke_color="#FFFFFF",
        background_color="#000000",
        height=CANVAS_PX,
        width=CANVAS_PX,
        drawing_mode="freedraw",
        return_image_data=True,
        key="input_canvas",
    )
    raw = canvas.image_bytes
    if raw is None:
        st.info(text.DRAW_EMPTY)
        return None
    try:
        x, preview = _decode(raw, data, digit_style=data.channels == 1)
    except ImageError as err:
        st.error(str(err))
        return None
    if float(x.max()) - float(x.min()) < 1e-3:
        st.info(text.DRAW_EMPTY)
        return None
    return x, preview, f"draw:{hashlib.sha1(raw).hexdigest()}"


def input_picker(data: Dataset) -> ChosenInput:
    """Draw the picker; returns the picture to use and its label."""
    sources = list(text.SOURCES)
    recall(SOURCE_KEY, sources[0])
    source = st.radio(
        text.SOURCE, sources, format_func=text.SOURCES.get, horizontal=True, key=SOURCE_KEY
    )
    remember(SOURCE_KEY, source)
    own = None
    if source == "upload":
        own = _upload(data)
    elif source == "draw":
        own = _draw(data)
    if own is None:
        x, label, identity = _sample(data) if source == "sample" else _first_sample(data)
        preview = None
        source = "sample"
    else:
        x, preview, identity = own
        label = 0
    label_key = f"input_label:{identity}"
    if recall(label_key, label) not in range(data.num_classes):
        st.session_state[label_key] = label
    label = st.selectbox(
        text.LABEL,
        range(data.num_classes),
        format_func=lambda k: data.class_names[k],
        key=label_key,
        help=text.LABEL_HELP,
    )
    remember(label_key, label)
    return ChosenInput(x=x, label=int(label), source=source, identity=identity, preview=preview)


def _first_sample(data: Dataset) -> tuple[np.ndarray, int, str]:
    return np.asarray(data.x_test[0]), int(data.y_test[0]), f"{data.name}:0"


def show_input(chosen: ChosenInput, data: Dataset) -> None:
    """The user's picture beside what the network receives."""
    from cnnexplain import figures

    left, right = st.columns(2)
    if chosen.preview is not None:
        with left:
            st.caption(text.ORIGINAL)
            st.image(chosen.preview, width=PREVIEW_PX)
        target = right
    else:
        target = left
    with target:
        channels = text.CHANNEL_NAMES.get(data.channels, str(data.channels))
        st.caption(text.NETWORK_INPUT.format(size=data.size, channels=channels))
        st.plotly_chart(figures.image(chosen.x, height=260), key="input_network_view")
