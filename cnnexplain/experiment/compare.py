"""The CNN-versus-ANN experiment: two networks, one data set, the same training, compared.

An `Experiment` names the data set, the two architectures and one `TrainConfig` that both
networks share (seed, optimizer, learning rate, batch size, epochs). `run_experiment` trains the
two side by side, a few steps of one and then the same steps of the other, yielding a record
after each chunk, so a page can draw both learning curves as they grow. The run owns the two
models; `finish` measures whatever they have learned so far, so a run stopped half-way can
still be compared.

The other measurements read the trained models: `robustness_curves` (accuracy on shifted,
rotated and noisy test images), `data_efficiency` (accuracy when trained on fewer examples)
and `first_layer_images` (what the first layer of each network looks for).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnexplain.core import checks
from cnnexplain.io.datasets import Dataset
from cnnexplain.model.spec import (
    CNNSpec,
    MLPSpec,
    Spec,
    build_cnn,
    build_mlp,
    count_parameters,
    mlp_matching_budget,
    parameter_counts,
)
from cnnexplain.training.train import (
    MAX_EPOCHS,
    MAX_SEED,
    TrainConfig,
    TrainRecord,
    check_batch_size,
    check_report_every,
    evaluate,
    predict,
    train,
)

CNN, ANN = "CNN", "ANN"  # the names the page shows for the two networks
MODEL_NAMES = (CNN, ANN)
COMPARE_TRAINING = TrainConfig()  # what the page trains both networks with unless told otherwise
# With match_budget, the ANN's parameter count may differ from the CNN's by at most this share.
BUDGET_TOLERANCE = 0.10
# Gradient steps between two records of a run: a few hundredths of a second each for the
# built-in networks, so the page redraws several times a second without drawing after every step.
DEFAULT_REPORT_EVERY = 10
# Shifts move the picture this way and that, and the accuracy is the mean over the four.
SHIFT_DIRECTIONS = ((1, 0), (-1, 0), (0, 1), (0, -1))  # (dx, dy): right, left, down, up
DEFAULT_SHIFTS = tuple(range(0, 7))  # pixels
DEFAULT_ANGLES = (0, 10, 20, 30, 45)  # degrees, each turned both ways
DEFAULT_NOISE = (0.0, 0.1, 0.2, 0.3, 0.5)  # standard deviation of added Gaussian noise
DEFAULT_SIZES = (50, 100, 200, 400, 800)  # training examples for the data-efficiency runs
# In the data-efficiency runs every network takes at least this many gradient steps, so the
# smallest training sets are not also the least trained (up to TrainConfig's MAX_EPOCHS).
DEFAULT_MIN_STEPS = 300
# Limits on what a comparison measures, each well past the page's defaults. Every level of a
# robustness curve is one more pass of both networks over the whole test set (four for a
# shift), and every data-efficiency size trains two fresh networks.
MAX_LEVELS = 16  # points on one robustness curve
MAX_SHIFT = 256  # pixels; models.MAX_INPUT_SIZE, past which every picture is gone
MAX_ANGLE = 180  # degrees either way: a larger turn is a smaller one the other way
MAX_SIZES = 10  # training-set sizes in one data-efficiency study
MAX_MIN_STEPS = 10_000  # a few minutes per size for the default networks on a shared machine


# ---------------------------------------------------------------------------------------------
# The experiment


@dataclass(frozen=True)
class Experiment:
    """A CNN and an ANN on the same data, trained the same way.

    `Experiment("digits")` compares the default CNN with an ANN of (about) as many parameters.
    """

    dataset: str  # key of the data set both networks learn, e.g. "digits"
    cnn: CNNSpec = CNNSpec()  # the convolutional network
    mlp: MLPSpec | None = None  # the ANN; None means mlp_matching_budget(cnn)
    config: TrainConfig = COMPARE_TRAINING  # shared by both: seed, optimizer, lr, batch, epochs
    match_budget: bool = True  # require the ANN to have about as many parameters as the CNN

    def __post_init__(self) -> None:
        if not isinstance(self.dataset, str) or not self.dataset:
            raise ValueError(
                f"The data set must be named by its key, got {checks.quoted(self.dataset)}."
            )
        if not isinstance(self.cnn, CNNSpec):
            raise TypeError(f"cnn must be a CNNSpec, got {type(self.cnn).__name__}.")
        if self.mlp is None:
            object.__setattr__(self, "mlp", mlp_matching_budget(self.cnn))
        if not isinstance(self.mlp, MLPSpec):
            raise TypeError(f"mlp must be an MLPSpec, got {type(self.mlp).__name__}.")
        if not isinstance(self.config, TrainConfig):
            raise TypeError(f"config must be a TrainConfig, got {type(self.config).__name__}.")
        if not isinstance(self.match_budget, bool):
            raise TypeError(f"match_budget must be True or False, got {self.match_budget!r}.")

        cnn_reads, ann_reads = _reads(self.cnn), _reads(self.mlp)
        if cnn_reads != ann_reads:
            raise ValueError(
                f"The CNN reads {cnn_reads} but the ANN reads {ann_reads}: both networks must "
                "read the same images and give the same output."
            )
        if self.match_budget:
            cnn_params, ann_params = count_parameters(self.cnn), count_parameters(self.mlp)
            if abs(ann_params - cnn_params) > BUDGET_TOLERANCE * cnn_params:
                nearest = count_parameters(mlp_matching_budget(self.cnn))
                hint = (
                    "use mlp_matching_budget(cnn) for the ANN's layers"
                    if abs(nearest - cnn_params) <= BUDGET_TOLERANCE * cnn_params
                    else f"the smallest ANN near that budget has {nearest:,} parameters, so no ANN "
                    "can match this CNN"
                )
                raise ValueError(
                    f"match_budget asks for an ANN with about as many parameters as the CNN "
                    f"({cnn_params:,}, give or take {BUDGET_TOLERANCE:.0%}), but this ANN has "
                    f"{ann_params:,}: {hint}, or turn match_budget off."
                )

    @property
    def specs(self) -> dict[str, Spec]:
        """{"CNN": cnn spec, "ANN": mlp spec}."""
        return {CNN: self.cnn, ANN: self.mlp}


def default_experiment(
    dataset: str, data: Dataset, config: TrainConfig = COMPARE_TRAINING
) -> Experiment:
    """The default CNN, fitted to `data`'s images and classes, against an ANN of equal budget."""
    cnn = CNNSpec(in_channels=data.channels, input_size=data.size, num_classes=data.num_classes)
    return Experiment(dataset, cnn=cnn, config=config)


