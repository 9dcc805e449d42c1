"""Speed figures for training and the CNN-versus-ANN comparison.

`bench_train_loop_vs_bare_torch` compares the project's training loop, records and held-out
evaluation included, with the plainest torch loop on the same model, data and batches, in the
same run, alternating the two so that a noisy shared machine slows both alike.
`bench_compare_default` times the comparison the page runs by default. Both run on one torch
thread, as the app trains (app.py). Timing never appears in the tests.
"""

from __future__ import annotations

import statistics
import time

import torch
import torch.nn.functional as F

from cnnexplain.experiment.design import COMPARE_TRAINING, Experiment
from cnnexplain.experiment.result import finish
from cnnexplain.experiment.run import run_experiment
from cnnexplain.io.datasets import load_digits28
from cnnexplain.model.spec import CNNSpec, build_cnn
from cnnexplain.training.train import TrainConfig, train


def bench_train_loop_vs_bare_torch(epochs: int = 3, repeats: int = 5) -> dict[str, float]:
    """Samples per second of `train.train` over those of a bare torch loop (target >= 1.3).

    Both train the default CNN from the same initial weights on the built-in digits, batch 32,
    Adam, with the same shuffled order. The bare loop is the plain one: torch's default memory
    layout and optimizer, one indexed batch after another. Each figure is the median of
    `repeats` runs of `epochs` epochs, after one warm-up run of each.
    """
    torch.set_num_threads(1)
    data = load_digits28()
    config = TrainConfig(epochs=epochs)
    n = len(data.x_train)

    def project() -> float:
        model = build_cnn(CNNSpec(), seed=0)
        start = time.perf_counter()
        for _ in train(model, data.x_train, data.y_train, data.x_test, data.y_test, config):
            pass
        return time.perf_counter() - start

    def bare() -> float:
        model = build_cnn(CNNSpec(), seed=0)
        start = time.perf_counter()
        xt = torch.tensor(data.x_train)
        yt = torch.tensor(data.y_train)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        generator = torch.Generator().manual_seed(config.seed)
        model.train()
        for _ in range(epochs):
            order = torch.randperm(n, generator=generator)
            for first in range(0, n, config.batch_size):
                idx = order[first : first + config.batch_size]
                optimizer.zero_grad(set_to_none=True)
                F.cross_entropy(model(xt[idx]), yt[idx]).backward()
                optimizer.step()
        return time.perf_counter() - start

    project(), bare()  # warm-up: first calls pay for allocations and kernel selection
    project_s, bare_s = [], []
    for _ in range(repeats):
        project_s.append(project())
        bare_s.append(bare())
    samples = n * epochs
    project_rate = samples / statistics.median(project_s)
    bare_rate = samples / statistics.median(bare_s)
    return {
        "project_samples_per_s": project_rate,
        "bare_samples_per_s": bare_rate,
        "ratio": project_rate / bare_rate,
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
