"""The training pictures closest to a picture, and when the network's answer deserves doubt.

Closeness is measured where the network itself compares pictures: in the numbers it computes
just before its answer, the input of its output layer (for the default network, the 64 values
of dense1 after ReLU). Each picture's list of numbers is scaled to length 1, and the distance
between two pictures is the straight-line distance between their lists, from 0 (the network
sees them alike) to 2 (opposite). Pictures close in this sense get close answers.

Two warnings come from the same measurements:

- unsure: the network's top probability is low, or the second answer is close behind;
- unlike anything it was trained on: the picture's nearest training picture is much further
  away than the held-out test pictures' nearest ones usually are. The threshold is measured on
  the data set's own held-out part, for the model in use (`build_index`), not typed in.

A network always answers with one of its classes, often with a high probability, even for a
picture unlike anything it has seen; the second warning is the one that catches those.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from cnnexplain.io.datasets import Dataset
from cnnexplain.model.head import HEADS

NEIGHBOURS = 5  # training pictures shown beside the learner's
# The network is unsure when its top probability is below UNSURE_TOP, or when the top two
# probabilities are less than UNSURE_MARGIN apart.
UNSURE_TOP = 0.7
UNSURE_MARGIN = 0.3
# A picture is unlike the training pictures when its nearest one is further than UNLIKE_FACTOR
# times the distance that UNLIKE_QUANTILE of the held-out test pictures stay within.
UNLIKE_QUANTILE = 0.99
UNLIKE_FACTOR = 1.25
BATCH = 512


@dataclass(frozen=True, eq=False)
class NeighbourIndex:
    """The training pictures' features for one model, and the distance that counts as far."""

    features: np.ndarray  # (N, D) float32, each row of length 1: the training pictures
    labels: np.ndarray  # (N,) their labels
    typical: float  # median distance from a held-out test picture to its nearest training one
    threshold: float  # nearest distances beyond this are "unlike anything trained on"


@dataclass(frozen=True)
class Neighbours:
    """The training pictures nearest to one picture, nearest first."""

    indices: np.ndarray  # (k,) rows of the data set's x_train
    labels: np.ndarray  # (k,) their labels
    distances: np.ndarray  # (k,) their distances, 0 to 2


@dataclass(frozen=True)
class Doubt:
    """What the network's answer and the picture's distance say about trusting the answer."""

    top: float  # the highest probability
    second: float  # the second highest (0 for a one-output sigmoid network's other class)
    nearest: float  # distance to the nearest training picture
    typical: float  # the held-out test pictures' median nearest distance
    threshold: float  # nearest distances beyond this are "unlike anything trained on"

    @property
    def unsure(self) -> bool:
        return self.top < UNSURE_TOP or self.top - self.second < UNSURE_MARGIN

    @property
    def unlike(self) -> bool:
        return self.nearest > self.threshold


@torch.no_grad()
def features(model: nn.Sequential, x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) pictures -> (N, D) float32: the input of the model's output layer, length 1.

    `model` is one of the app's networks: an nn.Sequential whose last Linear layer gives the
    logits. The model's mode is left as it was.
    """
    children = list(model.children())
    linear = [i for i, m in enumerate(children) if isinstance(m, nn.Linear)]
    if not linear:
        raise ValueError("the model has no dense output layer to measure closeness before")
    body = nn.Sequential(*children[: linear[-1]])
    was_training = model.training
    model.eval()
    out = []
    for start in range(0, len(x), BATCH):
        h = body(torch.tensor(np.asarray(x[start : start + BATCH]), dtype=torch.float32))
        out.append(h.flatten(1))
    model.train(was_training)
    f = torch.cat(out)
    return (f / f.norm(dim=1, keepdim=True).clamp(min=1e-12)).numpy()


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(M, D) and (N, D) rows of length 1 -> (M, N) straight-line distances."""
    return np.sqrt(np.clip(2.0 - 2.0 * a @ b.T, 0.0, 4.0))


def build_index(model: nn.Sequential, data: Dataset) -> NeighbourIndex:
    """Features of every training picture, and the "unlike" threshold from the held-out part."""
    train = features(model, data.x_train)
    test = features(model, data.x_test)
    nearest = _distances(test, train).min(axis=1)  # (M,) each test picture's nearest
    return NeighbourIndex(
        features=train,
        labels=np.asarray(data.y_train),
        typical=float(np.median(nearest)),
        threshold=float(UNLIKE_FACTOR * np.quantile(nearest, UNLIKE_QUANTILE)),
    )


def nearest(
    index: NeighbourIndex, model: nn.Sequential, x: np.ndarray, k: int = NEIGHBOURS
) -> Neighbours:
    """The k training pictures nearest to one picture x (C, H, W), nearest first."""
    d = _distances(features(model, x[None]), index.features)[0]  # (N,)
    k = min(k, len(d))
    order = np.argsort(d, kind="stable")[:k]
    return Neighbours(indices=order, labels=index.labels[order], distances=d[order])


def doubt(index: NeighbourIndex, probs: np.ndarray, nearest_distance: float) -> Doubt:
    """Judge one answer: probs (K,) the class probabilities, and the nearest distance."""
    p = np.sort(np.asarray(probs, dtype=np.float64))[::-1]
    return Doubt(
        top=float(p[0]),
        second=float(p[1]) if len(p) > 1 else 0.0,
        nearest=float(nearest_distance),
        typical=index.typical,
        threshold=index.threshold,
    )


@torch.no_grad()
def probabilities(model: nn.Sequential, x: np.ndarray) -> np.ndarray:
    """(K,) class probabilities for one picture x (C, H, W); [1 - p, p] for a sigmoid head."""
    was_training = model.training
    model.eval()
    logits = model(torch.tensor(np.asarray(x)[None], dtype=torch.float32))  # (1, K) or (1, 1)
    model.train(was_training)
    return HEADS[model.spec.head].probabilities(logits)[0].numpy().astype(np.float64)
