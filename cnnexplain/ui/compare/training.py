"""4. Training, live: the buttons that start, stop and continue it, and both learning curves.

Training runs inside the script run (see `experiment.jobs`): `live` reads the run on,
drawing a progress bar and both learning curves as it goes, until it ends or the learner
presses Stop; then the page reruns once, to draw the buttons and results as they now are.
"""

from __future__ import annotations

import time

import streamlit as st

from cnnexplain.experiment.design import ANN, CNN, MODEL_NAMES, Experiment
from cnnexplain.experiment.jobs import STOPPED, Comparison
from cnnexplain.experiment.metrics import current_epochs, held_out_curve, training_curve
from cnnexplain.figures import compare as cmpfig
from cnnexplain.texts import compare as text
from cnnexplain.ui.compare.data import DataChoice
from cnnexplain.ui.compare.state import STATE_KEY, comparison, holding

# Steps of one network between two records. Five steps of the default CNN take a few tenths of
# a second on a shared two-core machine, so the curves grow several times a second.
REPORT_EVERY = 5
REDRAW_SECONDS = 0.5  # the curves are redrawn at most this often (the progress bar every record)


def buttons(planned: Experiment | None, choice: DataChoice | None) -> Comparison | None:
    """Train both / Stop / Continue; returns the learner's comparison."""
    current = comparison()
    busy = current is not None and current.busy
    row = st.container(horizontal=True, vertical_alignment="center")
    if row.button(text.RUN, key="cmp_run", type="primary", disabled=planned is None or busy):
        st.session_state[STATE_KEY] = Comparison.start(
            planned, choice.data, choice.title, report_every=REPORT_EVERY
        )
        st.rerun()  # draw the page again with the Stop button, then train
    if current is not None and current.training.running:
        row.button(
            text.STOP,
            key="cmp_stop",
            on_click=current.training.request_stop,
            help=text.STOP_HELP,
        )
    elif current is not None and current.training.status == STOPPED:
        row.button(
            text.RESUME,
            key="cmp_resume",
            on_click=current.resume,
            disabled=busy,
            help=text.RESUME_HELP,
        )
    if (
        current is not None
        and planned is not None
        and (planned != current.experiment or choice.data is not current.data)
    ):
        row.caption(text.SETTINGS_CHANGED)
    return current


def _progress_text(current: Comparison) -> str:
    epochs = current_epochs(current.run.history)
    return text.PROGRESS.format(
        cnn_epoch=epochs[CNN],
        ann_epoch=epochs[ANN],
        epochs=current.experiment.config.epochs,
        done=current.run.progress,
    )


def curve_figures(current: Comparison) -> tuple:
    """(loss figure, accuracy figure) of both networks' training so far."""
    figures = []
    for measure, held, title, axis, percent in (
        ("train_loss", "test_loss", text.LOSS_TITLE, text.LOSS_AXIS, False),
        ("train_acc", "test_acc", text.ACC_TITLE, text.ACC_AXIS, True),
    ):
        train, held_out = {}, {}
        for name in MODEL_NAMES:
            records = list(current.run.history[name])
            train[name] = training_curve(
                records, current.steps_per_epoch, len(current.data.x_train), measure
            )
            held_out[name] = held_out_curve(records, held)
        figures.append(
            cmpfig.learning_curves(
                train,
                held_out,
                title=title,
                x_title=text.EPOCH_AXIS,
                y_title=axis,
                train_label=text.TRAIN_PART,
                held_out_label=text.HELD_OUT_PART,
                percent=percent,
            )
        )
    return tuple(figures)


def live(current: Comparison | None, slot) -> None:
    """The progress and both learning curves; trains on while the comparison is running."""
    if current is None:
        slot.caption(text.WAITING)
        return
    with slot.container():
        st.subheader(text.LIVE_HEADER)
        # The progress bar shows only while training runs; then `status` says how it ended.
        progress = st.empty()
        status = st.empty()
        loss_slot, acc_slot = (column.empty() for column in st.columns(2))
        st.caption(text.CURVES_EXPLAIN)
        drawn = {"count": 0, "at": 0.0}

        def draw_curves() -> None:
            drawn["count"] += 1
            loss, acc = curve_figures(current)
            loss_slot.plotly_chart(loss, key=f"cmp_loss_{drawn['count']}")
            acc_slot.plotly_chart(acc, key=f"cmp_acc_{drawn['count']}")
            drawn["at"] = time.monotonic()

        draw_curves()
        if current.training.running:
            bar = progress.progress(min(1.0, current.run.progress), text=_progress_text(current))
            status.caption(text.RUNNING_NOTE)

            def on_record(record) -> None:
                bar.progress(min(1.0, record.progress), text=_progress_text(current))
                if time.monotonic() - drawn["at"] >= REDRAW_SECONDS:
                    draw_curves()

            with holding(current):
                current.advance_training(on_record)
                progress.empty()
                if current.needs_measuring:
                    with st.spinner(text.MEASURING):
                        current.measure()
            st.rerun()  # the buttons and the results, as they now are
        if current.needs_measuring:  # e.g. stopped before this run could measure it
            with holding(current), st.spinner(text.MEASURING):
                if current.needs_measuring:
                    current.measure()
        if current.result is not None and not current.result.complete:
            status.warning(text.STOPPED.format(done=current.run.progress))
        elif current.result is not None:
            status.success(text.COMPLETE.format(epochs=current.experiment.config.epochs))
