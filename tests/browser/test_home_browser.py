"""The home page as a new user meets it, in a real browser."""

import pytest
from browserkit import ARTIFACTS, no_exceptions, screenshot, wait_idle, whole_page

from cnnexplain.io.datasets import load_digits28

pytestmark = pytest.mark.browser


def test_home_shows_the_trained_pipeline_without_errors(server_url, page):
    page.goto(server_url)
    wait_idle(page)
    page.get_by_text("Stage by stage", exact=True).wait_for(timeout=300_000)
    wait_idle(page)
    body = page.inner_text("body")
    assert "correct on" in body  # the trained default model reports its test accuracy
    for stage in (
        "input",
        "conv1",
        "relu1",
        "maxpool1",
        "conv2",
        "flatten",
        "dense1",
        "logits",
        "probs",
    ):
        assert f"{stage}:" in body, stage
    no_exceptions(page)
    # Every stage draws its numbers as a plotly chart (plotly's code arrives after the page's).
    page.locator(".js-plotly-plot").nth(8).wait_for(timeout=60_000)
    assert page.locator(".js-plotly-plot").count() >= 9
    screenshot(page, "home")


def test_choosing_another_test_image_shows_its_label(server_url, page):
    data = load_digits28()
    page.goto(server_url)
    wait_idle(page)
    page.get_by_text("Stage by stage", exact=True).wait_for(timeout=300_000)
    number = page.get_by_label("Test image number", exact=True)
    number.fill("5")
    number.press("Enter")
    expected = f"True label: {data.class_names[int(data.y_test[5])]}"
    page.get_by_text(expected).wait_for(timeout=30_000)
    wait_idle(page)
    no_exceptions(page)


# What the page draws, measured in the browser. Each heatmap subplot: its plot area in pixels
# and how many cells it spans; each chart's texts (titles, notes) as boxes.
HEATMAP_AREAS = """gd => gd._fullData.filter(t => t.type === 'heatmap').map(t => {
    const id = t.xaxis + t.yaxis;
    const box = gd.querySelector(`.nsewdrag[data-subplot="${id}"]`).getBoundingClientRect();
    const xa = gd._fullLayout['xaxis' + t.xaxis.slice(1)];
    const ya = gd._fullLayout['yaxis' + t.yaxis.slice(1)];
    return {id, width: box.width, height: box.height,
            cols: Math.abs(xa.range[1] - xa.range[0]), rows: Math.abs(ya.range[1] - ya.range[0])};
})"""
TEXT_BOXES = """gd => {
    const frame = gd.getBoundingClientRect();
    const texts = [...gd.querySelectorAll('.annotation-text')].map(t => {
        const b = t.getBoundingClientRect();
        return {text: t.textContent, left: b.left, right: b.right, top: b.top, bottom: b.bottom};
    });
    return {frame: {left: frame.left, right: frame.right, top: frame.top, bottom: frame.bottom},
            texts};
}"""
# The images plotly draws for heatmap traces, one per column of the overview, with how many
# maps the column stacks (runs of cells with empty rows between them; 0 for a strip).
HEATMAP_IMAGES = """gd => [...gd.querySelectorAll('g.hm image')].map((im, i) => {
    const b = im.getBoundingClientRect();
    const z = gd._fullData[i].z;
    const maps = z[0].length < 2 ? 0
        : z.filter((row, r) => !isNaN(row[0]) && (r === 0 || isNaN(z[r - 1][0]))).length;
    return {top: b.top, bottom: b.bottom, maps};
})"""
WORDS = (
    '[data-testid="stMain"] '
    ':is([data-testid="stCaptionContainer"], [data-testid="stMarkdownContainer"])'
)
CLIPPED = f"""() => [...document.querySelectorAll('{WORDS}')]
    .filter(e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)
    .map(e => e.textContent)"""
WIDTHS = (1400, 1024)


def _charts(page):
    return page.locator('[data-testid="stMain"] .js-plotly-plot')


def _resize(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 1000})
    page.wait_for_timeout(1500)  # the charts redraw at the new size


