"""Predict, then see, on every page: the question shows at the Simple level and not at Every
number, its right answer is the live one, an answer counts in the score and a skip does not."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from pagekit import app

from cnnexplain.core.kernels import PRESETS, lab_convolve, toy_grid
from cnnexplain.experiment.design import ANN, CNN, Experiment
from cnnexplain.experiment.jobs import Comparison
from cnnexplain.experiment.questions import QUESTION_SHIFT
from cnnexplain.io.datasets import load_dataset
from cnnexplain.model.trace import trace
from cnnexplain.texts import compare as cmp_text
from cnnexplain.texts import conv_lab as lab_text
from cnnexplain.texts import digits as digits_text
from cnnexplain.texts import predict as text
from cnnexplain.training.store import DEFAULT_SPEC
from cnnexplain.training.train import TrainConfig
from cnnexplain.ui.compare.predict import CHOICE_KEY
from cnnexplain.ui.compare.state import STATE_KEY as COMPARE_KEY
from cnnexplain.ui.conv_lab.views import DEFAULT_PRESET
from cnnexplain.ui.forward.stage import num
from cnnexplain.ui.kit import resources
from cnnexplain.ui.kit.detail import EVERY, LEVEL_KEY
from cnnexplain.ui.kit.numbers import plain
from cnnexplain.ui.kit.predict import RECORD_KEY, Answer, widget_key

LAB = "pages/conv_lab.py"


def score(at) -> tuple[int, int]:
    try:
        kept = at.session_state[RECORD_KEY]
    except KeyError:  # nothing asked yet
        kept = {}
    judged = [a.right for a in kept.values() if a.right is not None]
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


# --- forward pass

FORWARD = "pages/forward.py"


def radio_keys(at, prefix: str) -> list[str]:
    return [r.key for r in at.radio if r.key and r.key.startswith(widget_key(prefix))]


def live_trace(at):
    """The trace of the picture the page shows, through the shared default network."""
    data = resources.dataset("digits")
    entry = resources.model_store().peek(DEFAULT_SPEC, "digits")
    index = at.session_state["input_sample_index"]
    return trace(entry.model, np.asarray(data.x_test[index]), label=int(data.y_test[index]))


def summary_shown(at) -> bool:
    return any(m.value.startswith("The network says") for m in at.markdown)


def neighbours_shown(at) -> bool:
    """The closest training pictures, whose words also name the network's answer."""
    return any(m.value == digits_text.NEAREST_HEADER.format(k=5) for m in at.markdown)


def test_forward_asks_the_network_s_choice_before_saying_it():
    at = app().switch_page(FORWARD).run()
    assert not at.exception
    assert f"**{text.HEADER}** {text.CLASS_QUESTION}" in asked(at)
    assert not summary_shown(at) and not neighbours_shown(at)
    (key,) = radio_keys(at, "fwd_class:")
    live = live_trace(at)
    names = resources.dataset("digits").class_names
    wrong = (live.predicted + 1) % len(names)
    answer(at, key.removeprefix(widget_key("")), str(wrong))
    assert score(at) == (0, 1)
    assert any(w.value.startswith(text.WRONG) for w in at.warning)
    reveal = text.CLASS_REVEAL.format(name=names[live.predicted], p=float(live.probs.max()))
    assert any(m.value.startswith(reveal) for m in at.markdown)
    assert summary_shown(at) and neighbours_shown(at)

    # Another picture is a new question; the right answer is the live network's choice.
    at.session_state["input_sample_index"] = 1
    at.run()
    (key,) = radio_keys(at, "fwd_class:")
    assert not summary_shown(at)
    live = live_trace(at)
    answer(at, key.removeprefix(widget_key("")), str(live.predicted))
    assert score(at) == (1, 2) and summary_shown(at)


