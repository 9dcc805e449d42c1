"""The learner's comparison, kept in their session, and the lock one script run trains under."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from cnnexplain.experiment.jobs import Comparison
from cnnexplain.experiment.result import ComparisonResult
from cnnexplain.experiment.robustness import RobustnessCurve
from cnnexplain.texts import compare as text

STATE_KEY = "cmp_comparison"
LOCK_WAIT_SECONDS = 30  # how long a script run waits for the one it interrupted to let go


def comparison() -> Comparison | None:
    """The learner's comparison, if they have started one."""
    return st.session_state.get(STATE_KEY)


@contextmanager
def holding(current: Comparison) -> Iterator[None]:
    """Hold the comparison's lock; if the interrupted run keeps it too long, try again later."""
    if not current.lock.acquire(timeout=LOCK_WAIT_SECONDS):
        st.info(text.BUSY)
        st.rerun()
    try:
        yield
    finally:
        current.lock.release()


def measurements(
    current: Comparison | None,
) -> tuple[ComparisonResult, dict[str, RobustnessCurve] | None] | None:
    """(result, robustness curves) of the learner's comparison; None before it is measured.

    A click on Continue drops the measurements while an interrupted script run may still be
    drawing them: the page reads them once, here, and draws every section from what it read.
    """
    if current is None:
        return None
    result, robustness = current.result, current.robustness
    return None if result is None else (result, robustness)
