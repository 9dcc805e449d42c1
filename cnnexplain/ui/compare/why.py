"""6. Why: where the difference comes from. The trained networks on moved, turned and noisy
pictures, fresh networks on fewer pictures, and what each first layer looks for."""

from __future__ import annotations

import streamlit as st

from cnnexplain.experiment.findings import chance_level
from cnnexplain.experiment.jobs import Comparison
from cnnexplain.experiment.result import ComparisonResult
from cnnexplain.experiment.robustness import RobustnessCurve
from cnnexplain.figures import compare as cmpfig
from cnnexplain.texts import compare as text
from cnnexplain.ui.compare import findings
from cnnexplain.ui.compare.efficiency import efficiency
from cnnexplain.ui.compare.learned import class_pictures, first_layers
from cnnexplain.ui.compare.snapshots import timeline


def show(
    current: Comparison, result: ComparisonResult, robustness: dict[str, RobustnessCurve] | None
) -> None:
    """Robustness curves, data efficiency, and what each first layer looks for."""
    st.subheader(text.WHY_HEADER)
    st.caption(text.WHY_INTRO)
    chance = chance_level(result)
    for kind, curve in (robustness or {}).items():
        _robustness(kind, curve, chance)
    state = text.ROBUST_STATE_DONE if result.complete else text.ROBUST_STATE_STOPPED
    st.caption(text.ROBUST_MEASURED_ON.format(n_test=len(result.y_test), state=state))

    st.markdown(f"**{text.EFFICIENCY_HEADER}**")
    efficiency(current, chance)

    st.markdown(f"**{text.LEARNED_HEADER}**")
    first_layers(current)
    timeline(current)
    class_pictures(current)


def _robustness(kind: str, curve: RobustnessCurve, chance: float) -> None:
    """One change to the pictures: the accuracy chart, why, and what it found."""
    chart, words = st.columns([3, 2])
    chart.plotly_chart(
        cmpfig.accuracy_lines(
            curve.levels,
            curve.accuracy,
            title=text.ROBUST_TITLES[kind],
            x_title=text.ROBUST_AXES[kind],
            y_title=text.ACC_AXIS,
            chance=chance,
            chance_label=text.CHANCE,
        ),
        key=f"cmp_robust_{kind}",
    )
    words.markdown(text.ROBUST_EXPLAIN[kind])
    words.info(findings.curve_words(curve))
