"""The backpropagation page, driven headless with AppTest and checked against torch.optim."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from pagekit import app, decode, markdown_text

from cnnexplain.io.datasets import batches, load_digits28
from cnnexplain.model.backprop import (
    EXPLOSION_CHANCE_MULTIPLE,
    EXPLOSION_GROWTH,
    MAX_LR,
    OptimizerSettings,
    inspected_step,
    params_of,
    step_outcome,
)
from cnnexplain.model.spec import clone_model
from cnnexplain.texts import backprop as bp_text
from cnnexplain.training.store import DEFAULT_SPEC
from cnnexplain.ui.backprop.formulas import tex
from cnnexplain.ui.kit import resources

PAGE = "pages/backprop.py"


@pytest.fixture(scope="module")
def digits():
    return load_digits28()


def backprop_page():
    at = app(every_number=True)
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def shared_model() -> torch.nn.Module:
    entry = resources.model_store().peek(DEFAULT_SPEC, "digits")
    assert entry is not None, "the app trains the default model on its first run"
    return entry.model


def assert_same_params(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name], b[name]), name


def history(at):
    return at.session_state["bp_state"].history


def user_params(at) -> dict[str, np.ndarray]:
    """The weights in the user's own model copy."""
    return params_of(at.session_state["bp_state"].model)


def shown_losses(at) -> tuple[float, float]:
    """(loss before, loss after) the last step, as the page writes them."""
    metrics = {m.label.split(" step ")[0]: m.value for m in at.metric}
    return float(metrics["Loss before"]), float(metrics["Loss after"])


def chart(at, key: str) -> dict:
    (element,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    return json.loads(element.proto.spec)


def visit_stage(at, name: str) -> None:
    """Show the box of stage `name` of the backward pass (the page shows one at a time)."""
    at.selectbox(key="bp_stage").set_value(name).run()
    assert not at.exception


def wrong_label_picture(at, digits, index: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Pick test picture `index` with a label the network will not give it, to learn from."""
    label = (int(digits.y_test[index]) + 3) % 10
    at.number_input(key="input_sample_index").set_value(index).run()
    at.selectbox(key=f"input_label:digits:{index}").set_value(label).run()
    return np.array(digits.x_test[index : index + 1]), np.array([label])


def click(at, key: str):
    at.button(key=key).click().run()
    assert not at.exception
    return at


def torch_optimizer(kind: str, params, lr: float) -> torch.optim.Optimizer:
    """The optimizers the page offers, built plainly from torch.optim."""
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr)
    if kind == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    return torch.optim.SGD(params, lr=lr)


def keep_float32(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> None:
    """Round a float64 model's weights and its optimizer's state to float32 values, in place."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.float())
            for key, value in optimizer.state[p].items():
                if key != "step" and torch.is_tensor(value):
                    value.copy_(value.float())


def torch_steps(
    kind: str,
    lr: float,
    x: np.ndarray,
    y: np.ndarray,
    steps: int,
    start: torch.nn.Module | None = None,
):
    """[(loss before, loss after)] of `steps` torch.optim steps from `start`, and the model.

    Each step as the page takes it: torch.optim in float64, then the weights and optimizer
    state rounded to float32, what training keeps; the losses are float64 losses of the
    weights kept. `start` is the shared default model unless given; it is copied, never changed.
    The model returned is float32.
    """
    model = clone_model(shared_model() if start is None else start).double()
    for p in model.parameters():
        p.requires_grad_(True)
    optimizer = torch_optimizer(kind, model.parameters(), lr)
    x_t = torch.from_numpy(np.array(x, dtype=np.float64))
    y_t = torch.from_numpy(np.array(y))
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x_t), y_t)
        loss.backward()
        optimizer.step()
        keep_float32(model, optimizer)
        with torch.no_grad():
            after = F.cross_entropy(model(x_t), y_t).item()
        losses.append((loss.item(), after))
    return losses, model.float()


def test_before_any_step_the_page_says_what_to_do():
    at = backprop_page()
    assert at.title[0].value == "Backpropagation, one step at a time"
    assert any("Press **Step**" in info.value for info in at.info)
    assert at.button(key="bp_step").label == "Step"
    assert at.button(key="bp_undo").disabled and at.button(key="bp_reset").disabled
    assert at.radio(key="bp_optimizer").value == "sgd"
    assert at.select_slider(key="bp_lr").value == 0.001
    assert "No steps taken yet" in markdown_text(at)
    assert not at.metric  # no loss before a step


