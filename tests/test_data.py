"""Built-in data sets, the online loader (offline and with a stand-in for OpenML), batching."""

import socket
import time
from dataclasses import FrozenInstanceError

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from cnnexplain.io import datasets as data
from cnnexplain.io.datasets import (
    DATASETS,
    Dataset,
    DatasetInfo,
    DatasetUnavailable,
    batches,
    load_dataset,
    load_digits28,
    load_openml,
    make_shapes,
)


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return load_digits28()


@pytest.fixture(scope="module")
def shapes() -> Dataset:
    return make_shapes()


def check_layout(ds: Dataset, channels: int, size: int, num_classes: int) -> None:
    for x, y in ((ds.x_train, ds.y_train), (ds.x_test, ds.y_test)):
        assert x.dtype == np.float32
        assert y.dtype == np.int64
        assert x.shape == (len(y), channels, size, size)
        assert x.min() >= 0.0
        assert x.max() <= 1.0
        assert set(np.unique(y)) == set(range(num_classes))
        assert not x.flags.writeable
        assert not y.flags.writeable
    assert (ds.channels, ds.size, ds.num_classes) == (channels, size, num_classes)


def centres_of_mass(x: np.ndarray) -> np.ndarray:
    """(N, H, W) non-negative images -> (N, 2) centre of mass as (row, column)."""
    rows, cols = np.indices(x.shape[1:])
    mass = x.sum(axis=(1, 2))
    return np.stack([(x * rows).sum(axis=(1, 2)) / mass, (x * cols).sum(axis=(1, 2)) / mass], 1)


# ---------------------------------------------------------------------------------------------
# Built-in digits


def test_digits28_layout_and_split(digits):
    check_layout(digits, channels=1, size=28, num_classes=10)
    assert digits.name == "digits"
    assert digits.class_names == tuple("0123456789")
    assert len(digits.x_train) + len(digits.x_test) == 1797
    assert len(digits.x_test) == 360
    # Stratified: each digit's share of the test part matches its share of all the data.
    all_counts = np.bincount(load_digits().target, minlength=10)
    test_counts = np.bincount(digits.y_test, minlength=10)
    np.testing.assert_allclose(test_counts, all_counts * 0.2, atol=1)


def test_digits28_are_white_on_black_and_centred(digits):
    x = digits.x_train[:, 0]
    assert x.max() > 0.95  # strokes reach full white
    # Ink fits the 20x20 box; the centring shift keeps it inside the black frame.
    rows_used = (x.max(axis=2) > 0).sum(axis=1)
    cols_used = (x.max(axis=1) > 0).sum(axis=1)
    assert rows_used.max() <= 20 and cols_used.max() <= 20
    assert x[:, 0].max() == 0 and x[:, -1].max() == 0
    assert x[:, :, 0].max() == 0 and x[:, :, -1].max() == 0
    assert np.median(x[:, :4]) == 0  # the background is black
    centres = centres_of_mass(x)
    np.testing.assert_allclose(centres, 13.5, atol=0.5 + 1e-6)  # whole-pixel shifts


def test_digits28_enlarge_like_torch_bicubic():
    small = load_digits().images[:50].astype(np.float32) / 16  # (50, 8, 8)
    grow = data._cubic_matrix(8, 20)
    ours = np.einsum("ip,npq,jq->nij", grow, small, grow)
    reference = torch.nn.functional.interpolate(
        torch.from_numpy(small)[:, None], size=(20, 20), mode="bicubic", align_corners=False
    )[:, 0].numpy()
    np.testing.assert_allclose(ours, reference, atol=1e-5)
    # The enlarged digit keeps its ink: its mass per area matches the 8x8 scan's.
    np.testing.assert_allclose(ours.mean(axis=(1, 2)), small.mean(axis=(1, 2)), rtol=0.05)


def test_digits28_is_deterministic_and_seed_changes_split():
    a, b, c = load_digits28(seed=1), load_digits28(seed=1), load_digits28(seed=2)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.y_test, c.y_test)
    assert len(load_digits28(test_fraction=0.5).x_test) == 899


# ---------------------------------------------------------------------------------------------
# Generated shapes


def test_shapes_layout_and_balance(shapes):
    check_layout(shapes, channels=1, size=28, num_classes=5)
    assert shapes.class_names == ("circle", "square", "triangle", "cross", "ring")
    np.testing.assert_array_equal(np.bincount(shapes.y_train), [240] * 5)
    np.testing.assert_array_equal(np.bincount(shapes.y_test), [60] * 5)


