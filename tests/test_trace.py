"""The captured forward pass against torch, and its numpy replay against both."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnexplain.model.spec import (
    CNNSpec,
    ConvBlock,
    MLPSpec,
    build_cnn,
    build_mlp,
    clone_model,
    stage_shapes,
)
from cnnexplain.model.trace import Trace, trace

TOL = 1e-5

SPECS = {
    "default": CNNSpec(),
    "padding 0, avg pool, tanh": CNNSpec(
        input_size=12,
        conv_blocks=(ConvBlock(5, padding=0, activation="tanh", pool="avg"),),
        dense=(9,),
        dense_activation="tanh",
    ),
    "stride 2, dilation 2, no pool": CNNSpec(
        input_size=17,
        conv_blocks=(
            ConvBlock(4, kernel_size=5, stride=2, padding=2, pool=None),
            ConvBlock(6, dilation=2, padding=2, activation="sigmoid", pool=None),
        ),
        dense=(),
    ),
    "overlapping pools, no activation, three blocks": CNNSpec(
        input_size=20,
        num_classes=4,
        conv_blocks=(
            ConvBlock(3, activation="none", pool="max", pool_size=3, pool_stride=1),
            ConvBlock(5, kernel_size=1, padding=0, pool="avg", pool_size=3, pool_stride=2),
            ConvBlock(7, stride=2, activation="tanh", pool=None),
        ),
        dense=(10, 6),
        dense_activation="none",
    ),
    "rgb, sigmoid head": CNNSpec(
        in_channels=3,
        input_size=16,
        num_classes=2,
        conv_blocks=(ConvBlock(6, dilation=2, padding=2), ConvBlock(8, stride=2)),
        dense=(12,),
        dense_activation="sigmoid",
        head="sigmoid",
    ),
    "mlp": MLPSpec(),
    "mlp rgb, sigmoid head": MLPSpec(
        in_channels=3, input_size=8, num_classes=2, hidden=(7,), activation="tanh", head="sigmoid"
    ),
}


def build(spec, seed=0):
    return build_mlp(spec, seed) if isinstance(spec, MLPSpec) else build_cnn(spec, seed)


def sample(spec, seed=1) -> np.ndarray:
    shape = (spec.in_channels, spec.input_size, spec.input_size)
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def scale_weights(model: nn.Module, factor: float) -> None:
    """Larger weights than the initial ones, so that values far from 0 are compared too."""
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(factor)


@pytest.fixture(params=list(SPECS), scope="module")
def case(request):
    spec = SPECS[request.param]
    model = build(spec)
    scale_weights(model, 2.0)
    x = sample(spec)
    return spec, model, x, trace(model, x, label=1)


def test_stage_names_kinds_and_shapes_follow_the_spec(case):
    spec, _, _, t = case
    expected = stage_shapes(spec)
    assert t.names == [s.name for s in expected]
    assert [s.kind for s in t.stages] == [s.kind for s in expected]
    for stage, info in zip(t.stages, expected, strict=True):
        assert stage.shape == info.shape
        assert stage.torch_out.shape == stage.numpy_out.shape == info.shape
        assert stage.torch_out.dtype == stage.numpy_out.dtype == np.float32


def test_each_stage_is_what_torch_computes(case):
    _, model, x, t = case
    out = torch.from_numpy(x[None])
    with torch.no_grad():
        for name, child in model.named_children():
            out = child(out)
            np.testing.assert_array_equal(t.stage(name).torch_out, out[0].numpy())
        np.testing.assert_array_equal(t.logits, model(torch.from_numpy(x[None]))[0].numpy())
    np.testing.assert_array_equal(t.stage("input").torch_out, x)


def test_numpy_replay_equals_torch(case):
    _, _, _, t = case
    diffs = []
    for stage in t.stages:
        np.testing.assert_allclose(
            stage.numpy_out, stage.torch_out, rtol=0, atol=TOL, err_msg=stage.name
        )
        diffs.append(np.abs(stage.numpy_out - stage.torch_out).max())
    assert t.max_abs_diff == pytest.approx(max(diffs), abs=0)
    assert t.max_abs_diff <= TOL
    # The replay is its own computation, not a copy of torch's arrays.
    for stage in t.stages[1:]:
        assert not np.shares_memory(stage.numpy_out, stage.torch_out)


def test_probabilities_prediction_and_loss(case):
    spec, model, x, t = case
    with torch.no_grad():
        logits = model(torch.from_numpy(x[None]))
    if spec.head == "sigmoid":
        p = torch.sigmoid(logits)[0, 0].item()
        np.testing.assert_allclose(t.probs, [1 - p, p], rtol=0, atol=1e-7)
        np.testing.assert_allclose(t.stage("probs").torch_out, [p], rtol=0, atol=1e-7)
        expected = F.binary_cross_entropy_with_logits(logits.reshape(-1), torch.tensor([1.0]))
        assert t.predicted == int(logits.item() > 0)
    else:
        probs = torch.softmax(logits, dim=1)[0].numpy()
        np.testing.assert_allclose(t.probs, probs, rtol=0, atol=1e-7)
        expected = F.cross_entropy(logits, torch.tensor([1]))
        assert t.predicted == int(logits.argmax())
    assert t.probs.shape == (spec.num_classes,)
    assert t.probs.sum() == pytest.approx(1.0, abs=1e-6)
    assert t.predicted == int(np.argmax(t.probs))
    assert t.label == 1
    assert t.loss == pytest.approx(expected.item(), rel=1e-6)
    assert t.loss_numpy == pytest.approx(expected.item(), rel=1e-5, abs=1e-6)


def test_module_settings_and_weights_are_recorded(case):
    _, model, _, t = case
    for name, child in model.named_children():
        stage = t.stage(name)
        if isinstance(child, nn.Conv2d):
            assert stage.hparams == {
                "stride": child.stride[0],
                "padding": child.padding[0],
                "dilation": child.dilation[0],
            }
        if isinstance(child, nn.MaxPool2d | nn.AvgPool2d):
            assert stage.hparams["size"] == child.kernel_size
            assert stage.hparams["stride"] == child.stride
        if isinstance(child, nn.Conv2d | nn.Linear):
            assert stage.params.keys() == {"weight", "bias"}
            np.testing.assert_array_equal(stage.params["weight"], child.weight.detach().numpy())
            np.testing.assert_array_equal(stage.params["bias"], child.bias.detach().numpy())
        else:
            assert stage.params == {}


def test_hyper_parameters_match_the_spec():
    spec = SPECS["overlapping pools, no activation, three blocks"]
    t = trace(build(spec), sample(spec))
    assert t.stage("conv3").hparams == {"stride": 2, "padding": 1, "dilation": 1}
    assert t.stage("maxpool1").hparams == {"pool": "max", "size": 3, "stride": 1}
    assert t.stage("avgpool2").hparams == {"pool": "avg", "size": 3, "stride": 2}
    assert t.stage("tanh3").hparams == {"activation": "tanh"}
    assert t.stage("probs").hparams == {"head": "softmax"}


def test_without_a_label_there_is_no_loss():
    spec = SPECS["default"]
    t = trace(build(spec), sample(spec))
    assert t.label is None and t.loss is None and t.loss_numpy is None


@pytest.mark.parametrize("label", [0, 1])
def test_sigmoid_head_loss_for_both_labels(label):
    spec = SPECS["rgb, sigmoid head"]
    model = build(spec, seed=3)
    x = sample(spec, seed=4)
    t = trace(model, x, label=np.int64(label))
    with torch.no_grad():
        z = model(torch.from_numpy(x[None])).reshape(-1)
    expected = F.binary_cross_entropy_with_logits(z, torch.tensor([float(label)])).item()
    assert t.label == label and type(t.label) is int
    assert t.loss == pytest.approx(expected, rel=1e-6)
    assert t.loss_numpy == pytest.approx(expected, rel=1e-5)


def test_batched_and_float64_inputs_give_the_same_trace():
    spec = SPECS["default"]
    model = build(spec)
    x = sample(spec)
    a = trace(model, x, label=2)
    b = trace(model, x[None].astype(np.float64), label=2)
    for sa, sb in zip(a.stages, b.stages, strict=True):
        np.testing.assert_array_equal(sa.torch_out, sb.torch_out)
        np.testing.assert_array_equal(sa.numpy_out, sb.numpy_out)
    assert a.loss == b.loss


def test_read_only_input_is_accepted_and_left_alone():
    spec = SPECS["default"]
    x = sample(spec)
    x.setflags(write=False)
    model = build(spec)
    with warnings.catch_warnings():
        # torch warns about read-only arrays (once per process): the trace must not hand it one.
        warnings.simplefilter("error")
        t = trace(model, x, label=0)
    assert not np.shares_memory(t.stage("input").torch_out, x)
    np.testing.assert_array_equal(t.stage("input").torch_out, x)


def test_trace_neither_changes_the_model_nor_shares_its_memory():
    spec = SPECS["default"]
    model = build(spec)
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    t = trace(model, sample(spec), label=0)
    assert model.training
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key])
    assert all(p.grad is None for p in model.parameters())
    recorded = t.stage("conv1").params["weight"].copy()
    with torch.no_grad():
        model.conv1.weight.add_(1.0)
    np.testing.assert_array_equal(t.stage("conv1").params["weight"], recorded)


def test_trace_of_a_clone_after_a_change_differs_from_the_original():
    spec = SPECS["default"]
    original = build(spec)
    copy = clone_model(original)
    with torch.no_grad():
        copy.conv1.bias.add_(0.5)
    x = sample(spec)
    a, b = trace(original, x), trace(copy, x)
    np.testing.assert_allclose(
        b.stage("conv1").torch_out - a.stage("conv1").torch_out, 0.5, rtol=0, atol=1e-6
    )
    assert b.max_abs_diff <= TOL


def test_stage_lookup():
    spec = SPECS["mlp"]
    t = trace(build(spec), sample(spec))
    assert isinstance(t, Trace)
    assert t.names == [
        "input",
        "flatten",
        "dense1",
        "dense1_relu",
        "dense2",
        "dense2_relu",
        "logits",
        "probs",
    ]
    assert t.stage("dense2").kind == "dense"
    np.testing.assert_array_equal(t.stage("logits").torch_out, t.logits)
    with pytest.raises(KeyError, match="No stage 'conv1' in this trace; stages: input, flatten"):
        t.stage("conv1")


@pytest.mark.parametrize(
    ("x", "label", "message"),
    [
        (np.zeros((3, 28, 28), np.float32), None, r"expects one input of shape \(1, 28, 28\)"),
        (np.zeros((2, 1, 28, 28), np.float32), None, r"got shape \(2, 1, 28, 28\)"),
        (np.zeros((28, 28), np.float32), None, r"got shape \(28, 28\)"),
        (np.full((1, 28, 28), np.nan, np.float32), None, "NaN or infinite"),
        (np.zeros((1, 28, 28), np.float32), 10, r"label must be a class from 0 to 9, got 10"),
        (np.zeros((1, 28, 28), np.float32), -1, r"from 0 to 9, got -1"),
        (np.zeros((1, 28, 28), np.float32), 1.5, r"got 1\.5"),
        (np.zeros((1, 28, 28), np.float32), True, r"got True"),
    ],
)
def test_bad_inputs_and_labels_are_refused(x, label, message):
    with pytest.raises(ValueError, match=message):
        trace(build(SPECS["default"]), x, label=label)


def test_sigmoid_head_takes_labels_0_and_1_only():
    spec = SPECS["rgb, sigmoid head"]
    with pytest.raises(ValueError, match="from 0 to 1, got 2"):
        trace(build(spec), sample(spec), label=2)


def test_models_the_replay_cannot_follow_are_refused():
    spec = CNNSpec(input_size=8, conv_blocks=(ConvBlock(2),), dense=())
    x = sample(spec)
    with pytest.raises(ValueError, match="no .spec"):
        trace(nn.Sequential(nn.Flatten()), x)

    reflect = build(spec)
    reflect.conv1.padding_mode = "reflect"
    with pytest.raises(ValueError, match="Stage conv1: the replay handles .* zero padding"):
        trace(reflect, x)

    extra = build(spec)
    extra.add_module("dropout", nn.Dropout())
    with pytest.raises(ValueError, match="Stage dropout: no numpy replay for a Dropout layer"):
        trace(extra, x)
