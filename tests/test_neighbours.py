"""The training pictures nearest to a picture, and the rule that says when to doubt the answer."""

import numpy as np
import pytest
import torch

from cnnexplain.io.datasets import load_digits28, make_shapes
from cnnexplain.io.digit_prep import prepare_upload
from cnnexplain.model.spec import CNNSpec
from cnnexplain.training import neighbours as nb
from cnnexplain.training.store import DEFAULT_SPEC, build_model
from cnnexplain.ui.kit import resources
from tools.bench_digits import read_real_digits


@pytest.fixture(scope="module")
def digits():
    return load_digits28()


@pytest.fixture(scope="module")
def model(digits):
    return resources.model_store().get(DEFAULT_SPEC, digits, "digits").model


@pytest.fixture(scope="module")
def index(model, digits):
    return nb.build_index(model, digits)


def torch_features(model, x):
    """The output of dense1_relu, the input of the output layer, by torch alone."""
    out = torch.tensor(np.asarray(x))
    with torch.no_grad():
        for name, module in model.named_children():
            out = module(out)
            if name == "dense1_relu":
                return torch.nn.functional.normalize(out, dim=1).numpy()
    raise KeyError("dense1_relu")


def test_features_are_what_the_output_layer_receives_scaled_to_length_one(model, digits):
    x = digits.x_test[:20]
    f = nb.features(model, x)
    assert f.shape == (20, 64) and f.dtype == np.float32
    np.testing.assert_allclose(f, torch_features(model, x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(f, axis=1), 1.0, rtol=1e-5)
    assert model.training is False


def test_the_nearest_pictures_are_the_nearest_by_torch_cdist(model, digits, index):
    x = digits.x_test[7]
    near = nb.nearest(index, model, x, k=5)
    all_train = torch.tensor(torch_features(model, digits.x_train))
    one = torch.tensor(torch_features(model, x[None]))
    distances = torch.cdist(one.double(), all_train.double())[0].numpy()
    order = np.argsort(distances, kind="stable")[:5]
    np.testing.assert_array_equal(near.indices, order)
    np.testing.assert_allclose(near.distances, distances[order], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(near.labels, digits.y_train[order])
    assert (np.diff(near.distances) >= 0).all()
    # A training picture's nearest training picture is itself.
    itself = nb.nearest(index, model, digits.x_train[11], k=1)
    assert itself.indices[0] == 11 and itself.distances[0] < 1e-3


def test_the_unlike_threshold_is_measured_on_the_held_out_part(model, digits, index):
    test = torch.tensor(torch_features(model, digits.x_test))
    train = torch.tensor(torch_features(model, digits.x_train))
    nearest = torch.cdist(test.double(), train.double()).min(dim=1).values.numpy()
    assert index.typical == pytest.approx(np.median(nearest), rel=1e-4)
    expected = nb.UNLIKE_FACTOR * np.quantile(nearest, nb.UNLIKE_QUANTILE)
    assert index.threshold == pytest.approx(expected, rel=1e-4)
    assert index.typical < index.threshold
    assert np.mean(nearest > index.threshold) == 0  # no held-out digit is "unlike"


def _nearest_distances(model, index, x):
    return np.array([nb.nearest(index, model, one, k=1).distances[0] for one in x])


def test_digits_written_elsewhere_are_rarely_unlike_and_other_pictures_mostly_are(model, index):
    files, _ = read_real_digits()["drawn"]
    drawn = np.stack([prepare_upload(f) for f in files[::4]])
    assert np.mean(_nearest_distances(model, index, drawn) > index.threshold) <= 0.05
    shapes = make_shapes(20).x_train
    noise = np.random.default_rng(0).random((50, 1, 28, 28)).astype(np.float32)
    for others in (shapes, noise):
        assert np.mean(_nearest_distances(model, index, others) > index.threshold) >= 0.75


def test_an_untrained_network_measures_its_own_distances(digits):
    untrained = build_model(DEFAULT_SPEC)
    index = nb.build_index(untrained, digits)
    assert 0 < index.typical < index.threshold <= 2
    assert index.features.shape == (len(digits.x_train), 64)


@pytest.mark.parametrize(
    ("probs", "unsure"),
    [
        ([0.93, 0.05, 0.02], False),  # sure, even if wrong
        ([0.69, 0.31, 0.0], True),  # top below UNSURE_TOP
        ([0.75, 0.25, 0.0], False),  # top above it, margin 0.5
        ([0.64, 0.36], True),
        ([0.5, 0.01, 0.49], True),  # margin below UNSURE_MARGIN
    ],
)
def test_unsure_means_a_low_top_probability_or_a_close_second(index, probs, unsure):
    judged = nb.doubt(index, np.array(probs), nearest_distance=0.0)
    assert judged.unsure is unsure
    assert judged.top == max(probs) and judged.second == sorted(probs)[-2]
    assert not judged.unlike


def test_unlike_means_further_than_the_threshold(index):
    far = nb.doubt(index, np.array([0.99, 0.01]), index.threshold * 1.01)
    near = nb.doubt(index, np.array([0.99, 0.01]), index.threshold * 0.99)
    assert far.unlike and not far.unsure
    assert not near.unlike


def test_probabilities_are_the_model_s_softmax_or_sigmoid(model, digits):
    x = digits.x_test[3]
    with torch.no_grad():
        expected = torch.softmax(model(torch.tensor(x[None])), dim=1)[0].numpy()
    np.testing.assert_allclose(nb.probabilities(model, x), expected, rtol=1e-5, atol=1e-7)
    sigmoid = build_model(CNNSpec(num_classes=2, head="sigmoid"))
    with torch.no_grad():
        p = float(torch.sigmoid(sigmoid(torch.tensor(x[None])))[0, 0])
    np.testing.assert_allclose(nb.probabilities(sigmoid, x), [1 - p, p], rtol=1e-6)
