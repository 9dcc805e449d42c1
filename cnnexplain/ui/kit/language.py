"""The learner's language: English unless the address (?lang=he) or the sidebar picker asks
for another; remembered for the session, so it holds on every page.

The choice lives under its own session key (Streamlit drops a widget's key when the learner
moves to another page), and the words find it there while a page draws
(cnnexplain.texts.language): nothing shared between learners holds words.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cnnexplain.texts import language
from cnnexplain.texts import languages as text

LANGUAGE_KEY = "language"  # the remembered choice: "en" or "he"
WIDGET_KEY = "language_choice"
ADDRESS_KEY = "language_from_address"  # the last ?lang= value taken from the address
PARAMETER = "lang"

# Kept left to right inside a right-to-left page: formulas, charts, code, pictures, the
# controls whose direction carries meaning (a slider's low end is on the left, as on its axis)
# and a metric's number and change (whose minus sign would otherwise land on the right).
_RTL_CSS = """
<style>
[data-testid="stMain"], [data-testid="stSidebar"] { direction: rtl; text-align: right; }
[data-testid="stMain"] .katex-display, [data-testid="stMain"] .katex,
[data-testid="stMain"] .js-plotly-plot, [data-testid="stPlotlyChart"],
[data-testid="stImage"], [data-testid="stCode"], [data-testid="stSlider"],
[data-testid="stCustomComponentV1"], [data-testid="stDataFrame"], code, pre {
    direction: ltr; text-align: left;
}
[data-testid="stMain"] .katex-display { text-align: center; }
[data-testid="stMetricValue"], [data-testid="stMetricDelta"] { direction: ltr; }
</style>
"""
# Streamlit writes a few words of its own in English only: in another language they are
# hidden (the uploader's limits, which the uploader's label already says) or replaced.
_STREAMLIT_WORDS_CSS = """
<style>
[data-testid="stFileUploaderDropzoneInstructions"] { display: none; }
[data-testid="stWidgetLabelRequired"],
[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"]
    *:not([data-testid="stIconMaterial"]) {
    font-size: 0;
}
[data-testid="stWidgetLabelRequired"]::after {
    content: "%(required)s"; font-size: 0.75rem; margin-inline-start: 0.25rem;
}
[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"]::after {
    content: "%(upload)s"; font-size: 0.875rem;
}
</style>
"""


def _remembered() -> str:
    if get_script_run_ctx() is None:  # no learner's page is being drawn
        return language.ENGLISH
    chosen = st.session_state.get(LANGUAGE_KEY, language.ENGLISH)
    return chosen if chosen in language.LANGUAGES else language.ENGLISH


language.use(_remembered)


def take_from_address() -> None:
    """Follow ?lang= when the address brings a new one (a link a teacher handed out)."""
    asked = st.query_params.get(PARAMETER)
    if asked in language.LANGUAGES and asked != st.session_state.get(ADDRESS_KEY):
        st.session_state[ADDRESS_KEY] = asked
        st.session_state[LANGUAGE_KEY] = asked


def keep_in_address() -> None:
    """Write the learner's language into the address (moving to another page drops it), so
    that a link copied from any page opens in the same language."""
    chosen = _remembered()
    shown = st.query_params.get(PARAMETER)
    if shown != chosen and (chosen != language.ENGLISH or shown is not None):
        st.query_params[PARAMETER] = chosen
        st.session_state[ADDRESS_KEY] = chosen


def _chosen() -> None:
    chosen = st.session_state[WIDGET_KEY]
    st.session_state[LANGUAGE_KEY] = chosen
    st.session_state[ADDRESS_KEY] = chosen
    st.query_params[PARAMETER] = chosen  # the address now shares the choice


def language_picker() -> None:
    """The picker (in the current container, the sidebar's top), drawn from the remembered
    choice."""
    st.session_state[WIDGET_KEY] = _remembered()
    st.radio(
        text.LABEL,
        language.LANGUAGES,
        format_func=text.NAMES.__getitem__,
        horizontal=True,
        key=WIDGET_KEY,
        on_change=_chosen,
        help=text.HELP,
    )


def page_direction() -> None:
    """Lay the page out right to left when the learner's language reads that way, and put
    Streamlit's own English words in the learner's language."""
    chosen = _remembered()
    if language.is_right_to_left(chosen):
        st.html(_RTL_CSS)
    if chosen != language.ENGLISH:
        st.html(_STREAMLIT_WORDS_CSS % {"required": text.REQUIRED, "upload": text.UPLOAD})
