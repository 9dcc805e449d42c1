"""Speed figures for training and the CNN-versus-ANN comparison.

`bench_train_loop_vs_bare_torch` compares the project's training loop, records and held-out
evaluation included, with the plain textbook torch loop on the same model, data and batches, in
the same run, alternating them so that a noisy shared machine slows all alike.
`bench_compare_default` times the comparison the page runs by default. Both run on one torch
thread, as the app trains (app.py). Timing never appears in the tests.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from functools import partial

import torch
import torch.nn.functional as F

from cnnexplain.experiment.design import COMPARE_TRAINING, Experiment
from cnnexplain.experiment.result import finish
from cnnexplain.experiment.run import run_experiment
from cnnexplain.io.datasets import load_digits28
from cnnexplain.model.spec import CNNSpec, build_cnn
from cnnexplain.training.train import TrainConfig, channels_last, train


def bench_train_loop_vs_bare_torch(epochs: int = 2, repeats: int = 11) -> dict[str, float]:
    """Samples per second of `train.train` over those of the plain torch loop.

    Both train the default CNN from the same initial weights on the built-in digits, batch 32,
    Adam, with the same shuffled order. The plain loop is the textbook one: torch's default
    optimizer, one indexed batch after another from an ordinary contiguous (N, C, H, W) tensor,
    no evaluation. The project's loop also evaluates the held-out set after every epoch and
    makes its records. A third loop, the plain one given channels-last batches, shows what the
    project's loop gains or loses beyond the layout.

    Each loop runs on one thread, so its CPU time (user and system, page faults included) is
    the work it does, while its wall time also counts the waits for a core that other
    programs on a shared machine cause. The ratios are of CPU time; the wall-time ratio is
    reported beside them. Each figure is the median of `repeats` runs of `epochs` epochs,
    after one warm-up run of each, the loops taking turns so that a change in the machine's
    load falls on all alike.
    """
    torch.set_num_threads(1)
    data = load_digits28()
    config = TrainConfig(epochs=epochs)
    n = len(data.x_train)

    def project(model: torch.nn.Module) -> None:
        for _ in train(model, data.x_train, data.y_train, data.x_test, data.y_test, config):
            pass

    def plain(
        layout: Callable[[torch.Tensor], torch.Tensor] | None, model: torch.nn.Module
    ) -> None:
        # The digits are stored as a view with a new channel axis, strides (784, 1, 28, 1)
        # in floats: torch reads a one-channel tensor with those strides as channels-last, and
        # torch.tensor keeps them. Without this copy to the ordinary layout, the plain loop
        # would run channels-last by accident, unlike any other data set.
        xt = torch.tensor(data.x_train).clone(memory_format=torch.contiguous_format)
        yt = torch.tensor(data.y_train)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        generator = torch.Generator().manual_seed(config.seed)
        model.train()
        for _ in range(epochs):
            order = torch.randperm(n, generator=generator)
            for first in range(0, n, config.batch_size):
                idx = order[first : first + config.batch_size]
                xb = xt[idx] if layout is None else layout(xt[idx])
                optimizer.zero_grad(set_to_none=True)
                F.cross_entropy(model(xb), yt[idx]).backward()
                optimizer.step()

    def timed(loop: Callable[[torch.nn.Module], None]) -> tuple[float, float]:
        """(CPU seconds, wall seconds) of one run of `loop` on a fresh default CNN."""
        model = build_cnn(CNNSpec(), seed=0)
        cpu, wall = time.process_time(), time.perf_counter()
        loop(model)
        return time.process_time() - cpu, time.perf_counter() - wall

    loops = {
        "project": project,
        "plain": partial(plain, None),
        "channels_last": partial(plain, channels_last),
    }
    for loop in loops.values():  # warm-up: first calls pay for allocations and kernel selection
        timed(loop)
    cpu: dict[str, list[float]] = {name: [] for name in loops}
    wall: dict[str, list[float]] = {name: [] for name in loops}
    for _ in range(repeats):
        for name, loop in loops.items():
            c, w = timed(loop)
            cpu[name].append(c)
            wall[name].append(w)
    rate = {name: n * epochs / statistics.median(s) for name, s in cpu.items()}
    wall_rate = {name: n * epochs / statistics.median(s) for name, s in wall.items()}
    # The same ratio within each turn, for the spread.
    turns = [p / q for p, q in zip(cpu["plain"], cpu["project"], strict=True)]
    return {
        "project_samples_per_s": rate["project"],
        "bare_samples_per_s": rate["plain"],
        "ratio": rate["project"] / rate["plain"],
        "ratio_lowest_turn": min(turns),
        "ratio_highest_turn": max(turns),
        "ratio_wall": wall_rate["project"] / wall_rate["plain"],
        "channels_last_samples_per_s": rate["channels_last"],
        "ratio_channels_last": rate["project"] / rate["channels_last"],
        "torch_threads": float(torch.get_num_threads()),
    }


def bench_compare_default() -> dict[str, float]:
    """Wall time of the page's default comparison on the built-in digits (target <= 30 s).

    Both networks, COMPARE_TRAINING's epochs, records every DEFAULT_REPORT_EVERY steps, then
    `finish`. Loading the data is not counted: the page has it cached.
    """
    torch.set_num_threads(1)
    data = load_digits28()
    experiment = Experiment("digits", config=COMPARE_TRAINING)
    start = time.perf_counter()
    run = run_experiment(experiment, data)
    records = sum(1 for _ in run)
    result = finish(run)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "epochs": float(COMPARE_TRAINING.epochs),
        "records": float(records),
        "cnn_train_s": result.models["CNN"].train_seconds,
        "ann_train_s": result.models["ANN"].train_seconds,
        "cnn_test_acc": result.models["CNN"].test_acc,
        "ann_test_acc": result.models["ANN"].test_acc,
        "torch_threads": float(torch.get_num_threads()),
    }


if __name__ == "__main__":
    for bench in (bench_train_loop_vs_bare_torch, bench_compare_default):
        figures = bench()
        print(bench.__name__, {k: round(v, 4) for k, v in figures.items()})
