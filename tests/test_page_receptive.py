"""The forward page's receptive-field section, driven headless with AppTest: the outline on the
picture is the library's field of the chosen cell, for the default network and for others."""

from __future__ import annotations

import numpy as np
import torch
from pagekit import app, charts, decode, markdown_text

from cnnexplain.figures.receptive import FIELD_SHAPE
from cnnexplain.model.receptive import Field, field_sizes, receptive_field
from cnnexplain.model.spec import CNNSpec, ConvBlock, stage_shapes
from cnnexplain.texts import forward as text
from cnnexplain.ui.forward.receptive import CHART_KEY, STAGE_KEY, cell_keys
from cnnexplain.ui.kit import resources

# Dilation, a stride and average pooling, on the built-in digits (1 × 28 × 28).
OTHER_SPEC = CNNSpec(
    conv_blocks=(
        ConvBlock(4, kernel_size=3, dilation=2, padding=1, pool="avg"),
        ConvBlock(4, kernel_size=5, stride=2, padding=0, activation="tanh", pool=None),
    ),
    dense=(16,),
)


def forward_page(spec: CNNSpec | None = None):
    at = app()
    if spec is not None:
        at.session_state["arch_spec"] = spec
        at.session_state["arch_trained"] = False
    at.switch_page("pages/forward.py").run()
    assert not at.exception
    return at


def picture_chart(at) -> dict:
    """The chart of the picture: the one with the field's outline."""
    for chart in charts(at):
        if any(shape.get("name") == FIELD_SHAPE for shape in chart["layout"].get("shapes", [])):
            return chart
    raise AssertionError("no picture with a receptive field outlined")


def drawn_field(at) -> Field:
    """The outline on the picture (cells r0..r1 span y = r0 - 0.5 .. r1 + 0.5), as a Field."""
    shape = next(s for s in picture_chart(at)["layout"]["shapes"] if s.get("name") == FIELD_SHAPE)
    return Field(
        round(shape["y0"] + 0.5),
        round(shape["x0"] + 0.5),
        round(shape["y1"] + 0.5),
        round(shape["x1"] + 0.5),
    )


def chosen(at) -> tuple[str, int, int, int]:
    stage = at.session_state[STAGE_KEY]
    c, i, j = (int(at.session_state[k]) for k in cell_keys(stage))
    return stage, c, i, j


def pick(at, stage: str, row: int, col: int):
    at.selectbox(key=STAGE_KEY).set_value(stage).run()
    keys = cell_keys(stage)
    at.number_input(key=keys[1]).set_value(row)
    at.number_input(key=keys[2]).set_value(col).run()
    assert not at.exception
    return at


def stage_map_z(at, stage: str, c: int) -> np.ndarray:
    """The values of the chart drawn for map c of `stage` (hover shows them)."""
    name = text.MAP_NAME.format(stage=stage, channel=c)
    for chart in charts(at):
        for trace in chart["data"]:
            if trace["type"] == "heatmap" and str(trace.get("hovertemplate", "")).startswith(name):
                return decode(trace["z"]).astype(np.float64)
    raise AssertionError(f"no map named {name!r}")


@torch.no_grad()
def torch_stage(model, x: np.ndarray, name: str) -> np.ndarray:
    out = torch.from_numpy(np.array(x[None], dtype=np.float32))
    for child_name, module in model.named_children():
        out = module(out)
        if child_name == name:
            return out[0].numpy()
    raise KeyError(name)


def test_the_section_lists_the_map_stages_and_outlines_the_chosen_cell_s_field():
    at = forward_page()
    assert text.RECEPTIVE_HEADER in [s.value for s in at.subheader]
    spec = at.session_state["arch_spec"]
    maps = [s.name for s in stage_shapes(spec) if len(s.shape) == 3]
    assert at.selectbox(key=STAGE_KEY).options == maps
    stage, c, i, j = chosen(at)
    assert stage == maps[-1]
    field = receptive_field(spec, stage, i, j)
    assert drawn_field(at) == field
    assert (
        f"Cell (row {i}, column {j}) of **{stage}** can be changed by rows {field.top} to "
        f"{field.bottom - 1} and columns {field.left} to {field.right - 1}"
    ) in markdown_text(at)
    # The picture drawn is the one the network saw, and the map beside it is the live
    # network's output on it, value for value.
    x = decode(picture_chart(at)["data"][0]["z"]).astype(np.float32)[None]  # (1, 28, 28)
    entry = resources.model_store().peek(spec, at.session_state["arch_dataset"])
    np.testing.assert_allclose(
        stage_map_z(at, stage, c), torch_stage(entry.model, x, stage)[c], rtol=1e-5, atol=1e-6
    )


