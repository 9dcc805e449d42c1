"""Helpers the browser tests share."""

from __future__ import annotations

import os
from pathlib import Path

from cnnexplain.texts.predict import SKIP
from cnnexplain.texts.sidebar import DETAIL_EVERY

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
EXCEPTION = '[data-testid="stException"]'  # a traceback shown on the page
STALE = '[data-stale="true"]'  # what the last run drew and this one has not (yet) replaced


def wait_idle(page, timeout: int = 300_000) -> None:
    """Wait until the script has finished its run (a first visit may train the default model)."""
    page.wait_for_selector(APP_IDLE, timeout=timeout)


def every_number(page) -> None:
    """Choose Every number, the level that shows the full arithmetic, in the sidebar (a learner
    starts on Simple); the choice holds on every page until it is changed."""
    switch = page.get_by_test_id("stSidebar").get_by_role("radiogroup")
    switch.get_by_text(DETAIL_EVERY, exact=True).click()
    page.wait_for_function(
        """label => [...document.querySelectorAll('[data-testid="stSidebar"] input:checked')]
            .some(input => input.closest('label').innerText.trim() === label)""",
        arg=DETAIL_EVERY,
        timeout=60_000,
    )
    page.wait_for_timeout(300)  # the run the click started
    wait_idle(page)


def choose(page, box_label: str, option: str, tries: int = 5) -> None:
    """Pick `option` in the select box labelled `box_label`.

    A rerun may redraw the box between finding it and clicking it, and then the click opens
    nothing: open it again until its list shows the option.
    """
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=box_label)
    wanted = page.get_by_role("option", name=option, exact=True)
    for _ in range(tries):
        wait_idle(page)
        page.wait_for_selector(STALE, state="detached", timeout=60_000)
        try:
            box.scroll_into_view_if_needed(timeout=10_000)
            page.wait_for_timeout(300)  # a click while the page still scrolls opens nothing
            box.click(timeout=10_000)
            wanted.wait_for(timeout=5_000)
        except Exception:  # the box was redrawn under the scroll or the click: find it again
            page.keyboard.press("Escape")
            continue
        wanted.click()
        wait_idle(page)
        return
    raise AssertionError(f"{box_label!r} never offered {option!r}")


def press_until(button, reached, *, tries: int = 5, wait_ms: int = 30_000) -> None:
    """Click `button` until `reached` (a sign that the click's run has begun) is visible.

    While a run redraws the page several times a second (live training), a click can land as
    the button is drawn again, or while the connection is briefly lost on a loaded machine,
    and then it reaches nothing: a learner clicks again, and so does this.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(1, tries + 1):
        if button.is_visible():
            button.click(timeout=wait_ms)
        try:
            reached.wait_for(timeout=wait_ms)
            return
        except PlaywrightTimeout:
            if attempt == tries:
                raise


def skip_predictions(page, skip: str = SKIP) -> None:
    """Skip every open "predict, then see" question on the page: on Simple a page asks them
    before it shows what they hide (the output's size, the network's answer, a pooled window)."""
    from playwright.sync_api import expect

    skips = page.locator('[data-testid="stMain"]').get_by_role("button", name=skip, exact=True)
    for _ in range(10):  # a run still drawing may add a question after the count was taken
        wait_idle(page)
        left = skips.count()
        if left == 0:
            return
        skips.first.click()
        expect(skips).not_to_have_count(left, timeout=60_000)  # the click's run is drawn
    raise AssertionError("questions kept appearing")


def no_exceptions(page) -> None:
    """The page shows no traceback."""
    assert page.locator(EXCEPTION).count() == 0


def no_formula_errors(page) -> None:
    """Every formula on the page renders.

    KaTeX does not raise on a formula it cannot parse: it shows the source in red, in an element
    of class katex-error whose title holds the parse error.
    """
    errors = page.locator(".katex-error")
    titles = [errors.nth(i).get_attribute("title") for i in range(errors.count())]
    assert not titles, titles


# For each display formula: its LaTeX source, how far its content reaches past its own box
# (overflow), whether that box scrolls sideways, and how far the box itself reaches past the
# Markdown block that holds it (clipped: that block hides what passes its edge).
_FORMULA_WIDTHS = """
() => Array.from(document.querySelectorAll('.katex-display')).map(display => {
    const source = display.querySelector('annotation');
    const block = display.closest('[data-testid="stMarkdownContainer"]') || display.parentElement;
    return {
        formula: (source ? source.textContent : display.textContent).trim().slice(0, 120),
        overflow: display.scrollWidth - display.clientWidth,
        scrolls: ['auto', 'scroll'].includes(getComputedStyle(display).overflowX),
        clipped: display.getBoundingClientRect().right - block.getBoundingClientRect().right,
    };
})
"""


def formulas_past_the_edge(page, tolerance_px: float = 4) -> list[dict]:
    """The display formulas wider than the room they have, as {formula, overflow, scrolls,
    clipped}; [] when every one fits.

    A formula with `scrolls` true and `clipped` 0 can still be read to its end by scrolling it
    sideways, but Streamlit shows a scrollbar only while the pointer is over it, so its end looks
    cut off. KaTeX's aligned lines reach a pixel or two past their box with nothing drawn there:
    `tolerance_px` allows for that.
    """
    return [
        f
        for f in page.evaluate(_FORMULA_WIDTHS)
        if f["overflow"] > tolerance_px or f["clipped"] > tolerance_px
    ]


def no_hidden_formula_ends(page) -> None:
    """Every display formula can be read to its end: it fits, or it scrolls sideways."""
    hidden = [f for f in formulas_past_the_edge(page) if not f["scrolls"] or f["clipped"] > 4]
    assert not hidden, hidden


# Every plotly chart Streamlit placed on the page, drawn or not: the plot inside its container
# (null until plotly has drawn it), its traces and its size. Charts hidden with their tab or
# expander have no box and are left out.
_CHARTS = """
() => Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'))
    .filter(chart => chart.getClientRects().length > 0)
    .map(chart => {
        const plot = chart.querySelector('.js-plotly-plot');
        const box = (plot || chart).getBoundingClientRect();
        return {
            id: chart.closest('[class*="st-key-"]')?.className.match(/st-key-(\\S+)/)?.[1] || '',
            drawn: Boolean(plot),
            traces: plot && plot.data ? plot.data.length : 0,
            width: Math.round(box.width),
            height: Math.round(box.height),
        };
    })
"""


def charts_drawn(page, timeout: int = 60_000) -> list[dict]:
    """Wait until plotly has drawn every chart on the page; returns them as {id, drawn, traces,
    width, height} (plotly's code arrives after the page's)."""
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'))
            .filter(chart => chart.getClientRects().length > 0)
            .every(chart => chart.querySelector('.js-plotly-plot'))""",
        timeout=timeout,
    )
    return page.evaluate(_CHARTS)


def no_empty_charts(page) -> None:
    """Every chart on the page is drawn, with at least one trace, in a box of some size."""
    empty = [c for c in charts_drawn(page) if not c["traces"] or c["width"] < 1 or c["height"] < 1]
    assert not empty, empty


def whole_page(page, name: str) -> None:
    """The whole page in test-artifacts, not only the window.

    Streamlit scrolls inside its own main element, so a full-page screenshot shows one window's
    worth: grow the window to the page's height, then put it back.
    """
    viewport = page.viewport_size
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": viewport["width"], "height": min(int(height), 16_000)})
    page.wait_for_timeout(1500)  # the charts redraw at the new size
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(viewport)


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot; also refresh the README's copy when asked to."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("CNNEXPLAIN_UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)
    return path
