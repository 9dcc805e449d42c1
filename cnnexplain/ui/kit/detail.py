"""The "Simple / Every number" switch every page shares.

Simple shows the pictures, the story and the key numbers; Every number adds the full
arithmetic and notation. Both show the live model's real numbers: Simple only leaves sections
out. The choice lives under its own session key, because Streamlit drops a widget's key when
the learner moves to another page.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from cnnexplain.texts import sidebar as text

LEVEL_KEY = "detail_level"  # the remembered choice: "simple" or "every"
WIDGET_KEY = "detail_choice"  # the control's own key, rebuilt from LEVEL_KEY on every page
SIMPLE, EVERY = "simple", "every"
LEVELS = (SIMPLE, EVERY)


def _level() -> str:
    level = st.session_state.get(LEVEL_KEY, SIMPLE)
    return level if level in LEVELS else SIMPLE


def _chosen() -> None:
    st.session_state[LEVEL_KEY] = st.session_state[WIDGET_KEY]


def detail_switch() -> None:
    """Draw the control (in the current container, the sidebar's top) from the remembered
    choice; a change is remembered before the page runs again."""
    # Set from the remembered choice each run, so a choice made on another page, or set
    # directly in the session, is what the control shows.
    st.session_state[WIDGET_KEY] = _level()
    st.radio(
        text.DETAIL_LABEL,
        LEVELS,
        format_func=text.DETAIL_OPTIONS.__getitem__,
        horizontal=True,
        key=WIDGET_KEY,
        on_change=_chosen,
        help=text.DETAIL_HELP,
    )


def every_number() -> bool:
    """True when the learner asked for every number, False for Simple (the default)."""
    return _level() == EVERY


def at_level(fig: go.Figure) -> go.Figure:
    """`fig`, freshly built for this run, with its axis and colour-bar ticks written as the
    level writes numbers: plain decimals in Simple (0.0005, never 5e-4); as drawn otherwise."""
    if every_number():
        return fig
    # Set one property on each axis, colour axis and heatmap directly: plotly's update_*
    # helpers reach the same properties through a generic batch update that costs tens of
    # milliseconds a figure, and a step draws many figures.
    layout = fig.layout
    for name in layout:
        if name.startswith(("xaxis", "yaxis")):
            layout[name].exponentformat = "none"
        elif name.startswith("coloraxis"):
            layout[name].colorbar.exponentformat = "none"
    for trace in fig.data:
        if trace.type == "heatmap":
            trace.colorbar.exponentformat = "none"
    return fig
