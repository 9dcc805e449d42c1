"""core.ops against PyTorch (the reference) and central differences (a second witness)."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnexplain.core import ops

TOL = 1e-9  # float64 agreement with PyTorch
FAST = settings(max_examples=40, deadline=None)


def numeric_gradient(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray, h: float = 1e-6
) -> np.ndarray:
    """Central-difference estimate of d sum(f(x) * dout) / dx, one entry of x at a time."""
    x = x.astype(np.float64)  # a private copy to nudge
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = np.sum(f(x) * dout)
        x[idx] = old - h
        minus = np.sum(f(x) * dout)
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def rng_for(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def torch_grads(
    fn: Callable[..., torch.Tensor], arrays: list[np.ndarray], dout: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray]]:
    """PyTorch's output of fn(*arrays) and the gradients of sum(out * dout) for every array."""
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    grads = torch.autograd.grad(out, tensors, torch.tensor(dout))
    return out.detach().numpy(), [g.numpy() for g in grads]


def max_err(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a - b))) if a.size else 0.0


# --------------------------------------------------------------------------------------------
# Convolution
# --------------------------------------------------------------------------------------------


@st.composite
def conv_cases(draw: st.DrawFn) -> dict:
    """Random convolution settings whose output is at least 1x1, down to exactly 1x1."""
    KH, KW = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dilation = draw(st.integers(1, 2))
    padding = draw(st.integers(0, 2))
    stride = draw(st.integers(1, 3))
    # The smallest input that still fits the (dilated) kernel, plus a random margin.
    H = max(1, dilation * (KH - 1) + 1 - 2 * padding) + draw(st.integers(0, 4))
    W = max(1, dilation * (KW - 1) + 1 - 2 * padding) + draw(st.integers(0, 4))
    return dict(
        N=draw(st.integers(1, 2)),
        C=draw(st.integers(1, 3)),
        F=draw(st.integers(1, 3)),
        H=H,
        W=W,
        KH=KH,
        KW=KW,
        stride=stride,
        padding=padding,
        dilation=dilation,
        seed=draw(st.integers(0, 2**16)),
    )


def conv_arrays(case: dict, dtype: type = np.float64) -> tuple[np.ndarray, ...]:
    rng = rng_for(case["seed"])
    x = rng.standard_normal((case["N"], case["C"], case["H"], case["W"])).astype(dtype)
    w = rng.standard_normal((case["F"], case["C"], case["KH"], case["KW"])).astype(dtype)
    b = rng.standard_normal(case["F"]).astype(dtype)
    return x, w, b


def conv_params(case: dict) -> dict:
    return {k: case[k] for k in ("stride", "padding", "dilation")}


def assert_conv_matches_torch(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, params: dict, rng: np.random.Generator
) -> np.ndarray:
    """conv2d_forward and conv2d_backward (of an upstream gradient drawn from rng) against
    torch's conv2d and autograd; returns the output."""
    out, cache = ops.conv2d_forward(x, w, b, **params)
    dout = rng.standard_normal(out.shape)
    grads = ops.conv2d_backward(dout, cache)
    ref_out, ref_grads = torch_grads(lambda x, w, b: F.conv2d(x, w, b, **params), [x, w, b], dout)
    assert max_err(out, ref_out) < TOL
    for name, ours, ref in zip(("dx", "dw", "db"), grads, ref_grads, strict=True):
        assert max_err(ours, ref) < TOL, name
    return out


@FAST
@given(conv_cases())
def test_conv2d_matches_torch(case: dict) -> None:
    x, w, b = conv_arrays(case)
    assert_conv_matches_torch(x, w, b, conv_params(case), rng_for(case["seed"] + 1))


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "params", "out_hw"),
    [
        ((2, 3, 5, 5), (4, 3, 5, 5), dict(), (1, 1)),  # kernel as large as the input, padding 0
        ((1, 2, 4, 6), (3, 2, 4, 6), dict(stride=3), (1, 1)),  # 1x1 output despite a big stride
        ((1, 1, 3, 3), (1, 1, 5, 5), dict(padding=1), (1, 1)),  # kernel larger than the input
        ((2, 2, 6, 6), (2, 2, 1, 1), dict(stride=2), (3, 3)),  # 1x1 kernel skips pixels
        ((1, 2, 7, 7), (2, 2, 3, 3), dict(dilation=3), (1, 1)),  # dilated kernel spans 7x7
        ((1, 1, 4, 4), (1, 1, 3, 3), dict(stride=5, padding=2), (2, 2)),  # stride > kernel
    ],
)
def test_conv2d_edge_cases_match_torch(
    x_shape: tuple, w_shape: tuple, params: dict, out_hw: tuple
) -> None:
    rng = rng_for(7)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    out = assert_conv_matches_torch(x, w, b, params, rng)
    assert out.shape == (x_shape[0], w_shape[0], *out_hw)


