"""The forward page's receptive-field section in a real browser: the outline drawn on the
picture is the chosen cell's field, and moves when the learner picks another cell."""

import pytest
from browserkit import no_empty_charts, no_exceptions, no_formula_errors, screenshot, wait_idle

from cnnexplain.figures.receptive import FIELD_SHAPE
from cnnexplain.model.receptive import Field, receptive_field
from cnnexplain.texts import forward as text
from cnnexplain.training.store import DEFAULT_SPEC
from cnnexplain.ui.forward.receptive import STAGE_KEY, cell_keys

pytestmark = pytest.mark.browser

FIRST_RUN_MS = 300_000  # a fresh server may train the default model first; shared machines are slow

# The outline plotly drew, read from the chart itself: (y0, x0, y1, x1) of the named shape.
_OUTLINE = """
name => {
    for (const gd of document.querySelectorAll('.js-plotly-plot')) {
        const shape = (gd.layout.shapes || []).find(s => s.name === name);
        if (shape) return [shape.y0, shape.x0, shape.y1, shape.x1];
    }
    return null;
}
"""


def drawn_field(page) -> Field:
    y0, x0, y1, x1 = page.evaluate(_OUTLINE, FIELD_SHAPE)
    return Field(round(y0 + 0.5), round(x0 + 0.5), round(y1 + 0.5), round(x1 + 0.5))


def cell_input(page, key: str):
    return page.locator(f".st-key-{key} input")


def set_number(page, key: str, value: int) -> None:
    box = cell_input(page, key)
    box.fill(str(value))
    box.press("Enter")
    page.wait_for_timeout(300)  # the rerun starts
    wait_idle(page)


def test_the_outline_is_the_chosen_cell_s_field_and_follows_a_new_cell(server_url, page):
    page.goto(server_url)
    wait_idle(page, timeout=FIRST_RUN_MS)
    page.get_by_role("link", name="Forward pass, step by step").click()
    header = page.get_by_role("heading", name=text.RECEPTIVE_HEADER)
    header.wait_for(timeout=FIRST_RUN_MS)
    wait_idle(page)
    header.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)
    no_exceptions(page)

    stage = "maxpool2"  # the last map comes first
    assert page.locator(f".st-key-{STAGE_KEY} input").input_value() == stage
    _, row_key, col_key = cell_keys(stage)
    row, col = (int(cell_input(page, k).input_value()) for k in (row_key, col_key))
    first = drawn_field(page)
    assert first == receptive_field(DEFAULT_SPEC, stage, row, col)

    set_number(page, row_key, 0)
    set_number(page, col_key, 6)
    page.get_by_text(f"Cell (row 0, column 6) of {stage} can be changed").wait_for(timeout=30_000)
    moved = drawn_field(page)
    assert moved == receptive_field(DEFAULT_SPEC, stage, 0, 6) != first
    assert moved.top == 0 and moved.right == 28  # a corner cell: clipped by the padding

    no_exceptions(page)
    no_formula_errors(page)
    no_empty_charts(page)
    header.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(800)
    screenshot(page, "forward-receptive")
    table = page.locator('[data-testid="stDataFrame"]').last
    table.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(800)
    screenshot(page, "forward-receptive-table")
