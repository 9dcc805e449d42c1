"""The shared sidebar: building a network, and refusing impossible ones without losing the old."""

import pytest
from pagekit import app

from cnnexplain.store import DEFAULT_SPEC

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
    assert "kernel is 11×11" in error.value and "is kept" in error.value
    # The message sits inside block 3's expander, which opens to show it.
    block3 = next(e for e in at.expander if e.label == "Conv block 3")
    assert any("kernel is 11×11" in el.value for el in block3.error)


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
