"""A learner's training steps, kept so that any of the recent ones can be undone exactly.

`StepHistory` holds the weights and optimizer state the learner has now (`current`), the ones
they started from (`start`), and a stack of the states before each recent step (for undo). A
step is pushed as the `backprop.StepRecord` that `inspected_step` returned:

- a step whose loss or weights became infinite or undefined (`record.diverged`) is refused, so
  the model stays on its last good weights and optimizer state;
- undo puts back the state before the last step, array for array;
- reset goes back to the start and forgets every step;
- the undo stack keeps at most `max_undo` states and `max_bytes` bytes (always at least one):
  the oldest are dropped first, and `dropped` counts them;
- the loss of each step stays in `steps`, a list of small records for the loss curve, up to
  `max_curve` of the latest (`curve_dropped` counts the older ones let go), so an hour of
  stepping stays within a few megabytes;
- a `timeline.Timeline`, when given, is fed every accepted step, undo and reset, so what it
  shows is always the path the learner is on.

Every array kept is a read-only copy, so nothing the page does later can change a saved state;
`Snapshot.params_copy` and `Snapshot.state_for` hand out writable copies for torch (which warns
about read-only arrays). No Streamlit here: the page keeps one StepHistory per user in its
session.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cnnexplain.core.optim import AdamState, SGDState
from cnnexplain.model.timeline import drop_oldest

if TYPE_CHECKING:
    from cnnexplain.model.backprop import StepRecord
    from cnnexplain.model.timeline import Timeline

MAX_UNDO = 200  # undo steps kept at most
# Bytes of weights and optimizer state the undo stack may hold: a few dozen steps of the default
# network with Adam (0.6 MB a state), and part of the per-learner memory a class server budgets.
MAX_BYTES = 8 * 2**20
MAX_CURVE = 10_000  # loss-curve points kept (about 1.5 MB); far more than a plot can show apart

OptState = dict[str, SGDState | AdamState]


def _frozen(arr: np.ndarray) -> np.ndarray:
    """A read-only copy of `arr`, same dtype."""
    copy = np.array(arr, copy=True)
    copy.setflags(write=False)
    return copy


def _frozen_state(
    state: SGDState | AdamState, copy: Callable[[np.ndarray], np.ndarray] = _frozen
) -> SGDState | AdamState:
    """The same state with every array passed through `copy`."""
    if isinstance(state, AdamState):
        return AdamState(step=state.step, m=copy(state.m), v=copy(state.v))
    buffer = None if state.momentum_buffer is None else copy(state.momentum_buffer)
    return SGDState(step=state.step, momentum_buffer=buffer)


def _state_bytes(state: SGDState | AdamState) -> int:
    if isinstance(state, AdamState):
        return state.m.nbytes + state.v.nbytes
    return 0 if state.momentum_buffer is None else state.momentum_buffer.nbytes


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The weights and the optimizer's memory at one moment; every array is read-only."""

    params: dict[str, np.ndarray]  # named like model.named_parameters(): "conv1.weight", ...
    opt_kind: str | None  # the optimizer that left opt_state ("sgd", "momentum", "adam")
    opt_state: OptState | None  # what that optimizer carries to its next step; None at first

    @classmethod
    def of(
        cls,
        params: Mapping[str, np.ndarray],
        opt_kind: str | None = None,
        opt_state: Mapping[str, SGDState | AdamState] | None = None,
    ) -> Snapshot:
        """A snapshot holding read-only copies of `params` and `opt_state`."""
        frozen_state = (
            None if opt_state is None else {name: _frozen_state(s) for name, s in opt_state.items()}
        )
        return cls(
            params={name: _frozen(p) for name, p in params.items()},
            opt_kind=None if opt_state is None else opt_kind,
            opt_state=frozen_state,
        )

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays this snapshot holds."""
        total = sum(p.nbytes for p in self.params.values())
        if self.opt_state is not None:
            total += sum(_state_bytes(s) for s in self.opt_state.values())
        return total

    def params_copy(self) -> dict[str, np.ndarray]:
        """Writable copies of the weights, for `backprop.load_params`."""
        return {name: p.copy() for name, p in self.params.items()}

    def state_for(self, kind: str) -> OptState | None:
        """Writable copies of the optimizer state to continue with `kind`, when `kind` left it.

        Else None: a different optimizer starts from nothing, because Adam's running averages
        mean nothing to SGD with momentum, and the other way round.
        """
        if self.opt_state is None or kind != self.opt_kind:
            return None
        return {name: _frozen_state(s, copy=np.copy) for name, s in self.opt_state.items()}


@dataclass(frozen=True, slots=True)
class StepEntry:
    """One step on the learner's path, as the loss curve shows it."""

    number: int  # 1 for the first step since the start
    loss_before: float  # mean loss on the step's batch before the update
    loss_after: float  # the same loss after the update
    kind: str  # the optimizer: "sgd", "momentum" or "adam"
    lr: float  # the learning rate it used
    batch_size: int  # N, the examples the step learned from


