"""The forward page in a real browser: a photo of a digit, stepped through from input to loss."""

import io
import re

import numpy as np
import pytest
from browserkit import (
    ARTIFACTS,
    choose,
    every_number,
    no_exceptions,
    screenshot,
    wait_idle,
    whole_page,
)
from PIL import Image, ImageDraw

from cnnexplain.figures import theme
from cnnexplain.texts import forward as text

pytestmark = pytest.mark.browser

STEPS = [
    "input",
    "conv1",
    "relu1",
    "maxpool1",
    "conv2",
    "relu2",
    "maxpool2",
    "flatten",
    "dense1",
    "dense1_relu",
    "logits",
    "probs",
    "loss",
]


def photo_of_a_seven() -> bytes:
    """A dark 7 written on light, grainy paper, photographed at 1200×900: a JPEG."""
    rng = np.random.default_rng(3)
    paper = 215 + rng.normal(0, 9, size=(900, 1200)) + np.linspace(-12, 12, 1200)[None, :]
    img = Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8)).convert("RGB")
    draw = ImageDraw.Draw(img)
    ink = (35, 35, 45)
    draw.line([(470, 260), (760, 250)], fill=ink, width=42)
    draw.line([(760, 250), (590, 690)], fill=ink, width=42)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=88)
    return out.getvalue()


FIRST_RUN_MS = 300_000  # a fresh server trains the default model first; shared machines are slow


def open_forward_page(server_url, page) -> None:
    page.goto(server_url)
    wait_idle(page, timeout=FIRST_RUN_MS)
    page.get_by_role("link", name="Forward pass, step by step").click()
    page.locator("h1").filter(has_text=text.TITLE).wait_for(timeout=FIRST_RUN_MS)
    wait_idle(page)


def stage_heading(page, n: int, name: str):
    return page.locator("h3").filter(has_text=re.compile(rf"^{n}\. {re.escape(name)}:"))


def scroll_to_top(locator) -> None:
    """Scroll so that the element sits at the top of the window."""
    locator.evaluate("e => e.scrollIntoView({block: 'start'})")
    locator.page.wait_for_timeout(300)


def conv1_output_chart(page):
    """The chart of the conv1 output map in view (its title ends "conv1 · channel f")."""
    charts = page.locator('[data-testid="stPlotlyChart"]')
    names = charts.evaluate_all("els => els.map(e => e.innerText)")
    return charts.nth(next(k for k, t in enumerate(names) if re.search(r"conv1 · channel \d+$", t)))


def test_a_photo_goes_through_every_stage_to_the_loss(server_url, page):
    open_forward_page(server_url, page)
    every_number(page)  # the walk below reads the arithmetic of each stage
    photo = ARTIFACTS / "photo-of-a-seven.jpg"
    photo.write_bytes(photo_of_a_seven())
    page.get_by_text("upload your own", exact=True).click()
    wait_idle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(photo))
    page.get_by_text("Your picture", exact=True).wait_for(timeout=60_000)
    wait_idle(page)
    no_exceptions(page)
    # Only the learner knows what the photo shows: the page gives the answer and asks.
    ask = page.locator('[data-testid="stAlert"]').filter(has_text="What does your picture show?")
    ask.wait_for(timeout=60_000)
    body = page.inner_text("body")
    assert "The network says 7" in body
    assert "The loss is" not in body and "The true label is" not in body
    whole_page(page, "forward-upload-no-label")
    choose(page, "True label", "7")
    page.get_by_text("The true label is 7").wait_for(timeout=60_000)
    wait_idle(page)
    body = page.inner_text("body")
    assert "The network says 7" in body and "the answer is right" in body
    assert "The loss is" in body and ask.count() == 0
    assert page.locator('[data-testid="stAlert"]').filter(has_text="is trained").count() == 1
    whole_page(page, "forward-upload-labelled")

    stage_heading(page, 1, "input").wait_for(timeout=60_000)
    for n, name in enumerate(STEPS[1:], start=2):
        page.get_by_role("button", name=text.NEXT).click()
        stage_heading(page, n, name).wait_for(timeout=60_000)
        wait_idle(page)
        no_exceptions(page)
        if name == "conv1":
            page.get_by_text(text.CONV_ARITHMETIC_HEADER.strip("*")).wait_for()
            scroll_to_top(stage_heading(page, n, name))
            screenshot(page, "forward")
            scroll_to_top(page.get_by_text(text.CONV_ARITHMETIC_HEADER.strip("*")))
            screenshot(page, "forward-conv")
            whole_page(page, "forward-conv-whole")
        if name == "flatten":
            assert "From the maps to the list." in page.inner_text("body")
    body = page.inner_text("body")
    assert "Cross-entropy loss" in body and "PyTorch's loss function gives" in body
    assert page.get_by_role("button", name=text.NEXT).is_disabled()
    whole_page(page, "forward-loss-whole")


