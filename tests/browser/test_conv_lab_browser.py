"""The convolution lab in a real browser: reached from the sidebar, driven by its controls."""

import numpy as np
import pytest
from browserkit import (
    every_number,
    no_exceptions,
    screenshot,
    skip_predictions,
    wait_idle,
    whole_page,
)
from PIL import Image

from cnnexplain.core.kernels import size_formula

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
    every_number(page)  # the output-size formula is worked out on the Every number level
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


# The values plotly writes in a chart's cells, as boxes, and the width of one cell.
CELL_TEXTS = """gd => {
    const area = gd.querySelector('.nsewdrag').getBoundingClientRect();
    const xa = gd._fullLayout.xaxis;
    const cell = area.width / Math.abs(xa.range[1] - xa.range[0]);
    const texts = [...gd.querySelectorAll('g.heatmap-label text')]
        .filter(t => t.textContent)
        .map(t => { const b = t.getBoundingClientRect();
                    return {text: t.textContent, left: b.left, right: b.right, width: b.width,
                            top: b.top, bottom: b.bottom}; });
    return {title: gd._fullLayout.title.text, cell, texts};
}"""
# The kernel's table: how wide it is drawn, and how wide its columns need.
TABLE_WIDTHS = """() => [...document.querySelectorAll('[data-testid="stMain"] .dvn-scroller')]
    .map(e => [e.clientWidth, e.scrollWidth])"""


def _upload_picture(page, tmp_path) -> None:
    """Your own picture, shrunk to the default 16×16: a 16×16 output with padding 1."""
    r, c = np.indices((64, 64))
    path = tmp_path / "waves.png"
    Image.fromarray(((np.sin(r / 5) * np.cos(c / 7) + 1) * 127).astype(np.uint8)).save(path)
    page.locator(MAIN).get_by_text("your own picture").click()
    wait_idle(page)
    page.locator(MAIN).locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        str(path)
    )
    page.get_by_text("shrunk to 16×16 gray pixels").wait_for(timeout=30_000)
    wait_idle(page)
    skip_predictions(page)  # a new picture size is a new question about the output's size
    page.get_by_text("The output is 16×16").wait_for(timeout=30_000)
    wait_idle(page)


def _written_values_fit(page, where: str) -> int:
    """Every value written in a cell is narrower than the cell and clear of the others; returns
    how many charts write values."""
    charts = page.locator(MAIN).locator(".js-plotly-plot")
    writing = 0
    for k in range(charts.count()):
        found = charts.nth(k).evaluate(CELL_TEXTS)
        texts = found["texts"]
        for t in texts:
            assert t["width"] < found["cell"], (where, found["title"], t, found["cell"])
        for i, a in enumerate(texts):
            for b in texts[i + 1 :]:
                apart = a["right"] <= b["left"] or b["right"] <= a["left"]
                apart = apart or a["bottom"] <= b["top"] or b["bottom"] <= a["top"]
                assert apart, (where, found["title"], a, b)
        writing += bool(texts)
    return writing


def test_values_are_written_only_where_they_fit(server_url, page, tmp_path):
    _open_lab(server_url, page)
    for width in (1400, 1024):
        page.set_viewport_size({"width": width, "height": 1000})
        page.wait_for_timeout(1500)  # the charts redraw at the new size
        # The toy square: whole numbers, written in every chart.
        assert _written_values_fit(page, f"toy, {width} px") == 5
    _upload_picture(page, tmp_path)
    for width in (1400, 1024):
        page.set_viewport_size({"width": width, "height": 1000})
        page.wait_for_timeout(1500)
        _written_values_fit(page, f"picture, {width} px")
        output = page.locator(MAIN).locator(".js-plotly-plot", has_text="Output (16×16)")
        assert output.evaluate(CELL_TEXTS)["texts"] == []  # 16 columns: no room for values
        whole_page(page, f"conv_lab_picture_{width}")
    no_exceptions(page)


def test_a_5x5_kernel_table_shows_every_column_and_the_size_says_its_range(server_url, page):
    _open_lab(server_url, page)
    size = page.locator(MAIN).get_by_role("spinbutton", name="Kernel size (1 to 5)")
    size.fill("5")
    size.press("Enter")
    page.get_by_text("A 5×5 kernel starts as an average").wait_for(timeout=30_000)
    wait_idle(page)
    ((drawn, needed),) = page.evaluate(TABLE_WIDTHS)
    assert needed <= drawn, (drawn, needed)  # no column behind a sideways scroll at 1400 px
    assert "scroll it sideways" in page.locator(MAIN).inner_text()  # ... and narrower, it says
    # A size past the largest is not taken, and the control names the largest.
    size.fill("7")
    size.press("Enter")
    wait_idle(page)
    assert page.locator(MAIN).get_by_text("Kernel size (1 to 5)").is_visible()
    page.get_by_text("A 5×5 kernel starts as an average").wait_for(timeout=30_000)
    page.set_viewport_size({"width": 1024, "height": 1000})
    page.wait_for_timeout(1000)
    whole_page(page, "conv_lab_kernel_5x5_1024")
    no_exceptions(page)
