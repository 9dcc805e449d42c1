"""The forward page's pictures per class, driven headless: drawn from the shared network."""

from __future__ import annotations

import numpy as np
from pagekit import app, charts, decode, markdown_text

from cnnexplain.model.class_pictures import class_pictures
from cnnexplain.texts import forward as text
from cnnexplain.training.store import DEFAULT_DATASET, DEFAULT_SPEC
from cnnexplain.ui.forward.class_pictures import SHOW_KEY
from cnnexplain.ui.kit import resources


def _forward(every_number: bool):
    at = app(every_number=every_number)
    at.switch_page("pages/forward.py").run()
    assert not at.exception
    return at


def _pictures_chart(at) -> dict:
    found = [
        chart
        for chart in charts(at)
        if chart["data"]
        and all("value %{z:.3f}" in trace.get("hovertemplate", "") for trace in chart["data"])
    ]
    assert len(found) == 1
    return found[0]


def test_the_section_waits_for_the_switch_then_draws_the_shared_networks_pictures():
    at = _forward(every_number=False)
    assert text.CLASS_PICTURES_HEADER in [h.value for h in at.subheader]
    switch = at.toggle(key=SHOW_KEY)
    assert switch.value is False
    assert not any(
        "value %{z:.3f}" in t.get("hovertemplate", "") for c in charts(at) for t in c["data"]
    )

    switch.set_value(True).run()
    assert not at.exception
    chart = _pictures_chart(at)
    model = resources.model_store().peek(DEFAULT_SPEC, DEFAULT_DATASET).model
    expected = class_pictures(model)
    drawn = np.stack([decode(trace["z"]) for trace in chart["data"]])  # (10, 28, 28)
    np.testing.assert_array_equal(drawn, expected.pictures[:, 0])
    titles = [a["text"] for a in chart["layout"]["annotations"]]
    assert titles == [str(d) for d in range(10)]
    right = int(np.sum(expected.predicted == np.arange(10)))
    assert right >= 8
    words = markdown_text(at)
    assert text.CLASS_PICTURES_VERDICT.format(right=right, total=10) in words
    assert "gradient ascent" not in words  # the method's numbers are for Every number


def test_every_number_titles_each_picture_with_its_score_before_and_after():
    at = _forward(every_number=True)
    at.toggle(key=SHOW_KEY).set_value(True).run()
    assert not at.exception
    chart = _pictures_chart(at)
    model = resources.model_store().peek(DEFAULT_SPEC, DEFAULT_DATASET).model
    expected = class_pictures(model)
    titles = [a["text"] for a in chart["layout"]["annotations"]]
    for k, title in enumerate(titles):
        name, scores = title.split(": ")
        start, end = (float(s.replace("−", "-").replace(",", "")) for s in scores.split(" → "))
        assert name == str(k)
        assert abs(start - expected.start_scores[k]) < 0.01
        assert abs(end - expected.scores[k]) < 0.1
        assert end > start + 15
    assert "gradient ascent" in markdown_text(at)
