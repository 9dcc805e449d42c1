"""Receptive fields against torch autograd: the pixels whose gradient is not zero."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from cnnexplain.figures.receptive import FIELD_SHAPE, field_on_picture
from cnnexplain.model.receptive import (
    Field,
    field_sizes,
    reachable,
    receptive_field,
    stage_windows,
)
from cnnexplain.model.spec import ArchitectureError, CNNSpec, ConvBlock, build_cnn, stage_shapes
from cnnexplain.receptive import receptive_field as kept_name


def random_spec(rng: np.random.Generator) -> CNNSpec:
    """A small network with random strides, paddings, dilations and poolings that can be built."""
    while True:
        blocks = [
            ConvBlock(
                filters=int(rng.integers(1, 4)),
                kernel_size=int(rng.integers(1, 6)),
                stride=int(rng.integers(1, 4)),
                padding=int(rng.integers(0, 4)),
                dilation=int(rng.integers(1, 4)),
                activation=str(rng.choice(["relu", "tanh", "none"])),
                pool=[None, "max", "avg"][int(rng.integers(0, 3))],
                pool_size=int(rng.integers(1, 4)),
                pool_stride=[None, 1, 2, 3][int(rng.integers(0, 4))],
            )
            for _ in range(int(rng.integers(1, 4)))
        ]
        try:
            return CNNSpec(
                in_channels=int(rng.integers(1, 4)),
                input_size=int(rng.integers(6, 33)),
                num_classes=2,
                conv_blocks=tuple(blocks),
                dense=(3,),
            )
        except ArchitectureError:
            continue


def spatial_stages(spec: CNNSpec) -> list[tuple[str, int, int]]:
    return [(s.name, s.shape[1], s.shape[2]) for s in stage_shapes(spec) if len(s.shape) == 3]


def positive_twin(spec: CNNSpec, rng: np.random.Generator, avg_only: bool) -> nn.Sequential:
    """The network in float64 with positive weights and biases, so that every path from a pixel
    to a cell adds to its gradient and nothing cancels. They are small, so no tanh saturates to
    exactly 1 (a zero slope) in float64. With `avg_only`, every max pooling
    becomes an average pooling over the same windows, which passes gradient to all of them."""
    model = build_cnn(spec, seed=0).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.uniform(0.01, 0.1, size=tuple(p.shape))))
    if avg_only:
        for name, child in model.named_children():
            if isinstance(child, nn.MaxPool2d):
                setattr(model, name, nn.AvgPool2d(child.kernel_size, stride=child.stride))
    return model


def touched(model: nn.Sequential, x: np.ndarray, stage: str, row: int, col: int) -> np.ndarray:
    """(H, W) bool: input pixels whose gradient of cell (row, col) of `stage` is not zero."""
    inp = torch.from_numpy(x[None]).requires_grad_(True)
    out = inp
    if stage != "input":
        for name, child in model.named_children():
            out = child(out)
            if name == stage:
                break
    out[0, :, row, col].sum().backward()
    return (inp.grad[0].abs() > 0).any(dim=0).numpy()


def box(mask: np.ndarray) -> Field:
    """The bounding box of the True pixels (Field(0, 0, 0, 0) when there are none)."""
    rows, cols = np.nonzero(mask)
    if not rows.size:
        return Field(0, 0, 0, 0)
    return Field(int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1)


def some_cells(rng: np.random.Generator, H: int, W: int) -> list[tuple[int, int]]:
    """The corners, the centre and a few random cells: edges are where padding clips."""
    cells = {(0, 0), (H - 1, W - 1), (0, W - 1), (H - 1, 0), (H // 2, W // 2)}
    cells |= {(int(rng.integers(0, H)), int(rng.integers(0, W))) for _ in range(3)}
    return sorted(cells)


SPECS = list(range(12))


@pytest.mark.parametrize("seed", SPECS)
def test_the_field_is_the_bounding_box_of_the_pixels_with_a_gradient(seed):
    rng = np.random.default_rng(seed)
    spec = random_spec(rng)
    model = positive_twin(spec, rng, avg_only=True)
    x = rng.uniform(0.1, 1.0, size=(spec.in_channels, spec.input_size, spec.input_size))
    for stage, H, W in spatial_stages(spec):
        for row, col in some_cells(rng, H, W):
            expected = box(touched(model, x, stage, row, col))
            assert receptive_field(spec, stage, row, col) == expected, (spec, stage, row, col)


def signed_draw(spec: CNNSpec, rng: np.random.Generator) -> nn.Sequential:
    """The network in float64 with fresh weights and biases of either sign."""
    model = build_cnn(spec, seed=0).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.normal(size=tuple(p.shape))))
    return model


@pytest.mark.parametrize("seed", SPECS[:6])
def test_with_max_pooling_and_relu_the_pixels_reached_over_many_draws_fill_the_field(seed):
    # One draw may leave pixels out: max pooling passes gradient to one cell of its window and
    # ReLU none through a negative sum. Over enough draws of weights and pictures every cell
    # wins once and every sum is positive once, so the union fills the field, and never more.
    rng = np.random.default_rng(100 + seed)
    spec = random_spec(rng)
    shape = (spec.in_channels, spec.input_size, spec.input_size)
    models = [signed_draw(spec, rng) for _ in range(6)]
    for stage, H, W in spatial_stages(spec):
        for row, col in some_cells(rng, H, W):
            union = np.zeros(shape[1:], dtype=bool)
            for k in range(48):
                union |= touched(models[k % 6], rng.normal(size=shape), stage, row, col)
            assert box(union) == receptive_field(spec, stage, row, col), (spec, stage, row, col)


def test_the_first_pixel_reached_need_not_come_from_the_first_cell():
    # Kernel 4 with dilation 2 and padding 1 on 9 pixels, then 2×2 average pooling. Pooled cell
    # 0 covers conv cells 0 and 1: cell 0 taps -1 (padding), 1, 3, 5 and cell 1 taps 0, 2, 4, 6.
    # Pixel 0 comes from cell 1, so following only the first cell's first tap would miss it.
    spec = CNNSpec(
        input_size=9,
        conv_blocks=(ConvBlock(2, kernel_size=4, dilation=2, padding=1, pool="avg"),),
        dense=(3,),
    )
    assert receptive_field(spec, "conv1", 0, 0) == Field(1, 1, 6, 6)
    assert receptive_field(spec, "avgpool1", 0, 0) == Field(0, 0, 7, 7)
    rng = np.random.default_rng(0)
    model = positive_twin(spec, rng, avg_only=True)
    x = rng.uniform(0.1, 1.0, size=(1, 9, 9))
    assert box(touched(model, x, "conv1", 0, 0)) == Field(1, 1, 6, 6)
    assert box(touched(model, x, "avgpool1", 0, 0)) == Field(0, 0, 7, 7)


def test_a_dilated_kernel_sees_a_span_wider_than_its_taps():
    spec = CNNSpec(
        input_size=12,
        conv_blocks=(ConvBlock(1, kernel_size=3, dilation=3, padding=0, pool=None),),
        dense=(3,),
    )
    assert receptive_field(spec, "conv1", 2, 5) == Field(2, 5, 9, 12)


def test_a_cell_made_only_of_padding_sees_no_pixel():
    spec = CNNSpec(
        input_size=6, conv_blocks=(ConvBlock(2, kernel_size=1, padding=1, pool=None),), dense=(3,)
    )
    field = receptive_field(spec, "conv1", 0, 3)
    assert field == Field(0, 0, 0, 0) and field.empty
    model = positive_twin(spec, np.random.default_rng(0), avg_only=True)
    assert not touched(model, np.ones((1, 6, 6)), "conv1", 0, 3).any()
    assert receptive_field(spec, "conv1", 1, 3) == Field(0, 2, 1, 3)


def test_reachable_walks_back_one_window_at_a_time():
    spec = CNNSpec()  # 3×3 convolutions with padding 1, then 2×2 max pooling, twice
    windows = stage_windows(spec)
    assert reachable(windows["conv1"], 0).tolist() == [0, 1]
    assert reachable(windows["maxpool1"], 3).tolist() == [5, 6, 7, 8]
    assert reachable(windows["maxpool2"], 3).tolist() == list(range(9, 19))


def test_field_sizes_are_the_largest_field_of_every_spatial_stage():
    spec = CNNSpec()
    assert field_sizes(spec) == [
        ("input", 1, 1),
        ("conv1", 3, 3),
        ("relu1", 3, 3),
        ("maxpool1", 4, 4),
        ("conv2", 8, 8),
        ("relu2", 8, 8),
        ("maxpool2", 10, 10),
    ]
    for seed in range(8):
        spec = random_spec(np.random.default_rng(seed))
        sizes = field_sizes(spec)
        assert [s[0] for s in sizes] == [s[0] for s in spatial_stages(spec)]
        for (stage, H, W), (_, height, width) in zip(spatial_stages(spec), sizes, strict=True):
            fields = [receptive_field(spec, stage, r, c) for r in range(H) for c in range(W)]
            assert height == max(f.height for f in fields)
            assert width == max(f.width for f in fields)


def test_the_top_level_name_is_the_same_function():
    assert kept_name is receptive_field


@pytest.mark.parametrize("stage", ["flatten", "dense1", "logits", "probs", "conv9", ""])
def test_a_stage_without_a_map_is_refused_with_the_stages_that_have_one(stage):
    with pytest.raises(ValueError, match=r"choose one of input, conv1, relu1, maxpool1, conv2"):
        receptive_field(CNNSpec(), stage, 0, 0)


@pytest.mark.parametrize(("row", "col"), [(14, 0), (0, 14), (-1, 3), (3, -1)])
def test_a_cell_outside_the_map_is_refused_with_the_map_s_size(row, col):
    with pytest.raises(ValueError, match=r"outside maxpool1's 14×14 map: rows go from 0 to 13"):
        receptive_field(CNNSpec(), "maxpool1", row, col)


def outline(fig) -> Field | None:
    """The field the figure outlines (cells r0..r1 span y = r0 - 0.5 .. r1 + 0.5)."""
    shapes = [s for s in fig.layout.shapes if s.name == FIELD_SHAPE]
    if not shapes:
        return None
    (s,) = shapes
    return Field(round(s.y0 + 0.5), round(s.x0 + 0.5), round(s.y1 + 0.5), round(s.x1 + 0.5))


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_the_picture_is_drawn_whole_with_the_field_outlined(channels):
    x = np.random.default_rng(channels).uniform(size=(channels, 9, 9))
    fig = field_on_picture(x, Field(2, 3, 7, 9))
    assert outline(fig) == Field(2, 3, 7, 9)
    trace = fig.data[0]
    if channels == 3:
        assert trace.type == "image" and np.asarray(trace.z).shape == (9, 9, 3)
    else:  # one channel as it is, any other count as the mean of its channels
        np.testing.assert_allclose(np.asarray(trace.z), x.mean(axis=0))
    assert outline(field_on_picture(x, Field(0, 0, 0, 0))) is None


def test_the_growth_sentences_carry_the_live_field_sizes():
    from cnnexplain.texts import forward as text
    from cnnexplain.ui.forward.receptive import growth_lines

    spec = CNNSpec()
    assert growth_lines(spec) == [
        text.RECEPTIVE_FIRST.format(stage="conv1", height=3, width=3),
        text.RECEPTIVE_AFTER_POOL.format(stage="conv2", height=8, width=8),
        text.RECEPTIVE_LAST.format(stage="maxpool2", height=10, width=10, size=28),
    ]
    unpooled = CNNSpec(
        conv_blocks=(ConvBlock(4, kernel_size=5, padding=2, pool=None), ConvBlock(4)), dense=(8,)
    )
    assert growth_lines(unpooled)[1] == text.RECEPTIVE_AFTER_CONV.format(
        stage="conv2", height=7, width=7
    )
    single = CNNSpec(conv_blocks=(ConvBlock(4, activation="none", pool=None),), dense=(8,))
    assert growth_lines(single) == [
        text.RECEPTIVE_FIRST.format(stage="conv1", height=3, width=3),
        text.RECEPTIVE_LAST.format(stage="conv1", height=3, width=3, size=28),
        text.RECEPTIVE_ONE_BLOCK,
    ]
