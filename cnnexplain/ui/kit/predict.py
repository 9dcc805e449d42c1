"""Predict, then see: a page asks a short question before it shows the answer, the learner
answers or skips, and the page tells them whether they were right, with the live numbers.

Questions are asked at the Simple level only (Every number shows everything at once). Each
answer is kept for the session under the question's key, so a question already answered shows
its verdict, and a new setting (a new key) asks again. The score counts answered questions
only: a skip is not a wrong answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnexplain.texts import predict as text
from cnnexplain.ui.kit.detail import every_number

RECORD_KEY = "predict_answers"  # {question key: Answer} for the whole session
SLOT_KEY = "predict_score_slot"  # the sidebar place the score is drawn in during this run


@dataclass(frozen=True)
class Answer:
    """What the learner said to one question."""

    guess: str | None  # the option chosen; None when skipped
    right: bool | None  # None when skipped, or when no option was right (a tie)


def digest(*arrays: np.ndarray) -> str:
    """A short name for what the arrays hold: the same picture through the same network is
    the same question, another picture or network a new one."""
    h = hashlib.sha1()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def answers() -> dict[str, Answer]:
    return st.session_state.setdefault(RECORD_KEY, {})


def answer_for(key: str) -> Answer | None:
    """The learner's answer to question `key`, or None while it is open."""
    return answers().get(key)


def answered_under(prefix: str) -> bool:
    """Whether any question whose key starts with `prefix` has been answered or skipped."""
    return any(key.startswith(prefix) for key in answers())


def score() -> tuple[int, int]:
    """(right, answered): questions answered right, out of those answered (skips left out)."""
    judged = [a.right for a in answers().values() if a.right is not None]
    return sum(judged), len(judged)


def _draw_score(slot) -> None:
    right, answered = score()
    if answered and not every_number():
        slot.caption(text.SCORE.format(right=right, answered=answered), help=text.SCORE_HELP)
    else:
        slot.empty()


def score_line() -> None:
    """The session's score, here (the sidebar); `record` calls later in this run redraw it."""
    slot = st.empty()
    st.session_state[SLOT_KEY] = slot
    _draw_score(slot)


def redraw_score() -> None:
    """Draw the score again where the last full run put it, for a fragment's run (which does
    not draw the sidebar) in which a question was answered."""
    slot = st.session_state.get(SLOT_KEY)
    if slot is not None:
        _draw_score(slot)


def record(
    key: str, guess: str | None, correct: Collection[str] | None, redraw: bool = True
) -> None:
    """Keep the answer `guess` (None: skipped) to question `key`, whose right answers are
    `correct` (None or empty: none is right, so the guess is not scored).

    `redraw` the score in this run's sidebar; not from a widget callback, which runs before the
    page has a sidebar to draw in.
    """
    right = None if guess is None or not correct else guess in correct
    answers()[key] = Answer(guess, right)
    slot = st.session_state.get(SLOT_KEY)
    if redraw and slot is not None:
        _draw_score(slot)


def _checked(key: str, correct: tuple[str, ...]) -> None:
    record(key, st.session_state.get(widget_key(key)), correct, redraw=False)


def _skipped(key: str) -> None:
    record(key, None, None, redraw=False)


def widget_key(key: str) -> str:
    """The key of the control that holds the learner's choice for question `key`."""
    return f"predict_{key}"


def verdict(answer: Answer, options: Mapping[str, str]) -> None:
    """Right, not right, or skipped, with what the learner said."""
    if answer.guess is None:
        st.info(text.SKIPPED)
        return
    said = text.YOU_SAID.format(guess=options.get(answer.guess, answer.guess))
    if answer.right is None:
        st.info(f"{said} {text.NOBODY}")
    elif answer.right:
        st.success(f"{text.RIGHT} {said}")
    else:
        st.warning(f"{text.WRONG} {said}")


def choose_or_skip(
    widget: str,
    options: Mapping[str, str],
    *,
    confirm: str,
    confirm_key: str,
    on_confirm: Callable[..., None],
    confirm_args: tuple,
    on_skip: Callable[..., None],
    skip_args: tuple,
) -> None:
    """The options ({value: words}) in a row under `widget`, none chosen at first; then the
    `confirm` button (widget + `confirm_key`), on once an option is chosen, and Skip."""
    choice = st.radio(
        text.CHOICE_LABEL,
        list(options),
        index=None,
        format_func=options.get,
        horizontal=True,
        key=widget,
        label_visibility="collapsed",
    )
    with st.container(horizontal=True):
        st.button(
            confirm,
            key=f"{widget}_{confirm_key}",
            type="primary",
            disabled=choice is None,
            on_click=on_confirm,
            args=confirm_args,
        )
        st.button(text.SKIP, key=f"{widget}_skip", on_click=on_skip, args=skip_args)


def ask(
    key: str,
    question: str,
    options: Mapping[str, str],
    correct: Collection[str] | None,
    reveal: str,
) -> bool:
    """Ask `question` (options: {value: words}; `correct`: the right values) in a box, until the
    learner answers or skips; then say whether they were right, and `reveal` (the live answer;
    "" when the page says it right after the box).

    Returns True when the page may show what the question hides: at once on the Every number
    level (which asks nothing), else once the question is answered or skipped.
    """
    if every_number():
        return True
    answer = answer_for(key)
    with st.container(border=True):
        st.markdown(f"**{text.HEADER}** {question}")
        if answer is None:
            choose_or_skip(
                widget_key(key),
                options,
                confirm=text.CHECK,
                confirm_key="check",
                on_confirm=_checked,
                confirm_args=(key, tuple(correct or ())),
                on_skip=_skipped,
                skip_args=(key,),
            )
            return False
        verdict(answer, options)
        if reveal:
            st.markdown(reveal)
    return True