def test_shapes_rgb_layout_and_colour():
    ds = make_shapes(40, rgb=True, size=32, seed=5)
    check_layout(ds, channels=3, size=32, num_classes=5)
    assert ds.name == "shapes-rgb"
    # Colour pictures, not gray ones copied three times.
    assert np.abs(ds.x_train[:, 0] - ds.x_train[:, 1]).mean() > 0.1


def test_shapes_same_seed_same_arrays_other_seed_differs():
    a, b, c = make_shapes(30, seed=7), make_shapes(30, seed=7), make_shapes(30, seed=8)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    assert not np.array_equal(a.x_train, c.x_train)


def object_masks(x: np.ndarray) -> np.ndarray:
    """(N, H, W) gray pictures -> where each differs clearly from its background (border)."""
    border = np.concatenate([x[:, 0], x[:, -1], x[:, :, 0], x[:, :, -1]], axis=1)  # (N, 4S)
    background = np.median(border, axis=1)[:, None, None]
    return (np.abs(x - background) > 0.2).astype(np.float64)


def test_shapes_move_around_and_stay_inside(shapes):
    masks = object_masks(shapes.x_train[:, 0])
    assert masks.sum(axis=(1, 2)).min() >= 10  # every picture shows a shape
    centres = centres_of_mass(masks)
    # Objects sit all over the frame, not in one place.
    assert centres.std(axis=0).min() > 2.5
    assert centres.min() < 7 and centres.max() > 20
    # ... and never run off it: the outer ring holds only background and noise.
    ring = np.concatenate([masks[:, 0], masks[:, -1], masks[:, :, 0], masks[:, :, -1]], axis=1)
    assert ring.mean() < 0.002


def test_shapes_classes_differ_in_form(shapes):
    # Rings have a hole where circles are filled: the centre pixel of a ring is background.
    x, y = shapes.x_train[:, 0], shapes.y_train
    masks = object_masks(x)
    centres = np.round(centres_of_mass(masks)).astype(int)
    at_centre = masks[np.arange(len(x)), centres[:, 0], centres[:, 1]]
    assert at_centre[y == 0].mean() > 0.95  # circle
    assert at_centre[y == 4].mean() < 0.2  # ring


def test_shapes_gray_contrast_both_ways(shapes):
    x = shapes.x_train[:, 0]
    masks = object_masks(x).astype(bool)
    inside = np.array([x[i][masks[i]].mean() for i in range(len(x))])
    outside = np.array([x[i][~masks[i]].mean() for i in range(len(x))])
    brighter = inside > outside
    assert 0.3 < brighter.mean() < 0.7  # light shapes on dark and dark shapes on light
    assert np.abs(inside - outside).min() > 0.25


def test_shapes_default_is_quick():
    start = time.perf_counter()
    make_shapes(rgb=True)
    assert time.perf_counter() - start < 2.0


def test_shapes_argument_checks():
    with pytest.raises(ValueError, match="n_per_class must be at least 2"):
        make_shapes(1)
    with pytest.raises(ValueError, match="size must be at least 8"):
        make_shapes(size=4)
    with pytest.raises(ValueError, match="test_fraction must be between 0 and 1"):
        make_shapes(test_fraction=1.0)


# ---------------------------------------------------------------------------------------------
# Dataset


def test_dataset_arrays_are_read_only_and_fields_frozen(digits):
    with pytest.raises(ValueError, match="read-only"):
        digits.x_train[0, 0, 0, 0] = 1.0
    with pytest.raises(FrozenInstanceError):
        digits.name = "other"
    assert "x_train=(1437, 1, 28, 28)" in repr(digits)


def test_dataset_checks_its_arrays():
    x = np.zeros((4, 1, 8, 8), dtype=np.float32)
    y = np.zeros(4, dtype=np.int64)
    with pytest.raises(ValueError, match="x_train must be float32"):
        Dataset("bad", x.astype(np.float64), y, x, y, ("a",), "")
    with pytest.raises(ValueError, match="y_test must be int64 of shape \\(4,\\)"):
        Dataset("bad", x, y, x, y[:3], ("a",), "")
    with pytest.raises(ValueError, match="x_test must hold values in \\[0, 1\\]"):
        Dataset("bad", x, y, x + 2, y, ("a",), "")
    with pytest.raises(ValueError, match="labels outside 0..0"):
        Dataset("bad", x, y + 1, x, y, ("a",), "")


# ---------------------------------------------------------------------------------------------
# Registry


