"""The numbers a comparison is drawn with: learning curves and the side-by-side summary."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cnnexplain.experiment.design import MODEL_NAMES
from cnnexplain.experiment.result import ComparisonResult
from cnnexplain.training.train import TrainRecord


def recent_means(records: Sequence[TrainRecord], per_epoch: int, measure: str) -> list[float]:
    """The training loss or accuracy over the steps since the record before, at each record.

    A record carries the mean over its epoch so far; the mean over the last few steps alone
    follows from two such means: (sum so far - sum before) / (pictures since). Drawn as the
    training curve, it shows where the network is now instead of averaging in the start of
    the epoch, and has no jump at the start of each epoch.
    """
    means, epoch, seen_before, sum_before = [], None, 0, 0.0
    for r in records:
        if r.epoch != epoch:
            epoch, seen_before, sum_before = r.epoch, 0, 0.0
        seen = r.samples_seen - (r.epoch - 1) * per_epoch  # pictures of this epoch so far
        total = getattr(r, measure) * seen
        means.append((total - sum_before) / (seen - seen_before))
        seen_before, sum_before = seen, total
    return means


def training_curve(
    records: Sequence[TrainRecord], steps_per_epoch: int, per_epoch: int, measure: str
) -> tuple[list[float], list[float]]:
    """(epochs trained at each record, `measure` over the steps since the record before).

    `measure` is "train_loss" or "train_acc"; `per_epoch` is the pictures of one epoch.
    """
    epochs = [r.step / steps_per_epoch for r in records]
    return epochs, recent_means(records, per_epoch, measure)


def held_out_curve(records: Sequence[TrainRecord], measure: str) -> tuple[list[int], list[float]]:
    """(each finished epoch, `measure` on the held-out pictures after it).

    `measure` is "test_loss" or "test_acc", which only the records closing an epoch carry.
    """
    ends = [r for r in records if r.kind == "epoch"]
    return [r.epoch for r in ends], [getattr(r, measure) for r in ends]


def current_epochs(history: Mapping[str, Sequence[TrainRecord]]) -> dict[str, int]:
    """{"CNN": the epoch it is in or has just closed, "ANN": ...}; 0 before its first record."""
    return {name: (records[-1].epoch if records else 0) for name, records in history.items()}


@dataclass(frozen=True)
class SummaryRow:
    """One network's line in the side-by-side summary."""

    model: str  # "CNN" or "ANN"
    params: int  # weights and biases
    epochs: int | float  # epochs trained, as Comparison.epochs_done gives them
    seconds: float  # its own training time
    samples_per_second: float | None  # training speed; None before any training
    test_acc: float  # accuracy on the held-out pictures
    test_loss: float  # mean loss on the held-out pictures


def summary_rows(
    result: ComparisonResult, epochs_done: Mapping[str, int | float]
) -> list[SummaryRow]:
    """One row per network, in MODEL_NAMES order: size, training, held-out accuracy and loss."""
    rows = []
    for name in MODEL_NAMES:
        m = result.models[name]
        rate = m.samples_per_second
        rows.append(
            SummaryRow(
                model=name,
                params=m.total_params,
                epochs=epochs_done[name],
                seconds=m.train_seconds,
                samples_per_second=rate if math.isfinite(rate) else None,
                test_acc=m.test_acc,
                test_loss=m.test_loss,
            )
        )
    return rows
