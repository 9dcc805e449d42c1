"""Numpy reference math for every layer the app explains, with the helpers its pages display.

Each operation is a pair in the cs231n style: ``*_forward(...) -> (out, cache)`` and
``*_backward(dout, cache) -> gradients``. Shapes follow PyTorch: images are (N, C, H, W),
convolution kernels (F, C, KH, KW) as ``torch.nn.Conv2d`` stores them, dense weights (M, D) as
``torch.nn.Linear`` stores them. Results keep the input's dtype (float32 in, float32 out), no
function modifies its inputs, and no output aliases an input.

The explanation helpers (``conv2d_window``, ``conv2d_input_gradient_terms``, ``pool_window``,
``flat_index``, ``dense_terms``, ``softmax_terms``) sit next to the operation they explain and
reuse its code path, so a page that shows one window or one neuron shows exactly the number the
forward or backward pass produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnexplain.core.checks import NoOutputError

ACTIVATIONS = ("relu", "tanh", "sigmoid", "none")


# ---- Convolution ----------------------------------------------------------------------------


def conv2d_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Output length along one axis of a convolution.

    size' = (size + 2*padding - dilation*(kernel - 1) - 1) // stride + 1
    """
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _check_conv_args(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, padding: int, dilation: int
) -> tuple[int, int]:
    """Validate a convolution's arguments and return its output size (H', W')."""
    if x.ndim != 4:
        raise ValueError(f"conv2d: x must have shape (N, C, H, W), got shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"conv2d: w must have shape (F, C, KH, KW), got shape {w.shape}")
    F, C, KH, KW = w.shape
    if x.shape[1] != C:
        raise ValueError(
            f"conv2d: x has {x.shape[1]} channels but w expects {C} "
            f"(x shape {x.shape}, w shape {w.shape})"
        )
    if b.shape != (F,):
        raise ValueError(
            f"conv2d: b must have shape ({F},) to match w's {F} filters, got {b.shape}"
        )
    if stride < 1 or dilation < 1 or padding < 0:
        raise ValueError(
            f"conv2d: need stride >= 1, dilation >= 1 and padding >= 0, "
            f"got stride={stride}, dilation={dilation}, padding={padding}"
        )
    H, W = x.shape[2:]
    Ho = conv2d_output_size(H, KH, stride, padding, dilation)
    Wo = conv2d_output_size(W, KW, stride, padding, dilation)
    if Ho < 1 or Wo < 1:
        span = f"{dilation * (KH - 1) + 1}x{dilation * (KW - 1) + 1}"
        sizes = {"out": f"{Ho}x{Wo}", "kernel": f"{KH}x{KW}", "span": span, "size": f"{H}x{W}"}
        raise NoOutputError("conv.no_output", dilation=dilation, padding=padding, **sizes)
    return Ho, Wo


def _pad(x: np.ndarray, padding: int) -> np.ndarray:
    """Zero-pad the last two axes of x by `padding` on each side (x itself when padding is 0)."""
    if padding == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


def _conv_windows(xp: np.ndarray, KH: int, KW: int, stride: int, dilation: int) -> np.ndarray:
    """Read-only view (N, C, H', W', KH, KW) of the padded input under every kernel position.

    Entry [n, c, i, j, ki, kj] is xp[n, c, i*stride + ki*dilation, j*stride + kj*dilation].
    """
    span = (dilation * (KH - 1) + 1, dilation * (KW - 1) + 1)
    # (N, C, Hp - spanH + 1, Wp - spanW + 1, spanH, spanW): every window at stride 1, undilated.
    windows = sliding_window_view(xp, span, axis=(2, 3))
    return windows[:, :, ::stride, ::stride, ::dilation, ::dilation]


def conv2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
) -> tuple[np.ndarray, tuple]:
    """2-D cross-correlation, as torch.nn.functional.conv2d computes it.

    Inputs:
        x: (N, C, H, W) images.
        w: (F, C, KH, KW) kernels, one per output channel.
        b: (F,) biases.
        stride, padding, dilation: the same integers for rows and columns; padding adds zeros.

    Returns:
        out: (N, F, H', W') with
            H' = (H + 2*padding - dilation*(KH - 1) - 1) // stride + 1 and the same for W'.
        cache: what conv2d_backward needs.

    Raises ValueError if the channel counts disagree or the output would be smaller than 1x1.
    """
    stride, padding, dilation = int(stride), int(padding), int(dilation)
    Ho, Wo = _check_conv_args(x, w, b, stride, padding, dilation)
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    xp = _pad(x, padding)  # (N, C, H + 2*padding, W + 2*padding)
    windows = _conv_windows(xp, KH, KW, stride, dilation)  # (N, C, H', W', KH, KW)
    # im2col: one column per output position of every image, so the whole batch is one
    # matrix product. Rows run over (C, KH, KW) in the order of w.reshape(F, -1).
    cols = windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * KH * KW, N * Ho * Wo)
    out = w.reshape(F, C * KH * KW) @ cols  # (F, N*H'*W')
    out += b.reshape(F, 1).astype(out.dtype, copy=False)
    out = np.ascontiguousarray(out.reshape(F, N, Ho, Wo).transpose(1, 0, 2, 3))  # (N, F, H', W')
    cache = (x.shape, w, cols, stride, padding, dilation)
    return out, cache


