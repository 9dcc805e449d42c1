"""Saliency and Grad-CAM against torch computed here independently, and central differences."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnexplain.model.saliency import GradCamResult, SaliencyResult, grad_cam, saliency_map
from cnnexplain.model.spec import CNNSpec, ConvBlock, MLPSpec, build_cnn, build_mlp, clone_model

TOL = 1e-5  # float32 agreement

SPECS = {
    "default": CNNSpec(),
    "tanh, avg pool, stride 2": CNNSpec(
        input_size=12,
        conv_blocks=(
            ConvBlock(5, activation="tanh", pool="avg"),
            ConvBlock(4, kernel_size=3, stride=2, padding=1, pool=None),
        ),
        dense=(9,),
    ),
    "rgb, sigmoid head, dilation": CNNSpec(
        in_channels=3,
        input_size=16,
        num_classes=2,
        conv_blocks=(ConvBlock(6, dilation=2, padding=2), ConvBlock(8, stride=2)),
        dense=(12,),
        head="sigmoid",
    ),
    "last block without activation": CNNSpec(
        input_size=10,
        num_classes=3,
        conv_blocks=(ConvBlock(3), ConvBlock(4, activation="none", pool="avg")),
        dense=(),
    ),
    "mlp": MLPSpec(input_size=10, hidden=(16,)),
    "mlp rgb, sigmoid head": MLPSpec(
        in_channels=3, input_size=6, num_classes=2, hidden=(7,), activation="tanh", head="sigmoid"
    ),
}
CNN_CASES = [name for name, spec in SPECS.items() if isinstance(spec, CNNSpec)]


def build(spec, seed=0):
    return build_mlp(spec, seed) if isinstance(spec, MLPSpec) else build_cnn(spec, seed)


def sample(spec, seed=1, dtype=np.float32) -> np.ndarray:
    shape = (spec.in_channels, spec.input_size, spec.input_size)
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def frozen(model: nn.Module) -> nn.Module:
    """The model as the shared store hands it out: eval mode, no parameter requires a grad."""
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def reference_score(model, x_t, target):
    """The target's score computed here: the logit, or minus the one sigmoid logit for class 0."""
    logits = model(x_t)
    if model.spec.head == "sigmoid":
        return logits[0, 0] if target == 1 else -logits[0, 0]
    return logits[0, target]


def reference_input_gradient(model, x, target):
    x_t = torch.tensor(x[None], requires_grad=True)
    (grad,) = torch.autograd.grad(reference_score(model, x_t, target), x_t)
    return grad[0].numpy()


def reference_grad_cam(model, x, target, layer):
    """Grad-CAM from a forward hook on the module and autograd.grad, as the papers define it."""
    module = dict(model.named_children())[layer]
    kept = []
    handle = module.register_forward_hook(lambda _m, _i, out: kept.append(out))
    try:
        x_t = torch.tensor(x[None], requires_grad=True)
        score = reference_score(model, x_t, target)
    finally:
        handle.remove()
    (grads,) = torch.autograd.grad(score, kept[0])
    acts, grads = kept[0].detach()[0], grads[0]  # (C', h, w)
    alpha = grads.mean(dim=(1, 2))
    cam = F.relu(torch.einsum("k,khw->hw", alpha, acts))
    up = F.interpolate(cam[None, None], size=x.shape[1:], mode="bilinear", align_corners=False)
    up = up[0, 0]
    if up.max() > 0:
        up = up / up.max()
    return acts.numpy(), grads.numpy(), alpha.numpy(), cam.numpy(), up.numpy()


@pytest.fixture(params=list(SPECS), scope="module")
def case(request):
    spec = SPECS[request.param]
    model = frozen(build(spec))
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(2.0)  # larger weights than the initial ones: gradients far from 0
    return spec, model, sample(spec)


# --------------------------------------------------------------------------------------------
# Saliency
# --------------------------------------------------------------------------------------------


def test_saliency_is_the_input_gradient_autograd_gives(case):
    spec, model, x = case
    for target in range(spec.num_classes):
        result = saliency_map(model, x, target)
        expected = reference_input_gradient(model, x, target)
        assert isinstance(result, SaliencyResult)
        assert result.target == target
        assert result.gradient.shape == x.shape
        assert result.saliency.shape == (spec.input_size, spec.input_size)
        assert result.gradient.dtype == result.saliency.dtype == np.float32
        np.testing.assert_allclose(result.gradient, expected, rtol=1e-6, atol=1e-9)
        np.testing.assert_array_equal(result.saliency, np.abs(result.gradient).max(axis=0))
        with torch.no_grad():
            score = reference_score(model, torch.from_numpy(x[None]), target).item()
        assert result.score == pytest.approx(score, rel=1e-6, abs=1e-7)


