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


def bench_timeline_bytes(steps: int = 50, kind: str = "adam") -> dict[str, float]:
    """What the backprop page's timeline holds after `steps` steps of the default network.

    The steps are the page's own: `inspected_step` on a seeded batch of 32 training pictures,
    each pushed to a StepHistory that feeds a Timeline measuring the accuracy on the first test
    pictures. Returns {"timeline_kb": the bytes of weights its points hold, "full_kb": the bytes
    the same points would hold with every weight of the network, "probe_model_kb": the weights
    of the private copy it measures the accuracy with, "points": points kept}.
    """
    from cnnexplain.io.datasets import batches, load_digits28
    from cnnexplain.model.backprop import load_params, params_of
    from cnnexplain.model.history import StepHistory
    from cnnexplain.model.timeline import Probe, Timeline

    data = load_digits28()
    spec = CNNSpec()
    model = build_cnn(spec, seed=0)
    probe = Probe.first(data.x_test, data.y_test, spec.head)
    timeline = Timeline.for_model(model, probe)
    history = StepHistory(params_of(model), timeline=timeline)
    x, y = next(batches(data.x_train, data.y_train, 32, seed=0))
    settings = OptimizerSettings(kind=kind)
    for _ in range(steps):
        load_params(model, history.current.params_copy())
        history.push(inspected_step(model, x, y, settings, history.current.state_for(kind)))
    full = sum(p.nbytes for p in history.current.params.values())
    return {
        "timeline_kb": timeline.nbytes / 1024,
        "full_kb": full * len(timeline.points) / 1024,
        "probe_model_kb": full / 1024,
        "points": float(len(timeline.points)),
    }
