"""What a comparison found, in sentences chosen from its own numbers.

The page must say what this run found, not what one might expect: every sentence here is picked
by comparing the measured numbers, and every number in it is one of them. The words live in
`texts.compare`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cnnexplain.experiment.design import ANN, BUDGET_TOLERANCE, CNN
from cnnexplain.experiment.result import ComparisonResult
from cnnexplain.experiment.robustness import RobustnessCurve
from cnnexplain.texts import compare as text

# A gap of at most this share of the held-out pictures (and at least SMALL_GAP_PICTURES
# pictures) is called small enough to come and go with the seed.
SMALL_GAP_SHARE = 0.01
SMALL_GAP_PICTURES = 2
CHANCE_MARGIN = 0.10  # within this many points of guessing is "little better than guessing"
# The strength of each change that the sentences quote, when the curve has it (else the middle).
REFERENCE_LEVELS = {"shift": 3, "rotation": 20, "noise": 0.3}


def _right(result: ComparisonResult, name: str) -> int:
    return int(result.models[name].confusion.trace())


def accuracy_sentences(
    result: ComparisonResult, data_title: str, epochs_done: Mapping[str, int | float], epochs: int
) -> list[str]:
    """How the two did on the held-out pictures, the gap between them, and how far they trained."""
    cnn, ann = result.models[CNN], result.models[ANN]
    n_test = len(result.y_test)
    same = abs(ann.total_params - cnn.total_params) <= BUDGET_TOLERANCE * cnn.total_params
    budget = (text.FIND_SAME_BUDGET if same else text.FIND_OTHER_BUDGET).format(
        cnn_params=cnn.total_params, ann_params=ann.total_params
    )
    sentences = [
        text.FIND_ACCURACY.format(
            data=data_title,
            cnn_acc=cnn.test_acc,
            ann_acc=ann.test_acc,
            n_test=n_test,
            budget=budget,
        )
    ]
    gap = _right(result, CNN) - _right(result, ANN)
    if gap == 0:
        sentences.append(text.FIND_TIE)
    else:
        sentences.append(
            text.FIND_GAP.format(
                n=abs(gap), winner=CNN if gap > 0 else ANN, points=100 * abs(gap) / n_test
            )
        )
        if abs(gap) <= max(SMALL_GAP_PICTURES, SMALL_GAP_SHARE * n_test):
            sentences.append(text.FIND_SMALL_GAP)
    chance = 1 / len(result.class_names)
    near_chance = [m.name for m in (cnn, ann) if m.test_acc < chance + CHANCE_MARGIN]
    if near_chance:
        models = text.FIND_BOTH if len(near_chance) == 2 else near_chance[0]
        sentences.append(text.FIND_CHANCE.format(chance=chance, models=models))
    if not result.complete:
        sentences.append(
            text.FIND_STOPPED.format(
                cnn_epochs=epochs_done[CNN], ann_epochs=epochs_done[ANN], epochs=epochs
            )
        )
    return sentences


def reference_index(curve: RobustnessCurve) -> int:
    """Which level of the curve the sentences quote."""
    target = REFERENCE_LEVELS.get(curve.perturbation)
    if target in curve.levels:
        return curve.levels.index(target)
    return len(curve.levels) // 2


def shift_sentence(robustness: Mapping[str, RobustnessCurve] | None) -> str | None:
    """The headline's sentence about moved pictures, when the shift curve has its level."""
    curve = (robustness or {}).get("shift")
    if curve is None or REFERENCE_LEVELS["shift"] not in curve.levels:
        return None
    i = curve.levels.index(REFERENCE_LEVELS["shift"])
    return text.FIND_SHIFT.format(
        level=curve.levels[i], cnn=curve.accuracy[CNN][i], ann=curve.accuracy[ANN][i]
    )


def speed_sentence(result: ComparisonResult) -> str | None:
    """How fast each network learned, when both trained at all."""
    cnn, ann = result.models[CNN], result.models[ANN]
    if not (cnn.train_seconds > 0 and ann.train_seconds > 0):
        return None
    return text.FIND_SPEED.format(cnn_rate=cnn.samples_per_second, ann_rate=ann.samples_per_second)


def ahead_sentence(cnn: Sequence[float], ann: Sequence[float], what: tuple[str, str]) -> str:
    """Which network was ahead at how many of the points of a curve."""
    n = len(cnn)
    cnn_ahead = sum(c > a for c, a in zip(cnn, ann, strict=True))
    ann_ahead = sum(a > c for c, a in zip(cnn, ann, strict=True))
    one, several = what
    if cnn_ahead == ann_ahead == 0:
        return text.FIND_EVEN.format(what=one)
    if cnn_ahead == n or ann_ahead == n:
        return text.FIND_AHEAD_ALL.format(model=CNN if cnn_ahead == n else ANN, what=one)
    return text.FIND_AHEAD_SOME.format(cnn=cnn_ahead, ann=ann_ahead, n=n, whats=several)


def change_sentences(curve: RobustnessCurve) -> list[str]:
    """What one robustness curve shows: the numbers at one strength, and who was ahead.

    The unchanged pictures (strength 0) are left out of the count: the headline covers them.
    """
    i = reference_index(curve)
    change = text.ROBUST_LEVEL[curve.perturbation].format(level=curve.levels[i])
    sentences = [
        text.FIND_LEVEL.format(
            change=change, cnn=curve.accuracy[CNN][i], ann=curve.accuracy[ANN][i]
        )
    ]
    changed = [k for k, level in enumerate(curve.levels) if level != 0]
    if changed:
        sentences.append(
            ahead_sentence(
                [curve.accuracy[CNN][k] for k in changed],
                [curve.accuracy[ANN][k] for k in changed],
                text.WHAT_LEVEL,
            )
        )
    return sentences


def efficiency_sentences(curves: Mapping[str, Sequence[tuple[int, float]]]) -> list[str]:
    """What the data-efficiency runs found, for the sizes both networks finished."""
    cnn, ann = dict(curves.get(CNN, ())), dict(curves.get(ANN, ()))
    sizes = sorted(set(cnn) & set(ann))
    if not sizes:
        return []
    small, large = sizes[0], sizes[-1]
    if small == large:
        sentences = [text.FIND_EFFICIENCY_ONE.format(small=small, cnn=cnn[small], ann=ann[small])]
    else:
        sentences = [
            text.FIND_EFFICIENCY.format(
                small=small,
                large=large,
                cnn_small=cnn[small],
                ann_small=ann[small],
                cnn_large=cnn[large],
                ann_large=ann[large],
            )
        ]
    sentences.append(
        ahead_sentence([cnn[s] for s in sizes], [ann[s] for s in sizes], text.WHAT_SIZE)
    )
    return sentences
