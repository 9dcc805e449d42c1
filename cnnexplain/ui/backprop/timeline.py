"""Watch it learn: the learner's kept steps on a slider, and the network as it was at each.

The `model.timeline.Timeline` the learner's StepHistory feeds holds, for the start and each
kept step, the convolutions' weights, the batch loss, and the loss and accuracy on fixed test
pictures. This section draws one of them at a time: the chosen convolution's kernels, one
feature map of the first picture the steps learn from (a forward pass with that step's
weights), and the curves of those numbers marked at that step. Play draws every kept step in
turn, within one run, and leaves the slider on the last one.

The section is drawn only once the learner switches it on (the switch is remembered): it
repeats the kernels and the loss above, and its three charts were nearly half of what a Step
sent and drew. It is a fragment: the switch and the slider redraw it alone, not the charts above.
"""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from cnnexplain.figures import backprop as bpfig
from cnnexplain.figures import timeline as tlfig
from cnnexplain.figures.maps import symmetric_range
from cnnexplain.model.timeline import EDGE_RISE, Timeline, TimelinePoint, edge_change, feature_maps
from cnnexplain.texts import backprop as text
from cnnexplain.ui.backprop.views import Batch, Stepper, clamped, number
from cnnexplain.ui.kit.detail import at_level, every_number
from cnnexplain.ui.kit.widgets import kept, recall, recall_choice, remember, remembered

SHOW_KEY = "bp_tl_show"  # the switch that draws the section; off at first
SLIDER_KEY = "bp_tl_step"  # the step shown: a number on the timeline, 0 for the start
LAST_KEY = "bp_tl_last"  # the last step the slider knew of, so it follows new steps
LAYER_KEY = "bp_tl_layer"
CHANNEL_KEY = "bp_tl_channel"
FRAME_S = 0.4  # seconds each step stays on screen while playing
PLAY_FRAMES = 25  # steps Play shows at most, spread evenly from the start to the last


def step_name(number: int) -> str:
    """The words for step `number`: "the start" or "step 3"."""
    return text.TIMELINE_START if number == 0 else text.TIMELINE_STEP.format(number=number)


def play_frames(numbers: list[int], most: int = PLAY_FRAMES) -> list[int]:
    """At most `most` of the kept steps, evenly spread, always the first and the last."""
    if len(numbers) <= most:
        return list(numbers)
    picks = np.unique(np.linspace(0, len(numbers) - 1, most).round().astype(int))
    return [numbers[i] for i in picks]


def show(state: Stepper, batch: Batch) -> None:
    """The "Watch it learn" section, once there is a step to watch."""
    st.subheader(text.TIMELINE_HEADER, anchor="bp-timeline")
    st.write(text.TIMELINE_INTRO)
    timeline = state.history.timeline
    if timeline is None or len(timeline.points) < 2:
        st.caption(text.TIMELINE_NONE)
        return
    _scrubber(state, batch.x[0])


def _follow(numbers: list[int]) -> None:
    """Put the slider on the last step when it was there before a new step came, or when the
    step it showed is no longer kept (undone, reset, let go)."""
    last = numbers[-1]
    previous = st.session_state.get(LAST_KEY)
    value = recall(SLIDER_KEY, last)
    if value not in numbers or (value == previous and previous != last):
        st.session_state[SLIDER_KEY] = last
    st.session_state[LAST_KEY] = last


def _to_last(last: int) -> None:
    st.session_state[SLIDER_KEY] = last  # Play ends there, so the slider says so from the start


def _layers(timeline: Timeline) -> list[str]:
    """The convolutions the timeline keeps the weights of."""
    return [name.rsplit(".", 1)[0] for name in timeline.names if name.endswith(".weight")]


def _pickers(timeline: Timeline) -> tuple[str, int]:
    """The convolution (when there is more than one) and the feature map to show, both kept
    while the learner visits other pages."""
    layers = _layers(timeline)
    recall_choice(LAYER_KEY, layers, layers[0])
    left, right = st.columns(2)
    with left:
        layer = st.selectbox(text.TIMELINE_LAYER, layers, key=LAYER_KEY, disabled=len(layers) < 2)
    filters = timeline.start.params[f"{remember(LAYER_KEY, layer)}.weight"].shape[0]
    recall(CHANNEL_KEY, 0)
    clamped(CHANNEL_KEY, 0, filters - 1, 0)
    with right:
        channel = st.selectbox(text.TIMELINE_CHANNEL, list(range(filters)), key=CHANNEL_KEY)
    return layer, int(remember(CHANNEL_KEY, channel))


