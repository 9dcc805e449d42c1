"""Figure builders: the numbers in the figure are the numbers given."""

import ast
import re
import tokenize
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

from cnnexplain.figures import maps as figures
from cnnexplain.figures import theme


def test_heatmap_carries_exact_values_and_hover():
    arr = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    fig = figures.heatmap(arr, boxes=[(0, 1, 1, 2)])
    trace = fig.data[0]
    np.testing.assert_allclose(np.asarray(trace.z), arr.astype(np.float64))
    assert "%{z:.4f}" in trace.hovertemplate
    (box,) = fig.layout.shapes
    assert (box.x0, box.x1, box.y0, box.y1) == (0.5, 2.5, -0.5, 1.5)


def test_feature_maps_local_and_shared_scales():
    maps = np.random.default_rng(0).normal(size=(5, 4, 4))
    local = figures.feature_maps(maps, columns=3)
    assert len(local.data) == 5
    assert all(t.zmin is None for t in local.data)
    lo, hi = figures.symmetric_range(maps)
    shared = figures.feature_maps(maps, zmin=lo, zmax=hi)
    assert all(t.zmin == lo and t.zmax == hi for t in shared.data)
    assert sum(bool(t.showscale) for t in shared.data) == 1
    np.testing.assert_allclose(np.asarray(shared.data[3].z), maps[3])


def test_feature_maps_caps_the_number_of_maps():
    fig = figures.feature_maps(np.zeros((40, 2, 2)), max_maps=10)
    assert len(fig.data) == 10


def test_vector_highlights_one_bar():
    fig = figures.vector(np.array([0.1, 0.7, 0.2]), labels=["a", "b", "c"], highlight=1)
    bar = fig.data[0]
    assert list(bar.x) == ["a", "b", "c"]
    assert bar.marker.color[1] == theme.COLOURS["highlight"]
    assert bar.marker.color[0] == theme.COLOURS["main"]


def test_image_gray_and_rgb():
    gray = figures.image(np.full((1, 3, 3), 0.5))
    assert isinstance(gray.data[0], go.Heatmap)
    rgb = figures.image(np.ones((3, 2, 2)))
    assert isinstance(rgb.data[0], go.Image)
    assert np.asarray(rgb.data[0].z).max() == 255


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros((2, 2, 2, 2))])
def test_builders_reject_wrong_shapes(bad):
    with pytest.raises(ValueError, match="needs"):
        figures.heatmap(bad)
    with pytest.raises(ValueError, match="needs"):
        figures.feature_maps(bad)


def test_symmetric_range_of_zeros_is_not_empty():
    assert figures.symmetric_range(np.zeros(3)) == (-1.0, 1.0)
    assert figures.symmetric_range(np.array([-3.0, 2.0])) == (-3.0, 3.0)


def test_hover_positions_travel_in_the_smallest_integer_type_that_holds_them():
    from cnnexplain.figures.backprop import compact, kernel_grid, map_grid

    where = np.array([[[-1, 0, 5], [3, 27, 27]]], dtype=np.int32)
    small = compact(where)
    assert small.dtype == np.int8 and np.array_equal(small, where)
    wide = np.array([[[-1, 0, 5], [3, 27, 300]]], dtype=np.int32)
    assert compact(wide).dtype == np.int16 and np.array_equal(compact(wide), wide)
    large = np.array([[[40_000, 1, 2]]], dtype=np.int32)
    assert compact(large).dtype == np.int32
    maps = map_grid(np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4))
    custom = maps.data[0].customdata
    assert custom.dtype == np.int8 and custom[0, 1].tolist() == [0, 0, 1]
    kernels = kernel_grid(np.zeros((2, 3, 3, 3), dtype=np.float32))
    assert kernels.data[0].customdata.dtype == np.int8


# --------------------------------------------------------------------------------------------
# Values written in the convolution lab's cells: only where they fit


def test_cell_text_is_short_and_signed():
    from cnnexplain.figures.lab import cell_text

    values = np.array([[1.0, 0.5, -0.25, -0.001, np.nan, 0.123456]])
    assert cell_text(values).tolist() == [["1", "0.5", "\u22120.25", "0", "", "0.12"]]