@dataclass(frozen=True)
class PushResult:
    """What happened to a pushed step."""

    accepted: bool  # False: the step diverged and the model kept its last good state
    dropped: int  # undo states dropped by this push to stay within the limits


class StepHistory:
    """The weights a learner started from, the ones they have now, and the steps between."""

    def __init__(
        self,
        start_params: Mapping[str, np.ndarray],
        *,
        max_undo: int = MAX_UNDO,
        max_bytes: int = MAX_BYTES,
        max_curve: int = MAX_CURVE,
        timeline: Timeline | None = None,
    ) -> None:
        if max_undo < 1:
            raise ValueError(f"max_undo must be at least 1, got {max_undo}.")
        if max_curve < max_undo:
            raise ValueError(
                f"max_curve must be at least max_undo ({max_undo}), got {max_curve}: "
                "every step undo can take back needs its point on the curve."
            )
        self.max_undo = max_undo
        self.max_bytes = max_bytes
        self.max_curve = max_curve
        self.start = Snapshot.of(start_params)
        self.current = self.start
        self.steps: deque[StepEntry] = deque()  # the latest steps on the path, oldest first
        self.curve_dropped = 0  # oldest steps whose loss is no longer kept
        self.dropped = 0  # oldest steps that can no longer be undone
        self.rejected = 0  # diverged steps refused since the start
        self._undo: deque[Snapshot] = deque()  # the state before each recent step
        self._undo_bytes = 0
        self.timeline = timeline  # fed every step kept, undone or reset; None: no timeline
        if timeline is not None:
            timeline.begin(self.start.params)  # the start's own read-only arrays, not copies

    @property
    def step_count(self) -> int:
        """Steps taken from the start to `current`."""
        return self.curve_dropped + len(self.steps)

    @property
    def undo_depth(self) -> int:
        """How many steps undo can still take back."""
        return len(self._undo)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def undo_bytes(self) -> int:
        """Bytes held by the undo stack."""
        return self._undo_bytes

    def push(self, record: StepRecord) -> PushResult:
        """Make the weights after `record`'s step the current ones, unless the step diverged.

        The step must have started from the current weights: raises ValueError otherwise, so a
        step computed from stale weights can never slip into the history.
        """
        before = record.params_before
        if before.keys() != self.current.params.keys() or not all(
            np.array_equal(before[name], p) for name, p in self.current.params.items()
        ):
            raise ValueError("This step did not start from the current weights of the history.")
        if record.diverged:
            self.rejected += 1
            return PushResult(accepted=False, dropped=0)
        settings = record.settings
        self._undo.append(self.current)
        self._undo_bytes += self.current.nbytes
        self.current = Snapshot.of(record.params_after, settings.kind, record.opt_state)
        self.steps.append(
            StepEntry(
                number=self.step_count + 1,
                loss_before=float(record.loss_before),
                loss_after=float(record.loss_after),
                kind=settings.kind,
                lr=float(settings.lr),
                batch_size=len(record.labels),
            )
        )
        if self.timeline is not None:
            self.timeline.push(
                self.step_count, self.current.params, record.loss_before, record.loss_after
            )
        while len(self.steps) > self.max_curve:
            self.steps.popleft()
            self.curve_dropped += 1
        dropped, self._undo_bytes = drop_oldest(
            self._undo, self.max_undo, self.max_bytes, self._undo_bytes
        )
        self.dropped += dropped
        return PushResult(accepted=True, dropped=dropped)

    def undo(self) -> bool:
        """Go back to the state before the last step; False when there is none left to undo."""
        if not self._undo:
            return False
        if self.timeline is not None:
            self.timeline.undo(self.step_count)
        self.current = self._undo.pop()
        self._undo_bytes -= self.current.nbytes
        self.steps.pop()
        return True

    def reset(self) -> None:
        """Back to the starting weights, with no optimizer state and no steps."""
        self.current = self.start
        self._undo.clear()
        self._undo_bytes = 0
        self.steps.clear()
        self.curve_dropped = 0
        self.dropped = 0
        self.rejected = 0
        if self.timeline is not None:
            self.timeline.reset()
