"""cnnexplain: entry point. Sets up the page and the navigation between pages."""

import streamlit as st

st.set_page_config(page_title="cnnexplain", page_icon=":material/grid_on:", layout="wide")

navigation = st.navigation(
    [
        st.Page("pages/home.py", title="The whole network", icon=":material/home:", default=True),
    ]
)
navigation.run()