def test_the_ops_backward_chain_gives_the_same_input_gradient(case):
    _, model, x = case
    result = saliency_map(model, x)
    assert result.numpy_gradient.shape == x.shape
    assert result.numpy_gradient.dtype == np.float32
    assert not np.shares_memory(result.numpy_gradient, result.gradient)
    np.testing.assert_allclose(result.numpy_gradient, result.gradient, rtol=0, atol=TOL)
    assert result.max_abs_diff == pytest.approx(
        np.abs(result.numpy_gradient - result.gradient).max(), abs=0
    )
    assert result.max_abs_diff <= TOL


def test_target_defaults_to_the_prediction(case):
    spec, model, x = case
    with torch.no_grad():
        logits = model(torch.from_numpy(x[None]))[0].numpy()
    predicted = int(logits[0] > 0) if spec.head == "sigmoid" else int(np.argmax(logits))
    result = saliency_map(model, x)
    assert result.predicted == result.target == predicted
    np.testing.assert_array_equal(result.gradient, saliency_map(model, x, predicted).gradient)
    other = (predicted + 1) % spec.num_classes
    assert saliency_map(model, x, other).predicted == predicted


def test_sigmoid_head_scores_class_0_with_the_negative_logit():
    spec = SPECS["rgb, sigmoid head, dilation"]
    model, x = frozen(build(spec)), sample(spec)
    one, zero = saliency_map(model, x, 1), saliency_map(model, x, 0)
    with torch.no_grad():
        logit = model(torch.from_numpy(x[None]))[0, 0].item()
    assert one.score == pytest.approx(logit, rel=1e-6)
    assert zero.score == pytest.approx(-logit, rel=1e-6)
    np.testing.assert_array_equal(zero.gradient, -one.gradient)
    np.testing.assert_array_equal(zero.saliency, one.saliency)
    assert one.predicted == zero.predicted == int(logit > 0)


