"""The forward page, driven headless with AppTest: every number shown is checked against torch."""

import io
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from pagekit import app, charts, decode, main_text, markdown_text
from PIL import Image, ImageDraw

from cnnexplain.io.digit_prep import prepare_upload
from cnnexplain.io.images import ImageError, load_image
from cnnexplain.texts import forward as text
from cnnexplain.texts import inputs as text_inputs
from cnnexplain.training.store import DEFAULT_SPEC
from cnnexplain.ui.forward import conv as conv_view
from cnnexplain.ui.kit import resources

DEFAULT_STEPS = [
    "input",
    "conv1",
    "relu1",
    "maxpool1",
    "conv2",
    "relu2",
    "maxpool2",
    "flatten",
    "dense1",
    "dense1_relu",
    "logits",
    "probs",
    "loss",
]
BUILD = "FormSubmitter:arch_form-Build this network"


def drawn_digit_png(kind: str = "seven") -> bytes:
    """A dark digit drawn on light paper, as a PNG."""
    img = Image.new("L", (300, 240), color=230)
    draw = ImageDraw.Draw(img)
    if kind == "seven":
        draw.line([(100, 50), (210, 50)], fill=20, width=18)
        draw.line([(210, 50), (140, 200)], fill=20, width=18)
    else:
        draw.ellipse([(100, 40), (200, 200)], outline=20, width=18)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


SEVEN = drawn_digit_png("seven")
NETWORK_X = prepare_upload(SEVEN)  # (1, 28, 28): prepared like the built-in digits


def forward_page():
    at = app(every_number=True)
    at.switch_page("pages/forward.py").run()
    assert not at.exception
    return at


def upload(at, content: bytes, name: str, mime: str = "image/png"):
    at.radio(key="input_source").set_value("upload").run()
    at.file_uploader(key="input_upload").set_value((name, content, mime)).run()
    assert not at.exception
    return at


def go(at, stage: str):
    at.selectbox(key="fwd_stage").set_value(stage).run()
    assert not at.exception
    assert at.session_state["fwd_step_name"] == stage
    return at


def label_box(at):
    return next(s for s in at.selectbox if s.label == "True label")


def shared_model():
    entry = resources.model_store().peek(DEFAULT_SPEC, "digits")
    assert entry is not None
    return entry.model


@torch.no_grad()
def torch_stage(model, x: np.ndarray, name: str) -> np.ndarray:
    """The output of stage `name` for one input, computed by torch alone."""
    out = torch.from_numpy(np.array(x[None], dtype=np.float32))  # a writable copy
    for child_name, module in model.named_children():
        out = module(out)
        if child_name == name:
            return out[0].numpy()
    raise KeyError(name)


def number(s: str) -> float:
    return float(s.replace("−", "-"))


def find(pattern: str, at) -> re.Match:
    found = re.search(pattern, markdown_text(at))
    assert found, pattern
    return found


def chart_named(at, title: str) -> dict:
    """The first chart whose hover text starts with `title` (a map's name)."""
    for chart in charts(at):
        for trace in chart["data"]:
            if str(trace.get("hovertemplate", "")).startswith(title + "<br>"):
                return chart
    raise AssertionError(f"no chart named {title!r}")


def heat_z(chart: dict, index: int = 0) -> np.ndarray:
    heats = [t for t in chart["data"] if t["type"] == "heatmap"]
    return decode(heats[index]["z"]).astype(np.float64)


# --------------------------------------------------------------------------------------------


def test_the_page_lists_every_stage_and_says_the_model_is_trained():
    at = forward_page()
    options = at.selectbox(key="fwd_stage").options
    assert len(options) == len(DEFAULT_STEPS)
    assert options[0] == "1. input: the picture (1 × 28 × 28)"
    assert options[4] == "5. conv2: convolution (16 × 14 × 14)"
    assert options[-1] == "13. loss: loss for the label"
    assert any("The network is trained" in s.value for s in at.success)
    assert any("The network says" in m.value for m in at.markdown)
    assert any("numpy and PyTorch agree" in c.value for c in at.caption)
    overview = next(c for c in charts(at) if len(c["data"]) == len(DEFAULT_STEPS) - 1)
    titles = [a["text"] for a in overview["layout"]["annotations"] if "<br>" in a["text"]]
    assert [t.split("<br>")[0] for t in titles] == DEFAULT_STEPS[:-1]
    assert titles[4] == "conv2<br>16 × 14 × 14"
    # The probabilities column carries the exact softmax of the shared model.
    model = shared_model()
    logits = torch_stage(model, np.asarray(resources.dataset("digits").x_test[0]), "logits")
    shown = decode(overview["data"][-1]["customdata"]).reshape(-1, 2)[:, 1]
    np.testing.assert_allclose(shown, torch.softmax(torch.from_numpy(logits), 0), atol=1e-6)


