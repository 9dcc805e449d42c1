"""Clicks that redraw only what they change: a backprop Step and a conv-lab setting rerun their
own section (a Streamlit fragment), so the server sends nothing of the page around it.

A run sends every element it draws, as protobuf on the websocket, with its words in UTF-8:
the words of an element outside the section must not be among what the click received.
"""

from __future__ import annotations

import pytest
from browserkit import no_exceptions, skip_predictions, wait_idle

from cnnexplain.texts import backprop as bp_text
from cnnexplain.texts import conv_lab as lab_text

pytestmark = pytest.mark.browser

MAIN = '[data-testid="stMain"]'


class Received:
    """The websocket frames the page has received since the last `clear`, as bytes."""

    def __init__(self, page) -> None:
        self.frames: list[bytes] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload: str | bytes) -> None:
        self.frames.append(payload.encode() if isinstance(payload, str) else payload)

    def clear(self) -> None:
        self.frames.clear()

    def has(self, words: str) -> bool:
        return words.encode() in b"".join(self.frames)


def open_page(page, url: str, title: str, timeout: int) -> Received:
    """Open a page, its questions skipped, with everything received from the start kept."""
    received = Received(page)
    page.goto(url)
    page.get_by_role("heading", name=title).wait_for(timeout=timeout)
    wait_idle(page)
    skip_predictions(page)
    return received


def test_a_step_redraws_the_step_section_alone(server_url, page):
    received = open_page(page, f"{server_url}/backprop", bp_text.TITLE, 180_000)
    assert received.has(bp_text.OPTIMIZER_HEADER)  # a full run sends it: the check can see it

    step = page.get_by_role("button", name=bp_text.STEP, exact=True)
    for number in (1, 2):  # the first step may tick a task, which reruns the page once
        received.clear()
        step.click()
        page.get_by_text(bp_text.LOSS_AFTER.format(number=number), exact=True).wait_for(
            timeout=120_000
        )
        wait_idle(page, timeout=120_000)
    no_exceptions(page)
    assert received.has(bp_text.LOSS_AFTER.format(number=2))
    for outside in (bp_text.TITLE, bp_text.DATA_HEADER, bp_text.OPTIMIZER_HEADER):
        assert not received.has(outside), outside


def test_a_lab_setting_redraws_the_lab_alone(server_url, page):
    received = open_page(page, f"{server_url}/conv_lab", lab_text.TITLE, 90_000)
    assert received.has(lab_text.TITLE)

    received.clear()
    slider = page.locator(MAIN).locator('[data-testid="stSlider"]', has_text=lab_text.PADDING)
    slider.get_by_role("slider").press("ArrowRight")
    page.wait_for_timeout(300)  # the run the change started
    wait_idle(page)
    no_exceptions(page)
    assert received.has(lab_text.MAPS_HEADER)
    assert not received.has(lab_text.TITLE)
