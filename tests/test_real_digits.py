"""The shipped default network reads digits as learners make them: typed and drawn, held out.

The pictures (tests/data/real_digits.npz) were made by tools/real_digits.py with fonts and a pen
model that no training data comes from, and are read through the app's upload path.
"""

import io

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from cnnexplain.io.datasets import load_digits28
from cnnexplain.io.digit_prep import prepare_upload
from cnnexplain.training import pretrained
from cnnexplain.training.store import DEFAULT_DATASET, DEFAULT_SPEC
from tools.bench_digits import KINDS, read_accuracy, read_real_digits

TARGET = 0.90  # of each kind
TARGET_EACH_DIGIT = 0.75  # of every digit, in each kind


@pytest.fixture(scope="module")
def held_out():
    return read_real_digits()


@pytest.fixture(scope="module")
def shipped():
    torch.set_num_threads(1)
    entry = pretrained.load(DEFAULT_SPEC, load_digits28(), DEFAULT_DATASET)
    assert entry is not None, "the shipped weights do not fit: retrain them (training.pretrained)"
    return entry


def test_the_held_out_set_holds_at_least_30_pictures_of_each_digit_of_each_kind(held_out):
    assert set(held_out) == set(KINDS)
    for files, labels in held_out.values():
        assert len(files) == len(labels)
        assert np.bincount(labels, minlength=10).min() >= 30
        assert all(f.startswith(b"\x89PNG") for f in files)
    sizes = [Image.open(io.BytesIO(f)).size for f in held_out["typed"][0][:50]]
    assert len(set(sizes)) > 10  # screenshots of every size, not one template


@pytest.mark.parametrize("kind", KINDS)
def test_the_shipped_network_reads_the_held_out_digits(held_out, shipped, kind):
    files, labels = held_out[kind]
    accuracy, per_digit = read_accuracy(shipped.model, files, labels)
    weakest = int(np.argmin(per_digit))
    assert accuracy >= TARGET, f"{kind}: {accuracy:.3f}"
    assert per_digit[weakest] >= TARGET_EACH_DIGIT, f"{kind} {weakest}: {per_digit[weakest]:.2f}"


def test_the_shipped_network_still_reads_the_built_in_test_split(shipped):
    data = load_digits28()
    with torch.no_grad():
        predicted = shipped.model(torch.tensor(data.x_test)).argmax(dim=1).numpy()
    assert np.mean(predicted == data.y_test) >= 0.97


@pytest.mark.parametrize(
    "stroke",
    [[(140, 40), (140, 240)], [(110, 80), (150, 40), (150, 240)], [(150, 40), (130, 240)]],
    ids=["bar", "flag", "slanted"],
)
def test_a_one_drawn_in_blue_on_a_transparent_background_is_read_as_one(shipped, stroke):
    picture = Image.new("RGBA", (280, 280), (0, 0, 255, 0))
    ImageDraw.Draw(picture).line(stroke, fill=(20, 60, 230, 255), width=18, joint="curve")
    out = io.BytesIO()
    picture.save(out, format="PNG")
    with torch.no_grad():
        logits = shipped.model(torch.tensor(prepare_upload(out.getvalue())[None]))
    assert int(logits.argmax()) == 1
