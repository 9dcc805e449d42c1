"""Every learner reads their own language: the Hebrew texts match the English ones name for
name, and no word is frozen in one language when a module is imported."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import numpy as np
import pytest
from pagekit import APP, app
from streamlit.testing.v1 import AppTest

from cnnexplain import texts
from cnnexplain.core.kernels import PRESET_DESCRIPTIONS, PRESETS
from cnnexplain.figures import backprop as figbackprop
from cnnexplain.figures import forward as figforward
from cnnexplain.figures import lab as figlab
from cnnexplain.figures import maps as figmaps
from cnnexplain.figures import tiles as figtiles
from cnnexplain.figures import timeline as figtimeline
from cnnexplain.io.datasets import _OPENML, DATASETS, SHAPE_CLASSES, load_dataset
from cnnexplain.texts import conv_lab as conv_lab_text
from cnnexplain.texts import datasets as datasets_text
from cnnexplain.texts import language
from cnnexplain.texts.he import languages as hebrew_words
from cnnexplain.ui.kit import datasets as named
from cnnexplain.ui.kit.language import LANGUAGE_KEY
from tools.texts_parity import PLOTLY as PLOTLY_FIELD
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
    with language.speaking(language.HEBREW):
        hebrew = backprop.TITLE
    with language.speaking("xx"):  # an unknown language reads English
        assert english == backprop.TITLE
    assert hebrew != english and any("\u0590" <= c <= "\u05ff" for c in hebrew)
    assert english == backprop.TITLE


def test_hebrew_sentences_isolate_what_fills_them_but_never_touch_formulas():
    prepared = language._isolate_fields("ירד מ-{a:.3f} ל-{b} ב-$w_{i}$, %{z}")
    assert prepared == "ירד מ-\u2068{a:.3f}\u2069 ל-\u2068{b}\u2069 ב-$w_{i}$, %{z}"
    filled = language._isolate_fields("ירד מ-{a:.3f} ל-{b}, %{{z}}").format(a=-0.5, b="W[0,1]")
    assert filled == "ירד מ-\u2068-0.500\u2069 ל-\u2068W[0,1]\u2069, %{z}"


def test_fields_joined_into_one_expression_share_one_isolate():
    # One isolate each, the parts of "1×28×28" would be neutrals of the Hebrew sentence and
    # be shown in its order, right to left: "28×28×1"; "relu(0.5)" would become "(0.5)relu".
    shape = language._isolate_fields("תמונות {channels}×{size}×{size} ו-{h}×{w}.")
    assert shape == "תמונות \u2068{channels}×{size}×{size}\u2069 ו-\u2068{h}×{w}\u2069."
    call = language._isolate_fields("ההפעלה: {kind}({result}) = **{value}**, ב-({at})")
    assert (
        call
        == "ההפעלה: \u2068{kind}({result})\u2069 = **\u2068{value}\u2069**, ב-(\u2068{at}\u2069)"
    )
    with language.speaking(language.HEBREW):
        from cnnexplain.texts import conv_lab

        assert "\u2068{Ho}×{Wo}\u2069" in conv_lab.OUTPUT_SHAPE


# ---------------------------------------------------------------------------------------------
# Words the library writes itself: charts, data sets, named kernels


def _in_hebrew(build):
    """What `build()` returns while a Hebrew reader's page draws."""
    with language.speaking(language.HEBREW):
        return build()


def _is_hebrew(words: str) -> bool:
    return any("\u0590" <= c <= "\u05ff" for c in words)


def _hover_templates(fig) -> list[str]:
    return [t.hovertemplate for t in fig.data if t.hovertemplate]


def _charts():
    """A few charts as the pages build them when they pass no words of their own."""
    grid = np.arange(9, dtype=np.float64).reshape(3, 3) / 9
    steps, losses, accuracies = [0, 1, 2], [np.nan, 0.9, 0.5], [0.1, 0.4, 0.7]
    return {
        "small grid": figlab.small_grid(grid, zrange=(0.0, 1.0), colorscale="Greys"),
        "output map": figlab.output_map(grid),
        "feature maps": figmaps.feature_maps(np.stack([grid, grid])),
        "vector": figmaps.vector(np.arange(3.0)),
        "activation": figforward.activation_curve(grid, grid, x_title="x", y_title="y"),
        "kernel change": figbackprop.kernel_change(grid[None, None], grid[None, None] + 0.1),
        "loss curve": figbackprop.loss_curve([1, 2], [0.9, 0.5], [0.8, 0.4]),
        "timeline": figtimeline.curves_at(steps, losses, accuracies, 1),
        "tiles": figtiles.map_grid(np.stack([grid]), names=["conv1"], ranges=[(0.0, 1.0)]),
    }


