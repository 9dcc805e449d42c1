"""The convolution lab, driven headless with AppTest: every number shown against PyTorch."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from pagekit import app, charts, decode, markdown_text
from PIL import Image

from cnnexplain.core.kernels import PRESETS, toy_grid
from cnnexplain.figures.lab import cell_text
from cnnexplain.io.datasets import load_digits28
from cnnexplain.io.images import load_image
from cnnexplain.ui.conv_lab.views import KERNEL_LIMIT

PAGE = "pages/conv_lab.py"
DEFAULT_PRESET = "edge (Laplacian)"


def lab(**widgets):
    """A session on the lab; `widgets` maps a key to the value to set, in order, one run each."""
    at = app(every_number=True).switch_page(PAGE).run()
    for key, value in widgets.items():
        _widget(at, key).set_value(value)
        at.run()
    assert not at.exception
    return at


def _widget(at, key: str):
    for kind in ("radio", "selectbox", "slider", "number_input"):
        found = [w for w in getattr(at, kind) if w.key == key]
        if found:
            return found[0]
    raise KeyError(key)


def torch_conv(image, kernel, stride, padding, dilation) -> np.ndarray:
    x = torch.from_numpy(np.array(image, dtype=np.float64))[None, None]
    w = torch.from_numpy(np.array(kernel, dtype=np.float64))[None, None]
    return F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation)[0, 0].numpy()


def chart(at, title: str) -> dict:
    """The plotly chart whose title starts with `title`."""
    found = [
        c for c in charts(at) if c["layout"].get("title", {}).get("text", "").startswith(title)
    ]
    assert len(found) == 1, [c["layout"].get("title") for c in charts(at)]
    return found[0]


def shown_output(at) -> np.ndarray:
    return decode(chart(at, "Output (")["data"][0]["z"])


def shown_result(at) -> tuple[int, int, float]:
    """(i, j, result) from the sentence under the products."""
    m = re.search(
        r"Plus the bias, which is \*\*0\*\* here: \*\*(-?[\d.]+)\*\*, exactly the value in "
        r"output row (\d+), column (\d+)\.",
        markdown_text(at),
    )
    assert m is not None, markdown_text(at)
    return int(m.group(2)), int(m.group(3)), float(m.group(1))


def png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def test_default_lab_shows_torch_s_output_and_the_padding():
    at = lab()
    image, kernel = toy_grid("square", 8), PRESETS[DEFAULT_PRESET]
    expected = torch_conv(image, kernel, 1, 1, 1)
    np.testing.assert_allclose(shown_output(at), expected, rtol=0, atol=1e-12)
    assert shown_output(at).shape == (8, 8)
    # The input chart: the picture's pixels, and the padding zeros as a trace of their own.
    picture, zeros = (decode(t["z"]) for t in chart(at, "Input with padding (10×10)")["data"][:2])
    np.testing.assert_array_equal(picture[1:-1, 1:-1], image)
    assert np.isnan(picture[0]).all() and np.isnan(picture[:, -1]).all()
    assert (zeros[0] == 0).all() and (zeros[:, 0] == 0).all() and np.isnan(zeros[1:-1, 1:-1]).all()
    text = markdown_text(at)
    assert "Rows: `(8 + 2·1 − 1·(3 − 1) − 1) // 1 + 1 = 8`" in text
    assert "The output is 8×8: the kernel stops at 64 positions." in text


@pytest.mark.parametrize(
    ("kind", "size", "preset", "stride", "padding", "dilation", "rows_line", "shape"),
    [
        ("cross", 9, "Sobel x", 2, 2, 2, "(9 + 2·2 − 2·(3 − 1) − 1) // 2 + 1 = 5", (5, 5)),
        ("checker", 10, "blur (box)", 3, 0, 1, "(10 + 2·0 − 1·(3 − 1) − 1) // 3 + 1 = 3", (3, 3)),
        ("diagonal", 7, "emboss", 1, 4, 3, "(7 + 2·4 − 3·(3 − 1) − 1) // 1 + 1 = 9", (9, 9)),
    ],
)
def test_output_and_formula_follow_every_setting(
    kind, size, preset, stride, padding, dilation, rows_line, shape
):
    at = lab(
        lab_toy_kind=kind,
        lab_toy_size=size,
        lab_preset=preset,
        lab_stride=stride,
        lab_padding=padding,
        lab_dilation=dilation,
    )
    expected = torch_conv(toy_grid(kind, size), PRESETS[preset], stride, padding, dilation)
    assert expected.shape == shape
    np.testing.assert_allclose(shown_output(at), expected, rtol=0, atol=1e-12)
    text = markdown_text(at)
    assert f"Rows: `{rows_line}`" in text
    assert f"Columns: `{rows_line}`" in text
    assert f"The output is {shape[0]}×{shape[1]}" in text


def test_a_chosen_position_adds_up_to_its_output_value():
    at = lab(lab_toy_kind="cross", lab_toy_size=7, lab_preset="Sobel y", lab_dilation=2)
    expected = torch_conv(toy_grid("cross", 7), PRESETS["Sobel y"], 1, 1, 2)  # (5, 5)
    at.slider(key="lab_step").set_value(12).run()  # row 2, column 2
    assert "Position 13 of 25: output row **2**, column **2**." in markdown_text(at)
    i, j, result = shown_result(at)
    assert (i, j) == (2, 2)
    assert result == pytest.approx(expected[2, 2], abs=5e-5)
    # The grids under it: the pixels the dilated taps read, the weights, and their products.
    padded = np.pad(toy_grid("cross", 7), 1)
    pixels = decode(chart(at, "Pixels under the kernel")["data"][0]["z"])
    np.testing.assert_array_equal(pixels, padded[2:7:2, 2:7:2])
    weights = decode(chart(at, "Kernel weights")["data"][0]["z"])
    np.testing.assert_array_equal(weights, PRESETS["Sobel y"])
    products = decode(chart(at, "Pixel × weight")["data"][0]["z"])
    np.testing.assert_allclose(products, pixels * weights)
    assert products.sum() == pytest.approx(expected[2, 2], abs=1e-12)
    # The output map outlines the chosen cell.
    (shape,) = chart(at, "Output (")["layout"]["shapes"][-1:]
    assert (shape["x0"], shape["y0"]) == (1.5, 1.5)


def test_clicking_an_output_cell_moves_the_kernel_there():
    at = lab()
    at.session_state["lab_output_map"] = {
        "selection": {"points": [{"x": 5, "y": 3, "curve_number": 1}], "point_indices": [29]}
    }
    at.run()
    assert not at.exception
    assert at.slider(key="lab_step").value == 3 * 8 + 5
    i, j, result = shown_result(at)
    assert (i, j) == (3, 5)
    expected = torch_conv(toy_grid("square", 8), PRESETS[DEFAULT_PRESET], 1, 1, 1)
    assert result == pytest.approx(expected[3, 5], abs=5e-5)


def test_play_sweeps_the_positions_and_stops_at_the_last():
    at = lab(lab_toy_size=4, lab_padding=0)  # a 2×2 output: four positions
    assert at.button(key="lab_play").label == "Play: slide the kernel over the next 4 positions"
    at.button(key="lab_play").click().run()
    assert not at.exception
    assert at.slider(key="lab_step").value == 3
    assert shown_result(at)[:2] == (1, 1)


def test_an_impossible_setting_explains_itself():
    at = lab(lab_toy_size=4, lab_padding=0, lab_kernel_size=5, lab_dilation=4)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("the kernel does not fit anywhere" in e for e in errors), errors
    text = markdown_text(at)
    assert "Rows: `(4 + 2·0 − 4·(5 − 1) − 1) // 1 + 1 = -12`" in text
    assert "output size would be -12x-12" in text  # ops' own words, with the numbers
    assert [c["layout"]["title"]["text"] for c in charts(at)] == ["Input with padding (4×4)"]
    # Moving back to a possible setting brings the output back.
    at.slider(key="lab_dilation").set_value(1).run()
    assert any("the kernel does not fit anywhere" in e.value for e in at.error)  # 4×4 < 5×5
    at.slider(key="lab_padding").set_value(1).run()
    assert not at.error
    kernel = np.full((5, 5), 1 / 25)
    expected = torch_conv(toy_grid("square", 4), kernel, 1, 1, 1)
    assert expected.shape == (2, 2)
    np.testing.assert_allclose(shown_output(at), expected, rtol=0, atol=1e-12)


def test_an_edited_kernel_is_the_one_used():
    at = lab()
    key = f"lab_kernel_edit:3:{DEFAULT_PRESET}"
    at.session_state[key] = {
        "edited_rows": {0: {"0": 2.5}, 2: {"1": -3.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    kernel = np.array(PRESETS[DEFAULT_PRESET])
    kernel[0, 0], kernel[2, 1] = 2.5, -3.0
    expected = torch_conv(toy_grid("square", 8), kernel, 1, 1, 1)
    np.testing.assert_allclose(shown_output(at), expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(decode(chart(at, "Kernel weights")["data"][0]["z"]), kernel)
    assert not at.warning


def test_an_unusable_weight_is_clamped_and_said_so():
    at = lab()
    key = f"lab_kernel_edit:3:{DEFAULT_PRESET}"
    at.session_state[key] = {
        "edited_rows": {1: {"1": 1e9, "0": None}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    assert any("empty cell counts as 0" in w.value for w in at.warning)
    kernel = np.array(PRESETS[DEFAULT_PRESET])
    kernel[1, 1], kernel[1, 0] = KERNEL_LIMIT, 0.0
    np.testing.assert_array_equal(decode(chart(at, "Kernel weights")["data"][0]["z"]), kernel)
    expected = torch_conv(toy_grid("square", 8), kernel, 1, 1, 1)
    np.testing.assert_allclose(shown_output(at), expected, rtol=0, atol=1e-9)


def test_other_kernel_sizes_start_as_an_average():
    at = lab(lab_kernel_size=2, lab_padding=0)
    assert at.selectbox(key="lab_preset").disabled
    expected = torch_conv(toy_grid("square", 8), np.full((2, 2), 0.25), 1, 0, 1)
    np.testing.assert_allclose(shown_output(at), expected, rtol=0, atol=1e-12)
    assert "Rows: `(8 + 2·0 − 1·(2 − 1) − 1) // 1 + 1 = 7`" in markdown_text(at)


def test_an_uploaded_picture_is_used_and_a_bad_one_explained():
    at = lab(lab_source="upload", lab_upload_size=12)
    assert any("Choose a picture above" in i.value for i in at.info)
    # Not a picture: the message, and the page still works on the stand-in square.
    at.file_uploader(key="lab_upload").set_value(("notes.png", b"not a picture", "image/png"))
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "This file is not an image we can read (PNG, JPEG, GIF, BMP or WebP)."
    ]
    expected = torch_conv(toy_grid("square", 8), PRESETS[DEFAULT_PRESET], 1, 1, 1)
    np.testing.assert_allclose(shown_output(at), expected, rtol=0, atol=1e-12)
    # A real picture: shrunk to 12×12 gray, then convolved.
    rng = np.random.default_rng(0)
    raw = png(rng.integers(0, 256, size=(40, 30, 3), dtype=np.uint8))
    at.file_uploader(key="lab_upload").set_value(("noise.png", raw, "image/png"))
    at.run()
    assert not at.exception and not at.error
    picture = load_image(raw, channels=1, size=12)[0]
    expected = torch_conv(picture, PRESETS[DEFAULT_PRESET], 1, 1, 1)
    np.testing.assert_allclose(shown_output(at), expected, rtol=0, atol=1e-6)
    # The file name is escaped for Markdown: "noise\.png" shows as noise.png.
    assert "Using **noise\\.png**, shrunk to 12×12 gray pixels." in markdown_text(at)
    # A broken file after a good one keeps the good one.
    at.file_uploader(key="lab_upload").set_value(("cut.png", raw[:60], "image/png"))
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "damaged or incomplete" in at.error[0].value
    assert "The picture you had before is kept." in markdown_text(at)
    np.testing.assert_allclose(shown_output(at), expected, rtol=0, atol=1e-6)


def test_a_test_image_from_the_data_set():
    at = lab(lab_source="sample", lab_sample=5, lab_stride=2)
    digits = load_digits28()
    expected = torch_conv(digits.x_test[5][0], PRESETS[DEFAULT_PRESET], 2, 1, 1)
    assert expected.shape == (14, 14)
    np.testing.assert_allclose(shown_output(at), expected, rtol=0, atol=1e-6)
    assert "The picture is 28×28 pixels" in markdown_text(at)


def _written(trace: dict) -> list[str] | None:
    """The values a heatmap writes in its cells, or None when it writes none."""
    if trace.get("texttemplate") is None:
        return None
    return [t for row in trace["text"] for t in row]


def test_an_uploaded_picture_s_values_are_written_only_where_they_fit():
    # The default toy output (8×8, whole numbers) fits in its cells ...
    at = lab()
    toy = torch_conv(toy_grid("square", 8), PRESETS[DEFAULT_PRESET], 1, 1, 1)
    written = _written(chart(at, "Output (8×8)")["data"][0])
    assert written == cell_text(toy).reshape(-1).tolist()
    assert {"2", "\u22121"} <= set(written)
    # ... a 16×16 picture's output does not: no text, and hover still gives every value.
    rng = np.random.default_rng(4)
    raw = png(rng.integers(0, 256, size=(48, 48), dtype=np.uint8))
    at = lab(lab_source="upload")
    at.file_uploader(key="lab_upload").set_value(("noise.png", raw, "image/png"))
    at.run()
    assert not at.exception
    expected = torch_conv(load_image(raw, channels=1, size=16)[0], PRESETS[DEFAULT_PRESET], 1, 1, 1)
    assert expected.shape == (16, 16)
    output = chart(at, "Output (16×16)")
    assert _written(output["data"][0]) is None
    markers = output["data"][1]
    np.testing.assert_allclose(decode(markers["customdata"]), expected.reshape(-1), atol=1e-6)
    assert "%{customdata:.4f}" in markers["hovertemplate"]
    padded = chart(at, "Input with padding (18×18)")
    assert all(_written(t) is None for t in padded["data"][:2])
    assert "%{z:.4f}" in padded["data"][0]["hovertemplate"]


def test_the_kernel_size_says_its_range():
    at = lab()
    size = at.number_input(key="lab_kernel_size")
    assert (size.min, size.max) == (1, 5)
    assert size.label == "Kernel size (1 to 5)"
    assert "from 1 to 5" in size.help
    # A wide kernel's table says how to reach its last columns in a narrow window.
    assert not any("scroll it sideways" in c.value for c in at.caption)
    at = lab(lab_kernel_size=5)
    assert any("scroll it sideways" in c.value for c in at.caption)


def test_the_lab_says_once_that_the_kernel_is_not_flipped_and_sobel_depends_on_it():
    from cnnexplain.texts import conv_lab as text

    at = lab(lab_preset="Sobel x")
    said = [c.value for c in at.caption if "cross-correlation" in c.value]
    assert said == [text.NO_FLIP]
    # Sobel x as the lab applies it: right column minus left, so brighter to the right is
    # positive, as torch's conv2d (which does not flip) gives it.
    x = torch.tensor(toy_grid("square", 8))[None, None]
    out = F.conv2d(x, torch.tensor(np.array(PRESETS["Sobel x"]))[None, None])
    assert out[0, 0, 2, 0] > 0  # the square's left edge: dark, then bright to the right
