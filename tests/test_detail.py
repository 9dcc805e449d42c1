"""The "Simple / Every number" switch: Simple is the default and leaves the arithmetic out,
Every number shows it, the choice survives moving between pages, and Simple never writes a
number in scientific notation."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from pagekit import app, charts, markdown_text

from cnnexplain.experiment.design import Experiment
from cnnexplain.experiment.jobs import Comparison
from cnnexplain.io.datasets import load_dataset
from cnnexplain.model.trace import trace
from cnnexplain.texts import backprop as bp_text
from cnnexplain.texts import compare as cmp_text
from cnnexplain.texts import conv_lab as lab_text
from cnnexplain.texts import forward as fwd_text
from cnnexplain.texts import home as home_text
from cnnexplain.training.store import DEFAULT_SPEC
from cnnexplain.training.train import TrainConfig
from cnnexplain.ui.compare.state import STATE_KEY as COMPARE_KEY
from cnnexplain.ui.forward.stage import num
from cnnexplain.ui.kit import language, resources
from cnnexplain.ui.kit.detail import EVERY, LEVEL_KEY, SIMPLE, WIDGET_KEY
from cnnexplain.ui.kit.numbers import plain

SCIENTIFIC = re.compile(r"\d[eE][-+]?\d")  # 1.2e-05, 3E+02
FORWARD, BACKPROP, LAB, COMPARE = (
    "pages/forward.py",
    "pages/backprop.py",
    "pages/conv_lab.py",
    "pages/compare.py",
)


def page(path: str | None, every: bool):
    at = app(every_number=every)
    if path is not None:
        at.switch_page(path).run()
    assert not at.exception
    assert at.radio(key=WIDGET_KEY).value == (EVERY if every else SIMPLE)
    return at


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def chart_keys(at) -> set[str]:
    return {c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")}


def live_trace(at):
    """The trace of the picture the page shows, through the shared default network."""
    data = resources.dataset("digits")
    entry = resources.model_store().peek(DEFAULT_SPEC, "digits")
    index = at.session_state["input_sample_index"]
    return trace(entry.model, np.asarray(data.x_test[index]), label=int(data.y_test[index]))


def show_stage(at, name: str):
    """Move the forward page's stepper to the stage called `name`."""
    at.session_state["fwd_step_name"] = name
    at.run()
    assert not at.exception
    return at


# --- the number formatter


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (0.000523456, "0.00052346"),
        (1234.5, "1,234.5"),
        (-3.2, "−3.2"),
        (0.0, "0"),
        (1.0, "1"),
        (2.302585, "2.3026"),
        (123456.7, "123,457"),
        (1.2e-9, "0.0000000012"),
        (0.00052, "0.00052"),
    ],
)
def test_plain_writes_plain_decimals(value, written):
    assert plain(value) == written


def test_plain_never_uses_scientific_notation_and_keeps_the_value():
    rng = np.random.default_rng(0)
    for value in rng.normal(size=200) * 10.0 ** rng.integers(-12, 9, size=200):
        s = plain(float(value), 6)
        assert not SCIENTIFIC.search(s), s
        back = float(s.replace(",", "").replace("−", "-"))
        assert back == pytest.approx(value, rel=1e-5), s


# --- the control


def test_simple_is_the_default_and_the_control_is_in_the_sidebar():
    at = app()
    assert not at.exception
    assert at.radio(key=WIDGET_KEY).value == SIMPLE
    # At the top of the sidebar, right after the language.
    assert [r.key for r in at.sidebar.radio][:2] == [language.WIDGET_KEY, WIDGET_KEY]
    assert at.radio(key=WIDGET_KEY).options == ["Simple", "Every number"]


def test_the_choice_survives_switching_pages_both_ways():
    at = app()
    at.radio(key=WIDGET_KEY).set_value(EVERY).run()
    assert at.session_state[LEVEL_KEY] == EVERY
    at.switch_page(FORWARD).run()
    assert not at.exception
    assert at.radio(key=WIDGET_KEY).value == EVERY
    assert any(fwd_text.REPLAY_AGREES.split("{")[0] in c for c in captions(at))
    at.radio(key=WIDGET_KEY).set_value(SIMPLE).run()
    at.switch_page(LAB).run()
    assert not at.exception
    assert at.radio(key=WIDGET_KEY).value == SIMPLE
    assert lab_text.SIMPLE_FORMULA in captions(at)
    at.switch_page("pages/home.py").run()
    assert at.radio(key=WIDGET_KEY).value == SIMPLE and at.session_state[LEVEL_KEY] == SIMPLE