def test_clicking_the_output_map_moves_the_kernel(server_url, page):
    open_forward_page(server_url, page)
    page.get_by_role("button", name=text.NEXT).click()
    stage_heading(page, 2, "conv1").wait_for(timeout=60_000)
    wait_idle(page)
    output = conv1_output_chart(page)
    output.scroll_into_view_if_needed()
    # Where plotly draws the centre of the cell at row 3, column 24 of the map.
    x, y = output.locator(".js-plotly-plot").evaluate(
        """(gd) => {
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const box = gd.getBoundingClientRect();
            return [box.left + xa._offset + xa.l2p(24.5), box.top + ya._offset + ya.l2p(3.5)];
        }"""
    )
    page.mouse.move(x, y)
    hover = page.locator(".hoverlayer .hovertext").first
    hover.wait_for(timeout=10_000)
    assert "row 3, col 24" in hover.text_content()
    page.mouse.click(x, y)
    column = page.get_by_label(text.COL, exact=True)
    page.wait_for_function("el => el.value === '24'", arg=column.element_handle(), timeout=60_000)
    wait_idle(page)
    assert page.get_by_label(text.ROW, exact=True).input_value() == "3"
    f = page.get_by_label(text.CONV_FILTER, exact=True).input_value()
    assert f"written at row 3, column 24 of map {f} of conv1" in page.inner_text("body")
    no_exceptions(page)


def test_simple_leaves_the_arithmetic_out_and_every_number_brings_it_back(server_url, page):
    open_forward_page(server_url, page)
    page.get_by_role("button", name=text.NEXT).click()
    stage_heading(page, 2, "conv1").wait_for(timeout=60_000)
    wait_idle(page)
    main = page.locator('[data-testid="stMain"]')
    # Simple, where a learner starts: the result of the cell, not every product.
    page.get_by_text(re.compile(r"written at row \d+, column \d+ of map")).wait_for()
    assert text.CONV_ARITHMETIC_HEADER.strip("*") not in main.inner_text()
    assert "Switch to Every number in the sidebar" in main.inner_text()
    assert not re.search(r"\d[eE][-+]?\d", main.inner_text())  # no powers of ten in Simple
    scroll_to_top(stage_heading(page, 2, "conv1"))
    screenshot(page, "forward-simple")
    every_number(page)
    page.get_by_text(text.CONV_ARITHMETIC_HEADER.strip("*")).wait_for(timeout=60_000)
    # The choice holds on another page.
    page.get_by_role("link", name="Convolution lab").click()
    page.get_by_text("output size = (input size").wait_for(timeout=60_000)
    wait_idle(page)
    no_exceptions(page)


def red_square(chart) -> tuple[int, int]:
    """(row, column) of the red square drawn on a one-map chart (one unit per cell)."""
    return tuple(
        chart.locator(".js-plotly-plot").evaluate(
            """(gd, red) => {
                const box = gd.layout.shapes.find(s => s.type === 'rect' && s.line.color === red);
                return [Math.round(box.y0), Math.round(box.x0)];
            }""",
            theme.COLOURS["focus"],
        )
    )


def test_after_play_the_square_the_inputs_and_the_numbers_name_one_cell(server_url, page):
    open_forward_page(server_url, page)
    page.get_by_role("button", name=text.NEXT).click()
    stage_heading(page, 2, "conv1").wait_for(timeout=60_000)
    wait_idle(page)
    column = page.get_by_label(text.COL, exact=True)
    column.fill("14")
    column.press("Enter")
    page.get_by_text(re.compile(r"written at row \d+, column 14 of map")).wait_for(timeout=60_000)
    wait_idle(page)
    page.get_by_role("button", name=text.PLAY).click()
    page.get_by_text("and stopped at column 27").wait_for(timeout=120_000)
    wait_idle(page)
    no_exceptions(page)
    row = page.get_by_label(text.ROW, exact=True).input_value()
    f = page.get_by_label(text.CONV_FILTER, exact=True).input_value()
    assert column.input_value() == "27"
    assert red_square(conv1_output_chart(page)) == (int(row), 27)
    assert f"written at row {row}, column 27 of map {f} of conv1" in page.inner_text("body")
    scroll_to_top(stage_heading(page, 2, "conv1"))
    screenshot(page, "forward-after-play")


STEPPER_BUTTONS = (text.PREV, text.NEXT, text.PLAY)
MARKDOWN = '[data-testid="stMarkdownContainer"]'  # a button's words; cut with "…" if too long


@pytest.mark.parametrize("width", [1024, 1400])
def test_the_stepper_buttons_show_their_whole_words(server_url, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        open_forward_page(server_url, page)
        page.get_by_role("button", name=text.NEXT).click()
        stage_heading(page, 2, "conv1").wait_for(timeout=60_000)
        wait_idle(page)
        for name in STEPPER_BUTTONS:
            words = page.get_by_role("button", name=name).locator(MARKDOWN)
            scroll, client = words.evaluate("e => [e.scrollWidth, e.clientWidth]")
            assert 0 < scroll <= client, (name, scroll, client)
        scroll_to_top(page.get_by_role("button", name=text.NEXT))
        screenshot(page, f"forward-stepper-{width}")
    finally:
        context.close()