@pytest.mark.parametrize("params", [dict(), dict(stride=2, padding=1), dict(padding=2, dilation=2)])
def test_conv2d_backward_matches_central_differences(params: dict) -> None:
    rng = rng_for(3)
    x, w = rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((3, 2, 3, 2))
    b = rng.standard_normal(3)
    out, cache = ops.conv2d_forward(x, w, b, **params)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = ops.conv2d_backward(dout, cache)

    num_dx = numeric_gradient(lambda v: ops.conv2d_forward(v, w, b, **params)[0], x, dout)
    num_dw = numeric_gradient(lambda v: ops.conv2d_forward(x, v, b, **params)[0], w, dout)
    num_db = numeric_gradient(lambda v: ops.conv2d_forward(x, w, v, **params)[0], b, dout)
    assert max_err(dx, num_dx) < 1e-7
    assert max_err(dw, num_dw) < 1e-7
    assert max_err(db, num_db) < 1e-7


def test_conv2d_output_size_formula() -> None:
    # (H + 2*padding - dilation*(KH - 1) - 1) // stride + 1 with H=28, KH=5.
    assert ops.conv2d_output_size(28, 5, stride=1, padding=0, dilation=1) == 24
    assert ops.conv2d_output_size(28, 5, stride=2, padding=2, dilation=1) == 14
    assert ops.conv2d_output_size(28, 3, stride=1, padding=0, dilation=2) == 24
    x = np.zeros((1, 1, 28, 28))
    out, _ = ops.conv2d_forward(x, np.zeros((1, 1, 5, 5)), np.zeros(1), stride=2, padding=2)
    assert out.shape == (1, 1, 14, 14)


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "b_shape", "params", "message"),
    [
        ((1, 3, 8, 8), (2, 1, 3, 3), (2,), dict(), "x has 3 channels but w expects 1"),
        ((1, 1, 4, 4), (2, 1, 5, 5), (2,), dict(), "output size would be 0x0"),
        ((1, 1, 4, 9), (2, 1, 3, 3), (2,), dict(dilation=2), "output size would be 0x5"),
        ((1, 1, 8, 8), (2, 1, 3, 3), (3,), dict(), r"b must have shape \(2,\)"),
        ((1, 1, 8, 8), (2, 1, 3, 3), (2,), dict(stride=0), "need stride >= 1"),
        ((1, 8, 8), (2, 1, 3, 3), (2,), dict(), r"x must have shape \(N, C, H, W\)"),
    ],
)
def test_conv2d_rejects_impossible_shapes(
    x_shape: tuple, w_shape: tuple, b_shape: tuple, params: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ops.conv2d_forward(np.zeros(x_shape), np.zeros(w_shape), np.zeros(b_shape), **params)


@FAST
@given(conv_cases(), st.data())
def test_conv2d_window_equals_forward_output(case: dict, data: st.DataObject) -> None:
    x, w, b = conv_arrays(case)
    params = conv_params(case)
    out, _ = ops.conv2d_forward(x, w, b, **params)
    n = data.draw(st.integers(0, case["N"] - 1))
    f = data.draw(st.integers(0, case["F"] - 1))
    i = data.draw(st.integers(0, out.shape[2] - 1))
    j = data.draw(st.integers(0, out.shape[3] - 1))

    win = ops.conv2d_window(x[n], w, b, f, i, j, **params)

    assert abs(win.result - out[n, f, i, j]) < TOL
    assert win.window.shape == win.kernel.shape == win.products.shape == w.shape[1:]
    np.testing.assert_array_equal(win.kernel, w[f])
    np.testing.assert_array_equal(win.products, win.window * win.kernel)
    assert win.total == pytest.approx(win.products.sum(), abs=TOL)
    assert win.bias == b[f]
    # Taps inside the image read the pixel at (rows, cols); padding taps read 0.
    H, W = x.shape[2:]
    for ki, r in enumerate(win.rows):
        for kj, c in enumerate(win.cols):
            inside = 0 <= r < H and 0 <= c < W
            assert win.inside[ki, kj] == inside
            expected = x[n, :, r, c] if inside else np.zeros(x.shape[1])
            np.testing.assert_array_equal(win.window[:, ki, kj], expected)


def test_conv2d_window_reports_padding_coordinates() -> None:
    x = np.arange(16.0).reshape(1, 4, 4)
    w = np.ones((1, 1, 3, 3))
    win = ops.conv2d_window(x, w, np.zeros(1), 0, 0, 0, padding=1)
    np.testing.assert_array_equal(win.rows, [-1, 0, 1])
    np.testing.assert_array_equal(win.cols, [-1, 0, 1])
    np.testing.assert_array_equal(win.inside[0], [False, False, False])
    np.testing.assert_array_equal(win.window[0], [[0, 0, 0], [0, 0, 1], [0, 4, 5]])
    assert win.result == 0 + 1 + 4 + 5


@FAST
@given(conv_cases(), st.data())
def test_conv2d_window_channel_sums_are_each_channel_convolved_alone(
    case: dict, data: st.DataObject
) -> None:
    x, w, b = conv_arrays(case)
    params = conv_params(case)
    # Channel c's share of out[f, i, j]: torch's convolution of channel c alone, without bias.
    alone = np.stack(
        [
            F.conv2d(
                torch.tensor(x[:1, c : c + 1]), torch.tensor(w[:, c : c + 1]), **params
            ).numpy()[0]
            for c in range(case["C"])
        ]
    )  # (C, F, H', W')
    f = data.draw(st.integers(0, case["F"] - 1))
    i = data.draw(st.integers(0, alone.shape[2] - 1))
    j = data.draw(st.integers(0, alone.shape[3] - 1))

    win = ops.conv2d_window(x[0], w, b, f, i, j, **params)

    assert win.channel_sums.shape == (case["C"],)
    assert max_err(win.channel_sums, alone[:, f, i, j]) < TOL
    assert win.channel_sums.sum() == pytest.approx(win.total, abs=TOL)


@pytest.mark.parametrize(
    ("f", "i", "j", "message"), [(1, 0, 0, "filter f"), (0, 2, 0, "row i"), (0, 0, -1, "column j")]
)
def test_conv2d_window_rejects_positions_outside_the_output(
    f: int, i: int, j: int, message: str
) -> None:
    x, w, b = np.zeros((1, 3, 3)), np.zeros((1, 1, 2, 2)), np.zeros(1)
    with pytest.raises(ValueError, match=message):
        ops.conv2d_window(x, w, b, f, i, j)


@FAST
@given(conv_cases(), st.data())
def test_conv2d_input_gradient_terms_add_up_to_torch_s_dx(case: dict, data: st.DataObject) -> None:
    x, w, b = conv_arrays(case)
    params = conv_params(case)
    out, cache = ops.conv2d_forward(x, w, b, **params)
    dout = rng_for(case["seed"] + 1).standard_normal(out.shape)
    _, (torch_dx, _, _) = torch_grads(lambda x, w, b: F.conv2d(x, w, b, **params), [x, w, b], dout)
    n = data.draw(st.integers(0, case["N"] - 1))
    c = data.draw(st.integers(0, case["C"] - 1))
    for r in range(case["H"]):
        for s in range(case["W"]):
            terms = ops.conv2d_input_gradient_terms(dout, cache, n, c, r, s)
            assert terms.total == pytest.approx(torch_dx[n, c, r, s], abs=TOL)
            np.testing.assert_array_equal(terms.weights, w[:, c])
            np.testing.assert_array_equal(terms.products, terms.weights * terms.upstream)
            np.testing.assert_allclose(terms.kernel_sums, terms.products.sum(axis=(1, 2)))
            # The used taps' terms, each once, largest first.
            used = np.broadcast_to(terms.used, terms.products.shape).ravel()
            assert sorted(terms.order) == list(np.flatnonzero(used))
            assert (np.diff(np.abs(terms.products.ravel()[terms.order])) <= 0).all()
            # A used tap is one whose window, at that output position, reads pixel (r, s).
            for ki, i in enumerate(terms.rows):
                for kj, j in enumerate(terms.cols):
                    assert terms.used[ki, kj] == (i >= 0 and j >= 0)
                    if terms.used[ki, kj]:
                        win = ops.conv2d_window(x[n], w, b, 0, i, j, **params)
                        assert (win.rows[ki], win.cols[kj]) == (r, s)
                        np.testing.assert_array_equal(terms.upstream[:, ki, kj], dout[n, :, i, j])
                    else:
                        assert not terms.upstream[:, ki, kj].any()


def test_conv2d_input_gradient_is_a_full_convolution_with_the_flipped_kernel() -> None:
    # Stride 1: dx is the arriving gradient, bordered by kernel size - 1 - padding zeros,
    # cross-correlated with each kernel turned upside down and left to right.
    rng = rng_for(11)
    x, w, b = rng.standard_normal((1, 2, 6, 5)), rng.standard_normal((3, 2, 3, 3)), np.zeros(3)
    out, cache = ops.conv2d_forward(x, w, b, padding=1)
    dout = rng.standard_normal(out.shape)
    border = 3 - 1 - 1
    bordered = np.pad(dout[0], ((0, 0), (border, border), (border, border)))
    for c, r, s in [(0, 0, 0), (1, 2, 3), (1, 5, 4)]:
        terms = ops.conv2d_input_gradient_terms(dout, cache, 0, c, r, s)
        window = bordered[:, r : r + 3, s : s + 3]
        np.testing.assert_array_equal(terms.upstream[:, ::-1, ::-1], window)
        full = np.sum(window * w[:, c, ::-1, ::-1])
        assert terms.total == pytest.approx(full, abs=TOL)
        assert terms.total == pytest.approx(ops.conv2d_backward(dout, cache)[0][0, c, r, s])


@pytest.mark.parametrize(
    ("index", "message"),
    [
        ((1, 0, 0, 0), "image n"),
        ((0, 2, 0, 0), "channel c"),
        ((0, 0, 4, 0), "row r"),
        ((0, 0, 0, -1), "column s"),
    ],
)
def test_conv2d_input_gradient_terms_reject_cells_outside_the_input(
    index: tuple, message: str
) -> None:
    out, cache = ops.conv2d_forward(np.zeros((1, 2, 4, 4)), np.zeros((1, 2, 3, 3)), np.zeros(1))
    with pytest.raises(ValueError, match=message):
        ops.conv2d_input_gradient_terms(np.zeros(out.shape), cache, *index)


# --------------------------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------------------------

TORCH_ACTIVATIONS = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "none": lambda t: t * 1,
}


