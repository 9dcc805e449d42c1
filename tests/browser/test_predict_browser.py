"""Predict, then see, in a real browser at the Simple level: each page's question answered (or
skipped) through its own controls, the verdict and the live answer shown, the score counted in
the sidebar, and no traceback or broken formula anywhere on the way."""

from __future__ import annotations

import re

import numpy as np
import pytest
from browserkit import no_exceptions, no_formula_errors, screenshot, wait_idle

from cnnexplain.io.datasets import load_digits28
from cnnexplain.model.questions import conv_output_size
from cnnexplain.model.trace import trace
from cnnexplain.texts import backprop as backprop_text
from cnnexplain.texts import compare as compare_text
from cnnexplain.texts import conv_lab as conv_lab_text
from cnnexplain.texts import forward as forward_text
from cnnexplain.texts import path as path_text
from cnnexplain.texts import predict as text
from cnnexplain.training import pretrained
from cnnexplain.training.store import DEFAULT_DATASET, DEFAULT_SPEC

pytestmark = pytest.mark.browser

TRAINING = 300_000  # ms: the machine is shared, and the first epoch of a CNN is the slowest


def main(page):
    return page.locator('[data-testid="stMain"]')


def sound(page) -> None:
    wait_idle(page)
    no_exceptions(page)
    no_formula_errors(page)


HEADINGS = {
    "conv_lab": conv_lab_text.TITLE,
    "forward": forward_text.TITLE,
    "backprop": backprop_text.TITLE,
    "compare": compare_text.TITLE,
}


def go_to(page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=path_text.TITLES[name]).click()
    main(page).locator("h1").filter(has_text=HEADINGS[name]).wait_for(timeout=120_000)
    sound(page)


def box(page, question: str):
    """The bordered box that asks `question`."""
    boxes = main(page).locator('[data-testid="stVerticalBlock"]').filter(has_text=question)
    return boxes.filter(has=page.get_by_role("radiogroup")).last


def pick(page, question: str, option: str) -> None:
    """Choose `option` among the answers to `question`, and wait for the run it starts."""
    box(page, question).get_by_role("radiogroup").get_by_text(option, exact=True).click()
    page.wait_for_timeout(300)
    wait_idle(page)


def check(page, question: str) -> None:
    box(page, question).get_by_role("button", name=text.CHECK).click()


def score_says(page, right: int | None, answered: int) -> None:
    words = text.SCORE.format(right=right if right is not None else 0, answered=answered)
    pattern = re.escape(words) if right is not None else words.replace("0 of", r"\d of")
    page.get_by_test_id("stSidebar").get_by_text(re.compile(pattern)).wait_for(timeout=60_000)


def shoot(page, locator, name: str) -> None:
    page.mouse.move(0, 0)
    locator.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(500)
    screenshot(page, f"predict-{name}")


