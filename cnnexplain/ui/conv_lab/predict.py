"""The convolution lab's question: the output's size, before the page says it."""

from __future__ import annotations

from cnnexplain.model.questions import conv_output_size, size_choices
from cnnexplain.texts import predict as text
from cnnexplain.ui.kit import predict


def size_question(
    height: int, width: int, kernel: int, stride: int, padding: int, dilation: int
) -> bool:
    """Ask for the output size of this setting (each setting is its own question); True once
    the page may say it (see kit.predict.ask)."""
    settings = (height, width, kernel, stride, padding, dilation)
    rows, cols = conv_output_size(*settings)
    options = {f"{r}x{c}": text.LAB_SIZE.format(rows=r, cols=c) for r, c in size_choices(*settings)}
    key = "lab_size:" + ":".join(str(v) for v in settings)
    return predict.ask(
        key,
        text.LAB_QUESTION,
        options,
        (f"{rows}x{cols}",),
        "",  # the page's own line on the output's size follows the box
    )