def test_activation_names() -> None:
    assert ops.ACTIVATIONS == ("relu", "tanh", "sigmoid", "none")
    assert set(TORCH_ACTIVATIONS) == set(ops.ACTIVATIONS)


@pytest.mark.parametrize("kind", ops.ACTIVATIONS)
def test_activation_matches_torch(kind: str) -> None:
    rng = rng_for(11)
    x = rng.standard_normal((2, 3, 4, 5)) * 3
    x[0, 0, 0, :3] = 0.0  # relu's kink: PyTorch's gradient there is 0
    out, cache = ops.activation_forward(x, kind)
    dout = rng.standard_normal(x.shape)
    dx = ops.activation_backward(dout, cache)
    ref_out, (ref_dx,) = torch_grads(TORCH_ACTIVATIONS[kind], [x], dout)
    assert max_err(out, ref_out) < TOL
    assert max_err(dx, ref_dx) < TOL


@pytest.mark.parametrize(
    ("forward", "backward", "reference"),
    [
        (ops.relu_forward, ops.relu_backward, torch.relu),
        (ops.tanh_forward, ops.tanh_backward, torch.tanh),
        (ops.sigmoid_forward, ops.sigmoid_backward, torch.sigmoid),
    ],
)
def test_activation_pairs_match_torch_and_central_differences(
    forward: Callable, backward: Callable, reference: Callable
) -> None:
    rng = rng_for(12)
    x = rng.standard_normal((3, 7)) * 2
    out, cache = forward(x)
    dout = rng.standard_normal(x.shape)
    dx = backward(dout, cache)
    ref_out, (ref_dx,) = torch_grads(reference, [x], dout)
    assert max_err(out, ref_out) < TOL
    assert max_err(dx, ref_dx) < TOL
    assert max_err(dx, numeric_gradient(lambda v: forward(v)[0], x, dout)) < 1e-7