def test_values_get_the_largest_font_that_fits_or_none():
    from cnnexplain.figures.lab import value_font

    largest, smallest = theme.LAB["value_font"], theme.LAB["min_value_font"]
    assert value_font(np.array(["1", "0"]), cell=40) == largest
    assert value_font(np.array(["1", "\u22120.25"]), cell=40) == largest
    shrunk = value_font(np.array(["\u22120.25"]), cell=28)
    assert shrunk is not None and smallest <= shrunk < largest
    assert value_font(np.array(["\u22120.25"]), cell=12) is None
    assert value_font(np.array(["1"]), cell=10) is None  # too low for a line of text


def _lab_figures(values: np.ndarray, width_px: float, height: int):
    from cnnexplain.figures import lab as figures_lab

    H, W = values.shape
    inp = figures_lab.padded_input(np.pad(values, 1), 1, width_px=width_px, height=height)
    out = figures_lab.output_map(values, cell=(0, 0), width_px=width_px, height=height)
    return inp, out


def test_small_lab_grids_write_their_values_and_large_ones_do_not():
    from cnnexplain.figures import lab as figures_lab

    rng = np.random.default_rng(0)
    small = np.round(rng.uniform(-1, 1, size=(6, 6)), 2)
    inp, out = _lab_figures(small, width_px=460, height=400)
    assert out.data[0].texttemplate == "%{text}"
    np.testing.assert_array_equal(np.asarray(out.data[0].text), figures_lab.cell_text(small))
    assert inp.data[0].texttemplate == "%{text}" and inp.data[1].texttemplate == "%{text}"
    assert set(np.asarray(inp.data[1].text)[0]) == {"0"}  # the padding row
    for fig in (inp, out):
        assert all(t.textfont.size <= theme.LAB["value_font"] for t in fig.data[:1])

    # A 16×16 output drawn 270 px wide has cells of about 11 px: no value fits in one.
    large = rng.uniform(-1, 1, size=(16, 16))
    inp, out = _lab_figures(large, width_px=270, height=600)
    assert out.data[0].text is None and out.data[0].texttemplate is None
    assert inp.data[0].text is None and inp.data[1].text is None


def test_lab_maps_keep_every_value_in_the_hover_text_whether_written_or_not():
    rng = np.random.default_rng(1)
    for values, width_px in ((rng.uniform(size=(4, 4)), 460), (rng.uniform(size=(20, 20)), 270)):
        inp, out = _lab_figures(values, width_px=width_px, height=500)
        markers = out.data[1]
        np.testing.assert_array_equal(np.asarray(markers.customdata), values.reshape(-1))
        assert "%{customdata:.4f}" in markers.hovertemplate
        picture = np.asarray(inp.data[0].z)[1:-1, 1:-1]  # inside the padding
        np.testing.assert_array_equal(picture, values)
        assert "%{z:.4f}" in inp.data[0].hovertemplate


def test_a_value_written_while_the_kernel_slides_keeps_its_size():
    from cnnexplain.figures import lab as figures_lab

    values = np.arange(9, dtype=np.float64).reshape(3, 3) - 4.5
    done = figures_lab.output_map(values, filled=2, width_px=460, height=300)
    full = figures_lab.output_map(values, width_px=460, height=300)
    assert done.data[0].textfont.size == full.data[0].textfont.size
    assert np.asarray(done.data[0].text).reshape(-1).tolist()[2:] == [""] * 7


def test_cells_fill_the_room_left_by_the_margins():
    from cnnexplain.figures.lab import cell_px

    m = theme.LAB["margin"]
    assert cell_px((10, 10), width_px=270, height_px=1000) == (270 - m["l"] - m["r"]) / 10
    assert cell_px((10, 10), width_px=2000, height_px=400) == (400 - m["t"] - m["b"]) / 10
    with_bar = cell_px((10, 10), width_px=270, height_px=1000, colorbar=True)
    assert with_bar == (270 - m["l"] - m["r"] - theme.LAB["colorbar_px"]) / 10


