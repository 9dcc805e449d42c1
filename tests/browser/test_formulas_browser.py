"""Formulas and charts as the browser draws them: KaTeX renders every formula, none loses its
end, and no chart is empty, on every page and after steps with each optimizer."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from browserkit import (
    ROOT,
    charts_drawn,
    every_number,
    formulas_past_the_edge,
    no_empty_charts,
    no_exceptions,
    no_formula_errors,
    no_hidden_formula_ends,
    wait_idle,
    whole_page,
)

from cnnexplain.io.datasets import load_digits28
from cnnexplain.model.spec import build_cnn, clone_model
from cnnexplain.texts import backprop as text
from cnnexplain.texts import inputs as inputs_text
from cnnexplain.texts import path as path_text
from cnnexplain.training import pretrained
from cnnexplain.training.store import DEFAULT_DATASET, DEFAULT_SPEC

pytestmark = pytest.mark.browser

BACKPROP = "Backpropagation, step by step"
WIDTHS = (1400, 1024)
# The pages app.py puts in the navigation (in the path's order), by the titles the sidebar shows.
PAGE_TITLES = [path_text.TITLES[page] for page in path_text.ORDER]
# The default network's stages in the order the backward pass walks them, after the loss box.
BACKWARD_STAGES = [name for name, _ in build_cnn(DEFAULT_SPEC).named_children()][::-1]


def all_is_well(page) -> None:
    no_exceptions(page)
    no_formula_errors(page)
    no_hidden_formula_ends(page)
    no_empty_charts(page)


def open_backprop(page, url: str) -> None:
    page.goto(url)
    wait_idle(page, timeout=180_000)
    page.get_by_role("link", name=BACKPROP).click()
    page.get_by_role("heading", name=text.TITLE).wait_for(timeout=60_000)
    wait_idle(page)
    every_number(page)  # the formulas are on the Every number level


def choose(page, label: str) -> None:
    """Click a radio option or a select box option of the page by its exact label (the
    sidebar's glossary names some of the same words)."""
    page.get_by_test_id("stMainBlockContainer").get_by_text(label, exact=True).click()
    wait_idle(page)


def steps_taken(page) -> int:
    found = re.search(r"Steps taken: (\d+)", page.inner_text("main"))
    return int(found.group(1)) if found else 0


def step(page) -> None:
    number = steps_taken(page) + 1
    page.get_by_role("button", name=text.STEP, exact=True).click()
    page.get_by_text(text.LOSS_AFTER.format(number=number), exact=True).wait_for(timeout=120_000)
    wait_idle(page, timeout=120_000)


def largest_learning_rate(page) -> None:
    slider = page.get_by_role("slider")
    slider.focus()
    slider.press("End")
    page.get_by_test_id("stSliderThumbValue").get_by_text("10", exact=True).wait_for(timeout=30_000)
    wait_idle(page)


def surest_test_picture() -> int:
    """The test picture the shipped default network is surest of: its loss is below 1e-6, so
    every gradient of a step on it is written with a power of ten, and Adam squares them."""
    data = load_digits28()
    entry = pretrained.load(DEFAULT_SPEC, data, DEFAULT_DATASET)
    assert entry is not None, "the shipped default weights no longer match the defaults"
    exact = clone_model(entry.model).double()
    with torch.no_grad():
        logits = exact(torch.from_numpy(data.x_test.astype(np.float64)))
    losses = F.cross_entropy(logits, torch.tensor(data.y_test), reduction="none")
    return int(torch.argmin(losses))


def choose_test_picture(page, index: int) -> None:
    number = page.get_by_role("spinbutton", name=inputs_text.SAMPLE_INDEX)
    number.fill(str(index))
    number.press("Enter")
    wait_idle(page)
    assert number.input_value() == str(index)


def every_backward_stage(page) -> list[str]:
    """Walk the backward pass with its Next button from the loss to the first convolution,
    checking each stage's formulas and charts; returns the LaTeX of every formula seen."""
    seen: list[str] = []
    for name in BACKWARD_STAGES:
        page.locator(".st-key-bp_stage_next button").click()
        heading = page.locator("h4").filter(has_text=re.compile(rf"^{re.escape(name)}:"))
        heading.wait_for(timeout=60_000)
        wait_idle(page)
        all_is_well(page)
        seen += page.eval_on_selector_all(
            ".katex-display annotation", "notes => notes.map(note => note.textContent)"
        )
    assert page.locator(".st-key-bp_stage_next button").is_disabled()  # conv1 is the last
    return seen


def formula_shot(page, source: str, name: str) -> None:
    """A picture of the display formula whose LaTeX contains `source`, in test-artifacts."""
    formula = page.locator(".katex-display").filter(has=page.locator("annotation", has_text=source))
    formula.first.scroll_into_view_if_needed()
    formula.first.screenshot(path=str(ROOT / "test-artifacts" / f"{name}.png"))


def test_the_navigation_lists_the_pages_of_app_py():
    assert len(PAGE_TITLES) == 5 and BACKPROP in PAGE_TITLES


def test_every_page_draws_its_formulas_and_charts(server_url, page):
    page.goto(server_url)
    wait_idle(page, timeout=180_000)
    every_number(page)
    for title in PAGE_TITLES:
        page.locator('[data-testid="stSidebarNavLink"]', has_text=title).click()
        page.wait_for_timeout(300)
        wait_idle(page)
        page.locator("h1").first.wait_for(timeout=60_000)
        all_is_well(page)


def test_each_optimizer_writes_out_its_arithmetic_in_formulas_that_fit(server_url, page):
    open_backprop(page, server_url)
    # The test picture the network is surest of: gradients far below 1e-6, written with powers
    # of ten, and for Adam squared. (The page starts on the picture it is least sure of.)
    choose_test_picture(page, surest_test_picture())
    shown = {}
    for kind in ("sgd", "momentum", "adam"):
        choose(page, text.OPTIMIZER_NAMES[kind])
        step(page)
        step(page)  # the second step starts from the memory the first one left
        all_is_well(page)
        shown[kind] = "\n".join(
            page.eval_on_selector_all(
                ".katex-display annotation", "notes => notes.map(note => note.textContent)"
            )
        )
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 1000})
            page.wait_for_timeout(500)
            assert formulas_past_the_edge(page) == [], (kind, width)
        page.set_viewport_size({"width": WIDTHS[0], "height": 1000})
    assert r"\mu\, b_{t-1}" in shown["momentum"]  # momentum's second step, with its memory
    # g, written with a power of ten, squared in brackets: never 10^{-7}^2.
    assert re.search(r"\\left\(-?[\d.]+\\times 10\^\{-\d+\}\\right\)\^2", shown["adam"])
    formula_shot(page, "m_t", "formula-adam")
    formula_shot(page, r"\partial w} &=", "formula-kernel-weight-sum")
    page.set_viewport_size({"width": 1024, "height": 1000})
    formula_shot(page, "m_t", "formula-adam-1024")
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.mouse.move(0, 0)
    whole_page(page, "backprop-adam")
    # Every stage of the backward pass writes its gradients with powers of ten, and renders.
    stages = every_backward_stage(page)
    assert sum(r"\times 10^{" in formula for formula in stages) >= 3, stages


