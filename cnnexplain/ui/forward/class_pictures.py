"""6. What the network thinks each class looks like: the picture it scores highest per class.

The pictures depend on the network alone, not on the learner's picture, so they are drawn once
per shared network and kept for every learner (`_kept`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

import streamlit as st

from cnnexplain.io.datasets import Dataset
from cnnexplain.model.class_pictures import (
    LEARNING_RATE,
    PIXEL_RANGE,
    SMOOTHNESS,
    STEPS,
    ClassPictures,
)
from cnnexplain.texts import forward as text
from cnnexplain.training.store import TrainedModel
from cnnexplain.ui.kit import class_pictures as pictures
from cnnexplain.ui.kit import datasets as named
from cnnexplain.ui.kit.detail import every_number
from cnnexplain.ui.kit.widgets import kept

SHOW_KEY = "fwd_class_pictures"  # the learner's switch: draw the pictures or not
MAX_KEPT = 16  # networks whose pictures are kept; the model store keeps 12 networks


class _Kept:
    """Pictures already drawn, by network, shared by every learner: bounded, thread-safe."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Hashable, ClassPictures] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> ClassPictures | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
            return self._items.get(key)

    def put(self, key: Hashable, result: ClassPictures) -> None:
        with self._lock:
            self._items[key] = result
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)


@st.cache_resource
def _kept() -> _Kept:
    return _Kept(MAX_KEPT)


def _pictures_of(entry: TrainedModel) -> ClassPictures:
    """The network's pictures: kept ones, or drawn now under a progress bar (and kept)."""
    # The model's id, as for the saliency maps: a network trained again after the store let it
    # go is another object, and its pictures are drawn again.
    key = (entry.spec, entry.dataset, entry.trained, id(entry.model))
    result = _kept().get(key)
    if result is None:
        result = pictures.climb(entry.model, text.CLASS_PICTURES_PROGRESS)
        _kept().put(key, result)
    return result


def show(entry: TrainedModel, data: Dataset) -> None:
    """The section: its header, a switch, and once switched on a picture per class."""
    st.subheader(text.CLASS_PICTURES_HEADER, anchor="fwd-class-pictures")
    st.write(text.CLASS_PICTURES_INTRO)
    on = kept(
        SHOW_KEY, False, st.toggle, text.CLASS_PICTURES_SHOW, help=text.CLASS_PICTURES_SHOW_HELP
    )
    if not on:
        return
    result = _pictures_of(entry)
    detailed = every_number()
    titles = pictures.title_words(
        result,
        named.class_names(data),
        text.CLASS_PICTURE_TITLE,
        text.CLASS_PICTURE_TITLE_SCORE,
        scores=detailed,
    )
    pictures.grid(
        result,
        titles,
        hover=text.CLASS_PICTURES_HOVER,
        hover_rgb=text.CLASS_PICTURES_HOVER_RGB,
        key="fwd_class_pictures_grid",
    )
    st.caption(
        text.CLASS_PICTURES_VERDICT.format(
            right=pictures.recognised(result), total=len(result.scores)
        )
    )
    st.caption(text.CLASS_PICTURES_EXPLAIN)
    if detailed:
        low, high = PIXEL_RANGE
        st.caption(text.CLASS_PICTURES_SCORES)
        st.caption(
            text.CLASS_PICTURES_NUMBERS.format(
                steps=STEPS,
                lr=LEARNING_RATE,
                head=entry.spec.head,
                smoothness=SMOOTHNESS,
                low=low,
                high=high,
            )
        )