def _build(page, blocks: int) -> None:
    """Build a network of `blocks` conv blocks from the sidebar (trained, as by default)."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    count = sidebar.get_by_role("spinbutton", name="Conv blocks")
    count.fill(str(blocks))
    count.press("Enter")
    wait_idle(page)
    sidebar.get_by_role("button", name="Build this network").click()
    # The old network's stages stay on screen until the new one is drawn: wait for the new
    # count (conv1 exists in both, so its mere presence says nothing for one block).
    page.wait_for_function(
        """n => { const t = document.body.innerText;
                 return t.includes(`conv${n}:`) && !t.includes(`conv${n + 1}:`); }""",
        arg=blocks,
        timeout=300_000,
    )
    wait_idle(page)


def _boxes_apart(boxes: list[dict], where: str) -> None:
    """No two boxes overlap (by more than half a pixel)."""
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = (
                a["right"] <= b["left"] + 0.5
                or b["right"] <= a["left"] + 0.5
                or a["bottom"] <= b["top"] + 0.5
                or b["bottom"] <= a["top"] + 0.5
            )
            assert apart, (where, a, b)


def _texts_whole_and_apart(chart, where: str) -> int:
    """Every text of the chart is inside it and clear of the others; returns how many."""
    found = chart.evaluate(TEXT_BOXES)
    frame = found["frame"]
    for t in found["texts"]:
        inside = (
            frame["left"] - 0.5 <= t["left"]
            and t["right"] <= frame["right"] + 0.5
            and frame["top"] - 0.5 <= t["top"]
            and t["bottom"] <= frame["bottom"] + 0.5
        )
        assert inside, (where, t, frame)
    _boxes_apart(found["texts"], where)
    return len(found["texts"])


def _home_is_readable(page, blocks: int, width: int) -> None:
    where = f"home, {blocks} blocks, {width} px"
    squares = 0
    charts = _charts(page)
    for k in range(charts.count()):
        chart = charts.nth(k)
        for area in chart.evaluate(HEATMAP_AREAS):
            # A cell is as wide as it is high: the plot area has the map's own shape.
            cell_w, cell_h = area["width"] / area["cols"], area["height"] / area["rows"]
            assert abs(cell_w - cell_h) * max(area["rows"], area["cols"]) <= 2, (where, area)
            squares += 1
        _texts_whole_and_apart(chart, f"{where}, chart {k}")
    maps = [k for k in range(charts.count()) if charts.nth(k).evaluate(HEATMAP_AREAS)]
    assert len(maps) == 1 + 3 * blocks and squares > len(maps)  # the picture, then each stage
    assert page.evaluate(CLIPPED) == [], where


def _overview_is_readable(page, blocks: int, width: int) -> None:
    where = f"overview, {blocks} blocks, {width} px"
    chart = _charts(page).nth(1)  # after the picture the network receives
    columns = chart.evaluate(HEATMAP_IMAGES)
    assert len(columns) == 1 + 3 * blocks + 5  # + flatten, dense1, its activation, logits, probs
    tops = {round(c["top"]) for c in columns}
    assert max(tops) - min(tops) <= 1, (where, columns)  # every column starts on one line
    full = [c["bottom"] for c in columns if c["maps"] == 8]
    assert full and max(full) - min(full) <= 1, (where, columns)  # ... and its 8th map too
    titles = _texts_whole_and_apart(chart, where)
    assert titles >= len(columns)
    chart.screenshot(path=str(ARTIFACTS / f"overview_{blocks}_blocks_{width}.png"))


@pytest.mark.parametrize("blocks", [2, 1, 3])
def test_maps_are_square_and_every_title_whole_with_one_two_or_three_blocks(
    server_url, page, blocks
):
    page.goto(server_url)
    page.get_by_text("Stage by stage", exact=True).wait_for(timeout=300_000)
    wait_idle(page)
    if blocks != 2:  # the default network has two
        _build(page, blocks)
    body = page.inner_text("body")
    assert f"conv{blocks}:" in body and f"conv{blocks + 1}:" not in body
    _charts(page).nth(3 * blocks + 4).wait_for(timeout=60_000)
    for width in WIDTHS:
        _resize(page, width)
        _home_is_readable(page, blocks, width)
        if blocks == 3:
            whole_page(page, f"home_3_blocks_{width}")
    page.get_by_role("link", name="Forward pass, step by step").click()
    page.get_by_text("The whole network at a glance", exact=False).first.wait_for(timeout=300_000)
    wait_idle(page)
    _charts(page).nth(1).wait_for(timeout=60_000)
    for width in WIDTHS:
        _resize(page, width)
        _overview_is_readable(page, blocks, width)
    no_exceptions(page)


def test_the_sidebar_s_hover_help_defines_each_term_from_the_glossary(server_url, page):
    from cnnexplain.texts import glossary
    from cnnexplain.texts import sidebar as side_text

    page.goto(server_url)
    wait_idle(page)
    page.get_by_text("Stage by stage", exact=True).wait_for(timeout=300_000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Conv block 1", exact=True).click()
    control = sidebar.locator('[data-testid="stNumberInput"]').filter(has_text=side_text.KERNEL)
    control.locator('[data-testid="stTooltipIcon"]').first.hover()
    tip = page.locator('[data-testid="stTooltipContent"]')
    tip.wait_for(timeout=10_000)
    shown = " ".join(tip.inner_text().split())
    assert glossary.DEFINITIONS["kernel"] in shown and side_text.KERNEL_HELP in shown
    page.wait_for_timeout(600)  # the tooltip fades in
    screenshot(page, "sidebar-help")
    # The options read as words, not as the code's values.
    pooling = sidebar.locator('[data-testid="stSelectbox"]').filter(has_text=side_text.POOL)
    assert pooling.first.locator("input").input_value() == side_text.POOL_OPTIONS["max"]
    no_exceptions(page)
