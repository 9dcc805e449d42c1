"""The home page, driven headless with AppTest."""

import numpy as np
import pytest
import torch
from pagekit import app, charts, decode, markdown_text

from cnnexplain.data import load_digits28
from cnnexplain.store import DEFAULT_SPEC
from cnnexplain.ui import resources


@pytest.fixture(scope="module")
def digits():
    return load_digits28()


def test_home_shows_every_stage_of_the_default_model(digits):
    at = app()
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
    at = app()
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
