"""Data efficiency, on a button: fresh networks trained on fewer pictures, drawn as they finish."""

from __future__ import annotations

import streamlit as st

from cnnexplain.experiment.design import MODEL_NAMES
from cnnexplain.experiment.efficiency import DEFAULT_MIN_STEPS, EfficiencyRecord
from cnnexplain.experiment.jobs import STOPPED, Comparison
from cnnexplain.figures import compare as cmpfig
from cnnexplain.texts import compare as text
from cnnexplain.ui.compare import findings
from cnnexplain.ui.compare.state import holding


def efficiency(current: Comparison, chance: float) -> None:
    """Fresh networks on fewer pictures, on a button: it trains several more networks."""
    sizes = current.efficiency_sizes_for()
    st.caption(
        text.EFFICIENCY_EXPLAIN.format(
            sizes=", ".join(f"{s:,}" for s in sizes), min_steps=DEFAULT_MIN_STEPS
        )
    )
    job = current.efficiency
    row = st.container(horizontal=True, vertical_alignment="center")
    if row.button(
        text.EFFICIENCY_RUN.format(runs=len(MODEL_NAMES) * len(sizes)),
        key="cmp_efficiency",
        disabled=current.busy,
    ):
        current.start_efficiency()
        st.rerun()
    if job is None:
        return
    if job.running:
        row.button(text.STOP, key="cmp_efficiency_stop", on_click=job.request_stop)
    elif job.status == STOPPED:
        row.button(
            text.RESUME, key="cmp_efficiency_resume", on_click=job.resume, help=text.RESUME_HELP
        )
    progress = st.empty()  # only while the runs go on
    chart, found = st.columns([3, 2])
    chart_slot = chart.empty()
    drawn = {"count": 0}

    def draw() -> None:
        drawn["count"] += 1
        chart_slot.plotly_chart(
            _efficiency_figure(current, chance), key=f"cmp_efficiency_{drawn['count']}"
        )

    draw()
    if job.running:
        last = job.history[-1] if job.history else None
        bar = progress.progress(last.progress if last else 0.0, text=_progress_text(last))

        def on_record(record: EfficiencyRecord) -> None:
            bar.progress(record.progress, text=_progress_text(record))
            if record.final:
                draw()

        with holding(current):
            job.advance(on_record)
        st.rerun()
    if job.status == STOPPED:
        found.warning(text.EFFICIENCY_STOPPED)
    words = findings.efficiency_words(current.efficiency_curves())
    if words is not None:
        found.info(words)


def _efficiency_figure(current: Comparison, chance: float):
    curves = current.efficiency_curves()
    return cmpfig.accuracy_lines(
        {name: [size for size, _ in points] for name, points in curves.items()},
        {name: [acc for _, acc in points] for name, points in curves.items()},
        title=text.EFFICIENCY_HEADER,
        x_title=text.EFFICIENCY_AXIS,
        y_title=text.ACC_AXIS,
        chance=chance,
        chance_label=text.CHANCE,
        log_x=True,
    )


def _progress_text(record: EfficiencyRecord | None) -> str:
    if record is None:
        return ""
    return text.EFFICIENCY_PROGRESS.format(
        size=record.size, model=record.model, done=record.progress
    )