# --- home


@pytest.mark.parametrize("every", [False, True])
def test_home(every):
    at = page(None, every)
    replay = any(home_text.REPLAY_AGREES.split("{")[0] in c for c in captions(at))
    assert replay == every
    assert (home_text.SIMPLE_HIDES in captions(at)) == (not every)
    # The loss is the live model's, in both levels.
    data = resources.dataset("digits")
    entry = resources.model_store().peek(DEFAULT_SPEC, "digits")
    result = trace(entry.model, np.asarray(data.x_test[0]), label=int(data.y_test[0]))
    assert home_text.FINAL_LOSS.format(loss=plain(result.loss)) in markdown_text(at)
    assert not SCIENTIFIC.search(markdown_text(at)) or every


# --- forward


@pytest.mark.parametrize("every", [False, True])
def test_forward_convolution(every):
    at = show_stage(page(FORWARD, every), "conv1")
    assert ("fwd_conv_arithmetic" in chart_keys(at)) == every
    assert (fwd_text.SIMPLE_CONV in captions(at)) == (not every)
    assert any(m.value == fwd_text.CONV_ARITHMETIC_HEADER for m in at.markdown) == every
    # The chosen cell's result, the live model's own number, is there either way.
    f, i, j = (at.session_state[f"fwd_conv_{k}_conv1"] for k in "fij")
    value = live_trace(at).stage("conv1").torch_out[f, i, j]
    result = f"= **{num(float(value))}**. This number is written at row {i}, column {j}"
    assert any(result in m.value for m in at.markdown), result


def stage_tables(at) -> int:
    """Tables of the stage shown; the receptive-field table further down is on both levels."""
    receptive = list(fwd_text.RECEPTIVE_TABLE_COLUMNS)
    return sum(list(df.value.columns) != receptive for df in at.dataframe)


@pytest.mark.parametrize("every", [False, True])
def test_forward_dense_softmax_and_loss(every):
    at = show_stage(page(FORWARD, every), "dense1")
    assert stage_tables(at) == (1 if every else 0)
    assert (fwd_text.SIMPLE_DENSE in captions(at)) == (not every)
    assert "fwd_dense_contributions" in chart_keys(at)  # the picture stays
    show_stage(at, "probs")
    assert stage_tables(at) == (1 if every else 0)
    assert (fwd_text.SIMPLE_SOFTMAX in captions(at)) == (not every)
    assert any(m.value.startswith("The network's answer is") for m in at.markdown)
    show_stage(at, "loss")
    assert any(m.value == fwd_text.CE_FORMULA for m in at.markdown) == every
    assert (fwd_text.SIMPLE_LOSS in captions(at)) == (not every)
    assert any("The loss is" in s.value for s in [*at.success, *at.warning])


def test_forward_simple_writes_no_scientific_notation_on_any_stage():
    at = page(FORWARD, every=False)
    names = ["input", "conv1", "relu1", "maxpool1", "conv2", "flatten", "dense1", "logits"]
    for name in [*names, "probs", "loss"]:
        show_stage(at, name)
        words = markdown_text(at)
        assert not SCIENTIFIC.search(words), (name, SCIENTIFIC.findall(words))
    # Every number does write them (PyTorch's agreement), so the check above can fail.
    at.radio(key=WIDGET_KEY).set_value(EVERY).run()
    assert SCIENTIFIC.search(markdown_text(at))


# --- backprop


def stepped(every: bool):
    at = page(BACKPROP, every)
    at.button(key="bp_step").click().run()
    assert not at.exception
    assert at.metric  # the loss before and after the step
    return at