@st.fragment
def _scrubber(state: Stepper, picture: np.ndarray) -> None:
    """The switch; when it is on, the pickers, the slider and Play, then the network at the
    chosen step."""
    timeline = state.history.timeline
    if not kept(SHOW_KEY, False, st.toggle, text.TIMELINE_SHOW, help=text.TIMELINE_SHOW_HELP):
        # What the kernels became is a sentence, not a chart: it is said with the section shut.
        # The remembered layer is read, not set (the selectbox is not drawn).
        layers = _layers(timeline)
        layer = remembered(LAYER_KEY, layers[0])
        _edges(timeline, layer if layer in layers else layers[0])
        return
    if timeline.dropped:
        st.caption(
            text.TIMELINE_DROPPED.format(kept=len(timeline.points) - 1, dropped=timeline.dropped)
        )
    points = timeline.points
    numbers = [p.number for p in points]
    layer, channel = _pickers(timeline)
    _follow(numbers)
    slider_col, play_col = st.columns([6, 1], vertical_alignment="bottom")
    with slider_col:
        at = st.select_slider(
            text.TIMELINE_SLIDER, options=numbers, format_func=step_name, key=SLIDER_KEY
        )
        remember(SLIDER_KEY, at)
    with play_col:
        play = st.button(
            text.TIMELINE_PLAY,
            key="bp_tl_play",
            help=text.TIMELINE_PLAY_HELP,
            on_click=_to_last,
            args=(numbers[-1],),
        )
    draw = _Drawer(state, timeline, layer, channel, picture)
    # The "Playing" line has its own place, so every frame drawn into `holder` has the same
    # elements in the same places: a frame laid out otherwise than the one before it can leave
    # a column of the old one on the screen.
    status, holder = st.empty(), st.empty()
    if play:
        for frame, shown in enumerate(play_frames(numbers)[:-1]):
            status.caption(text.TIMELINE_PLAYING.format(step=step_name(shown)))
            with holder.container():
                draw.frame(timeline.point(shown), suffix=f"_play{frame}")
            time.sleep(FRAME_S)
        status.empty()
    with holder.container():
        draw.frame(timeline.point(at), suffix="")
    _edges(timeline, layer)


class _Drawer:
    """Draws one point of the timeline, on colour scales fixed for the whole timeline."""

    def __init__(
        self, state: Stepper, timeline: Timeline, layer: str, channel: int, picture: np.ndarray
    ) -> None:
        self.state, self.timeline = state, timeline
        self.layer, self.channel, self.picture = layer, channel, picture
        points = timeline.points
        weight = f"{layer}.weight"
        self.kernel_range = symmetric_range(*[p.params[weight] for p in points])
        # The map's scale fits the start and the last step, and grows for a step beyond them.
        self.map_ends = [self.feature_map(points[0]), self.feature_map(points[-1])]
        self.numbers = [p.number for p in points]
        self.losses = [p.loss_after for p in points]
        self.test_losses = [p.test_loss for p in points]
        self.accuracies = [p.accuracy for p in points]
        self.probe_size = timeline.probe_size

    def feature_map(self, point: TimelinePoint) -> np.ndarray:
        """(H', W') the chosen channel of the chosen convolution at `point`."""
        maps = feature_maps(self.state.model, point.params, self.picture, self.layer)
        return maps[self.channel]

    def frame(self, point: TimelinePoint, suffix: str) -> None:
        """The numbers, the kernels, the feature map and the curves at `point`."""
        step = step_name(point.number)
        loss_col, test_loss_col, accuracy_col = st.columns(3)
        loss = point.loss_after
        loss_col.metric(
            text.TIMELINE_LOSS.format(step=step),
            text.TIMELINE_NO_LOSS if np.isnan(loss) else number(loss),
        )
        test_loss, accuracy = point.test_loss, point.accuracy
        test_loss_col.metric(
            text.TIMELINE_TEST_LOSS.format(n=self.probe_size),
            text.TIMELINE_NO_ACCURACY if np.isnan(test_loss) else number(test_loss),
        )
        accuracy_col.metric(
            text.TIMELINE_ACCURACY.format(n=self.probe_size),
            text.TIMELINE_NO_ACCURACY if np.isnan(accuracy) else f"{accuracy:.0%}",
        )
        kernels_col, map_col = st.columns([3, 2])
        with kernels_col:
            kernels = bpfig.kernel_grid(
                point.params[f"{self.layer}.weight"],
                title=text.TIMELINE_KERNELS.format(layer=self.layer, step=step),
                labels=text.HOVER_KERNEL,
                zrange=self.kernel_range,
                width=2 * bpfig.PANEL_PX,
            )
            st.plotly_chart(at_level(kernels), key=f"bp_tl_kernels{suffix}")
        with map_col:
            shown = self.feature_map(point)
            fmap = bpfig.map_grid(
                shown[None],
                zrange=symmetric_range(*self.map_ends, shown),
                title=text.TIMELINE_MAP.format(channel=self.channel, layer=self.layer),
                labels=text.HOVER_POSITION,
            )
            st.plotly_chart(at_level(fmap), key=f"bp_tl_map{suffix}")
        st.caption(text.TIMELINE_CAPTION)
        curves = tlfig.curves_at(
            self.numbers,
            self.losses,
            self.accuracies,
            point.number,
            test_losses=self.test_losses,
            titles=text.TIMELINE_CURVE_TITLES,
            x_title=text.TIMELINE_CURVE_X,
        )
        st.plotly_chart(at_level(curves), key=f"bp_tl_curves{suffix}")
        st.caption(text.TIMELINE_CURVES_CAPTION.format(n=self.probe_size))


def _edges(timeline: Timeline, layer: str) -> None:
    """Say the kernels became edge detectors only when the measure rose clearly; in Every
    number, show the measured scores either way."""
    change = edge_change(timeline, layer)
    if change is None:
        return
    points = timeline.points
    words = {
        "layer": layer,
        "first": f"{change.first:.2f}",
        "latest": f"{change.latest:.2f}",
        "first_step": step_name(points[0].number),
        "latest_step": step_name(points[-1].number),
        "rise": f"{EDGE_RISE:.2f}",
    }
    if change.rose:
        st.success(text.EDGES_ROSE.format(**words))
    elif every_number():
        st.caption(text.EDGES_NUMBERS.format(**words))
    else:
        return
    st.caption(text.EDGES_MEANING)
