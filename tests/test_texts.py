"""The words themselves: short paragraphs, and the statements the app must get right.

Every constant of every module in `cnnexplain.texts` is read. A paragraph is a run of text
between blank lines (Streamlit shows each as its own block); none may pass PARAGRAPH_WORDS.
LaTeX formulas (names ending in _TEX) and plotly hover templates are not paragraphs.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator

import pytest

import cnnexplain.texts
from cnnexplain.texts import backprop, compare, conv_lab, forward, home, stages

PARAGRAPH_WORDS = 50
# Constants allowed a longer paragraph, by "module.NAME", each with the reason. Keep it short:
# a long explanation belongs in several short paragraphs.
LONG_ALLOWED: dict[str, str] = {}


def text_modules() -> list:
    return [
        importlib.import_module(f"cnnexplain.texts.{info.name}")
        for info in pkgutil.iter_modules(cnnexplain.texts.__path__)
    ]


def strings(value: object, name: str) -> Iterator[tuple[str, str]]:
    """(name, text) of every string inside a constant, through dicts, tuples and lists."""
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{name}[{key!r}]")
    elif isinstance(value, tuple | list):
        for i, item in enumerate(value):
            yield from strings(item, f"{name}[{i}]")


def constants() -> Iterator[tuple[str, str]]:
    """("module.NAME[...]", text) of every text a learner may read."""
    for module in text_modules():
        short = module.__name__.rsplit(".", 1)[1]
        for name, value in vars(module).items():
            if not name.isupper() or name.endswith("_TEX") or name.startswith("HOVER"):
                continue
            yield from strings(value, f"{short}.{name}")


def words(paragraph: str) -> int:
    """Words as a reader counts them; a {placeholder} is one word (a number or a name)."""
    return len(re.sub(r"\{[^{}]*\}", "N", paragraph).split())


def too_long(named: list[tuple[str, str]]) -> list[str]:
    found = []
    for name, value in named:
        allowed = name.split("[", 1)[0] in LONG_ALLOWED
        for paragraph in value.split("\n\n"):
            if words(paragraph) > PARAGRAPH_WORDS and not allowed:
                found.append(f"{name}: {words(paragraph)} words: {paragraph[:60]}...")
    return found


def test_no_paragraph_is_longer_than_the_limit():
    assert not too_long(list(constants())), "split these:\n" + "\n".join(
        too_long(list(constants()))
    )


def test_the_length_check_finds_a_long_paragraph_and_counts_placeholders_as_words():
    long = " ".join(["word"] * PARAGRAPH_WORDS) + " {one_more}"
    assert too_long([("m.LONG", long)]) == [f"m.LONG: {PARAGRAPH_WORDS + 1} words: {long[:60]}..."]
    assert too_long([("m.SPLIT", long.replace(" {one_more}", "\n\n{one_more}"))]) == []
    assert too_long([("m.D['k']", "x " * 60)]) != []


def test_the_allowed_long_texts_exist():
    names = {name.split("[", 1)[0] for name, _ in constants()}
    assert set(LONG_ALLOWED) <= names


def test_products_are_ordered_by_size_never_largest_first():
    for name, value in constants():
        assert "largest first" not in value, name
    assert "by size" in forward.DENSE_TERMS_HEADER and "by size" in backprop.TERMS_TOP


def test_log_is_said_to_be_the_natural_logarithm():
    assert "natural logarithm" in forward.CE_FORMULA
    assert "natural logarithm" in forward.BCE_FORMULA


def test_the_missing_kernel_flip_is_said_once_on_each_page_that_slides_a_kernel():
    for module in (conv_lab, forward):
        said = [name for name, value in vars(module).items() if "cross-correlation" in str(value)]
        assert len(said) == 1, (module.__name__, said)
    assert "Sobel" in conv_lab.NO_FLIP


def test_adam_is_said_to_step_against_m_and_by_at_most_the_learning_rate():
    adam = backprop.OPTIMIZER_HELP["adam"]
    assert "against m" in adam and "direction m points" not in adam
    assert "at most about the learning rate" in backprop.ADAM_NOTE
    assert "first step" in backprop.ADAM_NOTE_FIRST
    assert "start at 0" in backprop.ADAM_WORDS and "ε" in backprop.ADAM_WORDS


def test_the_loss_is_not_called_small_for_a_right_answer():
    assert "small" not in forward.LOSS_RIGHT and "{p}" in forward.LOSS_RIGHT
    assert "{chance}" in forward.LOSS_SCALE


@pytest.mark.parametrize(
    ("text", "needed"),
    [
        (backprop.BACKWARD_INTRO, ("starts at the loss", "sum")),
        (backprop.OPTIMIZER_STALL, ("saddles", "flat")),
        (compare.OPTIMIZER_HELP, ("saddles",)),
        (compare.ROBUST_EXPLAIN["shift"], ("moves with it", "only sometimes")),
        (compare.STORY, ("average",)),
        (home.STORY, ("average",)),
        (forward.LABEL_TRAVELS, ("give the answer away",)),
        (forward.FLAT_OTHER_INPUTS, ("could join this list",)),
        (stages.STAGE_KIND["flatten"], ("give the answer away",)),
        (compare.MATCH_HELP, ("multiply-adds",)),
        (compare.FIND_CHANCE, ("most common class",)),
    ],
)
def test_each_corrected_statement_says_what_it_must(text, needed):
    for phrase in needed:
        assert phrase in text
