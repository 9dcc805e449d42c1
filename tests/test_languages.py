"""Every learner reads their own language: the Hebrew texts match the English ones name for
name, and no word is frozen in one language when a module is imported."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from cnnexplain import texts
from cnnexplain.texts import language
from tools.texts_parity import check

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("page", texts.PAGES)
def test_each_texts_module_has_a_hebrew_twin_with_the_same_names_fields_and_shape(page):
    assert check(page) == []


def _texts_aliases(tree: ast.Module) -> set[str]:
    aliases = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "cnnexplain.texts":
            aliases |= {a.asname or a.name for a in node.names}
    return aliases


def _frozen_words(path: Path) -> list[str]:
    """Words a module reads from texts while it is imported, not while a page draws."""
    tree = ast.parse(path.read_text())
    aliases = _texts_aliases(tree)
    found = []
    for node in tree.body:
        module = node.module if isinstance(node, ast.ImportFrom) else None
        if (module or "").startswith("cnnexplain.texts.") and module != "cnnexplain.texts.language":
            found.append(f"{path.name}:{node.lineno} imports words by name")
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Name) and inner.id in aliases:
                    found.append(f"{path.name}:{node.lineno} reads {inner.id} at import")
                    break
    return found


def _modules_that_draw() -> list[Path]:
    """The UI's modules (pages are scripts: all they read, they read while drawing)."""
    folders = [ROOT / "cnnexplain" / "ui", ROOT / "cnnexplain" / "figures"]
    return sorted(p for folder in folders for p in folder.rglob("*.py"))


def test_no_module_freezes_words_at_import():
    frozen = [f for path in _modules_that_draw() for f in _frozen_words(path)]
    assert frozen == []


def test_the_frozen_words_check_finds_a_constant_built_from_words(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from cnnexplain.texts import compare as text\n"
        "from cnnexplain.texts.stages import STAGE_KIND\n"
        "COLUMNS = (text.COL_MODEL,)\n"
    )
    assert _frozen_words(bad) == [
        "bad.py:2 imports words by name",
        "bad.py:3 reads text at import",
    ]


def test_words_follow_the_current_language_and_default_to_english():
    backprop = importlib.import_module("cnnexplain.texts.backprop")
    english = backprop.TITLE
    try:
        language.use(lambda: language.HEBREW)
        hebrew = backprop.TITLE
        language.use(lambda: "xx")  # an unknown language reads English
        assert english == backprop.TITLE
    finally:
        language.use(lambda: language.ENGLISH)
    assert hebrew != english and any("\u0590" <= c <= "\u05ff" for c in hebrew)
    assert english == backprop.TITLE


def test_hebrew_sentences_isolate_what_fills_them_but_never_touch_formulas():
    prepared = language._isolate_fields("ירד מ-{a:.3f} ל-{b} ב-$w_{i}$, %{z}")
    assert prepared == "ירד מ-\u2068{a:.3f}\u2069 ל-\u2068{b}\u2069 ב-$w_{i}$, %{z}"
    filled = language._isolate_fields("ירד מ-{a:.3f} ל-{b}, %{{z}}").format(a=-0.5, b="W[0,1]")
    assert filled == "ירד מ-\u2068-0.500\u2069 ל-\u2068W[0,1]\u2069, %{z}"
