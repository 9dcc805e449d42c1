"""The backpropagation page's formulas: every number, however written, gives LaTeX KaTeX renders.

KaTeX runs only in the browser (tests/browser/test_formulas_browser.py renders the page's
formulas there); here every formula builder is fed awkward numbers (powers of ten, negatives,
NaN, infinities) and its LaTeX is checked for what KaTeX refuses: a double superscript or
subscript, unbalanced braces, \\left without \\right, an environment not closed. Numbers must also
read as one number: never Python's 1e-06, nan or inf, and never "- -0.2".
"""

from __future__ import annotations

import math
import re

import pytest

from cnnexplain.texts import backprop as text
from cnnexplain.ui.backprop.formulas import (
    adam_tex,
    momentum_tex,
    sgd_tex,
    sigmoid_tex,
    softmax_true_tex,
    terms_sum_tex,
    tex,
)

AWKWARD = (
    5.3e-6,
    -2e-7,
    1e12,
    -1e12,
    math.nan,
    math.inf,
    -math.inf,
    0.0,
    -0.0,
    -0.20976,
    1e-300,
    5e-324,  # the smallest float above 0
    1.7976931348623157e308,  # the largest float
    123456789.0,
)
ORDINARY = 0.25

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[{}^_&]|\s+|.", re.S)


def _tokens(formula: str) -> list[str]:
    return [t for t in _TOKEN.findall(formula) if not t.isspace()]


def tex_problems(formula: str) -> list[str]:
    """What KaTeX would refuse in `formula`, or what would not read as a number; [] when fine.

    Walks the formula atom by atom, as TeX does: a ^ or _ applies to the atom before it (a
    character, a command, a {group} or a whole \\left...\\right), and an atom that already has
    one cannot take another.
    """
    tokens = _tokens(formula)
    problems: list[str] = []
    stack: list[str] = []  # open "{", "\left" and environment names, innermost last
    scripts: set[str] = set()  # the scripts the current atom already has
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in ("^", "_"):
            if token in scripts:
                context = "".join(tokens[max(0, i - 6) : i + 2])
                kind = "superscript" if token == "^" else "subscript"
                problems.append(f"double {kind} at {context!r}")
            scripts.add(token)
            i += 1
            if i < len(tokens) and tokens[i] == "{":  # the script's argument: one group
                depth = 0
                while i < len(tokens):
                    depth += {"{": 1, "}": -1}.get(tokens[i], 0)
                    if depth == 0:
                        break
                    i += 1
                if depth:
                    problems.append("unbalanced braces in a script")
            i += 1
            continue
        if token == "{":
            stack.append("{")
            scripts = set()
        elif token == "}":
            if not stack or stack.pop() != "{":
                problems.append(f"a closing brace without its opening one at token {i}")
            scripts = set()  # the group just closed is the atom a script would attach to
        elif token == r"\left":
            stack.append(r"\left")
            i += 1  # its delimiter
            scripts = set()
        elif token == r"\right":
            if not stack or stack.pop() != r"\left":
                problems.append(rf"\right without \left at token {i}")
            i += 1
            scripts = set()
        elif token in (r"\begin", r"\end"):
            name = "".join(tokens[i + 1 : tokens.index("}", i) + 1])
            i = tokens.index("}", i)
            if token == r"\begin":
                stack.append(name)
            elif not stack or stack.pop() != name:
                problems.append(rf"\end{name} does not close the last \begin")
            scripts = set()
        else:
            scripts = set()
        i += 1
    if stack:
        problems.append(f"not closed: {', '.join(stack)}")
    plain = re.sub(r"\\text\{[^}]*\}", "", formula)  # words are not numbers
    if re.search(r"\d[eE][+-]?\d|\bnan\b|\binf\b", plain, re.I):
        problems.append("a number written the way Python prints it")
    if re.search(r"(?:[-+]|\\times)\s*-", plain):
        problems.append("a negative number right after an operator, without brackets")
    return problems


# --- the checker itself


@pytest.mark.parametrize(
    ("formula", "problem"),
    [
        (r"5.3\times 10^{-6}^2", "double superscript"),
        (r"x_{1}_{2}", "double subscript"),
        (r"\frac{1}{2", "not closed"),
        (r"\left(x", "not closed"),
        (r"x\right)", r"\right without \left"),
        (r"\begin{aligned} x &= 1", "not closed"),
        (r"w = 1e-06", "the way Python prints it"),
        (r"w = nan", "the way Python prints it"),
        (r"w - -0.2", "negative number right after an operator"),
        (r"0.1 \times -0.2", "negative number right after an operator"),
    ],
)
def test_the_checker_finds_what_katex_refuses(formula, problem):
    assert any(problem in p for p in tex_problems(formula)), tex_problems(formula)


