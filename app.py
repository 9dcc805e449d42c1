"""cnnexplain: entry point. Page set-up and navigation between pages.

Each page draws the shared sidebar itself (cnnexplain.ui.sidebar), so that a page and its
controls always run together.
"""

import streamlit as st

st.set_page_config(page_title="cnnexplain", page_icon=":material/grid_on:", layout="wide")

navigation = st.navigation(
    [
        st.Page("pages/home.py", title="The whole network", icon=":material/home:", default=True),
    ]
)
navigation.run()
