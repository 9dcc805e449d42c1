"""The learner's picture with a receptive field outlined on it."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnexplain.figures.maps import cell_rect, heatmap, image
from cnnexplain.figures.theme import COLOURS, SCALES, SIZES
from cnnexplain.io.images import to_gray
from cnnexplain.model.receptive import Field

FIELD_SHAPE = "receptive field"  # the outline's name in the figure, for finding it again


def field_on_picture(x: np.ndarray, field: Field, *, height: int = 320) -> go.Figure:
    """The picture (C, H, W) in [0, 1] with `field` outlined; nothing outlined when it is empty.

    One or three channels are drawn as the picture they are; any other count as the mean of
    its channels, since the field is the same on every channel.
    """
    x = np.asarray(x)
    if x.ndim == 3 and x.shape[0] in (1, 3):
        fig = image(x, height=height)
    else:
        fig = heatmap(to_gray(x), zmin=0.0, zmax=1.0, colorscale=SCALES["image"], height=height)
    if not field.empty:
        fig.add_shape(
            cell_rect(
                field.top,
                field.left,
                field.bottom - 1,
                field.right - 1,
                name=FIELD_SHAPE,
                line={"color": COLOURS["focus"], "width": SIZES["box_width"]},
            )
        )
    return fig
