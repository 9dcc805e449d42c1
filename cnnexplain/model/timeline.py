"""The learner's kept steps as a timeline: what the convolutions looked like after each one.

A `Timeline` keeps, for the start (`begin`) and for each step a `StepHistory` accepts, a
`TimelinePoint`: the weights of the convolutions after that step, the step's loss on its batch,
and the loss and accuracy of the whole network on a fixed `Probe` (the first pictures of the
test set), measured when the step was taken. StepHistory feeds it: push adds a point, undo
takes the last one back, reset goes back to the start alone.

Only the convolutions' weights are kept, because they are all the timeline draws: the kernels,
and a feature map, which a forward pass replays from the picture through the layers before it.
For the default network that is 5 KB a step instead of the whole network's 208 KB. The arrays
are the very read-only arrays of the history's `Snapshot`, not copies: while a step can still
be undone, the timeline costs no weight bytes of its own.

The timeline keeps at most `max_points` steps and `max_bytes` bytes of weights. The start
always stays, so the first and the latest kept points can be compared; the oldest steps after
it are let go first, and `dropped` counts them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnexplain.core.kernels import PRESETS
from cnnexplain.model.head import HEADS
from cnnexplain.model.spec import clone_model

MAX_POINTS = 500  # steps kept; a slider with more positions than this is no longer scrubbed
# Bytes of convolution weights kept: 800 steps of the default network, and a few dozen of the
# largest network the sidebar allows.
MAX_BYTES = 4 * 2**20
PROBE_SIZE = 100  # test pictures the accuracy is measured on, the first of the test set
EDGE_PRESETS = ("Sobel x", "Sobel y", "edge (Laplacian)")  # the edge kernels of the lab
EDGE_RISE = 0.1  # a rise of the edge score this large or larger is said to be a clear one


def _read_only(arr: np.ndarray) -> np.ndarray:
    view = arr.view()
    view.setflags(write=False)
    return view


@dataclass(frozen=True)
class ProbeScores:
    """How the whole network does on the probe."""

    accuracy: float  # share of the probe's pictures classified right, 0 to 1
    loss: float  # the head's mean loss over the probe's pictures


@dataclass(frozen=True, eq=False)
class Probe:
    """A fixed small test set, the same at every step, that the accuracy is measured on."""

    x: np.ndarray  # (N, C, H, W) float32 read-only views of the data set's pictures
    y: np.ndarray  # (N,) int64 true classes
    head: str  # the network's head: "softmax" or "sigmoid"

    @classmethod
    def first(
        cls, x_test: np.ndarray, y_test: np.ndarray, head: str, size: int = PROBE_SIZE
    ) -> Probe:
        """The first `size` test pictures (all of them when there are fewer). Views, not copies:
        every learner's probe shares the data set's arrays."""
        x = np.asarray(x_test[:size], dtype=np.float32)
        y = np.asarray(y_test[:size], dtype=np.int64)
        return cls(x=_read_only(x), y=_read_only(y), head=head)

    def scores(self, model: nn.Module) -> ProbeScores:
        """`model`'s accuracy and mean loss on the probe, from one forward pass; both NaN for a
        probe without pictures (a data set without a test split)."""
        if not len(self.y):
            return ProbeScores(accuracy=float("nan"), loss=float("nan"))
        head = HEADS[self.head]
        with torch.no_grad():
            logits = model(torch.from_numpy(np.array(self.x)))
            loss = head.loss(logits, torch.from_numpy(np.array(self.y)))
        predicted = head.predicted(logits).numpy()
        return ProbeScores(accuracy=float(np.mean(predicted == self.y)), loss=float(loss))

    def accuracy(self, model: nn.Module) -> float:
        """The share of the probe's pictures `model` classifies right, from 0 to 1; NaN for a
        probe without pictures."""
        return self.scores(model).accuracy

    def evaluator(self, model: nn.Module) -> Callable[[Mapping[str, np.ndarray]], ProbeScores]:
        """A function of the weights (named like `model`'s) that gives their probe scores.

        It evaluates on a private copy of `model`, so no model anyone else holds is changed.
        """
        private = clone_model(model).eval()
        named = dict(private.named_parameters())

        def evaluate(params: Mapping[str, np.ndarray]) -> ProbeScores:
            with torch.no_grad():
                for name, p in named.items():
                    p.copy_(torch.from_numpy(np.array(params[name])))
            return self.scores(private)

        return evaluate


def conv_names(model: nn.Module) -> tuple[str, ...]:
    """The parameter names of `model`'s convolutions ("conv1.weight", "conv1.bias", ...)."""
    return tuple(
        f"{child}.{name}"
        for child, module in model.named_children()
        if isinstance(module, nn.Conv2d)
        for name, _ in module.named_parameters()
    )


@dataclass(frozen=True, eq=False)
class TimelinePoint:
    """The network after one kept step (number 0: the start, before any step)."""

    number: int  # the step's number in the history; 0 for the start
    params: dict[str, np.ndarray]  # the convolutions' weights after it, read-only, model dtype
    loss_before: float  # the step's mean loss on its batch before the update (nan at the start)
    loss_after: float  # the same loss after the update: these weights on that batch (nan at 0)
    accuracy: float  # share of the probe's pictures the whole network got right, 0 to 1
    test_loss: float  # the whole network's mean loss on the probe's pictures

    @property
    def nbytes(self) -> int:
        """Bytes of the weight arrays this point holds."""
        return sum(p.nbytes for p in self.params.values())


class Timeline:
    """The start and the latest kept steps, each as a `TimelinePoint`."""

    def __init__(
        self,
        names: tuple[str, ...],
        evaluate: Callable[[Mapping[str, np.ndarray]], ProbeScores],
        *,
        max_points: int = MAX_POINTS,
        max_bytes: int = MAX_BYTES,
        probe_size: int = 0,
    ) -> None:
        if max_points < 1:
            raise ValueError(f"max_points must be at least 1, got {max_points}.")
        self.names = names
        self.max_points = max_points
        self.max_bytes = max_bytes
        self._evaluate = evaluate
        self.probe_size = probe_size  # pictures `evaluate` measures the accuracy and loss on
        self._start: TimelinePoint | None = None  # set by `begin`
        self._steps: deque[TimelinePoint] = deque()  # the latest kept steps, oldest first
        self._bytes = 0
        self.dropped = 0  # steps after the start let go to stay within the limits

    @classmethod
    def for_model(cls, model: nn.Module, probe: Probe, **limits: int) -> Timeline:
        """A timeline of `model`'s convolutions, its accuracy measured on `probe`."""
        return cls(conv_names(model), probe.evaluator(model), probe_size=len(probe.y), **limits)

    def begin(self, start_params: Mapping[str, np.ndarray]) -> None:
        """Start from `start_params` (a StepHistory's start) with no steps."""
        missing = [name for name in self.names if name not in start_params]
        if missing:
            raise ValueError(f"The weights have no {', '.join(missing)}.")
        nan = float("nan")
        probe = self._evaluate(start_params)
        kept = self._kept(start_params)
        self._start = TimelinePoint(0, kept, nan, nan, probe.accuracy, probe.loss)
        self.reset()

    @property
    def start(self) -> TimelinePoint:
        """The point before any step."""
        if self._start is None:
            raise RuntimeError("The timeline has no start yet: call begin(start_params).")
        return self._start

    def _kept(self, params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The convolutions' arrays of `params`, read-only; the same arrays when they already
        are (a Snapshot's), so nothing is copied twice."""
        kept = {}
        for name in self.names:
            arr = params[name]
            if arr.flags.writeable:
                arr = np.array(arr, copy=True)
                arr.setflags(write=False)
            kept[name] = arr
        return kept

    @property
    def points(self) -> list[TimelinePoint]:
        """The start, then every kept step, in order."""
        return [self.start, *self._steps]

    @property
    def nbytes(self) -> int:
        """Bytes of weights held by the kept points, the start included."""
        return self.start.nbytes + self._bytes

    def point(self, number: int) -> TimelinePoint:
        """The kept point of step `number`; KeyError when it is not kept."""
        for p in self.points:
            if p.number == number:
                return p
        raise KeyError(f"Step {number} is not on the timeline.")

    def push(
        self, number: int, params: Mapping[str, np.ndarray], loss_before: float, loss_after: float
    ) -> int:
        """Add step `number` with the weights after it; returns how many old steps were let go."""
        last = self.points[-1].number
        if number <= last:
            raise ValueError(f"Step {number} comes after step {last}, not before.")
        losses = float(loss_before), float(loss_after)
        probe = self._evaluate(params)
        point = TimelinePoint(number, self._kept(params), *losses, probe.accuracy, probe.loss)
        self._steps.append(point)
        self._bytes += point.nbytes
        # The start is always kept: the steps share what the budget leaves of it.
        room = self.max_bytes - self.start.nbytes
        dropped, self._bytes = drop_oldest(self._steps, self.max_points, room, self._bytes)
        self.dropped += dropped
        return dropped

    def undo(self, number: int) -> bool:
        """Take back step `number` if it is the last one kept; False otherwise."""
        if not self._steps or self._steps[-1].number != number:
            return False
        self._bytes -= self._steps.pop().nbytes
        return True

    def reset(self) -> None:
        """Back to the start alone."""
        self._steps.clear()
        self._bytes = 0
        self.dropped = 0


def drop_oldest(queue: deque, most: int, max_bytes: int, held: int) -> tuple[int, int]:
    """Let the oldest entries of `queue` go (each has .nbytes; `held` bytes in all) until at most
    `most` are left holding at most `max_bytes`, keeping the newest whatever its size.

    Returns (entries let go, bytes still held).
    """
    dropped = 0
    while len(queue) > most or (held > max_bytes and len(queue) > 1):
        held -= queue.popleft().nbytes
        dropped += 1
    return dropped, held


# --- what a point shows


def feature_maps(
    model: nn.Module, params: Mapping[str, np.ndarray], x: np.ndarray, layer: str
) -> np.ndarray:
    """The output (F, H', W') of convolution `layer` for one picture x (C, H, W), in float32,
    with the convolutions' weights `params` (a point's) instead of the model's own.

    The forward pass runs `model`'s children in order up to `layer`, reading each convolution's
    stride, padding and dilation from the model; the model itself is never changed.
    """
    out = torch.from_numpy(np.array(x, dtype=np.float32)[None])  # (1, C, H, W)
    with torch.no_grad():
        for name, module in model.named_children():
            if isinstance(module, nn.Conv2d):
                out = F.conv2d(
                    out,
                    torch.from_numpy(np.array(params[f"{name}.weight"])),
                    torch.from_numpy(np.array(params[f"{name}.bias"])),
                    stride=module.stride,
                    padding=module.padding,
                    dilation=module.dilation,
                )
                if name == layer:
                    return out[0].numpy()
            else:
                out = module(out)
    raise KeyError(f"The network has no convolution {layer!r}.")


def edge_score(kernels: np.ndarray) -> float | None:
    """How much the 3×3 kernels (F, C, 3, 3) look like edge detectors, from 0 to 1.

    For each kernel (f, c): the largest |correlation| (Pearson's, over its 9 weights) with the
    lab's edge kernels (Sobel x, Sobel y, the Laplacian); then the mean over every kernel. A
    flat kernel correlates with nothing and counts 0. None for kernels of another size.
    """
    if kernels.ndim != 4 or kernels.shape[2:] != (3, 3):
        return None
    flat = kernels.reshape(-1, 9).astype(np.float64)
    flat = flat - flat.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(flat, axis=1)
    presets = np.stack([PRESETS[name].ravel() for name in EDGE_PRESETS])
    presets = presets - presets.mean(axis=1, keepdims=True)
    presets /= np.linalg.norm(presets, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.abs(flat @ presets.T) / norms[:, None]  # (F*C, presets)
    best = np.where(norms > 0, corr.max(axis=1), 0.0)
    return float(best.mean())


@dataclass(frozen=True)
class EdgeChange:
    """The edge score of a layer's kernels at the first and at the latest kept point."""

    first: float
    latest: float

    @property
    def rose(self) -> bool:
        """True when the kernels became clearly more like edge detectors (by EDGE_RISE)."""
        return self.latest - self.first >= EDGE_RISE


def edge_change(timeline: Timeline, layer: str) -> EdgeChange | None:
    """The edge score of `layer`'s kernels at the first and the latest kept point, or None for
    kernels that are not 3×3."""
    name = f"{layer}.weight"
    first = edge_score(timeline.points[0].params[name])
    latest = edge_score(timeline.points[-1].params[name])
    if first is None or latest is None:
        return None
    return EdgeChange(first=first, latest=latest)