def test_registry_lists_every_data_set():
    online = ["mnist", "fashion-mnist", "cifar-10"]
    assert list(DATASETS) == ["digits", "digits-0-1", "shapes", "shapes-rgb", *online]
    for info in DATASETS.values():
        assert isinstance(info, DatasetInfo)
        assert info.title and info.description
    assert [k for k, info in DATASETS.items() if info.online] == online
    assert (DATASETS["cifar-10"].channels, DATASETS["cifar-10"].size) == (3, 32)


@pytest.mark.parametrize("key", ["digits", "digits-0-1", "shapes", "shapes-rgb"])
def test_load_dataset_matches_its_registry_entry(key):
    ds = load_dataset(key)
    info = DATASETS[key]
    assert ds.name == key
    assert (ds.channels, ds.size) == (info.channels, info.size)


def test_digit_pair_keeps_two_classes_relabelled():
    digits = load_digits28()
    pair = load_dataset("digits-0-1")
    assert pair.class_names == ("0", "1")
    assert len(pair.x_train) == int(np.sum(np.isin(digits.y_train, (0, 1))))
    ones = digits.x_train[digits.y_train == 1]
    np.testing.assert_array_equal(pair.x_train[pair.y_train == 1], ones)
    assert set(np.unique(pair.y_test)) == {0, 1}


def test_unknown_key_lists_the_valid_ones():
    with pytest.raises(
        ValueError, match="'emnist'; choose one of: digits, digits-0-1, shapes, shapes-rgb"
    ):
        load_dataset("emnist")


# ---------------------------------------------------------------------------------------------
# Online data sets


def refuse_connection(address, timeout=None, *args):
    raise OSError("Network is unreachable")


def forbid_fetch(*args, **kwargs):
    raise AssertionError("fetch_openml must not be called when OpenML cannot be reached")


@pytest.mark.parametrize(
    ("key", "title"),
    [("mnist", "MNIST"), ("fashion-mnist", "Fashion-MNIST"), ("cifar-10", "CIFAR-10")],
)
def test_offline_fails_fast_with_a_clear_message(monkeypatch, tmp_path, key, title):
    monkeypatch.setattr(socket, "create_connection", refuse_connection)
    monkeypatch.setattr(data, "fetch_openml", forbid_fetch)
    start = time.perf_counter()
    message = f"{title} could not be downloaded \\(no internet connection\\?\\). The built-in"
    with pytest.raises(DatasetUnavailable, match=message):
        load_openml(key, cache_dir=tmp_path)
    assert time.perf_counter() - start < 1.0
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_probe_gives_up_on_a_stalled_lookup(monkeypatch):
    def stall(address, timeout=None, *args):
        time.sleep(2)
        raise OSError("too late")

    monkeypatch.setattr(socket, "create_connection", stall)
    start = time.perf_counter()
    assert data._server_answers("api.openml.org", 443, timeout=0.1) is False
    assert time.perf_counter() - start < 1.0


def test_unknown_online_name():
    with pytest.raises(ValueError, match="unknown online data set 'svhn'"):
        load_openml("svhn")


def test_cache_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNEXPLAIN_CACHE", str(tmp_path))
    assert data.default_cache_dir() == tmp_path
    monkeypatch.delenv("CNNEXPLAIN_CACHE")
    assert data.default_cache_dir().parts[-2:] == (".cache", "cnnexplain")


class FakeOpenML:
    """Stands in for fetch_openml: n rows of pixels 0..255, labels as strings like OpenML's."""

    def __init__(self, n: int, width: int):
        rng = np.random.default_rng(0)
        self.x = rng.integers(0, 256, (n, width)).astype(np.float64)
        self.y = np.array([str(i % 10) for i in range(n)], dtype=object)
        self.calls: list[dict] = []

    def __call__(self, name, **kwargs):
        self.calls.append({"name": name, **kwargs})
        return self.x, self.y


class OpenConnection:
    def close(self) -> None:
        pass


