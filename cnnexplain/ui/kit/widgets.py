"""Small widgets shared by several pages, and the safe way to show a learner's own words."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

from cnnexplain.io.datasets import Dataset
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


MEMORY_KEY = "widget_memory"  # the last value of widgets that must outlive a page change


def recall(key: str, default: Any) -> Any:
    """Start widget `key` from the value it had when it was last drawn.

    Streamlit forgets a widget's value when a run does not draw it (the learner is on another
    stage or another page), so the pages keep their own copy. Create the widget without a
    default value of its own: this sets it.
    """
    memory = st.session_state.setdefault(MEMORY_KEY, {})
    if key not in st.session_state:
        st.session_state[key] = memory.get(key, default)
    return st.session_state[key]


def recall_choice(key: str, options: list[Any], default: Any) -> Any:
    """`recall` for a widget choosing among `options`: a remembered value that is no longer
    one of them (the network changed under it) gives way to `default`."""
    if recall(key, default) not in options:
        st.session_state[key] = default
    return st.session_state[key]


def remembered(key: str, default: Any) -> Any:
    """The value widget `key` was last drawn with (`default` if never), read without setting
    the widget: a key set while its widget is not drawn outlives the learner's next choice."""
    return st.session_state.get(MEMORY_KEY, {}).get(key, default)


def remember(key: str, value: Any) -> Any:
    """Keep the value widget `key` shows now, for the next time it is drawn; returns it."""
    st.session_state.setdefault(MEMORY_KEY, {})[key] = value
    return value


def kept(key: str, default: Any, widget: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Draw `widget(*args, key=key, **kwargs)` (st.radio, a column's number_input, ...) starting
    from its remembered value (`default` the first time), and remember what it shows; returns
    that."""
    recall(key, default)
    return remember(key, widget(*args, key=key, **kwargs))


def format_shape(shape: tuple[int, ...]) -> str:
    """(8, 28, 28) -> '8 × 28 × 28'."""
    return " × ".join(str(s) for s in shape)


# Every ASCII punctuation character: CommonMark shows each one literally after a backslash.
_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")
# Line breaks and other control characters would start a new paragraph, heading or list item.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
# Two marks are found in the text after escapes are undone: web and e-mail addresses (turned
# into links) and emoji codes such as ":smile:". An invisible word joiner after every ":" and
# "@" and before the "." of "www." keeps them plain text.
_UNESCAPABLE = re.compile(r"(?<=[:@])|(?i:(?<=www)(?=\.))")
WORD_JOINER = "\u2060"


def escape_markdown(text: object) -> str:
    """`text` (a file or class name from the learner) for a sentence in Markdown, shown as is.

    st.markdown, st.caption, st.info, st.error and widget labels read Markdown, a little HTML
    and Streamlit's own :colour[...] and :material/...: marks. Escaped here, a file called
    "**<img src=x>**.png" shows as exactly that. Line breaks become spaces; a web or e-mail
    address or an emoji code stays text, with an invisible word joiner inside it.
    """
    text = _CONTROL.sub(" ", str(text))
    text = _UNESCAPABLE.sub(WORD_JOINER, text)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def problem(heading: str, detail: str) -> None:
    """A refusal: our heading in red, then the library's message, which may quote a file or
    class name, as plain text (never as Markdown)."""
    st.error(heading)
    st.text(detail)
