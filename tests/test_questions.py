"""The right answers the pages' questions score against, each checked against the live
computation it predicts: PyTorch's convolution and pooling, the traced forward pass, an actual
optimizer step, and an actual robustness measurement."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnexplain.core.kernels import PRESETS, lab_convolve, toy_grid
from cnnexplain.experiment.design import ANN, CNN
from cnnexplain.experiment.questions import QUESTION_SHIFT, more_accurate_when_shifted
from cnnexplain.experiment.robustness import RobustnessCurve, robustness_curves
from cnnexplain.io.datasets import load_digits28
from cnnexplain.model.backprop import OptimizerSettings, inspected_step, load_params
from cnnexplain.model.head import HEADS
from cnnexplain.model.questions import (
    DOWN,
    FALLS,
    RISES,
    UP,
    chosen_class,
    conv_output_size,
    loss_direction,
    pool_window_values,
    pool_winners,
    probability_direction,
    size_choices,
    true_probability,
)
from cnnexplain.model.spec import CNNSpec, build_cnn, build_mlp, mlp_matching_budget
from cnnexplain.model.trace import trace


@pytest.fixture(scope="module")
def digits():
    return load_digits28()


SETTINGS = [(s, p, d) for s in (1, 2, 3) for p in (0, 1, 2) for d in (1, 2)]


@pytest.mark.parametrize(("stride", "padding", "dilation"), SETTINGS)
def test_the_output_size_is_the_shape_the_convolution_makes(stride, padding, dilation):
    picture = toy_grid("square", 9)[:, :7]  # (9, 7): rows and columns must not be swapped
    kernel = np.asarray(PRESETS["edge (Laplacian)"])
    result = lab_convolve(picture, kernel, stride, padding, dilation)
    size = conv_output_size(9, 7, 3, stride, padding, dilation)
    assert size == result.output.shape
    out = F.conv2d(
        torch.zeros(1, 1, 9, 7), torch.zeros(1, 1, 3, 3), None, stride, padding, dilation
    )
    assert size == tuple(out.shape[2:])
    choices = size_choices(9, 7, 3, stride, padding, dilation)
    assert size in choices and len(set(choices)) == len(choices) >= 2
    assert all(r > 0 and c > 0 for r, c in choices)


def test_the_network_s_choice_is_the_trace_s_and_torch_s(digits):
    model = build_cnn(CNNSpec(), seed=3)
    for x in digits.x_test[:20]:
        result = trace(model, x)
        with torch.no_grad():
            logits = model(torch.from_numpy(np.array(x, dtype=np.float32)[None]))[0]
        assert chosen_class(result.probs) == result.predicted == int(torch.argmax(logits))


def test_the_pool_winner_holds_the_value_max_pooling_keeps(digits):
    model = build_cnn(CNNSpec(), seed=0)
    result = trace(model, digits.x_test[0])
    stage = result.stage("maxpool1")
    before = result.stages[result.stages.index(stage) - 1].torch_out  # (C, H, W)
    size, stride = stage.hparams["size"], stage.hparams["stride"]
    pooled, where = F.max_pool2d(torch.from_numpy(before)[None], size, stride, return_indices=True)
    C, Ho, Wo = stage.shape
    rng = np.random.default_rng(0)
    cells = zip(
        rng.integers(C, size=30), rng.integers(Ho, size=30), rng.integers(Wo, size=30), strict=True
    )
    for c, i, j in cells:
        values = pool_window_values(before, int(c), int(i), int(j), size, stride)
        winners = pool_winners(values)
        assert all(values.reshape(-1)[k] == pooled[0, c, i, j].item() for k in winners)
        r, col = divmod(int(where[0, c, i, j]), before.shape[2])  # torch's winner, in the map
        assert (r - i * stride) * size + (col - j * stride) in winners
    assert pool_winners(np.array([[1.0, 3.0], [3.0, 0.0]])) == (1, 2)  # a tie: both are right


def model_true_probability(model, x, y) -> float:
    head = HEADS[model.spec.head]
    with torch.no_grad():
        probs = head.probabilities(model(torch.from_numpy(x))).double().numpy()
    return float(np.mean(probs[np.arange(len(y)), y]))


@pytest.mark.parametrize("lr", [0.01, 3.0])
def test_the_step_s_directions_are_what_the_step_did(digits, lr):
    model = build_cnn(CNNSpec(), seed=1)
    x, y = digits.x_train[:8].astype(np.float32), digits.y_train[:8].astype(np.int64)
    record = inspected_step(model, x, y, OptimizerSettings(lr=lr))
    p_before = true_probability(record.probs, y)
    assert p_before == pytest.approx(model_true_probability(model, x, y), rel=1e-5)
    load_params(model, record.params_after)
    p_after = model_true_probability(model, x, y)
    assert probability_direction(p_before, p_after) == (UP if p_after > p_before else DOWN)
    rose = record.loss_after > record.loss_before
    assert loss_direction(record.loss_before, record.loss_after) == (RISES if rose else FALLS)
    if lr == 0.01:  # a small step on a fresh network goes downhill: the answers can differ
        assert loss_direction(record.loss_before, record.loss_after) == FALLS
        assert probability_direction(p_before, p_after) == UP
    assert probability_direction(0.5, 0.5) is None
    assert loss_direction(float("nan"), 1.0) is None


def test_the_more_accurate_network_at_the_shift_is_the_measured_one(digits):
    cnn = CNNSpec()
    models = {CNN: build_cnn(cnn, seed=0), ANN: build_mlp(mlp_matching_budget(cnn), seed=0)}
    curves = robustness_curves(models, digits.x_test[:64], digits.y_test[:64])
    winner, accuracy = more_accurate_when_shifted(curves)
    shift = curves["shift"]
    at = shift.levels.index(QUESTION_SHIFT)
    measured = {name: shift.accuracy[name][at] for name in (CNN, ANN)}
    assert accuracy == measured
    if measured[CNN] != measured[ANN]:
        assert winner == max(measured, key=measured.get)
    tie = RobustnessCurve("shift", "px", (0, 3), {CNN: (1.0, 0.5), ANN: (1.0, 0.5)})
    assert more_accurate_when_shifted({"shift": tie}) == (None, {CNN: 0.5, ANN: 0.5})
    flipped = RobustnessCurve("shift", "px", (0, 3), {CNN: (1.0, 0.25), ANN: (0.9, 0.75)})
    assert more_accurate_when_shifted({"shift": flipped})[0] == ANN
    assert more_accurate_when_shifted(None) == (None, None)
