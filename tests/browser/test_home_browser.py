"""The home page as a new user meets it, in a real browser."""

import pytest
from browserkit import no_exceptions, screenshot, wait_idle

from cnnexplain.data import load_digits28

pytestmark = pytest.mark.browser


def test_home_shows_the_trained_pipeline_without_errors(server_url, page):
    page.goto(server_url)
    wait_idle(page)
    page.get_by_text("Stage by stage", exact=True).wait_for(timeout=300_000)
    wait_idle(page)
    body = page.inner_text("body")
    assert "correct on" in body  # the trained default model reports its test accuracy
    for stage in (
        "input",
        "conv1",
        "relu1",
        "maxpool1",
        "conv2",
        "flatten",
        "dense1",
        "logits",
        "probs",
    ):
        assert f"{stage}:" in body, stage
    no_exceptions(page)
    # Every stage draws its numbers as a plotly chart (plotly's code arrives after the page's).
    page.locator(".js-plotly-plot").nth(8).wait_for(timeout=60_000)
    assert page.locator(".js-plotly-plot").count() >= 9
    screenshot(page, "home")


def test_choosing_another_test_image_shows_its_label(server_url, page):
    data = load_digits28()
    page.goto(server_url)
    wait_idle(page)
    page.get_by_text("Stage by stage", exact=True).wait_for(timeout=300_000)
    number = page.get_by_label("Test image number", exact=True)
    number.fill("5")
    number.press("Enter")
    expected = f"True label: {data.class_names[int(data.y_test[5])]}"
    page.get_by_text(expected).wait_for(timeout=30_000)
    wait_idle(page)
    no_exceptions(page)
