"""The picture each class scores highest: climbs the right score, repeats, leaves the model be."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnexplain.experiment.design import Experiment
from cnnexplain.figures import compare as cmpfig
from cnnexplain.figures.maps import plotly_literal
from cnnexplain.io.datasets import load_digits28
from cnnexplain.model.class_pictures import class_pictures, class_scores
from cnnexplain.model.spec import CNNSpec, ConvBlock, MLPSpec, build_cnn, build_mlp
from cnnexplain.training import pretrained
from cnnexplain.training.store import DEFAULT_DATASET, DEFAULT_SPEC

SPECS = {
    "one block": CNNSpec(conv_blocks=(ConvBlock(4),), dense=(16,)),
    "three blocks": CNNSpec(conv_blocks=(ConvBlock(4), ConvBlock(6), ConvBlock(8)), dense=(16,)),
    "sigmoid head": CNNSpec(num_classes=2, head="sigmoid", dense=(16,)),
    "rgb, tanh, avg pool": CNNSpec(
        in_channels=3,
        input_size=16,
        num_classes=5,
        conv_blocks=(ConvBlock(5, activation="tanh", pool="avg"), ConvBlock(6)),
        dense=(),
    ),
    "ann": MLPSpec(hidden=(32,)),
    "ann, sigmoid head": MLPSpec(num_classes=2, hidden=(16,), head="sigmoid"),
}


def build(spec, seed=0):
    return build_mlp(spec, seed) if isinstance(spec, MLPSpec) else build_cnn(spec, seed)


@pytest.fixture(scope="module")
def default_model():
    entry = pretrained.load(DEFAULT_SPEC, load_digits28(), DEFAULT_DATASET)
    assert entry is not None
    return entry.model


@pytest.fixture(scope="module")
def default_pictures(default_model):
    return class_pictures(default_model)


def test_every_class_of_the_trained_network_climbs_far_and_wins(default_model, default_pictures):
    result = default_pictures
    assert result.pictures.shape == (10, 1, 28, 28)
    # The logits of the trained network at grey lie within about ±6; every class ends at 20+.
    assert np.all(result.scores > result.start_scores + 15), (result.start_scores, result.scores)
    assert np.sum(result.predicted == np.arange(10)) >= 8, result.predicted
    assert np.all(result.probabilities[result.predicted == np.arange(10)] > 0.9)
    # The reported scores are the model's logits at the returned pictures.
    with torch.no_grad():
        logits = default_model(torch.from_numpy(result.pictures)).numpy()
    np.testing.assert_allclose(result.scores, np.diag(logits), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(result.predicted, logits.argmax(axis=1))
    grey = torch.full((10, 1, 28, 28), 0.5)
    with torch.no_grad():
        np.testing.assert_allclose(result.start_scores, np.diag(default_model(grey).numpy()))


def test_pictures_stay_in_the_pixel_range_and_are_not_flat(default_pictures):
    pictures = default_pictures.pictures
    assert pictures.min() >= 0.0 and pictures.max() <= 1.0
    assert pictures.min() == 0.0 and pictures.max() == 1.0  # the climb uses the whole range
    # Different classes ask for different pictures.
    assert np.abs(pictures[3] - pictures[8]).mean() > 0.1


def test_same_seed_gives_the_same_pictures_and_another_seed_others():
    model = build(SPECS["one block"])
    first = class_pictures(model, steps=20, seed=3)
    again = class_pictures(model, steps=20, seed=3)
    other = class_pictures(model, steps=20, seed=4)
    np.testing.assert_array_equal(first.pictures, again.pictures)
    np.testing.assert_array_equal(first.scores, again.scores)
    assert not np.array_equal(first.pictures, other.pictures)


@pytest.mark.parametrize("name", SPECS)
def test_every_kind_of_network_climbs_each_class_score(name):
    model = build(SPECS[name])
    # Untrained weights answer a picture only weakly, so the smoothness penalty would hold the
    # climb back; without it every score must rise, past what random pictures reach.
    result = class_pictures(model, steps=40, smoothness=0.0)
    spec = SPECS[name]
    assert result.pictures.shape == (
        spec.num_classes,
        spec.in_channels,
        spec.input_size,
        spec.input_size,
    )
    assert np.all(result.scores > result.start_scores), (result.start_scores, result.scores)
    with torch.no_grad():
        again = class_scores(model, torch.from_numpy(result.pictures)).numpy()
        shape = (50, *result.pictures.shape)
        random = torch.rand(shape, generator=torch.Generator().manual_seed(1))
        best_random = np.max([class_scores(model, r).numpy() for r in random], axis=0)  # (K,)
    np.testing.assert_allclose(result.scores, again, rtol=1e-6)
    assert np.all(result.scores > best_random), (best_random, result.scores)


def test_sigmoid_head_climbs_z_for_class_1_and_minus_z_for_class_0():
    model = build(SPECS["sigmoid head"])
    result = class_pictures(model, steps=40, smoothness=0.0)
    with torch.no_grad():
        z = model(torch.from_numpy(result.pictures))[:, 0].numpy()
    np.testing.assert_allclose(result.scores, [-z[0], z[1]], rtol=1e-6)
    np.testing.assert_array_equal(result.predicted, [0, 1])
    np.testing.assert_allclose(
        result.probabilities, [1 / (1 + np.exp(z[0])), 1 / (1 + np.exp(-z[1]))], rtol=1e-5
    )


def test_the_comparison_ann_climbs_too():
    ann = build_mlp(Experiment("digits").mlp, seed=0)
    result = class_pictures(ann, steps=30, smoothness=0.0)
    assert np.all(result.scores > result.start_scores + 0.2)


@pytest.mark.parametrize("training", [False, True])
def test_the_model_is_left_exactly_as_it_was(training):
    model = build(SPECS["three blocks"])
    model.train(training)
    for p in model.parameters():  # the store's models: frozen; the comparison's: trainable
        p.requires_grad_(training)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    class_pictures(model, steps=10)
    assert model.training is training
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), name
    for p in model.parameters():
        assert p.grad is None
        assert p.requires_grad is training


def test_progress_is_reported_after_every_step():
    seen = []
    class_pictures(
        build(SPECS["ann"]), steps=7, on_progress=lambda done, total: seen.append((done, total))
    )
    assert seen == [(k, 7) for k in range(1, 8)]


def test_another_pixel_range_is_kept():
    result = class_pictures(build(SPECS["ann"]), steps=20, pixel_range=(0.2, 0.6))
    assert result.pictures.min() >= 0.2 and result.pictures.max() <= 0.6


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"steps": -1}, "steps"),
        ({"lr": 0.0}, "learning rate"),
        ({"smoothness": -0.1}, "smoothness"),
        ({"pixel_range": (1.0, 0.0)}, "pixel range"),
    ],
)
def test_settings_that_cannot_work_are_refused(settings, message):
    with pytest.raises(ValueError, match=f"(?i){message}"):
        class_pictures(build(SPECS["ann"]), **settings)


def test_the_figure_draws_every_value_and_escapes_class_names(default_pictures):
    titles = ["<b>3", *[str(k) for k in range(1, 10)]]
    fig = cmpfig.value_pictures(default_pictures.pictures, titles, cell_hover="value %{z:.3f}")
    assert len(fig.data) == 10
    np.testing.assert_array_equal(np.asarray(fig.data[4].z), default_pictures.pictures[4, 0])
    assert fig.layout.annotations[0].text == plotly_literal("<b>3")
    assert fig.data[0].hovertemplate == "&lt;b&gt;3<br>value %{z:.3f}<extra></extra>"


def test_colour_pictures_are_drawn_as_colour_with_their_own_hover():
    result = class_pictures(build(SPECS["rgb, tanh, avg pool"]), steps=5)
    fig = cmpfig.value_pictures(
        result.pictures, [str(k) for k in range(5)], cell_hover="colour %{z}"
    )
    assert [trace.type for trace in fig.data] == ["image"] * 5
    expected = np.round(result.pictures[2].transpose(1, 2, 0) * 255)
    np.testing.assert_allclose(np.asarray(fig.data[2].z, dtype=float), expected, atol=1)
    assert fig.data[0].hovertemplate == "0<br>colour %{z}<extra></extra>"
