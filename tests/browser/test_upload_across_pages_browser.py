"""A picture uploaded and labelled on one page is the picture the next page shows.

AppTest's switch_page does not carry a radio's remembered choice to the next page the way the
browser does, so this is checked here, where the learner meets it.
"""

from __future__ import annotations

import pytest
from browserkit import ARTIFACTS, choose, no_exceptions, screenshot, skip_predictions, wait_idle
from PIL import Image, ImageDraw

from cnnexplain.texts import inputs as inputs_text

pytestmark = pytest.mark.browser

SIDEBAR_NAV = '[data-testid="stSidebarNav"]'


def drawn_seven() -> bytes:
    """A 7 drawn dark on light paper, as a learner's photo of it would be."""
    import io

    paper = Image.new("L", (300, 240), color=230)
    ImageDraw.Draw(paper).line([(100, 50), (210, 50), (140, 200)], fill=20, width=18)
    png = io.BytesIO()
    paper.save(png, format="PNG")
    return png.getvalue()


def test_a_seven_uploaded_on_the_backprop_page_is_the_forward_pages_picture(server_url, page):
    page.goto(f"{server_url}/backprop")
    wait_idle(page, timeout=180_000)
    page.get_by_text(inputs_text.SOURCES["upload"], exact=True).click()
    wait_idle(page)
    picture = ARTIFACTS / "seven-on-paper.png"
    ARTIFACTS.mkdir(exist_ok=True)
    picture.write_bytes(drawn_seven())
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(picture))
    page.get_by_role("combobox", name=inputs_text.LABEL).wait_for(timeout=60_000)
    choose(page, inputs_text.LABEL, "7")
    page.get_by_role("button", name="Step", exact=True).first.click()
    wait_idle(page)
    no_exceptions(page)

    page.locator(SIDEBAR_NAV).get_by_role("link", name="Forward pass, step by step").click()
    page.locator("h1").filter(has_text="Forward pass, step by step").wait_for(timeout=60_000)
    wait_idle(page)
    skip_predictions(page)  # Simple asks for the network's answer before it says it
    page.get_by_text("The true label is 7").wait_for(timeout=60_000)
    wait_idle(page)
    no_exceptions(page)
    assert page.get_by_role("radio", name=inputs_text.SOURCES["upload"]).is_checked()
    screenshot(page, "forward-after-backprop-upload")
