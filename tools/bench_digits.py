"""How well the shipped default network reads digits as learners make them.

The held-out set (tests/data/real_digits.npz, made by tools/real_digits.py and never used in
training) holds digits typed in common fonts and drawn with a pen, as PNG files. Each goes
through the app's upload path for the built-in digits (`digit_prep.prepare_upload`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from tools.bench import Figure

REAL_DIGITS = Path(__file__).resolve().parents[1] / "tests" / "data" / "real_digits.npz"
KINDS = ("typed", "drawn")


def read_real_digits(path: Path = REAL_DIGITS) -> dict[str, tuple[list[bytes], np.ndarray]]:
    """{kind: (PNG files, their digits (N,))} for "typed" and "drawn"."""
    with np.load(path) as stored:
        out = {}
        for kind in KINDS:
            data, ends = stored[f"{kind}_png"], stored[f"{kind}_ends"]
            starts = np.concatenate([[0], ends[:-1]])
            files = [data[a:b].tobytes() for a, b in zip(starts, ends, strict=True)]
            out[kind] = (files, stored[f"{kind}_labels"])
    return out


def read_accuracy(
    model: torch.nn.Module, files: list[bytes], labels: np.ndarray
) -> tuple[float, np.ndarray]:
    """(accuracy, accuracy of each digit (10,)) of `model` on the pictures in `files`."""
    from cnnexplain.io.digit_prep import prepare_upload
    from cnnexplain.training.train import predict

    x = np.stack([prepare_upload(f) for f in files])  # (N, 1, 28, 28)
    right = predict(model, x) == labels
    return float(right.mean()), np.array([right[labels == d].mean() for d in range(10)])


def figures() -> Iterator[Figure]:
    from cnnexplain.io.datasets import load_digits28
    from cnnexplain.training.pretrained import load
    from cnnexplain.training.store import DEFAULT_DATASET, DEFAULT_SPEC
    from tools.bench import Figure

    torch.set_num_threads(1)  # as the app runs: one picture's small steps gain nothing from more
    entry = load(DEFAULT_SPEC, load_digits28(), DEFAULT_DATASET)
    if entry is None:
        raise SystemExit(
            "the shipped default weights do not match: python -m cnnexplain.training.pretrained"
        )
    for kind, (files, labels) in read_real_digits().items():
        acc, per_digit = read_accuracy(entry.model, files, labels)
        worst = int(np.argmin(per_digit))
        yield Figure(
            f"real_digits_{kind}",
            acc,
            "fraction",
            f"{len(files)} held-out, target >= 0.90; weakest digit {worst}: "
            f"{per_digit[worst]:.2f}, target >= 0.75",
        )
