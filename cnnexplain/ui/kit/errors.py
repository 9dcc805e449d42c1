"""The library's errors in the learner's language.

A library error keeps its English message for developers (`str(err)`) and carries a code and
the fields that fill it (cnnexplain.core.errors); here the code picks the sentence of the
learner's language (cnnexplain.texts.errors). Anything without a code is shown as it is.
"""

from __future__ import annotations

from typing import Any

from cnnexplain.core.errors import LearnerError
from cnnexplain.model.spec import ArchitectureError
from cnnexplain.texts import errors as text
from cnnexplain.texts import language


def _field(value: Any) -> Any:
    """A field as the learner reads it: a nested error said in their language, an English
    word from the library (a setting's name) translated, anything else (numbers, file names,
    layer names such as conv1) as it is."""
    if isinstance(value, LearnerError):
        return say(value)
    if isinstance(value, str):
        return text.WORDS.get(value, value)
    return value


def problem(err: BaseException | str) -> str:
    """What went wrong, without the place an architecture error names (a page shows it beside
    the control at fault)."""
    if isinstance(err, str):
        return err
    if not isinstance(err, LearnerError):
        return str(err)
    # English keeps the library's own sentence: some add hints their template leaves out.
    template = text.MESSAGES.get(err.code)
    if language.current() == language.ENGLISH or template is None:
        return err.message
    return template.format(**{name: _field(value) for name, value in err.fields.items()})


def place_name(place: str) -> str:
    """An architecture error's place as the learner reads it: "block:2" -> "Conv block 2"."""
    kind, colon, n = place.partition(":")
    return text.PLACES[kind + colon].format(n=n)


def say(err: BaseException | str) -> str:
    """The whole message, in the learner's language; str(err) for errors without a code."""
    if isinstance(err, ArchitectureError):
        return text.PLACED.format(place=place_name(err.place), problem=problem(err))
    return problem(err)
