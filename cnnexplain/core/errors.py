"""Errors a learner reads: an English message for developers, a code and fields for the pages.

`str(err)` stays the English sentence (logs, scripts and tests read it), while `err.code` and
`err.fields` let the UI say the same thing in the learner's language (cnnexplain.texts.errors
holds those sentences under the same codes). Each raising module adds its English templates to
`TEMPLATES` with `templates(...)`, so one table lists every code the library can raise.

Fields are numbers, names from the learner's own files, or short English words from `WORDS`
("Learning rate", "Output"), which the UI translates on their own.
"""

from __future__ import annotations

from typing import Any

TEMPLATES: dict[str, str] = {}  # code -> English template, filled by the raising modules


def templates(found: dict[str, str]) -> dict[str, str]:
    """Add one module's {code: English template} to the library's table; returns `found`."""
    clash = {code for code in found if TEMPLATES.get(code, found[code]) != found[code]}
    if clash:
        raise ValueError(f"error codes defined twice: {sorted(clash)}")
    TEMPLATES.update(found)
    return found


class LearnerError(Exception):
    """Base of the errors shown to a learner: a `code`, the `fields` that fill its template,
    and `message`, the English sentence a learner would read.

    `message` is `TEMPLATES[code].format(**fields)`, unless `english` gives it: some English
    messages are assembled from more pieces than a template holds (a chain of hints), and then
    the learner's language says the core of it from the fields.
    """

    def __init__(self, code: str, /, *, english: str | None = None, **fields: Any) -> None:
        self.code = code
        self.fields = fields
        self.message = english if english is not None else TEMPLATES[code].format(**fields)
        super().__init__(self.message)