@pytest.mark.parametrize("every", [False, True])
def test_backprop_after_a_step(every):
    at = stepped(every)
    assert (len(at.latex) > 0) == every
    assert (bp_text.SIMPLE_BACKWARD in captions(at)) == (not every)
    assert (bp_text.SIMPLE_WEIGHT in captions(at)) == (not every)
    keys = chart_keys(at)
    assert ("bp_w_products" in keys) == every  # one kernel weight's arithmetic
    assert "bp_conv1_kernels" in keys and "bp_loss_curve" in keys  # kept in both
    assert bool(at.dataframe) == every
    titles = json.dumps(charts(at), ensure_ascii=False)  # titles, axes and hover words
    assert ("∂L/∂" in titles) == every
    # The step's largest change: plain decimals in Simple, the house format in Every number.
    change = next(c for c in captions(at) if "any kernel weight in this step" in c)
    record = at.session_state["bp_state"].last.record
    largest = max(
        float(np.max(np.abs(record.params_after[name] - record.params_before[name])))
        for name in record.params_before
        if name.startswith("conv") and name.endswith(".weight")
    )
    assert (plain(largest) if not every else f"{largest:.6g}") in change, change


def test_backprop_simple_writes_no_scientific_notation_or_gradient_notation():
    at = stepped(every=False)
    words = markdown_text(at) + "\n".join(m.value for m in at.metric)
    assert not SCIENTIFIC.search(words), SCIENTIFIC.findall(words)
    for symbol in ("∂", "dL/d", "δ", "β", "ε", "m̂"):
        assert symbol not in words, symbol


def tick_formats(spec: dict) -> set:
    """How the chart writes its axis and colour-bar ticks (plotly's exponentformat)."""
    layout = spec["layout"]
    axes = [v for k, v in layout.items() if k.startswith(("xaxis", "yaxis"))]
    bars = [v.get("colorbar", {}) for k, v in layout.items() if k.startswith("coloraxis")]
    bars += [t.get("colorbar", {}) for t in spec["data"] if t.get("type") == "heatmap"]
    return {part.get("exponentformat") for part in [*axes, *bars]}


@pytest.mark.parametrize("every", [False, True])
def test_backprop_charts_write_ticks_without_powers_of_ten_in_simple(every):
    formats = set().union(*(tick_formats(spec) for spec in charts(stepped(every))))
    if every:
        assert "e" in formats  # gradients a millionth in size keep their powers of ten
    else:  # the gradient and change charts plain; pictures (0 to 1) keep plotly's default
        assert "none" in formats and not formats & {"e", "E", "power", "SI", "B"}, formats


# --- convolution lab


@pytest.mark.parametrize("every", [False, True])
def test_conv_lab(every):
    at = page(LAB, every)
    if not every:  # Simple asks for the output's size before it says it: skip the question
        at.button(key="predict_lab_size:8:8:3:1:1:1_skip").click().run()
    values = [m.value for m in at.markdown]
    assert (lab_text.FORMULA_GENERAL in values) == every
    assert (lab_text.SIMPLE_FORMULA in captions(at)) == (not every)
    assert len(at.code) == (1 if every else 0)  # the sum of every product
    assert (lab_text.SIMPLE_SUM in captions(at)) == (not every)
    assert any(v.startswith("The output is ") for v in values)  # the key number stays
    assert {"lab_window_pixels", "lab_window_products"} <= chart_keys(at)


# --- compare


@pytest.fixture(scope="module")
def comparison():
    data = load_dataset("digits")
    done = Comparison.start(
        Experiment("digits", config=TrainConfig(epochs=1, batch_size=128)),
        data,
        "Handwritten digits",
        report_every=5,
    )
    done.advance_training()
    done.measure()
    return done


@pytest.mark.parametrize("every", [False, True])
def test_compare_results(comparison, every):
    at = app(every_number=every)
    at.session_state[COMPARE_KEY] = comparison
    at.switch_page(COMPARE).run()
    assert not at.exception
    table = next(df.value for df in at.dataframe if cmp_text.COL_ACC in df.value.columns)
    assert (cmp_text.COL_SECONDS in table.columns) == every
    for name, row in zip(table[cmp_text.COL_MODEL], table[cmp_text.COL_ACC], strict=True):
        assert row == comparison.result.models[name].test_acc  # the real numbers either way
    layers = [df for df in at.dataframe if cmp_text.LAYER_TOTAL in df.value.iloc[:, 0].tolist()]
    assert len(layers) == (2 if every else 0)
    assert (cmp_text.SIMPLE_RESULTS in captions(at)) == (not every)
