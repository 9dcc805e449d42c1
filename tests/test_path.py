"""The path through the app, driven headless with AppTest: the pages in order, each ending with a
link to the next, "Try this" tasks that tick when the learner really does them and stay ticked,
the home page's view of the whole path, and a first backprop Step that visibly changes the loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pagekit import app
from test_page_backprop import shown_losses, torch_steps

from cnnexplain.experiment.design import ANN
from cnnexplain.experiment.findings import first_shift_below
from cnnexplain.io.datasets import load_digits28
from cnnexplain.model.backprop import MAX_LR
from cnnexplain.texts import path as text
from cnnexplain.training.store import DEFAULT_SPEC
from cnnexplain.ui.kit import resources
from cnnexplain.ui.kit.path import FILES


@pytest.fixture(scope="module")
def digits():
    return load_digits28()


def page_links(at) -> list[tuple[str, str]]:
    """(label, page address) of every page link, in page order."""
    return [(link.proto.label, link.proto.page) for link in at.get("page_link")]


def checklist(at) -> tuple[str, list[str]]:
    """The "Try this" expander's title and its lines."""
    (box,) = [e for e in at.expander if e.label.startswith("Try this")]
    return box.label, [m.value for m in box.markdown]


def ticked(at, page: str) -> set[str]:
    """The tasks of `page` the checklist on screen shows ticked."""
    _, lines = checklist(at)
    return {
        task
        for task, words in text.TASKS[page].items()
        if text.TASK_DONE.format(task=words) in lines
    }


def open_page(at, page: str):
    at.switch_page(FILES[page]).run()
    assert not at.exception
    return at


def test_the_navigation_lists_the_pages_gentlest_first():
    assert text.ORDER == ("home", "conv_lab", "forward", "backprop", "compare")
    assert list(FILES) == list(text.ORDER)


def test_no_link_on_the_path_contains_a_navigation_title():
    """A browser finds a link by its words, ignoring case: a path link that contained a title
    would stand beside the sidebar's link of that title."""
    labels = [*text.NEXT_LABEL.values(), *text.PATH_NAMES.values(), text.BACK_HOME]
    for title in text.TITLES.values():
        assert not [label for label in labels if title.lower() in label.lower()], title


def test_every_page_opens_with_what_to_see_and_do_and_ends_with_a_link_to_the_next():
    at = app()
    for page, following in zip(text.ORDER, (*text.ORDER[1:], None), strict=True):
        if page != "home":
            open_page(at, page)
        assert not at.exception
        main = [m.value for m in at.main.markdown]
        assert main[0] == f"**{text.SEE_AND_DO[page]}**", page  # the first words on the page
        links = page_links(at)
        if following is None:  # the last page leads back to the whole path
            assert links[-1] == (text.BACK_HOME, "home")
            assert text.PATH_END in [c.value for c in at.caption]
        else:
            assert links[-1] == (text.NEXT_LABEL[page], following), page
            assert text.NEXT_WHY[page] in main, page


def test_conv_lab_tasks_tick_from_the_real_controls_and_stay_ticked_across_pages():
    at = open_page(app(), "conv_lab")
    assert checklist(at)[0] == text.TRY_THIS.format(done=0, total=3)
    assert ticked(at, "conv_lab") == set()  # the defaults (3×3, padding 1) do not count

    at.number_input(key="lab_kernel_size").set_value(5).run()
    assert ticked(at, "conv_lab") == set()  # a 5×5 kernel with padding 1 shrinks the output
    at.slider(key="lab_padding").set_value(2).run()
    assert ticked(at, "conv_lab") == {"same_size"}
    assert checklist(at)[0] == text.TRY_THIS.format(done=1, total=3)

    at.number_input(key="lab_kernel_size").set_value(3).run()
    at.selectbox(key="lab_preset").set_value("Sobel y").run()  # horizontal edges: not this task
    assert ticked(at, "conv_lab") == {"same_size"}
    at.selectbox(key="lab_preset").set_value("Sobel x").run()
    assert ticked(at, "conv_lab") == {"same_size", "vertical_edges"}

    open_page(at, "forward")
    at.switch_page(FILES["home"]).run()
    assert text.PATH_PAGE.format(done=2, total=3) in [c.value for c in at.caption]
    open_page(at, "conv_lab")
    assert ticked(at, "conv_lab") == {"same_size", "vertical_edges"}

    at.slider(key="lab_stride").set_value(2).run()
    assert ticked(at, "conv_lab") == set(text.TASKS["conv_lab"])


def test_forward_tasks_tick_on_the_flatten_stage_and_on_a_label_the_network_does_not_give(digits):
    at = open_page(app(), "forward")
    assert ticked(at, "forward") == set()  # test picture 0 with its true label, at the input
    at.selectbox(key="fwd_stage").set_value("flatten").run()
    assert ticked(at, "forward") == {"flatten"}
    wrong = (int(digits.y_test[0]) + 3) % 10
    at.selectbox(key="input_label:digits:0").set_value(wrong).run()
    assert not at.exception
    assert ticked(at, "forward") == {"flatten", "wrong_label"}


