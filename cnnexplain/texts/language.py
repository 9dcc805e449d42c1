"""The learner's language: which of the parallel texts modules a page's words come from.

English lives in `cnnexplain/texts/<page>.py`, Hebrew in `cnnexplain/texts/he/<page>.py`, with
the same names. Pages write `from cnnexplain.texts import backprop as text` and read
`text.TITLE` while they draw: the module answers in the language of the learner whose page is
being drawn, so two learners on one server can read two languages. The UI says how to find that
learner's choice (`use`); without it (scripts, tests of the library) the words are English.

Binding a word at import time (`from cnnexplain.texts.backprop import TITLE`, or a module-level
constant built from words) would freeze it in English for everyone: tests forbid it.
"""

from __future__ import annotations

import contextlib
import importlib
import re
import types
from collections.abc import Callable, Iterator
from typing import Any

ENGLISH, HEBREW = "en", "he"
LANGUAGES = (ENGLISH, HEBREW)
RIGHT_TO_LEFT = frozenset({HEBREW})

# Unicode's first-strong isolate and its end: a number or a Latin name inside a Hebrew
# sentence keeps its own order ("-0.5" stays "-0.5", "W[0,1]" stays "W[0,1]").
ISOLATE, END_ISOLATE = "\u2068", "\u2069"

_resolver: Callable[[], str] = lambda: ENGLISH  # noqa: E731
_translated: dict[tuple[str, str], dict[str, Any]] = {}

# A format field: {name}, {name:.3f}, {name!r}; not the doubled braces {{ }} of LaTeX, nor a
# plotly hover field %{z} (plotly fills it in the browser).
_FIELD = re.compile(
    r"(?<![{%])\{[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?(?:![rsa])?(?::[^{}]*)?\}(?!\})"
)
# Fields joined into one expression: a shape ("{channels}×{size}×{size}"), a call
# ("{kind}({result})"), a pair ("{c},{r}"). Isolated one by one, each would be a neutral of the
# Hebrew sentence and the whole would read backwards ("28×28×1"); they share one isolate.
_JOINED = re.compile(rf"{_FIELD.pattern}(?:[×,(]{_FIELD.pattern}\)?)*")
_MATH = re.compile(r"\$[^$]*\$")


def use(resolver: Callable[[], str]) -> Callable[[], str]:
    """Find the current learner's language with `resolver` from now on (the UI calls this);
    returns the resolver used until now."""
    global _resolver
    previous, _resolver = _resolver, resolver
    return previous


@contextlib.contextmanager
def speaking(chosen: str) -> Iterator[None]:
    """Words in `chosen` inside the block, whoever asks (for scripts and tests); then as before."""
    previous = use(lambda: chosen)
    try:
        yield
    finally:
        use(previous)


def current() -> str:
    """The language of the learner whose page is being drawn; English when none is."""
    try:
        chosen = _resolver()
    except Exception:  # no learner (a script, a worker thread): English
        return ENGLISH
    return chosen if chosen in LANGUAGES else ENGLISH


def is_right_to_left(language: str) -> bool:
    return language in RIGHT_TO_LEFT


def isolate(value: str) -> str:
    """`value` kept in its own direction inside a right-to-left sentence."""
    return f"{ISOLATE}{value}{END_ISOLATE}"


def _isolate_fields(words: str) -> str:
    """Each format field outside $...$ math wrapped in isolates (fields joined into one
    expression, in one), so that whatever fills them (a number, a layer name, a shape) keeps
    its order in a Hebrew sentence. Math stays untouched:
    KaTeX would refuse the isolate characters."""
    pieces, end = [], 0
    for math in _MATH.finditer(words):
        pieces.append(_JOINED.sub(lambda m: isolate(m.group()), words[end : math.start()]))
        pieces.append(math.group())
        end = math.end()
    pieces.append(_JOINED.sub(lambda m: isolate(m.group()), words[end:]))
    return "".join(pieces)


def _prepared(hebrew: Any, english: Any) -> Any:
    """A Hebrew value ready to show: translated strings get isolated fields; strings left as
    in English (formulas, names) are kept exactly."""
    if isinstance(hebrew, str):
        return hebrew if hebrew == english else _isolate_fields(hebrew)
    if isinstance(hebrew, dict) and isinstance(english, dict):
        return {k: _prepared(v, english.get(k)) for k, v in hebrew.items()}
    if isinstance(hebrew, tuple) and isinstance(english, tuple) and len(hebrew) == len(english):
        return tuple(_prepared(h, e) for h, e in zip(hebrew, english, strict=True))
    return hebrew


def _words(module: types.ModuleType, language: str) -> dict[str, Any]:
    short = module.__name__.rsplit(".", 1)[-1]
    key = (short, language)
    if key not in _translated:
        source = importlib.import_module(f"cnnexplain.texts.{language}.{short}")
        english = vars(module)
        _translated[key] = {
            name: _prepared(value, english.get(name))
            for name, value in vars(source).items()
            if name.isupper()
        }
    return _translated[key]


class LocalizedModule(types.ModuleType):
    """A texts module whose UPPER_CASE names answer in the current learner's language."""

    def __getattribute__(self, name: str) -> Any:
        if name[:1].isupper() and name.isupper():
            language = current()
            if language != ENGLISH:
                translated = _words(self, language)
                if name in translated:
                    return translated[name]
        return super().__getattribute__(name)


def localize(module: types.ModuleType) -> None:
    """Make `module` (an English texts module) answer in the learner's language."""
    module.__class__ = LocalizedModule
