"""The glossary: every term defined once, in plain words; the hover help of controls built on it."""

from __future__ import annotations

import re

import pytest
from pagekit import app
from streamlit.testing.v1 import AppTest

from cnnexplain.texts import backprop as bp_text
from cnnexplain.texts import compare as cmp_text
from cnnexplain.texts import glossary as text
from cnnexplain.texts import sidebar as side_text
from cnnexplain.ui.kit.glossary import entry, term_help

# Every term the app uses, as a learner would look it up.
TERMS = (
    "kernel", "feature map", "channel", "stride", "padding", "dilation", "activation", "ReLU",
    "pooling", "flatten", "dense", "logit", "softmax", "sigmoid", "loss", "cross-entropy",
    "gradient", "chain rule", "learning rate", "batch", "epoch", "optimizer", "momentum", "Adam",
    "parameter", "receptive field", "saliency", "Grad-CAM", "overfitting",
)  # fmt: skip
# Notation a beginner has not met: formulas, Greek letters, code values.
NOTATION = re.compile(r"[=∂σβεδ∑√^_{}\\]|dL/|\b(?:relu|avg|sgd)\b")


def test_every_term_is_in_the_glossary_once():
    names = [name.casefold() for name in text.NAMES.values()]
    for term in TERMS:
        found = [n for n in names if n == term.casefold() or n.startswith(term.casefold() + " ")]
        assert len(found) == 1, (term, found)
    assert text.NAMES.keys() == text.DEFINITIONS.keys()


@pytest.mark.parametrize("term", list(text.DEFINITIONS))
def test_each_definition_is_one_or_two_plain_sentences(term):
    definition = text.DEFINITIONS[term]
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", definition) if s]
    assert 1 <= len(sentences) <= 2, definition
    assert len(definition.split()) <= 45, definition
    assert not NOTATION.search(definition), definition
    assert definition[0].isupper() and definition.endswith(".")


def test_a_term_s_help_is_its_definition_then_what_the_control_adds():
    assert term_help("stride") == f"**Stride**: {text.DEFINITIONS['stride']}"
    assert term_help("softmax", "sigmoid", more="Pick one.") == (
        f"{entry('softmax')}\n\n{entry('sigmoid')}\n\nPick one."
    )
    with pytest.raises(KeyError):
        term_help("not a term")


# The sidebar's controls: (widget kind, key) -> (the terms its help defines, what it adds).
SIDEBAR_HELP = {
    ("selectbox", "arch_dataset_choice"): (("data set",), side_text.DATASET_HELP),
    ("number_input", "arch_n_blocks"): (("conv block",), side_text.BLOCKS_HELP),
    ("number_input", "arch_b1_filters"): (("feature map",), side_text.FILTERS_HELP),
    ("number_input", "arch_b1_kernel"): (("kernel",), side_text.KERNEL_HELP),
    ("number_input", "arch_b1_stride"): (("stride",), ""),
    ("number_input", "arch_b1_padding"): (("padding",), ""),
    ("number_input", "arch_b1_dilation"): (("dilation",), ""),
    ("selectbox", "arch_b1_activation"): (("activation",), side_text.ACTIVATION_HELP),
    ("selectbox", "arch_b1_pool"): (("pooling",), side_text.POOL_HELP),
    ("number_input", "arch_b1_psize"): (("pooling",), side_text.POOL_SIZE_HELP),
    ("text_input", "arch_dense"): (("dense",), side_text.DENSE_HELP),
    ("selectbox", "arch_dense_activation"): (("activation",), side_text.DENSE_ACTIVATION_HELP),
    ("radio", "arch_head"): (("softmax", "sigmoid"), ""),
    ("radio", "arch_trained_choice"): (("weight",), side_text.TRAINED_HELP),
}


def widget(at: AppTest, kind: str, key: str):
    return getattr(at, kind)(key=key)


def assert_help(at: AppTest, helps: dict) -> None:
    for (kind, key), (terms, more) in helps.items():
        shown = widget(at, kind, key).help
        for term in terms:
            assert text.DEFINITIONS[term] in shown, (key, term)
        assert shown == term_help(*terms, more=more), key


def test_every_sidebar_control_explains_its_term_from_the_glossary():
    at = app()
    assert not at.exception
    assert_help(at, SIDEBAR_HELP)
    # Every control of the sidebar has hover help.
    controls = [*at.sidebar.number_input, *at.sidebar.selectbox, *at.sidebar.radio]
    assert all(control.help for control in [*controls, *at.sidebar.text_input])


def test_the_backprop_and_compare_settings_explain_their_terms_from_the_glossary():
    at = app()
    at.switch_page("pages/backprop.py").run()
    at.radio(key="bp_source").set_value("batch").run()
    assert not at.exception
    assert_help(
        at,
        {
            ("radio", "bp_optimizer"): (("optimizer", "momentum", "adam"), ""),
            ("select_slider", "bp_lr"): (("learning rate",), bp_text.LR_HELP),
            ("number_input", "bp_batch_size"): (("batch",), bp_text.BATCH_SIZE_HELP),
        },
    )
    at.switch_page("pages/compare.py").run()
    assert not at.exception
    assert_help(
        at,
        {
            ("number_input", "cmp_epochs"): (("epoch", "overfitting"), ""),
            ("number_input", "cmp_batch"): (("batch",), cmp_text.BATCH_HELP),
            ("select_slider", "cmp_lr"): (("learning rate",), cmp_text.LR_HELP),
            ("selectbox", "cmp_optimizer"): (("optimizer",), cmp_text.OPTIMIZER_HELP),
        },
    )


def glossary_panel() -> None:
    from cnnexplain.ui.kit.glossary import show_glossary

    show_glossary(expanded=True)


def test_the_glossary_panel_lists_every_term_in_alphabetical_order():
    at = AppTest.from_function(glossary_panel, default_timeout=60).run()
    assert not at.exception
    (panel,) = at.expander
    assert panel.label == text.HEADER
    shown = [m.value for m in panel.markdown]
    assert len(shown) == len(text.NAMES)
    names = [re.match(r"\*\*(.+?)\*\*", line).group(1) for line in shown]
    assert names == sorted(text.NAMES.values(), key=str.casefold)
    for term, definition in text.DEFINITIONS.items():
        assert entry(term) in shown and definition in entry(term)


@pytest.mark.parametrize("page", ["home", "conv_lab", "forward", "backprop", "compare"])
def test_every_page_s_sidebar_ends_with_the_whole_glossary(page):
    at = app()
    if page != "home":
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception
    (panel,) = [e for e in at.sidebar.expander if e.label == text.HEADER]
    assert [m.value for m in panel.markdown] == [
        entry(term) for term in sorted(text.NAMES, key=lambda key: text.NAMES[key].casefold())
    ]


def test_the_glossary_panel_speaks_hebrew_to_a_hebrew_reader():
    from cnnexplain.texts import language
    from cnnexplain.texts.he import glossary as he
    from cnnexplain.ui.kit.language import LANGUAGE_KEY

    at = app()
    at.session_state[LANGUAGE_KEY] = language.HEBREW
    at.run()
    assert not at.exception
    (panel,) = [e for e in at.sidebar.expander if e.label == he.HEADER]
    shown = " ".join(m.value for m in panel.markdown)
    for term in text.NAMES:
        assert he.NAMES[term] in shown, term