def test_charts_speak_hebrew_and_keep_their_plotly_fields():
    english, hebrew = _charts(), _in_hebrew(_charts)
    for name, fig in hebrew.items():
        hovers, before = _hover_templates(fig), _hover_templates(english[name])
        assert hovers and all(_is_hebrew(h) for h in hovers), name
        for h, e in zip(hovers, before, strict=True):
            assert PLOTLY_FIELD.findall(h) == PLOTLY_FIELD.findall(e), name
            assert not _is_hebrew(e), name
    titles = [a.text for a in hebrew["feature maps"].layout.annotations]
    assert titles and all(_is_hebrew(t) for t in titles)
    for name in ("loss curve", "timeline"):
        layout = hebrew[name].layout
        assert _is_hebrew(layout.xaxis.title.text) and _is_hebrew(layout.yaxis.title.text)
        assert all(_is_hebrew(t.name) for t in hebrew[name].data)
    panels = [a.text for a in hebrew["kernel change"].layout.annotations if a.text]
    assert panels and all(_is_hebrew(t) for t in panels)


def test_charts_keep_their_english_words_for_scripts():
    fig = figlab.small_grid(np.zeros((2, 2)), zrange=(0.0, 1.0), colorscale="Greys")
    assert fig.data[0].hovertemplate == "row %{y}, col %{x}<br>value %{z:.4f}<extra></extra>"
    assert fig.data[1].hovertemplate == "row %{y}, col %{x}<br>padding 0<extra></extra>"
    loss = figbackprop.loss_curve([1], [0.9], [0.8])
    assert [t.name for t in loss.data] == ["before the step", "after the step"]


def test_the_english_data_set_and_kernel_words_are_the_librarys_own():
    assert {k: i.title for k, i in DATASETS.items()} == datasets_text.TITLES
    for key in ("digits", "digits-0-1", "shapes", "shapes-rgb"):
        data = load_dataset(key)
        assert named.description(data) == data.description
        assert named.class_names(data) == data.class_names
    assert datasets_text.CLASS_NAMES["shapes"] == SHAPE_CLASSES
    for key, source in _OPENML.items():
        names = datasets_text.CLASS_NAMES.get(key, source.class_names)
        assert names == source.class_names
        assert datasets_text.DESCRIPTIONS[key] == source.description
    assert conv_lab_text.PRESET_DESCRIPTIONS == PRESET_DESCRIPTIONS
    assert list(conv_lab_text.PRESET_NAMES) == list(PRESETS)


def test_data_sets_and_kernels_read_hebrew_and_a_learners_own_names_stay():
    shapes = load_dataset("shapes")
    title, names, about, kernel = _in_hebrew(
        lambda: (
            named.title("digits"),
            named.class_names(shapes),
            named.description(shapes),
            conv_lab_text.PRESET_DESCRIPTIONS["Sobel x"],
        )
    )
    assert _is_hebrew(title) and _is_hebrew(about) and _is_hebrew(kernel)
    assert len(names) == len(shapes.class_names) and all(_is_hebrew(n) for n in names)
    assert f"{len(shapes.x_train) + len(shapes.x_test):,}" in about
    assert shapes.class_names == SHAPE_CLASSES  # the library's data set is not changed
    own = ("cat", "dog")
    assert _in_hebrew(lambda: named.names_for("your pictures", own)) == own
    assert _in_hebrew(lambda: named.names_for("shapes", own)) == own  # not the shapes' classes


def test_streamlits_own_english_words_are_replaced_on_a_hebrew_page_only():
    english = app()
    assert not any("stWidgetLabelRequired" in e.proto.body for e in english.get("html"))
    hebrew = AppTest.from_file(APP, default_timeout=120)
    hebrew.session_state[LANGUAGE_KEY] = language.HEBREW
    styles = "".join(e.proto.body for e in hebrew.run().get("html"))
    assert f'content: "{hebrew_words.REQUIRED}"' in styles
    assert f'content: "{hebrew_words.UPLOAD}"' in styles
    assert "stFileUploaderDropzoneInstructions" in styles  # the English limits line is hidden
