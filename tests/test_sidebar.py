"""The shared sidebar: building a network, and refusing impossible ones without losing the old."""

from dataclasses import replace

import pytest
from pagekit import app

from cnnexplain.io.datasets import DATASETS, DatasetUnavailable, load_dataset
from cnnexplain.model.spec import ArchitectureError, ConvBlock
from cnnexplain.texts import sidebar as text
from cnnexplain.training.store import DEFAULT_SPEC
from cnnexplain.ui.kit import errors
from cnnexplain.ui.kit.sidebar import POOL_CHOICES, TWO_CLASS_DATASET

BUILD = "FormSubmitter:arch_form-Build this network"


@pytest.fixture
def at():
    return app()


def test_a_new_session_starts_on_the_default_network(at):
    assert not at.exception
    assert at.session_state["arch_spec"] == DEFAULT_SPEC
    assert at.number_input(key="arch_n_blocks").value == 2
    assert at.number_input(key="arch_b2_filters").value == 16


def test_building_a_third_block_changes_the_pipeline(at):
    at.number_input(key="arch_n_blocks").set_value(3).run()
    at.number_input(key="arch_b3_filters").set_value(4)
    at.button(key=BUILD).click().run()
    assert not at.exception
    spec = at.session_state["arch_spec"]
    assert len(spec.conv_blocks) == 3 and spec.conv_blocks[2].filters == 4
    assert any("**conv3**: shape 4 × 7 × 7, 580 parameters" in m.value for m in at.markdown)


def test_an_impossible_kernel_is_refused_beside_its_block_and_the_old_network_stays(at):
    at.number_input(key="arch_n_blocks").set_value(3).run()
    at.number_input(key="arch_b3_kernel").set_value(11)
    at.button(key=BUILD).click().run()
    assert not at.exception
    assert at.session_state["arch_spec"] == DEFAULT_SPEC
    (error,) = at.error
    assert "block 3's 11×11 kernel" in error.value and "is kept" in error.value
    # The message sits inside block 3's expander, which opens to show it.
    block3 = next(e for e in at.expander if e.label == "Conv block 3")
    assert any("block 3's 11×11 kernel" in el.value for el in block3.error)


def test_bad_dense_widths_are_explained(at):
    at.text_input(key="arch_dense").set_value("32, x")
    at.button(key=BUILD).click().run()
    assert "whole numbers separated by commas" in at.error[0].value
    assert at.session_state["arch_spec"] == DEFAULT_SPEC


def test_sigmoid_needs_two_classes_and_works_on_zeros_and_ones(at):
    at.radio(key="arch_head").set_value("sigmoid")
    at.button(key=BUILD).click().run()
    assert "two-class data set" in at.error[0].value
    assert at.session_state["arch_spec"].head == "softmax"
    at.selectbox(key="arch_dataset_choice").set_value("digits-0-1").run()
    at.radio(key="arch_head").set_value("sigmoid")
    at.button(key=BUILD).click().run()
    assert not at.error and not at.exception
    spec = at.session_state["arch_spec"]
    assert (spec.head, spec.num_classes) == ("sigmoid", 2)
    assert any("**probs**: shape 1," in m.value for m in at.markdown)


def test_an_offline_data_set_keeps_the_current_one(at):
    at.selectbox(key="arch_dataset_choice").set_value("mnist").run()
    at.button(key=BUILD).click().run()
    assert not at.exception
    assert "could not be downloaded" in at.error[0].value
    assert at.session_state["arch_dataset"] == "digits"


def test_untrained_network_says_so(at):
    at.radio(key="arch_trained_choice").set_value(False)
    at.button(key=BUILD).click().run()
    assert not at.exception
    assert any("Not trained" in w.value for w in at.warning)


# ---------------------------------------------------------------------------------------------
# Every reason a network is refused, as the sidebar and the page say it