def conv2d_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of conv2d_forward.

    Inputs:
        dout: (N, F, H', W') upstream gradient.
        cache: from conv2d_forward.

    Returns:
        dx: (N, C, H, W), dw: (F, C, KH, KW), db: (F,).
    """
    x_shape, w, cols, stride, padding, dilation = cache
    N, C, H, W = x_shape
    F, _, KH, KW = w.shape
    Ho, Wo = dout.shape[2:]
    # Output transposed to N, F, H', W': bring F back to the front.
    dout2 = dout.transpose(1, 0, 2, 3).reshape(F, N * Ho * Wo)
    # Bias added to every column.
    db = dout2.sum(axis=1)
    # out = w @ cols.
    dw = (dout2 @ cols.T).reshape(F, C, KH, KW)
    # dcols = w.T @ dout2 would hold C*KH*KW rows of N*H'*W'; build it one kernel tap (C rows)
    # at a time instead and scatter each tap straight back onto the padded input, so pixels
    # shared by overlapping windows accumulate. Channels stay first until the end to keep every
    # added block contiguous.
    dxp = np.zeros((C, N, H + 2 * padding, W + 2 * padding), dtype=np.result_type(w, dout2))
    dcols_tap = np.empty((C, N * Ho * Wo), dtype=dxp.dtype)
    row_end = stride * (Ho - 1) + 1
    col_end = stride * (Wo - 1) + 1
    for ki in range(KH):
        r0 = ki * dilation
        for kj in range(KW):
            c0 = kj * dilation
            np.matmul(w[:, :, ki, kj].T, dout2, out=dcols_tap)  # (C, N*H'*W')
            dxp[:, :, r0 : r0 + row_end : stride, c0 : c0 + col_end : stride] += dcols_tap.reshape(
                C, N, Ho, Wo
            )
    # Padding: keep the real pixels (pad:pad+H, since [pad:-pad] is empty when pad == 0).
    dx = dxp[:, :, padding : padding + H, padding : padding + W].transpose(1, 0, 2, 3)
    return np.ascontiguousarray(dx), dw, db


@dataclass(frozen=True, eq=False)
class ConvWindow:
    """One output number of a convolution and the products it sums.

    Tap (ki, kj) of the kernel reads input pixel (rows[ki], cols[kj]).
    """

    window: np.ndarray  # (C, KH, KW) input values under the kernel; 0 where a tap is padding
    rows: np.ndarray  # (KH,) input row of each kernel row; < 0 or >= H on padding
    cols: np.ndarray  # (KW,) input column of each kernel column; < 0 or >= W on padding
    inside: np.ndarray  # (KH, KW) bool, True where the tap falls on a real pixel
    kernel: np.ndarray  # (C, KH, KW) the weights of filter f
    products: np.ndarray  # (C, KH, KW) window * kernel
    channel_sums: np.ndarray  # (C,) the products of each input channel added up
    total: float  # sum of products
    bias: float  # b[f]
    result: float  # total + bias: conv2d_forward's out[n, f, i, j], to the last bit's rounding


def conv2d_window(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    f: int,
    i: int,
    j: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
) -> ConvWindow:
    """The window that filter f sees at output position (i, j) of one image x (C, H, W).

    Uses the same padded windows as conv2d_forward, so `result` equals out[n, f, i, j] for the
    image x = images[n] (the products are added one by one here and by a matrix product there:
    the last bit may round differently). Raises ValueError if f, i or j is out of range.
    """
    stride, padding, dilation = int(stride), int(padding), int(dilation)
    if x.ndim != 3:
        raise ValueError(f"conv2d_window: x must be one image (C, H, W), got shape {x.shape}")
    Ho, Wo = _check_conv_args(x[None], w, b, stride, padding, dilation)
    F, _, KH, KW = w.shape
    _check_index("filter f", f, F)
    _check_index("output row i", i, Ho)
    _check_index("output column j", j, Wo)
    windows = _conv_windows(_pad(x[None], padding), KH, KW, stride, dilation)
    window = windows[0, :, i, j].copy()  # (C, KH, KW)
    rows = i * stride - padding + dilation * np.arange(KH)
    cols = j * stride - padding + dilation * np.arange(KW)
    H, W = x.shape[1:]
    inside = ((rows >= 0) & (rows < H))[:, None] & ((cols >= 0) & (cols < W))[None, :]
    kernel = w[f].copy()
    products = window * kernel
    total = products.sum()
    bias = b[f]
    return ConvWindow(
        window=window,
        rows=rows,
        cols=cols,
        inside=inside,
        kernel=kernel,
        products=products,
        channel_sums=products.reshape(len(products), -1).sum(axis=1),
        total=float(total),
        bias=float(bias),
        result=float(total + bias),
    )


@dataclass(frozen=True, eq=False)
class InputGradientTerms:
    """dx[n, c, r, s] term by term: tap (ki, kj) of kernel f read pixel (r, s) at output position
    (rows[ki], cols[kj]) if `used[ki, kj]`. Read flipped ([..., ::-1, ::-1]), `upstream` is the
    window a "full" convolution of the zero-bordered arriving gradient puts under kernel f."""

    rows: np.ndarray  # (KH,) output row at which kernel row ki read input row r; -1 for none
    cols: np.ndarray  # (KW,) output column at which kernel column kj read input column s; -1
    used: np.ndarray  # (KH, KW) bool: the tap read the pixel at some output position
    weights: np.ndarray  # (F, KH, KW) w[:, c]
    upstream: np.ndarray  # (F, KH, KW) the arriving gradient where the tap's product went; 0
    products: np.ndarray  # (F, KH, KW) weights * upstream: the terms (0 where not used)
    kernel_sums: np.ndarray  # (F,) the terms of each kernel added up
    order: np.ndarray  # indices into products.ravel() of the used taps, by |product|, largest first
    total: float  # their sum: conv2d_backward's dx[n, c, r, s]


def conv2d_input_gradient_terms(
    dout: np.ndarray, cache: tuple, n: int, c: int, r: int, s: int
) -> InputGradientTerms:
    """dx[n, c, r, s] of conv2d_backward(dout, cache), term by term; ValueError if out of range."""
    x_shape, w, _, stride, padding, dilation = cache  # as conv2d_backward unpacks it
    names = ("image n", "channel c", "row r", "column s")
    for name, value, size in zip(names, (n, c, r, s), x_shape, strict=True):
        _check_index(name, value, size)
    # Tap k read input row i*stride - padding + k*dilation at output row i: it read row r at
    # i = (r + padding - k*dilation) / stride, when that is a whole row of the output.
    ahead = [at + padding - dilation * np.arange(k) for at, k in ((r, w.shape[2]), (s, w.shape[3]))]
    rows, cols = (
        np.where((d >= 0) & (d % stride == 0) & (d < stride * size), d // stride, -1)
        for d, size in zip(ahead, dout.shape[2:], strict=True)
    )
    used = (rows >= 0)[:, None] & (cols >= 0)[None, :]
    upstream = np.where(used, dout[n][:, rows[:, None], cols[None, :]], 0)  # (F, KH, KW)
    weights = w[:, c].copy()
    products = weights * upstream
    taps = np.flatnonzero(np.broadcast_to(used, products.shape))
    order = taps[np.argsort(-np.abs(products.ravel()[taps]), kind="stable")]
    sums = products.sum(axis=(1, 2))
    return InputGradientTerms(
        rows, cols, used, weights, upstream, products, sums, order, float(products.sum())
    )


def _check_index(name: str, value: int, size: int) -> None:
    """Raise ValueError unless 0 <= value < size (negative indices would silently wrap)."""
    if not 0 <= value < size:
        raise ValueError(f"{name} must be in 0..{size - 1}, got {value}")


# ---- Activations ----------------------------------------------------------------------------


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """max(x, 0) elementwise. x: any shape. Returns out (same shape) and cache (x)."""
    out = np.maximum(x, 0).astype(x.dtype, copy=False)
    return out, x


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """Gradient of relu_forward: dout where x > 0, else 0 (0 at x == 0, as PyTorch)."""
    x = cache
    # out = max(x, 0): the gradient passes only where x won.
    return np.where(x > 0, dout, 0).astype(dout.dtype, copy=False)


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """tanh(x) elementwise. x: any shape. Returns out (same shape) and cache (out)."""
    out = np.tanh(x)
    return out, out


def tanh_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """Gradient of tanh_forward: dout * (1 - tanh(x)**2)."""
    out = cache
    # out = tanh(x): d tanh / dx = 1 - tanh^2.
    return dout * (1 - out * out)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) elementwise, without overflow for large |z|.

    exp is only ever taken of -|z|, so it stays in (0, 1].
    """
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sigmoid(x) elementwise. x: any shape. Returns out (same shape) and cache (out)."""
    out = sigmoid(x)
    return out, out


def sigmoid_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """Gradient of sigmoid_forward: dout * s * (1 - s) with s = sigmoid(x)."""
    out = cache
    # out = sigmoid(x): d sigmoid / dx = s * (1 - s).
    return dout * out * (1 - out)


def activation_forward(x: np.ndarray, kind: str) -> tuple[np.ndarray, tuple[str, Any]]:
    """Apply the activation named `kind`, one of ACTIVATIONS ("none" returns a copy of x).

    x: any shape. Returns out (same shape) and a cache that remembers the kind.
    """
    if kind == "relu":
        out, inner = relu_forward(x)
    elif kind == "tanh":
        out, inner = tanh_forward(x)
    elif kind == "sigmoid":
        out, inner = sigmoid_forward(x)
    elif kind == "none":
        out, inner = x.copy(), None
    else:
        raise ValueError(f"unknown activation {kind!r}; choose one of {', '.join(ACTIVATIONS)}")
    return out, (kind, inner)


def activation_backward(dout: np.ndarray, cache: tuple[str, Any]) -> np.ndarray:
    """Gradient of activation_forward with respect to its input, same shape as dout."""
    kind, inner = cache
    if kind == "relu":
        return relu_backward(dout, inner)
    if kind == "tanh":
        return tanh_backward(dout, inner)
    if kind == "sigmoid":
        return sigmoid_backward(dout, inner)
    if kind == "none":
        return dout.copy()
    raise ValueError(f"unknown activation {kind!r}; choose one of {', '.join(ACTIVATIONS)}")


# ---- Pooling --------------------------------------------------------------------------------


def _check_pool_args(x: np.ndarray, size: int, stride: int | None) -> tuple[int, int, int]:
    """Validate pooling arguments and return (stride, H', W')."""
    stride = size if stride is None else stride
    if x.ndim != 4:
        raise ValueError(f"pool2d: x must have shape (N, C, H, W), got shape {x.shape}")
    if size < 1 or stride < 1:
        raise ValueError(
            f"pool2d: need size >= 1 and stride >= 1, got size={size}, stride={stride}"
        )
    H, W = x.shape[2:]
    if size > H or size > W:
        raise ValueError(f"pool2d: a {size}x{size} window does not fit in a {H}x{W} input")
    # A pooling window is a kernel without padding or dilation.
    Ho, Wo = (conv2d_output_size(n, size, stride, padding=0, dilation=1) for n in (H, W))
    return stride, Ho, Wo


def _pool_windows(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """Copy (N, C, H', W', size*size) of every pooling window, taps in row-major order."""
    N, C = x.shape[:2]
    windows = sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]
    Ho, Wo = windows.shape[2:4]
    return windows.reshape(N, C, Ho, Wo, size * size)


def _pool_scatter(
    x_shape: tuple[int, ...], grads: np.ndarray, size: int, stride: int
) -> np.ndarray:
    """Sum per-tap gradients (N, C, H', W', size*size) back onto the (N, C, H, W) input."""
    Ho, Wo = grads.shape[2:4]
    dx = np.zeros(x_shape, dtype=grads.dtype)
    # Loop over the size*size taps, not the pixels; overlapping windows accumulate.
    row_end = stride * (Ho - 1) + 1
    col_end = stride * (Wo - 1) + 1
    for p in range(size):
        for q in range(size):
            dx[:, :, p : p + row_end : stride, q : q + col_end : stride] += grads[..., p * size + q]
    return dx


def maxpool2d_forward(
    x: np.ndarray, size: int = 2, stride: int | None = None
) -> tuple[np.ndarray, tuple]:
    """Max pooling over size x size windows, as torch.nn.functional.max_pool2d (no padding).

    Inputs:
        x: (N, C, H, W).
        size: window side; stride: step between windows, defaults to size.

    Returns:
        out: (N, C, H', W') with H' = (H - size) // stride + 1 and the same for W'.
        cache: what maxpool2d_backward needs (the first maximum of each window, as PyTorch).
    """
    stride, _, _ = _check_pool_args(x, size, stride)
    windows = _pool_windows(x, size, stride)  # (N, C, H', W', size*size)
    argmax = windows.argmax(axis=-1)  # first maximum, as torch picks it
    out = np.take_along_axis(windows, argmax[..., None], axis=-1)[..., 0]
    return out, (x.shape, argmax, size, stride)


def maxpool2d_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of maxpool2d_forward: each dout goes to its window's winner.

    Inputs: dout (N, C, H', W'), cache from maxpool2d_forward. Returns dx (N, C, H, W).
    """
    x_shape, argmax, size, stride = cache
    # out = window[argmax]: only the winning tap of each window gets the gradient.
    taps = np.arange(size * size)
    grads = np.where(argmax[..., None] == taps, dout[..., None], 0).astype(dout.dtype, copy=False)
    # windows were gathered from x: scatter back.
    return _pool_scatter(x_shape, grads, size, stride)


