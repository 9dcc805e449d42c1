"""Checks on the numbers a learner's choices become, shared by the library's entry points.

The pages limit their widgets, but the library does not count on that: a value from a tampered
session or from a script is checked here as well. Each check returns the value as a plain
Python int or float, or raises ValueError with a message that names the setting, says in plain
words what is allowed and quotes what it got. The name begins the message, which a page may show
on its own, so it starts with a capital letter:

    "The learning rate must be above 0 and at most 10, got 0.0."
    "Epochs must be a whole number from 1 to 200, got 1.5."
"""

from __future__ import annotations

import math
import numbers
import operator
from typing import Any

# A refused value is quoted up to this many characters: enough to recognise it, and a message
# stays one line even when the value is a huge string or array.
QUOTE_CHARS = 60


def quoted(value: Any) -> str:
    """repr(value), cut short to QUOTE_CHARS characters."""
    text = repr(value)
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def _bound(value: float) -> str:
    return f"{value:g}"


def number(
    name: str,
    value: Any,
    *,
    above: float | None = None,
    at_least: float | None = None,
    below: float | None = None,
    at_most: float | None = None,
) -> float:
    """`value` as a finite Python float inside the given bounds, or a ValueError naming `name`.

    A bool is refused (True is not a learning rate), so are strings, NaN and infinities.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {quoted(value)}.")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    low = high = None
    if above is not None:
        low = (value > above, f"above {_bound(above)}")
    elif at_least is not None:
        low = (value >= at_least, f"at least {_bound(at_least)}")
    if below is not None:
        high = (value < below, f"below {_bound(below)}")
    elif at_most is not None:
        high = (value <= at_most, f"at most {_bound(at_most)}")
    limits = [limit for limit in (low, high) if limit is not None]
    if not all(ok for ok, _ in limits):
        allowed = " and ".join(words for _, words in limits)
        raise ValueError(f"{name} must be {allowed}, got {value!r}.")
    return value


def fraction(name: str, value: Any) -> float:
    """A momentum or a beta: at least 0 and below 1 (1 would never forget, more would blow up)."""
    return number(name, value, at_least=0, below=1)


def whole(name: str, value: Any, low: int, high: int | None = None) -> int:
    """`value` as a Python int from `low` to `high` (no upper end when None).

    Any integer type is taken (numpy's too); bools and floats are refused, even 3.0: a count
    typed as a float is a sign of a mix-up somewhere.
    """
    try:
        count = None if isinstance(value, bool) else operator.index(value)
    except TypeError:
        count = None
    if count is None or count < low or (high is not None and count > high):
        allowed = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ValueError(f"{name} must be a whole number {allowed}, got {quoted(value)}.")
    return count