@pytest.mark.parametrize(
    "formula",
    [
        r"\left(5.3\times 10^{-6}\right)^2",
        r"x_{n,d}^2",
        r"\frac{m_t}{1 - \beta_1^{\,t}}",
        r"\begin{aligned} a &= b \\ &= c \end{aligned}",
        r"\text{NaN}^2",
        r"w - \left(-0.2\right)",
    ],
)
def test_the_checker_accepts_what_katex_renders(formula):
    assert tex_problems(formula) == []


# --- numbers


def test_numbers_with_a_power_of_ten_are_written_as_one_number():
    assert tex(5.3e-6) == r"5.3\times 10^{-6}"
    assert tex(5.3e-6, True) == r"\left(5.3\times 10^{-6}\right)"
    assert tex(1e12, True) == r"\left(1\times 10^{12}\right)"
    assert tex(-0.20976) == "-0.20976"
    assert tex(-0.20976, True) == r"\left(-0.20976\right)"
    assert tex(0.001, True) == "0.001"  # nothing to bracket
    assert tex(-0.0, True) == "0"
    assert tex(math.nan, True) == r"\text{NaN}"
    assert tex(-math.inf, True) == r"\left(-\infty\right)"


@pytest.mark.parametrize("value", AWKWARD)
def test_any_number_can_be_squared_multiplied_and_subtracted(value):
    for use in (r"{x}^2", r"0.9 \times {x}", r"1 - {x}", r"{x} + {x}", r"\frac{{{x}}}{{2}}"):
        formula = use.format(x=tex(value, True))
        assert tex_problems(formula) == [], formula
    assert tex_problems(rf"w = {tex(value)}") == []


# --- every formula the page builds


def _sgd(values: dict[str, float]) -> str:
    return sgd_tex(values["w"], values["lr"], values["g"], values["new"])


def _momentum(values: dict[str, float]) -> str:
    return momentum_tex(
        values["w"], values["lr"], values["g"], values["b"], values["new"], 0.9, values["b_prev"]
    )


def _momentum_first(values: dict[str, float]) -> str:
    return momentum_tex(
        values["w"], values["lr"], values["g"], values["b"], values["new"], 0.9, None
    )


def _adam(values: dict[str, float]) -> str:
    return adam_tex(t=2, **values)


def _terms_sum(values: dict[str, float]) -> str:
    pairs = [
        (values["a1"], values["b1"]),
        (values["a2"], values["b2"]),
        (values["a3"], values["b3"]),
    ]
    return terms_sum_tex(pairs, values["total"])


def _softmax(values: dict[str, float]) -> str:
    return softmax_true_tex(3, "3", values["p"], 16, values["grad"])


def _sigmoid(values: dict[str, float]) -> str:
    return sigmoid_tex(values["p"], 1, 16, values["grad"])


BUILDERS = {
    "sgd": (_sgd, ("w", "lr", "g", "new")),
    "momentum": (_momentum, ("w", "lr", "g", "b", "new", "b_prev")),
    "momentum_first": (_momentum_first, ("w", "lr", "g", "b", "new")),
    "adam": (
        _adam,
        (
            "w",
            "g",
            "new",
            "lr",
            "beta1",
            "beta2",
            "eps",
            "m_prev",
            "v_prev",
            "m",
            "v",
            "m_hat",
            "v_hat",
            "update",
        ),
    ),
    "terms_sum": (_terms_sum, ("a1", "b1", "a2", "b2", "a3", "b3", "total")),
    "softmax": (_softmax, ("p", "grad")),
    "sigmoid": (_sigmoid, ("p", "grad")),
}


@pytest.mark.parametrize("name", BUILDERS)
def test_every_formula_takes_any_number_in_any_place(name):
    build, arguments = BUILDERS[name]
    for value in AWKWARD:
        written = tex(value)
        for argument in arguments:
            values = dict.fromkeys(arguments, ORDINARY) | {argument: value}
            formula = build(values)
            assert tex_problems(formula) == [], (argument, value, formula)
            assert written in formula, (argument, value, formula)  # the number is shown
        every = build(dict.fromkeys(arguments, value))
        assert tex_problems(every) == [], (value, every)


def test_adam_squares_a_gradient_written_with_a_power_of_ten_in_brackets():
    values = dict.fromkeys(BUILDERS["adam"][1], ORDINARY) | {"g": 5.3e-6}
    assert r"\left(5.3\times 10^{-6}\right)^2" in _adam(values)


def test_the_formulas_without_numbers_are_well_formed():
    for formula in (text.SOFTMAX_TEX, text.DENSE_TEX, text.WEIGHT_SUM_TEX):
        assert tex_problems(formula) == [], formula
