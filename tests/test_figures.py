"""Figure builders: the numbers in the figure are the numbers given."""

import numpy as np
import plotly.graph_objects as go
import pytest

from cnnexplain import figures


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
    assert bar.marker.color[1] == figures.THEME["bar_highlight"]
    assert bar.marker.color[0] == figures.THEME["bar"]


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


def test_hover_positions_travel_as_int16_when_they_fit():
    from cnnexplain.figures_backprop import compact, kernel_grid, map_grid

    where = np.array([[[-1, 0, 5], [3, 27, 27]]], dtype=np.int32)
    small = compact(where)
    assert small.dtype == np.int16 and np.array_equal(small, where)
    large = np.array([[[40_000, 1, 2]]], dtype=np.int32)
    assert compact(large).dtype == np.int32
    maps = map_grid(np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4))
    custom = maps.data[0].customdata
    assert custom.dtype == np.int16 and custom[0, 1].tolist() == [0, 0, 1]
    kernels = kernel_grid(np.zeros((2, 3, 3, 3), dtype=np.float32))
    assert kernels.data[0].customdata.dtype == np.int16
