"""The convolution lab in a real browser: reached from the sidebar, driven by its controls."""

import pytest
from browserkit import no_exceptions, screenshot, wait_idle

from cnnexplain.kernels import size_formula

pytestmark = pytest.mark.browser

SHOT_VIEWPORT = {"width": 1400, "height": 2900}  # the whole page in one picture
MAIN = '[data-testid="stMain"]'  # the page itself, not the sidebar (which has its own kernels)


def _open_lab(server_url, page) -> None:
    """From the home page to the lab by the sidebar link. The lab needs no trained model, so
    the link is followed without waiting for the home page to train one."""
    page.goto(server_url)
    page.get_by_role("link", name="Convolution lab").click(timeout=90_000)
    page.get_by_text("One position, step by step", exact=True).wait_for(timeout=90_000)
    wait_idle(page)


def _nudge(page, label: str, presses: int) -> None:
    """Move the slider named `label` by `presses` steps to the right."""
    slider = page.locator(MAIN).locator('[data-testid="stSlider"]', has_text=label)
    thumb = slider.get_by_role("slider")
    thumb.focus()
    for _ in range(presses):
        thumb.press("ArrowRight")
    wait_idle(page)


def _click_output_cell(page, title: str, i: int, j: int) -> None:
    """Click the centre of cell (i, j) of the output map, found by its title."""
    chart = page.locator(".js-plotly-plot", has_text=title)
    x, y = chart.evaluate(
        """(gd, [i, j]) => {
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const box = gd.getBoundingClientRect();
            return [box.left + xa._offset + xa.l2p(j), box.top + ya._offset + ya.l2p(i)];
        }""",
        [i, j],
    )
    page.mouse.click(x, y)


def test_lab_follows_padding_stride_and_a_click(server_url, page):
    page.set_viewport_size(SHOT_VIEWPORT)  # no scrolling: the charts stay where they are drawn
    _open_lab(server_url, page)
    body = page.inner_text("body")
    assert size_formula(8, 3, 1, 1, 1).formula in body  # the default: 8×8 square, padding 1

    _nudge(page, "Padding", 1)
    page.get_by_text(size_formula(8, 3, 1, 2, 1).formula).first.wait_for(timeout=30_000)
    _nudge(page, "Stride", 1)
    expected = size_formula(8, 3, 2, 2, 1)
    page.get_by_text(expected.formula).first.wait_for(timeout=30_000)
    assert expected.result == 5
    page.get_by_text("The output is 5×5: the kernel stops at 25 positions.").wait_for()
    wait_idle(page)

    _click_output_cell(page, "Output (5×5)", 2, 3)
    page.get_by_text("Position 14 of 25").wait_for(timeout=30_000)
    wait_idle(page)
    assert "exactly the value in output row 2, column 3" in page.inner_text("body")
    no_exceptions(page)

    screenshot(page, "conv_lab")


def test_lab_says_when_the_kernel_does_not_fit(server_url, page):
    _open_lab(server_url, page)
    size = page.locator(MAIN).get_by_role("spinbutton", name="Kernel size")
    size.fill("5")
    size.press("Enter")
    wait_idle(page)
    _nudge(page, "Dilation", 3)  # a 5×5 kernel at dilation 4 reaches over 17×17 pixels
    page.get_by_text("the kernel does not fit anywhere").wait_for(timeout=30_000)
    wait_idle(page)
    no_exceptions(page)
