"""Watch it learn, on the backpropagation page: the kept steps on a slider, driven by AppTest."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from pagekit import app, decode, markdown_text

from cnnexplain.io.datasets import load_digits28
from cnnexplain.model.backprop import load_params
from cnnexplain.model.spec import clone_model
from cnnexplain.model.timeline import edge_change
from cnnexplain.texts import backprop as text

PAGE = "pages/backprop.py"


def page_after_steps(steps: int, every_number: bool = False):
    at = app(every_number=every_number)
    at.switch_page(PAGE).run()
    assert not at.exception
    at.number_input(key="bp_n").set_value(steps).run()
    at.button(key="bp_run").click().run()
    assert not at.exception
    assert not [s for s in at.select_slider if s.key == "bp_tl_step"]  # shut at first
    at.toggle(key="bp_tl_show").set_value(True).run()
    assert not at.exception
    return at


def stepper(at):
    return at.session_state["bp_state"]


def shown_metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart(at, key: str) -> dict:
    (element,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    return json.loads(element.proto.spec)


@pytest.mark.parametrize("every_number", [False, True])
def test_the_slider_holds_every_kept_step_and_shows_that_step_s_loss(every_number):
    at = page_after_steps(3, every_number)
    history = stepper(at).history
    slider = at.select_slider(key="bp_tl_step")
    assert slider.options == ["the start", "step 1", "step 2", "step 3"]
    assert slider.value == 3  # it starts on the latest step
    for k in (1, 2, 0, 3):
        at.select_slider(key="bp_tl_step").set_value(k).run()
        assert not at.exception
        metrics = shown_metrics(at)
        point = history.timeline.point(k)
        if k == 0:
            assert metrics["Batch loss after the start"] == text.TIMELINE_NO_LOSS
        else:
            shown = float(metrics[f"Batch loss after step {k}"])
            assert shown == pytest.approx(history.steps[k - 1].loss_after, rel=1e-5)
        accuracy = metrics["Accuracy on the first 100 test pictures"]
        assert accuracy == f"{point.accuracy:.0%}"
        test_loss = float(metrics["Loss on the first 100 test pictures"])
        assert test_loss == pytest.approx(point.test_loss, rel=1e-5)
        # The kernels drawn are that step's: kernel 0's first channel in the top-left tile.
        z = decode(chart(at, "bp_tl_kernels")["data"][0]["z"])
        np.testing.assert_array_equal(z[:3, :3], point.params["conv1.weight"][0, 0])
        # The curves mark that step.
        curves = chart(at, "bp_tl_curves")
        marks = [t for t in curves["data"] if t["marker"].get("size") == 13]
        assert all(list(decode(t["x"])) == [k] for t in marks) and marks
        # The test loss is drawn on the left at every kept step, the start included.
        (test_curve,) = [
            t
            for t in curves["data"]
            if t["name"] == text.TIMELINE_CURVE_TITLES[2] and t["marker"].get("size") != 13
        ]
        expected = [p.test_loss for p in history.timeline.points]
        np.testing.assert_allclose(decode(test_curve["y"]), expected, rtol=1e-6)


def test_the_accuracy_and_test_loss_are_the_network_s_on_the_first_hundred_test_pictures():
    at = page_after_steps(2)
    state = stepper(at)
    data = load_digits28()
    model = clone_model(state.model)
    load_params(model, state.history.current.params_copy())
    with torch.no_grad():
        predicted = model(torch.from_numpy(np.array(data.x_test[:100]))).argmax(dim=1).numpy()
    assert state.history.timeline.points[-1].accuracy == float(
        np.mean(predicted == data.y_test[:100])
    )
    with torch.no_grad():
        logits = model(torch.from_numpy(np.array(data.x_test[:100])))
        loss = torch.nn.functional.cross_entropy(
            logits, torch.from_numpy(np.array(data.y_test[:100]))
        )
    assert state.history.timeline.points[-1].test_loss == pytest.approx(float(loss), rel=1e-6)


def test_the_feature_map_follows_the_chosen_layer_channel_and_step():
    at = page_after_steps(2, every_number=True)
    state = stepper(at)
    at.selectbox(key="bp_tl_layer").set_value("conv2").run()
    at.selectbox(key="bp_tl_channel").set_value(5).run()
    at.select_slider(key="bp_tl_step").set_value(1).run()
    assert not at.exception
    # The same map from the model itself, with the convolutions' weights after step 1, for the
    # picture the steps learned from.
    point = state.history.timeline.point(1)
    picture = state.last.record.stage("conv1").x[:1].astype(np.float32)
    model = clone_model(state.model)
    params = state.history.current.params_copy() | {n: p.copy() for n, p in point.params.items()}
    load_params(model, params)
    seen = {}
    # A hook that returns nothing leaves the output as it is.
    model.conv2.register_forward_hook(lambda _m, _i, out: seen.update(map=out[0, 5]))
    with torch.no_grad():
        model(torch.from_numpy(picture))
    shown = decode(chart(at, "bp_tl_map")["data"][0]["z"])
    np.testing.assert_array_equal(shown, seen["map"].numpy())
    assert shown.shape == (14, 14)  # conv2 works on 14×14 maps after the first pooling


def test_undo_and_reset_take_steps_off_the_slider():
    at = page_after_steps(3)
    at.button(key="bp_undo").click().run()
    assert at.select_slider(key="bp_tl_step").options == ["the start", "step 1", "step 2"]
    assert at.select_slider(key="bp_tl_step").value == 2
    at.button(key="bp_reset").click().run()
    assert not at.exception
    assert not [s for s in at.select_slider if s.key == "bp_tl_step"]
    assert text.TIMELINE_NONE in markdown_text(at)


def test_play_ends_on_the_last_step():
    at = page_after_steps(3)
    at.select_slider(key="bp_tl_step").set_value(1).run()
    at.button(key="bp_tl_play").click().run()
    assert not at.exception
    assert at.select_slider(key="bp_tl_step").value == 3
    assert "Batch loss after step 3" in shown_metrics(at)


def test_the_page_says_when_old_steps_drop_off_the_timeline():
    at = page_after_steps(1)
    stepper(at).history.timeline.max_points = 2  # as if hundreds of steps had been taken
    at.number_input(key="bp_n").set_value(3).run()
    at.button(key="bp_run").click().run()
    timeline = stepper(at).history.timeline
    assert [p.number for p in timeline.points] == [0, 3, 4]
    assert "keeps the start and the last 2 steps: the 2 steps before them" in markdown_text(at)
    assert at.select_slider(key="bp_tl_step").options == ["the start", "step 3", "step 4"]


def test_the_edge_score_is_shown_as_measured_in_every_number():
    at = page_after_steps(2, every_number=True)
    change = edge_change(stepper(at).history.timeline, "conv1")
    words = markdown_text(at) + "\n".join(s.value for s in at.success)
    expected = (text.EDGES_ROSE if change.rose else text.EDGES_NUMBERS).split("{")[0]
    assert expected in words
    assert f"{change.first:.2f}" in words and f"{change.latest:.2f}" in words


def test_the_chosen_step_layer_and_map_are_kept_while_the_learner_visits_other_pages():
    at = app()
    at.switch_page(PAGE).run()
    at.radio(key="bp_source").set_value("batch").run()
    at.number_input(key="bp_n").set_value(2).run()
    at.button(key="bp_run").click().run()
    at.toggle(key="bp_tl_show").set_value(True).run()
    at.selectbox(key="bp_tl_layer").set_value("conv2").run()
    at.selectbox(key="bp_tl_channel").set_value(7).run()
    at.select_slider(key="bp_tl_step").set_value(1).run()
    at.switch_page("pages/forward.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.toggle(key="bp_tl_show").value  # still open
    assert at.select_slider(key="bp_tl_step").value == 1
    assert at.selectbox(key="bp_tl_layer").value == "conv2"
    assert at.selectbox(key="bp_tl_channel").value == 7
    assert "Batch loss after step 1" in shown_metrics(at)


def test_the_kernels_are_called_edge_detectors_only_when_the_score_rose_clearly():
    at = page_after_steps(1)
    timeline = stepper(at).history.timeline
    change = edge_change(timeline, "conv1")
    said = text.EDGES_ROSE.split("{")[0]
    if not change.rose:  # Simple says nothing of a score that did not rise
        assert said not in "\n".join(s.value for s in at.success)
        assert "Edge score" not in markdown_text(at)
    # As if the network had started from flat kernels, which look like no edge at all.
    start = timeline.start
    flat = np.ones_like(start.params["conv1.weight"])
    timeline._start = dataclasses.replace(start, params=start.params | {"conv1.weight": flat})
    at.run()
    assert edge_change(timeline, "conv1").rose
    shown = "\n".join(s.value for s in at.success)
    assert said in shown and "rose from 0.00 to" in shown


def test_the_timeline_is_shut_until_the_learner_opens_it_and_still_says_what_the_kernels_became():
    at = app()
    at.switch_page(PAGE).run()
    at.number_input(key="bp_n").set_value(2).run()
    at.button(key="bp_run").click().run()
    assert not at.exception
    assert at.toggle(key="bp_tl_show").value is False
    assert not [s for s in at.select_slider if s.key == "bp_tl_step"]
    assert not [c for c in at.get("plotly_chart") if "-bp_tl_" in c.proto.id]
    # As if the network had started from flat kernels: the score rose, and the page says so.
    timeline = stepper(at).history.timeline
    start = timeline.start
    flat = np.ones_like(start.params["conv1.weight"])
    timeline._start = dataclasses.replace(start, params=start.params | {"conv1.weight": flat})
    at.run()
    assert edge_change(timeline, "conv1").rose
    assert text.EDGES_ROSE.split("{")[0] in "\n".join(s.value for s in at.success)
    at.toggle(key="bp_tl_show").set_value(True).run()
    assert not at.exception
    assert at.select_slider(key="bp_tl_step").value == 2
    assert [c for c in at.get("plotly_chart") if c.proto.id.endswith("-bp_tl_kernels")]
