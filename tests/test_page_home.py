"""The home page, driven headless with AppTest."""

import numpy as np
import pytest
import torch
from pagekit import app, charts, decode, markdown_text

from cnnexplain.io.datasets import load_digits28
from cnnexplain.training.store import DEFAULT_SPEC
from cnnexplain.ui.kit import resources


@pytest.fixture(scope="module")
def digits():
    return load_digits28()


def test_home_shows_every_stage_of_the_default_model(digits):
    at = app(every_number=True)
    assert not at.exception
    text = markdown_text(at)
    for stage in (
        "input",
        "conv1",
        "relu1",
        "maxpool1",
        "conv2",
        "relu2",
        "maxpool2",
        "flatten",
        "dense1",
        "dense1_relu",
        "logits",
        "probs",
    ):
        assert f"**{stage}**:" in text, stage
    assert "**flatten**: shape 784, 0 parameters" in text
    assert "**conv1**: shape 8 × 28 × 28, 80 parameters" in text
    assert any(
        "Trained on **Handwritten digits (built in)**: " in m.value
        and "correct on 360 test images" in m.value
        for m in at.markdown
    )


def test_home_probabilities_are_the_live_model_s(digits):
    at = app(every_number=True)
    at.number_input(key="home_sample").set_value(7).run()
    assert not at.exception
    entry = resources.model_store().peek(DEFAULT_SPEC, "digits")
    with torch.no_grad():
        logits = entry.model(torch.from_numpy(digits.x_test[7:8].copy()))
    expected = torch.softmax(logits, dim=1)[0].numpy()
    probs_chart = charts(at)[-1]
    shown = decode(probs_chart["data"][0]["y"])
    np.testing.assert_allclose(shown, expected, atol=1e-6)
    label = digits.class_names[int(digits.y_test[7])]
    assert any(f"True label: **{label}**" in m.value for m in at.markdown)


BUILD = "FormSubmitter:arch_form-Build this network"


def _map_charts(at) -> list[dict]:
    """The charts of feature maps: several heatmaps, one per subplot."""
    return [c for c in charts(at) if sum(t["type"] == "heatmap" for t in c["data"]) > 1]


@pytest.mark.parametrize("blocks", [1, 2, 3])
def test_every_feature_map_keeps_square_cells_whatever_the_number_of_blocks(blocks):
    at = app(every_number=True)
    if blocks != 2:  # the default network has two
        at.number_input(key="arch_n_blocks").set_value(blocks).run()
        at.button(key=BUILD).click().run()
    assert not at.exception
    maps = _map_charts(at)
    assert len(maps) == 3 * blocks  # conv, activation and pooling of every block
    for chart in maps:
        layout = chart["layout"]
        for k, trace in enumerate(chart["data"]):
            x, y = trace["xaxis"], trace["yaxis"]  # "x", "y" then "x2", "y2", ...
            yaxis = layout["yaxis" + y[1:]]
            assert yaxis["scaleanchor"] == x and yaxis["constrain"] == "domain"
            assert layout["xaxis" + x[1:]]["constrain"] == "domain"
            assert trace["hovertemplate"].startswith(f"channel {k} row")
        titles = [a["text"] for a in layout["annotations"]]
        assert titles == [str(k) for k in range(len(chart["data"]))]
    said = [c.value for c in at.caption if "the number above it is the channel" in c.value]
    assert len(said) == 1