def test_activation_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown activation 'gelu'; choose one of relu"):
        ops.activation_forward(np.zeros(3), "gelu")


def test_sigmoid_is_stable_at_extreme_logits() -> None:
    z = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        s = ops.sigmoid(z)
        s32 = ops.sigmoid(z.astype(np.float32))
    np.testing.assert_allclose(s, torch.sigmoid(torch.tensor(z)).numpy(), rtol=1e-12, atol=0)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5
    assert s32.dtype == np.float32


# --------------------------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------------------------

POOLS = {
    "max": (ops.maxpool2d_forward, ops.maxpool2d_backward, F.max_pool2d),
    "avg": (ops.avgpool2d_forward, ops.avgpool2d_backward, F.avg_pool2d),
}


@st.composite
def pool_cases(draw: st.DrawFn) -> dict:
    """Random pooling settings, with strides smaller than the window (overlap) included."""
    size = draw(st.integers(1, 3))
    return dict(
        N=draw(st.integers(1, 2)),
        C=draw(st.integers(1, 3)),
        H=size + draw(st.integers(0, 5)),
        W=size + draw(st.integers(0, 5)),
        size=size,
        stride=draw(st.integers(1, 3)),
        seed=draw(st.integers(0, 2**16)),
        ties=draw(st.booleans()),
    )


def pool_input(case: dict) -> np.ndarray:
    rng = rng_for(case["seed"])
    shape = (case["N"], case["C"], case["H"], case["W"])
    if case["ties"]:  # few distinct values: windows with several maxima
        return rng.integers(0, 3, shape).astype(np.float64)
    return rng.standard_normal(shape)