def test_next_and_previous_walk_from_the_picture_to_the_loss():
    at = forward_page()
    assert at.button(key="fwd_prev").disabled
    for name in DEFAULT_STEPS[1:]:
        at.button(key="fwd_next").click().run()
        assert not at.exception
        assert at.session_state["fwd_step_name"] == name
        assert any(
            h.value.startswith(f"{DEFAULT_STEPS.index(name) + 1}. {name}:") for h in at.subheader
        )
    assert at.button(key="fwd_next").disabled
    at.button(key="fwd_prev").click().run()
    assert at.session_state["fwd_step_name"] == "probs"


def test_the_convolution_number_is_torch_s_at_the_chosen_place():
    at = upload(forward_page(), SEVEN, "seven.png")
    label_box(at).set_value(7).run()
    go(at, "conv2")
    at.number_input(key="fwd_conv_f_conv2").set_value(5)
    at.number_input(key="fwd_conv_i_conv2").set_value(3)
    at.number_input(key="fwd_conv_j_conv2").set_value(9).run()
    assert not at.exception
    model = shared_model()
    conv2 = torch_stage(model, NETWORK_X, "conv2")
    found = find(
        r"Sum (\S+) \+ bias (\S+) = \*\*(\S+)\*\*\. "
        r"This number is written at row 3, column 9 of map 5 of conv2",
        at,
    )
    total, bias, result = (number(g) for g in found.groups())
    assert result == pytest.approx(float(conv2[5, 3, 9]), abs=6e-5)
    assert bias == pytest.approx(float(model.conv2.bias[5]), abs=6e-5)
    assert total == pytest.approx(result - bias, abs=2e-4)
    relu = find(r"ReLU\((\S+)\) = \*\*(\S+)\*\*, the number at the same place in relu2", at)
    assert number(relu.group(2)) == pytest.approx(max(float(conv2[5, 3, 9]), 0.0), abs=6e-5)
    # The output map drawn is torch's map 5, cell by cell.
    np.testing.assert_allclose(heat_z(chart_named(at, "conv2 · channel 5")), conv2[5], atol=1e-6)
    # The arithmetic: for every input channel, the window of maxpool1 under the kernel,
    # the kernel, and their products.
    pool1 = torch_stage(model, NETWORK_X, "maxpool1")  # (8, 14, 14); padding 1
    padded = np.pad(pool1, ((0, 0), (1, 1), (1, 1)))
    arithmetic = next(
        c
        for c in charts(at)
        if any("kernel weights" in str(t.get("hovertemplate")) for t in c["data"])
    )
    heats = [t for t in arithmetic["data"] if t["type"] == "heatmap"]
    assert len(heats) == 3 * 8
    for c in range(8):
        window, kernel, products = (decode(heats[3 * c + g]["z"]) for g in range(3))
        np.testing.assert_allclose(window, padded[c, 3:6, 9:12], atol=1e-6)
        np.testing.assert_allclose(kernel, model.conv2.weight[5, c].numpy(), atol=1e-7)
        np.testing.assert_allclose(products, window * kernel, atol=1e-6)


def test_a_click_on_the_output_map_moves_the_kernel_there():
    at = go(forward_page(), "conv1")
    at.number_input(key="fwd_conv_f_conv1").set_value(0).run()
    point = {"customdata": [0, 4, 11, 0.0], "x": 11.5, "y": 4.5}
    at.session_state["fwd_conv_click_conv1"] = {"selection": {"points": [point]}}
    at.run()
    assert not at.exception
    assert at.number_input(key="fwd_conv_i_conv1").value == 4
    assert at.number_input(key="fwd_conv_j_conv1").value == 11
    assert "written at row 4, column 11 of map 0 of conv1" in markdown_text(at)


def test_play_slides_the_kernel_along_the_row_and_writes_the_map(monkeypatch):
    monkeypatch.setattr(conv_view, "PLAY_DELAY_S", 0.0)
    frames = []  # the output map of every frame, as the animation drew it
    partial_map = conv_view.fwdfig.partial_map

    def recorded(values, done):
        frames.append(partial_map(values, done))
        return frames[-1]

    monkeypatch.setattr(conv_view.fwdfig, "partial_map", recorded)
    at = go(forward_page(), "conv1")
    at.number_input(key="fwd_conv_f_conv1").set_value(2)
    at.number_input(key="fwd_conv_i_conv1").set_value(10).run()
    at.button(key="fwd_play").click().run()
    assert not at.exception
    assert text.PLAY_DONE.format(i=10, frames=28, j=27) in markdown_text(at)
    conv1 = torch_stage(shared_model(), np.asarray(resources.dataset("digits").x_test[0]), "conv1")
    assert len(frames) == 28
    for j, written in enumerate(frames):
        np.testing.assert_allclose(written[:10], conv1[2, :10], atol=1e-6)  # rows above: done
        np.testing.assert_allclose(written[10, : j + 1], conv1[2, 10, : j + 1], atol=1e-6)
        assert np.isnan(written[10, j + 1 :]).all() and np.isnan(written[11:]).all()