@pytest.mark.parametrize("name", ["tanh, avg pool, stride 2", "default", "mlp"])
def test_saliency_matches_central_differences_in_float64(name):
    spec = SPECS[name]
    if isinstance(spec, CNNSpec):
        spec = CNNSpec(
            in_channels=spec.in_channels,
            input_size=8,
            num_classes=spec.num_classes,
            conv_blocks=tuple(replace(b, filters=3) for b in spec.conv_blocks),
            dense=(5,),
        )
    model = frozen(build(spec).double())
    x = sample(spec, seed=3, dtype=np.float64)
    target = 2
    result = saliency_map(model, x, target)
    assert result.gradient.dtype == np.float64

    h = 1e-6
    numeric = np.zeros_like(x)
    nudged = x.copy()
    with torch.no_grad():
        for idx in np.ndindex(x.shape):
            old = nudged[idx]
            nudged[idx] = old + h
            plus = reference_score(model, torch.from_numpy(nudged[None]), target).item()
            nudged[idx] = old - h
            minus = reference_score(model, torch.from_numpy(nudged[None]), target).item()
            nudged[idx] = old
            numeric[idx] = (plus - minus) / (2 * h)
    assert np.abs(numeric).max() > 1e-3  # a gradient worth comparing
    np.testing.assert_allclose(result.gradient, numeric, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(result.numpy_gradient, result.gradient, rtol=1e-10, atol=1e-14)


# --------------------------------------------------------------------------------------------
# Grad-CAM
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CNN_CASES)
def test_grad_cam_equals_a_hook_and_autograd_computation(name):
    spec = SPECS[name]
    model, x = frozen(build(spec)), sample(spec)
    for target in range(spec.num_classes):
        result = grad_cam(model, x, target)
        assert isinstance(result, GradCamResult)
        acts, grads, alpha, cam, up = reference_grad_cam(model, x, target, result.layer)
        assert result.target == target
        np.testing.assert_array_equal(result.activations, acts)
        np.testing.assert_allclose(result.gradients, grads, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(result.weights, alpha, rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(result.cam, cam, rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(result.upsampled, up, rtol=1e-5, atol=1e-6)
        assert result.max_abs_diff <= TOL


def test_grad_cam_shapes_and_the_arithmetic_between_them():
    spec = SPECS["default"]
    model, x = frozen(build(spec)), sample(spec)
    result = grad_cam(model, x)
    assert result.layer == "relu2"  # after the last convolution, before its pooling
    assert result.activations.shape == result.gradients.shape == (16, 14, 14)
    assert result.weights.shape == (16,)
    assert result.cam.shape == (14, 14)
    assert result.upsampled.shape == (28, 28)
    expected = result.gradients.astype(np.float64).mean(axis=(1, 2))
    np.testing.assert_allclose(result.weights, expected, rtol=1e-5, atol=1e-9)
    weighted = np.tensordot(result.weights, result.activations, axes=1)  # (14, 14)
    np.testing.assert_allclose(result.cam, np.maximum(weighted, 0), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("name", CNN_CASES)
def test_grad_cam_is_normalised_to_0_1(name):
    spec = SPECS[name]
    model, x = frozen(build(spec)), sample(spec)
    for target in range(spec.num_classes):
        up = grad_cam(model, x, target).upsampled
        assert up.min() >= 0
        if up.any():
            assert up.max() == 1.0


def test_an_all_zero_cam_stays_zero():
    spec = SPECS["default"]
    model = clone_model(frozen(build(spec)))
    with torch.no_grad():
        model.conv2.bias.fill_(-1e4)  # relu2 is 0 everywhere, so is every weighted sum
    result = grad_cam(model, sample(spec))
    assert result.layer == "relu2"
    assert not result.activations.any()
    np.testing.assert_array_equal(result.cam, np.zeros((14, 14), dtype=np.float32))
    np.testing.assert_array_equal(result.upsampled, np.zeros((28, 28), dtype=np.float32))


def test_grad_cam_default_layer_without_an_activation_is_the_convolution():
    spec = SPECS["last block without activation"]
    assert grad_cam(frozen(build(spec)), sample(spec)).layer == "conv2"


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        ("conv1", (8, 28, 28)),
        ("relu1", (8, 28, 28)),
        ("maxpool1", (8, 14, 14)),
        ("conv2", (16, 14, 14)),
        ("maxpool2", (16, 7, 7)),
    ],
)
def test_grad_cam_on_a_chosen_layer(layer, shape):
    spec = SPECS["default"]
    model, x = frozen(build(spec)), sample(spec)
    result = grad_cam(model, x, target=3, layer=layer)
    _, grads, alpha, cam, up = reference_grad_cam(model, x, 3, layer)
    assert result.layer == layer
    assert result.activations.shape == shape
    np.testing.assert_allclose(result.gradients, grads, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(result.weights, alpha, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(result.cam, cam, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(result.upsampled, up, rtol=1e-5, atol=1e-6)
    assert result.max_abs_diff <= TOL


def test_sigmoid_head_grad_cam_flips_the_weights_for_class_0():
    spec = SPECS["rgb, sigmoid head, dilation"]
    model, x = frozen(build(spec)), sample(spec)
    one, zero = grad_cam(model, x, 1), grad_cam(model, x, 0)
    np.testing.assert_array_equal(zero.weights, -one.weights)
    np.testing.assert_array_equal(zero.activations, one.activations)
    assert zero.score == -one.score


def test_grad_cam_in_float64_agrees_with_the_ops_backward_chain():
    spec = SPECS["tanh, avg pool, stride 2"]
    model = frozen(build(spec).double())
    result = grad_cam(model, sample(spec, dtype=np.float64), target=1, layer="avgpool1")
    assert result.upsampled.dtype == np.float64
    assert result.max_abs_diff <= 1e-14


# --------------------------------------------------------------------------------------------
# The model is only read
# --------------------------------------------------------------------------------------------


def _snapshot(model: nn.Module):
    return (
        {k: v.clone() for k, v in model.state_dict().items()},
        [(n, p.requires_grad, p.grad) for n, p in model.named_parameters()],
        [m.training for m in model.modules()],
        [(len(m._forward_hooks), len(m._backward_hooks)) for m in model.modules()],
    )


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("training", [False, True])
def test_the_model_is_left_exactly_as_it_was(requires_grad, training):
    spec = SPECS["default"]
    model = build(spec)
    model.train(training)
    for p in model.parameters():
        p.requires_grad_(requires_grad)
    state, flags, modes, hooks = _snapshot(model)
    x = sample(spec)
    x.setflags(write=False)  # a shared data set's read-only array is accepted and untouched
    saliency_map(model, x)
    grad_cam(model, x)
    grad_cam(model, x, layer="maxpool1")
    after_state, after_flags, after_modes, after_hooks = _snapshot(model)
    assert state.keys() == after_state.keys()
    for key, value in state.items():
        assert torch.equal(value, after_state[key]), key
    assert after_flags == [(n, requires_grad, None) for n, _, _ in flags]
    assert after_modes == modes == [training] * len(modes)
    assert after_hooks == hooks
    np.testing.assert_array_equal(x, sample(spec))


def test_results_do_not_share_memory_with_the_model_or_the_input():
    spec = SPECS["default"]
    model, x = frozen(build(spec)), sample(spec)
    result = grad_cam(model, x, layer="conv1")
    saliency = saliency_map(model, x)
    arrays = [result.activations, result.gradients, result.weights, result.cam, result.upsampled]
    arrays += [saliency.gradient, saliency.saliency, saliency.numpy_gradient]
    for array in arrays:
        assert not np.shares_memory(array, x)
        for p in model.parameters():
            assert not np.shares_memory(array, p.detach().numpy())


def test_explanations_work_inside_no_grad():
    spec = SPECS["default"]
    model, x = frozen(build(spec)), sample(spec)
    outside = saliency_map(model, x, 4)
    cam_outside = grad_cam(model, x, 4)
    with torch.no_grad():
        inside = saliency_map(model, x, 4)
        cam_inside = grad_cam(model, x, 4)
    np.testing.assert_array_equal(inside.gradient, outside.gradient)
    np.testing.assert_array_equal(cam_inside.upsampled, cam_outside.upsampled)


def test_batched_input_gives_the_same_result():
    spec = SPECS["default"]
    model, x = frozen(build(spec)), sample(spec)
    np.testing.assert_array_equal(
        saliency_map(model, x[None], 2).gradient, saliency_map(model, x, 2).gradient
    )


# --------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------


def test_grad_cam_refuses_an_mlp_but_saliency_works():
    spec = SPECS["mlp"]
    model, x = frozen(build(spec)), sample(spec)
    with pytest.raises(
        ValueError, match=r"^Grad-CAM needs a convolution layer; this network has none\.$"
    ):
        grad_cam(model, x)
    assert saliency_map(model, x).saliency.shape == (10, 10)


@pytest.mark.parametrize("layer", ["flatten", "dense1", "dense1_relu", "logits", "relu9", ""])
def test_grad_cam_refuses_a_stage_without_feature_maps(layer):
    spec = SPECS["default"]
    with pytest.raises(ValueError) as err:
        grad_cam(frozen(build(spec)), sample(spec), layer=layer)
    assert str(err.value) == (
        f"Grad-CAM works on a feature map: {layer!r} is not a conv, activation or pooling stage "
        "of this network; choose one of conv1, relu1, maxpool1, conv2, relu2, maxpool2."
    )


@pytest.mark.parametrize(
    ("x", "target", "message"),
    [
        (np.zeros((1, 27, 28)), None, r"expects one input of shape \(1, 28, 28\).*\(1, 27, 28\)"),
        (np.zeros((3, 28, 28)), None, r"expects one input of shape \(1, 28, 28\)"),
        (np.full((1, 28, 28), np.nan), None, "NaN or infinite"),
        (np.zeros((1, 28, 28)), 10, "target must be a class from 0 to 9, got 10"),
        (np.zeros((1, 28, 28)), -1, "target must be a class from 0 to 9, got -1"),
        (np.zeros((1, 28, 28)), 1.0, "target must be a class from 0 to 9, got 1.0"),
        (np.zeros((1, 28, 28)), True, "target must be a class from 0 to 9, got True"),
    ],
)
def test_bad_inputs_and_targets_are_refused(x, target, message):
    model = frozen(build(SPECS["default"]))
    with pytest.raises(ValueError, match=message):
        saliency_map(model, x, target)
    with pytest.raises(ValueError, match=message):
        grad_cam(model, x, target)


def test_a_model_without_a_spec_is_refused():
    with pytest.raises(ValueError, match=r"no \.spec"):
        saliency_map(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), np.zeros((1, 2, 2)))
