"""model.cost.multiply_adds against a count made on the built torch model with forward hooks."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cnnexplain.model.cost import multiply_adds
from cnnexplain.model.spec import (
    CNNSpec,
    ConvBlock,
    MLPSpec,
    build_cnn,
    build_mlp,
    mlp_matching_budget,
)
from cnnexplain.training.store import DEFAULT_SPEC


def hooked_count(model: nn.Module, spec: CNNSpec | MLPSpec) -> int:
    """Multiply-adds of one picture through `model`, counted from what each layer outputs."""
    counted = []

    def count(module: nn.Module, _inputs: tuple, out: torch.Tensor) -> None:
        if isinstance(module, nn.Conv2d):
            per_output = module.in_channels // module.groups * module.kernel_size[0]
            counted.append(out.numel() * per_output * module.kernel_size[1])
        elif isinstance(module, nn.Linear):
            counted.append(out.numel() * module.in_features)

    handles = [m.register_forward_hook(count) for m in model.modules()]
    with torch.no_grad():
        model(torch.zeros(1, spec.in_channels, spec.input_size, spec.input_size))
    for handle in handles:
        handle.remove()
    return sum(counted)


SPECS = [
    DEFAULT_SPEC,
    CNNSpec(conv_blocks=(ConvBlock(4, kernel_size=5, stride=2, padding=0),), dense=()),
    CNNSpec(
        in_channels=3,
        input_size=32,
        conv_blocks=(
            ConvBlock(6, dilation=2, padding=2, pool="avg", pool_size=3),
            ConvBlock(5, kernel_size=1, activation="tanh", pool=None),
            ConvBlock(7, stride=3, padding=0, pool_size=2),
        ),
        dense=(20, 12),
        num_classes=4,
    ),
    CNNSpec(num_classes=2, head="sigmoid"),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{len(s.conv_blocks)} blocks, {s.head}")
def test_a_cnn_s_multiply_adds_are_the_hooks_count(spec: CNNSpec) -> None:
    assert multiply_adds(spec) == hooked_count(build_cnn(spec), spec)


@pytest.mark.parametrize("spec", [MLPSpec(), MLPSpec(3, 16, 5, (7,)), MLPSpec(hidden=())])
def test_an_ann_s_multiply_adds_are_the_hooks_count(spec: MLPSpec) -> None:
    assert multiply_adds(spec) == hooked_count(build_mlp(spec), spec)


def test_the_default_cnn_works_more_per_picture_than_its_matched_ann() -> None:
    # conv1: 8·1·3·3 weights at 28·28 positions; conv2: 16·8·3·3 at 14·14; then the dense layers.
    expected = 72 * 784 + 1152 * 196 + 784 * 64 + 64 * 10
    assert multiply_adds(DEFAULT_SPEC) == expected
    assert multiply_adds(mlp_matching_budget(DEFAULT_SPEC)) < expected
