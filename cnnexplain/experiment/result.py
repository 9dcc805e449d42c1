"""The comparison: two networks measured side by side on the same held-out examples.

`finish` compares the two models of a run as they are, finished or stopped part-way;
`compare_models` does the same for any two models, with or without their training history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from torch import nn

from cnnexplain.experiment.design import ANN, CNN, MODEL_NAMES
from cnnexplain.experiment.run import ExperimentRun
from cnnexplain.io.datasets import Dataset
from cnnexplain.model.spec import Spec, parameter_counts
from cnnexplain.training.train import TrainRecord, evaluate, predict


@dataclass(frozen=True, eq=False)
class ModelSummary:
    """What one network of a comparison is, how it trained and how it does on the test set."""

    name: str  # "CNN" or "ANN"
    spec: Spec  # its architecture
    layer_params: tuple[tuple[str, int], ...]  # (layer name, weights + biases), in order
    total_params: int  # sum of layer_params
    history: tuple[TrainRecord, ...]  # every record of its training, step and epoch records
    epochs_done: int  # whole epochs trained
    steps: int  # gradient steps taken
    samples_seen: int  # training samples processed
    train_seconds: float  # its own training time (steps and per-epoch held-out evaluation)
    samples_per_second: float  # samples_seen / train_seconds; NaN before any training
    test_loss: float  # mean loss on the held-out set
    test_acc: float  # accuracy on the held-out set
    predictions: np.ndarray  # (M,) predicted class of each test example
    confusion: np.ndarray  # (K, K) counts: row = true class, column = predicted class
    complete: bool  # trained every planned step


@dataclass(frozen=True, eq=False)
class ComparisonResult:
    """The two networks side by side on the same held-out examples."""

    dataset: str  # data set key
    class_names: tuple[str, ...]  # label of class k
    y_test: np.ndarray  # (M,) true classes of the held-out examples
    models: dict[str, ModelSummary]  # {"CNN": ..., "ANN": ...}
    # only_wrong["CNN"]: indices of test examples the CNN gets wrong and the ANN gets right
    # (and the other way round for "ANN").
    only_wrong: dict[str, np.ndarray]

    @property
    def complete(self) -> bool:
        """True when both networks finished their planned training."""
        return all(summary.complete for summary in self.models.values())


def finish(run: ExperimentRun) -> ComparisonResult:
    """Compare the run's two models as they are now, finished or stopped part-way."""
    return compare_models(
        run.models,
        run.data,
        dataset=run.experiment.dataset,
        history=run.history,
        train_seconds=run.train_seconds,
        planned_steps=run.planned_steps,
    )


def compare_models(
    models: dict[str, nn.Module],
    data: Dataset,
    *,
    dataset: str | None = None,
    history: dict[str, Sequence[TrainRecord]] | None = None,
    train_seconds: dict[str, float] | None = None,
    planned_steps: int | None = None,
) -> ComparisonResult:
    """Measure two models on `data`'s held-out part; `finish` fills in how they trained.

    `models` is {"CNN": model, "ANN": model}, each built by `models.build_cnn`/`build_mlp` (it
    carries `.spec`).
    """
    if set(models) != set(MODEL_NAMES):
        raise ValueError(f"Expected models named {MODEL_NAMES}, got {tuple(models)}.")
    history = history or {}
    train_seconds = train_seconds or {}
    K = data.num_classes
    summaries = {}
    for name in MODEL_NAMES:
        model = models[name]
        records = tuple(history.get(name, ()))
        last = records[-1] if records else None
        steps = last.step if last else 0
        seen = last.samples_seen if last else 0
        seconds = float(train_seconds.get(name, 0.0))
        test_loss, test_acc = evaluate(model, data.x_test, data.y_test)
        predictions = predict(model, data.x_test)
        layers = tuple(parameter_counts(model))
        summaries[name] = ModelSummary(
            name=name,
            spec=model.spec,
            layer_params=layers,
            total_params=sum(n for _, n in layers),
            history=records,
            epochs_done=sum(r.kind == "epoch" for r in records),
            steps=steps,
            samples_seen=seen,
            train_seconds=seconds,
            samples_per_second=seen / seconds if seconds > 0 else float("nan"),
            test_loss=test_loss,
            test_acc=test_acc,
            predictions=_frozen(predictions),
            confusion=_frozen(confusion_matrix(data.y_test, predictions, K)),
            complete=planned_steps is not None and steps == planned_steps,
        )
    right = {name: summaries[name].predictions == data.y_test for name in MODEL_NAMES}
    only_wrong = {
        CNN: _frozen(np.flatnonzero(~right[CNN] & right[ANN])),
        ANN: _frozen(np.flatnonzero(~right[ANN] & right[CNN])),
    }
    return ComparisonResult(
        dataset=dataset if dataset is not None else data.name,
        class_names=data.class_names,
        y_test=data.y_test,
        models=summaries,
        only_wrong=only_wrong,
    )


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """(K, K) int64 counts: entry [i, j] is how many examples of class i were called class j."""
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    cells = np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes)
    return cells.reshape(num_classes, num_classes)


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr
