"""Trained models shared by every user of one server, trained once per architecture.

The store hands out models that nobody may change: a page that trains or steps a model works on
its own copy (`models.clone_model`). A lock makes sure that thirty learners opening the app at
the same moment start one training run, not thirty.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import torch

from cnnexplain.io.datasets import Dataset
from cnnexplain.model.spec import CNNSpec, MLPSpec, build_cnn, build_mlp
from cnnexplain.training.train import TrainConfig, TrainRecord, evaluate, train

DEFAULT_DATASET = "digits"
DEFAULT_SPEC = CNNSpec()
DEFAULT_TRAINING = TrainConfig()
# The built-in digits are 1,437 scans in a few dozen hands: a network trained on them as they are
# reads a learner's own digits badly. So every network the app trains on them also learns from
# varied copies and generated pen digits (augment.py), longer, ending on a low learning rate.
TRAINING: dict[str, TrainConfig] = {
    "digits": TrainConfig(epochs=25, lr_schedule="cosine", augment="digits"),
}
MODEL_SEED = 0


def training_for(dataset_key: str) -> TrainConfig:
    """How the app trains its shared networks on the data set `dataset_key`."""
    return TRAINING.get(dataset_key, DEFAULT_TRAINING)


@dataclass(frozen=True)
class TrainedModel:
    """A model with what is known about how it came to be."""

    model: torch.nn.Module  # read-only for every user; clone before changing it
    spec: CNNSpec | MLPSpec  # its architecture
    dataset: str  # key of the data set it was trained on
    trained: bool  # False: the weights are the seeded initial ones
    history: tuple[TrainRecord, ...]  # one record per epoch, empty when untrained
    test_loss: float  # on the data set's held-out part
    test_acc: float  # on the data set's held-out part


def build_model(spec: CNNSpec | MLPSpec, seed: int = MODEL_SEED) -> torch.nn.Module:
    """The torch model for either kind of spec, with seeded initial weights."""
    return build_mlp(spec, seed=seed) if isinstance(spec, MLPSpec) else build_cnn(spec, seed=seed)


def freeze(model: torch.nn.Module) -> None:
    """Put a shared model in eval mode and stop torch from tracking gradients for it."""
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)


def fit(
    spec: CNNSpec | MLPSpec,
    data: Dataset,
    dataset_key: str,
    config: TrainConfig | None = None,
    *,
    trained: bool = True,
    on_progress: Callable[[TrainRecord], None] | None = None,
) -> TrainedModel:
    """Build `spec` and, when `trained`, train it on `data` (reporting each epoch).

    `config` defaults to how the app trains on `dataset_key` (`training_for`).
    """
    config = training_for(dataset_key) if config is None else config
    model = build_model(spec)
    history = []
    if trained:
        for record in train(model, data.x_train, data.y_train, data.x_test, data.y_test, config):
            history.append(record)
            if on_progress is not None:
                on_progress(record)
    freeze(model)
    test_loss, test_acc = evaluate(model, data.x_test, data.y_test)
    return TrainedModel(model, spec, dataset_key, trained, tuple(history), test_loss, test_acc)


Shipped = Callable[[CNNSpec | MLPSpec, Dataset, str], TrainedModel | None]


class ModelStore:
    """A bounded, thread-safe map from (spec, data set, trained?) to a TrainedModel.

    Each key has its own lock, so one learner training a new architecture never makes the
    others wait for the default model. `shipped`, when given, is asked first for a trained model
    that comes ready-made (see `pretrained.load`); it returns None for any other.
    """

    def __init__(self, capacity: int = 12, shipped: Shipped | None = None) -> None:
        self.capacity = capacity
        self.shipped = shipped
        self._models: OrderedDict[tuple, TrainedModel] = OrderedDict()
        self._key_locks: dict[tuple, threading.Lock] = {}
        self._lock = threading.Lock()

    def peek(
        self, spec: CNNSpec | MLPSpec, dataset_key: str, trained: bool = True
    ) -> TrainedModel | None:
        """The stored model, or None when it would have to be trained first.

        Finding it counts as a use: the models pages look at most stay longest.
        """
        key = (spec, dataset_key, trained)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
            return self._models.get(key)

    def get(
        self,
        spec: CNNSpec | MLPSpec,
        data: Dataset,
        dataset_key: str,
        *,
        trained: bool = True,
        on_progress: Callable[[TrainRecord], None] | None = None,
    ) -> TrainedModel:
        """The model for this key, training it (once per key) if it is not stored."""
        key = (spec, dataset_key, trained)
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._models:
                    self._models.move_to_end(key)
                    return self._models[key]
            entry = None
            if trained and self.shipped is not None:
                entry = self.shipped(spec, data, dataset_key)
            if entry is None:
                entry = fit(spec, data, dataset_key, trained=trained, on_progress=on_progress)
            with self._lock:
                self._models[key] = entry
                while len(self._models) > self.capacity:
                    evicted, _ = self._models.popitem(last=False)
                    self._key_locks.pop(evicted, None)
            return entry
