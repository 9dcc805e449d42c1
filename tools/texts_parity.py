"""Compare a texts module with its Hebrew twin: python -m tools.texts_parity [module ...].

Lists names present in one language only, and strings whose {placeholders} or plotly
%{...} tokens differ, or whose structure (dict keys, tuple lengths) differs.
"""

from __future__ import annotations

import importlib
import re
import string
import sys

import cnnexplain.texts as english_package

PLOTLY = re.compile(r"%\{[^}]*\}")


def placeholders(words: str) -> list[str]:
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(words) if name is not None]
    except ValueError:
        names = ["<not a format string>"]
    return sorted(names) + sorted(PLOTLY.findall(words))


def differences(english, hebrew, where: str) -> list[str]:
    if isinstance(english, str):
        if not isinstance(hebrew, str):
            return [f"{where}: a string in English, {type(hebrew).__name__} in Hebrew"]
        if placeholders(english) != placeholders(hebrew):
            return [f"{where}: {placeholders(english)} != {placeholders(hebrew)}"]
        return []
    if isinstance(english, dict):
        if not isinstance(hebrew, dict) or set(english) != set(hebrew):
            return [f"{where}: keys differ"]
        return [d for k in english for d in differences(english[k], hebrew[k], f"{where}[{k!r}]")]
    if isinstance(english, (tuple, list)):
        if not isinstance(hebrew, (tuple, list)) or len(english) != len(hebrew):
            return [f"{where}: lengths differ"]
        return [
            d
            for i, (e, h) in enumerate(zip(english, hebrew, strict=True))
            for d in differences(e, h, f"{where}[{i}]")
        ]
    return [] if english == hebrew else [f"{where}: {english!r} != {hebrew!r}"]


def public(module) -> dict:
    return {k: v for k, v in vars(module).items() if k.isupper()}


def check(name: str) -> list[str]:
    english = public(importlib.import_module(f"cnnexplain.texts.{name}"))  # its own, English
    hebrew = public(importlib.import_module(f"cnnexplain.texts.he.{name}"))
    problems = [f"{name}.{k}: English only" for k in english.keys() - hebrew.keys()]
    problems += [f"{name}.{k}: Hebrew only" for k in hebrew.keys() - english.keys()]
    for key in english.keys() & hebrew.keys():
        problems += differences(english[key], hebrew[key], f"{name}.{key}")
    return problems


if __name__ == "__main__":
    names = sys.argv[1:] or list(english_package.PAGES)
    found = [p for name in names for p in check(name)]
    print("\n".join(found) or "same names, placeholders and structure")
    sys.exit(1 if found else 0)
