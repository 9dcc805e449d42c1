"""The first layer of each network at chosen moments of its training, to replay how it learned.

A run keeps a copy of each network's first-layer weights as pictures (`first_layer_images`:
the CNN's conv1 kernels, the ANN's first neurons' weights as pictures of the input) before its
first step and at the end of chosen epochs: every epoch when there are few, otherwise epochs
spread evenly up to the last one, so that a long run keeps no more than MAX_SNAPSHOTS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from cnnexplain.experiment.first_layer import first_layer_images

MAX_SNAPSHOTS = 20  # per network, the start included
SNAPSHOT_UNITS = 16  # first-layer units kept: the first 16 kernels or neurons


@dataclass(frozen=True, eq=False)
class Snapshot:
    """One network's first layer at one moment of its training."""

    epoch: int  # epochs finished: 0 for the initial weights
    step: int  # gradient steps taken by then
    weights: np.ndarray  # (units, C, KH, KW) kernels or (units, C, H, W) neurons, a copy


def snapshot_epochs(epochs: int, limit: int = MAX_SNAPSHOTS) -> frozenset[int]:
    """The epochs, from 1 to `epochs`, at whose end a snapshot is taken: at most limit - 1 of
    them (the start takes one place), evenly spread, always the last one."""
    if limit < 2:
        raise ValueError(f"A timeline needs room for at least 2 snapshots, not {limit}.")
    count = min(epochs, limit - 1)
    return frozenset(round(i * epochs / count) for i in range(1, count + 1))


def take(model: nn.Module, epoch: int, step: int, units: int = SNAPSHOT_UNITS) -> Snapshot:
    """The first `units` first-layer units of `model` as they are now."""
    weights = first_layer_images(model)[:units]  # first_layer_images already copies
    weights.flags.writeable = False
    return Snapshot(epoch=epoch, step=step, weights=weights)
