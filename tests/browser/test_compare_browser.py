"""The CNN-against-ANN page in a real browser: train both live, stop part-way, go on."""

from __future__ import annotations

import re

import pytest
from browserkit import (
    ARTIFACTS,
    every_number,
    no_exceptions,
    press_until,
    screenshot,
    wait_idle,
    whole_page,
)

from cnnexplain.model.spec import ArchitectureError, CNNSpec, ConvBlock, count_parameters
from cnnexplain.texts import compare as text
from cnnexplain.texts import sidebar as sidebar_text
from cnnexplain.training.store import DEFAULT_SPEC

pytestmark = pytest.mark.browser

PAGE_TITLE = "CNN against a plain network"
PROGRESS_BAR = '[data-testid="stMain"] [data-testid="stProgress"]'
SIDEBAR = '[data-testid="stSidebar"]'
TRAINING = 300_000  # ms: the machine is shared, and the first epoch of a CNN is the slowest
STOPPED_AT = re.compile(r"Training was stopped part-way, at (\d+)%")
CNN_EPOCHS = re.compile(r"the CNN trained (\d+(?:\.\d)?) and the ANN")  # 3, or 2.4 part-way
PLOTLY_TRACES = """
() => Array.from(document.querySelectorAll('.js-plotly-plot'))
    .map(plot => (plot.data || []).map(trace => trace.name))
"""
# Points of the shortest training curve on the page (-1 while there is none).
TRAINING_POINTS = """
() => {
    const counts = Array.from(document.querySelectorAll('.js-plotly-plot'))
        .flatMap(plot => (plot.data || []).filter(trace => / training$/.test(trace.name)))
        .map(trace => trace.x.length);
    return counts.length ? Math.min(...counts) : -1;
}
"""
# Keep the text of every progress bar the page shows, however briefly: a short run can draw
# its bar and clear it between two polls of the test.
RECORD_PROGRESS = """
selector => {
    const seen = (window.progressTexts = []);
    new MutationObserver(() => {
        for (const bar of document.querySelectorAll(selector)) {
            const words = bar.innerText.trim();
            if (words && seen[seen.length - 1] !== words) seen.push(words);
        }
    }).observe(document.body, {childList: true, subtree: true, characterData: true});
}
"""


# st.dataframe draws its cells on a canvas: keep every text drawn, with where it was drawn.
RECORD_CANVAS_TEXT = """
(() => {
    const drawn = (window.drawnText = []);
    const fillText = CanvasRenderingContext2D.prototype.fillText;
    CanvasRenderingContext2D.prototype.fillText = function (text, x, y, ...rest) {
        const at = this.getTransform();
        drawn.push({text: String(text), x: at.a * x + at.e, y: at.d * y + at.f,
                    width: this.canvas.width});
        return fillText.call(this, text, x, y, ...rest);
    };
})();
"""


def drawn_column(page, header: str) -> set[str]:
    """The texts drawn under `header` in the side-by-side table: cells lie between its header's
    left edge and the next header's, on a canvas as wide as the header's, below it."""
    # A table is drawn once it is on screen.
    page.get_by_text(text.SUMMARY_HEADER, exact=True).scroll_into_view_if_needed()
    page.wait_for_function(
        "header => window.drawnText.some(d => d.text === header)", arg=header, timeout=30_000
    )
    drawn = page.evaluate("window.drawnText")
    head = next(d for d in drawn if d["text"] == header)
    same_table = [d for d in drawn if d["width"] == head["width"]]
    right = min(
        (d["x"] for d in same_table if d["y"] == head["y"] and d["x"] > head["x"]),
        default=float("inf"),
    )
    return {d["text"] for d in same_table if d["y"] > head["y"] and head["x"] < d["x"] < right}


def open_page(page, server_url: str) -> None:
    """The compare page on the Every number level, whose table has the epochs column."""
    page.add_init_script(RECORD_CANVAS_TEXT)
    page.goto(server_url)
    wait_idle(page, timeout=180_000)  # the home page trains the default network once
    every_number(page)
    page.get_by_role("link", name=PAGE_TITLE).click()
    page.get_by_role("heading", name=text.TITLE).wait_for(timeout=60_000)
    wait_idle(page)
    no_exceptions(page)


