"""Speed figures: `python -m tools.bench [--json] [--only NAME ...]`.

These machines are shared and noisy, so each figure is a median over repeats, and most are a
ratio against a baseline measured in the same run. Timing never appears in the tests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    note: str = ""


def median_ms(fn: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    """Median wall time of fn() in milliseconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def bench_ops() -> Iterator[Figure]:
    from tools.bench_ops import bench_conv_vs_torch

    r = bench_conv_vs_torch()
    yield Figure(
        "ops_conv_fwd_bwd_ms", r["ops_ms"], "ms", "x (64, 8, 28, 28), w (16, 8, 3, 3), pad 1"
    )
    yield Figure("torch_conv_fwd_bwd_ms", r["torch_ms"], "ms", "same arrays, same run")
    yield Figure("ops_conv_fwd_bwd_vs_torch", r["ratio"], "ratio", "target <= 5")


def bench_trace() -> Iterator[Figure]:
    import torch

    from cnnexplain.io.datasets import load_digits28
    from cnnexplain.model.trace import trace
    from cnnexplain.training.store import DEFAULT_SPEC, build_model

    data = load_digits28()
    model = build_model(DEFAULT_SPEC).eval()
    x = data.x_test[0]
    trace_ms = median_ms(lambda: trace(model, x, label=int(data.y_test[0])), repeats=30)
    xt = torch.from_numpy(x[None].copy())

    def bare() -> None:
        with torch.no_grad():
            model(xt)

    bare_ms = median_ms(bare, repeats=30)
    yield Figure(
        "trace_default_ms", trace_ms, "ms", "torch capture + numpy replay, one 28x28 image"
    )
    yield Figure("trace_vs_torch_forward", trace_ms / bare_ms, "ratio", "against a bare forward")


def bench_default_training() -> Iterator[Figure]:
    import torch

    from cnnexplain.io.datasets import load_digits28
    from cnnexplain.training.store import DEFAULT_SPEC, fit

    torch.set_num_threads(1)  # as the app trains
    data = load_digits28()
    start = time.perf_counter()
    entry = fit(DEFAULT_SPEC, data, "digits")
    seconds = time.perf_counter() - start
    yield Figure("default_model_train_s", seconds, "s", "first start trains this once per server")
    yield Figure("default_model_test_acc", entry.test_acc, "fraction", "target >= 0.97")


def bench_backprop() -> Iterator[Figure]:
    from tools.bench_backprop import bench_backprop_step, bench_timeline_bytes

    r = bench_backprop_step()
    yield Figure("backprop_step_ms", r["step_ms"], "ms", "default model, batch 32; target <= 100")
    yield Figure("torch_step_ms", r["torch_step_ms"], "ms", "bare forward+backward+step, same run")
    yield Figure("backprop_step_vs_torch_step", r["ratio"], "ratio", "inspection overhead")
    kept = bench_timeline_bytes(steps=50)
    yield Figure(
        "timeline_kb_50_steps", kept["timeline_kb"], "KB", "convolution weights of 51 points"
    )
    yield Figure("timeline_full_weights_kb_50_steps", kept["full_kb"], "KB", "every weight kept")
    yield Figure("timeline_probe_model_kb", kept["probe_model_kb"], "KB", "accuracy's own copy")


def bench_compare() -> Iterator[Figure]:
    from tools.bench_compare import bench_compare_default, bench_train_loop_vs_bare_torch

    loop = bench_train_loop_vs_bare_torch()
    yield Figure("train_loop_samples_per_s", loop["project_samples_per_s"], "1/s", "per CPU s")
    yield Figure("bare_torch_samples_per_s", loop["bare_samples_per_s"], "1/s", "plain loop, NCHW")
    yield Figure("train_loop_vs_bare_torch", loop["ratio"], "ratio", "CPU time; target >= 1.3")
    spread = f"turns: {loop['ratio_lowest_turn']:.2f} to {loop['ratio_highest_turn']:.2f}"
    yield Figure("train_loop_vs_bare_torch_lowest", loop["ratio_lowest_turn"], "ratio", spread)
    yield Figure("train_loop_vs_bare_torch_wall", loop["ratio_wall"], "ratio", "wall time")
    cl = loop["channels_last_samples_per_s"]
    yield Figure("channels_last_torch_samples_per_s", cl, "1/s", "plain loop, channels-last")
    yield Figure(
        "train_loop_vs_channels_last_torch", loop["ratio_channels_last"], "ratio", "beyond layout"
    )
    run = bench_compare_default()
    yield Figure("compare_default_s", run["seconds"], "s", "CNN + ANN on digits; target <= 30")
    yield Figure("compare_cnn_test_acc", run["cnn_test_acc"], "fraction", "held-out digits")
    yield Figure("compare_ann_test_acc", run["ann_test_acc"], "fraction", "held-out digits")


def bench_real_digits() -> Iterator[Figure]:
    from tools.bench_digits import figures

    yield from figures()


def bench_pages() -> Iterator[Figure]:
    from tools.bench_pages import figures

    yield from figures()


def bench_clicks() -> Iterator[Figure]:
    from tools.bench_clicks import figures

    yield from figures()


def bench_server() -> Iterator[Figure]:
    from tools.server import figures

    yield from figures()


def bench_load() -> Iterator[Figure]:
    from tools.bench_load import figures

    yield from figures()


def bench_replicas() -> Iterator[Figure]:
    from tools.bench_replicas import figures

    yield from figures()


def bench_fuzz() -> Iterator[Figure]:
    from tools.bench_fuzz import figures

    yield from figures()


BENCHES: dict[str, Callable[[], Iterator[Figure]]] = {
    "ops": bench_ops,
    "trace": bench_trace,
    "default_training": bench_default_training,
    "backprop": bench_backprop,
    "compare": bench_compare,
    "real_digits": bench_real_digits,
    "pages": bench_pages,
    "clicks": bench_clicks,
    "server": bench_server,
    "load": bench_load,
    "replicas": bench_replicas,
    "fuzz": bench_fuzz,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHES), help="run only these groups")
    args = parser.parse_args(argv)
    groups = args.only or list(BENCHES)
    if not args.json:
        print(f"{'name':<32} {'value':>12}  {'unit':<9} note")
    for group in groups:
        for fig in BENCHES[group]():
            if args.json:
                print(
                    json.dumps({"name": fig.name, "value": round(fig.value, 6), "unit": fig.unit})
                )
            else:
                print(f"{fig.name:<32} {fig.value:>12.4g}  {fig.unit:<9} {fig.note}")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
