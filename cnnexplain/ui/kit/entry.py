"""Make every page run inside app.py, even when a visit starts at a page's own address."""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

ENTRY_KEY = "app_entry_ran"


def mark_app_entry() -> None:
    """Called by app.py: this session has been through the entry point."""
    st.session_state[ENTRY_KEY] = True


def require_app_entry() -> None:
    """Rerun through app.py when Streamlit ran this page on its own, before app.py ever ran.

    A server that finds a `pages/` folder starts in its older multipage mode, and keeps it until
    some session runs app.py's `st.navigation`. A first visitor who opens a page's address
    directly (a link shared in class, say) would get that page alone: no page set-up and a
    sidebar listing file names. Leaving that mode, as `st.navigation` itself does, and rerunning
    lets app.py build the navigation and then open the page the address names. A session that
    has been through app.py never reruns here, so no click of its is lost.
    """
    if PagesManager.uses_pages_directory and not st.session_state.get(ENTRY_KEY):
        PagesManager.uses_pages_directory = False
        st.rerun()
