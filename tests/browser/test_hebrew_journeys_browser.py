"""The main journeys in Hebrew, in a real browser: upload a picture, step the forward pass, take
backpropagation steps, run a comparison, build an impossible network, upload a broken file.

After every step the visible words of the page (main and sidebar, outside formulas, charts and
code, numbers and symbols left out) are counted: well over 85% of them are Hebrew. Names that
stay Latin in Hebrew too (CNN, ReLU, conv1, softmax) count against that share. A second learner
on the same server reads English throughout.
"""

from __future__ import annotations

import json
import re

import pytest
from browserkit import (
    ARTIFACTS,
    choose,
    no_exceptions,
    no_formula_errors,
    skip_predictions,
    wait_idle,
    whole_page,
)
from test_upload_across_pages_browser import drawn_seven

from cnnexplain.texts import (
    backprop,
    compare,
    conv_lab,
    errors,
    forward,
    inputs,
    language,
    path,
    predict,
)
from cnnexplain.texts import sidebar as side

pytestmark = pytest.mark.browser

# The words as the Hebrew pages show them (format fields wrapped in isolates).
with language.speaking(language.HEBREW):
    TITLES = dict(path.TITLES)
    HEADINGS = {
        "forward": forward.TITLE,
        "backprop": backprop.TITLE,
        "compare": compare.TITLE,
        "conv_lab": conv_lab.TITLE,
    }
    UPLOAD = inputs.SOURCES["upload"]
    LABEL = inputs.LABEL
    NEXT = forward.NEXT
    SKIP = predict.SKIP
    STEP = backprop.STEP
    LOSS_AFTER = backprop.LOSS_AFTER
    EPOCHS, RUN = compare.EPOCHS, compare.RUN
    RESULTS_HEADER, WHY_HEADER = compare.RESULTS_HEADER, compare.WHY_HEADER
    BLOCKS, BLOCK, POOL_SIZE, APPLY = side.BLOCKS, side.BLOCK, side.POOL_SIZE, side.APPLY
    NOT_BUILT = side.NOT_BUILT.split("**")[1]  # its bold start, before the reason
    NOT_AN_IMAGE = errors.MESSAGES["image.not_an_image"]

HEBREW_WORDS = 0.85
NAV_LINK = '[data-testid="stSidebarNavLink"]'
UPLOADER = '[data-testid="stFileUploader"] input[type="file"]'
TRAINING = 300_000  # ms: the machine is shared; a comparison is the slowest step

# The words a learner sees: text in main and the sidebar that is drawn (not in a closed
# expander or a hidden tab, nor shrunk to nothing), outside formulas, charts, code, icons
# (drawn from their names) and the names of uploaded files. A word counts when it has a
# letter; it is Hebrew when it has a Hebrew letter.
VISIBLE_WORDS = """
() => {
    const skip = '.katex, .js-plotly-plot, [data-testid="stPlotlyChart"], code, pre, '
        + '[data-testid="stCode"], [data-testid="stFileUploaderFileName"], '
        + '[data-testid="stIconMaterial"], style, script';
    const words = [];
    const roots = '[data-testid="stMain"], [data-testid="stSidebar"]';
    for (const root of document.querySelectorAll(roots)) {
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const holder = node.parentElement;
            if (!holder || holder.closest(skip)) continue;
            const shown = {visibilityProperty: true, opacityProperty: true};
            if (!holder.checkVisibility(shown)) continue;
            const style = getComputedStyle(holder);
            if (parseFloat(style.fontSize) === 0 || /Material/.test(style.fontFamily)) continue;
            words.push(...node.textContent.split(/\\s+/).filter(w => /\\p{L}/u.test(w)));
        }
    }
    return words;
}
"""
HEBREW_LETTER = re.compile("[\u05d0-\u05ea]")
STREAMLIT_ENGLISH = {"(required)", "Upload", "per", "file"}  # its widgets' own words


def hebrew_share(words: list[str]) -> float:
    """The share of `words` that are Hebrew."""
    return sum(bool(HEBREW_LETTER.search(w)) for w in words) / max(len(words), 1)


class Journey:
    """One learner's visit in Hebrew: each step is checked, measured and photographed."""

    def __init__(self, page) -> None:
        self.page = page
        self.shares: dict[str, float] = {}
        self.latin: dict[str, list[str]] = {}

    def look(self, step: str) -> None:
        page = self.page
        wait_idle(page)
        no_exceptions(page)
        no_formula_errors(page)
        words = page.evaluate(VISIBLE_WORDS)
        self.shares[step] = hebrew_share(words)
        self.latin[step] = sorted({w for w in words if not HEBREW_LETTER.search(w)})
        page.mouse.move(0, 0)
        whole_page(page, f"hebrew-journey-{step}")

    def open(self, name: str) -> None:
        self.page.locator(NAV_LINK, has_text=TITLES[name]).click()
        self.page.locator("h1").filter(has_text=HEADINGS[name]).wait_for(timeout=120_000)
        wait_idle(self.page)

    def skip(self) -> None:
        skip_predictions(self.page, SKIP)


