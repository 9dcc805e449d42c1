"""What the fuzz tests and the fuzz bench share: how many cases, and one case run and measured.

The cases come from `fuzz_images` (damaged and lying picture files) and `fuzz_zips` (hostile
archives), both generated from a seed: the same seed gives the same files, and every
description starts with the case's index, so a failing case can be made again.

`case_count` reads CNNEXPLAIN_FULL_SIZE, which the fuzz tests and the load test share: unset,
runs stay short enough for every test run; "1" asks for the full size. `run_case` calls a loader
on one case and measures its time and peak memory, for the tests and for the bench alike.
"""

from __future__ import annotations

import os
import re
import resource
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

FULL_SIZE_ENV = "CNNEXPLAIN_FULL_SIZE"
SEED = 0  # of the fuzz tests and the fuzz bench, so the bench runs the tests' cases and more
# Cases per run: bounded for every test run, full with CNNEXPLAIN_FULL_SIZE=1 and in the bench.
IMAGE_CASES = (300, 10_000)
ZIP_CASES = (60, 2_000)


def full_size() -> bool:
    """True when CNNEXPLAIN_FULL_SIZE=1 asks for full-size runs."""
    return os.environ.get(FULL_SIZE_ENV, "").strip() == "1"


def case_count(bounded: int, full: int) -> int:
    """`full` when CNNEXPLAIN_FULL_SIZE=1, else `bounded`."""
    return full if full_size() else bounded


# ---------------------------------------------------------------------------------------------
# Measuring one case


@dataclass(frozen=True)
class CaseResult:
    """What one call of a loader on one hostile input did."""

    description: str  # which case, as the generator named it
    value: object  # what the loader returned, or None when it raised
    error: Exception | None  # what it raised, or None when it returned
    seconds: float  # wall time of the call
    cpu_seconds: float  # processor time of the call: what it costs on a busy shared machine
    traced_peak_bytes: int | None  # Python's own allocations; None unless tracemalloc runs
    rss_growth_bytes: int  # peak resident memory during the call, over the level before it


def run_case(
    description: str, load: Callable[[], object], *, trace_python: bool = False
) -> CaseResult:
    """Call `load()` once, catching whatever it raises, and measure it.

    trace_python: also measure Python's own allocations with tracemalloc, for this call only
    (tracing slows Python code several times over, so timings should be taken without it).

    tracemalloc sees only Python's allocations; pixel buffers and decompressors allocate in C,
    so the process's peak resident memory is measured too. On Linux the peak is reset before
    the call (/proc/self/clear_refs), so the growth belongs to this call; elsewhere it is the
    growth of the process's lifetime peak, which misses a call that stays below an earlier
    peak. Memory the allocator kept from earlier calls is reused without growing either
    measure, so both are lower bounds.

    The result holds what the loader returned or raised (with its traceback): check it and let
    it go, rather than keep thousands of them.
    """
    started_here = trace_python and not tracemalloc.is_tracing()
    if started_here:
        tracemalloc.start()
    traced_before = 0
    if tracemalloc.is_tracing():
        tracemalloc.reset_peak()
        traced_before = tracemalloc.get_traced_memory()[0]
    resettable = _reset_peak_rss()
    before = _current_rss_bytes() if resettable else _peak_rss_bytes()
    value: object = None
    error: Exception | None = None
    start, start_cpu = time.perf_counter(), time.process_time()
    try:
        value = load()
    except Exception as exc:  # the caller decides which exceptions were acceptable
        error = exc
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    growth = max(0, _peak_rss_bytes() - before)
    traced = None
    if tracemalloc.is_tracing():
        traced = tracemalloc.get_traced_memory()[1] - traced_before
    if started_here:
        tracemalloc.stop()
    return CaseResult(description, value, error, seconds, cpu_seconds, traced, growth)


def _proc_status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            match = re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.MULTILINE)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def _reset_peak_rss() -> bool:
    """Set the process's peak resident memory back to its current level, where Linux allows."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return _proc_status_kb("VmHWM") is not None


def _current_rss_bytes() -> int:
    kb = _proc_status_kb("VmRSS")
    return kb * 1024 if kb is not None else _peak_rss_bytes()


def _peak_rss_bytes() -> int:
    kb = _proc_status_kb("VmHWM")
    if kb is None:  # ru_maxrss is in kB on Linux (bytes on macOS, where this over-reports)
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb * 1024
