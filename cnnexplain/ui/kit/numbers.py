"""Numbers written for the Simple level: plain decimals, never scientific notation."""

from __future__ import annotations

import math

SIGNIFICANT = 5  # digits kept after the leading zeros: 0.00052346, 12.346, 1,234.5


def plain(value: float, significant: int = SIGNIFICANT) -> str:
    """`value` as a plain decimal with `significant` significant digits (whole numbers keep
    all their digits), thousands grouped, a true minus sign: 0.00052, 1,234.5, −3.2.

    A tiny value is written out in full (0.000000012), never as "about 0": the learner may
    need to see that it is small but not zero.
    """
    value = float(value)
    if not math.isfinite(value):
        return str(value).replace("-", "−")
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(significant - 1 - magnitude, 0)
    s = f"{value:,.{decimals}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s in ("-0", "0"):  # rounding reached the next power of ten's lower side only for 0
        return "0"
    return s.replace("-", "−")


def arrow(change: float) -> str:
    """The arrow st.metric draws beside `change`: Streamlit reads a change written with a
    true minus sign (plain's −3.2) as a rise, so the pages say which way it went."""
    return "down" if change < 0 else "up" if change > 0 else "off"