def avgpool2d_forward(
    x: np.ndarray, size: int = 2, stride: int | None = None
) -> tuple[np.ndarray, tuple]:
    """Average pooling over size x size windows, as torch.nn.functional.avg_pool2d (no padding).

    Inputs:
        x: (N, C, H, W).
        size: window side; stride: step between windows, defaults to size.

    Returns:
        out: (N, C, H', W') with H' = (H - size) // stride + 1 and the same for W'.
        cache: what avgpool2d_backward needs.
    """
    stride, _, _ = _check_pool_args(x, size, stride)
    windows = _pool_windows(x, size, stride)  # (N, C, H', W', size*size)
    out = windows.mean(axis=-1)
    return out, (x.shape, size, stride)


def avgpool2d_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of avgpool2d_forward: each dout is shared equally by its window's taps.

    Inputs: dout (N, C, H', W'), cache from avgpool2d_forward. Returns dx (N, C, H, W).
    """
    x_shape, size, stride = cache
    # out = mean of size*size taps: each tap gets dout / (size*size).
    share = dout / (size * size)
    grads = np.broadcast_to(share[..., None], (*share.shape, size * size))
    # windows were gathered from x: scatter back.
    return _pool_scatter(x_shape, grads, size, stride)


@dataclass(frozen=True, eq=False)
class PoolWindow:
    """One output number of a pooling layer and the window it summarises."""

    values: np.ndarray  # (size, size) input values in the window
    rows: np.ndarray  # (size,) input row of each window row
    cols: np.ndarray  # (size,) input column of each window column
    winner: tuple[int, int] | None  # (row, col) in input coordinates of the max; None for avg
    total: float  # sum of values (average pooling divides it by size * size)
    result: float  # equal to the pooling forward's out[n, c, i, j]


def pool_window(
    x: np.ndarray,
    c: int,
    i: int,
    j: int,
    size: int = 2,
    stride: int | None = None,
    mode: str = "max",
) -> PoolWindow:
    """The window of channel c pooled into output position (i, j), for one image x (C, H, W).

    mode is "max" or "avg". Uses the same windows and reductions as the pooling forward.
    Raises ValueError if c, i or j is out of range or mode is unknown.
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"pool mode must be 'max' or 'avg', got {mode!r}")
    if x.ndim != 3:
        raise ValueError(f"pool_window: x must be one image (C, H, W), got shape {x.shape}")
    stride, Ho, Wo = _check_pool_args(x[None], size, stride)
    _check_index("channel c", c, x.shape[0])
    _check_index("output row i", i, Ho)
    _check_index("output column j", j, Wo)
    taps = _pool_windows(x[None, c : c + 1], size, stride)[0, 0, i, j]  # (size*size,)
    rows = i * stride + np.arange(size)
    cols = j * stride + np.arange(size)
    if mode == "max":
        k = int(taps.argmax())
        winner: tuple[int, int] | None = (int(rows[k // size]), int(cols[k % size]))
        result = taps[k]
    else:
        winner = None
        result = taps.mean()
    return PoolWindow(
        values=taps.reshape(size, size),
        rows=rows,
        cols=cols,
        winner=winner,
        total=float(taps.sum()),
        result=float(result),
    )


# ---- Flatten --------------------------------------------------------------------------------


def flatten_forward(x: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    """Flatten each sample, in PyTorch's order: channel, then row, then column.

    Inputs: x (N, C, H, W) (or any (N, ...)).
    Returns: out (N, C*H*W), where out[n, flat_index(c, r, col, (C, H, W))] = x[n, c, r, col];
    cache (x.shape).
    """
    return x.reshape(x.shape[0], -1).copy(), x.shape


def flatten_backward(dout: np.ndarray, cache: tuple[int, ...]) -> np.ndarray:
    """Gradient of flatten_forward: dout (N, D) reshaped back to the input shape."""
    x_shape = cache
    return dout.reshape(x_shape).copy()


def flat_index(c: int, r: int, col: int, shape: tuple[int, int, int]) -> int:
    """Position of pixel (c, r, col) in the flattened vector of a (C, H, W) tensor.

    k = c*H*W + r*W + col. Raises ValueError if any coordinate is out of range.
    """
    C, H, W = shape
    _check_index("channel c", c, C)
    _check_index("row r", r, H)
    _check_index("column col", col, W)
    return int(c * H * W + r * W + col)


def unflat_index(k: int, shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """Inverse of flat_index: (c, r, col) of entry k of a flattened (C, H, W) tensor."""
    C, H, W = shape
    _check_index("flat index k", k, C * H * W)
    c, rest = divmod(int(k), H * W)
    r, col = divmod(rest, W)
    return c, r, col


# ---- Dense (fully connected) ----------------------------------------------------------------


def dense_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Fully connected layer, as torch.nn.functional.linear: out = x @ w.T + b.

    Inputs: x (N, D), w (M, D), b (M,).
    Returns: out (N, M) and cache (x, w).
    """
    if x.ndim != 2 or w.ndim != 2 or x.shape[1] != w.shape[1] or b.shape != (w.shape[0],):
        raise ValueError(
            f"dense: need x (N, D), w (M, D), b (M,); got x {x.shape}, w {w.shape}, b {b.shape}"
        )
    out = x @ w.T + b
    return out, (x, w)


def dense_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of dense_forward. dout (N, M) -> dx (N, D), dw (M, D), db (M,)."""
    x, w = cache
    # out = x @ w.T + b
    db = dout.sum(axis=0)
    dw = dout.T @ x
    dx = dout @ w
    return dx, dw, db


@dataclass(frozen=True, eq=False)
class DenseTerms:
    """One neuron's weighted sum, term by term."""

    inputs: np.ndarray  # (D,) the sample
    weights: np.ndarray  # (D,) row m of w
    products: np.ndarray  # (D,) inputs * weights
    order: np.ndarray  # (D,) indices of products by |product|, largest first
    running_sum: np.ndarray  # (D,) products added up in that order: [k] sums the k + 1 largest
    total: float  # sum of products
    bias: float  # b[m]
    result: float  # total + bias, equal to dense_forward's out[n, m]


def dense_terms(x: np.ndarray, w: np.ndarray, b: np.ndarray, m: int) -> DenseTerms:
    """The terms of neuron m's weighted sum for one sample x (D,)."""
    if x.ndim != 1:
        raise ValueError(f"dense_terms: x must be one sample (D,), got shape {x.shape}")
    _check_index("neuron m", m, w.shape[0])
    inputs = x.copy()
    weights = w[m].copy()
    products = inputs * weights
    total = products.sum()
    bias = b[m]
    order = np.argsort(-np.abs(products), kind="stable")
    return DenseTerms(
        inputs=inputs,
        weights=weights,
        products=products,
        order=order,
        running_sum=np.cumsum(products[order]),
        total=float(total),
        bias=float(bias),
        result=float(total + bias),
    )


# ---- Softmax, sigmoid and their losses ------------------------------------------------------


def _softmax_parts(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """shifted, exps, sum_exps (keepdims), probs along the last axis."""
    # Subtracting the row max makes the largest exponent 0: no overflow, and sum_exps >= 1.
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exps = np.exp(shifted)
    sum_exps = exps.sum(axis=-1, keepdims=True)
    return shifted, exps, sum_exps, exps / sum_exps


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax along the last axis. logits (N, K) or (K,) -> probs of the same shape."""
    return _softmax_parts(logits)[3]


@dataclass(frozen=True, eq=False)
class SoftmaxTerms:
    """The steps of softmax for one row of logits."""

    logits: np.ndarray  # (K,)
    shifted: np.ndarray  # (K,) logits - max(logits)
    exps: np.ndarray  # (K,) exp(shifted)
    sum_exps: float  # sum of exps, at least 1
    probs: np.ndarray  # (K,) exps / sum_exps, equal to softmax(logits)


def softmax_terms(logits: np.ndarray) -> SoftmaxTerms:
    """The intermediate values of softmax for one row of logits (K,)."""
    if logits.ndim != 1:
        raise ValueError(f"softmax_terms: logits must be one row (K,), got shape {logits.shape}")
    shifted, exps, sum_exps, probs = _softmax_parts(logits)
    return SoftmaxTerms(
        logits=logits.copy(), shifted=shifted, exps=exps, sum_exps=float(sum_exps[0]), probs=probs
    )


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels, as F.cross_entropy.

    Inputs: logits (N, K); y (N,) integers in 0..K-1.
    Returns: loss as a Python float (computed in the logits' dtype), and dlogits (N, K) with the
    logits' dtype. Stable for any finite logits.
    """
    if logits.ndim != 2:
        raise ValueError(f"softmax_cross_entropy: logits must be (N, K), got {logits.shape}")
    N, K = logits.shape
    y = np.asarray(y)
    if y.shape != (N,) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"softmax_cross_entropy: y must be ({N},) integers, got {y.dtype} {y.shape}"
        )
    if y.size and (y.min() < 0 or y.max() >= K):
        raise ValueError(f"softmax_cross_entropy: labels must be in 0..{K - 1}")
    shifted, _, sum_exps, probs = _softmax_parts(logits)
    rows = np.arange(N)
    # log p[y] = shifted[y] - log(sum exp(shifted)); sum_exps >= 1, so the log is finite.
    loss = -(shifted[rows, y] - np.log(sum_exps[:, 0])).mean()
    dlogits = probs.copy()
    dlogits[rows, y] -= 1
    dlogits /= N
    return float(loss), dlogits


def sigmoid_binary_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean binary cross-entropy of sigmoid(logits), as F.binary_cross_entropy_with_logits.

    Inputs: logits (N,) or (N, 1); y (N,) or (N, 1) with values in {0, 1}.
    Returns: loss as a Python float (computed in the logits' dtype), and dlogits with the shape
    and dtype of logits. Stable for any finite logits.
    """
    if logits.ndim not in (1, 2) or (logits.ndim == 2 and logits.shape[1] != 1):
        raise ValueError(
            f"sigmoid_binary_cross_entropy: logits must be (N,) or (N, 1), got {logits.shape}"
        )
    N = logits.shape[0]
    y = np.asarray(y)
    if y.size != N:
        raise ValueError(f"sigmoid_binary_cross_entropy: need {N} labels, got shape {y.shape}")
    y = y.reshape(logits.shape).astype(logits.dtype)
    if np.any((y != 0) & (y != 1)):
        raise ValueError("sigmoid_binary_cross_entropy: labels must be 0 or 1")
    # -[y log s(z) + (1 - y) log(1 - s(z))] = max(z, 0) - z*y + log(1 + exp(-|z|)),
    # where exp only ever sees -|z| <= 0.
    losses = np.maximum(logits, 0) - logits * y + np.log1p(np.exp(-np.abs(logits)))
    dlogits = (sigmoid(logits) - y) / N
    return float(losses.mean()), dlogits.astype(logits.dtype, copy=False)


# ---- Where to start explaining a stage ------------------------------------------------------


def strongest_index(out: np.ndarray) -> tuple[int, ...]:
    """Index of the largest value of one stage's output: (c, row, col) of maps (C, H, W), (m,)
    of a vector (D,).

    The explanation helpers above start there: it is where the layer found most of what it
    looks for, so the window (or the neuron's sum) holds numbers that matter. Anywhere else may
    be a map that ReLU turned all to 0, whose every window reads "the largest of 0, 0, 0, 0 is
    0". Ties go to the first in flatten order. Raises ValueError for an empty output.
    """
    out = np.asarray(out)
    if out.size == 0:
        raise ValueError(f"strongest_index: the output is empty (shape {out.shape})")
    return tuple(int(k) for k in np.unravel_index(int(np.argmax(out)), out.shape))