def test_openml_path_reshapes_scales_and_caches(monkeypatch, tmp_path):
    fake = FakeOpenML(n=70, width=784)  # MNIST's row layout, 1/1000 of its length
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: OpenConnection())
    monkeypatch.setattr(data, "fetch_openml", fake)

    ds = load_openml("mnist", max_train=None, max_test=None, cache_dir=tmp_path)
    assert fake.calls[0]["name"] == "mnist_784"
    assert fake.calls[0]["as_frame"] is False
    assert fake.calls[0]["data_home"] == str(tmp_path)
    check_layout(ds, channels=1, size=28, num_classes=10)
    # The official split: the first 6/7 of the rows train, the rest test.
    assert (len(ds.x_train), len(ds.x_test)) == (60, 10)
    # Row k of OpenML is picture k, read row by row, scaled from 0..255 to [0, 1].
    np.testing.assert_allclose(ds.x_train[3, 0, 2, 5], fake.x[3, 2 * 28 + 5] / 255, rtol=1e-6)
    np.testing.assert_allclose(ds.x_test[0, 0].ravel(), fake.x[60] / 255, rtol=1e-6)
    np.testing.assert_array_equal(ds.y_test, np.arange(60, 70) % 10)
    assert ds.class_names == tuple("0123456789")

    # Second load: offline, from the cache, with the same numbers and smaller limits.
    monkeypatch.setattr(socket, "create_connection", refuse_connection)
    monkeypatch.setattr(data, "fetch_openml", forbid_fetch)
    again = load_openml("mnist", max_train=20, max_test=5, cache_dir=tmp_path)
    np.testing.assert_array_equal(again.x_train, ds.x_train[:20])
    np.testing.assert_array_equal(again.y_test, ds.y_test[:5])
    assert [p.name for p in tmp_path.iterdir()] == ["mnist.npz"]


def test_damaged_cache_is_fetched_again(monkeypatch, tmp_path):
    (tmp_path / "mnist.npz").write_bytes(b"not a zip file")
    fake = FakeOpenML(n=14, width=784)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: OpenConnection())
    monkeypatch.setattr(data, "fetch_openml", fake)
    ds = load_openml("mnist", cache_dir=tmp_path)
    assert len(fake.calls) == 1
    assert (len(ds.x_train), len(ds.x_test)) == (12, 2)


def test_openml_cifar_rows_are_channel_then_row_then_column(monkeypatch, tmp_path):
    fake = FakeOpenML(n=12, width=3 * 32 * 32)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: OpenConnection())
    monkeypatch.setattr(data, "fetch_openml", fake)
    ds = load_openml("cifar-10", cache_dir=tmp_path)
    assert fake.calls[0]["name"] == "CIFAR_10"
    assert (len(ds.x_train), len(ds.x_test)) == (10, 2)  # 5/6 train, as 50,000 of 60,000
    assert ds.x_train.shape[1:] == (3, 32, 32)
    # Green (channel 1), row 4, column 7 of picture 2.
    np.testing.assert_allclose(ds.x_train[2, 1, 4, 7], fake.x[2, 1024 + 4 * 32 + 7] / 255)
    assert ds.class_names[0] == "airplane"


def test_openml_failure_during_download_is_unavailable(monkeypatch, tmp_path):
    def broken(*args, **kwargs):
        raise OSError("connection reset")

    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: OpenConnection())
    monkeypatch.setattr(data, "fetch_openml", broken)
    with pytest.raises(DatasetUnavailable, match="Fashion-MNIST could not be downloaded"):
        load_openml("fashion-mnist", cache_dir=tmp_path)


def test_openml_unexpected_shape_is_reported(monkeypatch, tmp_path):
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: OpenConnection())
    monkeypatch.setattr(data, "fetch_openml", FakeOpenML(n=7, width=100))
    with pytest.raises(DatasetUnavailable, match="not in the expected form"):
        load_openml("mnist", cache_dir=tmp_path)


# ---------------------------------------------------------------------------------------------
# Batches


def test_batches_cover_everything_once_in_seeded_order():
    x = np.arange(10, dtype=np.float32)[:, None]
    y = np.arange(10, dtype=np.int64)
    first = list(batches(x, y, 4, seed=3))
    assert [len(yb) for _, yb in first] == [4, 4, 2]
    order = np.concatenate([yb for _, yb in first])
    assert sorted(order) == list(range(10))
    assert not np.array_equal(order, np.arange(10))
    for xb, yb in first:
        np.testing.assert_array_equal(xb[:, 0], yb)  # pairs stay together
    again = np.concatenate([yb for _, yb in batches(x, y, 4, seed=3)])
    np.testing.assert_array_equal(order, again)
    plain = np.concatenate([yb for _, yb in batches(x, y, 4, seed=None, shuffle=False)])
    np.testing.assert_array_equal(plain, np.arange(10))


def test_batches_argument_checks():
    x, y = np.zeros((3, 1)), np.zeros(2)
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        batches(x, y[:3], 0, seed=0)
    with pytest.raises(ValueError, match="x has 3 examples but y has 2"):
        batches(x, y, 2, seed=0)
