"""What one cell sees: a stage's cell, the pixels of the picture that can change it, and how
the fields grow from block to block."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cnnexplain.figures.receptive import field_on_picture
from cnnexplain.model.receptive import Field, field_sizes, receptive_field
from cnnexplain.model.spec import CNNSpec, stage_shapes
from cnnexplain.model.trace import Trace, TraceStage
from cnnexplain.texts import forward as text
from cnnexplain.ui.forward.stage import (
    figure_cache,
    map_ranges,
    network_range,
    output_map,
    pick_cell,
)
from cnnexplain.ui.kit.glossary import term_help
from cnnexplain.ui.kit.widgets import format_shape, recall_choice, remember

STAGE_KEY = "fwd_rf_stage"
CHART_KEY = "fwd_rf_click"
COLUMN_PX = 420  # width of the stage's map
MAP_UNIT_PX = 36  # the largest a cell of the stage's map is drawn: a 7×7 map stays readable


def cell_keys(stage: str) -> tuple[str, str, str]:
    """The widgets of the map, row and column for `stage`: each stage keeps its own cell."""
    return (f"fwd_rf_c_{stage}", f"fwd_rf_i_{stage}", f"fwd_rf_j_{stage}")


@figure_cache
def _picture(x, field: Field) -> go.Figure:
    return field_on_picture(x, field)


def _choose_stage(maps: list[TraceStage]) -> TraceStage:
    """The stage whose cell is explained; the last map the first time, and again whenever the
    one chosen before is gone from a changed network."""
    names = [s.name for s in maps]
    recall_choice(STAGE_KEY, names, names[-1])
    name = st.selectbox(
        text.RECEPTIVE_STAGE,
        names,
        key=STAGE_KEY,
        help=term_help("receptive field", more=text.RECEPTIVE_STAGE_MORE),
    )
    return maps[names.index(remember(STAGE_KEY, name))]


def show(result: Trace, spec: CNNSpec, scale: str) -> None:
    """Pick a stage and a cell; its receptive field on the picture, the cell on its map, what
    the cell sees in words, then how the fields grow and the size of each stage's."""
    st.write(text.RECEPTIVE_INTRO)
    maps = [s for s in result.stages if s.torch_out.ndim == 3]
    stage = _choose_stage(maps)
    keys = cell_keys(stage.name)
    c, i, j = pick_cell(
        stage.torch_out,
        keys,
        (text.RECEPTIVE_CHANNEL, text.RECEPTIVE_ROW, text.RECEPTIVE_COL),
        st.columns(3),
        help=text.RECEPTIVE_CHANNEL_HELP,
    )
    field = receptive_field(spec, stage.name, i, j)
    left, right = st.columns(2)
    with left:
        st.markdown(text.RECEPTIVE_PICTURE_HEADER)
        st.plotly_chart(_picture(result.stages[0].torch_out, field), key="fwd_rf_picture")
    with right:
        st.markdown(text.RECEPTIVE_MAP_HEADER.format(stage=stage.name, c=c))
        zrange = map_ranges(stage.torch_out, scale, network_range(result))[c]
        output_map(
            stage,
            (c, i, j),
            zrange,
            keys,
            chart_key=CHART_KEY,
            width_px=COLUMN_PX,
            max_unit_px=MAP_UNIT_PX,
        )
        st.caption(text.CLICK_TO_PICK)
    st.markdown(_cell_words(spec, stage.name, (i, j), field))
    st.markdown(text.RECEPTIVE_GROWTH_HEADER)
    st.markdown("\n".join(f"- {line}" for line in growth_lines(spec)))
    st.dataframe(size_table(spec), hide_index=True, key="fwd_rf_table")
    st.caption(text.RECEPTIVE_TABLE_CAPTION)


def _cell_words(spec: CNNSpec, stage: str, cell: tuple[int, int], field: Field) -> str:
    """What the chosen cell sees, and why it sees less than the stage's largest field."""
    row, col = cell
    if field.empty:
        return text.RECEPTIVE_EMPTY.format(row=row, col=col, stage=stage)
    words = text.RECEPTIVE_CELL.format(
        row=row,
        col=col,
        stage=stage,
        top=field.top,
        bottom=field.bottom - 1,
        left=field.left,
        right=field.right - 1,
        height=field.height,
        width=field.width,
    )
    _, height, width = next(s for s in field_sizes(spec) if s[0] == stage)
    if (field.height, field.width) != (height, width):
        words += "\n\n" + text.RECEPTIVE_EDGE.format(stage=stage, height=height, width=width)
    return words


def growth_lines(spec: CNNSpec) -> list[str]:
    """Sentences, one per convolution and one for the last map, with the live field sizes."""
    sizes = {name: (h, w) for name, h, w in field_sizes(spec)}
    kinds = [(s.name, s.kind) for s in stage_shapes(spec) if s.name in sizes]
    lines = []
    pooled = False  # a pooling since the last convolution
    for name, kind in kinds:
        if kind == "pool":
            pooled = True
        if kind != "conv":
            continue
        height, width = sizes[name]
        if not lines:
            template = text.RECEPTIVE_FIRST
        else:
            template = text.RECEPTIVE_AFTER_POOL if pooled else text.RECEPTIVE_AFTER_CONV
        lines.append(template.format(stage=name, height=height, width=width))
        pooled = False
    last = kinds[-1][0]
    height, width = sizes[last]
    lines.append(
        text.RECEPTIVE_LAST.format(stage=last, height=height, width=width, size=spec.input_size)
    )
    if len(spec.conv_blocks) == 1:
        lines.append(text.RECEPTIVE_ONE_BLOCK)
    return lines


def size_table(spec: CNNSpec) -> pd.DataFrame:
    """Each map stage, its size, and the largest field of its cells, as the table shows them."""
    shapes = {s.name: s.shape for s in stage_shapes(spec)}
    stage, size, sees = text.RECEPTIVE_TABLE_COLUMNS
    return pd.DataFrame(
        {
            stage: name,
            size: format_shape(shapes[name][1:]),
            sees: format_shape((height, width)),
        }
        for name, height, width in field_sizes(spec)
    )
