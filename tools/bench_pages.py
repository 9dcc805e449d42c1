"""Speed of the pages as a learner feels it: `python -m tools.bench --only pages`.

A page's rerun is timed headless with Streamlit's AppTest (the script runs exactly as on the
server, without a browser), as a median over many reruns, next to the rerun of a blank page
timed in the same run: the machines are shared and noisy, so the ratio travels better than
the milliseconds.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tools.bench import Figure, median_ms

APP = Path(__file__).resolve().parents[1] / "app.py"
BLANK_PAGE = 'import streamlit as st\n\nst.write("A blank page.")\n'
SIDEBAR_PAGE = (
    "from cnnexplain.ui.kit.sidebar import architecture_sidebar\n\narchitecture_sidebar()\n"
)
TIMEOUT_S = 600  # the first run trains the default model


def _script_rerun_ms(source: str, repeats: int) -> float:
    """Median rerun time of a one-file Streamlit script."""
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "page.py"
        path.write_text(source)
        at = AppTest.from_file(str(path), default_timeout=TIMEOUT_S).run()
        at.run()
        return median_ms(at.run, repeats, warmup=0)


def bench_forward_page(passes: int = 3) -> dict[str, float]:
    """Rerun times of the forward page after a stage change, with the default model.

    The app is run once first (training the default model if this process has not yet) and
    the walk through every stage is made once before timing, so neither training nor the
    first drawing of each stage's figures is counted; that first walk is reported apart.
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).run()
    at.switch_page("pages/forward.py").run()
    if at.exception:
        raise RuntimeError(f"the forward page failed: {at.exception[0].value}")
    # The list shows titles ("5. conv2: convolution (16 × 14 × 14)"); it is set by name.
    names = [_stage_name(title) for title in at.selectbox(key="fwd_stage").options]

    def visit(name: str) -> None:
        at.selectbox(key="fwd_stage").set_value(name).run()

    first = []
    for name in names[1:] + names[:1]:
        start = time.perf_counter()
        visit(name)
        first.append((time.perf_counter() - start) * 1000.0)
    steady = []
    for _ in range(passes):
        for name in names[1:] + names[:1]:
            start = time.perf_counter()
            visit(name)
            steady.append((time.perf_counter() - start) * 1000.0)
    if at.exception:
        raise RuntimeError(f"the forward page failed: {at.exception[0].value}")
    rerun_ms = statistics.median(steady)
    blank_ms = _script_rerun_ms(BLANK_PAGE, repeats=len(steady))
    sidebar_ms = _script_rerun_ms(SIDEBAR_PAGE, repeats=len(steady))
    return {
        "forward_page_rerun_ms": rerun_ms,
        "forward_page_rerun_vs_blank": rerun_ms / blank_ms,
        "forward_page_first_visit_ms": statistics.median(first),
        "blank_page_rerun_ms": blank_ms,
        "sidebar_page_rerun_ms": sidebar_ms,
        "forward_page_rerun_vs_sidebar": rerun_ms / sidebar_ms,
    }


def _stage_name(title: str) -> str:
    """'5. conv2: convolution (16 × 14 × 14)' -> 'conv2'."""
    return title.split(". ", 1)[1].split(":", 1)[0]


NOTES = {
    "forward_page_rerun_ms": ("ms", "median rerun after a stage change; target <= 150"),
    "forward_page_rerun_vs_blank": ("ratio", "against a blank page, same run; target <= 4"),
    "forward_page_first_visit_ms": ("ms", "first visit of each stage (figures drawn anew)"),
    "blank_page_rerun_ms": ("ms", "one st.write, same AppTest"),
    "sidebar_page_rerun_ms": ("ms", "the shared sidebar alone, which every page draws"),
    "forward_page_rerun_vs_sidebar": ("ratio", "against the sidebar-only page"),
}


def figures() -> Iterator[Figure]:
    """The forward page's figures in the form `tools.bench` prints."""
    for name, value in bench_forward_page().items():
        unit, note = NOTES[name]
        yield Figure(name, value, unit, note)
