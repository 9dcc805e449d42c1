"""Damaged, lying and oversized picture files: each loads or raises ImageError, in bounded memory.

The files come from tests.support.fuzz_images, seeded. A run is bounded by default; with
CNNEXPLAIN_FULL_SIZE=1 it tries about 30 times more files. Nothing here is timed (the project
keeps timing out of tests): `python -m tools.bench --only fuzz` reports how long cases take.
"""

import re
from functools import partial

import numpy as np
import pytest

from cnnexplain.io.images import (
    ACCEPTED_FORMATS,
    MAX_PIXELS,
    ImageError,
    describe_image,
    load_image,
)
from tests.support.fuzz_images import image_bombs, mutated_images, seed_images
from tests.support.fuzzing import (
    IMAGE_CASES,
    SEED,
    CaseResult,
    case_count,
    full_size,
    run_case,
)

CASES = case_count(*IMAGE_CASES)
MB = 1024 * 1024
# Peak resident memory of the process during one call, over its level before the call. The
# largest pictures accepted are decoded whole, and WebP's decoder makes several copies: 230 MB.
RSS_LIMIT = 300 * MB
# Python's own allocations during one call (pixels live in C and are not counted here).
TRACED_LIMIT = 64 * MB

# (keyword arguments, channels, size of the result): each case is read in one of these ways.
READS = [
    ({}, 1, 28),
    ({"channels": 3, "size": 20}, 3, 20),
    ({"channels": 3, "digit_style": True}, 3, 28),
]


pytestmark = pytest.mark.usefixtures("lifetime_peak_memory")  # bounded by RSS_LIMIT


def problems_with_image(result: CaseResult, channels: int, size: int) -> list[str]:
    """What is wrong with one load_image call's outcome; empty when it is acceptable."""
    found = []
    if result.error is None:
        x = result.value
        if not isinstance(x, np.ndarray) or x.shape != (channels, size, size):
            found.append(f"returned {getattr(x, 'shape', x)!r}")
        elif x.dtype != np.float32 or not np.isfinite(x).all() or x.min() < 0 or x.max() > 1:
            found.append(f"returned {x.dtype} values from {x.min()} to {x.max()}")
    else:
        found += problems_with_error(result.error)
    found += problems_with_memory(result)
    return found


def problems_with_error(error: Exception) -> list[str]:
    """An ImageError whose message is a plain sentence for a learner, or what else it was."""
    if not isinstance(error, ImageError):
        return [f"raised {type(error).__name__}: {error}"]
    message = str(error)
    sentence = re.fullmatch(r"[A-Z][^\n]{10,300}[.!]", message) is not None
    jargon = re.search(
        r"\bPIL\b|[Ee]rrno|[Tt]raceback|[Dd]ecoder|0x[0-9a-fA-F]|\w+Error\b", message
    )
    if not sentence or jargon:
        return [f"gave the message {message!r}"]
    return []


def problems_with_memory(result: CaseResult) -> list[str]:
    found = []
    if result.rss_growth_bytes > RSS_LIMIT:
        found.append(f"grew resident memory by {result.rss_growth_bytes / MB:.0f} MB")
    if result.traced_peak_bytes is not None and result.traced_peak_bytes > TRACED_LIMIT:
        found.append(f"allocated {result.traced_peak_bytes / MB:.0f} MB in Python")
    return found


def problems_with_description(result: CaseResult) -> list[str]:
    if result.error is not None:
        return problems_with_error(result.error) + problems_with_memory(result)
    info = result.value
    found = problems_with_memory(result)
    if info["format"] not in (*ACCEPTED_FORMATS, "MPO"):
        found.append(f"reported the format {info['format']!r}")
    if not 1 <= info["width"] * info["height"] <= MAX_PIXELS or info["frames"] < 1:
        found.append(f"reported {info}")
    return found


def check_cases(cases, reads=READS) -> None:
    """Read every case (the ways in `reads` taken in turn) and describe it.

    Every problem is collected, so that one run shows them all.
    """
    failures = []
    for index, (description, data) in enumerate(cases):
        options, channels, size = reads[index % len(reads)]
        loaded = run_case(description, partial(load_image, data, **options), trace_python=True)
        for problem in problems_with_image(loaded, channels, size):
            failures.append(f"{description}: load_image(**{options}) {problem}")
        described = run_case(description, partial(describe_image, data), trace_python=True)
        for problem in problems_with_description(described):
            failures.append(f"{description}: describe_image {problem}")
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures[:30])


@pytest.fixture(scope="module")
def bombs() -> list[tuple[str, bytes]]:
    return list(image_bombs())


def test_mutated_files_load_or_raise_image_error():
    check_cases(mutated_images(SEED, CASES))


def test_small_files_with_large_pictures_stay_within_memory(bombs):
    # Bounded, each bomb is read one of the three ways; at full size, all three.
    for turn in range(len(READS) if full_size() else 1):
        check_cases(bombs, reads=READS[turn:] + READS[:turn])


def test_every_seed_file_is_a_valid_picture():
    # Mutations start from these: if one did not load, its mutants would test nothing.
    for name, data in seed_images():
        x = load_image(data, channels=3)
        assert x.shape == (3, 28, 28), name
        assert describe_image(data)["width"] == 24, name


def test_lying_headers_reach_the_reader():
    # A lie that the fuzzer writes in the wrong place would test nothing: the reader must
    # report the size the lying header declares, whenever it accepts it.
    lie = re.compile(r"#\d+ (\S+): (IHDR|SOF|BMP|VP8X canvas) says (\d+) x (-?\d+)")
    believed = 0
    for description, data in mutated_images(SEED, 1_500):
        match = lie.fullmatch(description)
        if match is None:
            continue
        try:
            info = describe_image(data)
        except ImageError:
            continue
        assert (info["width"], info["height"]) == (int(match[3]), abs(int(match[4]))), description
        believed += 1
    assert believed >= 20


def test_any_seed_gives_files():
    # Mutations stack, so a later one may meet a file an earlier one cut short.
    for seed in range(1, 6):
        assert sum(1 for _ in mutated_images(seed, 2_000)) == 2_000


def test_the_same_seed_gives_the_same_files():
    first = list(mutated_images(7, 50))
    assert list(mutated_images(7, 50)) == first
    assert list(mutated_images(8, 50)) != first
    assert [d.split(":")[0] for d, _ in first[:3]] == ["#0 png-gray", "#1 png-rgb", "#2 png-rgba"]