def refusal(**changes) -> str:
    """What the library says about the default network with `changes`."""
    with pytest.raises(ArchitectureError) as err:
        replace(DEFAULT_SPEC, **changes)
    return err.value.problem


def unavailable(key: str) -> str:
    with pytest.raises(DatasetUnavailable) as err:
        load_dataset(key)
    return text.DATASET_UNAVAILABLE.format(message=err.value, previous=DATASETS["digits"].title)


def third_block(at, **controls) -> None:
    at.number_input(key="arch_n_blocks").set_value(3).run()
    for name, value in controls.items():
        at.number_input(key=f"arch_b3_{name}").set_value(value)


def small_pools_then_third_block(at) -> None:
    at.number_input(key="arch_n_blocks").set_value(3).run()
    for i in (1, 2):
        at.number_input(key=f"arch_b{i}_psize").set_value(4)


def wide_maps(at) -> None:
    for i in (1, 2):
        at.number_input(key=f"arch_b{i}_filters").set_value(64)
        at.selectbox(key=f"arch_b{i}_pool").select_index(POOL_CHOICES.index(None))
    at.text_input(key="arch_dense").set_value("4096")


FOUR = (ConvBlock(8, pool_size=4), ConvBlock(16, pool_size=4), ConvBlock())
WIDE = (ConvBlock(64, pool=None), ConvBlock(64, pool=None))
REFUSALS = {
    # name: (what the learner does, the control at fault, what is said there)
    "kernel too large": (
        lambda at: third_block(at, kernel=11),
        "block:3",
        lambda: refusal(conv_blocks=(*DEFAULT_SPEC.conv_blocks, ConvBlock(kernel_size=11))),
    ),
    "pooled away": (
        small_pools_then_third_block,
        "block:3",
        lambda: refusal(conv_blocks=FOUR),
    ),
    "sigmoid on ten classes": (
        lambda at: at.radio(key="arch_head").set_value("sigmoid"),
        "head",
        lambda: text.SIGMOID_NEEDS_TWO.format(
            dataset=DATASETS["digits"].title,
            classes=10,
            two_class=DATASETS[TWO_CLASS_DATASET].title,
        ),
    ),
    "widths not numbers": (
        lambda at: at.text_input(key="arch_dense").set_value("32, x"),
        "dense",
        lambda: text.DENSE_BAD,
    ),
    "width too large": (
        lambda at: at.text_input(key="arch_dense").set_value("64, 5000"),
        "dense",
        lambda: refusal(dense=(64, 5000)),
    ),
    "too many dense layers": (
        lambda at: at.text_input(key="arch_dense").set_value(", ".join(["8"] * 9)),
        "dense",
        lambda: refusal(dense=(8,) * 9),
    ),
    "dense layer too large": (
        wide_maps,
        "dense",
        lambda: refusal(conv_blocks=WIDE, dense=(4096,)),
    ),
    "data set offline": (
        lambda at: at.selectbox(key="arch_dataset_choice").set_value("mnist").run(),
        "dataset",
        lambda: unavailable("mnist"),
    ),
}
PLACES = {"dense": text.DENSE, "head": text.HEAD, "dataset": text.DATASET}


@pytest.mark.parametrize("reason", REFUSALS)
def test_every_refusal_is_a_sentence_beside_its_control_and_a_notice_on_the_page(at, reason):
    act, place, said = REFUSALS[reason]
    message = said()
    act(at)
    at.button(key=BUILD).click().run()
    assert not at.exception
    assert at.session_state["arch_spec"] == DEFAULT_SPEC
    kept_place, kept_reason = at.session_state["arch_error"]
    assert (kept_place, errors.problem(kept_reason)) == (place, message)
    (error,) = at.sidebar.error
    assert error.value == f"{message} {text.KEPT}"
    assert error.value[0].isupper()
    label = PLACES.get(place) or text.BLOCK.format(i=place.removeprefix("block:"))
    if place.startswith("block:"):
        block = next(e for e in at.expander if e.label == label)
        assert [e.value for e in block.error] == [error.value]
    notices = [w.value for w in at.main.warning]
    assert text.NOT_BUILT.format(reason=f"{label}: {message}") in notices


