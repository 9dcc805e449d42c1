"""Training as a generator of metric records.

A page iterates over `train(...)` and redraws its progress after each record, so the loop never
holds the screen and can be stopped between any two records. Nothing here keeps a model or an
optimizer in a module global: the caller owns both.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from cnnexplain.core import checks
from cnnexplain.core.errors import templates
from cnnexplain.core.optim import MAX_LR, OPTIMIZERS, torch_optimizer
from cnnexplain.model.head import HEADS, Head
from cnnexplain.training.augment import AUGMENTATIONS, make_augment

OPTIMIZER_KINDS = OPTIMIZERS
# "constant" keeps the learning rate; "cosine" lowers it along half a cosine to 0 at the last
# step, so that training ends on settled weights rather than wherever the last batches left them.
LR_SCHEDULES = ("constant", "cosine")
# Limits on a training run. A run holds the shared server's CPU for as long as it lasts, so
# each limit is well past what a lesson needs and short of what would keep the server busy
# for hours.
MAX_EPOCHS = 200  # passes over the training set; the page's curves flatten long before
MAX_BATCH_SIZE = 4096  # samples per step, held in memory with every activation of the network
# Seeds go to torch's generators and numpy's: 2**32 - 1, the largest numpy's older generators
# take, is a seed all of them accept.
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class TrainConfig:
    """How to train; the same config and seed always give the same numbers."""

    epochs: int = 15  # passes over the training set, 1 to MAX_EPOCHS
    batch_size: int = 32  # samples per gradient step, 1 to MAX_BATCH_SIZE (and the data set)
    lr: float = 3e-3  # learning rate, above 0 and at most MAX_LR
    optimizer: str = "adam"  # one of OPTIMIZER_KINDS
    momentum: float = 0.9  # used by "momentum" only; at least 0 and below 1
    seed: int = 0  # shuffling order, 0 to MAX_SEED
    max_train: int | None = None  # use only the first N training samples (data-efficiency runs)
    lr_schedule: str = "constant"  # one of LR_SCHEDULES
    augment: str | None = None  # vary each training batch (a name in augment.AUGMENTATIONS)

    def __post_init__(self) -> None:
        # Checked values are stored back as plain ints and floats (numpy scalars included), so
        # equal configs compare and hash equal.
        _set(self, "epochs", checks.whole("Epochs", self.epochs, 1, MAX_EPOCHS))
        _set(self, "batch_size", checks.whole("Batch size", self.batch_size, 1, MAX_BATCH_SIZE))
        _set(self, "lr", checks.number("Learning rate", self.lr, above=0, at_most=MAX_LR))
        checks.choice("optimizer", self.optimizer, tuple(OPTIMIZER_KINDS))
        _set(self, "momentum", checks.fraction("Momentum", self.momentum))
        _set(self, "seed", checks.whole("The seed", self.seed, 0, MAX_SEED))
        if self.max_train is not None:
            _set(self, "max_train", checks.whole("max_train", self.max_train, 1))
        checks.choice("learning-rate schedule", self.lr_schedule, tuple(LR_SCHEDULES))
        checks.choice("augmentation", self.augment, tuple(AUGMENTATIONS), none=True)


def _set(config: TrainConfig, name: str, value: object) -> None:
    object.__setattr__(config, name, value)


@dataclass(frozen=True)
class TrainRecord:
    """One point on the training curves.

    Step records carry NaN test numbers because the held-out set is only evaluated at the end
    of an epoch: a curve of test accuracy plots the epoch records alone.
    """

    epoch: int  # 1-based epoch this record closes (or, for a step record, is inside)
    step: int  # gradient steps taken so far
    samples_seen: int  # training samples processed so far
    train_loss: float  # mean loss over this epoch's batches (so far, for a step record)
    train_acc: float  # accuracy over this epoch's batches (as the weights were when each ran)
    test_loss: float  # loss on the held-out set after this epoch; NaN in a step record
    test_acc: float  # accuracy on the held-out set after this epoch; NaN in a step record
    elapsed_s: float  # wall time since training started
    progress: float  # fraction of all planned steps done, 0..1
    kind: str = "epoch"  # "epoch": closes an epoch; "step": progress inside one, see `train`


def make_optimizer(
    model: torch.nn.Module, kind: str, *, lr: float, momentum: float = 0.9
) -> torch.optim.Optimizer:
    """The torch optimizer named by `kind` ("sgd", "momentum" or "adam"), in its fused form.

    Training only needs the optimizer's formula, not the exact float32 path that the numpy steps
    copy, so it takes the fastest one (see `torch_optimizer`).
    """
    options = {"momentum": momentum} if kind == "momentum" else {}
    return torch_optimizer(kind, model.parameters(), lr=lr, fused=True, **options)


def has_convolutions(model: torch.nn.Module) -> bool:
    """True when `model` has at least one convolution layer."""
    return any(isinstance(m, torch.nn.Conv2d) for m in model.modules())


def channels_last(x: torch.Tensor) -> torch.Tensor:
    """A copy of the batch x (N, C, H, W) laid out channels-last: (N, H, W, C) in memory.

    The same values at the same indices; only the order in memory changes. Built with
    `empty_like` because `x.contiguous(memory_format=...)` leaves a one-channel batch as it is
    (its layout counts as both), and the convolution would then not see the layout.
    """
    return torch.empty_like(x, memory_format=torch.channels_last).copy_(x)


def loss_and_correct(
    logits: torch.Tensor, y: torch.Tensor, head: Head
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean loss and number of correct predictions for a batch of logits (N, K) or (N, 1)."""
    return head.loss(logits, y), (head.predicted(logits) == y).sum()