def _reads(spec: Spec) -> str:
    """What a network takes in and gives out, in words, for messages."""
    C, S = spec.in_channels, spec.input_size
    return f"{C}×{S}×{S} images into {spec.num_classes} classes with a {spec.head} head"


def build_models(experiment: Experiment) -> dict[str, nn.Module]:
    """Fresh {"CNN": model, "ANN": model}, both initialised from the experiment's seed."""
    seed = experiment.config.seed
    return {CNN: build_cnn(experiment.cnn, seed=seed), ANN: build_mlp(experiment.mlp, seed=seed)}


def check_data(experiment: Experiment, data: Dataset) -> None:
    """Raise ValueError, in words, when `data` does not fit the experiment's networks."""
    spec = experiment.cnn
    have = f"{data.channels}×{data.size}×{data.size} images in {data.num_classes} classes"
    need = f"{spec.in_channels}×{spec.input_size}×{spec.input_size} images in {spec.num_classes}"
    if (data.channels, data.size, data.num_classes) != (
        spec.in_channels,
        spec.input_size,
        spec.num_classes,
    ):
        raise ValueError(
            f"The data set has {have} but the networks expect {need} classes: change the "
            "networks' input or number of classes to match the data."
        )
    if len(data.x_test) == 0:
        raise ValueError("The data set has no test examples to compare the networks on.")
    config = experiment.config
    n_train = (
        len(data.x_train) if config.max_train is None else min(len(data.x_train), config.max_train)
    )
    check_batch_size(config, n_train)


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
    `history` and `train_seconds` are always up to date, and `finish(run)` compares the models
    as they are. Iterating again continues where it stopped.

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
        self.planned_steps = _planned_steps(len(data.x_train), experiment.config)  # each model
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
        data, config = self.data, self.experiment.config
        trainers = {
            name: train(
                model,
                data.x_train,
                data.y_train,
                data.x_test,
                data.y_test,
                config,
                report_every=report_every,
            )
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


def _planned_steps(n_train: int, config: TrainConfig) -> int:
    n = n_train if config.max_train is None else min(n_train, config.max_train)
    return -(-n // config.batch_size) * config.epochs


# ---------------------------------------------------------------------------------------------
# The comparison


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


# ---------------------------------------------------------------------------------------------
# Robustness: the same test images, moved, turned and blurred by noise


FILLS = ("zero", "border")  # what fills the pixels a shift or a turn uncovers


def border_values(x: np.ndarray) -> np.ndarray:
    """(N, C, 1, 1) median of each picture's outer ring of pixels, channel by channel.

    That is the background of a picture whose object does not touch the edge: 0 for the
    digits, the random gray of each shapes picture.
    """
    ring = np.concatenate(
        [x[..., 0, :], x[..., -1, :], x[..., 1:-1, 0], x[..., 1:-1, -1]], axis=-1
    )  # (N, C, 2W + 2H - 4)
    return np.median(ring, axis=-1)[..., None, None].astype(x.dtype)


def _check_fill(fill: str) -> None:
    if not isinstance(fill, str) or fill not in FILLS:
        raise ValueError(f"Unknown fill {checks.quoted(fill)}: choose one of {', '.join(FILLS)}.")


def _background(x: np.ndarray, fill: str) -> np.ndarray | None:
    _check_fill(fill)
    return border_values(x) if fill == "border" else None


def shift_images(x: np.ndarray, dx: int, dy: int, *, fill: str = "zero") -> np.ndarray:
    """Move every picture dx pixels right and dy pixels down.

    Inputs:
    - x: (N, C, H, W) images
    - dx, dy: whole pixels, at most MAX_SHIFT either way; negative values move left and up
    - fill: "zero" fills the uncovered pixels with 0; "border" with each picture's own
      background (`border_values`), so that on a light background the shift adds no dark band

    Returns a new (N, C, H, W) array of x's dtype. Content moved past the edge is lost.
    """
    background = _background(x, fill)
    dx = checks.whole("The shift dx", dx, -MAX_SHIFT, MAX_SHIFT)
    dy = checks.whole("The shift dy", dy, -MAX_SHIFT, MAX_SHIFT)
    H, W = x.shape[-2:]
    out = np.zeros_like(x)
    if background is not None:
        out += background
    if abs(dx) >= W or abs(dy) >= H:
        return out
    # Input rows max(0, -dy) .. H - max(0, dy) land on output rows max(0, dy) .. H + min(0, dy).
    out[..., max(0, dy) : H + min(0, dy), max(0, dx) : W + min(0, dx)] = x[
        ..., max(0, -dy) : H - max(0, dy), max(0, -dx) : W - max(0, dx)
    ]
    return out


def rotate_images(x: np.ndarray, degrees: float, *, fill: str = "zero") -> np.ndarray:
    """Turn every picture about its centre, counter-clockwise as seen on screen.

    Bilinear interpolation. The corners that come from outside the picture are filled as in
    `shift_images`: with 0, or with each picture's own background.

    Inputs:
    - x: (N, C, H, W) images
    - degrees: angle of the turn, from -MAX_ANGLE to MAX_ANGLE; negative turns clockwise

    Returns a new float32 array of shape (N, C, H, W).
    """
    background = _background(x, fill)
    theta = math.radians(
        checks.number("The angle", degrees, at_least=-MAX_ANGLE, at_most=MAX_ANGLE)
    )
    c, s = math.cos(theta), math.sin(theta)
    # affine_grid maps each output pixel to where it samples the input, in coordinates that run
    # -1..1 with y pointing down: sampling at R(-theta) turns the content by +theta on screen.
    matrix = torch.tensor([[c, -s, 0.0], [s, c, 0.0]], dtype=torch.float32)
    xt = torch.tensor(x, dtype=torch.float32)
    if background is not None:
        # Sampling is linear, so turning (x - b) and adding b back fills the outside with b.
        xt -= torch.from_numpy(background)
    grid = F.affine_grid(matrix.expand(len(xt), 2, 3), list(xt.shape), align_corners=False)
    out = F.grid_sample(xt, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if background is not None:
        out += torch.from_numpy(background)
    return out.numpy()


def add_noise(x: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """x plus Gaussian noise of standard deviation `sigma`, clipped back to [0, 1], float32."""
    # No upper limit: the result is clipped to [0, 1], so a huge level is just static.
    sigma = checks.number("The noise level", sigma, at_least=0)
    noise = np.random.default_rng(seed).normal(0.0, sigma, size=x.shape)
    return np.clip(x + noise, 0.0, 1.0).astype(np.float32)


def _levels(what: str, levels: Iterable[Any], check) -> tuple:
    """At most MAX_LEVELS levels, each passed through `check`."""
    if isinstance(levels, str) or not isinstance(levels, Iterable):
        raise ValueError(f"The {what} must be a list of numbers, got {checks.quoted(levels)}.")
    first = list(islice(levels, MAX_LEVELS + 1))
    if len(first) > MAX_LEVELS:
        raise ValueError(f"A curve takes at most {MAX_LEVELS} {what}, got more.")
    return tuple(check(level) for level in first)


@dataclass(frozen=True, eq=False)
class RobustnessCurve:
    """Accuracy of each network as one kind of change to the test images grows."""

    perturbation: str  # "shift", "rotation" or "noise"
    label: str  # axis title, with the unit
    levels: tuple[float, ...]  # how strong the change is at each point
    accuracy: dict[str, tuple[float, ...]]  # {"CNN": (...), "ANN": (...)}, one per level


def robustness_curves(
    models: dict[str, nn.Module],
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    shifts: Iterable[int] = DEFAULT_SHIFTS,
    angles: Iterable[float] = DEFAULT_ANGLES,
    noise_levels: Iterable[float] = DEFAULT_NOISE,
    seed: int = 0,
    fill: str = "border",
) -> dict[str, RobustnessCurve]:
    """Accuracy of each model on test images that are shifted, rotated or noisy.

    A shift of s pixels is the mean accuracy over moving the pictures s pixels right, left,
    down and up (SHIFT_DIRECTIONS); an angle is the mean over turning both ways. Every model
    sees exactly the same changed pictures (the noise comes from `seed`).

    The uncovered pixels take each picture's background by default (`fill="border"`): the same
    as zeros on the digits, and on a gray background it moves the object without also drawing a
    dark band that no training picture had. `fill="zero"` measures with the band.

    Returns {"shift": curve, "rotation": curve, "noise": curve}. Raises ValueError for a
    level out of range (shifts: whole pixels from 0 to MAX_SHIFT; angles: 0 to MAX_ANGLE
    degrees; noise: at least 0) or more than MAX_LEVELS levels of one kind.
    """
    _check_fill(fill)
    seed = checks.whole("The seed", seed, 0, MAX_SEED)
    shifts = _levels("shifts", shifts, lambda s: checks.whole("Each shift", s, 0, MAX_SHIFT))
    angles = _levels(
        "angles", angles, lambda a: checks.number("Each angle", a, at_least=0, at_most=MAX_ANGLE)
    )
    noise_levels = _levels(
        "noise levels", noise_levels, lambda n: checks.number("Each noise level", n, at_least=0)
    )

    def accuracy(model: nn.Module, variants: list[np.ndarray]) -> float:
        return float(np.mean([np.mean(predict(model, v) == y_test) for v in variants]))

    def curve(perturbation: str, label: str, levels: Iterable[float], make) -> RobustnessCurve:
        levels = tuple(levels)
        scores: dict[str, list[float]] = {name: [] for name in models}
        for level in levels:
            variants = make(level)
            for name, model in models.items():
                scores[name].append(accuracy(model, variants))
        return RobustnessCurve(
            perturbation, label, levels, {name: tuple(s) for name, s in scores.items()}
        )

    def shifted(s: int) -> list[np.ndarray]:
        if s == 0:
            return [x_test]
        return [shift_images(x_test, dx * s, dy * s, fill=fill) for dx, dy in SHIFT_DIRECTIONS]

    def rotated(a: float) -> list[np.ndarray]:
        if a == 0:
            return [x_test]
        return [rotate_images(x_test, a, fill=fill), rotate_images(x_test, -a, fill=fill)]

    def noisy(sigma: float) -> list[np.ndarray]:
        return [x_test] if sigma == 0 else [add_noise(x_test, sigma, seed)]

    return {
        "shift": curve("shift", "Shift (pixels)", shifts, shifted),
        "rotation": curve("rotation", "Rotation (degrees)", angles, rotated),
        "noise": curve("noise", "Noise (standard deviation)", noise_levels, noisy),
    }


# ---------------------------------------------------------------------------------------------
# Data efficiency: the same experiment on fewer training examples


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
    if isinstance(sizes, str) or not isinstance(sizes, Iterable):
        raise ValueError(f"The sizes must be a list of counts, got {checks.quoted(sizes)}.")
    n_train = len(data.x_train)
    chosen = []
    for size in islice(sizes, MAX_SIZES + 1):
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
            raise ValueError(
                f"Each size must be a whole number of examples, got {checks.quoted(size)}."
            )
        chosen.append(min(int(size), n_train))
    if len(chosen) > MAX_SIZES:
        raise ValueError(f"A data-efficiency study takes at most {MAX_SIZES} sizes, got more.")
    chosen = sorted(set(chosen))
    configs = {
        n: replace(
            experiment.config,
            max_train=n,
            batch_size=min(experiment.config.batch_size, n),
            epochs=efficiency_epochs(n, experiment.config, min_steps),
        )
        for n in chosen
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
    total = len(MODEL_NAMES) * sum(_planned_steps(n_train, c) for c in configs.values())
    done = 0
    for n, config in configs.items():
        for name, model in build_models(replace(experiment, config=config)).items():
            last = None
            for record in train(
                model,
                data.x_train,
                data.y_train,
                data.x_test,
                data.y_test,
                config,
                report_every=report_every,
            ):
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


# ---------------------------------------------------------------------------------------------
# What each network's first layer looks for


def first_layer_images(
    model: nn.Module, input_shape: tuple[int, int, int] | None = None
) -> np.ndarray:
    """The first layer's weights as pictures, one per unit.

    For an ANN, each first-layer neuron has one weight per input pixel: its weights are
    reshaped to the input's (C, H, W) (flatten order: channel, row, column), giving
    (units, C, H, W). For a CNN, these are the conv1 kernels, (F, C, KH, KW): small, and the
    same wherever they are applied. `input_shape` defaults to the one in `model.spec`.
    """
    spec: Any = getattr(model, "spec", None)
    if isinstance(spec, CNNSpec):
        return model.conv1.weight.detach().cpu().numpy().copy()  # (F, C, KH, KW)
    first = next((m for m in model.children() if isinstance(m, nn.Linear)), None)
    if first is None:
        raise ValueError("This model has no fully connected layer to show.")
    if input_shape is None:
        if spec is None:
            raise ValueError("Give input_shape (C, H, W): the model carries no spec.")
        input_shape = (spec.in_channels, spec.input_size, spec.input_size)
    C, H, W = input_shape
    weight = first.weight.detach().cpu().numpy()  # (units, C*H*W)
    if weight.shape[1] != C * H * W:
        raise ValueError(
            f"The first layer reads {weight.shape[1]} values, not the {C}×{H}×{W} = "
            f"{C * H * W} of input_shape {input_shape}."
        )
    return weight.reshape(-1, C, H, W).copy()  # (units, C, H, W)
