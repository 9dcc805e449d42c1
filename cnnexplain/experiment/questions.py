"""The right answer to the comparison page's question, from the run's own measurements."""

from __future__ import annotations

from collections.abc import Mapping

from cnnexplain.experiment.findings import REFERENCE_LEVELS, shift_finding
from cnnexplain.experiment.robustness import RobustnessCurve

QUESTION_SHIFT = REFERENCE_LEVELS["shift"]  # pixels: the shift the question asks about


def more_accurate_when_shifted(
    robustness: Mapping[str, RobustnessCurve] | None,
) -> tuple[str | None, dict[str, float] | None]:
    """(winner, {network: accuracy}) on the held-out pictures moved QUESTION_SHIFT pixels.

    winner is "CNN" or "ANN", whichever got more right, or None for a tie; both are None when
    the run did not measure that shift.
    """
    found = shift_finding(robustness)
    if found is None:
        return None, None
    (first, a), (second, b) = found.accuracy.items()
    winner = None if a == b else first if a > b else second
    return winner, dict(found.accuracy)
