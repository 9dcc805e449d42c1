"""What the charts a backprop Step changes cost to draw again, and nothing else.

One button; each click draws, with new numbers, the same four figures a Step redraws (the
loss curve, probability against one-hot, the logits' gradient and the first convolution's
kernels before, after and changed), built by the app's own figure code at the default
network's sizes, on a page with nothing else. `tools.bench_clicks` clicks it in the same run
as the app: how far a Step can fall, short of showing fewer or plainer charts.
With ?charts=1 it draws only the kernels: what one changed chart costs.
"""

import numpy as np
import streamlit as st

from cnnexplain.figures import backprop as bpfig
from cnnexplain.texts import backprop as text
from cnnexplain.training.store import DEFAULT_SPEC
from cnnexplain.ui.kit.detail import at_level

CLASSES = [str(digit) for digit in range(10)]
FIRST = DEFAULT_SPEC.conv_blocks[0]
KERNELS = (FIRST.filters, DEFAULT_SPEC.in_channels, FIRST.kernel_size, FIRST.kernel_size)

st.button("Click", key="click")
clicks = st.session_state.get("clicks", 0) + 1
st.session_state["clicks"] = clicks
rng = np.random.default_rng(clicks)
before = rng.normal(size=KERNELS)
after = before + 0.05 * rng.normal(size=KERNELS)
figures = [("kernels", bpfig.kernel_change(before, after))]
if st.query_params.get("charts") != "1":
    probs = rng.dirichlet(np.ones(len(CLASSES)))
    onehot = np.eye(len(CLASSES))[3]
    losses = rng.random(clicks + 1)
    series = dict(zip(text.PROBS_SERIES, (probs, onehot), strict=True))
    figures += [
        ("loss", bpfig.loss_curve(range(1, clicks + 2), losses, losses * 0.9)),
        ("probs", bpfig.grouped_bars(series, labels=CLASSES)),
        ("dlogits", bpfig.bars(probs - onehot, labels=CLASSES)),
    ]
for name, figure in figures:
    st.plotly_chart(at_level(figure), key=name)
