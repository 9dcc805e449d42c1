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

from cnnexplain.core.errors import LearnerError, templates

# A refused value is quoted up to this many characters: enough to recognise it, and a message
# stays one line even when the value is a huge string or array.
QUOTE_CHARS = 60


_LOW = {"above": "above {low}", "at_least": "at least {low}"}
_HIGH = {"below": "below {high}", "at_most": "at most {high}"}


def _range_templates() -> dict[str, str]:
    """One code per kind of range ("setting.range.above.at_most"), so that each language can
    word its bounds."""
    found = {}
    for low, low_words in [*_LOW.items(), ("none", None)]:
        for high, high_words in [*_HIGH.items(), ("none", None)]:
            allowed = " and ".join(w for w in (low_words, high_words) if w is not None)
            if allowed:
                found[f"setting.range.{low}.{high}"] = f"{{name}} must be {allowed}, got {{value}}."
    return found


templates(
    {
        "setting.not_a_number": "{name} must be a number, got {value}.",
        "setting.not_finite": "{name} must be a finite number, got {value}.",
        "setting.whole_range": "{name} must be a whole number from {low} to {high}, got {value}.",
        "setting.whole_min": "{name} must be a whole number of at least {low}, got {value}.",
        "setting.unknown": "Unknown {name} {value}: choose one of {options}.",
        "setting.unknown_or_none": "Unknown {name} {value}: choose one of {options}, or none.",
        "setting.not_a_pair": "{name} must be a pair ({first}, {second}), got {value}.",
        **_range_templates(),
        "conv.no_output": "conv2d: output size would be {out}: a {kernel} kernel with dilation "
        "{dilation} spans {span} pixels, more than the {size} input plus padding {padding} on "
        "each side; use a smaller kernel or more padding",
    }
)


class SettingError(LearnerError, ValueError):
    """A setting outside what it may be; `fields["name"]` is the setting's English name."""


class NoOutputError(LearnerError, ValueError):
    """A kernel that fits nowhere on the padded input (raised by the convolutions in ops):
    with these sizes, stride, padding and dilation there is no output."""


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
        raise SettingError("setting.not_a_number", name=name, value=quoted(value))
    value = float(value)
    if not math.isfinite(value):
        raise SettingError("setting.not_finite", name=name, value=repr(value))
    low_kind, low, low_ok = "none", None, True
    if above is not None:
        low_kind, low, low_ok = "above", above, value > above
    elif at_least is not None:
        low_kind, low, low_ok = "at_least", at_least, value >= at_least
    high_kind, high, high_ok = "none", None, True
    if below is not None:
        high_kind, high, high_ok = "below", below, value < below
    elif at_most is not None:
        high_kind, high, high_ok = "at_most", at_most, value <= at_most
    if not (low_ok and high_ok):
        bounds = {"low": _bound(low)} if low is not None else {}
        bounds |= {"high": _bound(high)} if high is not None else {}
        code = f"setting.range.{low_kind}.{high_kind}"
        raise SettingError(code, name=name, value=repr(value), **bounds)
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
        if high is None:
            raise SettingError("setting.whole_min", name=name, low=low, value=quoted(value))
        raise SettingError(
            "setting.whole_range", name=name, low=low, high=high, value=quoted(value)
        )
    return count


def choice(name: str, value: Any, options: tuple[str, ...], *, none: bool = False) -> str | None:
    """`value` when it is one of `options` (or None, when `none` allows it); else a ValueError
    naming `name` ("optimizer") and listing the options."""
    if (none and value is None) or (isinstance(value, str) and value in options):
        return value
    code = "setting.unknown_or_none" if none else "setting.unknown"
    raise SettingError(code, name=name, value=quoted(value), options=", ".join(options))


def pair(name: str, value: Any, first: str, second: str) -> tuple[Any, Any]:
    """`value` as a pair (first, second), unchecked inside; else a ValueError naming `name`."""
    if isinstance(value, str) or not hasattr(value, "__len__") or len(value) != 2:
        raise SettingError(
            "setting.not_a_pair", name=name, first=first, second=second, value=quoted(value)
        )
    return value[0], value[1]
