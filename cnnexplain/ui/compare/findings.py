"""What a comparison found, in words.

`experiment.findings` decides what the run's numbers say; this module only picks the sentence
of `texts.compare` that says it and fills in the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cnnexplain.experiment.design import ANN, CNN
from cnnexplain.experiment.findings import (
    AccuracyFinding,
    Lead,
    LevelFinding,
    accuracy_finding,
    curve_finding,
    efficiency_finding,
    shift_finding,
    speed_finding,
)
from cnnexplain.experiment.result import ComparisonResult
from cnnexplain.experiment.robustness import RobustnessCurve
from cnnexplain.texts import compare as text

PARAGRAPH_WORDS = 50  # past this a block is hard to read: the next sentence starts a new one


def headline(
    result: ComparisonResult,
    robustness: Mapping[str, RobustnessCurve] | None,
    data_title: str,
    epochs_done: Mapping[str, int | float],
    epochs: int,
) -> str:
    """The results' opening paragraph: accuracy and the gap, then moved pictures and speed."""
    sentences = accuracy_sentences(accuracy_finding(result), data_title, epochs_done, epochs)
    shift = shift_finding(robustness)
    if shift is not None:
        sentences.append(_shift_sentence(shift))
    speed = speed_finding(result)
    if speed is not None:
        sentences.append(text.FIND_SPEED.format(cnn_rate=speed[CNN], ann_rate=speed[ANN]))
    return paragraphs(sentences)


def paragraphs(sentences: Sequence[str]) -> str:
    """The sentences in order, in paragraphs of at most PARAGRAPH_WORDS words (a longer
    sentence stands alone), separated by blank lines."""
    blocks: list[list[str]] = []
    for sentence in sentences:
        count = len(sentence.split())
        if blocks and sum(len(s.split()) for s in blocks[-1]) + count <= PARAGRAPH_WORDS:
            blocks[-1].append(sentence)
        else:
            blocks.append([sentence])
    return "\n\n".join(" ".join(block) for block in blocks)


def accuracy_sentences(
    found: AccuracyFinding, data_title: str, epochs_done: Mapping[str, int | float], epochs: int
) -> list[str]:
    """How the two did on the held-out pictures, the gap between them, and how far they trained."""
    budget = (text.FIND_SAME_BUDGET if found.same_budget else text.FIND_OTHER_BUDGET).format(
        cnn_params=found.params[CNN], ann_params=found.params[ANN]
    )
    sentences = [
        text.FIND_ACCURACY.format(
            data=data_title,
            cnn_acc=found.test_acc[CNN],
            ann_acc=found.test_acc[ANN],
            n_test=found.n_test,
            budget=budget,
        )
    ]
    if found.winner is None:
        sentences.append(text.FIND_TIE)
    else:
        sentences.append(
            text.FIND_GAP.format(n=found.gap, winner=found.winner, points=found.points)
        )
    if found.small_gap:
        sentences.append(text.FIND_SMALL_GAP)
    if found.near_chance:
        models = text.FIND_BOTH if len(found.near_chance) == 2 else found.near_chance[0]
        sentences.append(text.FIND_CHANCE.format(chance=found.chance, models=models))
    if not found.complete:
        sentences.append(
            text.FIND_STOPPED.format(
                cnn_epochs=epochs_done[CNN], ann_epochs=epochs_done[ANN], epochs=epochs
            )
        )
    return sentences


def _shift_sentence(found: LevelFinding) -> str:
    return text.FIND_SHIFT.format(
        level=found.level, cnn=found.accuracy[CNN], ann=found.accuracy[ANN]
    )


def _lead_sentence(lead: Lead, what: Sequence[str]) -> str:
    """Which network was ahead at how many of the points of a curve."""
    one, several = what
    if lead.even:
        return text.FIND_EVEN.format(what=one)
    if lead.leader is not None:
        return text.FIND_AHEAD_ALL.format(model=lead.leader, what=one)
    return text.FIND_AHEAD_SOME.format(
        cnn=lead.ahead[CNN], ann=lead.ahead[ANN], n=lead.n, whats=several
    )


def curve_words(curve: RobustnessCurve) -> str:
    """What one robustness curve shows: the numbers at one strength, and who was ahead."""
    found = curve_finding(curve)
    at = found.at
    change = text.ROBUST_LEVEL[at.perturbation].format(level=at.level)
    sentences = [text.FIND_LEVEL.format(change=change, cnn=at.accuracy[CNN], ann=at.accuracy[ANN])]
    if found.lead is not None:
        sentences.append(_lead_sentence(found.lead, text.WHAT_LEVEL))
    return " ".join(sentences)


def efficiency_words(curves: Mapping[str, Sequence[tuple[int, float]]]) -> str | None:
    """What the data-efficiency runs found; None until both networks finish one size."""
    found = efficiency_finding(curves)
    if found is None:
        return None
    small, large = found.at_smallest, found.at_largest
    if found.smallest == found.largest:
        first = text.FIND_EFFICIENCY_ONE.format(
            small=found.smallest, cnn=small[CNN], ann=small[ANN]
        )
    else:
        first = text.FIND_EFFICIENCY.format(
            small=found.smallest,
            large=found.largest,
            cnn_small=small[CNN],
            ann_small=small[ANN],
            cnn_large=large[CNN],
            ann_large=large[ANN],
        )
    return " ".join([first, _lead_sentence(found.lead, text.WHAT_SIZE)])
