"""Watch it learn in a real browser: three steps, the timeline opened, back to the first step on
the slider, Play."""

from __future__ import annotations

import pytest
from browserkit import no_exceptions, no_formula_errors, screenshot, wait_idle

pytestmark = pytest.mark.browser

NAV_TITLE = "Backpropagation, step by step"
PAGE_TITLE = "Backpropagation, one step at a time"
SLIDER = '.st-key-bp_tl_step input[type="range"]'  # the slider's own keyboard control
TIMELINE_METRICS = (
    "Batch loss after step 3",
    "Loss on the first 100 test pictures",
    "Accuracy on the first 100 test pictures",
)


def metric_value(page, label: str) -> str:
    """The value shown under the metric called exactly `label`."""
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def step(page, number: int) -> str:
    """Press Step, wait for step `number`, and return its loss after, as the page writes it."""
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text(f"Loss after step {number}", exact=True).wait_for(timeout=120_000)
    wait_idle(page, timeout=120_000)
    return metric_value(page, f"Loss after step {number}")


def test_scrub_back_to_an_earlier_step_then_play_to_the_last(server_url, page):
    page.goto(server_url)
    wait_idle(page, timeout=180_000)
    page.get_by_role("link", name=NAV_TITLE).click()
    page.get_by_role("heading", name=PAGE_TITLE).wait_for(timeout=60_000)
    wait_idle(page)
    no_exceptions(page)

    losses = [step(page, number) for number in (1, 2, 3)]
    assert len(set(losses)) == 3, losses  # each step changed the loss
    # The timeline is shut until the learner opens it; then it starts on the latest step.
    assert not page.locator(SLIDER).count()
    page.locator(".st-key-bp_tl_show").get_by_text("Show the timeline", exact=True).click()
    page.get_by_text("Batch loss after step 3", exact=True).wait_for(timeout=60_000)
    wait_idle(page)
    assert metric_value(page, "Batch loss after step 3") == losses[2]

    slider = page.locator(SLIDER)
    slider.focus()
    slider.press("ArrowLeft")
    slider.press("ArrowLeft")
    page.get_by_text("Batch loss after step 1", exact=True).wait_for(timeout=60_000)
    wait_idle(page)
    assert metric_value(page, "Batch loss after step 1") == losses[0]
    assert page.locator(SLIDER).get_attribute("aria-valuetext") == "step 1"
    no_exceptions(page)

    page.get_by_role("button", name="Play", exact=True).click()
    page.get_by_text("Batch loss after step 3", exact=True).wait_for(timeout=120_000)
    wait_idle(page, timeout=120_000)
    assert metric_value(page, "Batch loss after step 3") == losses[2]
    assert page.locator(SLIDER).get_attribute("aria-valuetext") == "step 3"
    # The frames Play drew are gone: each of the step's numbers is on the page once.
    shown = page.get_by_test_id("stMetricLabel").all_inner_texts()
    for label in TIMELINE_METRICS:
        assert shown.count(label) == 1, shown
    no_exceptions(page)
    no_formula_errors(page)

    page.mouse.move(0, 0)  # no tooltip over the charts
    page.get_by_role("heading", name="Watch it learn").evaluate(
        "heading => heading.scrollIntoView({block: 'start'})"
    )
    page.wait_for_timeout(800)
    screenshot(page, "timeline")
