"""What the networks learned, in a real browser: the first layers along a short training, and
the picture the forward page's network likes best for each class."""

from __future__ import annotations

import pytest
from browserkit import ARTIFACTS, no_exceptions, no_formula_errors, wait_idle, whole_page

from cnnexplain.texts import compare as text
from cnnexplain.texts import forward as forward_text
from cnnexplain.texts.path import TITLES
from cnnexplain.ui.compare.learned import SHOW_KEY as COMPARE_SHOW_KEY
from cnnexplain.ui.compare.snapshots import SLIDER_KEY
from cnnexplain.ui.forward.class_pictures import SHOW_KEY

pytestmark = pytest.mark.browser

TRAINING = 300_000  # ms: the machine is shared
SNAPSHOT_SLIDER = f'.st-key-{SLIDER_KEY} input[type="range"]'  # the slider's thumb
# What the timeline's ANN chart draws now, as text (null before it is drawn): the same
# weights give the same text.
ANN_DRAWN = """
() => {
    const plot = document.querySelector('[class*="st-key-cmp_snapshot_ANN_"] .js-plotly-plot');
    return plot && plot.data ? JSON.stringify(plot.data.map(trace => trace.z)) : null;
}
"""
CLASS_PICTURES = ".st-key-fwd_class_pictures_grid .js-plotly-plot"


def train_briefly(page, server_url: str) -> None:
    page.goto(server_url)
    wait_idle(page, timeout=180_000)  # the home page trains the default network once
    page.get_by_role("link", name=TITLES["compare"]).click()
    page.get_by_role("heading", name=text.TITLE).wait_for(timeout=60_000)
    wait_idle(page)
    box = page.get_by_label(text.EPOCHS, exact=True)
    box.fill("2")
    box.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name=text.RUN).click()
    page.get_by_role("heading", name=text.WHY_HEADER).wait_for(timeout=TRAINING)
    wait_idle(page)
    no_exceptions(page)


def test_scrub_the_first_layers_along_training_then_see_each_class_picture(server_url, page):
    train_briefly(page, server_url)
    page.get_by_text(text.SNAPSHOTS_SENTENCE).wait_for(timeout=60_000)
    slider = page.locator(SNAPSHOT_SLIDER)
    assert slider.get_attribute("aria-valuetext") == text.SNAPSHOT_EPOCH.format(epoch=2)
    page.wait_for_function(f"({ANN_DRAWN})() !== null", timeout=60_000)
    trained = page.evaluate(ANN_DRAWN)

    # Back to the start: the ANN's weights are the seeded ones again, not the trained ones.
    for _ in range(4):  # a key pressed while the page reruns can be lost: press until there
        slider.focus()
        slider.press("ArrowLeft")
        page.wait_for_timeout(500)  # past the slider's debounce, so the rerun has begun
        wait_idle(page)
        if slider.get_attribute("aria-valuetext") == text.SNAPSHOT_START:
            break
    page.wait_for_function(
        f"drawn => ({ANN_DRAWN})() !== null && ({ANN_DRAWN})() !== drawn",
        arg=trained,
        timeout=60_000,
    )
    wait_idle(page)
    assert page.locator(SNAPSHOT_SLIDER).get_attribute("aria-valuetext") == text.SNAPSHOT_START
    start = page.evaluate(ANN_DRAWN)
    no_exceptions(page)
    no_formula_errors(page)
    page.locator(SNAPSHOT_SLIDER).evaluate("el => el.scrollIntoView({block: 'start'})")
    page.mouse.move(0, 0)
    page.wait_for_timeout(500)
    page.screenshot(path=str(_artifact("learned-timeline-start")), full_page=True)

    # Play runs through every moment kept and ends on the last, the trained weights.
    page.get_by_role("button", name=text.SNAPSHOT_PLAY).click()
    page.wait_for_function(
        f"drawn => ({ANN_DRAWN})() !== null && ({ANN_DRAWN})() !== drawn",
        arg=start,
        timeout=60_000,
    )
    wait_idle(page)
    page.wait_for_function(f"drawn => ({ANN_DRAWN})() === drawn", arg=trained, timeout=60_000)
    assert page.locator(SNAPSHOT_SLIDER).get_attribute("aria-valuetext") == (
        text.SNAPSHOT_EPOCH.format(epoch=2)
    )
    no_exceptions(page)
    no_formula_errors(page)

    # Both networks' pictures per class, on their switch.
    page.locator(f".st-key-{COMPARE_SHOW_KEY}").get_by_text(text.CLASS_PICTURES_SHOW).click()
    for name in ("CNN", "ANN"):
        chart = f".st-key-cmp_class_pictures_{name} .js-plotly-plot"
        page.wait_for_function(
            f"document.querySelector('{chart}')?.data?.length === 10", timeout=120_000
        )
    wait_idle(page)
    no_exceptions(page)
    no_formula_errors(page)
    whole_page(page, "learned-compare-whole")

    # The forward page: switch on the pictures each class scores highest.
    page.get_by_role("link", name=TITLES["forward"]).click()
    page.get_by_role("heading", name=forward_text.CLASS_PICTURES_HEADER).wait_for(timeout=60_000)
    wait_idle(page)
    page.locator(f".st-key-{SHOW_KEY}").get_by_text(forward_text.CLASS_PICTURES_SHOW).click()
    page.wait_for_function(
        f"document.querySelector('{CLASS_PICTURES}')?.data?.length === 10", timeout=120_000
    )
    wait_idle(page)
    no_exceptions(page)
    no_formula_errors(page)
    verdict = page.get_by_text(forward_text.CLASS_PICTURES_VERDICT.split("{")[0].strip())
    assert verdict.count() == 1
    page.locator(CLASS_PICTURES).evaluate("el => el.scrollIntoView({block: 'start'})")
    page.mouse.move(0, 0)
    page.wait_for_timeout(500)
    page.screenshot(path=str(_artifact("learned-class-pictures")), full_page=False)


def _artifact(name: str):
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
