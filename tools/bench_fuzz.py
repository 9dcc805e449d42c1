"""Fuzz figures: `python -m tools.bench --only fuzz`.

Every hostile file of the full-size fuzz runs (the cases the fuzz tests try with
CNNEXPLAIN_FULL_SIZE=1, plus the image bombs) goes once through its loader, read one of the ways
the tests read it. Reported for pictures and for zip archives: how many cases ran, how many let
an exception other than the loader's own escape (target 0), the median time of one case, the
worst, and the most resident memory one case added. Python's allocations are not traced here,
so that the times are the loaders' own.

The machines are shared and noisy, and one slow pass says little: the slowest cases of the
first pass are timed again, and the worst figure is the largest of their medians. Processor
time is reported beside it, since it does not count the waits for a busy machine.
"""

from __future__ import annotations

import contextlib
import heapq
import statistics
from collections.abc import Callable, Iterable, Iterator
from functools import partial

from cnnexplain.io.images import ImageError, load_image
from cnnexplain.io.userdata import UserDataError, load_image_folder_zip
from tests.support.fuzz_images import image_bombs, mutated_images
from tests.support.fuzz_zips import hostile_zips
from tests.support.fuzzing import (
    IMAGE_CASES,
    SEED,
    ZIP_CASES,
    run_case,
)
from tools.bench import Figure, median_ms

MB = 1024 * 1024
# The ways the fuzz tests read each case, taken in turn.
IMAGE_READS = ({}, {"channels": 3, "size": 20}, {"channels": 3, "digit_style": True})
ZIP_READS = ({}, {"channels": 3, "size": 16})
SLOWEST = 5  # cases timed again
REPEATS = 5  # times each of them runs again


def figures() -> Iterator[Figure]:
    images = [*mutated_images(SEED, IMAGE_CASES[1]), *image_bombs()]
    yield from _figures("image", images, load_image, IMAGE_READS, ImageError, "target < 1000")
    zips = hostile_zips(SEED, ZIP_CASES[1])
    yield from _figures("zip", zips, load_image_folder_zip, ZIP_READS, UserDataError, "archive")


def _refused_or_read(call: Callable[[], object], expected: type[Exception]) -> None:
    """Run one case again; being refused with the expected error is one of its outcomes."""
    with contextlib.suppress(expected):
        call()


def _figures(
    kind: str,
    cases: Iterable[tuple[str, bytes]],
    load: Callable[..., object],
    reads: tuple[dict[str, object], ...],
    expected: type[Exception],
    worst_note: str,
) -> Iterator[Figure]:
    """Run every case once and summarise; between cases only numbers and the slowest are kept."""
    times_ms: list[float] = []
    escaped = 0
    worst_cpu = (0.0, "")
    peak = (0, "")
    slowest: list[tuple[float, int, str, Callable[[], object]]] = []  # a heap, fastest first
    for index, (description, data) in enumerate(cases):
        call = partial(load, data, **reads[index % len(reads)])
        result = run_case(description, call)
        ms = result.seconds * 1000.0
        times_ms.append(ms)
        escaped += result.error is not None and not isinstance(result.error, expected)
        worst_cpu = max(worst_cpu, (result.cpu_seconds * 1000.0, description))
        peak = max(peak, (result.rss_growth_bytes, description))
        heapq.heappush(slowest, (ms, index, description, call))
        if len(slowest) > SLOWEST:
            heapq.heappop(slowest)
    worst = max(
        (median_ms(partial(_refused_or_read, call, expected), REPEATS, warmup=0), d)
        for _, _, d, call in slowest
    )

    yield Figure(f"fuzz_{kind}_cases", len(times_ms), "cases", f"seed {SEED}")
    yield Figure(f"fuzz_{kind}_escaped", escaped, "cases", f"not {expected.__name__}; target 0")
    yield Figure(f"fuzz_{kind}_median_ms", statistics.median(times_ms), "ms", "one case")
    yield Figure(f"fuzz_{kind}_worst_ms", worst[0], "ms", f"{worst_note}; {worst[1][:55]}")
    yield Figure(f"fuzz_{kind}_worst_cpu_ms", worst_cpu[0], "ms", f"one pass; {worst_cpu[1][:55]}")
    yield Figure(f"fuzz_{kind}_peak_rss_mb", peak[0] / MB, "MB", f"target < 300; {peak[1][:55]}")
