"""The backpropagation page in a real browser: upload a picture, step, watch the loss change."""

from __future__ import annotations

import io
import re

import pytest
from browserkit import (
    no_empty_charts,
    no_exceptions,
    no_formula_errors,
    screenshot,
    wait_idle,
    whole_page,
)
from PIL import Image, ImageDraw

from cnnexplain.texts import backprop as bp_text

pytestmark = pytest.mark.browser

NAV_TITLE = "Backpropagation, step by step"
PAGE_TITLE = "Backpropagation, one step at a time"
LOSS_AFTER = re.compile(r"Loss after step (\d+)\s+(\S+)")
LARGEST_CHANGE = re.compile(r"any kernel weight in this step: (\S+)\.")


def two_png() -> bytes:
    """A dark 2 drawn on light paper, like a photo of a handwritten digit.

    The default network, trained on scikit-learn's digits, reads this 2 as another digit, so
    stepping it towards the true label changes the loss visibly.
    """
    img = Image.new("L", (200, 200), 235)
    draw = ImageDraw.Draw(img)
    draw.arc([(55, 35), (145, 115)], 180, 30, fill=20, width=16)
    draw.line([(135, 95), (55, 165), (150, 165)], fill=20, width=16)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return buffer.getvalue()


def loss_after(page) -> tuple[int, float]:
    match = LOSS_AFTER.search(page.inner_text("main"))
    assert match, "the page shows the loss after the last step"
    return int(match.group(1)), float(match.group(2))


def step(page, number: int) -> None:
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text(f"Loss after step {number}", exact=True).wait_for(timeout=120_000)
    wait_idle(page, timeout=120_000)


def test_upload_a_picture_and_watch_the_kernels_learn(server_url, page, tmp_path):
    picture = tmp_path / "two.png"
    picture.write_bytes(two_png())

    page.goto(server_url)
    wait_idle(page, timeout=180_000)
    page.get_by_role("link", name=NAV_TITLE).click()
    page.get_by_role("heading", name=PAGE_TITLE).wait_for(timeout=60_000)
    wait_idle(page)
    assert "Press Step" in page.inner_text("main")
    no_exceptions(page)

    page.get_by_text("upload your own", exact=True).click()
    wait_idle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(picture)
    page.get_by_text("Your picture", exact=True).wait_for(timeout=60_000)
    wait_idle(page)
    no_exceptions(page)
    # It is a 2, and the true label says so.
    # A click that must first scroll the page lands while it still moves and opens nothing:
    # scroll first.
    label_box = page.locator('[data-testid="stSelectbox"]').filter(has_text="True label")
    label_box.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    label_box.click()
    page.get_by_role("option", name="2", exact=True).click()
    wait_idle(page)
    # A small learning rate, 0.0002 (two notches below the default 0.001), so that the loss
    # comes down over several steps rather than in one.
    slider = page.get_by_role("slider")
    slider.focus()
    slider.press("ArrowLeft")
    slider.press("ArrowLeft")
    page.get_by_text("0.0002", exact=True).wait_for(timeout=30_000)
    wait_idle(page)

    step(page, 1)
    number, first = loss_after(page)
    text = page.inner_text("main")
    assert number == 1
    assert float(LARGEST_CHANGE.search(text).group(1)) > 0  # the kernels changed
    for heading in (
        "Going backwards, stage by stage",
        "One kernel weight, number by number",
        "Every kernel before and after the step",
    ):
        assert heading in text, heading
    # One stage of the backward pass at a time: Next walks them from the loss to conv1.
    next_stage = page.get_by_role("button", name=bp_text.STAGE_NEXT, exact=True)
    shown = [text]
    while next_stage.is_enabled():
        next_stage.click()
        page.wait_for_timeout(300)  # the run the click started
        wait_idle(page)
        shown.append(page.inner_text("main"))
    no_exceptions(page)
    for stage in ("logits:", "flatten:", "maxpool2:", "relu1:", "conv1:"):
        assert any(stage in words for words in shown), stage
    assert "conv1:" in shown[-1]

    step(page, 2)
    step(page, 3)
    number, third = loss_after(page)
    assert number == 3 and third != first
    assert "conv1:" in page.inner_text("main")  # the stage chosen stays through the steps
    no_empty_charts(page)
    no_exceptions(page)
    no_formula_errors(page)

    page.mouse.move(0, 0)  # no tooltip in the pictures
    page.get_by_role("heading", name="Take a step").evaluate(
        "heading => heading.scrollIntoView({block: 'start'})"
    )
    page.wait_for_timeout(500)
    screenshot(page, "backprop")
    whole_page(page, "backprop-full")

    page.get_by_role("button", name="Undo", exact=True).click()
    page.get_by_text("Step 3 undone", exact=False).wait_for(timeout=60_000)
    wait_idle(page)
    assert "Steps taken: 2" in page.inner_text("main")
    assert loss_after(page)[0] == 2
    no_exceptions(page)