@pytest.mark.parametrize(("kind", "lr"), [("sgd", 0.001), ("momentum", 0.001), ("adam", 0.002)])
def test_each_step_shows_the_losses_torch_optim_gives(digits, kind, lr):
    at = backprop_page()
    x, y = wrong_label_picture(at, digits)
    at.radio(key="bp_optimizer").set_value(kind)
    at.select_slider(key="bp_lr").set_value(lr).run()
    expected, reference = torch_steps(kind, lr, x, y, steps=3)
    for number, (before, after) in enumerate(expected, start=1):
        click(at, "bp_step")
        assert at.metric[0].label == f"Loss before step {number}"
        shown_before, shown_after = shown_losses(at)
        assert shown_before == pytest.approx(before, rel=2e-5)
        assert shown_after == pytest.approx(after, rel=2e-5, abs=1e-6)
    assert expected[-1][1] < expected[0][0]  # it learned
    for name, p in reference.named_parameters():
        np.testing.assert_allclose(history(at).current.params[name], p.detach().numpy(), atol=1e-6)
    # The loss curve holds every step, before and after.
    curve = chart(at, "bp_loss_curve")
    np.testing.assert_allclose(decode(curve["data"][0]["y"]), [b for b, _ in expected], rtol=1e-5)


def test_a_batch_from_the_training_set_steps_like_torch(digits):
    at = backprop_page()
    at.radio(key="bp_source").set_value("batch").run()
    at.number_input(key="bp_batch_size").set_value(8)
    at.number_input(key="bp_seed").set_value(5).run()
    at.radio(key="bp_optimizer").set_value("adam")
    at.select_slider(key="bp_lr").set_value(0.01).run()
    x, y = next(batches(digits.x_train, digits.y_train, 8, seed=5))
    expected, _ = torch_steps("adam", 0.01, x, y, steps=2)
    click(at, "bp_step")
    click(at, "bp_step")
    assert shown_losses(at) == pytest.approx(expected[-1], rel=2e-5)
    record = at.session_state["bp_state"].last.record
    assert np.array_equal(record.labels, y)
    # One picture of the batch at a time for the maps; the weight gradients sum over all 8.
    at.number_input(key="bp_example").set_value(6).run()
    assert f"true label **{digits.class_names[y[6]]}**" in markdown_text(at)
    relu1 = record.stage("relu1")
    visit_stage(at, "relu1")
    shown = decode(chart(at, "bp_relu1_dx")["data"][0]["z"])
    # Maps travel to the browser as float32, more digits than the hover's six.
    np.testing.assert_array_equal(shown[:28, :28], relu1.dx[6, 0].astype(np.float32))


def test_undo_and_reset_restore_the_exact_weights(digits):
    at = backprop_page()
    wrong_label_picture(at, digits)
    at.radio(key="bp_optimizer").set_value("momentum").run()
    start = params_of(shared_model())
    after = []
    for _ in range(3):
        click(at, "bp_step")
        after.append(user_params(at))
    click(at, "bp_undo")
    assert_same_params(user_params(at), after[1])
    assert_same_params(history(at).current.params, after[1])
    momentum_after_2 = history(at).current.opt_state["conv1.weight"].momentum_buffer.copy()
    assert any("Step 3 undone" in info.value for info in at.info)
    assert "Steps taken: **2**" in markdown_text(at)
    assert at.metric[0].label == "Loss before step 2"
    # Stepping again from there is step 3 again, with the same momentum it had.
    click(at, "bp_step")
    assert_same_params(user_params(at), after[2])
    click(at, "bp_undo")
    assert np.array_equal(
        history(at).current.opt_state["conv1.weight"].momentum_buffer, momentum_after_2
    )
    click(at, "bp_undo")
    click(at, "bp_undo")
    assert_same_params(user_params(at), start)
    assert at.button(key="bp_undo").disabled
    for _ in range(2):
        click(at, "bp_step")
    click(at, "bp_reset")
    assert_same_params(user_params(at), start)
    assert history(at).step_count == 0 and history(at).current.opt_state is None
    assert any("Back to the starting weights" in info.value for info in at.info)


def test_a_diverging_learning_rate_is_caught_and_rolled_back(digits):
    at = backprop_page()
    # A network without activations cannot die or saturate: at learning rate 10 its weights
    # grow with every step until they overflow, whatever order the sums are added in.
    for key in ("arch_b1_activation", "arch_b2_activation", "arch_dense_activation"):
        at.selectbox(key=key).set_value("none")
    at.radio(key="arch_trained_choice").set_value(False)
    at.button(key="FormSubmitter:arch_form-Build this network").click().run()
    spec = at.session_state["arch_spec"]
    assert spec.dense_activation == "none" and not at.session_state["arch_trained"]
    at.radio(key="bp_source").set_value("batch").run()
    at.number_input(key="bp_batch_size").set_value(32).run()
    at.select_slider(key="bp_lr").set_value(10.0)
    at.number_input(key="bp_n").set_value(20).run()
    click(at, "bp_run")
    # A step that makes the loss explode is kept but stops the run: run on until one overflows.
    for _ in range(20):
        if at.error:
            break
        click(at, "bp_run")
    (error,) = at.error
    assert "overshot" in error.value and "last good weights" in error.value
    assert "The run stopped after" in error.value
    steps = history(at).step_count
    assert 1 <= steps < 20
    last = at.session_state["bp_state"].last
    assert last.number == steps and not last.record.diverged
    # The model is on the last good weights: those after the last accepted step.
    assert_same_params(user_params(at), last.record.params_after)
    assert all(np.isfinite(p).all() for p in user_params(at).values())
    # torch.optim, stepped as often from the same start, blows up on the very next step.
    start = resources.model_store().peek(spec, "digits", trained=False).model
    x, y = next(batches(digits.x_train, digits.y_train, 32, seed=0))
    expected, _ = torch_steps("sgd", 10.0, x, y, steps=steps + 1, start=start)
    assert shown_losses(at) == pytest.approx(expected[steps - 1], rel=1e-3)
    assert not np.isfinite(expected[steps][1])
    # The page explains the outcome backprop finds, in the texts' translatable words.
    refused = inspected_step(
        at.session_state["bp_state"].model,
        np.array(x),
        y,
        OptimizerSettings(lr=10.0),
        history(at).current.state_for("sgd"),
    )
    assert refused.diverged
    kind = step_outcome(refused).kind
    assert kind in ("nan", "inf")
    assert error.value.startswith(
        bp_text.DIVERGED.format(what=bp_text.DIVERGED_WHAT[kind], lr=10.0)
    )
    assert error.value.startswith("The loss became")
    # The page says the loss jumped, and the curve turns logarithmic to show by how much.
    assert any("the step overshot" in w.value for w in at.warning)
    assert chart(at, "bp_loss_curve")["layout"]["yaxis"]["type"] == "log"


