"""The path in a real browser: start at home, follow each page's link to the next, do one task on
each page and see it ticked, then see the ticks on the home page."""

from __future__ import annotations

import pytest
from browserkit import every_number, no_exceptions, no_formula_errors, screenshot, wait_idle

from cnnexplain.io.datasets import load_digits28
from cnnexplain.texts import backprop as backprop_text
from cnnexplain.texts import compare as compare_text
from cnnexplain.texts import conv_lab as conv_text
from cnnexplain.texts import forward as forward_text
from cnnexplain.texts import glossary as glossary_text
from cnnexplain.texts import inputs as inputs_text
from cnnexplain.texts import path as text

pytestmark = pytest.mark.browser

TRAINING = 300_000  # ms: the machine is shared, and the first epoch of a CNN is the slowest
HEADINGS = {
    "conv_lab": conv_text.TITLE,
    "forward": forward_text.TITLE,
    "backprop": backprop_text.TITLE,
    "compare": compare_text.TITLE,
}


def main(page):
    return page.locator('[data-testid="stMain"]')


def link(page, label: str):
    """The page link in the page (not the sidebar) whose words are `label`."""
    return main(page).locator('[data-testid="stPageLink-NavLink"]', has_text=label)


def checked(page, task_page: str, done: int) -> None:
    """The checklist says `done` tasks are done."""
    total = len(text.TASKS[task_page])
    main(page).get_by_text(text.TRY_THIS.format(done=done, total=total)).wait_for(timeout=60_000)


def sound(page) -> None:
    wait_idle(page)
    no_exceptions(page)
    no_formula_errors(page)


def shoot(page, name: str) -> None:
    """The top of the page (opening words and checklist), then its end (the next link)."""
    page.mouse.move(0, 0)
    main(page).locator("h1").first.evaluate("h => h.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)
    screenshot(page, f"path-{name}")
    main(page).locator('[data-testid="stPageLink"]').last.evaluate(
        "link => link.scrollIntoView({block: 'end'})"
    )
    page.wait_for_timeout(500)
    screenshot(page, f"path-{name}-end")


def follow(page, here: str, there: str) -> None:
    """Click `here`'s link to the next page and wait for `there`."""
    link(page, text.NEXT_LABEL[here]).click()
    main(page).get_by_role("heading", name=HEADINGS[there]).wait_for(timeout=120_000)
    sound(page)
    assert main(page).get_by_text(text.SEE_AND_DO[there]).count() == 1
    checked(page, there, 0)


def choose(page, label: str, option: str) -> None:
    box = main(page).locator('[data-testid="stSelectbox"]').filter(has_text=label)
    box.scroll_into_view_if_needed()  # a click that scrolls first can land on a moving page
    page.wait_for_timeout(300)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


@pytest.mark.parametrize("level", ["simple", "every"])
def test_walk_the_path_doing_one_task_on_each_page(server_url, page, level):
    page.goto(server_url)
    wait_idle(page, timeout=180_000)
    main(page).get_by_text(text.PATH_HEADER).wait_for(timeout=60_000)
    sound(page)
    if level == "every":
        every_number(page)  # chosen once on the home page, it holds along the whole path

    def shoot_level(name: str) -> None:
        shoot(page, name if level == "simple" else f"{name}-every")

    for number, name in enumerate(text.ORDER, start=1):
        words = text.PATH_LINK.format(number=number, name=text.PATH_NAMES[name])
        link(page, words).first.wait_for(timeout=60_000)
        assert link(page, words).count() == 1
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_text(glossary_text.HEADER, exact=True).count() == 1  # on every page
    shoot_level("home")

    follow(page, "home", "conv_lab")
    choose(page, conv_text.PRESET, "Sobel x")
    checked(page, "conv_lab", 1)
    sound(page)
    shoot_level("conv_lab")

    follow(page, "conv_lab", "forward")
    true_label = int(load_digits28().y_test[0])  # the first test picture, the page's default
    choose(page, inputs_text.LABEL, str((true_label + 3) % 10))
    checked(page, "forward", 1)
    sound(page)
    shoot_level("forward")

    follow(page, "forward", "backprop")
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text("Loss after step 1", exact=True).wait_for(timeout=120_000)
    sound(page)
    assert "The loss went from" in main(page).inner_text()
    checked(page, "backprop", 1)
    shoot_level("backprop")
    main(page).get_by_role("heading", name=backprop_text.LOSS_HEADER, exact=True).evaluate(
        "h => h.scrollIntoView({block: 'start'})"
    )
    page.wait_for_timeout(500)
    if level == "simple":
        screenshot(page, "path-backprop-step")  # the sentence on what the first step changed
    # The level chosen on the home page still holds: formulas only in Every number.
    assert (main(page).locator(".katex").count() > 0) == (level == "every")

    follow(page, "backprop", "compare")
    epochs = page.get_by_label(compare_text.EPOCHS, exact=True)
    epochs.fill("1")
    epochs.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name=compare_text.RUN).click()
    page.get_by_role("heading", name=compare_text.WHY_HEADER).wait_for(timeout=TRAINING)
    sound(page)
    words = main(page).inner_text()
    assert any(text.TRY_THIS.format(done=n, total=2) in words for n in (1, 2))
    shoot_level("compare")

    link(page, text.BACK_HOME).click()
    main(page).get_by_text(text.PATH_HEADER).wait_for(timeout=60_000)
    sound(page)
    words = main(page).inner_text()
    assert text.PATH_PAGE.format(done=1, total=3) in words  # the convolution lab
    assert text.PATH_PAGE.format(done=1, total=2) in words  # forward, and backprop
    shoot_level("home-after")
    if level == "simple":
        glossary(page)


def glossary(page) -> None:
    """Open the glossary at the foot of the sidebar: every term, defined in plain words."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text(glossary_text.HEADER, exact=True).click()
    last = sidebar.get_by_text(glossary_text.NAMES["weight"], exact=True)  # last alphabetically
    last.wait_for(timeout=30_000)
    definition = glossary_text.DEFINITIONS["receptive field"]
    assert definition in " ".join(sidebar.inner_text().split())
    sidebar.get_by_text(glossary_text.NAMES["kernel"], exact=True).evaluate(
        "term => term.scrollIntoView({block: 'start'})"
    )
    page.wait_for_timeout(500)
    no_exceptions(page)
    screenshot(page, "path-glossary")
