"""The timeline of kept steps: the loss and the test accuracy along it, marked at one step.

Arrays in, `plotly.graph_objects.Figure` out, colours and sizes from `figures.theme`, like the
other figure modules. The kernels and the feature map of a step are drawn by
`figures.backprop.kernel_grid` and `map_grid`, with colour ranges fixed across the steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from cnnexplain.figures.theme import COLOURS, FORMATS, figure
from cnnexplain.texts import figures as text

DOMAINS = ((0.0, 0.45), (0.55, 1.0))  # the loss panel on the left, the accuracy on the right
MARK_SIZE = 13  # the chosen step's dot, pixels


def _panel(
    numbers: Sequence[int],
    values: Sequence[float],
    at: int,
    *,
    axis: str,
    name: str,
    x_title: str,
    value_format: str,
    colour: str,
) -> list[dict[str, Any]]:
    """One curve on axes `axis` ("" or "2") and a large dot at step `at`, when it has a value."""
    xs = np.asarray(numbers, dtype=np.int64)
    ys = np.asarray(values, dtype=np.float64)
    shown = np.isfinite(ys)
    hover = f"{x_title} %{{x}}<br>{name}: %{{y:{value_format}}}<extra></extra>"
    traces = [
        {
            "type": "scatter",
            "x": xs[shown],
            "y": ys[shown],
            "mode": "lines+markers",
            "name": name,
            "line": {"color": colour},
            "marker": {"size": 5},
            "hovertemplate": hover,
            "xaxis": f"x{axis}",
            "yaxis": f"y{axis}",
        }
    ]
    chosen = shown & (xs == at)
    if chosen.any():
        traces.append(
            {
                "type": "scatter",
                "x": xs[chosen],
                "y": ys[chosen],
                "mode": "markers",
                "name": name,
                "marker": {"size": MARK_SIZE, "color": COLOURS["focus"]},
                "hovertemplate": hover,
                "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
            }
        )
    return traces


def curves_at(
    numbers: Sequence[int],
    losses: Sequence[float],
    accuracies: Sequence[float],
    at: int,
    *,
    test_losses: Sequence[float] | None = None,
    titles: Sequence[str] | None = None,
    x_title: str | None = None,
    height: int = 280,
) -> go.Figure:
    """The loss (left) and the accuracy from 0 to 1 (right) at each kept step, with a line and a
    dot at step `at`. A step without a loss (the start, NaN) has no point on the loss curve.

    `test_losses`, when given, is a second curve on the left, in the accuracy's colour: both
    are measured on the same test pictures. `titles` name the batch loss, the accuracy and the
    test loss, and `x_title` the steps; by default in the learner's words."""
    titles = titles or (text.BATCH_LOSS, text.TEST_ACCURACY, text.TEST_LOSS)
    x_title = text.STEP if x_title is None else x_title
    words = {"at": at, "x_title": x_title, "value_format": FORMATS["gradient"], "axis": ""}
    traces = _panel(numbers, losses, name=titles[0], colour=COLOURS["main"], **words)
    if test_losses is not None:
        traces += _panel(numbers, test_losses, name=titles[2], colour=COLOURS["highlight"], **words)
    traces += _panel(
        numbers,
        accuracies,
        at,
        axis="2",
        name=titles[1],
        x_title=x_title,
        value_format=".0%",
        colour=COLOURS["highlight"],
    )
    line = {"color": COLOURS["focus"], "width": 1, "dash": "dot"}
    shapes = [
        {"type": "line", "x0": at, "x1": at, "xref": f"x{axis}", "y0": 0, "y1": 1,
         "yref": f"y{axis} domain", "line": line}
        for axis in ("", "2")
    ]  # fmt: skip
    last = max(numbers, default=1)
    span = [min(numbers, default=0) - 0.5, last + 0.5]
    xaxis = {"title": {"text": x_title}, "range": span, "dtick": max(1, int(np.ceil(last / 8)))}
    return figure(
        traces,
        height=height,
        showlegend=False,
        shapes=shapes,
        xaxis={**xaxis, "domain": DOMAINS[0]},
        xaxis2={**xaxis, "domain": DOMAINS[1], "anchor": "y2"},
        yaxis={"title": {"text": text.LOSS if test_losses is not None else titles[0]},
               "exponentformat": "e"},
        yaxis2={"title": {"text": titles[1]}, "range": [0, 1.05], "tickformat": ".0%",
                "anchor": "x2"},
    )  # fmt: skip