def test_a_map_pooled_away_is_explained_by_the_sizes_of_the_blocks_before():
    message = refusal(conv_blocks=FOUR)
    assert message == (
        "After block 3's convolution the map is 1×1, too small for its 2×2 max pooling window. "
        "Map sizes on the way: 28×28 → 7×7 (block 1: 4×4 max pooling) → 1×1 (block 2: 4×4 max "
        "pooling). Use a smaller pool or none in this block; or keep the map larger in blocks "
        "1-2 (a smaller pool), or use fewer blocks."
    )


def test_the_sigmoid_message_names_the_two_class_data_set_the_sidebar_offers(at):
    assert load_dataset(TWO_CLASS_DATASET).num_classes == 2
    at.radio(key="arch_head").set_value("sigmoid")
    at.button(key=BUILD).click().run()
    (error,) = at.sidebar.error
    assert f"**{DATASETS[TWO_CLASS_DATASET].title}**" in error.value
    assert "number of classes" not in error.value
    options = at.selectbox(key="arch_dataset_choice").options
    assert DATASETS[TWO_CLASS_DATASET].title in options


def test_the_notice_goes_once_a_network_is_built_and_follows_to_other_pages(at):
    third_block(at, kernel=11)
    at.button(key=BUILD).click().run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception
    assert any(w.value.startswith(text.NOT_BUILT.split("{")[0]) for w in at.main.warning)
    third_block(at, kernel=3)  # a page's widgets start again from the network in use
    at.button(key=BUILD).click().run()
    assert not at.exception
    assert len(at.session_state["arch_spec"].conv_blocks) == 3
    assert not at.sidebar.error
    assert not any(w.value.startswith(text.NOT_BUILT.split("{")[0]) for w in at.main.warning)


# Code values a learner must never read: each option is shown as its word.
CODE_VALUES = {"relu", "max", "avg", "sgd", "momentum", "adam", "none", "None", "softmax"}


@pytest.mark.parametrize(
    "page",
    [
        "pages/home.py",
        "pages/forward.py",
        "pages/conv_lab.py",
        "pages/backprop.py",
        "pages/compare.py",
    ],
)
def test_the_sidebar_shows_options_as_words_on_every_page(at, page):
    from cnnexplain.texts.stages import ACTIVATION_NAMES, POOL_NAMES

    at.switch_page(page).run()
    assert not at.exception
    shown = [o for box in [*at.sidebar.selectbox, *at.sidebar.radio] for o in box.options]
    assert not CODE_VALUES & set(shown), CODE_VALUES & set(shown)
    assert at.selectbox(key="arch_b1_activation").options == list(text.ACTIVATION_OPTIONS.values())
    assert at.selectbox(key="arch_b2_pool").options == list(text.POOL_OPTIONS.values())
    assert at.selectbox(key="arch_dense_activation").value == "relu"  # the value stays the code's
    assert at.selectbox(key="arch_b1_activation").format_func("relu") == "ReLU"
    assert set(ACTIVATION_NAMES) == set(text.ACTIVATION_OPTIONS)
    assert set(POOL_NAMES) | {None} == set(text.POOL_OPTIONS)


def test_an_option_chosen_by_its_word_builds_that_network(at):
    at.selectbox(key="arch_b1_pool").set_value("average pooling")
    at.selectbox(key="arch_b1_activation").set_value("tanh")
    at.button(key=BUILD).click().run()
    assert not at.exception
    block = at.session_state["arch_spec"].conv_blocks[0]
    assert (block.pool, block.activation) == ("avg", "tanh")
    assert any("**avgpool1**" in m.value for m in at.markdown)
