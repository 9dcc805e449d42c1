"""The forward page's questions: which class the network will choose for the picture, and
which number wins a max-pool window, each asked before the page shows it."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnexplain.core import ops
from cnnexplain.io.datasets import Dataset
from cnnexplain.model.questions import chosen_class, pool_window_values, pool_winners
from cnnexplain.model.trace import Trace
from cnnexplain.texts import predict as text
from cnnexplain.ui.forward.stage import Step, num, stage_before
from cnnexplain.ui.kit import datasets as named
from cnnexplain.ui.kit import predict
from cnnexplain.ui.kit.numbers import plain
from cnnexplain.ui.kit.widgets import MEMORY_KEY

NEXT_SHOWN = 2  # classes named after the chosen one when the answer is revealed


def class_question(result: Trace, data: Dataset) -> bool:
    """Ask which class the network will choose for this picture (a new picture or network asks
    again); True once the page may show its answer."""
    names = named.class_names(data)
    probs = result.probs
    choice = chosen_class(probs)
    key = "fwd_class:" + predict.digest(result.stages[0].torch_out, probs)
    following = [int(k) for k in np.argsort(-probs, kind="stable") if k != choice][:NEXT_SHOWN]
    reveal = text.CLASS_REVEAL.format(name=names[choice], p=float(probs[choice]))
    if following:
        others = ", ".join(
            text.CLASS_OTHER.format(name=names[k], percent=plain(100 * float(probs[k]), 2))
            for k in following
        )
        reveal = f"{reveal} {text.CLASS_NEXT.format(others=others)}"
    options = {str(k): name for k, name in enumerate(names)}
    return predict.ask(key, text.CLASS_QUESTION, options, (str(choice),), reveal)


def _picked(key: str, default: int, size: int) -> int:
    """The cell index the stage's own control shows (or will start from), kept in range."""
    value = st.session_state.get(key, st.session_state.get(MEMORY_KEY, {}).get(key, default))
    return min(max(int(value), 0), size - 1)


def pool_question(step: Step, result: Trace) -> bool:
    """At a max-pool stage: ask which number of the chosen cell's window wins, once per stage
    and picture (its verdict stays with that cell); True once the page may show the stage (at
    once for every other stage)."""
    if step.kind != "pool":
        return True
    stage = result.stages[step.index]
    if stage.hparams["pool"] != "max":  # a mean has no winner to guess
        return True
    name, size, stride = stage.name, stage.hparams["size"], stage.hparams["stride"]
    before = stage_before(result, name)
    start = ops.strongest_index(stage.torch_out)  # where the stage's cell picker starts
    c, i, j = (
        _picked(f"fwd_pool_{axis}_{name}", int(first), extent)
        for axis, first, extent in zip("cij", start, stage.shape, strict=True)
    )
    values = pool_window_values(before.numpy_out, c, i, j, size, stride)  # (size, size)
    options = {
        str(k): text.POOL_OPTION.format(
            value=num(float(v)), r=i * stride + k // size, col=j * stride + k % size
        )
        for k, v in enumerate(values.reshape(-1))
    }
    winners = pool_winners(values)
    question = text.POOL_QUESTION.format(name=name, size=size, c=c, i=i, j=j)
    reveal = text.POOL_REVEAL.format(value=num(float(values.max())), name=name, i=i, j=j)
    # One question per stage and picture: once it is answered, another cell shows at once.
    stage_key = f"fwd_pool:{name}:{predict.digest(before.torch_out)}:"
    key = f"{stage_key}{c}:{i}:{j}"
    if predict.answer_for(key) is None and predict.answered_under(stage_key):
        return True
    return predict.ask(key, question, options, tuple(str(k) for k in winners), reveal)