def least_sure_right(model: torch.nn.Module, digits) -> int:
    """The test picture the network gets right with the lowest probability, computed here."""
    with torch.no_grad():
        probs = torch.softmax(model(torch.from_numpy(np.array(digits.x_test))), dim=1).numpy()
    true_p = probs[np.arange(len(probs)), digits.y_test]
    true_p[probs.argmax(axis=1) != digits.y_test] = np.inf
    return int(np.argmin(true_p))


def test_the_first_step_with_the_defaults_changes_the_loss_visibly(digits):
    at = app()
    open_page(at, "forward")  # the learner on the path comes from the forward page
    open_page(at, "backprop")
    model = resources.model_store().peek(DEFAULT_SPEC, "digits").model
    index = least_sure_right(model, digits)
    assert at.number_input(key="input_sample_index").value == index
    lr = at.select_slider(key="bp_lr").value  # the page's default, untouched
    at.button(key="bp_step").click().run()
    assert not at.exception

    before, after = shown_losses(at)
    assert before - after >= 0.01 and (before - after) / before >= 0.05  # visible
    assert after < before  # downhill, not an explosion
    # The same step with torch.optim, from the same shared weights.
    x = np.array(digits.x_test[index : index + 1])
    y = np.array([int(digits.y_test[index])])
    [(torch_before, torch_after)], stepped = torch_steps("sgd", lr, x, y, steps=1, start=model)
    assert before == pytest.approx(torch_before, rel=1e-4)
    assert after == pytest.approx(torch_after, rel=1e-4)
    with torch.no_grad():
        p_after = torch.softmax(stepped(torch.from_numpy(x)), dim=1)[0, y[0]].item()

    said = [m.value for m in at.markdown if m.value.startswith("The loss went from")]
    assert len(said) == 1
    assert f"to {p_after:.4f}." in said[0]
    assert ticked(at, "backprop") == {"more_likely"}


def test_an_exploded_step_undone_ticks_its_task_and_home_shows_the_ticks():
    at = open_page(app(), "backprop")
    # One picture is hard to overshoot: a huge step only makes the network surer of it.
    at.radio(key="bp_source").set_value("batch").run()
    at.select_slider(key="bp_lr").set_value(MAX_LR).run()
    at.button(key="bp_step").click().run()
    assert at.session_state["bp_state"].last.outcome.kind == "exploded"
    assert "explode_undo" not in ticked(at, "backprop")  # exploding alone is half the task
    at.button(key="bp_undo_exploded").click().run()
    assert not at.exception
    assert at.session_state["bp_state"].history.step_count == 0
    assert "explode_undo" in ticked(at, "backprop")

    at.switch_page(FILES["home"]).run()
    captions = [c.value for c in at.caption]
    done = len(at.session_state["path_done"]["backprop"])
    assert text.PATH_PAGE.format(done=done, total=2) in captions
    assert text.PATH_PAGE.format(done=0, total=3) in captions  # the convolution lab, untried
    labels = [label for label, _ in page_links(at)][: len(text.ORDER)]
    assert labels == [
        text.PATH_LINK.format(number=n, name=text.PATH_NAMES[page])
        for n, page in enumerate(text.ORDER, start=1)
    ]


def test_compare_ticks_training_and_a_shift_that_beats_the_plain_network():
    at = open_page(app(), "compare")
    assert ticked(at, "compare") == set()
    at.number_input(key="cmp_epochs").set_value(1)
    at.number_input(key="cmp_batch").set_value(128).run()
    at.button(key="cmp_run").click().run()
    assert not at.exception
    robustness = at.session_state["cmp_comparison"].robustness
    expected = {"trained"}
    if first_shift_below(robustness, ANN) is not None:
        expected.add("shift_half")
    assert ticked(at, "compare") == expected
    curve = robustness["shift"]
    below = [lv for lv, acc in zip(curve.levels, curve.accuracy[ANN], strict=True) if acc < 0.5]
    assert first_shift_below(robustness, ANN) == (min(below) if below else None)


def test_a_kernel_finds_vertical_edges_when_it_answers_them_far_more_than_horizontal_ones():
    from cnnexplain.core.kernels import PRESETS, edge_responses, finds_vertical_edges

    found = {name for name, kernel in PRESETS.items() if finds_vertical_edges(kernel)}
    assert found == {"Sobel x"}
    assert edge_responses(PRESETS["Sobel x"]) == (4.0, 0.0)  # 1 + 2 + 1 across the edge
    left_minus_right = np.array([[1.0, -1.0], [1.0, -1.0]])
    assert finds_vertical_edges(left_minus_right) and not finds_vertical_edges(left_minus_right.T)


def test_the_first_shift_below_half_is_read_from_the_curve():
    from cnnexplain.experiment.robustness import RobustnessCurve

    curve = RobustnessCurve(
        "shift", "pixels", (0, 1, 2, 3), {"CNN": (0.9, 0.9, 0.8, 0.7), ANN: (0.9, 0.6, 0.4, 0.3)}
    )
    assert first_shift_below({"shift": curve}, ANN) == 2
    assert first_shift_below({"shift": curve}, "CNN") is None
    assert first_shift_below(None, ANN) is None