def test_forward_asks_which_number_wins_a_max_pool_window():
    at = app().switch_page(FORWARD).run()
    at.session_state["fwd_step_name"] = "maxpool1"
    at.run()
    assert not at.exception
    (key,) = radio_keys(at, "fwd_pool:maxpool1:")
    assert not any(m.value.startswith("The largest of") for m in at.markdown)  # hidden
    live = live_trace(at)
    stage = live.stage("maxpool1")
    before = live.stages[live.names.index("maxpool1") - 1].torch_out
    size, stride = stage.hparams["size"], stage.hparams["stride"]
    pooled, where = F.max_pool2d(torch.from_numpy(before)[None], size, stride, return_indices=True)
    c, i, j = (int(v) for v in np.unravel_index(np.argmax(stage.torch_out), stage.shape))
    r, col = divmod(int(where[0, c, i, j]), before.shape[2])  # torch's winner
    assert text.POOL_QUESTION.format(name="maxpool1", size=size, c=c, i=i, j=j) in asked(at)[-1]
    answer(at, key.removeprefix(widget_key("")), str((r - i * stride) * size + (col - j * stride)))
    assert score(at) == (1, 1)
    assert any(s.value.startswith(text.RIGHT) for s in at.success)
    assert text.POOL_REVEAL.format(
        value=num(float(pooled[0, c, i, j])), name="maxpool1", i=i, j=j
    ) in [m.value for m in at.markdown]
    assert at.session_state["fwd_pool_c_maxpool1"] == c  # the stage's own view is back ...
    assert any(m.value.startswith("The largest of") for m in at.markdown)  # ... on that cell
    # Another cell of the same stage is shown at once, without the first cell's verdict.
    at.number_input(key="fwd_pool_j_maxpool1").set_value((j + 1) % stage.shape[2]).run()
    assert not at.exception
    assert radio_keys(at, "fwd_pool:") == [] and not any("wins?" in q for q in asked(at))
    assert any(m.value.startswith("The largest of") for m in at.markdown)
    assert score(at) == (1, 1)


def test_forward_skips_count_nothing_and_every_number_asks_nothing():
    at = app().switch_page(FORWARD).run()
    (key,) = radio_keys(at, "fwd_class:")
    answer(at, key.removeprefix(widget_key("")), None)
    assert score(at) == (0, 0) and summary_shown(at)
    assert score_caption(at) == []
    at.session_state[LEVEL_KEY] = EVERY
    at.session_state["fwd_step_name"] = "maxpool1"
    at.session_state["input_sample_index"] = 2
    at.run()
    assert not at.exception
    assert asked(at) == [] and radio_keys(at, "fwd_") == []
    assert summary_shown(at)


# --- backpropagation

BACKPROP = "pages/backprop.py"


def step(at) -> None:
    at.button(key="bp_step").click().run()
    assert not at.exception


def test_backprop_scores_the_predictions_against_the_step_s_own_numbers():
    at = app().switch_page(BACKPROP).run()
    assert not at.exception
    p_key, loss_key = widget_key("bp_p"), widget_key("bp_loss")
    assert at.radio(key=p_key).value == "skip" and at.radio(key=loss_key).value == "skip"
    at.radio(key=p_key).set_value("up")
    at.radio(key=loss_key).set_value("rises").run()
    step(at)
    last = at.session_state["bp_state"].last
    assert last.number == 1
    went_up = last.p_after > last.p_before
    rose = last.outcome.loss_after > last.outcome.loss_before
    answers = at.session_state[RECORD_KEY]
    assert answers["bp_step:1:p"] == Answer("up", went_up)
    assert answers["bp_step:1:loss"] == Answer("rises", rose)
    assert score(at) == (int(went_up) + int(rose), 2)
    words = [m.value for m in at.markdown]
    assert (
        text.P_RESULT.format(before=plain(last.p_before, 6), after=plain(last.p_after, 6)) in words
    )
    assert (
        text.LOSS_RESULT.format(
            before=plain(last.outcome.loss_before, 6), after=plain(last.outcome.loss_after, 6)
        )
        in words
    )
    # The next step asks anew; a step taken without a prediction counts nothing.
    assert at.radio(key=p_key).value == "skip" and at.radio(key=loss_key).value == "skip"
    step(at)
    assert at.session_state["bp_state"].last.number == 2
    assert score(at) == (int(went_up) + int(rose), 2)
    assert not any(k.startswith("bp_step:2") for k in at.session_state[RECORD_KEY])
    assert not any(m.value.startswith("Your predictions") for m in at.markdown)