def test_the_pool_winner_is_the_largest_in_its_window():
    at = upload(forward_page(), SEVEN, "seven.png")
    go(at, "maxpool1")
    at.number_input(key="fwd_pool_c_maxpool1").set_value(2)
    at.number_input(key="fwd_pool_i_maxpool1").set_value(4)
    at.number_input(key="fwd_pool_j_maxpool1").set_value(6).run()
    model = shared_model()
    relu1 = torch_stage(model, NETWORK_X, "relu1")
    pool1 = torch_stage(model, NETWORK_X, "maxpool1")
    found = find(r"is \*\*(\S+)\*\* \(row (\d+), column (\d+) of the input\)", at)
    value, r, c = number(found.group(1)), int(found.group(2)), int(found.group(3))
    window = relu1[2, 8:10, 12:14]
    assert value == pytest.approx(float(pool1[2, 4, 6]), abs=6e-5)
    assert relu1[2, r, c] == window.max() and 8 <= r < 10 and 12 <= c < 14
    shown = next(
        c for c in charts(at) if str(c["data"][0].get("hovertemplate")).startswith("window")
    )
    np.testing.assert_allclose(heat_z(shown), window, atol=1e-6)


def test_flatten_maps_a_cell_to_its_place_and_back():
    at = upload(forward_page(), SEVEN, "seven.png")
    label_box(at).set_value(7).run()
    go(at, "flatten")
    at.number_input(key="fwd_flat_c").set_value(3)
    at.number_input(key="fwd_flat_r").set_value(2)
    at.number_input(key="fwd_flat_col").set_value(5).run()
    assert "3 × 49 + 2 × 7 + 5 = **166**" in markdown_text(at)
    flat = torch_stage(shared_model(), NETWORK_X, "flatten")
    vector = next(c for c in charts(at) if c["data"][0]["type"] == "bar")
    np.testing.assert_allclose(decode(vector["data"][0]["y"]), flat, atol=1e-6)
    assert vector["data"][0]["marker"]["color"][166] != vector["data"][0]["marker"]["color"][0]
    assert "(0, 0, 0, 0, 0, 0, 0, 1, 0, 0)" in markdown_text(at)  # the label travels along
    # The other way: place 100 of the list is channel 2, row 0, column 2.
    at.radio(key="fwd_flat_from").set_value("index").run()
    assert at.number_input(key="fwd_flat_k").value == 166  # the same place, seen from the list
    at.number_input(key="fwd_flat_k").set_value(100).run()
    assert "100 ÷ 49 = 2 remainder 2" in markdown_text(at)
    found = find(r"column 2 is (\S+), and place 100 of the list is (\S+)\.", at)
    assert (
        number(found.group(1))
        == number(found.group(2))
        == pytest.approx(float(flat[100]), abs=6e-5)
    )


def test_a_dense_neuron_is_its_weighted_sum_plus_bias():
    at = upload(forward_page(), SEVEN, "seven.png")
    go(at, "dense1")
    at.number_input(key="fwd_dense_m_dense1").set_value(17).run()
    model = shared_model()
    flat = torch_stage(model, NETWORK_X, "flatten")
    dense1 = torch_stage(model, NETWORK_X, "dense1")
    found = find(r"Sum (\S+) \+ bias (\S+) = \*\*(\S+)\*\*: neuron 17 in dense1", at)
    total, bias, result = (number(g) for g in found.groups())
    assert result == pytest.approx(float(dense1[17]), abs=6e-5)
    assert bias == pytest.approx(float(model.dense1.bias[17]), abs=6e-5)
    products = flat * model.dense1.weight[17].numpy()
    assert total == pytest.approx(float(products.sum()), abs=6e-5)
    table = at.dataframe[0].value
    largest = np.argsort(-np.abs(products), kind="stable")[:12]
    np.testing.assert_allclose(table.iloc[:, 3].to_numpy(), products[largest], atol=1e-6)
    assert table.iloc[0, 0].startswith(f"number {largest[0]} of the list (maxpool2 channel ")


