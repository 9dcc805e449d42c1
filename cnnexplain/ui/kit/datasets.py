"""The data sets as a learner reads them: titles, descriptions and class names in the learner's
language (texts.datasets), looked up by data set key while the page draws.

The library's Dataset keeps its English names for scripts. A name texts do not know (a
learner's own zip, a data set added later) is shown as the library gives it.
"""

from __future__ import annotations

from collections.abc import Sequence

from cnnexplain.io.datasets import DATASETS, Dataset
from cnnexplain.texts import datasets as text


def title(key: str) -> str:
    """The title of the data set registered under `key`."""
    known = DATASETS[key].title if key in DATASETS else key
    return text.TITLES.get(key, known)


def description(data: Dataset) -> str:
    """What the pictures of `data` are, in a sentence or two."""
    words = text.DESCRIPTIONS.get(data.name)
    if words is None:
        return data.description
    return words.format(n=len(data.x_train) + len(data.x_test))


def names_for(key: str, names: Sequence[str]) -> tuple[str, ...]:
    """The class names of the data set `key`, given the library's `names` for it."""
    shown = text.CLASS_NAMES.get(key)
    if shown is None or len(shown) != len(names):  # not this data set's classes
        return tuple(names)
    return tuple(shown)


def class_names(data: Dataset) -> tuple[str, ...]:
    """The class names of `data`: class_names(data)[k] names class k."""
    return names_for(data.name, data.class_names)