def test_stepping_never_changes_the_shared_model(digits):
    before = params_of(shared_model())
    at = backprop_page()
    wrong_label_picture(at, digits)
    at.radio(key="bp_optimizer").set_value("adam")
    at.select_slider(key="bp_lr").set_value(0.05).run()
    for _ in range(3):
        click(at, "bp_step")
    assert not np.array_equal(user_params(at)["conv1.weight"], before["conv1.weight"])
    assert_same_params(params_of(shared_model()), before)


def test_two_sessions_step_their_own_weights(digits):
    start = params_of(shared_model())
    first, second = backprop_page(), backprop_page()
    x1, y1 = wrong_label_picture(first, digits, index=0)
    x2, y2 = wrong_label_picture(second, digits, index=1)
    second.radio(key="bp_optimizer").set_value("adam").run()
    click(first, "bp_step")
    click(second, "bp_step")
    click(first, "bp_step")
    # Each session's second or first step started where that session was, not the other.
    second_record = second.session_state["bp_state"].last.record
    assert_same_params(second_record.params_before, start)
    _, first_model = torch_steps("sgd", 0.001, x1, y1, steps=2)
    _, second_model = torch_steps("adam", 0.001, x2, y2, steps=1)
    for name, p in first_model.named_parameters():
        np.testing.assert_allclose(user_params(first)[name], p.detach().numpy(), atol=1e-6)
    for name, p in second_model.named_parameters():
        np.testing.assert_allclose(user_params(second)[name], p.detach().numpy(), atol=1e-6)
    assert history(first).step_count == 2 and history(second).step_count == 1


def test_changing_optimizer_and_learning_rate_keeps_the_history(digits):
    at = backprop_page()
    wrong_label_picture(at, digits)
    click(at, "bp_step")
    click(at, "bp_step")
    at.radio(key="bp_optimizer").set_value("adam")
    at.select_slider(key="bp_lr").set_value(0.0005).run()
    assert history(at).step_count == 2
    assert "Adam starts with an empty memory" in markdown_text(at)
    click(at, "bp_step")
    steps = history(at).steps
    assert [(s.kind, s.lr) for s in steps] == [("sgd", 0.001), ("sgd", 0.001), ("adam", 0.0005)]
    assert len(decode(chart(at, "bp_loss_curve")["data"][0]["y"])) == 3
    # The weight section now writes out Adam's arithmetic.
    assert "m_t &= \\beta_1 m_{t-1}" in "\n".join(latex.value for latex in at.latex)


def test_a_new_network_in_the_sidebar_starts_the_steps_over(digits):
    at = backprop_page()
    wrong_label_picture(at, digits)
    click(at, "bp_step")
    at.radio(key="arch_trained_choice").set_value(False)
    at.button(key="FormSubmitter:arch_form-Build this network").click().run()
    assert not at.exception
    assert any("your steps start over from the new network" in info.value for info in at.info)
    assert history(at).step_count == 0
    untrained = resources.model_store().peek(DEFAULT_SPEC, "digits", trained=False)
    assert_same_params(user_params(at), params_of(untrained.model))