def test_backprop_asks_nothing_at_every_number():
    at = app(every_number=True).switch_page(BACKPROP).run()
    assert not at.exception
    assert widget_key("bp_p") not in [r.key for r in at.radio]
    step(at)
    assert score(at) == (0, 0)


# --- comparison

COMPARE = "pages/compare.py"


@pytest.fixture(scope="module")
def measured():
    """A short comparison, trained and measured (as the page does after training)."""
    data = load_dataset("digits")
    done = Comparison.start(
        Experiment("digits", config=TrainConfig(epochs=1, batch_size=128)),
        data,
        "Handwritten digits",
        report_every=5,
    )
    done.advance_training()
    done.measure()
    return done


def shift_accuracy(comparison) -> dict[str, float]:
    curve = comparison.robustness["shift"]
    at = curve.levels.index(QUESTION_SHIFT)
    return {name: curve.accuracy[name][at] for name in (CNN, ANN)}


def compare_page(every: bool = False):
    at = app(every_number=every).switch_page(COMPARE).run()
    assert not at.exception
    return at


def test_compare_reveals_the_locked_guess_with_the_measured_accuracies(measured):
    at = compare_page()
    question = f"**{text.HEADER}** {text.CMP_QUESTION.format(shift=QUESTION_SHIFT)}"
    assert asked(at) == [question]
    at.radio(key=CHOICE_KEY).set_value(CNN).run()
    at.button(key=f"{CHOICE_KEY}_lock").click().run()
    assert text.CMP_LOCKED.format(guess=text.CMP_OPTIONS[CNN]) in [m.value for m in at.markdown]
    assert score(at) == (0, 0)  # nothing to score before the results
    at.session_state[COMPARE_KEY] = measured  # the run trained after the guess
    at.run()
    assert not at.exception
    accuracy = shift_accuracy(measured)
    assert accuracy[CNN] != accuracy[ANN], "a tie has no right answer: pick another seed"
    right = accuracy[CNN] > accuracy[ANN]
    assert score(at) == (int(right), 1)
    said = text.YOU_SAID.format(guess=text.CMP_OPTIONS[CNN])
    verdicts = [e.value for e in [*at.success, *at.warning] if said in e.value]
    assert verdicts == [f"{text.RIGHT} {said}" if right else f"{text.WRONG} {said}"]
    reveal = text.CMP_REVEAL.format(shift=QUESTION_SHIFT, cnn=accuracy[CNN], ann=accuracy[ANN])
    assert reveal in [m.value for m in at.markdown]
    # The results are shown, and the next run is asked about afresh.
    assert any(cmp_text.COL_ACC in df.value.columns for df in at.dataframe)
    assert asked(at).count(question) == 2  # the new question above, the verdict at the results
    at.run()
    assert score(at) == (int(right), 1)  # shown again, not scored again


def test_compare_a_guess_made_with_the_results_on_screen_waits_and_a_skip_counts_nothing(
    measured,
):
    at = compare_page()
    at.session_state[COMPARE_KEY] = measured
    at.run()
    at.radio(key=CHOICE_KEY).set_value(ANN).run()
    at.button(key=f"{CHOICE_KEY}_lock").click().run()
    assert score(at) == (0, 0)  # these results were already there: no prediction
    at = compare_page()
    at.button(key=f"{CHOICE_KEY}_skip").click().run()
    assert asked(at) == []
    at.session_state[COMPARE_KEY] = measured
    at.run()
    assert not at.exception
    assert text.SKIPPED in [i.value for i in at.info] and score(at) == (0, 0)


def test_compare_asks_nothing_at_every_number(measured):
    at = compare_page(every=True)
    assert asked(at) == [] and CHOICE_KEY not in [r.key for r in at.radio]
    at.session_state[COMPARE_KEY] = measured
    at.run()
    assert not at.exception and asked(at) == []