def set_epochs(page, epochs: int) -> None:
    box = page.get_by_label(text.EPOCHS, exact=True)
    box.fill(str(epochs))
    box.press("Enter")
    wait_idle(page)


def trace_names(page) -> set[str]:
    return {name for names in page.evaluate(PLOTLY_TRACES) for name in names if name}


def stop_and_read(page) -> str:
    """Press Stop, wait for the stopped networks' results; returns the text of the page."""
    stop = page.get_by_role("button", name=text.STOP, exact=True)
    resume = page.get_by_role("button", name=text.RESUME)
    # Taken: the networks are being tested (a while on a loaded machine), or already were.
    press_until(stop, resume.or_(page.get_by_text(text.MEASURING)).first)
    resume.wait_for(timeout=TRAINING)
    page.get_by_role("button", name=text.DOWNLOAD_MODEL.format(model="CNN")).wait_for()
    wait_idle(page)
    no_exceptions(page)
    return page.inner_text("main")


def record_sent(page) -> list[bytes]:
    """Every websocket message the server sends the page from now on (opened before goto)."""
    frames: list[bytes] = []

    def on_socket(socket) -> None:
        socket.on("framereceived", lambda f: frames.append(f.encode() if isinstance(f, str) else f))

    page.on("websocket", on_socket)
    return frames


def test_train_both_for_two_epochs_and_read_what_the_run_found(server_url, page):
    sent = record_sent(page)
    open_page(page, server_url)
    set_epochs(page, 2)
    page.evaluate(RECORD_PROGRESS, PROGRESS_BAR)
    before = len(sent)
    page.get_by_role("button", name=text.RUN).click()
    page.get_by_role("heading", name=text.RESULTS_HEADER).wait_for(timeout=TRAINING)
    # While both learn, the bar says how far: seen on the page, or, when a busy browser drew
    # only the last of a burst of updates (the bar already gone), in what the server sent.
    shown = page.evaluate("window.progressTexts")
    drawn = any(words.startswith("CNN: epoch ") for words in shown)
    assert drawn or any(b"CNN: epoch " in frame for frame in sent[before:]), shown
    progress = page.locator(PROGRESS_BAR)
    page.get_by_role("heading", name=text.WHY_HEADER).wait_for(timeout=60_000)
    wait_idle(page)
    no_exceptions(page)
    # Done: one line says so, and the progress bar and its text are gone.
    assert progress.count() == 0
    assert "CNN: epoch " not in page.inner_text("main")
    assert drawn_column(page, text.COL_EPOCHS) == {"2"}  # not "2.0"

    names = trace_names(page)
    for model in ("CNN", "ANN"):
        assert f"{model} {text.HELD_OUT_PART}" in names  # the learning curves
        assert f"{model} {text.TRAIN_PART}" in names
        assert model in names  # the robustness curves
    main = page.inner_text("main")
    assert text.COMPLETE.format(epochs=2) in main
    found = re.search(r"the CNN got (\d+\.\d)% of the 360 held-out pictures right", main)
    assert found, "the page states the CNN's accuracy"
    page.get_by_role("button", name=text.DOWNLOAD_CSV).wait_for(state="visible", timeout=60_000)

    # The README's picture: the learning curves and what the run found.
    page.get_by_role("heading", name=text.LIVE_HEADER).evaluate(
        "heading => heading.scrollIntoView({block: 'start'})"
    )
    page.mouse.move(0, 0)  # no hover labels or chart toolbars in the picture
    page.wait_for_timeout(500)
    screenshot(page, "compare")
    whole_page(page, "compare-whole")

    # The data-efficiency runs start on their button and stop on theirs.
    page.get_by_role("button", name=re.compile(r"^Measure this")).click()
    page.get_by_text(re.compile(r"^Training on 50 pictures: the CNN")).wait_for(timeout=60_000)
    stop = page.get_by_role("button", name=text.STOP, exact=True)
    press_until(stop, page.get_by_text(text.EFFICIENCY_STOPPED))
    wait_idle(page)
    no_exceptions(page)
    assert page.get_by_role("button", name=text.RESUME).is_visible()
    whole_page(page, "compare-efficiency-stopped")