def test_softmax_and_the_loss_are_torch_s():
    at = upload(forward_page(), SEVEN, "seven.png")
    label_box(at).set_value(1).run()  # a wrong label, to make the loss large
    go(at, "probs")
    model = shared_model()
    logits = torch.from_numpy(torch_stage(model, NETWORK_X, "logits"))
    probs = torch.softmax(logits, 0).numpy()
    table = at.dataframe[0].value
    np.testing.assert_allclose(table["probability"].to_numpy(), probs, atol=1e-6)
    # The table shows the numpy replay's scores: equal to torch's up to float32 rounding.
    np.testing.assert_allclose(table["score z"].to_numpy(), logits.numpy(), atol=2e-5)
    top = int(np.argmax(probs))
    assert (
        f"The network's answer is the class with the highest probability: **{top}**"
        in markdown_text(at)
    )
    go(at, "loss")
    expected = F.cross_entropy(logits[None], torch.tensor([1])).item()
    found = find(r"True label \*\*1\*\*: loss = −log\((\S+)\) = \*\*(\S+)\*\*", at)
    assert number(found.group(1)) == pytest.approx(float(probs[1]), abs=6e-5)
    assert number(found.group(2)) == pytest.approx(expected, rel=1e-4)
    assert at.warning and "the label is 1" in at.warning[0].value


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"this is not a picture, only words", "notes.png"),
        (b"", "empty.png"),
        (None, "cut.jpg"),  # the first part of a real JPEG
    ],
)
def test_a_bad_upload_is_explained_and_the_previous_picture_stays(content, name):
    if content is None:
        out = io.BytesIO()
        Image.new("RGB", (200, 150), (200, 30, 30)).save(out, format="JPEG")
        content = out.getvalue()[:300]
    with pytest.raises(ImageError) as refused:
        load_image(content, channels=1, size=28, digit_style=True)
    at = upload(forward_page(), SEVEN, "seven.png")
    go(at, "conv1")
    before = at.session_state["input_uploaded"]["x"].copy()
    summary = next(m.value for m in at.markdown if m.value.startswith("The network says"))
    at.file_uploader(key="input_upload").set_value((name, content, "image/png")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [str(refused.value)]
    assert any("The picture you had before is kept" in c.value for c in at.caption)
    np.testing.assert_array_equal(at.session_state["input_uploaded"]["x"], before)
    assert next(m.value for m in at.markdown if m.value.startswith("The network says")) == summary
    # The page still works: the stage view is there and its numbers are the picture's.
    assert at.session_state["fwd_step_name"] == "conv1"
    conv1 = torch_stage(shared_model(), NETWORK_X, "conv1")
    f = at.number_input(key="fwd_conv_f_conv1").value
    np.testing.assert_allclose(heat_z(chart_named(at, f"conv1 · channel {f}")), conv1[f], atol=1e-6)


def test_two_learners_do_not_change_each_other_or_the_shared_model():
    first = upload(forward_page(), SEVEN, "seven.png")
    entry = resources.model_store().peek(DEFAULT_SPEC, "digits")  # shared by both learners
    weights = {k: v.clone() for k, v in entry.model.state_dict().items()}
    second = forward_page()
    go(first, "conv2")
    first.radio(key="fwd_scale").set_value("network").run()
    at_second = second.run()
    assert at_second.session_state["fwd_step_name"] == "input"
    assert at_second.radio(key="fwd_scale").value == "local"
    assert at_second.radio(key="input_source").value == "sample"
    go(second, "maxpool1")
    first.run()
    assert first.session_state["fwd_step_name"] == "conv2"
    assert first.radio(key="fwd_scale").value == "network"
    for key, value in entry.model.state_dict().items():
        assert torch.equal(value, weights[key]), key


def test_a_changed_network_keeps_the_page_working_and_positions_in_range():
    at = go(forward_page(), "conv1")
    at.number_input(key="fwd_conv_i_conv1").set_value(27).run()
    go(at, "maxpool2")
    # One untrained block with stride 2: conv1 becomes 14 × 14 and maxpool2 disappears.
    at.number_input(key="arch_n_blocks").set_value(1).run()
    at.number_input(key="arch_b1_stride").set_value(2)
    at.radio(key="arch_trained_choice").set_value(False)
    at.button(key=BUILD).click().run()
    assert not at.exception
    names = [
        "input",
        "conv1",
        "relu1",
        "maxpool1",
        "flatten",
        "dense1",
        "dense1_relu",
        "logits",
        "probs",
        "loss",
    ]
    assert len(at.selectbox(key="fwd_stage").options) == len(names)
    assert at.session_state["fwd_step_name"] == names[6]  # the same place in the walk
    assert any("not trained" in w.value for w in at.warning)
    go(at, "conv1")
    assert at.number_input(key="fwd_conv_i_conv1").value == 13  # clamped into the 14 rows


def test_a_sigmoid_network_writes_out_the_sigmoid_and_binary_cross_entropy():
    at = forward_page()
    at.selectbox(key="arch_dataset_choice").set_value("digits-0-1").run()
    at.radio(key="arch_head").set_value("sigmoid")
    at.radio(key="arch_trained_choice").set_value(False)
    at.button(key=BUILD).click().run()
    assert not at.exception
    spec = at.session_state["arch_spec"]
    model = resources.model_store().peek(spec, "digits-0-1", False).model
    data = resources.dataset("digits-0-1")
    x, y = np.asarray(data.x_test[0]), int(data.y_test[0])
    z = torch.from_numpy(torch_stage(model, x, "logits"))
    go(at, "probs")
    found = find(r"= 1 ÷ \(1 \+ (\S+)\) = \*\*(\S+)\*\*", at)
    assert number(found.group(2)) == pytest.approx(torch.sigmoid(z).item(), abs=6e-5)
    go(at, "loss")
    expected = F.binary_cross_entropy_with_logits(z, torch.tensor([float(y)])).item()
    found = find(rf"Here y = {y} and p = (\S+): loss = .* = \*\*(\S+)\*\*", at)
    assert number(found.group(2)) == pytest.approx(expected, rel=1e-4)


def test_what_the_network_looked_at_is_drawn_for_the_predicted_class():
    from cnnexplain.model.saliency import grad_cam, saliency_map

    at = upload(forward_page(), SEVEN, "seven.png")
    model = shared_model()
    looked = next(c for c in charts(at) if any(t.get("opacity") == 0.45 for t in c["data"]))
    heats = [t for t in looked["data"] if t["type"] == "heatmap"]
    np.testing.assert_allclose(
        decode(heats[1]["z"]), saliency_map(model, NETWORK_X).saliency, atol=1e-6
    )
    np.testing.assert_allclose(
        decode(heats[3]["z"]), grad_cam(model, NETWORK_X).upsampled, atol=1e-6
    )
    predicted = int(torch.argmax(torch.from_numpy(torch_stage(model, NETWORK_X, "logits"))))
    assert f"Which pixels mattered for the answer **{predicted}**?" in markdown_text(at)


def test_the_overview_keeps_every_value_exactly_whatever_the_colours():
    from cnnexplain.figures import overview as ovfig

    rng = np.random.default_rng(0)
    maps = rng.normal(size=(3, 5, 5)).astype(np.float32)
    vector = rng.normal(size=7).astype(np.float32)
    columns = [
        ovfig.OverviewColumn(
            "conv1<br>3 × 5 × 5", maps, [(float(m.min()), float(m.max())) for m in maps]
        ),
        ovfig.OverviewColumn("dense1<br>7", vector, [(float(vector.min()), float(vector.max()))]),
    ]
    stacked, strip = ovfig.overview(columns, max_rows=4).data
    custom = np.asarray(stacked.customdata, dtype=np.float64)
    cells = custom[~np.isnan(custom[..., 0])].reshape(3, 5, 5, 4)
    np.testing.assert_array_equal(cells[..., 3], maps)  # the hover value is exact
    np.testing.assert_array_equal(cells[0, :, :, 1], np.indices((5, 5))[0])  # its row
    z = np.asarray(stacked.z, dtype=np.float64)
    assert np.nanmin(z) == 0.0 and np.nanmax(z) == 1.0  # each map spans the colours
    np.testing.assert_array_equal(np.asarray(strip.customdata)[:, 0, 1], vector)


def test_steps_and_colour_ranges():
    from cnnexplain.model.trace import trace
    from cnnexplain.training.store import build_model
    from cnnexplain.ui.forward.stage import map_ranges, network_range, steps_of, value_range

    data = resources.dataset("digits")
    result = trace(build_model(DEFAULT_SPEC), data.x_test[0], label=int(data.y_test[0]))
    steps = steps_of(result)
    assert [s.name for s in steps] == DEFAULT_STEPS
    assert (steps[-1].kind, steps[4].shape) == ("loss", (16, 14, 14))
    maps = np.stack([np.zeros((2, 2)), np.arange(4.0).reshape(2, 2)])
    assert value_range(maps[0]) == (0.0, 1.0)  # an all-zero map takes the lowest colour
    assert map_ranges(maps, "local", (-9.0, 9.0)) == [(0.0, 1.0), (0.0, 3.0)]
    assert map_ranges(maps, "layer", (-9.0, 9.0)) == [(0.0, 3.0)] * 2
    assert map_ranges(maps, "network", (-9.0, 9.0)) == [(-9.0, 9.0)] * 2
    lo, hi = network_range(result)
    conv1 = result.stage("conv1").torch_out
    assert lo <= conv1.min() and hi >= conv1.max() and lo <= 0.0 and hi >= 1.0


@pytest.mark.parametrize(
    "build",
    [
        # Colour pictures; one block with a dilated kernel, tanh and average pooling; no
        # hidden dense layer.
        {
            "arch_dataset_choice": "shapes-rgb",
            "arch_n_blocks": 1,
            "arch_b1_dilation": 2,
            "arch_b1_activation": "tanh",
            "arch_b1_pool": "avg",
            "arch_dense": "",
        },
        # Three blocks: a strided one without pooling, a sigmoid activation, two dense layers.
        {
            "arch_n_blocks": 3,
            "arch_b2_stride": 2,
            "arch_b2_pool": None,
            "arch_b3_activation": "sigmoid",
            "arch_b3_filters": 4,
            "arch_dense": "32, 16",
        },
    ],
    ids=["rgb-dilated-avgpool", "three-blocks"],
)
def test_every_stage_of_other_networks_shows_without_error(build):
    at = forward_page()
    for key, value in build.items():
        widget = at.get("selectbox") + at.get("number_input") + at.get("text_input")
        match = [w for w in widget if getattr(w, "key", None) == key]
        assert match, key
        match[0].set_value(value)
        if key in ("arch_dataset_choice", "arch_n_blocks"):
            at.run()
    at.radio(key="arch_trained_choice").set_value(False)
    at.button(key=BUILD).click().run()
    assert not at.exception and not at.error
    titles = at.selectbox(key="fwd_stage").options
    for n, title in enumerate(titles):
        name, kind = title.split(". ", 1)[1].split(" (")[0].split(": ")
        if n:
            at.button(key="fwd_next").click().run()
        assert not at.exception, name
        assert at.session_state["fwd_step_name"] == name
        assert any(h.value.startswith(f"{n + 1}. {name}:") for h in at.subheader)
        if kind in ("convolution", "pooling", "dense layer", "class scores"):
            assert "the step-by-step numpy arithmetic differs from it by" in markdown_text(at)


def test_the_picture_and_its_label_are_kept_while_the_learner_visits_other_pages():
    at = upload(forward_page(), SEVEN, "seven.png")
    label_box(at).set_value(3).run()
    picture = at.session_state["input_uploaded"]["x"].copy()
    at.switch_page("pages/conv_lab.py").run()
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/forward.py").run()
    assert not at.exception
    assert at.radio(key="input_source").value == "upload"
    assert label_box(at).value == 3
    assert np.array_equal(at.session_state["input_uploaded"]["x"], picture)


# --------------------------------------------------------------------------------------------
# The learner's own picture has no label until the learner says what it shows


def summary_line(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("The network says"))


def test_an_own_picture_shows_the_answer_and_asks_for_its_label_before_any_loss():
    at = upload(forward_page(), SEVEN, "seven.png")
    model = shared_model()
    logits = torch.from_numpy(torch_stage(model, NETWORK_X, "logits"))
    probs = torch.softmax(logits, 0)
    predicted = int(torch.argmax(probs))
    p = float(probs[predicted])
    assert label_box(at).value is None  # not 0: only the learner knows what it shows
    assert summary_line(at) == text.PREDICTION.format(predicted=predicted, p=p)
    assert text.ASK_LABEL in [i.value for i in at.info]
    assert "loss" not in summary_line(at) and "true label is" not in markdown_text(at)
    # Where the label would travel along, the page says that it waits for it.
    go(at, "flatten")
    assert text.LABEL_WAITS in markdown_text(at)
    assert "travels beside the numbers" not in markdown_text(at)
    assert not [c for c in at.get("plotly_chart") if c.proto.id.endswith("_label")]
    go(at, "loss")
    waits = text.LOSS_WAITS.format(predicted=predicted, p=p)
    assert waits in [i.value for i in at.info]
    assert "Cross-entropy" not in main_text(at) and "loss function" not in main_text(at)
    assert not at.warning and [s.value for s in at.success if "loss" in s.value] == []

    label_box(at).set_value(7).run()
    expected = F.cross_entropy(logits[None], torch.tensor([7])).item()
    found = find(r"True label \*\*7\*\*: loss = −log\((\S+)\) = \*\*(\S+)\*\*", at)
    assert number(found.group(2)) == pytest.approx(expected, abs=6e-5)  # written to 4 places
    assert "The true label is **7**" in summary_line(at)
    loss = float(re.search(r"The loss is \*\*(\S+)\*\*", summary_line(at)).group(1))
    assert loss == pytest.approx(expected, abs=6e-5)
    assert text.ASK_LABEL not in [i.value for i in at.info]
    go(at, "flatten")
    assert "(0, 0, 0, 0, 0, 0, 0, 1, 0, 0)" in markdown_text(at)  # now the label travels along


def test_the_label_of_an_own_picture_is_kept_and_a_new_picture_asks_again():
    at = upload(forward_page(), SEVEN, "seven.png")
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/forward.py").run()
    assert label_box(at).value is None  # still asked for, never a made-up 0
    label_box(at).set_value(7).run()
    # The same picture cleaned up differently still shows a 7.
    at.checkbox(key="input_digit_style").uncheck().run()
    assert label_box(at).value == 7 and "The true label is **7**" in summary_line(at)
    at.switch_page("pages/conv_lab.py").run()
    at.switch_page("pages/forward.py").run()
    assert label_box(at).value == 7
    # Another picture: the page asks again.
    at.file_uploader(key="input_upload").set_value(
        ("zero.png", drawn_digit_png("zero"), "image/png")
    ).run()
    assert label_box(at).value is None and text.ASK_LABEL in [i.value for i in at.info]
    # A test image keeps its known label.
    data = resources.dataset("digits")
    at.radio(key="input_source").set_value("sample").run()
    at.number_input(key="input_sample_index").set_value(5).run()
    assert label_box(at).value == int(data.y_test[5])
    assert f"The true label is **{int(data.y_test[5])}**" in summary_line(at)
    # Under another data set the classes mean other things: the same upload is asked again.
    at.radio(key="input_source").set_value("upload").run()
    assert label_box(at).value is None  # the zero was never labelled
    label_box(at).set_value(0).run()
    at.selectbox(key="arch_dataset_choice").set_value("digits-0-1").run()
    at.radio(key="arch_trained_choice").set_value(False)
    at.button(key=BUILD).click().run()
    assert not at.exception and at.session_state["arch_dataset"] == "digits-0-1"
    assert label_box(at).value is None and text.ASK_LABEL in [i.value for i in at.info]


def test_a_drawing_is_asked_for_its_label_like_an_upload():
    import base64

    at = forward_page()
    at.radio(key="input_source").set_value("draw").run()
    assert any(text_inputs.DRAW_EMPTY in i.value for i in at.info)
    assert label_box(at).value == int(resources.dataset("digits").y_test[0])  # the test image
    drawing = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    ImageDraw.Draw(drawing).line([(80, 60), (200, 60), (120, 230)], fill="white", width=22)
    png = io.BytesIO()
    drawing.save(png, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    at.session_state["input_canvas"] = {"drawing": {"raw": {"objects": []}, "data": url}}
    at.run()
    assert not at.exception
    assert any(c.value == text_inputs.ORIGINAL for c in at.caption)  # the drawing is in use
    assert label_box(at).value is None and text.ASK_LABEL in [i.value for i in at.info]
    label_box(at).set_value(7).run()
    assert "The true label is **7**" in summary_line(at)


# --------------------------------------------------------------------------------------------
# One chosen cell: what the figures mark is what the numbers explain


def red_boxes(chart: dict) -> list[tuple[int, int, int, int]]:
    """(first row, first col, last row, last col) of each red outline in a one-unit-cell figure."""
    from cnnexplain.figures import theme

    return [
        (
            round(shape["y0"]),
            round(shape["x0"]),
            round(shape["y1"]) - 1,
            round(shape["x1"]) - 1,
        )
        for shape in chart["layout"].get("shapes", [])
        if shape["type"] == "rect" and shape["line"]["color"] == theme.COLOURS["focus"]
    ]


def conv1_cell_agrees(at, x: np.ndarray) -> tuple[int, int, int]:
    """The conv1 cell the widgets, the two figures and the arithmetic show: one and the same."""
    f, i, j = (at.number_input(key=f"fwd_conv_{k}_conv1").value for k in "fij")
    # The output map marks (i, j); on the input (1 padded row and column, so padded
    # coordinates start at 0) the 3×3 window starts at row i and column j.
    assert red_boxes(chart_named(at, f"conv1 · channel {f}")) == [(i, j, i, j)]
    assert red_boxes(chart_named(at, "input · channel 0")) == [(i, j, i + 2, j + 2)]
    found = find(
        rf"Sum (\S+) \+ bias (\S+) = \*\*(\S+)\*\*\. "
        rf"This number is written at row {i}, column {j} of map {f} of conv1",
        at,
    )
    conv1 = torch_stage(shared_model(), x, "conv1")
    assert number(found.group(3)) == pytest.approx(float(conv1[f, i, j]), abs=6e-5)
    return f, i, j


def test_after_play_the_figures_and_the_numbers_show_the_same_cell(monkeypatch):
    monkeypatch.setattr(conv_view, "PLAY_DELAY_S", 0.0)
    x = np.asarray(resources.dataset("digits").x_test[0])
    at = go(forward_page(), "conv1")
    at.number_input(key="fwd_conv_f_conv1").set_value(2)
    at.number_input(key="fwd_conv_i_conv1").set_value(10)
    at.number_input(key="fwd_conv_j_conv1").set_value(14).run()
    assert conv1_cell_agrees(at, x) == (2, 10, 14)
    at.button(key="fwd_play").click().run()
    assert not at.exception
    # The kernel slid to the end of the row: that is now the chosen cell, everywhere.
    assert conv1_cell_agrees(at, x) == (2, 10, 27)
    # It stays so on the next run, after another stage, and when the learner picks a column.
    at.run()
    assert conv1_cell_agrees(at, x) == (2, 10, 27)
    at.button(key="fwd_next").click().run()
    at.button(key="fwd_prev").click().run()
    assert conv1_cell_agrees(at, x) == (2, 10, 27)
    at.number_input(key="fwd_conv_j_conv1").set_value(5).run()
    assert conv1_cell_agrees(at, x) == (2, 10, 5)


# --------------------------------------------------------------------------------------------
# Every stage starts where something was found


def test_every_stage_starts_at_its_strongest_cell_never_a_dead_window():
    at = forward_page()
    model = shared_model()
    x = np.asarray(resources.dataset("digits").x_test[0])

    def strongest(name: str) -> tuple[int, ...]:
        out = torch.from_numpy(torch_stage(model, x, name))
        return tuple(int(v) for v in np.unravel_index(int(torch.argmax(out)), out.shape))

    def shown(*keys: str) -> tuple[int, ...]:
        return tuple(at.number_input(key=k).value for k in keys)

    for name in ("conv1", "conv2"):
        go(at, name)
        assert shown(*(f"fwd_conv_{k}_{name}" for k in "fij")) == strongest(name)
    for name in ("maxpool1", "maxpool2"):
        go(at, name)
        assert shown(*(f"fwd_pool_{k}_{name}" for k in "cij")) == strongest(name)
    # The example of the second pooling stage: a window with something in it, and its
    # winner is the largest number of the whole stage.
    pool2 = torch_stage(model, x, "maxpool2")
    found = find(r"The largest of (.+) is \*\*(\S+)\*\*", at)
    values = [number(v) for v in found.group(1).split(", ")]
    assert max(values) > 0 and number(found.group(2)) == pytest.approx(pool2.max(), abs=6e-5)
    go(at, "flatten")
    assert shown("fwd_flat_c", "fwd_flat_r", "fwd_flat_col") == strongest("maxpool2")
    go(at, "dense1")
    assert shown("fwd_dense_m_dense1") == strongest("dense1")
    go(at, "logits")
    assert shown("fwd_dense_m_logits") == strongest("logits")


def test_the_loss_says_what_its_number_means_for_a_right_and_a_wrong_label():
    at = upload(forward_page(), SEVEN, "seven.png")
    logits = torch.from_numpy(torch_stage(shared_model(), NETWORK_X, "logits"))
    probs = torch.softmax(logits, 0).numpy()
    predicted = int(np.argmax(probs))
    wrong = (predicted + 1) % 10
    for label, box in ((predicted, "success"), (wrong, "warning")):
        label_box(at).set_value(label).run()
        go(at, "loss")
        said = next(b for b in getattr(at, box) if "The loss is" in b.value)
        if box == "success":
            pattern = (
                rf"true class, {label}, the highest probability, (\S+), so its answer is right"
            )
        else:
            pattern = rf"the label is {label}, which got probability (\S+), so the answer is wrong"
        found = re.search(pattern + r"\. The loss is (\S+)\.", said.value)
        assert found, said.value
        p, loss = number(found.group(1)), number(found.group(2))
        assert p == pytest.approx(float(probs[label]), abs=6e-5)
        assert loss == pytest.approx(-np.log(float(probs[label])), rel=1e-3, abs=6e-5)
        assert "small" not in said.value and "large" not in said.value
        scale = find(r"Giving all 10 classes the same probability would cost (\S+)\.", at)
        assert number(scale.group(1)) == pytest.approx(np.log(10), abs=6e-5)


def test_the_convolution_is_said_not_to_flip_its_kernel_and_activations_read_as_words():
    at = forward_page()
    go(at, "conv1")
    assert text.CONV_NO_FLIP in [c.value for c in at.caption]
    assert "Then the activation: ReLU(" in markdown_text(at)
    go(at, "relu1")
    assert "becomes ReLU(" in markdown_text(at) and "relu(" not in markdown_text(at)


def test_flatten_says_why_the_label_travels_unused_and_what_else_could_join():
    at = forward_page()
    go(at, "flatten")
    words = markdown_text(at)
    assert "it would give the answer away" in words
    assert "could join this list here" in words
    go(at, "loss")
    assert "could join this list" not in markdown_text(at)


def test_dense_products_are_listed_by_size():
    at = forward_page()
    go(at, "dense1")
    assert "largest products by size, positive or negative" in markdown_text(at)
    table = at.dataframe[0].value
    products = table["input × weight"].map(lambda s: abs(number(str(s)))).to_numpy()
    assert np.all(np.diff(products) <= 0)