def test_one_kernel_weight_is_written_out_with_its_update(digits):
    at = backprop_page()
    wrong_label_picture(at, digits)
    click(at, "bp_step")
    record = at.session_state["bp_state"].last.record
    at.selectbox(key="bp_w_layer").set_value("conv2").run()
    click(at, "bp_w_largest")
    grads = record.grads["conv2.weight"]
    index = np.unravel_index(np.argmax(np.abs(grads)), grads.shape)
    assert tuple(at.number_input(key=f"bp_w_conv2_{p}").value for p in "fcrs") == index
    (table,) = [t for t in at.dataframe if bp_text.TERMS_COLUMNS["input"] in t.value.columns]
    products = table.value["product (term)"].astype(float).to_numpy()
    assert len(products) == 8 and np.all(np.diff(np.abs(products)) <= 1e-12)
    words = markdown_text(at)
    assert f"autograd gives this weight the gradient {float(grads[index]):.6g}" in words
    # SGD: the new weight is the old one minus lr times the gradient.
    before = record.params_before["conv2.weight"][index]
    after = record.params_after["conv2.weight"][index]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["This weight before the step"] == f"{before:.6g}"
    assert metrics["This weight after the step"] == f"{after:.6g}"
    # Computed in float64 from the float32 weight, kept rounded to float32.
    new = record.opt_terms["conv2.weight"].new_param[index]
    assert new == float(before) - 0.001 * record.torch_grads["conv2.weight"][index]
    assert after == np.float32(new)
    sgd = next(latex.value for latex in at.latex if "&= w - \\eta\\, g" in latex.value)
    assert f"{before:.6g}" in sgd and f"{new:.6g}" in sgd


def test_every_kernel_before_and_after_is_drawn_from_the_record(digits):
    at = backprop_page()
    wrong_label_picture(at, digits)
    click(at, "bp_step")
    record = at.session_state["bp_state"].last.record
    spec = chart(at, "bp_conv1_kernels")
    before, after, change = (decode(trace["z"]) for trace in spec["data"])
    w_before, w_after = record.params_before["conv1.weight"], record.params_after["conv1.weight"]
    for f in range(8):  # kernel f is tile column f of each panel: 3 cells and a gap
        np.testing.assert_array_equal(before[:3, 4 * f : 4 * f + 3], w_before[f, 0])
        np.testing.assert_array_equal(after[:3, 4 * f : 4 * f + 3], w_after[f, 0])
        np.testing.assert_allclose(
            change[:3, 4 * f : 4 * f + 3], w_after[f, 0] - w_before[f, 0], atol=1e-9
        )
    # Before and after share a colour scale centred on zero; the change has its own.
    layout = spec["layout"]
    assert layout["coloraxis"]["cmin"] == -layout["coloraxis"]["cmax"]
    assert layout["coloraxis2"]["cmax"] < layout["coloraxis"]["cmax"]
    largest = max(
        float(np.abs(record.params_after[n] - record.params_before[n]).max())
        for n in ("conv1.weight", "conv2.weight")
    )
    assert f"any kernel weight in this step: {largest:.6g}." in markdown_text(at)
    # One convolution at a time: the other one's kernels when the learner picks it.
    assert not [c for c in at.get("plotly_chart") if c.proto.id.endswith("-bp_conv2_kernels")]
    at.radio(key="bp_kernels_layer").set_value("conv2").run()
    assert not at.exception
    before, after, change = (decode(trace["z"]) for trace in chart(at, "bp_conv2_kernels")["data"])
    w_before, w_after = record.params_before["conv2.weight"], record.params_after["conv2.weight"]
    for c in range(8):  # kernel f is tile column f, its channel c tile row c
        np.testing.assert_array_equal(before[4 * c : 4 * c + 3, :3], w_before[0, c])
        np.testing.assert_array_equal(after[4 * c : 4 * c + 3, 12:15], w_after[3, c])
    assert not [c for c in at.get("plotly_chart") if c.proto.id.endswith("-bp_conv1_kernels")]
    assert f"any kernel weight in this step: {largest:.6g}." in markdown_text(at)


@pytest.mark.parametrize(
    ("dataset", "settings"),
    [
        ("digits-0-1", {"arch_head": "sigmoid"}),
        (
            "shapes-rgb",
            {
                "arch_n_blocks": 3,
                "arch_b1_activation": "tanh",
                "arch_b2_pool": "avg",
                "arch_b3_pool": None,
            },
        ),
    ],
)
def test_other_networks_and_data_sets_step_and_draw_every_stage(dataset, settings):
    at = backprop_page()
    at.selectbox(key="arch_dataset_choice").set_value(dataset).run()
    if "arch_n_blocks" in settings:
        at.number_input(key="arch_n_blocks").set_value(settings["arch_n_blocks"]).run()
    for key, value in settings.items():
        if key == "arch_head":
            at.radio(key=key).set_value(value)
        elif key != "arch_n_blocks":
            at.selectbox(key=key).set_value(value)
    at.radio(key="arch_trained_choice").set_value(False)
    at.button(key="FormSubmitter:arch_form-Build this network").click().run()
    assert not at.exception and not at.error
    at.radio(key="bp_source").set_value("batch").run()
    click(at, "bp_step")
    record = at.session_state["bp_state"].last.record
    words = markdown_text(at)
    for stage in record.stage_grads:
        visit_stage(at, stage.name)
        words += markdown_text(at)
        assert f"#### {stage.name}:" in markdown_text(at), stage.name
    visit_stage(at, "loss")  # the first box, from the loss to the logits
    conv_layers = [s.name for s in record.stage_grads if s.kind == "conv"]
    assert at.selectbox(key="bp_w_layer").options == conv_layers
    if settings.get("arch_head") == "sigmoid":
        assert record.dlogits.shape[1] == 1
        assert any("\\sigma(z) - y" in latex.value for latex in at.latex)
    else:
        assert "average pooling, 2×2" in words and "the activation (tanh)" in words
        # Three colour channels: each kernel of conv1 has three squares.
        assert record.params_before["conv1.weight"].shape[1] == 3


