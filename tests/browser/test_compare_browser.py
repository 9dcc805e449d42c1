"""The CNN-against-ANN page in a real browser: train both live, stop part-way, go on."""

from __future__ import annotations

import re

import pytest
from browserkit import no_exceptions, screenshot, wait_idle, whole_page

from cnnexplain.texts import compare as text

pytestmark = pytest.mark.browser

PAGE_TITLE = "CNN against a plain network"
TRAINING = 300_000  # ms: the machine is shared, and the first epoch of a CNN is the slowest
STOPPED_AT = re.compile(r"Training was stopped part-way, at (\d+)%")
CNN_EPOCHS = re.compile(r"the CNN trained (\d+\.\d) and the ANN")
PLOTLY_TRACES = """
() => Array.from(document.querySelectorAll('.js-plotly-plot'))
    .map(plot => (plot.data || []).map(trace => trace.name))
"""
# Points of the shortest training curve on the page (-1 while there is none).
TRAINING_POINTS = """
() => {
    const counts = Array.from(document.querySelectorAll('.js-plotly-plot'))
        .flatMap(plot => (plot.data || []).filter(trace => / training$/.test(trace.name)))
        .map(trace => trace.x.length);
    return counts.length ? Math.min(...counts) : -1;
}
"""


def open_page(page, server_url: str) -> None:
    page.goto(server_url)
    wait_idle(page, timeout=180_000)  # the home page trains the default network once
    page.get_by_role("link", name=PAGE_TITLE).click()
    page.get_by_role("heading", name=text.TITLE).wait_for(timeout=60_000)
    wait_idle(page)
    no_exceptions(page)


def set_epochs(page, epochs: int) -> None:
    box = page.get_by_label(text.EPOCHS, exact=True)
    box.fill(str(epochs))
    box.press("Enter")
    wait_idle(page)


def trace_names(page) -> set[str]:
    return {name for names in page.evaluate(PLOTLY_TRACES) for name in names if name}


def test_train_both_for_two_epochs_and_read_what_the_run_found(server_url, page):
    open_page(page, server_url)
    set_epochs(page, 2)
    page.get_by_role("button", name=text.RUN).click()
    page.get_by_role("heading", name=text.RESULTS_HEADER).wait_for(timeout=TRAINING)
    page.get_by_role("heading", name=text.WHY_HEADER).wait_for(timeout=60_000)
    wait_idle(page)
    no_exceptions(page)

    names = trace_names(page)
    for model in ("CNN", "ANN"):
        assert f"{model} {text.HELD_OUT_PART}" in names  # the learning curves
        assert f"{model} {text.TRAIN_PART}" in names
        assert model in names  # the robustness curves
    main = page.inner_text("main")
    assert text.COMPLETE.format(epochs=2) in main
    found = re.search(r"the CNN got (\d+\.\d)% of the 360 held-out pictures right", main)
    assert found, "the page states the CNN's accuracy"
    page.get_by_role("button", name=text.DOWNLOAD_CSV).wait_for(state="visible", timeout=60_000)

    # The README's picture: the learning curves and what the run found.
    page.get_by_role("heading", name=text.LIVE_HEADER).evaluate(
        "heading => heading.scrollIntoView({block: 'start'})"
    )
    page.mouse.move(0, 0)  # no hover labels or chart toolbars in the picture
    page.wait_for_timeout(500)
    screenshot(page, "compare")
    whole_page(page, "compare-whole")

    # The data-efficiency runs start on their button and stop on theirs.
    page.get_by_role("button", name=re.compile(r"^Measure this")).click()
    page.get_by_text(re.compile(r"^Training on 50 pictures: the CNN")).wait_for(timeout=60_000)
    page.get_by_role("button", name=text.STOP, exact=True).click()
    page.get_by_text(text.EFFICIENCY_STOPPED).wait_for(timeout=TRAINING)
    wait_idle(page)
    no_exceptions(page)
    assert page.get_by_role("button", name=text.RESUME).is_visible()
    whole_page(page, "compare-efficiency-stopped")


def test_stop_keeps_what_was_learned_and_continue_goes_on(server_url, page):
    open_page(page, server_url)
    page.get_by_role("button", name=text.RUN).click()  # the default: 15 epochs
    page.get_by_role("button", name=text.STOP, exact=True).wait_for(timeout=60_000)
    # The curves grow while both networks learn, then Stop.
    page.wait_for_function(f"({TRAINING_POINTS})() >= 2", timeout=TRAINING)
    grown = page.evaluate(TRAINING_POINTS)
    page.wait_for_function(f"({TRAINING_POINTS})() > {grown}", timeout=60_000)
    assert page.get_by_role("button", name=text.STOP, exact=True).is_visible()
    no_exceptions(page)
    page.get_by_role("button", name=text.STOP, exact=True).click()
    page.get_by_role("button", name=text.RESUME).wait_for(timeout=TRAINING)
    page.get_by_role("button", name=text.DOWNLOAD_MODEL.format(model="CNN")).wait_for()
    wait_idle(page)
    no_exceptions(page)
    main = page.inner_text("main")
    stopped = STOPPED_AT.search(main)
    assert stopped and int(stopped.group(1)) < 100
    epochs = CNN_EPOCHS.search(main)
    assert epochs, "the findings say how far each network trained"
    assert page.get_by_role("heading", name=text.RESULTS_HEADER).is_visible()
    whole_page(page, "compare-stopped")

    # Continue goes on from there (three more records of each network); stopping again keeps more.
    points = page.evaluate(TRAINING_POINTS)
    page.get_by_role("button", name=text.RESUME).click()
    page.get_by_role("button", name=text.STOP, exact=True).wait_for(timeout=60_000)
    page.wait_for_function(f"({TRAINING_POINTS})() >= {points + 3}", timeout=TRAINING)
    page.get_by_role("button", name=text.STOP, exact=True).click()
    page.get_by_role("button", name=text.RESUME).wait_for(timeout=TRAINING)
    page.get_by_role("button", name=text.DOWNLOAD_MODEL.format(model="CNN")).wait_for()
    wait_idle(page)
    no_exceptions(page)
    main = page.inner_text("main")
    again = STOPPED_AT.search(main)
    assert again and int(stopped.group(1)) < int(again.group(1)) < 100
    assert float(CNN_EPOCHS.search(main).group(1)) > float(epochs.group(1))
