"""The glossary on screen: hover help for the controls that set a term, and the full list.

Every definition comes from `cnnexplain.texts.glossary`, so a term reads the same wherever it
appears.
"""

from __future__ import annotations

import streamlit as st

from cnnexplain.texts import glossary as text


def entry(term: str) -> str:
    """One term and its definition, as the glossary writes it."""
    return text.ENTRY.format(name=text.NAMES[term], definition=text.DEFINITIONS[term])


def term_help(*terms: str, more: str = "") -> str:
    """Hover help for a control that sets `terms`: their definitions, then `more` if given."""
    return "\n\n".join([entry(term) for term in terms] + ([more] if more else []))


def show_glossary(expanded: bool = False) -> None:
    """Every term of the glossary in alphabetical order, in an expander."""
    with st.expander(text.HEADER, expanded=expanded):
        st.caption(text.INTRO)
        for term in sorted(text.NAMES, key=lambda key: text.NAMES[key].casefold()):
            st.markdown(entry(term))
