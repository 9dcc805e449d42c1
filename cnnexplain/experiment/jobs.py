"""One learner's comparison, kept across script runs: training that can stop and go on.

Streamlit runs a page's script from top to bottom on every click, and training takes minutes,
so training lives in a `Job`: an iterator of records, kept in the user's session state, that
each script run reads on from where the last one left off. When the learner clicks anything,
Streamlit interrupts the running script at its next drawing call, and (with fast reruns, the
default) starts the next run at once, on another thread. By then the record just read is
stored, and the iterator waits between two records: the next run reads on. Stop asks the job to
stop before its next record; the models keep what they learned, and Continue reads on.

A `Comparison` is one experiment: its run, its jobs and what was measured from them. Its lock
lets one script run at a time train or measure: the run that was interrupted finishes its few
steps of training, reaches its next drawing call, ends there, and lets go of the lock.

Nothing here imports Streamlit, so the whole cycle can be tested without it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from cnnexplain.experiment.design import Experiment
from cnnexplain.experiment.efficiency import (
    DEFAULT_MIN_STEPS,
    DEFAULT_SIZES,
    EfficiencyRecord,
    data_efficiency,
    efficiency_curves,
    training_sizes,
)
from cnnexplain.experiment.result import ComparisonResult, finish
from cnnexplain.experiment.robustness import RobustnessCurve, robustness_curves
from cnnexplain.experiment.run import ComparisonRecord, ExperimentRun, run_experiment
from cnnexplain.io.datasets import Dataset

R = TypeVar("R")
RUNNING, STOPPED, COMPLETE = "running", "stopped", "complete"


class Job(Generic[R]):
    """An iterator of records read over several script runs, which can be stopped and resumed.

    `history` holds every record read so far. `status` is RUNNING (more to read), STOPPED
    (stopped by request; `resume` goes on) or COMPLETE (the iterator is used up).
    """

    def __init__(self, records: Iterator[R]) -> None:
        self._records = records
        self.history: list[R] = []
        self.status = RUNNING
        self._stop_asked = False

    @property
    def running(self) -> bool:
        return self.status == RUNNING

    def request_stop(self) -> None:
        """Ask the job to stop before its next record (a Stop button's callback)."""
        if self.status == RUNNING:
            self._stop_asked = True

    def resume(self) -> None:
        """Go on reading after a stop."""
        if self.status == STOPPED:
            self.status = RUNNING

    def advance(self, on_record: Callable[[R], None] | None = None) -> None:
        """Read records until the iterator ends or a stop is asked, calling on_record after each.

        Each record is stored before `on_record` sees it, so an exception from `on_record`
        (Streamlit interrupting the script run) loses nothing: the job stays RUNNING, and the
        next call reads on from the following record.
        """
        while self.status == RUNNING:
            if self._stop_asked:
                self._stop_asked = False
                self.status = STOPPED
                return
            try:
                record = next(self._records)
            except StopIteration:
                self.status = COMPLETE
                return
            self.history.append(record)
            if on_record is not None:
                on_record(record)


@dataclass(eq=False)
class Comparison:
    """One experiment of one learner: the training run, the measurements, the extra runs."""

    experiment: Experiment  # both networks and the settings they share
    data: Dataset  # the pictures (a shared, read-only data set, or the learner's own)
    data_title: str  # how the page names the data
    run: ExperimentRun  # owns the two models; history and timing of their training
    training: Job[ComparisonRecord]  # reads `run`
    result: ComparisonResult | None = None  # measured once training stops or ends
    robustness: dict[str, RobustnessCurve] | None = None  # measured with `result`
    efficiency: Job[EfficiencyRecord] | None = None  # fresh networks on fewer pictures
    efficiency_sizes: tuple[int, ...] = ()  # the training-set sizes of `efficiency`
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @classmethod
    def start(
        cls, experiment: Experiment, data: Dataset, data_title: str, *, report_every: int
    ) -> Comparison:
        """A comparison whose training has not taken a step yet."""
        run = run_experiment(experiment, data, report_every=report_every)
        return cls(experiment, data, data_title, run, Job(run))

    def advance_training(self, on_record: Callable[[ComparisonRecord], None] | None = None) -> None:
        """Train on until the end or a stop (see `Job.advance`).

        A stop asked for after the last record is a finished run, not a stopped one.
        """
        self.training.advance(on_record)
        if self.training.status == STOPPED and self.run.complete:
            self.training.resume()
            self.training.advance()  # reads the end of the run: no step is left to take

    @property
    def needs_measuring(self) -> bool:
        """True when training has stopped or ended and its result is not measured yet."""
        return not self.training.running and self.result is None

    def measure(self) -> None:
        """Compare the two models as they are now, and test them on changed pictures."""
        self.result = finish(self.run)
        self.robustness = robustness_curves(
            self.run.models, self.data.x_test, self.data.y_test, seed=self.experiment.config.seed
        )

    def resume(self) -> None:
        """Go on training after a stop; the measurements of the stopped models are dropped."""
        if self.training.status == STOPPED:
            self.training.resume()
            self.result = None
            self.robustness = None

    @property
    def steps_per_epoch(self) -> int:
        # Every epoch takes the same number of steps (the last batch may be smaller).
        return self.run.planned_steps // self.experiment.config.epochs

    def epochs_done(self) -> dict[str, int | float]:
        """Epochs each network has trained: {"CNN": 15, "ANN": 2.4}.

        A whole number of epochs is an int, shown as one ("15", not "15.0"). Part-way through
        an epoch the part is cut to a tenth, never rounded up: 2.96 epochs is 2.9, never 3.
        """
        done: dict[str, int | float] = {}
        for name, records in self.run.history.items():
            steps = records[-1].step if records else 0
            epochs, rest = divmod(steps, self.steps_per_epoch)
            done[name] = epochs if rest == 0 else (10 * steps // self.steps_per_epoch) / 10
        return done

    def efficiency_sizes_for(self, sizes: Iterable[int] = DEFAULT_SIZES) -> tuple[int, ...]:
        """The training-set sizes `data_efficiency` will use: at most the whole training set."""
        return training_sizes(sizes, len(self.data.x_train))

    def start_efficiency(
        self, sizes: Iterable[int] = DEFAULT_SIZES, min_steps: int = DEFAULT_MIN_STEPS
    ) -> None:
        """Begin training fresh networks on fewer pictures (read with `efficiency.advance`)."""
        self.efficiency_sizes = self.efficiency_sizes_for(sizes)
        self.efficiency = Job(
            data_efficiency(self.experiment, self.data, self.efficiency_sizes, min_steps=min_steps)
        )

    def efficiency_curves(self) -> dict[str, list[tuple[int, float]]]:
        """{"CNN": [(size, held-out accuracy), ...], "ANN": [...]} for the sizes finished."""
        return efficiency_curves(self.efficiency.history if self.efficiency else ())

    @property
    def busy(self) -> bool:
        """True while the training or the data-efficiency runs are going on."""
        return self.training.running or (self.efficiency is not None and self.efficiency.running)
