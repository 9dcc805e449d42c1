"""The "Try this" tasks of each page: a checklist near the top of the page, ticked when the
page notices the learner did the task.

A tick is kept in the learner's session (not a widget key, so it survives page changes). The
page draws the checklist first and learns later in the same run whether a task was done: the
checklist is drawn into a slot that `done` fills again when a new tick arrives.
"""

from __future__ import annotations

import streamlit as st

from cnnexplain.texts import path as text

DONE_KEY = "path_done"  # {page: [task ids ticked, in the order they were done]}
SLOT_KEY = "path_checklist"  # (page, the slot its checklist is drawn in during this run)


def ticked(page: str) -> list[str]:
    """The tasks of `page` the learner has done."""
    return st.session_state.setdefault(DONE_KEY, {}).setdefault(page, [])


def progress(page: str) -> tuple[int, int]:
    """(done, total) tasks of `page`; (0, 0) for a page without tasks."""
    if page not in text.TASKS:
        return 0, 0
    return len(ticked(page)), len(text.TASKS[page])


def _draw(page: str, slot) -> None:
    done, total = progress(page)
    title = text.TRY_THIS.format(done=done, total=total)
    with slot.container(), st.expander(title, expanded=True):
        for task, words in text.TASKS[page].items():
            template = text.TASK_DONE if task in ticked(page) else text.TASK_OPEN
            st.markdown(template.format(task=words))


def show(page: str) -> None:
    """The checklist of `page`, here; later `done` calls in this run tick it in place."""
    slot = st.empty()
    st.session_state[SLOT_KEY] = (page, slot)
    _draw(page, slot)


def tick(page: str, task: str) -> bool:
    """Tick `task` of `page` without drawing the checklist again; True if it was not ticked.

    A fragment's run, which may not draw outside itself, ticks with this, then reruns the
    page to show the tick.
    """
    if task not in text.TASKS[page]:
        raise KeyError(f"No task {task!r} on page {page!r}; tasks: {', '.join(text.TASKS[page])}.")
    if task in ticked(page):
        return False
    ticked(page).append(task)
    return True


def done(page: str, task: str) -> None:
    """The learner did `task` of `page`: tick it for the rest of the session.

    Call it from the page's script run, not from a widget callback (a callback runs before the
    page is drawn, so it has no checklist to tick).
    """
    if not tick(page, task):
        return
    shown = st.session_state.get(SLOT_KEY)
    if shown is not None and shown[0] == page:
        _draw(page, shown[1])
