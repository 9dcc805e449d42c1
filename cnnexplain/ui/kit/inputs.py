"""The input picker shared by the forward and backprop pages: a test image, an upload, or a
drawing, and the true label that travels with it.

The last good picture is kept in the user's session: a broken upload shows its message and the
previous picture stays. The choices (where the picture comes from, its label) are kept too, so a
learner who visits another page finds them as they left them.

A test image comes with its label. The learner's own picture (uploaded or drawn) has none until
the learner says what it shows: until then `ChosenInput.label` is None, and the pages show the
network's answer and ask for the label instead of scoring the picture against a guess.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import NamedTuple, NoReturn

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from cnnexplain.io.datasets import Dataset
from cnnexplain.io.digit_prep import PREPARED_LIKE_SCANS, prepare_upload
from cnnexplain.io.images import MAX_UPLOAD_MB, ImageError, load_image, to_display
from cnnexplain.texts import inputs as text
from cnnexplain.ui.kit import datasets as named
from cnnexplain.ui.kit import errors
from cnnexplain.ui.kit.widgets import MEMORY_KEY, kept, recall, remember

KEY_PREFIX = "input_"  # every widget of the picker has a key that starts so
SOURCE_KEY = "input_source"
UPLOADED_KEY = "input_uploaded"  # the last good upload: {"wanted", "x", "preview", "name"}
CANVAS_PX = 280
PREVIEW_PX = 192


@dataclass(frozen=True)
class ChosenInput:
    """The picture going through the network, with its true label."""

    x: np.ndarray  # (C, H, W) float32 in [0, 1], exactly what the network receives
    label: int | None  # the true class; None while the learner's own picture has no label yet
    source: str  # "sample", "upload" or "draw"
    identity: str  # changes whenever the picture changes (keys widgets that depend on it)
    preview: np.ndarray | None  # the user's own picture for display, uint8, or None for samples


class _OwnPicture(NamedTuple):
    """An uploaded or drawn picture, before the learner says what it shows."""

    x: np.ndarray  # (C, H, W), what the network receives
    preview: np.ndarray  # uint8, for display
    identity: str  # changes whenever x changes
    subject: str  # names what the picture shows: its label is kept under this name


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


def _upload(data: Dataset) -> _OwnPicture | None:
    """The uploaded picture, the last good one when this upload is broken, or None."""
    file = st.file_uploader(
        text.UPLOAD.format(mb=MAX_UPLOAD_MB),
        max_upload_size=MAX_UPLOAD_MB,
        type=["png", "jpg", "jpeg", "gif", "bmp", "webp"],
        key="input_upload",
    )
    digit_style = kept(
        "input_digit_style",
        data.channels == 1,
        st.checkbox,
        text.DIGIT_STYLE,
        help=text.DIGIT_STYLE_HELP,
    )
    last_good = st.session_state.get(UPLOADED_KEY)
    if file is not None:
        wanted = (file.file_id, digit_style, data.channels, data.size)
        if last_good is None or last_good["wanted"] != wanted:
            try:
                x, preview = _decode(file.getvalue(), data, digit_style)
            except ImageError as err:
                st.error(errors.say(err))
                if last_good is not None:
                    st.caption(text.UPLOAD_KEPT)
            else:
                last_good = {"wanted": wanted, "x": x, "preview": preview, "name": file.name}
                st.session_state[UPLOADED_KEY] = last_good
    if last_good is None or last_good["x"].shape != (data.channels, data.size, data.size):
        st.info(text.UPLOAD_PROMPT)
        return None
    file_id, digit_style = last_good["wanted"][:2]
    # Cleaning up a drawing changes the pixels, not what it shows: the label belongs to the
    # file (and to the data set, whose classes it names).
    return _OwnPicture(
        last_good["x"],
        last_good["preview"],
        f"upload:{file_id}:{digit_style}",
        f"{data.name}:upload:{file_id}",
    )


def _draw(data: Dataset) -> _OwnPicture | None:
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
        st.error(errors.say(err))
        return None
    if float(x.max()) - float(x.min()) < 1e-3:
        st.info(text.DRAW_EMPTY)
        return None
    identity = f"draw:{hashlib.sha1(raw).hexdigest()}"
    return _OwnPicture(x, preview, identity, f"{data.name}:{identity}")


def input_picker(data: Dataset) -> ChosenInput:
    """Draw the picker; returns the picture to use and its label (None until the learner
    says what their own picture shows)."""
    sources = list(text.SOURCES)
    source = kept(
        SOURCE_KEY,
        sources[0],
        st.radio,
        text.SOURCE,
        sources,
        format_func=text.SOURCES.get,
        horizontal=True,
    )
    own = None
    if source == "upload":
        own = _upload(data)
    elif source == "draw":
        own = _draw(data)
    known: int | None
    if own is None:
        x, known, identity = _sample(data) if source == "sample" else _first_sample(data)
        preview, subject, source = None, identity, "sample"
    else:
        x, preview, identity, subject = own
        known = None  # only the learner knows what their picture shows
    label = _label_picker(data, f"input_label:{subject}", known)
    return ChosenInput(x=x, label=label, source=source, identity=identity, preview=preview)


def _label_picker(data: Dataset, key: str, known: int | None) -> int | None:
    """The true label: a test image's own, or the learner's choice, kept under `key`."""
    if recall(key, known) not in (None, *range(data.num_classes)):
        st.session_state[key] = known  # a class of another data set
    label = st.selectbox(
        text.LABEL,
        range(data.num_classes),
        index=None,
        format_func=lambda k: named.class_names(data)[k],
        key=key,
        placeholder=text.LABEL_PLACEHOLDER,
        required=True,  # a label can be changed, never taken back
        help=text.LABEL_HELP,
    )
    remember(key, label)
    return None if label is None else int(label)


def stop_until_labelled(message: str, drawn: tuple[str, ...] = ()) -> NoReturn:
    """Ask for the label with `message` and end the page here until the learner gives it.

    st.stop() keeps the state of every widget the page does not reach, and the browser then
    draws each one afresh at its first option when it comes back (a learning rate of 0.0001
    where the learner had chosen 0.01). So the remembered widgets not drawn in this run (all but
    the picker's and `drawn`, the keys of widgets drawn before it) forget that state, and come
    back with their remembered value (widgets.recall).
    """
    st.info(message)
    for key in st.session_state.get(MEMORY_KEY, {}):
        if not key.startswith(KEY_PREFIX) and key not in drawn:
            st.session_state.pop(key, None)
    st.stop()


def _first_sample(data: Dataset) -> tuple[np.ndarray, int, str]:
    return np.asarray(data.x_test[0]), int(data.y_test[0]), f"{data.name}:0"


def show_input(chosen: ChosenInput, data: Dataset) -> None:
    """The user's picture beside what the network receives."""
    from cnnexplain.figures import maps as figures

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
