"""What the two networks learned, on the comparison page, driven headless with AppTest."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pagekit import app, charts, decode, markdown_text

from cnnexplain.experiment.design import ANN, CNN, MODEL_NAMES, Experiment, build_models
from cnnexplain.experiment.first_layer import first_layer_images
from cnnexplain.experiment.run import run_experiment
from cnnexplain.io.datasets import load_dataset
from cnnexplain.model.class_pictures import class_pictures
from cnnexplain.model.spec import CNNSpec, mlp_matching_budget
from cnnexplain.texts import compare as text
from cnnexplain.training.train import TrainConfig
from cnnexplain.ui.compare.learned import SHOW_KEY
from cnnexplain.ui.compare.snapshots import SLIDER_KEY as SNAPSHOT_KEY
from cnnexplain.ui.compare.state import STATE_KEY

PAGE = "pages/compare.py"
SHORT = TrainConfig(epochs=1, batch_size=128)  # about 12 steps of each network on the digits


@pytest.fixture(scope="module")
def reference_run():
    """The same short comparison, run here: the page's networks must have these weights."""
    cnn = CNNSpec()
    experiment = Experiment("digits", cnn=cnn, mlp=mlp_matching_budget(cnn), config=SHORT)
    run = run_experiment(experiment, load_dataset("digits"))
    for _ in run:
        pass
    return run


@pytest.fixture(scope="module")
def trained_page():
    at = app()
    at.switch_page(PAGE).run()
    at.number_input(key="cmp_epochs").set_value(SHORT.epochs)
    at.number_input(key="cmp_batch").set_value(SHORT.batch_size).run()
    at.button(key="cmp_run").click().run()
    assert not at.exception
    return at


def _picture_charts(at) -> list[dict]:
    return [
        chart
        for chart in charts(at)
        if chart["data"]
        and all(
            t.get("hovertemplate", "").endswith(
                text.CLASS_PICTURES_HOVER.split("<br>")[1] + "<extra></extra>"
            )
            for t in chart["data"]
        )
    ]


def test_both_networks_pictures_appear_behind_the_switch(trained_page, reference_run):
    at = trained_page
    assert not _picture_charts(at)
    at.toggle(key=SHOW_KEY).set_value(True).run()
    assert not at.exception
    drawn = _picture_charts(at)
    assert len(drawn) == len(MODEL_NAMES)
    comparison = at.session_state[STATE_KEY]
    words = markdown_text(at)
    for chart, name in zip(drawn, (ANN, CNN), strict=True):  # the ANN on the left
        # The page's networks are the reference's: same seed, same settings, same weights.
        for (key, mine), theirs in zip(
            comparison.run.models[name].state_dict().items(),
            reference_run.models[name].state_dict().values(),
            strict=True,
        ):
            assert torch.equal(mine, theirs), key
        expected = class_pictures(reference_run.models[name])
        pictures = np.stack([decode(t["z"]) for t in chart["data"]])
        np.testing.assert_array_equal(pictures, expected.pictures[:, 0])
        right = int(np.sum(expected.predicted == np.arange(10)))
        assert text.CLASS_PICTURES_OF.format(model=name, right=right, total=10) in words
    assert text.CLASS_PICTURES_EXPLAIN in words


def _weight_charts(at) -> list[dict]:
    hover = text.WEIGHT_HOVER + "<extra></extra>"
    return [
        chart
        for chart in charts(at)
        if chart["data"] and all(t.get("hovertemplate", "").endswith(hover) for t in chart["data"])
    ]


def _timeline_pictures(at) -> dict[str, np.ndarray]:
    """{"ANN": (units, H, W), "CNN": (F, KH, KW)} as the timeline draws them now."""
    # The first layers as trained come first on the page, then the timeline's two charts.
    ann, cnn = _weight_charts(at)[-2:]
    return {
        name: np.stack([decode(t["z"]) for t in chart["data"]])
        for name, chart in (("ANN", ann), ("CNN", cnn))
    }


def test_the_timeline_shows_both_first_layers_at_the_moment_chosen(trained_page, reference_run):
    at = trained_page
    assert text.SNAPSHOTS_HEADER in markdown_text(at)
    assert text.SNAPSHOTS_SENTENCE in markdown_text(at)
    slider = at.select_slider(key=SNAPSHOT_KEY)
    assert slider.options == [text.SNAPSHOT_START, text.SNAPSHOT_EPOCH.format(epoch=1)]
    assert slider.value == 1  # the end of training first

    trained = _timeline_pictures(at)
    np.testing.assert_array_equal(
        trained["ANN"], first_layer_images(reference_run.models[ANN])[:16, 0]
    )
    np.testing.assert_array_equal(
        trained["CNN"], first_layer_images(reference_run.models[CNN])[:, 0]
    )

    slider.set_value(0).run()
    assert not at.exception
    start = _timeline_pictures(at)
    initial = build_models(reference_run.experiment)
    np.testing.assert_array_equal(start["ANN"], first_layer_images(initial[ANN])[:16, 0])
    np.testing.assert_array_equal(start["CNN"], first_layer_images(initial[CNN])[:, 0])
    assert not np.array_equal(start["ANN"], trained["ANN"])

    at.button(key="cmp_snapshot_play_button").click().run()
    assert not at.exception
    assert at.select_slider(key=SNAPSHOT_KEY).value == 1  # a play ends on the last moment
    played = _timeline_pictures(at)
    np.testing.assert_array_equal(played["CNN"], trained["CNN"])
