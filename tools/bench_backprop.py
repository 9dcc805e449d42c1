"""The inspected backprop step against a bare torch training step."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from cnnexplain.core import optim
from cnnexplain.model.backprop import OptimizerSettings, inspected_step
from cnnexplain.model.spec import CNNSpec, build_cnn, clone_model
from tools.bench import median_ms


def bench_backprop_step(repeats: int = 15, kind: str = "adam") -> dict[str, float]:
    """Time `inspected_step` against a bare torch training step, on the same batch and run.

    The default CNN (CNNSpec()), a seeded batch of 32 images of 28x28 with random labels, the
    optimizer `kind` with default settings. The bare step is forward, cross-entropy, backward
    and torch.optim's step on one model and optimizer kept across repeats.

    Returns {"step_ms": median ms, "torch_step_ms": median ms, "ratio": step_ms / torch_step_ms}.
    """
    rng = np.random.default_rng(0)
    spec = CNNSpec()
    model = build_cnn(spec, seed=0)
    x = rng.random((32, spec.in_channels, spec.input_size, spec.input_size), dtype=np.float32)
    y = rng.integers(0, spec.num_classes, size=32)
    settings = OptimizerSettings(kind=kind)

    bare = clone_model(model)
    optimizer = optim.torch_optimizer(kind, bare.parameters(), **settings.optimizer_kwargs())
    x_t, y_t = torch.from_numpy(x), torch.from_numpy(y)

    def torch_step() -> None:
        optimizer.zero_grad()
        F.cross_entropy(bare(x_t), y_t).backward()
        optimizer.step()

    step_ms = median_ms(lambda: inspected_step(model, x, y, settings), repeats, warmup=1)
    torch_ms = median_ms(torch_step, repeats, warmup=1)
    return {"step_ms": step_ms, "torch_step_ms": torch_ms, "ratio": step_ms / torch_ms}
