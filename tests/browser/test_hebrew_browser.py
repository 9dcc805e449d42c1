"""The app in Hebrew, in a real browser: a link with ?lang=he opens every page in Hebrew, right
to left, with formulas and charts left to right; the choice holds from page to page, and a
learner in English on the same server never sees it."""

from __future__ import annotations

import re

import pytest
from browserkit import no_exceptions, no_formula_errors, screenshot, skip_predictions, wait_idle

from cnnexplain.texts import language, path
from cnnexplain.texts.he import path as hebrew_path
from cnnexplain.texts.he import predict as hebrew_predict

pytestmark = pytest.mark.browser

HEBREW_LETTER = re.compile("[\u05d0-\u05ea]")
NAV_LINK = '[data-testid="stSidebarNavLink"]'
DIRECTION = "e => getComputedStyle(e).direction"


def nav_titles(page) -> list[str]:
    return [link.split("\n")[-1].strip() for link in page.locator(NAV_LINK).all_inner_texts()]


def hebrew_share(words: str) -> float:
    """The share of the letters in `words` that are Hebrew."""
    letters = [c for c in words if c.isalpha()]
    return sum(bool(HEBREW_LETTER.match(c)) for c in letters) / max(len(letters), 1)


def settled(page) -> None:
    wait_idle(page)
    no_exceptions(page)
    no_formula_errors(page)


def test_a_hebrew_link_opens_every_page_in_hebrew_right_to_left(server_url, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{server_url}/?lang=he")
    wait_idle(page, timeout=300_000)
    assert nav_titles(page) == [hebrew_path.TITLES[name] for name in path.ORDER]
    main = page.get_by_test_id("stMain")
    for name in path.ORDER:
        page.locator(NAV_LINK, has_text=hebrew_path.TITLES[name]).click()
        page.wait_for_timeout(300)
        settled(page)
        skip_predictions(page, hebrew_predict.SKIP)
        settled(page)
        words = main.inner_text()
        # Mostly Hebrew: names (CNN, ReLU, conv1) and numbers stay Latin.
        assert hebrew_share(words) > 0.6, (name, words[:300])
        assert main.evaluate(DIRECTION) == "rtl"
        assert page.get_by_test_id("stSidebar").evaluate(DIRECTION) == "rtl"
        for kept_ltr in (".katex", ".js-plotly-plot"):
            found = page.locator(kept_ltr)
            if found.count():
                assert found.first.evaluate(DIRECTION) == "ltr", (name, kept_ltr)
        page.mouse.move(0, 0)
        main.evaluate("e => e.scrollTo(0, 0)")
        screenshot(page, f"hebrew-{name}")
    # The address keeps the choice, so the link can be handed on.
    assert "lang=he" in page.url
    context.close()


def test_the_picker_switches_language_and_another_learner_keeps_theirs(server_url, browser):
    hebrew = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    english = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    english.goto(server_url)
    wait_idle(english, timeout=300_000)
    hebrew.goto(server_url)
    wait_idle(hebrew)
    picker = hebrew.get_by_test_id("stSidebar").get_by_role("radiogroup").first
    picker.get_by_text("עברית", exact=True).click()
    hebrew.locator(NAV_LINK, has_text=hebrew_path.TITLES["home"]).wait_for(timeout=60_000)
    settled(hebrew)
    assert nav_titles(hebrew) == [hebrew_path.TITLES[name] for name in path.ORDER]
    assert "lang=he" in hebrew.url

    # The other learner, on the same server, still reads English, page after page.
    english.locator(NAV_LINK, has_text=path.TITLES["conv_lab"]).click()
    english.wait_for_timeout(300)
    settled(english)
    assert nav_titles(english) == [path.TITLES[name] for name in path.ORDER]
    assert hebrew_share(english.get_by_test_id("stMain").inner_text()) < 0.05
    assert english.get_by_test_id("stMain").evaluate(DIRECTION) == "ltr"

    # Back to English from the picker, which now speaks Hebrew.
    picker.get_by_text("English", exact=True).click()
    hebrew.locator(NAV_LINK, has_text=path.TITLES["home"]).wait_for(timeout=60_000)
    settled(hebrew)
    assert nav_titles(hebrew) == [path.TITLES[name] for name in path.ORDER]
    assert hebrew.get_by_test_id("stMain").evaluate(DIRECTION) == "ltr"
    assert f"lang={language.ENGLISH}" in hebrew.url
    hebrew.context.close()
    english.context.close()