def test_answer_every_question_on_every_page(server_url, page):
    page.goto(server_url)
    wait_idle(page, timeout=180_000)
    sound(page)

    # Convolution lab: the default setting, an 8×8 square, a 3×3 kernel, padding 1.
    go_to(page, "conv_lab")
    main(page).get_by_text(text.LAB_QUESTION).wait_for(timeout=60_000)
    assert "The output is" not in main(page).inner_text()
    rows, cols = conv_output_size(8, 8, 3, 1, 1, 1)
    pick(page, text.LAB_QUESTION, text.LAB_SIZE.format(rows=rows, cols=cols))
    check(page, text.LAB_QUESTION)
    main(page).get_by_text(f"The output is {rows}×{cols}").wait_for(timeout=60_000)
    sound(page)
    assert (
        f"{text.RIGHT} {text.YOU_SAID.format(guess=f'{rows}×{cols}')}".replace("**", "")
        in main(page).inner_text()
    )
    score_says(page, 1, 1)
    shoot(page, main(page).get_by_text(text.LAB_QUESTION), "conv_lab")

    # Forward pass: the network's choice for the first test picture, the page's default.
    go_to(page, "forward")
    digits = load_digits28()
    entry = pretrained.load(DEFAULT_SPEC, digits, DEFAULT_DATASET)
    live = trace(entry.model, np.asarray(digits.x_test[0]), label=int(digits.y_test[0]))
    chosen = digits.class_names[live.predicted]
    main(page).get_by_text(text.CLASS_QUESTION).wait_for(timeout=60_000)
    wait_idle(page)
    words = main(page).inner_text()
    assert "The network says" not in words and "closest training pictures" not in words
    shoot(page, main(page).get_by_text(text.CLASS_QUESTION), "forward_class_asked")
    pick(page, text.CLASS_QUESTION, chosen)
    check(page, text.CLASS_QUESTION)
    main(page).get_by_text(re.compile(r"^The network says")).wait_for(timeout=60_000)
    sound(page)
    assert text.RIGHT in main(page).inner_text()
    reveal = text.CLASS_REVEAL.format(name=chosen, p=float(live.probs.max())).replace("**", "")
    assert reveal in main(page).inner_text()
    score_says(page, 2, 2)
    shoot(page, main(page).get_by_text(text.CLASS_QUESTION), "forward_class")

    # The max-pool stage: its window is asked about before the stage is shown.
    for n, name in ((2, "conv1"), (3, "relu1")):
        main(page).get_by_role("button", name=forward_text.NEXT).click()
        heading = main(page).locator("h3").filter(has_text=re.compile(rf"^{n}\. {name}:"))
        heading.wait_for(timeout=60_000)
        wait_idle(page)
    main(page).get_by_role("button", name=forward_text.NEXT).click()  # on to maxpool1
    pool_words = main(page).get_by_text(re.compile(r"keeps one number of each"))
    pool_words.wait_for(timeout=60_000)
    sound(page)
    question = pool_words.inner_text()
    first = box(page, question).get_by_role("radiogroup").locator("label").first
    first.click()
    page.wait_for_timeout(300)
    wait_idle(page)
    check(page, question)
    main(page).get_by_text(re.compile(r"^The largest of")).wait_for(timeout=60_000)
    sound(page)
    score_says(page, None, 3)
    shoot(page, pool_words, "forward_pool")

    # Backpropagation: both predictions, then a Step.
    go_to(page, "backprop")
    main(page).get_by_text(text.P_QUESTION).wait_for(timeout=60_000)
    pick(page, text.P_QUESTION, text.P_OPTIONS["up"])
    pick(page, text.LOSS_QUESTION.split(" (")[0], text.LOSS_OPTIONS["falls"])
    main(page).get_by_role("button", name=backprop_text.STEP, exact=True).click()
    result = main(page).get_by_text(text.STEP_RESULT_HEADER.format(number=1).replace("**", ""))
    result.wait_for(timeout=120_000)
    sound(page)
    words = main(page).inner_text()
    assert "The true class's probability went from" in words and "The loss went from" in words
    score_says(page, None, 5)
    shoot(page, result, "backprop")

    # The comparison: a guess locked in, then one epoch of training, then the verdict.
    go_to(page, "compare")
    cmp_question = text.CMP_QUESTION.format(shift=3)
    main(page).get_by_text(cmp_question).wait_for(timeout=60_000)
    pick(page, cmp_question, text.CMP_OPTIONS["CNN"])
    box(page, cmp_question).get_by_role("button", name=text.CMP_LOCK).click()
    main(page).get_by_text(re.compile("Train both networks to see who was right")).wait_for(
        timeout=60_000
    )
    epochs = page.get_by_label(compare_text.EPOCHS, exact=True)
    epochs.fill("1")
    epochs.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name=compare_text.RUN).click()
    page.get_by_role("heading", name=compare_text.WHY_HEADER).wait_for(timeout=TRAINING)
    revealed = main(page).get_by_text(re.compile(r"^Moved 3 pixels, the CNN got"))
    revealed.wait_for(timeout=60_000)
    sound(page)
    score_says(page, None, 6)
    shoot(page, main(page).get_by_text(cmp_question).last, "compare")
