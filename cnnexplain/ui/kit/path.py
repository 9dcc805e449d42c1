"""The path through the app: the pages in teaching order, each page's opening words and its
link to the next page, and the whole path with its ticks on the first page."""

from __future__ import annotations

import streamlit as st

from cnnexplain.texts import path as text
from cnnexplain.ui.kit import tasks

ICONS = {
    "home": ":material/home:",
    "conv_lab": ":material/blur_on:",
    "forward": ":material/arrow_forward:",
    "backprop": ":material/arrow_back:",
    "compare": ":material/compare_arrows:",
}
FILES = {page: f"pages/{page}.py" for page in ICONS}  # in teaching order, as texts.path.ORDER


def navigation_pages() -> list:
    """st.Page of every page in teaching order; the first is the default."""
    return [
        st.Page(FILES[page], title=text.TITLES[page], icon=ICONS[page], default=page == "home")
        for page in text.ORDER
    ]


def next_page(page: str) -> str | None:
    """The page after `page` on the path, or None after the last."""
    at = text.ORDER.index(page)
    return text.ORDER[at + 1] if at + 1 < len(text.ORDER) else None


def opening(page: str) -> None:
    """What the learner will see and do here, then the page's checklist if it has tasks."""
    st.markdown(f"**{text.SEE_AND_DO[page]}**")
    if page in text.TASKS:
        tasks.show(page)


def next_step(page: str) -> None:
    """The end of the page: why to go on, and the link to the next page."""
    st.divider()
    following = next_page(page)
    if following is None:
        st.caption(text.PATH_END)
        st.page_link(FILES["home"], label=text.BACK_HOME, icon=ICONS["home"])
        return
    st.markdown(text.NEXT_WHY[page])
    st.page_link(FILES[following], label=text.NEXT_LABEL[page], icon=ICONS[following])


def overview() -> None:
    """Every page in order with its ticks and a link to it."""
    st.subheader(text.PATH_HEADER, anchor="path")
    st.caption(text.PATH_INTRO)
    for number, page in enumerate(text.ORDER, start=1):
        done, total = tasks.progress(page)
        link, ticks = st.columns([3, 1], vertical_alignment="center")
        with link:
            label = text.PATH_LINK.format(number=number, name=text.PATH_NAMES[page])
            st.page_link(FILES[page], label=label, icon=ICONS[page])
        with ticks:
            ticks_words = text.PATH_PAGE.format(done=done, total=total)
            st.caption(ticks_words if total else text.PATH_NO_TASKS)