def test_a_loss_that_explodes_stops_the_run_and_offers_to_undo(server_url, page):
    open_backprop(page, server_url)
    choose(page, text.SOURCES["batch"])  # 16 pictures the trained network knows well
    choose(page, text.OPTIMIZER_NAMES["adam"])
    largest_learning_rate(page)
    page.get_by_role("button", name=text.RUN).click()
    page.get_by_text("The run stopped after", exact=False).wait_for(timeout=300_000)
    wait_idle(page)
    main = page.inner_text("main")
    assert steps_taken(page) < 10
    assert "The loss exploded" in main
    assert "already sure" not in main
    undo = page.get_by_role("button", name=text.UNDO_EXPLODED)
    assert undo.is_enabled()
    all_is_well(page)  # numbers in the billions, written with powers of ten
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 1000})
        page.wait_for_timeout(500)
        assert formulas_past_the_edge(page) == [], width
    page.set_viewport_size({"width": WIDTHS[0], "height": 1000})
    # The loss curve, the probabilities, the chosen backward stage, the weight's products and
    # the kernels before and after: each drawn from numbers in the billions.
    no_empty_charts(page)
    drawn = {chart["id"] for chart in charts_drawn(page)}
    assert {"bp_loss_curve", "bp_probs", "bp_w_products", "bp_conv1_kernels"} <= drawn, drawn
    assert len(drawn) >= 6, drawn  # and the backward stage shown, with its own charts
    page.mouse.move(0, 0)
    page.get_by_role("heading", name=text.STEP_HEADER).evaluate(
        "heading => heading.scrollIntoView({block: 'start'})"
    )
    page.wait_for_timeout(500)
    page.screenshot(path=str(ROOT / "test-artifacts" / "backprop-exploded.png"))

    # Every stage of the backward pass, its numbers in the billions, renders.
    every_backward_stage(page)

    taken = steps_taken(page)
    undo.click()
    page.get_by_text(f"Step {taken} undone", exact=False).wait_for(timeout=60_000)
    wait_idle(page)
    assert steps_taken(page) == taken - 1
    assert "The loss exploded" not in page.inner_text("main")
    all_is_well(page)
