"""Hostile and damaged zip archives: each loads or raises UserDataError, in bounded memory.

The archives come from tests.support.fuzz_zips, seeded: paths that leave the archive, links and
devices, thousands of entries, entries that unpack hugely or lie about their size, tables of
contents that disagree, and valid archives with bytes flipped or cut off. A run is bounded by
default; with CNNEXPLAIN_FULL_SIZE=1 it tries about 30 times more. Nothing here is timed:
`python -m tools.bench --only fuzz` reports how long cases take.
"""

import re
from functools import partial

import numpy as np
import pytest

from cnnexplain.io.userdata import UserDataError, load_image_folder_zip
from tests.support.fuzz_zips import hostile_zips
from tests.support.fuzzing import SEED, ZIP_CASES, CaseResult, case_count, run_case

CASES = case_count(*ZIP_CASES)
MB = 1024 * 1024
# One archive is read one picture at a time, at most 20 MB each: far below these.
RSS_LIMIT = 300 * MB
TRACED_LIMIT = 128 * MB

# (keyword arguments, channels, size of the pictures): each archive is read one of these ways.
READS = [({}, 1, 28), ({"channels": 3, "size": 16}, 3, 16)]


pytestmark = pytest.mark.usefixtures("lifetime_peak_memory")  # bounded by RSS_LIMIT


def problems_with_load(result: CaseResult, channels: int, size: int) -> list[str]:
    """What is wrong with one load_image_folder_zip call's outcome; empty when acceptable."""
    found = []
    if result.rss_growth_bytes > RSS_LIMIT:
        found.append(f"grew resident memory by {result.rss_growth_bytes / MB:.0f} MB")
    if result.traced_peak_bytes is not None and result.traced_peak_bytes > TRACED_LIMIT:
        found.append(f"allocated {result.traced_peak_bytes / MB:.0f} MB in Python")
    if result.error is not None:
        if not isinstance(result.error, UserDataError):
            return [*found, f"raised {type(result.error).__name__}: {result.error}"]
        message = str(result.error)
        if not re.fullmatch(r"[A-Z\"][^\n]{10,600}[.!]", message) or "Error" in message:
            found.append(f"gave the message {message!r}")
        return found

    data, report = result.value
    n_classes = len(data.class_names)
    for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
        if x.dtype != np.float32 or x.shape[1:] != (channels, size, size) or len(x) != len(y):
            found.append(f"returned pictures {x.dtype} {x.shape} for {len(y)} labels")
        elif len(x) and not (np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1):
            found.append(f"returned values from {x.min()} to {x.max()}")
        if len(y) and not (y.min() >= 0 and y.max() < n_classes):
            found.append(f"returned labels {sorted(set(y.tolist()))} for {n_classes} classes")
    if n_classes < 2 or report.class_names != data.class_names:
        found.append(f"returned the classes {data.class_names} (report: {report.class_names})")
    n_pictures = len(data.y_train) + len(data.y_test)
    if not sum(report.counts) == report.n_train + report.n_test == n_pictures:
        found.append(f"reported {report.counts} for {report.n_train} + {report.n_test}")
    return found


def test_hostile_archives_load_or_raise_user_data_error():
    failures = []
    for index, (description, archive) in enumerate(hostile_zips(SEED, CASES)):
        options, channels, size = READS[index % len(READS)]
        result = run_case(
            description, partial(load_image_folder_zip, archive, **options), trace_python=True
        )
        failures += [f"{description}: {p}" for p in problems_with_load(result, channels, size)]
        del result  # what a case returned or raised can be large: never keep two at once
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures[:30])


def test_every_kind_of_hostile_archive_is_made():
    # The bounded run is short; it must still meet each kind of archive the generator makes.
    kinds = {
        "entry named": 0, "entry (system": 0, "entries of": 0, "levels deep": 0,
        "MB of zeros": 0, "overlapping": 0, "method": 0, "archive with": 0, "record at": 0,
        "zip64 end record declaring": 0, "declared only by a zip64": 0,
    }  # fmt: skip
    for description, _ in hostile_zips(SEED, ZIP_CASES[0]):
        for kind in kinds:
            kinds[kind] += kind in description
    assert all(kinds.values()), kinds


def test_the_same_seed_gives_the_same_archives():
    first = list(hostile_zips(3, 20))
    assert list(hostile_zips(3, 20)) == first
    assert list(hostile_zips(4, 20)) != first