def test_a_new_cell_moves_the_outline_and_an_edge_cell_says_it_sees_less():
    at = forward_page()
    spec = at.session_state["arch_spec"]
    pick(at, "maxpool2", 3, 3)
    middle = drawn_field(at)
    assert middle == receptive_field(spec, "maxpool2", 3, 3) == Field(9, 9, 19, 19)
    assert "This one sees less" not in markdown_text(at)
    pick(at, "conv2", 0, 13)
    corner = drawn_field(at)
    assert corner == receptive_field(spec, "conv2", 0, 13) != middle
    assert corner.height < 8 and corner.width < 8
    assert text.RECEPTIVE_EDGE.format(stage="conv2", height=8, width=8) in markdown_text(at)


def test_a_click_on_the_stage_s_map_picks_the_cell():
    at = pick(forward_page(), "maxpool1", 5, 5)
    at.session_state[CHART_KEY] = {
        "selection": {"points": [{"customdata": [0, 2, 11, 0.5]}], "point_indices": [0]}
    }
    at.run()
    assert not at.exception
    assert chosen(at)[2:] == (2, 11)
    assert drawn_field(at) == receptive_field(at.session_state["arch_spec"], "maxpool1", 2, 11)


def test_the_table_and_the_words_show_each_stage_s_largest_field():
    at = forward_page()
    spec = at.session_state["arch_spec"]
    table = at.dataframe[0].value
    columns = list(text.RECEPTIVE_TABLE_COLUMNS)
    assert list(table.columns) == columns
    shapes = {s.name: s.shape for s in stage_shapes(spec)}
    expected = [
        (name, f"{shapes[name][1]} × {shapes[name][2]}", f"{h} × {w}")
        for name, h, w in field_sizes(spec)
    ]
    assert [tuple(row) for row in table[columns].itertuples(index=False)] == expected
    words = markdown_text(at)
    sizes = {name: (h, w) for name, h, w in field_sizes(spec)}
    assert f"A cell of **conv1** sees {sizes['conv1'][0]}×{sizes['conv1'][1]} pixels" in words
    assert f"a cell of **conv2** sees {sizes['conv2'][0]}×{sizes['conv2'][1]}" in words
    assert f"**maxpool2**, sees {sizes['maxpool2'][0]}×{sizes['maxpool2'][1]} of the 28×28" in words


def test_another_network_gets_its_own_stages_fields_and_table():
    at = forward_page(OTHER_SPEC)
    maps = ["input", "conv1", "relu1", "avgpool1", "conv2", "tanh2"]
    assert at.selectbox(key=STAGE_KEY).options == maps
    assert chosen(at)[0] == "tanh2"
    sizes = field_sizes(OTHER_SPEC)
    assert sizes[1] == ("conv1", 5, 5) and sizes[3] == ("avgpool1", 6, 6)
    table = at.dataframe[0].value
    assert list(table[text.RECEPTIVE_TABLE_COLUMNS[2]]) == [f"{h} × {w}" for _, h, w in sizes]
    for stage, row, col in [("conv1", 0, 0), ("avgpool1", 6, 12), ("tanh2", 1, 4)]:
        pick(at, stage, row, col)
        assert drawn_field(at) == receptive_field(OTHER_SPEC, stage, row, col)
    assert "After pooling and another convolution, a cell of **conv2** sees" in markdown_text(at)


def test_a_stage_the_new_network_lacks_falls_back_to_its_last_map():
    at = pick(forward_page(), "maxpool2", 1, 1)
    at.session_state["arch_spec"] = OTHER_SPEC
    at.session_state["arch_trained"] = False
    at.run()
    assert not at.exception
    assert chosen(at)[0] == "tanh2"
    stage, _, i, j = chosen(at)
    assert drawn_field(at) == receptive_field(OTHER_SPEC, stage, i, j)


def test_a_cell_that_sees_only_padding_has_no_outline_and_says_so():
    # A 1×1 kernel with padding 1: the ring of cells around conv1 is made of padding alone.
    spec = CNNSpec(conv_blocks=(ConvBlock(4, kernel_size=1, padding=1, pool=None),), dense=(8,))
    at = pick(forward_page(spec), "conv1", 0, 5)
    assert receptive_field(spec, "conv1", 0, 5).empty
    assert not [
        shape
        for chart in charts(at)
        for shape in chart["layout"].get("shapes", [])
        if shape.get("name") == FIELD_SHAPE
    ]
    assert text.RECEPTIVE_EMPTY.format(row=0, col=5, stage="conv1") in markdown_text(at)
    pick(at, "conv1", 1, 5)
    assert drawn_field(at) == Field(0, 4, 1, 5)
