"""The picture a network likes best for each class, drawn under a progress bar, and shown."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st
from torch import nn

from cnnexplain.figures import compare as cmpfig
from cnnexplain.model.class_pictures import STEPS, ClassPictures, class_pictures
from cnnexplain.ui.kit.numbers import plain


def climb(model: nn.Module, progress_text: str, **words: object) -> ClassPictures:
    """`class_pictures` of `model` under a progress bar.

    `progress_text` is filled with `done` and `total` steps and with `words`.
    """
    bar = st.progress(0.0, text=progress_text.format(done=0, total=STEPS, **words))

    def report(done: int, total: int) -> None:
        bar.progress(done / total, text=progress_text.format(done=done, total=total, **words))

    result = class_pictures(model, on_progress=report)
    bar.empty()
    return result


def title_words(
    result: ClassPictures,
    class_names: Sequence[str],
    plain_title: str,
    score_title: str,
    *,
    scores: bool,
) -> list[str]:
    """One title per picture: the class's name, and with `scores` its score before and after."""
    if not scores:
        return [plain_title.format(name=name) for name in class_names]
    return [
        score_title.format(name=name, start=plain(start, 3), end=plain(end, 3))
        for name, start, end in zip(class_names, result.start_scores, result.scores, strict=True)
    ]


def grid(
    result: ClassPictures,
    titles: Sequence[str],
    *,
    hover: str,
    hover_rgb: str,
    key: str,
    columns: int = 5,
) -> None:
    """The pictures as a grid of small heatmaps, every pixel's value in its hover text."""
    cell_hover = hover if result.pictures.shape[1] == 1 else hover_rgb
    st.plotly_chart(
        cmpfig.value_pictures(result.pictures, titles, cell_hover=cell_hover, columns=columns),
        key=key,
    )


def recognised(result: ClassPictures) -> int:
    """How many pictures the network itself reads as the class they were drawn for."""
    return int(np.sum(result.predicted == np.arange(len(result.predicted))))