# Samples per forward pass when evaluating. The activations of a few hundred samples at once
# are large enough to be taken fresh from the system, page by page, on every pass, and given
# back after it; slices this size reuse the memory the training steps already hold, and keep
# the peak memory of an evaluation small whatever the size of the held-out set. (Default
# network, digits, one thread: most of a run's page faults go; the time saved is within the
# noise of a shared machine.)
EVAL_BATCH = 128


def batch_layout(model: torch.nn.Module) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """How batches for `model` are laid out: `channels_last` if it has convolutions, else None.

    On the CPU, convolutions and pooling run faster (one thread, default network: about 1.3
    times at batch 32) on activations laid out channels-last. A convolution lays its output out
    as its input is, so only the batches are rearranged: the weights keep torch's ordinary
    layout throughout, and whatever reads them (numpy replay, snapshots, model files) sees what
    it always did. A network without convolutions gains nothing from it.
    """
    return channels_last if has_convolutions(model) else None


def as_tensors(
    model: torch.nn.Module, x: np.ndarray, y: np.ndarray | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Copies of x (N, C, H, W) as float32 and y (N,) as int64, x laid out for `model`.

    Rows sliced or gathered from the copy keep its layout, so one rearrangement serves every
    batch. torch.tensor copies: the shared data sets are read-only and must stay untouched.
    """
    xt = torch.tensor(x, dtype=torch.float32)
    layout = batch_layout(model)
    if layout is not None:
        xt = layout(xt)
    return xt, None if y is None else torch.tensor(y, dtype=torch.int64)


def evaluate(
    model: torch.nn.Module, x: np.ndarray, y: np.ndarray, batch_size: int = EVAL_BATCH
) -> tuple[float, float]:
    """(mean loss, accuracy) of `model` on x (N, C, H, W), y (N,); leaves the mode as it was."""
    xt, yt = as_tensors(model, x, y)
    return evaluate_tensors(model, xt, yt, batch_size)


@torch.inference_mode()
def evaluate_tensors(
    model: torch.nn.Module, xt: torch.Tensor, yt: torch.Tensor, batch_size: int = EVAL_BATCH
) -> tuple[float, float]:
    """`evaluate` on tensors already made by `as_tensors`, as training does after every epoch."""
    loss, correct = loss_and_correct(eval_logits(model, xt, batch_size), yt, HEADS[model.spec.head])
    return float(loss), int(correct) / len(xt)


def predict(model: torch.nn.Module, x: np.ndarray, batch_size: int = EVAL_BATCH) -> np.ndarray:
    """Predicted class (N,) for x (N, C, H, W), from the same forward pass as `evaluate`."""
    xt, _ = as_tensors(model, x)
    return HEADS[model.spec.head].predicted(eval_logits(model, xt, batch_size)).numpy()


@torch.inference_mode()
def eval_logits(
    model: torch.nn.Module, xt: torch.Tensor, batch_size: int = EVAL_BATCH
) -> torch.Tensor:
    """Logits (N, K) or (N, 1) of `model` in eval mode for xt (N, C, H, W), `batch_size` rows
    at a time; leaves the mode as it was."""
    was_training = model.training
    model.eval()
    out = torch.cat(
        [model(xt[first : first + batch_size]) for first in range(0, len(xt), batch_size)]
    )
    model.train(was_training)
    return out


def check_report_every(report_every: int | None) -> None:
    """Refuse a report_every that is not None or a whole number of steps, at least 1."""
    if report_every is not None and (
        isinstance(report_every, bool) or not isinstance(report_every, int) or report_every < 1
    ):
        raise ValueError(
            f"report_every must be a whole number of steps, at least 1, or None; "
            f"got {checks.quoted(report_every)}."
        )


templates(
    {
        "train.no_samples": "There are no training samples.",
        "train.batch_too_big": "The batch size is {batch} but there are only {n:,} training "
        "samples: choose a batch size of at most {n:,}.",
    }
)


def check_batch_size(config: TrainConfig, n_train: int) -> None:
    """Refuse a batch larger than the `n_train` samples it is drawn from (or no samples).

    Such a batch would silently be the whole set, and the page would say it trained with a
    batch size it never used.
    """
    if n_train == 0:
        raise checks.SettingError("train.no_samples")
    if config.batch_size > n_train:
        raise checks.SettingError("train.batch_too_big", batch=config.batch_size, n=n_train)


def cosine_lr(lr: float, step: int, total_steps: int) -> float:
    """The learning rate at `step` of `total_steps` as it falls along half a cosine to 0."""
    return lr * 0.5 * (1 + math.cos(math.pi * step / total_steps))


@dataclass
class _Progress:
    """The counts of one training run so far, and the records they make."""

    total_steps: int  # gradient steps the whole run plans
    start: float = field(default_factory=time.perf_counter)
    epoch: int = 0  # 1-based, once the first epoch has started
    step: int = 0  # gradient steps taken
    seen: int = 0  # training samples processed
    epoch_seen: int = 0  # samples processed in this epoch
    epoch_loss: float = 0.0  # sum over this epoch's batches of mean loss × batch size
    epoch_correct: int = 0  # correct predictions in this epoch's batches

    def start_epoch(self) -> None:
        self.epoch += 1
        self.epoch_seen, self.epoch_loss, self.epoch_correct = 0, 0.0, 0

    def add_batch(self, size: int, loss: float, correct: int) -> None:
        self.step += 1
        self.seen += size
        self.epoch_seen += size
        self.epoch_loss += loss * size
        self.epoch_correct += correct

    def record(
        self, kind: str, test_loss: float = math.nan, test_acc: float = math.nan
    ) -> TrainRecord:
        """Where the run is now; the train numbers cover the epoch's batches so far."""
        return TrainRecord(
            epoch=self.epoch,
            step=self.step,
            samples_seen=self.seen,
            train_loss=self.epoch_loss / self.epoch_seen,
            train_acc=self.epoch_correct / self.epoch_seen,
            test_loss=test_loss,
            test_acc=test_acc,
            elapsed_s=time.perf_counter() - self.start,
            progress=self.step / self.total_steps,
            kind=kind,
        )


def train(
    model: torch.nn.Module,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    config: TrainConfig = TrainConfig(),
    *,
    report_every: int | None = None,
) -> Iterator[TrainRecord]:
    """Train `model` in place, yielding one record per epoch.

    x arrays are (N, C, H, W) float32, y arrays (N,) integer labels. The shuffling order comes
    from `config.seed` alone, so a fresh model with the same seed gives the same records.

    With `report_every`, a record of kind "step" also comes after every `report_every`-th
    gradient step of the run, so a page can show progress inside a long epoch. Its train loss
    and accuracy cover the epoch's batches so far; its test numbers are NaN. A step that ends an
    epoch gets no step record: the epoch record follows at once. Step records change nothing
    else: the epoch records, and the weights, are the same with or without them.
    """
    check_report_every(report_every)
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}.")
    if config.max_train is not None:
        x_train, y_train = x_train[: config.max_train], y_train[: config.max_train]
    check_batch_size(config, len(x_train))
    layout = batch_layout(model)
    # Laid out once here, not batch by batch: every gather and slice below keeps the layout.
    # An augmented batch is a new tensor, laid out after it is made.
    xt, yt = as_tensors(model, x_train, y_train)
    test_x, test_y = as_tensors(model, x_test, y_test)
    n = len(xt)
    optimizer = make_optimizer(model, config.optimizer, lr=config.lr, momentum=config.momentum)
    generator = torch.Generator().manual_seed(config.seed)
    head = HEADS[model.spec.head]
    augment = make_augment(config.augment, config.seed, x_train.shape[1:])
    run = _Progress(total_steps=-(-n // config.batch_size) * config.epochs)
    model.train()
    for _ in range(config.epochs):
        run.start_epoch()
        order = torch.randperm(n, generator=generator)
        # One gather per epoch; each batch is then a slice of it, the same samples in the same
        # order as indexing the data with its share of `order`.
        x_epoch, y_epoch = xt[order], yt[order]
        for first in range(0, n, config.batch_size):
            xb = x_epoch[first : first + config.batch_size]
            yb = y_epoch[first : first + config.batch_size]
            if augment is not None:
                xb = augment(xb, yb)
                if layout is not None:
                    xb = layout(xb)
            if config.lr_schedule == "cosine":
                for group in optimizer.param_groups:
                    group["lr"] = cosine_lr(config.lr, run.step, run.total_steps)
            optimizer.zero_grad(set_to_none=True)
            loss, correct = loss_and_correct(model(xb), yb, head)
            loss.backward()
            optimizer.step()
            run.add_batch(len(yb), loss.item(), int(correct))
            if report_every is not None and run.step % report_every == 0 and run.epoch_seen < n:
                yield run.record("step")
        test_loss, test_acc = evaluate_tensors(model, test_x, test_y)
        yield run.record("epoch", test_loss, test_acc)
    model.eval()
