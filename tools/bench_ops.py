"""Timing of the numpy convolution against PyTorch's, on one MNIST-sized batch.

Run with ``python -m tools.bench_ops``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from cnnexplain.core.ops import conv2d_backward, conv2d_forward


def _median_ms(step: Callable[[], object], repeats: int) -> float:
    """Median wall time of step() in milliseconds, after one untimed warm-up call."""
    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1000


def bench_conv_vs_torch(repeats: int = 20) -> dict:
    """Time forward + backward of a 3x3 convolution in ops and in PyTorch on the same arrays.

    x (64, 8, 28, 28) float32, w (16, 8, 3, 3), padding 1. PyTorch's backward computes the
    gradients of x, w and b, like conv2d_backward.

    Returns {"ops_ms": median ms, "torch_ms": median ms, "ratio": ops_ms / torch_ms}.
    """
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 8, 28, 28), dtype=np.float32)
    w = rng.standard_normal((16, 8, 3, 3), dtype=np.float32)
    b = rng.standard_normal(16, dtype=np.float32)
    dout = rng.standard_normal((64, 16, 28, 28), dtype=np.float32)

    def ops_step() -> None:
        _, cache = conv2d_forward(x, w, b, padding=1)
        conv2d_backward(dout, cache)

    xt = torch.from_numpy(x).requires_grad_()
    wt = torch.from_numpy(w).requires_grad_()
    bt = torch.from_numpy(b).requires_grad_()
    doutt = torch.from_numpy(dout)

    def torch_step() -> None:
        out = F.conv2d(xt, wt, bt, padding=1)
        torch.autograd.grad(out, (xt, wt, bt), doutt)

    ops_ms = _median_ms(ops_step, repeats)
    torch_ms = _median_ms(torch_step, repeats)
    return {"ops_ms": ops_ms, "torch_ms": torch_ms, "ratio": ops_ms / torch_ms}


if __name__ == "__main__":
    result = bench_conv_vs_torch()
    print(
        f"ops {result['ops_ms']:.2f} ms, torch {result['torch_ms']:.2f} ms, "
        f"ratio {result['ratio']:.2f}"
    )
