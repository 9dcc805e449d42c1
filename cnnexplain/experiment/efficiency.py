"""Data efficiency: the same experiment on fewer training examples.

`data_efficiency` trains fresh copies of both networks on the first n training examples, for
each of a few n, and `efficiency_curves` reads the held-out accuracy each run reached.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import islice

import numpy as np

from cnnexplain.core import checks
from cnnexplain.experiment.design import MODEL_NAMES, Experiment, build_models, check_data
from cnnexplain.experiment.run import DEFAULT_REPORT_EVERY, planned_steps, train_on
from cnnexplain.io.datasets import Dataset
from cnnexplain.training.train import MAX_EPOCHS, TrainConfig, TrainRecord, check_report_every

DEFAULT_SIZES = (50, 100, 200, 400, 800)  # training examples for the data-efficiency runs
# In the data-efficiency runs every network takes at least this many gradient steps, so the
# smallest training sets are not also the least trained (up to TrainConfig's MAX_EPOCHS).
DEFAULT_MIN_STEPS = 300
# Every size trains two fresh networks: limits well past the page's defaults.
MAX_SIZES = 10  # training-set sizes in one data-efficiency study
MAX_MIN_STEPS = 10_000  # a few minutes per size for the default networks on a shared machine


@dataclass(frozen=True)
class EfficiencyRecord:
    """Progress of one (training-set size, network) run of `data_efficiency`."""

    size: int  # training examples this run learns from
    model: str  # "CNN" or "ANN"
    record: TrainRecord  # the run's latest record
    final: bool  # True on the run's last record: record.test_acc is the point on the curve
    progress: float  # fraction of all the runs' planned steps done, 0..1


def efficiency_epochs(size: int, config: TrainConfig, min_steps: int) -> int:
    """Epochs a run on `size` examples trains: config.epochs, or more to reach min_steps."""
    steps_per_epoch = -(-size // config.batch_size)
    return min(MAX_EPOCHS, max(config.epochs, -(-min_steps // steps_per_epoch)))


def training_sizes(sizes: Iterable[int], n_train: int) -> tuple[int, ...]:
    """The sizes a study trains on, smallest first: each at most `n_train`, each once.

    Raises ValueError for a size that is not a whole number of at least 1, or for more than
    MAX_SIZES sizes.
    """
    if isinstance(sizes, str) or not isinstance(sizes, Iterable):
        raise ValueError(f"The sizes must be a list of counts, got {checks.quoted(sizes)}.")
    chosen = []
    for size in islice(sizes, MAX_SIZES + 1):
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
            raise ValueError(
                f"Each size must be a whole number of examples, got {checks.quoted(size)}."
            )
        chosen.append(min(int(size), n_train))
    if len(chosen) > MAX_SIZES:
        raise ValueError(f"A data-efficiency study takes at most {MAX_SIZES} sizes, got more.")
    return tuple(sorted(set(chosen)))


def data_efficiency(
    experiment: Experiment,
    data: Dataset,
    sizes: Iterable[int] = DEFAULT_SIZES,
    *,
    min_steps: int = DEFAULT_MIN_STEPS,
    report_every: int | None = DEFAULT_REPORT_EVERY,
) -> Iterator[EfficiencyRecord]:
    """Train fresh copies of both networks on the first n training examples, for each n.

    Sizes above the training set's size are taken as all of it. Every run uses the experiment's
    settings with `max_train = n`, and trains for at least `min_steps` gradient steps (more
    epochs on small sets) so a small set is not also a short training. The held-out set is the
    whole test part every time. Yields progress records; the `final` record of each run holds
    its test accuracy.

    Everything is checked when this is called, before any training: at most MAX_SIZES sizes,
    min_steps from 1 to MAX_MIN_STEPS, and the experiment's batch size no larger than the
    whole training set. A batch larger than a smaller size is that whole size: the same
    training, one step per epoch.
    """
    check_data(experiment, data)
    check_report_every(report_every)
    min_steps = checks.whole("min_steps", min_steps, 1, MAX_MIN_STEPS)
    configs = {
        n: replace(
            experiment.config,
            max_train=n,
            batch_size=min(experiment.config.batch_size, n),
            epochs=efficiency_epochs(n, experiment.config, min_steps),
        )
        for n in training_sizes(sizes, len(data.x_train))
    }
    return _efficiency_runs(experiment, data, configs, report_every)


def _efficiency_runs(
    experiment: Experiment,
    data: Dataset,
    configs: dict[int, TrainConfig],
    report_every: int | None,
) -> Iterator[EfficiencyRecord]:
    """The runs of `data_efficiency`, one per {size: config}, as records."""
    n_train = len(data.x_train)
    total = len(MODEL_NAMES) * sum(planned_steps(n_train, c) for c in configs.values())
    done = 0
    for n, config in configs.items():
        for name, model in build_models(replace(experiment, config=config)).items():
            last = None
            for record in train_on(model, data, config, report_every):
                if last is not None:
                    yield EfficiencyRecord(n, name, last, False, (done + last.step) / total)
                last = record
            done += last.step
            yield EfficiencyRecord(n, name, last, True, done / total)


def efficiency_curves(records: Iterable[EfficiencyRecord]) -> dict[str, list[tuple[int, float]]]:
    """{"CNN": [(size, test accuracy), ...], "ANN": [...]} from data_efficiency's final records."""
    curves: dict[str, list[tuple[int, float]]] = {name: [] for name in MODEL_NAMES}
    for r in records:
        if r.final:
            curves[r.model].append((r.size, r.record.test_acc))
    return curves