@pytest.mark.parametrize("mode", POOLS)
@FAST
@given(case=pool_cases())
def test_pool2d_matches_torch(mode: str, case: dict) -> None:
    forward, backward, reference = POOLS[mode]
    x = pool_input(case)
    size, stride = case["size"], case["stride"]
    out, cache = forward(x, size, stride)
    assert out.shape[2:] == ((case["H"] - size) // stride + 1, (case["W"] - size) // stride + 1)
    dout = rng_for(case["seed"] + 1).standard_normal(out.shape)
    dx = backward(dout, cache)
    ref_out, (ref_dx,) = torch_grads(lambda t: reference(t, size, stride), [x], dout)
    assert max_err(out, ref_out) < TOL
    assert max_err(dx, ref_dx) < TOL


@pytest.mark.parametrize("mode", POOLS)
@pytest.mark.parametrize(("size", "stride"), [(2, None), (3, 1), (2, 3)])
def test_pool2d_backward_matches_central_differences(
    mode: str, size: int, stride: int | None
) -> None:
    forward, backward, _ = POOLS[mode]
    rng = rng_for(5)
    x = rng.standard_normal((2, 2, 6, 7))  # continuous values: no ties to break
    out, cache = forward(x, size, stride)
    dout = rng.standard_normal(out.shape)
    num_dx = numeric_gradient(lambda v: forward(v, size, stride)[0], x, dout)
    assert max_err(backward(dout, cache), num_dx) < 1e-7


def test_maxpool2d_defaults_stride_to_size_and_routes_to_the_first_max() -> None:
    x = np.array([[[[1.0, 5.0, 5.0, 0.0], [5.0, 2.0, 3.0, 4.0]]]])  # (1, 1, 2, 4)
    out, cache = ops.maxpool2d_forward(x)
    np.testing.assert_array_equal(out, [[[[5.0, 5.0]]]])
    dx = ops.maxpool2d_backward(np.array([[[[10.0, 20.0]]]]), cache)
    np.testing.assert_array_equal(dx, [[[[0.0, 10.0, 20.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]])


@pytest.mark.parametrize(
    ("shape", "size", "stride", "message"),
    [
        ((1, 1, 3, 5), 4, None, "a 4x4 window does not fit in a 3x5 input"),
        ((1, 1, 4, 4), 0, None, "need size >= 1"),
        ((1, 1, 4, 4), 2, 0, "stride >= 1"),
        ((4, 4), 2, None, r"x must have shape \(N, C, H, W\)"),
    ],
)
@pytest.mark.parametrize("mode", POOLS)
def test_pool2d_rejects_impossible_shapes(
    mode: str, shape: tuple, size: int, stride: int | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        POOLS[mode][0](np.zeros(shape), size, stride)


@pytest.mark.parametrize("mode", POOLS)
@FAST
@given(case=pool_cases(), data=st.data())
def test_pool_window_equals_forward_output(mode: str, case: dict, data: st.DataObject) -> None:
    x = pool_input(case)
    size, stride = case["size"], case["stride"]
    out, _ = POOLS[mode][0](x, size, stride)
    n = data.draw(st.integers(0, case["N"] - 1))
    c = data.draw(st.integers(0, case["C"] - 1))
    i = data.draw(st.integers(0, out.shape[2] - 1))
    j = data.draw(st.integers(0, out.shape[3] - 1))

    win = ops.pool_window(x[n], c, i, j, size, stride, mode=mode)

    assert abs(win.result - out[n, c, i, j]) < TOL
    np.testing.assert_array_equal(win.rows, i * stride + np.arange(size))
    np.testing.assert_array_equal(win.cols, j * stride + np.arange(size))
    np.testing.assert_array_equal(win.values, x[n, c][np.ix_(win.rows, win.cols)])
    if mode == "max":
        assert win.winner is not None
        assert x[n, c][win.winner] == win.result
        # The first maximum in row-major order, as the backward pass routes it.
        first = np.argwhere(win.values == win.values.max())[0]
        assert win.winner == (win.rows[first[0]], win.cols[first[1]])
    else:
        assert win.winner is None
    # The window's sum: torch's average pooling with the divisor taken out.
    sums = F.avg_pool2d(torch.tensor(x[n : n + 1]), size, stride, divisor_override=1)
    assert abs(win.total - float(sums[0, c, i, j])) < TOL


def test_pool_window_rejects_bad_arguments() -> None:
    x = np.zeros((2, 4, 4))
    with pytest.raises(ValueError, match="pool mode must be 'max' or 'avg', got 'min'"):
        ops.pool_window(x, 0, 0, 0, mode="min")
    with pytest.raises(ValueError, match="channel c must be in 0..1, got 2"):
        ops.pool_window(x, 2, 0, 0)
    with pytest.raises(ValueError, match="output row i must be in 0..1, got 2"):
        ops.pool_window(x, 0, 2, 0)


# --------------------------------------------------------------------------------------------
# Flatten
# --------------------------------------------------------------------------------------------


def test_flatten_matches_torch_order_and_backward() -> None:
    rng = rng_for(8)
    x = rng.standard_normal((2, 3, 4, 5))
    out, cache = ops.flatten_forward(x)
    dout = rng.standard_normal(out.shape)
    ref_out, (ref_dx,) = torch_grads(lambda t: torch.flatten(t, 1), [x], dout)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(ops.flatten_backward(dout, cache), ref_dx)


def test_flat_index_addresses_the_flattened_vector() -> None:
    shape = (3, 4, 5)
    x = rng_for(9).standard_normal((2, *shape))
    out, _ = ops.flatten_forward(x)
    seen = []
    for c, r, col in np.ndindex(shape):
        k = ops.flat_index(c, r, col, shape)
        assert out[1, k] == x[1, c, r, col]
        assert ops.unflat_index(k, shape) == (c, r, col)
        seen.append(k)
    assert seen == list(range(3 * 4 * 5))  # channel, then row, then column


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ops.flat_index(3, 0, 0, (3, 4, 5)), "channel c must be in 0..2, got 3"),
        (lambda: ops.flat_index(0, -1, 0, (3, 4, 5)), "row r must be in 0..3, got -1"),
        (lambda: ops.flat_index(0, 0, 5, (3, 4, 5)), "column col must be in 0..4, got 5"),
        (lambda: ops.unflat_index(60, (3, 4, 5)), "flat index k must be in 0..59, got 60"),
        (lambda: ops.unflat_index(-1, (3, 4, 5)), "flat index k must be in 0..59, got -1"),
    ],
)
def test_flat_index_rejects_out_of_range(call: Callable, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# --------------------------------------------------------------------------------------------
# Dense
# --------------------------------------------------------------------------------------------


@FAST
@given(N=st.integers(1, 4), D=st.integers(1, 6), M=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_dense_matches_torch(N: int, D: int, M: int, seed: int) -> None:
    rng = rng_for(seed)
    x, w, b = rng.standard_normal((N, D)), rng.standard_normal((M, D)), rng.standard_normal(M)
    out, cache = ops.dense_forward(x, w, b)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = ops.dense_backward(dout, cache)
    ref_out, (ref_dx, ref_dw, ref_db) = torch_grads(F.linear, [x, w, b], dout)
    assert max_err(out, ref_out) < TOL
    assert max_err(dx, ref_dx) < TOL
    assert max_err(dw, ref_dw) < TOL
    assert max_err(db, ref_db) < TOL


def test_dense_backward_matches_central_differences() -> None:
    rng = rng_for(4)
    x, w, b = rng.standard_normal((3, 5)), rng.standard_normal((2, 5)), rng.standard_normal(2)
    out, cache = ops.dense_forward(x, w, b)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = ops.dense_backward(dout, cache)
    assert max_err(dx, numeric_gradient(lambda v: ops.dense_forward(v, w, b)[0], x, dout)) < 1e-7
    assert max_err(dw, numeric_gradient(lambda v: ops.dense_forward(x, v, b)[0], w, dout)) < 1e-7
    assert max_err(db, numeric_gradient(lambda v: ops.dense_forward(x, w, v)[0], b, dout)) < 1e-7


def test_dense_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match=r"got x \(2, 3\), w \(4, 5\), b \(4,\)"):
        ops.dense_forward(np.zeros((2, 3)), np.zeros((4, 5)), np.zeros(4))


def test_dense_terms_equal_forward_output() -> None:
    rng = rng_for(10)
    x, w, b = rng.standard_normal((3, 6)), rng.standard_normal((4, 6)), rng.standard_normal(4)
    out, _ = ops.dense_forward(x, w, b)
    for n in range(3):
        for m in range(4):
            terms = ops.dense_terms(x[n], w, b, m)
            assert abs(terms.result - out[n, m]) < TOL
            np.testing.assert_array_equal(terms.inputs, x[n])
            np.testing.assert_array_equal(terms.weights, w[m])
            np.testing.assert_array_equal(terms.products, x[n] * w[m])
            assert terms.bias == b[m]
            assert terms.total == pytest.approx(terms.products.sum(), abs=TOL)
            sizes = np.abs(terms.products[terms.order])
            assert sorted(terms.order.tolist()) == list(range(6))
            assert np.all(np.diff(sizes) <= 0)  # largest contribution first
            # The k + 1 largest terms, added up: torch's sum of each prefix of the ordered terms.
            ordered = torch.tensor(x[n] * w[m])[torch.tensor(terms.order)]
            prefixes = [float(ordered[: k + 1].sum()) for k in range(6)]
            assert max_err(terms.running_sum, np.array(prefixes)) < TOL
            assert terms.running_sum[-1] == pytest.approx(out[n, m] - b[m], abs=TOL)
    with pytest.raises(ValueError, match="neuron m must be in 0..3, got 4"):
        ops.dense_terms(x[0], w, b, 4)


# --------------------------------------------------------------------------------------------
# Softmax and losses
# --------------------------------------------------------------------------------------------


def test_softmax_and_its_terms_match_torch() -> None:
    logits = rng_for(13).standard_normal((4, 6)) * 5
    probs = ops.softmax(logits)
    assert max_err(probs, torch.softmax(torch.tensor(logits), dim=1).numpy()) < TOL
    for row, p in zip(logits, probs, strict=True):
        terms = ops.softmax_terms(row)
        np.testing.assert_array_equal(terms.probs, p)
        np.testing.assert_array_equal(terms.logits, row)
        np.testing.assert_array_equal(terms.shifted, row - row.max())
        np.testing.assert_array_equal(terms.exps, np.exp(terms.shifted))
        assert terms.sum_exps == pytest.approx(terms.exps.sum(), rel=1e-15)
        assert terms.shifted.max() == 0.0 and terms.sum_exps >= 1.0


@FAST
@given(N=st.integers(1, 5), K=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_softmax_cross_entropy_matches_torch(N: int, K: int, seed: int) -> None:
    rng = rng_for(seed)
    logits, y = rng.standard_normal((N, K)) * 4, rng.integers(0, K, N)
    loss, dlogits = ops.softmax_cross_entropy(logits, y)
    ref_loss, (ref_d,) = torch_grads(
        lambda t: F.cross_entropy(t, torch.tensor(y)), [logits], np.array(1.0)
    )
    assert isinstance(loss, float)
    assert abs(loss - ref_loss) < TOL
    assert max_err(dlogits, ref_d) < TOL


def test_softmax_cross_entropy_matches_central_differences() -> None:
    rng = rng_for(14)
    logits, y = rng.standard_normal((3, 4)), np.array([0, 3, 1])
    _, dlogits = ops.softmax_cross_entropy(logits, y)
    num = numeric_gradient(
        lambda v: np.array(ops.softmax_cross_entropy(v, y)[0]), logits, np.array(1.0)
    )
    assert max_err(dlogits, num) < 1e-7


@pytest.mark.parametrize("shape", [(5,), (5, 1)])
def test_sigmoid_binary_cross_entropy_matches_torch(shape: tuple) -> None:
    rng = rng_for(15)
    logits, y = rng.standard_normal(shape) * 4, rng.integers(0, 2, 5)
    loss, dlogits = ops.sigmoid_binary_cross_entropy(logits, y)
    target = torch.tensor(y.reshape(shape), dtype=torch.float64)
    ref_loss, (ref_d,) = torch_grads(
        lambda t: F.binary_cross_entropy_with_logits(t, target), [logits], np.array(1.0)
    )
    assert isinstance(loss, float)
    assert abs(loss - ref_loss) < TOL
    assert max_err(dlogits, ref_d) < TOL
    num = numeric_gradient(
        lambda v: np.array(ops.sigmoid_binary_cross_entropy(v, y)[0]), logits, np.array(1.0)
    )
    assert max_err(dlogits, num) < 1e-7


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_losses_are_stable_at_extreme_logits(dtype: type) -> None:
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]], dtype=dtype)
    y = np.array([1, 2])
    binary = np.array([1000.0, -1000.0, 1000.0, -1000.0], dtype=dtype)
    binary_y = np.array([0, 0, 1, 1])
    # exp(-2000) rounding to 0 (underflow) is the right answer; everything else must not happen.
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        loss, dlogits = ops.softmax_cross_entropy(logits, y)
        bloss, bdlogits = ops.sigmoid_binary_cross_entropy(binary, binary_y)
    ref = F.cross_entropy(torch.tensor(logits, dtype=torch.float64), torch.tensor(y)).item()
    bref = F.binary_cross_entropy_with_logits(
        torch.tensor(binary, dtype=torch.float64), torch.tensor(binary_y, dtype=torch.float64)
    ).item()
    assert loss == pytest.approx(ref) and loss == pytest.approx(1000.0)
    assert bloss == pytest.approx(bref) and bloss == pytest.approx(500.0)
    np.testing.assert_allclose(dlogits, [[0.5, -0.5, 0], [0, 0, 0]], atol=1e-7)
    np.testing.assert_allclose(bdlogits, [0.25, 0, 0, -0.25], atol=1e-7)
    assert dlogits.dtype == bdlogits.dtype == dtype


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ops.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3])), r"in 0..2"),
        (lambda: ops.softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0])), "integers"),
        (lambda: ops.softmax_cross_entropy(np.zeros(3), np.array([0])), r"\(N, K\)"),
        (lambda: ops.sigmoid_binary_cross_entropy(np.zeros(3), np.array([0, 2, 1])), "0 or 1"),
        (lambda: ops.sigmoid_binary_cross_entropy(np.zeros(3), np.array([0, 1])), "need 3 labels"),
        (lambda: ops.sigmoid_binary_cross_entropy(np.zeros((3, 2)), np.zeros(6)), r"\(N, 1\)"),
        (lambda: ops.softmax_terms(np.zeros((2, 3))), r"one row \(K,\)"),
    ],
)
def test_losses_reject_bad_labels(call: Callable, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# --------------------------------------------------------------------------------------------
# Every operation: dtype kept, inputs untouched
# --------------------------------------------------------------------------------------------


def every_operation(dtype: type) -> list[tuple[str, list[np.ndarray], Callable]]:
    """(name, inputs, run) for every forward and backward; run returns all outputs in a list."""
    rng = rng_for(21)

    def arr(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape).astype(dtype)

    def conv(x: np.ndarray, w: np.ndarray, b: np.ndarray, dout: np.ndarray) -> list:
        out, cache = ops.conv2d_forward(x, w, b, stride=2, padding=1, dilation=1)
        return [out, *ops.conv2d_backward(dout, cache)]

    def pair(forward: Callable, backward: Callable, **kw: object) -> Callable:
        def run(x: np.ndarray, dout: np.ndarray) -> list:
            out, cache = forward(x, **kw)
            return [out, backward(dout, cache)]

        return run

    def dense(x: np.ndarray, w: np.ndarray, b: np.ndarray, dout: np.ndarray) -> list:
        out, cache = ops.dense_forward(x, w, b)
        return [out, *ops.dense_backward(dout, cache)]

    def window(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> list:
        win = ops.conv2d_window(x, w, b, 1, 0, 1, padding=1)
        return [win.window, win.kernel, win.products, win.channel_sums]

    labels = np.array([2, 0, 1])
    operations = [
        ("conv2d", [arr(2, 3, 5, 5), arr(4, 3, 3, 3), arr(4), arr(2, 4, 3, 3)], conv),
        ("conv2d_window", [arr(3, 5, 5), arr(4, 3, 3, 3), arr(4)], window),
        (
            "maxpool2d",
            [arr(2, 3, 5, 5), arr(2, 3, 2, 2)],
            pair(ops.maxpool2d_forward, ops.maxpool2d_backward),
        ),
        (
            "avgpool2d",
            [arr(2, 3, 5, 5), arr(2, 3, 4, 4)],
            pair(ops.avgpool2d_forward, ops.avgpool2d_backward, size=2, stride=1),
        ),
        ("flatten", [arr(2, 3, 2, 2), arr(2, 12)], pair(ops.flatten_forward, ops.flatten_backward)),
        ("dense", [arr(3, 6), arr(4, 6), arr(4), arr(3, 4)], dense),
        (
            "dense_terms",
            [arr(6), arr(4, 6), arr(4)],
            lambda x, w, b: [
                ops.dense_terms(x, w, b, 2).products,
                ops.dense_terms(x, w, b, 2).running_sum,
            ],
        ),
        ("softmax", [arr(3, 4)], lambda z: [ops.softmax(z), ops.softmax_terms(z[0]).probs]),
        ("softmax_cross_entropy", [arr(3, 4)], lambda z: [ops.softmax_cross_entropy(z, labels)[1]]),
        (
            "sigmoid_binary_cross_entropy",
            [arr(3, 1)],
            lambda z: [ops.sigmoid_binary_cross_entropy(z, np.array([0, 1, 1]))[1]],
        ),
        ("sigmoid", [arr(3, 4)], lambda z: [ops.sigmoid(z)]),
    ]
    for kind in ops.ACTIVATIONS:
        operations.append(
            (
                kind,
                [arr(2, 5), arr(2, 5)],
                pair(ops.activation_forward, ops.activation_backward, kind=kind),
            )
        )
    return operations


OPERATION_NAMES = [name for name, _, _ in every_operation(np.float64)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("index", range(len(OPERATION_NAMES)), ids=OPERATION_NAMES)
def test_outputs_keep_dtype_and_inputs_are_untouched(dtype: type, index: int) -> None:
    _, inputs, run = every_operation(dtype)[index]
    copies = [a.copy() for a in inputs]
    outputs = run(*inputs)
    assert outputs
    for out in outputs:
        assert out.dtype == dtype
        assert not any(np.shares_memory(out, a) for a in inputs)
        out[...] = 12345  # writing into a result must not reach back into an input
    for a, a_copy in zip(inputs, copies, strict=True):
        np.testing.assert_array_equal(a, a_copy)


def test_float32_conv_agrees_with_float64() -> None:
    case = dict(N=2, C=3, F=4, H=9, W=8, KH=3, KW=3, seed=1)
    params = dict(stride=2, padding=1, dilation=2)
    x, w, b = conv_arrays(case)
    out64, cache64 = ops.conv2d_forward(x, w, b, **params)
    out32, cache32 = ops.conv2d_forward(*(a.astype(np.float32) for a in (x, w, b)), **params)
    dout = rng_for(2).standard_normal(out64.shape)
    grads64 = ops.conv2d_backward(dout, cache64)
    grads32 = ops.conv2d_backward(dout.astype(np.float32), cache32)
    assert max_err(out32.astype(np.float64), out64) < 1e-4
    for g32, g64 in zip(grads32, grads64, strict=True):
        assert g32.dtype == np.float32
        assert max_err(g32.astype(np.float64), g64) < 1e-4


def test_bench_conv_vs_torch_reports_medians_and_their_ratio() -> None:
    from tools.bench_ops import bench_conv_vs_torch

    result = bench_conv_vs_torch(repeats=2)
    assert set(result) == {"ops_ms", "torch_ms", "ratio"}
    assert result["ops_ms"] > 0 and result["torch_ms"] > 0
    assert result["ratio"] == pytest.approx(result["ops_ms"] / result["torch_ms"])


# --------------------------------------------------------------------------------------------
# Where to start explaining a stage
# --------------------------------------------------------------------------------------------


def test_strongest_index_is_torch_s_argmax_and_never_a_dead_window() -> None:
    rng = rng_for(21)
    x = rng.standard_normal((1, 3, 8, 8))
    x[0, 0] = -np.abs(x[0, 0])  # a map that ReLU turns all to 0, as a filter that found nothing
    relu, _ = ops.relu_forward(x)
    out, _ = ops.maxpool2d_forward(relu, 2, 2)  # (1, 3, 4, 4)
    c, i, j = ops.strongest_index(out[0])
    assert ops.flat_index(c, i, j, out[0].shape) == int(torch.argmax(torch.from_numpy(out[0])))
    window = ops.pool_window(relu[0], c, i, j, 2, 2)
    assert window.result == out.max() > 0
    # What a fixed start at the first cell of channel 0 explains: nothing.
    assert not ops.pool_window(relu[0], 0, 0, 0, 2, 2).values.any()

    vector = rng.standard_normal(7)
    assert ops.strongest_index(vector) == (int(torch.argmax(torch.from_numpy(vector))),)
    assert ops.strongest_index(np.array([[0.0, 2.0], [2.0, 1.0]])) == (0, 1)  # ties: the first
    with pytest.raises(ValueError, match=r"the output is empty \(shape \(0, 3\)\)"):
        ops.strongest_index(np.zeros((0, 3)))
