"""The comparison page's question: which network will be more accurate on test pictures moved
a few pixels? Asked before training, revealed at the results with the run's own measurements.

A guess is locked in for the next results measured after it (results already on the screen
are no prediction), then scored once against that run's robustness curve.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping

import streamlit as st

from cnnexplain.experiment.design import ANN, CNN
from cnnexplain.experiment.questions import QUESTION_SHIFT, more_accurate_when_shifted
from cnnexplain.experiment.result import ComparisonResult
from cnnexplain.experiment.robustness import RobustnessCurve
from cnnexplain.texts import predict as text
from cnnexplain.ui.compare.state import comparison
from cnnexplain.ui.kit import predict
from cnnexplain.ui.kit.detail import every_number

GUESS_KEY = "predict_cmp_guess"  # {"guess": "CNN", "ANN" or None (skipped), "seen": results}
REVEALED_KEY = "predict_cmp_revealed"  # {"result": weakref to the results, "key": its question}
SERIAL_KEY = "predict_cmp_serial"  # runs revealed so far: each one's question gets a new key
CHOICE_KEY = predict.widget_key("cmp_shift")


def _shown_result() -> weakref.ref | None:
    """The results on the screen when the guess is made, which it must not be scored on."""
    current = comparison()
    result = None if current is None else current.result
    return None if result is None else weakref.ref(result)


def _lock(skipped: bool) -> None:
    guess = None if skipped else st.session_state.get(CHOICE_KEY)
    st.session_state[GUESS_KEY] = {"guess": guess, "seen": _shown_result()}


def ask_before_training() -> None:
    """Before training (Simple only): the question, or the guess already locked in."""
    if every_number():
        return
    pending = st.session_state.get(GUESS_KEY)
    if pending is not None and pending["guess"] is None:
        return  # skipped: the results will simply say who was more accurate
    with st.container(border=True):
        st.markdown(f"**{text.HEADER}** {text.CMP_QUESTION.format(shift=QUESTION_SHIFT)}")
        if pending is not None:
            st.markdown(text.CMP_LOCKED.format(guess=text.CMP_OPTIONS[pending["guess"]]))
            return
        predict.choose_or_skip(
            CHOICE_KEY,
            {name: text.CMP_OPTIONS[name] for name in (CNN, ANN)},
            confirm=text.CMP_LOCK,
            confirm_key="lock",
            on_confirm=_lock,
            confirm_args=(False,),
            on_skip=_lock,
            skip_args=(True,),
        )


def _score(result: ComparisonResult, winner: str | None) -> str | None:
    """Score the guess locked in before `result` was measured; its question's key, or None."""
    pending = st.session_state.get(GUESS_KEY)
    if pending is None or (pending["seen"] is not None and pending["seen"]() is result):
        return None
    serial = st.session_state.get(SERIAL_KEY, 0) + 1
    st.session_state[SERIAL_KEY] = serial
    key = f"cmp_shift:{serial}"
    predict.record(key, pending["guess"], None if winner is None else (winner,))
    st.session_state[REVEALED_KEY] = {"result": weakref.ref(result), "key": key}
    del st.session_state[GUESS_KEY]
    return key


def reveal_at_results(
    result: ComparisonResult, robustness: Mapping[str, RobustnessCurve] | None
) -> None:
    """At the results (Simple only): whether the guess was right, with the measured accuracy of
    both networks on the shifted pictures."""
    if every_number():
        return
    winner, accuracy = more_accurate_when_shifted(robustness)
    if accuracy is None:
        return  # this run did not measure the shift: the guess waits for one that does
    revealed = st.session_state.get(REVEALED_KEY)
    if revealed is not None and revealed["result"]() is result:
        key = revealed["key"]
    else:
        key = _score(result, winner)
    answer = None if key is None else predict.answer_for(key)
    if answer is None:
        return
    with st.container(border=True):
        st.markdown(f"**{text.HEADER}** {text.CMP_QUESTION.format(shift=QUESTION_SHIFT)}")
        predict.verdict(answer, text.CMP_OPTIONS)
        words = text.CMP_REVEAL.format(shift=QUESTION_SHIFT, cnn=accuracy[CNN], ann=accuracy[ANN])
        st.markdown(words if winner is not None else f"{words} {text.CMP_TIE}")
