"""Both first layers along the training: one timeline, a slider and a Play button.

The run keeps the snapshots (`experiment.snapshots`); this section only draws them. Play runs
through them inside one script run, like the live training does, so a click anywhere stops it.
"""

from __future__ import annotations

import time

import streamlit as st

from cnnexplain.experiment.design import ANN, CNN
from cnnexplain.experiment.jobs import Comparison
from cnnexplain.experiment.snapshots import Snapshot
from cnnexplain.figures import compare as cmpfig
from cnnexplain.texts import compare as text
from cnnexplain.ui.kit.detail import every_number

SLIDER_KEY = "cmp_snapshot"  # index of the snapshot shown
PLAY_KEY = "cmp_snapshot_play"  # set by the Play button: run through them on this script run
PLAY_SECONDS = 0.6  # each snapshot stays this long while playing
COLUMNS = {ANN: 4, CNN: 4}  # pictures per row on each side


def _timeline(current: Comparison) -> list[tuple[Snapshot, Snapshot]]:
    """(ANN snapshot, CNN snapshot) pairs of the same moment, in order."""
    ann, cnn = current.run.snapshots[ANN], current.run.snapshots[CNN]
    # A stopped run may have ended an epoch for one network and not yet for the other.
    return list(zip(ann, cnn, strict=False))


def _label(snapshot: Snapshot) -> str:
    if snapshot.epoch == 0:
        return text.SNAPSHOT_START
    if every_number():
        return text.SNAPSHOT_STEP.format(epoch=snapshot.epoch, step=snapshot.step)
    return text.SNAPSHOT_EPOCH.format(epoch=snapshot.epoch)


def _play(last: int) -> None:
    st.session_state[PLAY_KEY] = True
    st.session_state[SLIDER_KEY] = last  # where the slider stands once the play is over


def _draw(slots, pair: tuple[Snapshot, Snapshot], drawn: int) -> None:
    """Both first layers at one moment, into the two columns' places."""
    for slot, name, snapshot, unit, caption in zip(
        slots,
        (ANN, CNN),
        pair,
        (text.UNIT_ANN, text.UNIT_CNN),
        (text.SNAPSHOT_ANN, text.SNAPSHOT_CNN),
        strict=True,
    ):
        weights = snapshot.weights
        with slot.container():
            st.caption(caption.format(shown=len(weights)))
            st.plotly_chart(
                cmpfig.weight_grid(
                    weights,
                    [f"{unit} {k}" for k in range(len(weights))],
                    cell_hover=text.WEIGHT_HOVER
                    if weights.shape[1] == 1
                    else text.WEIGHT_HOVER_RGB,
                    columns=COLUMNS[name],
                ),
                # A new key for each picture a play draws: one run may not reuse a key.
                key=f"cmp_snapshot_{name}_{drawn}",
            )


def timeline(current: Comparison) -> None:
    """The section: a slider over the moments kept, Play, and both first layers at that moment."""
    pairs = _timeline(current)
    if len(pairs) < 2:
        return
    st.markdown(f"**{text.SNAPSHOTS_HEADER}**")
    st.caption(text.SNAPSHOTS_SENTENCE)
    last = len(pairs) - 1
    if st.session_state.get(SLIDER_KEY) not in range(len(pairs)):
        st.session_state[SLIDER_KEY] = last
    row = st.container(horizontal=True, vertical_alignment="bottom")
    with row:
        chosen = st.select_slider(
            text.SNAPSHOT_SLIDER,
            options=range(len(pairs)),
            format_func=lambda i: _label(pairs[i][0]),
            key=SLIDER_KEY,
            help=text.SNAPSHOT_SLIDER_HELP,
        )
        st.button(
            text.SNAPSHOT_PLAY,
            key="cmp_snapshot_play_button",
            on_click=_play,
            args=(last,),
            help=text.SNAPSHOT_PLAY_HELP,
        )
    slots = [column.empty() for column in st.columns(2)]
    if st.session_state.pop(PLAY_KEY, False):
        for i, pair in enumerate(pairs):
            _draw(slots, pair, i)
            time.sleep(PLAY_SECONDS)
    else:
        _draw(slots, pairs[chosen], 0)
    st.caption(text.SNAPSHOTS_KEPT.format(kept=len(pairs) - 1))
