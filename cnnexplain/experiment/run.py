"""The two networks of an experiment, training side by side.

`run_experiment` trains the two in turns, a few steps of one and then the same steps of the
other, yielding a record after each chunk, so a page can draw both learning curves as they
grow. The run owns the two models; `result.finish` measures whatever they have learned so far,
so a run stopped half-way can still be compared.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

from torch import nn

from cnnexplain.experiment.design import (
    MODEL_NAMES,
    Experiment,
    build_models,
    check_data,
    training_size,
)
from cnnexplain.experiment.snapshots import Snapshot, snapshot_epochs, take
from cnnexplain.io.datasets import Dataset
from cnnexplain.training.train import TrainConfig, TrainRecord, check_report_every, train

# Gradient steps between two records of a run: a few hundredths of a second each for the
# built-in networks, so the page redraws several times a second without drawing after every step.
DEFAULT_REPORT_EVERY = 10


def planned_steps(n_train: int, config: TrainConfig) -> int:
    """Gradient steps one network takes to train every epoch of `config`."""
    return -(-training_size(n_train, config) // config.batch_size) * config.epochs


def train_on(
    model: nn.Module, data: Dataset, config: TrainConfig, report_every: int | None
) -> Iterator[TrainRecord]:
    """`train` one network on `data`'s training part, evaluated on its held-out part."""
    return train(
        model,
        data.x_train,
        data.y_train,
        data.x_test,
        data.y_test,
        config,
        report_every=report_every,
    )


@dataclass(frozen=True)
class ComparisonRecord:
    """One step forward of one of the two networks."""

    model: str  # "CNN" or "ANN"
    record: TrainRecord  # its latest record; elapsed_s is this network's own training time
    progress: float  # fraction of both networks' planned steps done, 0..1


class ExperimentRun(Iterator[ComparisonRecord]):
    """The two networks of an experiment, training in turns; iterate to train.

    Each `next()` trains one network by one chunk of `report_every` steps (or to the end of its
    epoch) and returns its record; the networks take turns, so both advance together. The run
    can be left at any point (or `close`d) and the models keep what they learned: `models`,
    `history`, `snapshots` and `train_seconds` are always up to date, and `finish(run)`
    compares the models as they are. Iterating again continues where it stopped.

    Training time counts only the time a network spends in its own steps and held-out
    evaluations, never the other network's turns or the time the page takes to draw.
    """

    def __init__(
        self,
        experiment: Experiment,
        data: Dataset,
        *,
        report_every: int | None = DEFAULT_REPORT_EVERY,
    ) -> None:
        check_data(experiment, data)
        check_report_every(report_every)
        self.experiment = experiment
        self.data = data
        self.models = build_models(experiment)
        self.history: dict[str, list[TrainRecord]] = {name: [] for name in MODEL_NAMES}
        self.train_seconds = dict.fromkeys(MODEL_NAMES, 0.0)
        self.planned_steps = planned_steps(len(data.x_train), experiment.config)  # each model
        # Each network's first layer before its first step and at the end of chosen epochs.
        self.snapshots: dict[str, list[Snapshot]] = {
            name: [take(model, epoch=0, step=0)] for name, model in self.models.items()
        }
        self._snapshot_at = snapshot_epochs(experiment.config.epochs)
        self._records = self._take_turns(report_every)

    def __next__(self) -> ComparisonRecord:
        return next(self._records)

    def close(self) -> None:
        """Stop training; the models keep their weights."""
        self._records.close()

    @property
    def progress(self) -> float:
        """Fraction of both networks' planned steps done, 0..1."""
        return self.steps_done / (len(MODEL_NAMES) * self.planned_steps)

    @property
    def steps_done(self) -> int:
        """Gradient steps both networks have taken, together."""
        return sum(records[-1].step for records in self.history.values() if records)

    @property
    def complete(self) -> bool:
        """True when both networks have trained every planned epoch."""
        return self.steps_done == len(MODEL_NAMES) * self.planned_steps

    def _take_turns(self, report_every: int | None) -> Iterator[ComparisonRecord]:
        config = self.experiment.config
        trainers = {
            name: train_on(model, self.data, config, report_every)
            for name, model in self.models.items()
        }
        waiting = list(MODEL_NAMES)
        try:
            while waiting:
                for name in tuple(waiting):
                    start = time.perf_counter()
                    record = next(trainers[name], None)
                    if record is None:
                        waiting.remove(name)
                        continue
                    self.train_seconds[name] += time.perf_counter() - start
                    record = replace(record, elapsed_s=self.train_seconds[name])
                    self.history[name].append(record)
                    if record.kind == "epoch" and record.epoch in self._snapshot_at:
                        self.snapshots[name].append(
                            take(self.models[name], epoch=record.epoch, step=record.step)
                        )
                    yield ComparisonRecord(name, record, self.progress)
        finally:
            for trainer in trainers.values():
                trainer.close()


def run_experiment(
    experiment: Experiment,
    data: Dataset,
    *,
    report_every: int | None = DEFAULT_REPORT_EVERY,
) -> ExperimentRun:
    """Start the experiment: an iterator of ComparisonRecord that trains as it is read.

    The returned run holds the two models (`run.models`), so a page that stops reading it can
    still call `finish(run)`.
    """
    return ExperimentRun(experiment, data, report_every=report_every)