# --------------------------------------------------------------------------------------------
# The data-efficiency chart's log axis


def test_a_log_axis_is_labelled_at_the_measured_sizes_only():
    from cnnexplain.figures.compare import accuracy_lines

    sizes = [50, 100, 200, 400, 800]
    fig = accuracy_lines(
        sizes,
        {"CNN": [0.5, 0.6, 0.7, 0.8, 0.9], "ANN": [0.4, 0.5, 0.6, 0.7, 0.8]},
        title="t",
        x_title="training pictures",
        y_title="accuracy",
        chance=0.1,
        chance_label="guessing",
        log_x=True,
    )
    axis = fig.layout.xaxis
    assert axis.type == "log" and axis.tickmode == "array"
    assert list(axis.tickvals) == sizes
    assert list(axis.ticktext) == ["50", "100", "200", "400", "800"]
    assert not axis.minor.ticks and not axis.minor.showgrid  # no unlabelled 60, 70, 80 ...


def test_log_ticks_skip_a_size_too_close_to_the_last_one_labelled():
    from cnnexplain.figures.compare import MIN_LABEL_RATIO, log_ticks

    ticks = log_ticks([50, 55, 100, 1000, 1100, 5000])
    assert ticks["tickvals"] == [50, 100, 1000, 5000]
    assert ticks["ticktext"] == ["50", "100", "1,000", "5,000"]
    kept = ticks["tickvals"]
    assert all(b / a >= MIN_LABEL_RATIO for a, b in zip(kept, kept[1:], strict=False))


def test_a_linear_axis_keeps_plotly_s_own_ticks():
    from cnnexplain.figures.compare import accuracy_lines

    fig = accuracy_lines([0, 1, 2], {"CNN": [0.9, 0.8, 0.7]}, title="t", x_title="x", y_title="y")
    assert fig.layout.xaxis.type is None and fig.layout.xaxis.tickmode is None


# --------------------------------------------------------------------------------------------
# Maps keep their shape; the overview's tiles line up and its titles do not collide


def test_feature_maps_keep_square_cells_and_short_titles():
    maps = np.random.default_rng(2).normal(size=(8, 28, 28))
    names = [f"channel {c}" for c in range(8)]
    fig = figures.feature_maps(maps, names=names, titles=[str(c) for c in range(8)])
    for c in range(8):
        suffix = "" if c == 0 else str(c + 1)
        y = fig.layout[f"yaxis{suffix}"]
        assert y.scaleanchor == f"x{suffix}" and y.constrain == "domain", c
        assert fig.layout[f"xaxis{suffix}"].constrain == "domain"
        assert fig.data[c].hovertemplate.startswith(f"channel {c} row")
    assert [a.text for a in fig.layout.annotations] == [str(c) for c in range(8)]
    assert fig.layout.yaxis.ticks == "" and fig.layout.xaxis.ticks == ""


def _overview_columns(blocks: int):
    from cnnexplain.figures import overview as ovfig

    rng = np.random.default_rng(3)
    shapes = [("input", (1, 28, 28))]
    size = 28
    for b in range(1, blocks + 1):
        for kind in ("conv", "relu", "maxpool"):
            size = size // 2 if kind == "maxpool" else size
            shapes.append((f"{kind}{b}", (16, size, size)))
    flat = 16 * size * size
    shapes += [("flatten", (flat,)), ("dense1", (64,)), ("dense1_relu", (64,)), ("probs", (10,))]
    columns = []
    for name, shape in shapes:
        values = rng.random(shape).astype(np.float32)
        shown = values[:8] if values.ndim == 3 else values
        note = "first 8 of 16" if values.ndim == 3 and len(values) > 8 else ""
        label = f"{name}<br>{' × '.join(str(s) for s in shape)}"
        ranges = [(0.0, 1.0)] * (len(shown) if shown.ndim == 3 else 1)
        columns.append(ovfig.OverviewColumn(label, shown, ranges, note=note))
    return columns


