"""The convolution lab: presets do what their names say, results match torch and ops."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnexplain.core import ops
from cnnexplain.core.kernels import (
    MAX_TOY_SIZE,
    MIN_TOY_SIZE,
    PRESET_DESCRIPTIONS,
    PRESETS,
    TOY_GRIDS,
    LabResult,
    lab_convolve,
    lab_window,
    padded_picture,
    size_formula,
    toy_grid,
)

NAMES = [
    "identity",
    "edge (Laplacian)",
    "blur (box)",
    "gaussian blur",
    "sharpen",
    "Sobel x",
    "Sobel y",
    "emboss",
]


def torch_conv(image, kernel, stride=1, padding=0, dilation=1) -> np.ndarray:
    x = torch.from_numpy(np.array(image, dtype=np.float64))[None, None]
    w = torch.from_numpy(np.array(kernel, dtype=np.float64))[None, None]
    return F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation)[0, 0].numpy()


# --------------------------------------------------------------------------------------------
# Presets
# --------------------------------------------------------------------------------------------


def test_presets_are_named_read_only_3x3_float_kernels_with_descriptions():
    assert list(PRESETS) == NAMES
    assert list(PRESET_DESCRIPTIONS) == NAMES
    for name, kernel in PRESETS.items():
        assert kernel.shape == (3, 3), name
        assert kernel.dtype == np.float64, name
        assert not kernel.flags.writeable, name
        assert len(PRESET_DESCRIPTIONS[name]) > 20, name
    with pytest.raises(ValueError, match="read-only"):
        PRESETS["identity"][1, 1] = 2.0


@pytest.mark.parametrize(
    ("name", "total"),
    [
        ("identity", 1),
        ("edge (Laplacian)", 0),
        ("blur (box)", 1),
        ("gaussian blur", 1),
        ("sharpen", 1),
        ("Sobel x", 0),
        ("Sobel y", 0),
        ("emboss", 1),
    ],
)
def test_weights_sum_to_what_keeps_flat_areas_flat(name, total):
    kernel = PRESETS[name]
    assert kernel.sum() == pytest.approx(total, abs=1e-15)
    # A flat image of 0.5 comes out as 0.5 * sum of weights everywhere the kernel fits.
    out = lab_convolve(np.full((6, 7), 0.5), kernel).output
    np.testing.assert_allclose(out, np.full((4, 5), 0.5 * total), rtol=0, atol=1e-15)


def test_blurs_are_averages():
    np.testing.assert_array_equal(PRESETS["blur (box)"], np.full((3, 3), 1 / 9))
    gaussian = PRESETS["gaussian blur"]
    np.testing.assert_array_equal(gaussian * 16, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    assert (gaussian > 0).all()
    # One bright pixel is spread over its neighbourhood with the kernel's weights.
    dot = np.zeros((5, 5))
    dot[2, 2] = 1.0
    np.testing.assert_allclose(lab_convolve(dot, gaussian).output, gaussian, rtol=0, atol=1e-16)


@pytest.mark.parametrize("kind", TOY_GRIDS)
def test_identity_returns_the_input_interior(kind):
    image = toy_grid(kind, 9) * 3 - 1
    np.testing.assert_array_equal(
        lab_convolve(image, PRESETS["identity"]).output, image[1:-1, 1:-1]
    )
    np.testing.assert_array_equal(lab_convolve(image, PRESETS["identity"], padding=1).output, image)


def test_sobel_x_answers_a_vertical_line_with_opposite_signs_either_side():
    image = np.zeros((6, 7))
    image[:, 3] = 1.0  # a bright vertical line in column 3
    out = lab_convolve(image, PRESETS["Sobel x"]).output  # (4, 5): out[:, j] centres column j+1
    np.testing.assert_array_equal(out[:, 1], np.full(4, 4.0))  # left of the line: brighter right
    np.testing.assert_array_equal(out[:, 3], np.full(4, -4.0))  # right of it: darker right
    np.testing.assert_array_equal(out[:, [0, 2, 4]], np.zeros((4, 3)))  # on it and far: flat
    # Sobel y does not see a vertical line at all.
    np.testing.assert_array_equal(lab_convolve(image, PRESETS["Sobel y"]).output, np.zeros((4, 5)))


def test_sobel_x_on_the_square_marks_its_left_and_right_sides():
    out = lab_convolve(toy_grid("square", 8), PRESETS["Sobel x"], padding=1).output  # (8, 8)
    middle = out[3:5]  # rows through the square, away from its corners
    np.testing.assert_array_equal(middle[:, [1, 2]], np.full((2, 2), 4.0))  # left side
    np.testing.assert_array_equal(middle[:, [5, 6]], np.full((2, 2), -4.0))  # right side
    np.testing.assert_array_equal(middle[:, [0, 3, 4, 7]], np.zeros((2, 4)))  # flat


def test_sobel_y_is_sobel_x_turned_and_finds_horizontal_edges():
    np.testing.assert_array_equal(PRESETS["Sobel y"], PRESETS["Sobel x"].T)
    image = np.zeros((7, 6))
    image[3, :] = 1.0  # a bright horizontal line in row 3
    out = lab_convolve(image, PRESETS["Sobel y"]).output  # (5, 4)
    np.testing.assert_array_equal(out[1], np.full(4, 4.0))  # above the line: brighter below
    np.testing.assert_array_equal(out[3], np.full(4, -4.0))  # below it
    np.testing.assert_array_equal(out[[0, 2, 4]], np.zeros((3, 4)))


def test_edge_and_sharpen_light_up_only_where_pixels_differ():
    square = toy_grid("square", 8)
    edge = lab_convolve(square, PRESETS["edge (Laplacian)"], padding=1).output
    # Inside the square's flat middle and far outside it: nothing.
    np.testing.assert_array_equal(edge[3:5, 3:5], np.zeros((2, 2)))
    assert edge[0, 0] == 0
    assert edge[2, 2] == 2  # a corner pixel has two dark neighbours
    assert edge[3, 2] == 1  # a side pixel has one
    assert edge[3, 1] == -1  # the dark pixel beside it has one bright neighbour
    sharpen = lab_convolve(square, PRESETS["sharpen"], padding=1).output
    np.testing.assert_array_equal(sharpen, square + edge)


def test_emboss_is_bright_on_one_diagonal_side_and_dark_on_the_other():
    out = lab_convolve(toy_grid("square", 8), PRESETS["emboss"], padding=1).output
    # The square covers rows and columns 2..5. Weights: -2 -1 0 / -1 1 1 / 0 1 2.
    assert out[2, 2] == 5.0  # its top-left pixel: itself, right, below and below-right lit
    assert out[1, 1] == 2.0  # just outside that corner: only the below-right tap is lit
    assert out[5, 5] == -3.0  # its bottom-right pixel: itself and the three taps above-left
    assert out[6, 6] == -2.0  # just outside that corner: only the above-left tap is lit
    np.testing.assert_array_equal(out[3:5, 3:5], np.ones((2, 2)))  # flat inside: the sum, 1


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("stride", "padding", "dilation"), [(1, 0, 1), (1, 1, 1), (2, 1, 1), (1, 2, 2), (3, 0, 2)]
)
def test_every_preset_matches_torch(name, stride, padding, dilation):
    image = np.random.default_rng(0).normal(size=(9, 11))
    result = lab_convolve(image, PRESETS[name], stride, padding, dilation)
    expected = torch_conv(image, PRESETS[name], stride, padding, dilation)
    assert result.output.shape == expected.shape
    np.testing.assert_allclose(result.output, expected, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------------------------
# Toy grids
# --------------------------------------------------------------------------------------------


def test_toy_grids_at_size_8():
    rows = {
        "square": ["00000000"] * 2 + ["00111100"] * 4 + ["00000000"] * 2,
        "cross": ["00011000"] * 3 + ["11111111"] * 2 + ["00011000"] * 3,
        "diagonal": ["".join("1" if c == r else "0" for c in range(8)) for r in range(8)],
        "checker": ["00110011", "00110011", "11001100", "11001100"] * 2,
    }
    for kind in TOY_GRIDS:
        grid = toy_grid(kind, 8)
        assert grid.dtype == np.float64 and grid.shape == (8, 8)
        assert ["".join(str(int(v)) for v in row) for row in grid] == rows[kind], kind


def test_toy_grids_at_an_odd_size_and_the_default():
    np.testing.assert_array_equal(toy_grid(), toy_grid("square", 8))
    cross = toy_grid("cross", 7)
    assert cross[3].tolist() == [1.0] * 7 and cross[:, 3].tolist() == [1.0] * 7
    assert cross.sum() == 13  # one row and one column, one pixel shared
    square = toy_grid("square", 9)
    assert square[2:7, 2:7].all() and square.sum() == 25
    assert toy_grid("diagonal", MAX_TOY_SIZE).trace() == MAX_TOY_SIZE
    assert toy_grid("checker", MIN_TOY_SIZE).sum() == 8


@pytest.mark.parametrize(
    ("kind", "size", "message"),
    [
        ("circle", 8, "Unknown grid 'circle': choose one of square, cross, diagonal, checker."),
        ("square", 3, "The grid size must be a whole number from 4 to 64, got 3."),
        ("square", 65, "The grid size must be a whole number from 4 to 64, got 65."),
        ("square", 8.0, "The grid size must be a whole number from 4 to 64, got 8.0."),
        ("square", True, "The grid size must be a whole number from 4 to 64, got True."),
    ],
)
def test_bad_toy_grids_are_refused(kind, size, message):
    with pytest.raises(ValueError) as err:
        toy_grid(kind, size)
    assert str(err.value) == message


# --------------------------------------------------------------------------------------------
# Sizes and the formula
# --------------------------------------------------------------------------------------------


def test_the_formula_with_numbers_filled_in():
    result = lab_convolve(np.zeros((28, 20)), np.ones((3, 5)), stride=2, padding=1, dilation=2)
    assert isinstance(result, LabResult)
    assert result.rows.formula == "(28 + 2·1 − 2·(3 − 1) − 1) // 2 + 1 = 13"
    assert result.cols.formula == "(20 + 2·1 − 2·(5 − 1) − 1) // 2 + 1 = 7"
    assert (result.rows.result, result.cols.result) == result.output.shape == (13, 7)
    assert (result.rows.size, result.rows.kernel, result.cols.size, result.cols.kernel) == (
        28,
        3,
        20,
        5,
    )
    assert (result.rows.stride, result.rows.padding, result.rows.dilation) == (2, 1, 2)
    assert (result.stride, result.padding, result.dilation) == (2, 1, 2)


def test_the_plain_case_formula():
    assert size_formula(8, 3, 1, 0, 1).formula == "(8 + 2·0 − 1·(3 − 1) − 1) // 1 + 1 = 6"


@settings(max_examples=60, deadline=None)
@given(
    H=st.integers(1, 12),
    W=st.integers(1, 12),
    KH=st.integers(1, 5),
    KW=st.integers(1, 5),
    stride=st.integers(1, 4),
    padding=st.integers(0, 3),
    dilation=st.integers(1, 3),
)
def test_sizes_follow_ops_and_torch(H, W, KH, KW, stride, padding, dilation):
    Ho = ops.conv2d_output_size(H, KH, stride, padding, dilation)
    Wo = ops.conv2d_output_size(W, KW, stride, padding, dilation)
    image = np.arange(H * W, dtype=np.float64).reshape(H, W)
    kernel = np.arange(1, KH * KW + 1, dtype=np.float64).reshape(KH, KW)
    if Ho < 1 or Wo < 1:
        with pytest.raises(ValueError, match=r"^conv2d: output size would be "):
            lab_convolve(image, kernel, stride, padding, dilation)
        return
    result = lab_convolve(image, kernel, stride, padding, dilation)
    assert result.output.shape == (Ho, Wo) == (result.rows.result, result.cols.result)
    assert result.rows.formula.endswith(f" = {Ho}")
    assert result.cols.formula.endswith(f" = {Wo}")
    assert result.padded.shape == (H + 2 * padding, W + 2 * padding)
    np.testing.assert_array_equal(
        result.padded[padding : padding + H, padding : padding + W], image
    )
    expected = torch_conv(image, kernel, stride, padding, dilation)
    np.testing.assert_allclose(result.output, expected, rtol=1e-12, atol=1e-9)


def test_an_empty_output_is_refused_with_the_ops_message():
    with pytest.raises(ValueError) as err:
        lab_convolve(np.zeros((4, 4)), PRESETS["blur (box)"], dilation=3)
    assert str(err.value) == (
        "conv2d: output size would be -2x-2: a 3x3 kernel with dilation 3 spans 7x7 pixels, "
        "more than the 4x4 input plus padding 0 on each side; use a smaller kernel or more "
        "padding"
    )
    with pytest.raises(ValueError, match=r"^The stride must be a whole number from 1 to 8, got 0"):
        lab_convolve(np.zeros((4, 4)), PRESETS["blur (box)"], stride=0)


@pytest.mark.parametrize("padding", [0, 1, 3])
def test_the_padded_picture_is_torch_s_zero_padding(padding):
    image = toy_grid("diagonal", 5)[:, :4] * 0.5 + 0.25  # (5, 4), no zeros of its own
    expected = F.pad(torch.from_numpy(image), (padding,) * 4).numpy()
    padded = padded_picture(image, padding)
    assert padded.dtype == np.float64
    np.testing.assert_array_equal(padded, expected)
    # The convolution's own picture is the same, and an empty output still has one to show.
    np.testing.assert_array_equal(
        lab_convolve(image, PRESETS["sharpen"], padding=padding).padded, expected
    )
    with pytest.raises(ValueError, match="output size would be"):
        lab_convolve(image, np.ones((11, 11)), padding=padding)
    with pytest.raises(ValueError, match=r"^The padding must be a whole number from 0 to 8, got 9"):
        padded_picture(image, 9)


@pytest.mark.parametrize(
    ("image", "kernel", "message"),
    [
        (np.zeros((1, 5, 5)), np.ones((3, 3)), r"image must be a non-empty 2-D array \(H, W\)"),
        (np.zeros((5, 5)), np.ones(3), r"kernel must be a non-empty 2-D array \(KH, KW\)"),
        (np.zeros((0, 5)), np.ones((3, 3)), "image must be a non-empty"),
        (np.full((5, 5), np.inf), np.ones((3, 3)), "image contains NaN or infinite"),
    ],
)
def test_arrays_that_are_not_one_channel_are_refused(image, kernel, message):
    with pytest.raises(ValueError, match=message):
        lab_convolve(image, kernel)
    with pytest.raises(ValueError, match=message):
        lab_window(image, kernel, 0, 0)


def test_inputs_are_copied_not_changed():
    image = toy_grid("cross", 6).astype(np.float32)
    image.setflags(write=False)
    kernel = np.array(PRESETS["sharpen"])
    result = lab_convolve(image, kernel, padding=1)
    assert result.image.dtype == result.output.dtype == np.float64
    assert not np.shares_memory(result.image, image)
    assert not np.shares_memory(result.kernel, kernel)
    np.testing.assert_array_equal(result.image, image)
    np.testing.assert_array_equal(result.kernel, kernel)


# --------------------------------------------------------------------------------------------
# One window
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stride", "padding", "dilation"), [(1, 1, 1), (2, 1, 1), (1, 2, 2)])
def test_every_window_explains_its_output_number(stride, padding, dilation):
    image = np.random.default_rng(1).normal(size=(7, 8))
    kernel = PRESETS["emboss"]
    output = lab_convolve(image, kernel, stride, padding, dilation).output
    for i, j in np.ndindex(output.shape):
        window = lab_window(image, kernel, i, j, stride, padding, dilation)
        # The window adds its products one by one, the convolution as one matrix product: the
        # two sums may round differently in the last bit, depending on the machine's BLAS.
        assert window.result == pytest.approx(output[i, j], rel=1e-12, abs=1e-15)
        assert window.bias == 0.0
        assert window.window.shape == window.kernel.shape == (1, 3, 3)
        np.testing.assert_array_equal(window.kernel[0], kernel)
        np.testing.assert_array_equal(window.products, window.window * window.kernel)
        np.testing.assert_array_equal(window.rows, i * stride - padding + dilation * np.arange(3))
        np.testing.assert_array_equal(window.cols, j * stride - padding + dilation * np.arange(3))
        for (a, b), inside in np.ndenumerate(window.inside):
            r, c = window.rows[a], window.cols[b]
            assert window.window[0, a, b] == (image[r, c] if inside else 0.0)


def test_a_window_outside_the_output_is_refused():
    image = toy_grid("square", 8)
    with pytest.raises(ValueError, match=r"^output row i must be in 0\.\.5, got 6$"):
        lab_window(image, PRESETS["identity"], 6, 0)
    with pytest.raises(ValueError, match=r"^output column j must be in 0\.\.7, got -1$"):
        lab_window(image, PRESETS["identity"], 0, -1, padding=1)
    with pytest.raises(ValueError, match=r"^conv2d: output size would be"):
        lab_window(image, PRESETS["identity"], 0, 0, dilation=5)
