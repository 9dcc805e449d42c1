"""The smallest page a click can cost: one button and one 28x28 heatmap.

`tools.bench_clicks` serves it next to the app and clicks both in the same run, so that a
click on the app is reported against this one, timed on the same machine at the same moment.
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

st.button("Click", key="click")
z = np.random.default_rng(0).random((28, 28))
st.plotly_chart(go.Figure(go.Heatmap(z=z)), key="heatmap")