def test_the_page_says_when_old_steps_can_no_longer_be_undone(digits):
    at = backprop_page()
    wrong_label_picture(at, digits)
    history(at).max_undo = 2  # as if 200 steps had been taken
    at.number_input(key="bp_n").set_value(5).run()
    click(at, "bp_run")
    assert history(at).step_count == 5 and history(at).undo_depth == 2
    words = markdown_text(at)
    assert "undo keeps only the last 2 steps" in words
    assert "The 3 steps before them can no longer be undone" in words
    assert len(decode(chart(at, "bp_loss_curve")["data"][0]["y"])) == 5


def test_the_page_says_when_the_loss_curve_lets_old_steps_go(digits):
    at = backprop_page()
    wrong_label_picture(at, digits)
    history(at).max_undo = 2
    history(at).max_curve = 3  # as if ten thousand steps had been taken
    at.number_input(key="bp_n").set_value(5).run()
    click(at, "bp_run")
    assert history(at).step_count == 5 and history(at).curve_dropped == 2
    assert "the loss curve keeps the last 3 steps; the 2 before them" in markdown_text(at)
    curve = chart(at, "bp_loss_curve")["data"][0]
    assert list(decode(curve["x"])) == [3, 4, 5]


def test_the_settings_are_kept_while_the_learner_visits_other_pages():
    at = backprop_page()
    at.radio(key="bp_source").set_value("batch").run()
    at.number_input(key="bp_batch_size").set_value(8)
    at.radio(key="bp_optimizer").set_value("momentum")
    at.select_slider(key="bp_lr").set_value(0.01)
    at.number_input(key="bp_n").set_value(3).run()
    at.switch_page("pages/forward.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.radio(key="bp_source").value == "batch"
    assert at.number_input(key="bp_batch_size").value == 8
    assert at.radio(key="bp_optimizer").value == "momentum"
    assert at.select_slider(key="bp_lr").value == 0.01
    assert at.number_input(key="bp_n").value == 3


def exact_test_logits(digits) -> torch.Tensor:
    """The shared network's float64 logits for every picture of the digits test split."""
    exact = clone_model(shared_model()).double()
    with torch.no_grad():
        return exact(torch.from_numpy(digits.x_test.astype(np.float64)))


def choose_surest_picture(at, digits) -> int:
    """Pick the test picture the network is surest of, with its true label; return its index."""
    logits = exact_test_logits(digits)
    losses = F.cross_entropy(logits, torch.tensor(digits.y_test), reduction="none").numpy()
    index = int(np.argmin(losses))
    at.number_input(key="input_sample_index").set_value(index).run()
    at.selectbox(key=f"input_label:digits:{index}").set_value(int(digits.y_test[index])).run()
    return index


def test_the_picture_the_network_is_surest_of_shows_its_true_numbers(digits):
    at = backprop_page()
    # The surest picture of the test split: its loss is below 1e-6, where float32 keeps at most
    # one digit of 1 - p.
    index = choose_surest_picture(at, digits)
    logits = exact_test_logits(digits)
    losses = F.cross_entropy(logits, torch.tensor(digits.y_test), reduction="none").numpy()
    label = int(digits.y_test[index])
    click(at, "bp_step")
    before, _ = shown_losses(at)
    assert 0 < losses[index] < 1e-6
    assert before == pytest.approx(losses[index], rel=1e-5)
    # The gradient at the true logit, written out, is p - 1: float64 keeps its digits.
    record = at.session_state["bp_state"].last.record
    p_true = torch.softmax(logits[index], dim=0)[label].item()
    assert record.dlogits[0, label] == pytest.approx(p_true - 1, rel=1e-5)
    mantissa, exponent = f"{record.dlogits[0, label]:.6g}".split("e")
    written = "\n".join(latex.value for latex in at.latex)
    assert f"= {mantissa}\\times 10^{{{int(exponent)}}}" in written
    # The page says how closely the gradients agree with autograd, and why in float64.
    words = markdown_text(at)
    assert bp_text.WHY_FLOAT64 in words
    agree = re.search(r"agree to (\d+) significant digits", words)
    assert agree is not None and int(agree.group(1)) >= 6


# --- what the step did, said from what it did


def all_text(at) -> str:
    """Every sentence on the page: markdown, captions and the coloured boxes."""
    boxes = [*at.info, *at.warning, *at.error, *at.success]
    return "\n".join([markdown_text(at), *(box.value for box in boxes)])


def test_at_the_largest_learning_rate_a_run_stops_where_the_loss_explodes(digits):
    at = backprop_page()
    start = params_of(shared_model())
    at.radio(key="bp_source").set_value("batch").run()  # 16 training pictures it knows well
    at.radio(key="bp_optimizer").set_value("adam")
    at.select_slider(key="bp_lr").set_value(MAX_LR)
    at.number_input(key="bp_n").set_value(10).run()
    click(at, "bp_run")
    state = at.session_state["bp_state"]
    steps = history(at).step_count
    assert 1 <= steps < 10  # stopped early
    assert state.last.outcome.kind == "exploded"
    before, after = shown_losses(at)
    assert after > EXPLOSION_GROWTH * before
    assert after > EXPLOSION_CHANCE_MULTIPLE * np.log(10)
    # The exploding step is kept: the model holds its weights, and undo can take it back.
    assert_same_params(user_params(at), state.last.record.params_after)
    assert not at.error
    warnings = [w.value for w in at.warning]
    assert f"The run stopped after {steps} of 10 steps" in warnings[0]
    (exploded,) = [w for w in warnings if w.startswith("The loss exploded")]
    assert f"from {before:.6g} to {after:.6g} in one step" in exploded
    assert "smaller than 10" in exploded
    assert "already sure" not in all_text(at)
    assert not at.button(key="bp_undo").disabled
    assert at.button(key="bp_undo_exploded").label == "Undo this step"
    # The button beside the warning takes the step back.
    click(at, "bp_undo_exploded")
    assert history(at).step_count == steps - 1
    assert any(f"Step {steps} undone" in info.value for info in at.info)
    if steps == 1:
        assert_same_params(user_params(at), start)
    assert not [w for w in at.warning if w.value.startswith("The loss exploded")]


def test_a_step_from_a_sure_network_is_described_by_what_it_did(digits):
    at = backprop_page()
    choose_surest_picture(at, digits)
    click(at, "bp_step")
    assert history(at).steps[-1].loss_before < 1e-3
    assert any("already sure of the right answer" in info.value for info in at.info)
    assert "no weight moved by more than" in all_text(at)
    # A batch the network is as sure of, at learning rate 10: the loss goes up, at once past
    # the bound (an explosion) or first only far (an overshoot), and the page says which.
    at.radio(key="bp_source").set_value("batch")
    at.select_slider(key="bp_lr").set_value(MAX_LR).run()
    click(at, "bp_step")
    kind = at.session_state["bp_state"].last.outcome.kind
    assert kind in ("rose", "exploded")
    before, after = shown_losses(at)
    assert before < 1e-2 < after  # sure before, unsure after
    assert "already sure" not in all_text(at)
    if kind == "rose":
        assert any(
            w.value.startswith(f"The loss went up, from {before:.6g} to {after:.6g}. The gradient")
            for w in at.warning
        )
        click(at, "bp_step")  # the next step blows it up
    # An explosion from a single step is kept and explained too.
    assert at.session_state["bp_state"].last.outcome.kind == "exploded"
    assert any(w.value.startswith("The loss exploded") for w in at.warning)
    assert at.button(key="bp_undo_exploded")
    assert "The run stopped" not in all_text(at)


def test_a_step_that_lowers_the_loss_says_so(digits):
    at = backprop_page()
    wrong_label_picture(at, digits)
    click(at, "bp_step")
    before, after = shown_losses(at)
    assert after < before
    words = markdown_text(at)
    assert f"The loss went from {before:.6g} to {after:.6g}" in words
    assert "The loss went down: the step went downhill." in words
    assert not at.warning


@pytest.mark.parametrize(
    ("changes", "kind", "words", "box"),
    [
        (
            {"loss_before": 2.3, "loss_after": 2.3 - 1e-6},
            "tiny",
            "try a larger learning rate",
            "info",
        ),
        ({"loss_before": 3e-6, "loss_after": 3e-6}, "sure", "already sure", "info"),
        ({"loss_before": 0.5, "loss_after": 0.8}, "rose", "a step too long", "warning"),
        ({"loss_before": 0.5, "loss_after": 500.0}, "exploded", "The loss exploded", "warning"),
    ],
)
def test_each_outcome_has_its_own_words(digits, changes, kind, words, box):
    at = backprop_page()
    wrong_label_picture(at, digits)
    click(at, "bp_step")
    state = at.session_state["bp_state"]
    record = state.last.record
    if kind in ("tiny", "sure"):  # weights that hardly moved
        changes = changes | {"params_after": record.params_before}
    state.last = dataclasses.replace(
        state.last, outcome=step_outcome(dataclasses.replace(record, **changes))
    )
    at.run()
    assert state.last.outcome.kind == kind
    assert any(words in element.value for element in getattr(at, box)), words
    # Only an explosion gets its own undo button beside the warning.
    assert ("bp_undo_exploded" in {b.key for b in at.button}) == (kind == "exploded")


def test_an_own_picture_is_not_stepped_until_the_learner_gives_its_label():
    upload_a_seven_and_step()


def upload_a_seven_and_step():
    """Upload a drawn 7, see that it cannot be stepped without its label, give it, step."""
    import io

    from PIL import Image, ImageDraw

    from cnnexplain.texts import backprop as text

    paper = Image.new("L", (300, 240), color=230)
    ImageDraw.Draw(paper).line([(100, 50), (210, 50), (140, 200)], fill=20, width=18)
    png = io.BytesIO()
    paper.save(png, format="PNG")
    at = backprop_page()
    at.select_slider(key="bp_lr").set_value(0.01)
    at.number_input(key="bp_n").set_value(3).run()
    at.radio(key="input_source").set_value("upload").run()
    at.file_uploader(key="input_upload").set_value(("seven.png", png.getvalue(), "image/png"))
    at.run()
    assert not at.exception
    label = next(s for s in at.selectbox if s.label == "True label")
    assert label.value is None
    assert text.PICTURE_NEEDS_LABEL in [i.value for i in at.info]
    assert not [b for b in at.button if b.key == "bp_step"]  # nothing to press yet
    label.set_value(7).run()
    # The settings below the picture come back as the learner left them, in the browser too:
    # it draws a widget at the value the server sends with it, else at its first option.
    lr, n = at.select_slider(key="bp_lr"), at.number_input(key="bp_n")
    assert (lr.value, n.value) == (0.01, 3)
    assert lr.proto.set_value and list(lr.proto.raw_value) == ["0.01"]
    assert n.proto.set_value and n.proto.value == 3
    click(at, "bp_step")
    record = at.session_state["bp_state"].last.record
    assert record.labels.tolist() == [7] and record.settings.lr == 0.01
    x = at.session_state["input_uploaded"]["x"]
    with torch.no_grad():
        expected = F.cross_entropy(shared_model()(torch.from_numpy(x[None])), torch.tensor([7]))
    assert shown_losses(at)[0] == pytest.approx(expected.item(), rel=1e-4)
    return at


def torch_input_gradients(x: np.ndarray, y: np.ndarray, layers: tuple[str, ...]) -> dict:
    """{layer: (dL/d its input, dL/d its output)} for one picture, by torch autograd on the
    shared model in float64 (the weights a first step starts from)."""
    model = clone_model(shared_model()).double()
    seen = {}

    def keep(name: str):
        def hook(module, args, out):
            args[0].retain_grad()
            out.retain_grad()
            seen[name] = (args[0], out)

        return hook

    for name in layers:
        getattr(model, name).register_forward_hook(keep(name))
    x_t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    F.cross_entropy(model(x_t), torch.from_numpy(y)).backward()
    return {name: (a.grad.numpy()[0], b.grad.numpy()[0]) for name, (a, b) in seen.items()}


def test_the_gradient_passed_back_to_a_convolution_s_input_is_torch_s(digits):
    at = backprop_page()
    x, y = wrong_label_picture(at, digits)
    click(at, "bp_step")
    torch_grads = torch_input_gradients(x, y, ("conv1", "conv2"))
    model = shared_model()
    # The page goes backwards: conv2's box comes before conv1's.
    for name in ("conv2", "conv1"):
        visit_stage(at, name)
        sums = [
            re.search(
                r"All (\d+) terms add up to (\S+): the gradient the backward pass gives", c.value
            )
            for c in at.caption
        ]
        (found,) = [found for found in sums if found]
        (table,) = [
            t.value for t in at.dataframe if bp_text.CONV_DX_COLUMNS["f"] in t.value.columns
        ]
        dx, dout = torch_grads[name]
        cell = tuple(at.number_input(key=f"bp_dx_{name}_{p}").value for p in "crs")
        # It starts at the input number with the largest gradient.
        assert abs(dx[cell]) == pytest.approx(np.abs(dx).max(), rel=1e-9)
        conv = getattr(model, name)
        assert float(found.group(2)) == pytest.approx(dx[cell], rel=1e-5)
        # One term per kernel and per tap that read the number: what autograd of the sum of a
        # convolution of ones counts at that pixel, times the number of kernels.
        ones = torch.ones((1, *dx.shape), dtype=torch.float64, requires_grad=True)
        reads = F.conv2d(
            ones,
            torch.ones((1, *conv.weight.shape[1:]), dtype=torch.float64),
            stride=conv.stride,
            padding=conv.padding,
            dilation=conv.dilation,
        )
        (counted,) = torch.autograd.grad(reads.sum(), ones)
        assert int(found.group(1)) == conv.out_channels * int(counted[(0, *cell)])
        # Each row: a weight of the model, times torch's gradient at the output it went into.
        c, r, s = cell
        weights = conv.weight.detach().double().numpy()
        stride, pad, dil = conv.stride[0], conv.padding[0], conv.dilation[0]
        columns = bp_text.CONV_DX_COLUMNS
        for _, row in table.iterrows():
            f, ki, kj = (int(row[columns[k]]) for k in ("f", "row", "col"))
            i, j = int(row[columns["i"]]), int(row[columns["j"]])
            assert (i * stride - pad + ki * dil, j * stride - pad + kj * dil) == (r, s)
            assert float(row[columns["weight"]]) == pytest.approx(weights[f, c, ki, kj], rel=1e-5)
            assert float(row[columns["upstream"]]) == pytest.approx(dout[f, i, j], rel=1e-5)
        products = table[columns["product"]].astype(float).abs().to_numpy()
        assert np.all(np.diff(products) <= 0)
        # The drawing: kernel f's weights for channel c, flipped, as the full convolution lays them.
        f = at.number_input(key=f"bp_dx_{name}_f").value
        drawn = decode(chart(at, f"bp_dx_{name}_weights")["data"][0]["z"])
        np.testing.assert_allclose(drawn, weights[f, c, ::-1, ::-1], rtol=1e-6)
        # The sum written out ends with the same total.
        written = f"\\partial x_{{{c},{r},{s}}}"
        (latex,) = [v.value for v in at.latex if written in v.value]
        assert latex.rstrip("$\n ").endswith(f"&= {tex(float(found.group(2)))} \\end{{aligned}}")


def test_the_input_cell_follows_the_learner_and_a_cell_no_kernel_read_is_said_so(digits):
    at = backprop_page()
    at.number_input(key="arch_b1_kernel").set_value(1)
    at.number_input(key="arch_b1_stride").set_value(2)
    at.number_input(key="arch_b1_padding").set_value(0)
    at.button(key="FormSubmitter:arch_form-Build this network").click().run()
    assert at.session_state["arch_spec"].conv_blocks[0].stride == 2
    wrong_label_picture(at, digits)
    click(at, "bp_step")
    visit_stage(at, "conv1")
    # A 1×1 kernel at stride 2 reads only the even rows and columns: row 1 is never read.
    at.number_input(key="bp_dx_conv1_r").set_value(1).run()
    assert not at.exception
    assert bp_text.CONV_DX_UNREAD in [c.value for c in at.caption]
    assert bp_text.CONV_DX_STRIDE.format(stride=2) in [c.value for c in at.caption]
    at.number_input(key="bp_dx_conv1_r").set_value(2).run()
    at.number_input(key="bp_dx_conv1_s").set_value(4).run()
    record = at.session_state["bp_state"].last.record
    c = at.number_input(key="bp_dx_conv1_c").value
    dx = record.stage("conv1").dx[0, c, 2, 4]
    assert f"add up to {dx:.6g}: the gradient" in markdown_text(at)
    click(at, "bp_dx_conv1_largest")
    largest = np.unravel_index(np.argmax(np.abs(record.stage("conv1").dx[0])), (1, 28, 28))
    assert tuple(at.number_input(key=f"bp_dx_conv1_{p}").value for p in "crs") == largest


def test_adam_s_arithmetic_is_said_in_words_first_step_and_later(digits):
    at = backprop_page()
    wrong_label_picture(at, digits)
    at.radio(key="bp_optimizer").set_value("adam").run()
    captions = [c.value for c in at.caption]
    assert bp_text.OPTIMIZER_STALL in captions
    click(at, "bp_step")
    captions = [c.value for c in at.caption]
    assert bp_text.ADAM_WORDS.format(t=1, eps=1e-8) in captions
    assert bp_text.ADAM_NOTE_FIRST in captions and bp_text.ADAM_NOTE not in captions
    click(at, "bp_step")
    captions = [c.value for c in at.caption]
    assert bp_text.ADAM_WORDS.format(t=2, eps=1e-8) in captions
    assert bp_text.ADAM_NOTE in captions and bp_text.ADAM_NOTE_FIRST not in captions


@pytest.mark.parametrize("kind", ["sgd", "momentum", "adam"])
def test_a_rising_loss_blames_the_remembered_direction_too_when_there_is_one(digits, kind):
    at = backprop_page()
    wrong_label_picture(at, digits)
    at.radio(key="bp_optimizer").set_value(kind).run()
    click(at, "bp_step")
    state = at.session_state["bp_state"]
    record = state.last.record
    rose = dataclasses.replace(record, loss_before=0.5, loss_after=0.8)
    state.last = dataclasses.replace(state.last, outcome=step_outcome(rose))
    at.run()
    (warning,) = at.warning
    remembered = bp_text.ROSE_REMEMBERED.format(optimizer=bp_text.OPTIMIZER_NAMES[kind])
    assert "a step too long" in warning.value
    assert (remembered in warning.value) == (kind != "sgd")


def test_stages_name_their_activation_and_pooling_in_words(digits):
    at = backprop_page()
    wrong_label_picture(at, digits)
    click(at, "bp_step")
    headers = []
    for name in ("relu2", "maxpool1", "relu1"):
        visit_stage(at, name)
        headers += [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert "#### relu2: the activation (ReLU)" in headers
    assert "#### maxpool1: max pooling, 2×2" in headers
    assert "Local slope of ReLU" in json.dumps(chart(at, "bp_relu1_local")["layout"])


def test_a_falling_loss_is_drawn_falling_and_green_in_plain_numbers_too(digits):
    from streamlit.proto.Metric_pb2 import Metric

    at = app()  # Simple: numbers are written with a true minus sign, −0.5
    at.switch_page(PAGE).run()
    wrong_label_picture(at, digits)
    click(at, "bp_step")
    loss_after = at.metric[1]
    assert loss_after.delta.startswith("−")
    assert loss_after.proto.direction == Metric.MetricDirection.DOWN
    assert loss_after.proto.color == Metric.MetricColor.GREEN
