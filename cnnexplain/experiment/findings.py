"""What a comparison found, as facts read off its own numbers.

A page must say what this run found, not what one might expect: each fact here is decided by
comparing the measured numbers (which network got more right, by how much, whether that is
near guessing), and each number in it is one of them. The words are the page's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from cnnexplain.experiment.design import ANN, CNN, MODEL_NAMES, same_budget
from cnnexplain.experiment.result import ComparisonResult
from cnnexplain.experiment.robustness import RobustnessCurve

# A gap of at most this share of the held-out pictures (and at least SMALL_GAP_PICTURES
# pictures) is called small enough to come and go with the seed.
SMALL_GAP_SHARE = 0.01
SMALL_GAP_PICTURES = 2
CHANCE_MARGIN = 0.10  # within this much accuracy of guessing is "little better than guessing"
# The strength of each change that the findings quote, when the curve has it (else the middle).
REFERENCE_LEVELS = {"shift": 3, "rotation": 20, "noise": 0.3}


def chance_level(result: ComparisonResult) -> float:
    """The accuracy of the best blind guess: always the most common class of the held-out set.

    That is 1/K for K classes of equal size, and the largest class's share otherwise: on a set
    that is 90% one class, a network that never looks at the picture gets 90% right.
    """
    counts = np.bincount(result.y_test, minlength=len(result.class_names))
    return float(counts.max() / counts.sum())


@dataclass(frozen=True)
class AccuracyFinding:
    """How the two networks did on the held-out pictures, and how they compare."""

    n_test: int  # held-out pictures both were tested on
    test_acc: dict[str, float]  # {"CNN": accuracy, "ANN": accuracy}
    params: dict[str, int]  # {"CNN": parameters, "ANN": parameters}
    same_budget: bool  # the two have about as many parameters (design.same_budget)
    gap: int  # pictures the winner got right beyond the other; 0 for a tie
    winner: str | None  # "CNN" or "ANN", whichever got more right; None for a tie
    small_gap: bool  # a gap (not a tie) small enough to come and go with the seed
    chance: float  # the accuracy of always answering the most common class (chance_level)
    near_chance: tuple[str, ...]  # the networks within CHANCE_MARGIN of guessing
    complete: bool  # both networks trained every planned step

    @property
    def points(self) -> float:
        """The gap in percentage points of the held-out set."""
        return 100 * self.gap / self.n_test


def accuracy_finding(result: ComparisonResult) -> AccuracyFinding:
    """What the two networks' held-out accuracy says."""
    models = result.models
    n_test = len(result.y_test)
    right = {name: int(models[name].confusion.trace()) for name in MODEL_NAMES}
    gap = right[CNN] - right[ANN]
    chance = chance_level(result)
    return AccuracyFinding(
        n_test=n_test,
        test_acc={name: models[name].test_acc for name in MODEL_NAMES},
        params={name: models[name].total_params for name in MODEL_NAMES},
        same_budget=same_budget(models[CNN].total_params, models[ANN].total_params),
        gap=abs(gap),
        winner=None if gap == 0 else CNN if gap > 0 else ANN,
        small_gap=gap != 0 and abs(gap) <= max(SMALL_GAP_PICTURES, SMALL_GAP_SHARE * n_test),
        chance=chance,
        near_chance=tuple(
            name for name in MODEL_NAMES if models[name].test_acc < chance + CHANCE_MARGIN
        ),
        complete=result.complete,
    )


def speed_finding(result: ComparisonResult) -> dict[str, float] | None:
    """{"CNN": samples per second, "ANN": ...} of their training; None unless both trained."""
    models = result.models
    if not all(models[name].train_seconds > 0 for name in MODEL_NAMES):
        return None
    return {name: models[name].samples_per_second for name in MODEL_NAMES}


@dataclass(frozen=True)
class LevelFinding:
    """Both networks' accuracy at one strength of one change to the pictures."""

    perturbation: str  # "shift", "rotation" or "noise"
    level: float  # the strength of the change
    accuracy: dict[str, float]  # {"CNN": accuracy, "ANN": accuracy} at that strength