@pytest.mark.parametrize("blocks", [1, 2, 3])
def test_overview_thumbnails_line_up_in_every_column(blocks):
    from cnnexplain.figures import overview as ovfig

    columns = _overview_columns(blocks)
    fig = ovfig.overview(columns, max_rows=8)
    thumb, gap = theme.TILES["thumb"], theme.TILES["gap"]
    for column, trace in zip(columns, fig.data, strict=True):
        if column.values.ndim == 1:  # a strip, spread over the whole column
            continue
        z = np.asarray(trace.z)
        assert trace.y is not None, column.label  # the rows' edges, not a step
        edges = np.asarray(trace.y)
        assert len(edges) == len(z) + 1
        gaps = np.flatnonzero(np.isnan(z[:, 0]))
        h = int(gaps[0]) if len(gaps) else len(z)  # rows of one map, before the first gap row
        n = (len(z) + 1) // (h + 1)
        tops = edges[: len(z) : h + 1]
        np.testing.assert_allclose(tops, np.arange(n) * (thumb + gap))  # map k starts at row k
        assert edges[h] == pytest.approx(thumb)  # and is a thumbnail high
        assert edges[-1] == pytest.approx((n - 1) * (thumb + gap) + thumb)


@pytest.mark.parametrize("blocks", [1, 2, 3])
def test_overview_titles_are_apart_and_inside_at_the_narrowest_width(blocks):
    from cnnexplain.figures import overview as ovfig

    fig = ovfig.overview(_overview_columns(blocks), max_rows=8)
    low, high = fig.layout.xaxis.range
    unit_px = theme.TILES["overview_min_px"] / (high - low)  # drawn that wide, the tiles fill it
    rows: dict[tuple, list] = {}
    for a in fig.layout.annotations:
        rows.setdefault((a.yref, a.yshift), []).append(a)
    assert len(rows) >= 2  # titles above, notes below
    for row in rows.values():
        spans = []
        for a in row:
            half = ovfig._text_px(a.text, a.font.size) / 2 / unit_px
            assert low <= a.x - half and a.x + half <= high, a.text  # not cut at an edge
            spans.append((a.x - half, a.x + half))
        spans.sort()
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), spans


# --------------------------------------------------------------------------------------------
# Every colour comes from the theme


FIGURES = Path(theme.__file__).parent
COLOUR_CODE = re.compile(r"#[0-9A-Fa-f]{3}(?:[0-9A-Fa-f]{3})?\b|\b(?:rgba?|hsla?)\(")


def _is_colour(text: str) -> bool:
    """Whether plotly takes `text` as a colour ("white", "#E45756", "rgb(1, 2, 3)") or as a
    colour scale ("Viridis", "RdBu_r")."""
    for build in (lambda: go.scatter.Marker(color=text), lambda: go.Heatmap(colorscale=text)):
        try:
            build()
        except ValueError:
            continue
        return True
    return False


def _colour_literals(path: Path) -> list[str]:
    """`path`'s string literals that are, or hold, a colour: 'line: text'."""
    found = []
    with path.open("rb") as source:
        for token in tokenize.tokenize(source.readline):
            if token.type != tokenize.STRING:
                continue
            try:
                value = ast.literal_eval(token.string)
            except ValueError:  # an f-string: only its codes can be checked
                value = None
            if COLOUR_CODE.search(token.string) or (isinstance(value, str) and _is_colour(value)):
                found.append(f"{path.name}:{token.start[0]}: {token.string}")
    return found


def test_figure_modules_take_every_colour_from_the_theme():
    modules = sorted(FIGURES.glob("*.py"))
    assert {"maps.py", "tiles.py", "lab.py"} <= {p.name for p in modules}
    stray = [hit for p in modules if p.name != "theme.py" for hit in _colour_literals(p)]
    assert not stray, "colours outside figures/theme.py:\n" + "\n".join(stray)
    # The same reading finds the theme's own colours and scales, so it would find a stray one.
    in_theme = " ".join(_colour_literals(FIGURES / "theme.py"))
    for colour in ('"#E45756"', '"white"', '"Viridis"', '"RdBu"', '"Hot"', "rgba("):
        assert colour in in_theme, colour
