"""Drawing a digit with the mouse on the forward page: read right, beside its nearest pictures."""

import re

import pytest
from browserkit import (
    STALE,
    choose,
    no_exceptions,
    no_formula_errors,
    screenshot,
    skip_predictions,
    wait_idle,
)
from test_forward_browser import open_forward_page, scroll_to_top

from cnnexplain.texts import digits as text

pytestmark = pytest.mark.browser

# Pen strokes on the 280x280 canvas, in its own pixels: each a list of points the mouse passes.
DRAWINGS = {
    7: [[(70, 60), (210, 60), (120, 230)]],
    4: [[(150, 40), (70, 170), (215, 170)], [(180, 100), (180, 245)]],
    2: [[(80, 100), (100, 60), (140, 45), (185, 60), (200, 95), (185, 135), (90, 235), (210, 235)]],
}
NEIGHBOUR = re.compile(r"^(\d) · (\d\.\d\d)$")


def settle(page) -> None:
    """Wait until the run is over and the elements it replaced are gone."""
    wait_idle(page)
    page.wait_for_selector(STALE, state="detached", timeout=60_000)


def draw(page, strokes) -> None:
    """Draw on the canvas as a learner does: press, drag through the points, release."""
    canvas = page.locator("canvas.upper-canvas")
    for stroke in strokes:
        # Where the canvas is now: the run the last stroke started may have moved the page.
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        (x, y), rest = stroke[0], stroke[1:]
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=12)
        page.mouse.up()
        # The canvas sends its picture a moment after the pen lifts; on a busy machine the run
        # that follows may not have begun yet, and a stroke drawn during it would land on a
        # page that moves.
        page.wait_for_timeout(1_000)
        settle(page)


@pytest.mark.parametrize("digit", list(DRAWINGS))
def test_a_digit_drawn_with_the_mouse_is_read_right(server_url, page, digit):
    open_forward_page(server_url, page)
    page.get_by_text("draw one", exact=True).click()
    wait_idle(page)
    draw(page, DRAWINGS[digit])
    page.get_by_text("Your picture", exact=True).wait_for(timeout=60_000)
    settle(page)
    skip_predictions(page)  # Simple asks for the network's answer before it says it
    choose(page, "True label", str(digit))
    page.get_by_text(f"The true label is {digit}").wait_for(timeout=60_000)
    settle(page)
    no_exceptions(page)
    no_formula_errors(page)
    body = page.inner_text("body")
    assert f"The network says {digit}" in body and "the answer is right" in body

    heading = text.NEAREST_HEADER.strip("*").format(k=5)
    page.get_by_text(heading).wait_for()
    captions = page.locator('[data-testid="stImageCaption"]').all_inner_texts()
    shown = [m for m in map(NEIGHBOUR.match, captions) if m]
    assert len(shown) == 5
    assert sum(int(m[1]) == digit for m in shown) >= 3
    screenshot(page, f"digits-drawn-{digit}")
    scroll_to_top(page.get_by_text(heading))
    screenshot(page, f"digits-drawn-{digit}-nearest")
