"""The backpropagation page's questions, asked before a Step: will the true class's
probability go up or down, and will the loss rise at this learning rate?

The learner chooses, then presses Step. The step's script run ends in a rerun, so the guesses
made before it are kept as pending, and the next run scores them against the step's own
record (LastStep: the probability and the loss before and after) and shows the verdict.
"""

from __future__ import annotations

import weakref

import streamlit as st

from cnnexplain.model.backprop import OptimizerSettings
from cnnexplain.model.questions import loss_direction, probability_direction
from cnnexplain.texts import predict as text
from cnnexplain.ui.backprop.views import LastStep, Stepper, number
from cnnexplain.ui.kit import predict
from cnnexplain.ui.kit.detail import every_number
from cnnexplain.ui.kit.numbers import plain

PENDING_KEY = "predict_bp_pending"  # {"count": steps taken when asked, "p": guess, "loss": guess}
SCORED_KEY = "predict_bp_scored"  # {"last": weakref to the step scored, "keys": its questions}
SERIAL_KEY = "predict_bp_serial"  # steps scored so far: each one's questions get new keys
SKIP = "skip"
QUESTIONS = ("p", "loss")


def _options(question: str) -> dict[str, str]:
    """The answers to `question`, in the learner's language."""
    return {"p": text.P_OPTIONS, "loss": text.LOSS_OPTIONS}[question]


def _right_answers(last: LastStep) -> dict[str, str | None]:
    return {
        "p": probability_direction(last.p_before, last.p_after),
        "loss": loss_direction(last.outcome.loss_before, last.outcome.loss_after),
    }


def _score_new_step(state: Stepper) -> None:
    """Score the guesses made before the step just taken, if one was taken from there."""
    pending = st.session_state.pop(PENDING_KEY, None)
    last = state.last
    if pending is None or last is None or last.number != pending["count"] + 1:
        return
    if all(pending[q] == SKIP for q in QUESTIONS):
        return
    serial = st.session_state.get(SERIAL_KEY, 0) + 1
    st.session_state[SERIAL_KEY] = serial
    keys = {}
    for question, correct in _right_answers(last).items():
        guess = pending[question]
        keys[question] = f"bp_step:{serial}:{question}"
        predict.record(
            keys[question],
            None if guess == SKIP else guess,
            None if correct is None else (correct,),
        )
        st.session_state[predict.widget_key(f"bp_{question}")] = SKIP  # the next step asks anew
    st.session_state[SCORED_KEY] = {"last": weakref.ref(last), "keys": keys}


def _show_verdicts(state: Stepper) -> None:
    """Right or not, with the step's numbers, while the step scored is the last one."""
    scored = st.session_state.get(SCORED_KEY)
    last = state.last
    if scored is None or last is None or scored["last"]() is not last:
        return
    results = {
        "p": text.P_RESULT.format(before=number(last.p_before), after=number(last.p_after)),
        "loss": text.LOSS_RESULT.format(
            before=number(last.outcome.loss_before), after=number(last.outcome.loss_after)
        ),
    }
    with st.container(border=True):
        st.markdown(text.STEP_RESULT_HEADER.format(number=last.number))
        for question, key in scored["keys"].items():
            answer = predict.answer_for(key)
            if answer is not None and answer.guess is not None:
                predict.verdict(answer, _options(question))
                st.markdown(results[question])


def before_step(state: Stepper, settings: OptimizerSettings) -> None:
    """The verdict on the last step's predictions, then the two questions for the next Step
    (Simple only)."""
    if every_number():
        st.session_state.pop(PENDING_KEY, None)  # guesses not shown are not scored
        return
    _score_new_step(state)
    _show_verdicts(state)
    guesses = {}
    with st.container(border=True):
        st.markdown(text.STEP_QUESTIONS)
        for question, words in (
            ("p", text.P_QUESTION),
            ("loss", text.LOSS_QUESTION.format(lr=plain(settings.lr))),
        ):
            options = {SKIP: text.SKIP_OPTION, **_options(question)}
            key = predict.widget_key(f"bp_{question}")
            st.session_state.setdefault(key, SKIP)
            guesses[question] = st.radio(
                words, list(options), format_func=options.get, horizontal=True, key=key
            )
    st.session_state[PENDING_KEY] = {"count": state.history.step_count, **guesses}
