"""Make every page run inside app.py, even when a visit starts at a page's own address."""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def require_app_entry() -> None:
    """Rerun through app.py when Streamlit ran this page on its own.

    A server that finds a `pages/` folder starts in its older multipage mode, and keeps it until
    some session runs app.py's `st.navigation`. A first visitor who opens a page's address
    directly (a link shared in class, say) would get that page alone: no page set-up and a
    sidebar listing file names. Leaving that mode, as `st.navigation` itself does, and rerunning
    lets app.py build the navigation and then open the page the address names.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