def test_stop_keeps_what_was_learned_and_continue_goes_on(server_url, page):
    open_page(page, server_url)
    page.get_by_role("button", name=text.RUN).click()  # the default: 15 epochs
    page.get_by_role("button", name=text.STOP, exact=True).wait_for(timeout=60_000)
    # The curves grow while both networks learn, then Stop.
    page.wait_for_function(f"({TRAINING_POINTS})() >= 2", timeout=TRAINING)
    grown = page.evaluate(TRAINING_POINTS)
    page.wait_for_function(f"({TRAINING_POINTS})() > {grown}", timeout=60_000)
    assert page.get_by_role("button", name=text.STOP, exact=True).is_visible()
    no_exceptions(page)
    main = stop_and_read(page)
    stopped = STOPPED_AT.search(main)
    assert stopped and int(stopped.group(1)) < 100
    epochs = CNN_EPOCHS.search(main)
    assert epochs, "the findings say how far each network trained"
    shown = drawn_column(page, text.COL_EPOCHS)
    assert shown and all(re.fullmatch(r"\d+(\.\d)?", figure) for figure in shown), shown
    assert page.get_by_role("heading", name=text.RESULTS_HEADER).is_visible()
    whole_page(page, "compare-stopped")

    # Continue goes on from there (three more records of each network); stopping again keeps more.
    points = page.evaluate(TRAINING_POINTS)
    page.get_by_role("button", name=text.RESUME).click()
    page.get_by_role("button", name=text.STOP, exact=True).wait_for(timeout=60_000)
    page.wait_for_function(f"({TRAINING_POINTS})() >= {points + 3}", timeout=TRAINING)
    main = stop_and_read(page)
    again = STOPPED_AT.search(main)
    assert again and int(stopped.group(1)) < int(again.group(1)) < 100
    assert float(CNN_EPOCHS.search(main).group(1)) > float(epochs.group(1))


def test_a_network_refused_in_the_sidebar_is_named_on_the_page_which_keeps_the_old_one(
    server_url, page
):
    open_page(page, server_url)
    sidebar = page.locator(SIDEBAR)
    blocks = sidebar.get_by_role("spinbutton", name=sidebar_text.BLOCKS)
    blocks.fill("3")
    blocks.press("Enter")
    wait_idle(page)
    for i in (1, 2):
        block = sidebar.get_by_test_id("stExpander").filter(has_text=sidebar_text.BLOCK.format(i=i))
        block.locator("summary").click()
        size = block.get_by_role("spinbutton", name=sidebar_text.POOL_SIZE)
        size.fill("4")
        size.press("Tab")
    sidebar.get_by_role("button", name=sidebar_text.APPLY).click()
    page.get_by_text(re.compile("^Your new network was not built")).first.wait_for(timeout=60_000)
    wait_idle(page)
    no_exceptions(page)

    with pytest.raises(ArchitectureError) as refused:
        CNNSpec(conv_blocks=(ConvBlock(8, pool_size=4), ConvBlock(16, pool_size=4), ConvBlock()))
    reason = refused.value.problem
    assert "28×28 → 7×7 (block 1: 4×4 max pooling) → 1×1 (block 2: 4×4 max pooling)" in reason
    main = page.inner_text("main")
    assert f"Conv block 3: {reason}" in main
    # The comparison goes on with the network in use, the default one.
    assert f"{count_parameters(DEFAULT_SPEC):,} parameters." in main
    block3 = sidebar.get_by_test_id("stExpander").filter(has_text=sidebar_text.BLOCK.format(i=3))
    assert reason in block3.get_by_test_id("stAlert").inner_text()
    block3.scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sidebar-refused.png"))  # the window, 1400 px wide
