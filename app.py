"""cnnexplain: entry point. Page set-up and navigation between pages.

Each page draws the shared sidebar itself (cnnexplain.ui.kit.sidebar), so that a page and its
controls always run together.
"""

import streamlit as st
import torch

from cnnexplain.ui.kit.entry import mark_app_entry
from cnnexplain.ui.kit.language import keep_in_address, page_direction, take_from_address
from cnnexplain.ui.kit.path import navigation_pages

# Many learners share one server and its few cores: one thread per torch operation lets their
# sessions run side by side instead of fighting over the same cores.
torch.set_num_threads(1)

st.set_page_config(page_title="cnnexplain", page_icon=":material/grid_on:", layout="wide")
mark_app_entry()
take_from_address()  # ?lang=he: a link that opens in Hebrew
keep_in_address()
page_direction()

# The pages in teaching order, gentlest first (cnnexplain.texts.path.ORDER).
st.navigation(navigation_pages()).run()
