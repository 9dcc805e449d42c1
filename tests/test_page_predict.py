"""Predict, then see, on every page: the question shows at the Simple level and not at Every
number, its right answer is the live one, an answer counts in the score and a skip does not."""

from __future__ import annotations

from pagekit import app

from cnnexplain.core.kernels import PRESETS, lab_convolve, toy_grid
from cnnexplain.texts import conv_lab as lab_text
from cnnexplain.texts import predict as text
from cnnexplain.ui.conv_lab.views import DEFAULT_PRESET
from cnnexplain.ui.kit.predict import RECORD_KEY, Answer, widget_key

LAB = "pages/conv_lab.py"


def score(at) -> tuple[int, int]:
    judged = [a.right for a in at.session_state[RECORD_KEY].values() if a.right is not None]
    return sum(judged), len(judged)


def asked(at) -> list[str]:
    """The questions on the page (their boxes' first line)."""
    return [m.value for m in at.markdown if m.value.startswith(f"**{text.HEADER}**")]


def score_caption(at) -> list[str]:
    return [c.value for c in at.sidebar.caption if c.value.startswith("Predictions:")]


def answer(at, key: str, value: str | None) -> None:
    """Choose `value` and check it, or skip with None."""
    if value is None:
        at.button(key=f"{widget_key(key)}_skip").click().run()
    else:
        at.radio(key=widget_key(key)).set_value(value).run()
        at.button(key=f"{widget_key(key)}_check").click().run()
    assert not at.exception


# --- convolution lab


def lab_key(H: int, W: int, K: int, stride: int, padding: int, dilation: int) -> str:
    return "lab_size:" + ":".join(str(v) for v in (H, W, K, stride, padding, dilation))


def output_line(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("The output is ")]


def test_lab_asks_the_output_size_and_hides_it_until_answered():
    at = app().switch_page(LAB).run()
    assert not at.exception
    at.slider(key="lab_stride").set_value(2).run()
    at.slider(key="lab_dilation").set_value(2).run()
    assert asked(at) == [f"**{text.HEADER}** {text.LAB_QUESTION}"]
    assert output_line(at) == []  # the size waits for the prediction
    key = lab_key(8, 8, 3, 2, 1, 2)
    options = at.radio(key=widget_key(key)).options
    live = lab_convolve(toy_grid("square", 8), PRESETS[DEFAULT_PRESET], 2, 1, 2)
    Ho, Wo = live.output.shape
    assert text.LAB_SIZE.format(rows=Ho, cols=Wo) in options and len(options) >= 2
    answer(at, key, f"{Ho}x{Wo}")
    assert at.session_state[RECORD_KEY][key] == Answer(f"{Ho}x{Wo}", True)
    assert score(at) == (1, 1)
    assert any(s.value.startswith(text.RIGHT) for s in at.success)
    assert output_line(at) == [lab_text.OUTPUT_SHAPE.format(Ho=Ho, Wo=Wo, n=Ho * Wo)]
    assert score_caption(at) == [text.SCORE.format(right=1, answered=1)]

    # A new setting asks again; a wrong answer counts, a skip does not.
    at.slider(key="lab_padding").set_value(0).run()
    key = lab_key(8, 8, 3, 2, 0, 2)
    assert output_line(at) == []
    wrong = next(v for v in at.radio(key=widget_key(key)).options if v != "2×2")
    answer(at, key, wrong.replace("×", "x"))
    assert score(at) == (1, 2) and any(w.value.startswith(text.WRONG) for w in at.warning)
    at.slider(key="lab_padding").set_value(2).run()
    answer(at, lab_key(8, 8, 3, 2, 2, 2), None)
    assert score(at) == (1, 2)
    assert text.SKIPPED in [i.value for i in at.info]
    assert len(output_line(at)) == 1
    # Back to the first setting: answered already, so the size shows at once.
    at.slider(key="lab_padding").set_value(1).run()
    assert len(output_line(at)) == 1 and asked(at) == [f"**{text.HEADER}** {text.LAB_QUESTION}"]


def test_lab_asks_nothing_at_every_number():
    at = app(every_number=True).switch_page(LAB).run()
    assert not at.exception
    assert asked(at) == [] and len(output_line(at)) == 1
    assert not any(k.startswith("predict_lab") for k in at.session_state)
