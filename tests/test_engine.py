"""The numpy engine against torch: every cached forward value and every gradient, in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from cnnexplain.model import engine
from cnnexplain.model.backprop import relative_error
from cnnexplain.model.spec import CNNSpec, ConvBlock, MLPSpec, build_cnn, build_mlp

TOL = 1e-12  # float64 agreement, relative to the largest value of each array

SPECS = {
    "conv, relu, max pool": CNNSpec(input_size=9, conv_blocks=(ConvBlock(3),), dense=(5,)),
    "stride, dilation, avg pool, tanh, sigmoid": CNNSpec(
        in_channels=2,
        input_size=13,
        conv_blocks=(
            ConvBlock(4, kernel_size=3, stride=2, padding=0, activation="tanh", pool="avg"),
            ConvBlock(3, dilation=2, padding=2, activation="sigmoid", pool_size=3, pool_stride=1),
        ),
        dense=(6,),
        dense_activation="tanh",
        num_classes=4,
    ),
    "sigmoid head, no activation": CNNSpec(
        input_size=8,
        conv_blocks=(ConvBlock(2, activation="none", pool=None),),
        dense=(),
        num_classes=2,
        head="sigmoid",
    ),
    "mlp": MLPSpec(input_size=5, hidden=(7, 4), activation="sigmoid", num_classes=3),
}


def _model(spec: CNNSpec | MLPSpec, seed: int) -> nn.Sequential:
    """A random float64 network of `spec`."""
    build = build_cnn if isinstance(spec, CNNSpec) else build_mlp
    return build(spec, seed).double()


def _autograd(model: nn.Sequential, x: np.ndarray, dlogits: np.ndarray):
    """Torch's output of every child, and by autograd d(sum(logits * dlogits)) with respect to
    every child's output, the input and every parameter."""
    for p in model.parameters():
        p.requires_grad_(True)
    inp = torch.from_numpy(x.copy()).requires_grad_()
    outs, h = {}, inp
    for name, child in model.named_children():
        h = child(h)
        h.retain_grad()
        outs[name] = h
    (h * torch.from_numpy(dlogits)).sum().backward()
    values = {name: out.detach().numpy() for name, out in outs.items()}
    douts = {name: out.grad.numpy() for name, out in outs.items()}
    grads = {name: p.grad.numpy() for name, p in model.named_parameters()}
    return values, douts, inp.grad.numpy(), grads


@pytest.mark.parametrize("name", list(SPECS))
def test_forward_caches_and_backward_chain_equal_torch_autograd(name):
    spec = SPECS[name]
    model = _model(spec, seed=2)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, spec.in_channels, spec.input_size, spec.input_size))
    replayed = engine.forward(model, x)
    dlogits = rng.standard_normal(replayed[-1].out.shape)
    values, douts, dinput, grads = _autograd(model, x, dlogits)

    assert [s.name for s in replayed] == [n for n, _ in model.named_children()]
    assert replayed[0].x is x
    for before, after in zip(replayed, replayed[1:], strict=False):
        assert after.x is before.out  # each stage reads the replay's own values
    for stage in replayed:
        assert stage.out.dtype == np.float64
        assert relative_error(stage.out, values[stage.name]) < TOL, stage.name

    stage_grads = engine.backward(replayed, dlogits)
    assert [g.name for g in stage_grads] == [s.name for s in replayed]
    np.testing.assert_array_equal(stage_grads[-1].dout, dlogits)
    for before, after in zip(stage_grads, stage_grads[1:], strict=False):
        np.testing.assert_array_equal(after.dx, before.dout)
    for g in stage_grads:
        assert g.dout.shape == g.out.shape and g.dx.shape == g.x.shape
        assert relative_error(g.dout, douts[g.name]) < TOL, g.name
    assert relative_error(stage_grads[0].dx, dinput) < TOL

    params = engine.parameter_gradients(stage_grads)
    assert list(params) == list(grads)  # the model's parameter order
    for pname, g in grads.items():
        assert relative_error(params[pname], g) < TOL, pname


def test_stages_without_parameters_have_no_weight_gradient():
    spec = SPECS["conv, relu, max pool"]
    model = _model(spec, seed=0)
    x = np.random.default_rng(1).standard_normal((2, 1, 9, 9))
    replayed = engine.forward(model, x)
    stage_grads = engine.backward(replayed, np.ones_like(replayed[-1].out))
    kinds = {g.name: g.kind for g in stage_grads}
    assert kinds == {
        "conv1": "conv",
        "relu1": "activation",
        "maxpool1": "pool",
        "flatten": "flatten",
        "dense1": "dense",
        "dense1_relu": "activation",
        "logits": "logits",
    }
    for stage, g in zip(replayed, stage_grads, strict=True):
        has_params = g.kind in ("conv", "dense", "logits")
        assert (g.dw is not None) == has_params and (g.db is not None) == has_params, g.name
        assert (stage.params.keys() == {"weight", "bias"}) == has_params, g.name


def test_the_replay_keeps_its_own_copy_of_the_weights():
    model = _model(SPECS["mlp"], seed=0)
    x = np.random.default_rng(1).standard_normal((2, 1, 5, 5))
    stage = engine.forward(model, x)[1]  # dense1
    recorded = stage.params["weight"].copy()
    with torch.no_grad():
        model.dense1.weight.add_(1.0)
    np.testing.assert_array_equal(stage.params["weight"], recorded)


def test_a_stage_without_a_backward_pass_is_refused():
    with pytest.raises(ValueError, match="No backward pass for a 'probs' stage"):
        engine.backward_stage("probs", {}, np.zeros((1, 2)), None)


def test_a_layer_without_a_replay_is_refused_by_name():
    with pytest.raises(ValueError, match="Stage drop: no numpy replay for a Dropout layer"):
        engine.replay_stage("drop", nn.Dropout(), np.zeros((1, 3)))
    conv = nn.Conv2d(2, 2, 3, groups=2).double()
    with pytest.raises(ValueError, match="Stage conv1: the replay handles ungrouped"):
        engine.replay_stage("conv1", conv, np.zeros((1, 2, 5, 5)))
