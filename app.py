"""cnnexplain: entry point. Page set-up and navigation between pages.

Each page draws the shared sidebar itself (cnnexplain.ui.kit.sidebar), so that a page and its
controls always run together.
"""

import streamlit as st
import torch

from cnnexplain.ui.kit.entry import mark_app_entry

# Many learners share one server and its few cores: one thread per torch operation lets their
# sessions run side by side instead of fighting over the same cores.
torch.set_num_threads(1)

st.set_page_config(page_title="cnnexplain", page_icon=":material/grid_on:", layout="wide")
mark_app_entry()

PAGES = [
    st.Page("pages/home.py", title="The whole network", icon=":material/home:", default=True),
    st.Page(
        "pages/forward.py", title="Forward pass, step by step", icon=":material/arrow_forward:"
    ),
    st.Page("pages/conv_lab.py", title="Convolution lab", icon=":material/blur_on:"),
    st.Page(
        "pages/backprop.py", title="Backpropagation, step by step", icon=":material/arrow_back:"
    ),
    st.Page(
        "pages/compare.py", title="CNN against a plain network", icon=":material/compare_arrows:"
    ),
]
st.navigation(PAGES).run()
