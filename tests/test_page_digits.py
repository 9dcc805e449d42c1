"""The forward page with a learner's own digit: prepared like the training digits, read right,
shown beside the training pictures nearest to it, and doubted when it should be."""

import io
import re

import numpy as np
import pytest
from pagekit import app
from PIL import Image

from cnnexplain.io.digit_prep import NO_INK, prepare_upload
from cnnexplain.texts import digits as text
from cnnexplain.training import neighbours as nb
from cnnexplain.training.store import DEFAULT_SPEC
from cnnexplain.ui.kit import resources
from tools.bench_digits import read_real_digits

NEIGHBOUR = re.compile(r"^(\d) · (\d\.\d\d)$")


@pytest.fixture(scope="module")
def typed():
    files, labels = read_real_digits()["typed"]
    return files, labels


def upload(content: bytes, name: str = "digit.png"):
    at = app(every_number=True)
    at.switch_page("pages/forward.py").run()
    at.radio(key="input_source").set_value("upload").run()
    at.file_uploader(key="input_upload").set_value((name, content, "image/png")).run()
    assert not at.exception
    return at


def neighbour_captions(at) -> list[re.Match]:
    captions = [image.proto.imgs[0].caption for image in at.get("image")]
    return [m for m in map(NEIGHBOUR.match, captions) if m]


@pytest.mark.parametrize("digit", [3, 7])
def test_a_typed_digit_is_read_right_beside_its_nearest_training_pictures(typed, digit):
    files, labels = typed
    content = files[int(np.nonzero(labels == digit)[0][0])]
    at = upload(content)
    # What the network receives is the picture prepared like the training digits.
    x = prepare_upload(content)
    np.testing.assert_array_equal(at.session_state["input_uploaded"]["x"], x)
    summary = next(m.value for m in at.markdown if m.value.startswith("The network says"))
    assert summary.startswith(f"The network says **{digit}**")

    # The five nearest training pictures, with the labels and distances the library gives.
    entry = resources.model_store().peek(DEFAULT_SPEC, "digits")
    data = resources.dataset("digits")
    index = nb.build_index(entry.model, data)
    near = nb.nearest(index, entry.model, x)
    shown = neighbour_captions(at)
    assert len(shown) == nb.NEIGHBOURS
    assert [int(m[1]) for m in shown] == [int(v) for v in near.labels]
    assert [m[2] for m in shown] == [f"{d:.2f}" for d in near.distances]
    assert sum(int(m[1]) == digit for m in shown) >= 3
    assert any(m.value.startswith("**What the network learned from") for m in at.markdown)
    captions = " ".join(c.value for c in at.caption)
    assert f"The network answers **{digit}** with probability" in captions
    # The word of confidence says how near, against the distances it is measured by.
    words = re.search(
        r"\(distance (\d\.\d\d);.*typically (\d\.\d\d).*beyond (\d\.\d\d)\)", captions
    )
    assert words is not None, captions
    assert words.groups() == tuple(
        f"{v:.2f}" for v in (near.distances[0], index.typical, index.threshold)
    )
    assert near.distances[0] <= index.threshold
    assert "1,437 training pictures" in captions and "generated pen digits" in captions
    assert not at.warning


def test_a_picture_unlike_any_digit_is_answered_with_a_warning():
    rng = np.random.default_rng(1)
    out = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (60, 60), dtype=np.uint8)).save(out, format="PNG")
    at = upload(out.getvalue(), "noise.png")
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1
    assert warnings[0].startswith("**This picture is unlike anything the network was trained on")
    assert "a network can be wrong and sure at once" in warnings[0]
    numbers = re.search(
        r"at distance (\d\.\d\d).*typically (\d\.\d\d).*beyond (\d\.\d\d)", warnings[0]
    )
    nearest, typical, threshold = (float(v) for v in numbers.groups())
    assert typical < threshold < nearest


def test_an_empty_picture_is_refused_with_its_reason():
    out = io.BytesIO()
    Image.new("RGB", (80, 80), (250, 250, 245)).save(out, format="PNG")
    at = upload(out.getvalue(), "blank.png")
    assert [e.value for e in at.error] == [NO_INK]


def test_the_words_have_their_placeholders():
    assert "{k}" in text.NEAREST_HEADER and "{width}" in text.NEAREST_CAPTION
    for template in (text.SURE, text.UNSURE, text.UNLIKE):
        assert "{predicted}" in template and "{top:.1%}" in template