def reference_index(curve: RobustnessCurve) -> int:
    """Which level of the curve the findings quote."""
    target = REFERENCE_LEVELS.get(curve.perturbation)
    if target in curve.levels:
        return curve.levels.index(target)
    return len(curve.levels) // 2


def _at(curve: RobustnessCurve, i: int) -> LevelFinding:
    accuracy = {name: curve.accuracy[name][i] for name in MODEL_NAMES}
    return LevelFinding(curve.perturbation, curve.levels[i], accuracy)


def shift_finding(robustness: Mapping[str, RobustnessCurve] | None) -> LevelFinding | None:
    """The shift curve at its reference level; None when there is no such point."""
    curve = (robustness or {}).get("shift")
    if curve is None or REFERENCE_LEVELS["shift"] not in curve.levels:
        return None
    return _at(curve, curve.levels.index(REFERENCE_LEVELS["shift"]))


def first_shift_below(
    robustness: Mapping[str, RobustnessCurve] | None, name: str, share: float = 0.5
) -> float | None:
    """The smallest shift at which network `name` gets less than `share` of the moved pictures
    right; None when it never does (or nothing was measured)."""
    curve = (robustness or {}).get("shift")
    if curve is None:
        return None
    below = [lv for lv, acc in zip(curve.levels, curve.accuracy[name], strict=True) if acc < share]
    return min(below, default=None)


@dataclass(frozen=True)
class Lead:
    """At how many points of a curve each network was ahead of the other."""

    ahead: dict[str, int]  # {"CNN": points where the CNN is higher, "ANN": ...}
    n: int  # points compared

    @property
    def even(self) -> bool:
        """Neither was ahead anywhere."""
        return not any(self.ahead.values())

    @property
    def leader(self) -> str | None:
        """The network ahead at every point, if there is one."""
        return next((name for name, count in self.ahead.items() if count == self.n), None)


def lead(cnn: Sequence[float], ann: Sequence[float]) -> Lead:
    """Which network was ahead at how many points of two curves over the same points."""
    pairs = list(zip(cnn, ann, strict=True))
    ahead = {CNN: sum(c > a for c, a in pairs), ANN: sum(a > c for c, a in pairs)}
    return Lead(ahead, len(pairs))


@dataclass(frozen=True)
class CurveFinding:
    """What one robustness curve shows."""

    at: LevelFinding  # the curve at its reference level (reference_index)
    lead: Lead | None  # who was ahead at the changed strengths; None when nothing changed


def curve_finding(curve: RobustnessCurve) -> CurveFinding:
    """The curve at one strength, and who was ahead where the pictures were changed.

    The unchanged pictures (strength 0) are left out of the count: the accuracy finding
    covers them.
    """
    changed = [k for k, level in enumerate(curve.levels) if level != 0]
    found = None
    if changed:
        found = lead(
            [curve.accuracy[CNN][k] for k in changed], [curve.accuracy[ANN][k] for k in changed]
        )
    return CurveFinding(_at(curve, reference_index(curve)), found)


@dataclass(frozen=True)
class EfficiencyFinding:
    """What the data-efficiency runs found, over the sizes both networks finished."""

    smallest: int  # the smallest training set both finished
    largest: int  # the largest; the same as `smallest` when they finished only one
    at_smallest: dict[str, float]  # {"CNN": held-out accuracy, "ANN": ...} trained on `smallest`
    at_largest: dict[str, float]  # the same, trained on `largest`
    lead: Lead  # who was ahead at how many of those sizes


def efficiency_finding(
    curves: Mapping[str, Sequence[tuple[int, float]]],
) -> EfficiencyFinding | None:
    """The finding of `efficiency_curves`; None until both networks finish one size."""
    cnn, ann = dict(curves.get(CNN, ())), dict(curves.get(ANN, ()))
    sizes = sorted(set(cnn) & set(ann))
    if not sizes:
        return None
    small, large = sizes[0], sizes[-1]
    return EfficiencyFinding(
        smallest=small,
        largest=large,
        at_smallest={CNN: cnn[small], ANN: ann[small]},
        at_largest={CNN: cnn[large], ANN: ann[large]},
        lead=lead([cnn[s] for s in sizes], [ann[s] for s in sizes]),
    )