def walk(journey: Journey, folder) -> None:
    """The journeys, one step after another, each step looked at."""
    page = journey.page
    journey.look("home")

    # Upload a picture on the forward page and give it its label.
    journey.open("forward")
    page.get_by_text(UPLOAD, exact=True).click()
    wait_idle(page)
    picture = folder / "seven.png"
    picture.write_bytes(drawn_seven())
    page.locator(UPLOADER).set_input_files(str(picture))
    page.get_by_role("combobox", name=LABEL).wait_for(timeout=60_000)
    choose(page, LABEL, "7")
    journey.skip()
    journey.look("forward-upload")

    # Step the forward pass.
    for n in range(1, 4):
        page.get_by_role("button", name=NEXT).click()
        page.wait_for_timeout(300)
        wait_idle(page)
        journey.skip()
        journey.look(f"forward-next-{n}")

    # Backpropagation steps, on the same picture.
    journey.open("backprop")
    journey.skip()
    for n in (1, 2):
        page.get_by_role("button", name=STEP, exact=True).first.click()
        loss_after = LOSS_AFTER.format(number=n)
        page.get_by_text(re.compile(re.escape(loss_after))).first.wait_for(timeout=120_000)
        journey.skip()
        journey.look(f"backprop-step-{n}")

    # A short comparison, to its findings.
    journey.open("compare")
    box = page.get_by_label(EPOCHS, exact=True)
    box.fill("1")
    box.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name=RUN).click()
    page.get_by_role("heading", name=RESULTS_HEADER).wait_for(timeout=TRAINING)
    page.get_by_role("heading", name=WHY_HEADER).wait_for(timeout=60_000)
    journey.look("compare-results")

    # A network that cannot be built: two 4×4 poolings leave block 3 a 1×1 map.
    sidebar = page.get_by_test_id("stSidebar")
    blocks = sidebar.get_by_role("spinbutton", name=BLOCKS)
    blocks.fill("3")
    blocks.press("Enter")
    wait_idle(page)
    for i in (1, 2):
        block = sidebar.get_by_test_id("stExpander").filter(has_text=BLOCK.format(i=i))
        block.locator("summary").click()
        size = block.get_by_role("spinbutton", name=POOL_SIZE)
        size.fill("4")
        size.press("Tab")
    sidebar.get_by_role("button", name=APPLY).click()
    page.get_by_text(NOT_BUILT).first.wait_for(timeout=60_000)
    journey.look("impossible-network")

    # A file that is not a picture.
    journey.open("forward")
    broken = folder / "broken.png"
    broken.write_bytes(b"these bytes are no picture at all")
    page.locator(UPLOADER).set_input_files(str(broken))
    page.get_by_test_id("stAlertContentError").filter(has_text=NOT_AN_IMAGE).first.wait_for(
        timeout=60_000
    )
    journey.look("broken-upload")

    journey.open("conv_lab")
    journey.skip()
    journey.look("conv-lab")


def test_the_main_journeys_in_hebrew(server_url, browser, tmp_path):
    english = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    english.goto(server_url)
    wait_idle(english, timeout=300_000)

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(120_000)  # clicks too wait while the shared machine is busy
    page = context.new_page()
    page.goto(f"{server_url}/?lang=he")
    journey = Journey(page)
    try:
        walk(journey, tmp_path)
    finally:  # what the learner saw last, and the words of every step, even when one failed
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "hebrew-journey-last.png"), full_page=True)
        seen = {"shares": journey.shares, "latin": journey.latin}
        shares = ARTIFACTS / "hebrew-journey-shares.json"
        shares.write_text(json.dumps(seen, ensure_ascii=False, indent=1))
    low = {step: share for step, share in journey.shares.items() if share <= HEBREW_WORDS}
    assert not low, {step: (share, journey.latin[step]) for step, share in low.items()}
    # Streamlit's own English words are said in Hebrew too.
    chrome = {step: set(latin) & STREAMLIT_ENGLISH for step, latin in journey.latin.items()}
    assert not any(chrome.values()), chrome

    # The other learner, on the same server, reads English on every page.
    for name in ("forward", "backprop", "compare"):
        english.locator(NAV_LINK, has_text=path.TITLES[name]).click()
        english.wait_for_timeout(300)
        wait_idle(english)
        no_exceptions(english)
        assert hebrew_share(english.evaluate(VISIBLE_WORDS)) < 0.02, name
    page.context.close()
    english.context.close()
