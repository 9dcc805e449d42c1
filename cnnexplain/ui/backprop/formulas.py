"""The LaTeX of the backpropagation page's arithmetic, with the step's own numbers filled in.

Each builder takes plain numbers and returns one formula (the templates are in
`cnnexplain.texts.backprop`). Numbers go through `tex`, which writes powers of ten as LaTeX and
puts brackets around a number that is multiplied, subtracted or squared whenever it is negative
or has a power of ten, so that any number, NaN and infinities included, gives a formula KaTeX
renders. No Streamlit here: the views put these strings on the page.
"""

from __future__ import annotations

import math

from cnnexplain.texts import backprop as text


def tex(value: float, paren: bool = False) -> str:
    r"""A number for LaTeX, 6 significant digits: 5.3e-06 is written 5.3\times 10^{-6}.

    With `paren`, for a number that is then multiplied, added, subtracted or squared, it is put
    in brackets when it is negative or written with a power of ten, so that it reads as one
    number: (-0.2) and (5.3\times 10^{-6})^2, never 10^{-6}^2 (which KaTeX refuses).
    """
    if math.isnan(value):
        return r"\text{NaN}"
    if math.isinf(value):
        written = r"\infty" if value > 0 else r"-\infty"
    else:
        s = f"{value + 0.0:.6g}"  # + 0.0 turns -0.0 into 0.0, so zero is never written -0
        mantissa, _, exponent = s.partition("e")
        written = rf"{mantissa}\times 10^{{{int(exponent)}}}" if exponent else s
    bracket = value < 0 or "^" in written
    return rf"\left({written}\right)" if paren and bracket else written


def sgd_tex(w: float, lr: float, g: float, new: float) -> str:
    """Plain SGD for one weight: w_new = w - lr * g, with its numbers."""
    return text.SGD_TEX.format(w=tex(w), lr=tex(lr, True), g=tex(g, True), new=tex(new))


def momentum_tex(
    w: float, lr: float, g: float, b: float, new: float, mu: float, b_prev: float | None
) -> str:
    """SGD with momentum for one weight: the new direction b, then the update.

    `b_prev` is the previous step's direction, None on momentum's first step (then b = g).
    """
    if b_prev is None:
        return text.MOMENTUM_FIRST_TEX.format(
            g=tex(g), w=tex(w), lr=tex(lr, True), b=tex(b, True), new=tex(new)
        )
    return text.MOMENTUM_TEX.format(
        mu=tex(mu, True),
        b_prev=tex(b_prev, True),
        g=tex(g, True),
        b=tex(b, True),
        w=tex(w),
        lr=tex(lr, True),
        new=tex(new),
    )


def adam_tex(
    *,
    w: float,
    g: float,
    new: float,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    t: int,
    m_prev: float,
    v_prev: float,
    m: float,
    v: float,
    m_hat: float,
    v_hat: float,
    update: float,
) -> str:
    """Adam for one weight: both running averages, their bias correction, and the update."""
    return text.ADAM_TEX.format(
        beta1=tex(beta1, True),
        beta2=tex(beta2, True),
        one_b1=tex(1 - beta1, True),
        one_b2=tex(1 - beta2, True),
        m_prev=tex(m_prev, True),
        v_prev=tex(v_prev, True),
        g=tex(g, True),
        m=tex(m),
        v=tex(v),
        t=t,
        m_hat=tex(m_hat),
        v_hat=tex(v_hat),
        eps=tex(eps, True),
        lr=tex(lr, True),
        update=tex(update),
        update_term=tex(update, True),
        w=tex(w),
        new=tex(new),
    )


def terms_sum_tex(terms: list[tuple[float, float]], total: float) -> str:
    """A kernel weight's gradient: its first few terms, one a line, and the whole sum.

    `terms` are (input value, arriving gradient) pairs; each term is their product.
    """
    products = [rf"{tex(a, True)} \times {tex(b, True)}" for a, b in terms]
    return text.TERMS_SUM_TEX.format(terms=text.TERMS_SUM_JOIN.join(products), total=tex(total))


def input_gradient_tex(
    cell: tuple[int, int, int], terms: list[tuple[float, float]], total: float, more: bool
) -> str:
    """One input number's gradient in a convolution: its terms, one a line, and the whole sum.

    `cell` is its (channel, row, column); `terms` are (weight, arriving gradient) pairs, each
    term their product; `more` says that terms were left out. No terms: the gradient is 0.
    """
    c, r, s = cell
    if not terms:
        return text.CONV_DX_NONE_TEX.format(c=c, r=r, s=s)
    products = [rf"{tex(a, True)} \times {tex(b, True)}" for a, b in terms]
    return text.CONV_DX_SUM_TEX.format(
        c=c,
        r=r,
        s=s,
        terms=text.TERMS_SUM_JOIN.join(products),
        more=text.CONV_DX_MORE if more else "",
        total=tex(total),
    )


def softmax_true_tex(k: int, label: str, p: float, n: int, grad: float) -> str:
    """The gradient at the true class's logit k: (p - 1) / N, with its numbers."""
    return text.SOFTMAX_TRUE_TEX.format(k=k, label=label, p=tex(p), n=n, grad=tex(grad))


def sigmoid_tex(p: float, y: int, n: int, grad: float) -> str:
    """The gradient at a sigmoid head's one logit: (sigma(z) - y) / N, with its numbers."""
    return text.SIGMOID_TEX.format(p=tex(p), y=y, n=n, grad=tex(grad))
