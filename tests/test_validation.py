"""Every entry point a page feeds with a learner's choices refuses values out of range with a
message in plain words, and takes the values at the edges of the range.

The pages keep their widgets inside these ranges; these tests call the library as a tampered
session or a script would. The last section drives pages to check that a refusal shows as a
message on the page, never as a traceback.
"""

from __future__ import annotations

import io
import math
import re
import zipfile

import numpy as np
import pytest
from pagekit import app
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnexplain.core import checks, optim
from cnnexplain.core.kernels import (
    MAX_LAB_DILATION,
    MAX_LAB_IMAGE,
    MAX_LAB_KERNEL,
    MAX_LAB_PADDING,
    MAX_LAB_STRIDE,
    lab_convolve,
    lab_window,
    size_formula,
)
from cnnexplain.experiment.design import Experiment, check_data
from cnnexplain.experiment.efficiency import MAX_MIN_STEPS, MAX_SIZES, data_efficiency
from cnnexplain.experiment.robustness import (
    MAX_ANGLE,
    MAX_LEVELS,
    MAX_SHIFT,
    robustness_curves,
    rotate_images,
    shift_images,
)
from cnnexplain.experiment.run import run_experiment
from cnnexplain.io.datasets import Dataset
from cnnexplain.model.backprop import MAX_LR, MAX_STEP_EXAMPLES, OptimizerSettings, inspected_step
from cnnexplain.model.saliency import grad_cam
from cnnexplain.model.spec import (
    ArchitectureError,
    CNNSpec,
    ConvBlock,
    build_cnn,
    build_mlp,
    mlp_matching_budget,
)
from cnnexplain.model.trace import MAX_INPUT_MAGNITUDE, check_input, trace
from cnnexplain.texts import backprop as backprop_text
from cnnexplain.texts import forward as forward_text
from cnnexplain.training.train import MAX_BATCH_SIZE, MAX_EPOCHS, MAX_SEED, TrainConfig, train

# A network small enough that a step on hundreds of examples takes milliseconds.
TINY = CNNSpec(
    in_channels=1,
    input_size=4,
    num_classes=2,
    conv_blocks=(ConvBlock(2, kernel_size=3, padding=1, pool=None),),
    dense=(),
)


def tiny_data(n_train: int = 8, n_test: int = 4) -> Dataset:
    rng = np.random.default_rng(0)

    def part(n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.random((n, 1, 4, 4), dtype=np.float32)
        return x, (np.arange(n) % 2).astype(np.int64)

    (x_train, y_train), (x_test, y_test) = part(n_train), part(n_test)
    return Dataset("tiny", x_train, y_train, x_test, y_test, ("a", "b"), "Tiny pictures.")


def refused(call, message: str, error: type[Exception] = ValueError) -> None:
    """`call()` raises `error` whose message is exactly `message`."""
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call()


# ---------------------------------------------------------------------------------------------
# The shared checks


@pytest.mark.parametrize(
    ("value", "bounds", "message"),
    [
        (True, {}, "x must be a number, got True."),
        ("0.1", {}, "x must be a number, got '0.1'."),
        (None, {}, "x must be a number, got None."),
        (1 + 2j, {}, "x must be a number, got (1+2j)."),
        (math.nan, {}, "x must be a finite number, got nan."),
        (-math.inf, {}, "x must be a finite number, got -inf."),
        (0, {"above": 0}, "x must be above 0, got 0.0."),
        (-1, {"at_least": 0}, "x must be at least 0, got -1.0."),
        (1, {"below": 1}, "x must be below 1, got 1.0."),
        (2.5, {"above": 0, "at_most": 2}, "x must be above 0 and at most 2, got 2.5."),
        (1e-9, {"at_least": 0.001, "below": 1}, "x must be at least 0.001 and below 1, got 1e-09."),
    ],
)
def test_number_refuses_with_the_allowed_range_in_words(value, bounds, message):
    refused(lambda: checks.number("x", value, **bounds), message)


def test_number_takes_the_edges_and_gives_a_plain_float():
    assert checks.number("x", 0, at_least=0, at_most=2) == 0.0
    assert checks.number("x", 2, at_least=0, at_most=2) == 2.0
    value = checks.number("x", np.float32(0.5), above=0, below=1)
    assert value == 0.5 and type(value) is float
    assert checks.fraction("m", 0) == 0.0 and checks.fraction("m", 0.999999) == 0.999999


@pytest.mark.parametrize(
    ("value", "high", "message"),
    [
        (0, 5, "n must be a whole number from 1 to 5, got 0."),
        (6, 5, "n must be a whole number from 1 to 5, got 6."),
        (True, 5, "n must be a whole number from 1 to 5, got True."),
        (2.0, 5, "n must be a whole number from 1 to 5, got 2.0."),
        ("2", 5, "n must be a whole number from 1 to 5, got '2'."),
        (math.nan, 5, "n must be a whole number from 1 to 5, got nan."),
        (0, None, "n must be a whole number of at least 1, got 0."),
    ],
)
def test_whole_refuses_with_the_allowed_range_in_words(value, high, message):
    refused(lambda: checks.whole("n", value, 1, high), message)


def test_whole_takes_the_edges_and_any_integer_type():
    assert checks.whole("n", 1, 1, 5) == 1 and checks.whole("n", 5, 1, 5) == 5
    value = checks.whole("n", np.int64(3), 1, 5)
    assert value == 3 and type(value) is int
    assert checks.whole("n", 10**12, 1) == 10**12


def test_a_huge_refused_value_is_quoted_short():
    with pytest.raises(ValueError) as err:
        checks.whole("n", "9" * 10_000, 1, 5)
    assert len(str(err.value)) < 150 and str(err.value).endswith("….")


# ---------------------------------------------------------------------------------------------
# One inspected step (backprop) and the optimizer arithmetic (optim)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": 0}, "The learning rate must be above 0 and at most 10, got 0.0."),
        ({"lr": 10.000001}, "The learning rate must be above 0 and at most 10, got 10.000001."),
        ({"lr": 1e300}, "The learning rate must be above 0 and at most 10, got 1e+300."),
        ({"lr": math.inf}, "The learning rate must be a finite number, got inf."),
        ({"lr": True}, "The learning rate must be a number, got True."),
        ({"lr": None}, "The learning rate must be a number, got None."),
        ({"momentum": 1}, "Momentum must be at least 0 and below 1, got 1.0."),
        ({"momentum": -0.01}, "Momentum must be at least 0 and below 1, got -0.01."),
        ({"momentum": "0.9"}, "Momentum must be a number, got '0.9'."),
        ({"betas": (0.9, math.nan)}, "beta2 must be a finite number, got nan."),
        ({"betas": "ab"}, "Adam's betas must be a pair (beta1, beta2), got 'ab'."),
        (
            {"betas": (0.1, 0.2, 0.3)},
            "Adam's betas must be a pair (beta1, beta2), got (0.1, 0.2, 0.3).",
        ),
        ({"eps": 0}, "eps must be above 0, got 0.0."),
        ({"eps": -1e-8}, "eps must be above 0, got -1e-08."),
        ({"kind": 3}, "Unknown optimizer 3: choose one of sgd, momentum, adam."),
        ({"kind": ["sgd"]}, "Unknown optimizer ['sgd']: choose one of sgd, momentum, adam."),
    ],
)
def test_optimizer_settings_out_of_range_are_refused(kwargs, message):
    refused(lambda: OptimizerSettings(**kwargs), message)


def test_optimizer_settings_at_the_edges_are_taken():
    settings = OptimizerSettings("adam", lr=MAX_LR, betas=(0, 0.999999), eps=1e-300)
    assert settings.lr == 10.0 and settings.betas == (0.0, 0.999999)
    assert OptimizerSettings("momentum", lr=1e-12, momentum=0).momentum == 0.0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lr": 0}, "Learning rate must be above 0, got 0.0."),
        ({"lr": 0.1, "weight_decay": -1}, "Weight decay must be at least 0, got -1.0."),
        ({"lr": 0.1, "momentum": True}, "Momentum must be a number, got True."),
    ],
)
def test_the_optimizer_arithmetic_uses_the_same_words(options, message):
    refused(lambda: optim.sgd_step(np.ones(2), np.ones(2), **options), message)


def test_an_inspected_step_takes_at_most_max_step_examples():
    model = build_cnn(TINY)
    x = np.random.default_rng(0).random((MAX_STEP_EXAMPLES + 1, 1, 4, 4))
    y = np.arange(MAX_STEP_EXAMPLES + 1) % 2
    refused(
        lambda: inspected_step(model, x, y),
        f"One inspected step takes at most {MAX_STEP_EXAMPLES} examples, "
        f"got {MAX_STEP_EXAMPLES + 1}: use a smaller batch.",
    )
    record = inspected_step(model, x[:MAX_STEP_EXAMPLES], y[:MAX_STEP_EXAMPLES])
    assert record.probs.shape == (MAX_STEP_EXAMPLES, 2)


def _refused_step_script() -> None:
    """A page of its own: steps on a batch too large, and the notices they leave."""
    import numpy as np
    import streamlit as st

    from cnnexplain.model.backprop import OptimizerSettings, params_of
    from cnnexplain.model.history import StepHistory
    from cnnexplain.model.spec import CNNSpec, ConvBlock, build_cnn
    from cnnexplain.ui.backprop.views import Batch, Stepper, show_notices, take_steps

    spec = CNNSpec(
        in_channels=1,
        input_size=4,
        num_classes=2,
        conv_blocks=(ConvBlock(2, kernel_size=3, padding=1, pool=None),),
        dense=(),
    )
    model = build_cnn(spec)
    start = params_of(model)
    state = Stepper(key=("tiny",), model=model, history=StepHistory(start))
    batch = Batch(x=np.zeros((257, 1, 4, 4), np.float32), y=np.zeros(257, np.int64))
    take_steps(state, batch, OptimizerSettings(), 3)
    st.session_state["steps_taken"] = state.history.step_count
    show_notices(state)


def test_a_refused_step_is_shown_as_a_message_and_changes_nothing():
    at = AppTest.from_function(_refused_step_script, default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == [backprop_text.STEP_REFUSED]
    assert [t.value for t in at.text] == [
        f"One inspected step takes at most {MAX_STEP_EXAMPLES} examples, got 257: "
        "use a smaller batch."
    ]
    assert at.session_state["steps_taken"] == 0


# ---------------------------------------------------------------------------------------------
# Training


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "Epochs must be a whole number from 1 to 200, got 0."),
        ({"epochs": 201}, "Epochs must be a whole number from 1 to 200, got 201."),
        ({"epochs": 1.5}, "Epochs must be a whole number from 1 to 200, got 1.5."),
        ({"epochs": True}, "Epochs must be a whole number from 1 to 200, got True."),
        ({"epochs": "3"}, "Epochs must be a whole number from 1 to 200, got '3'."),
        ({"batch_size": 0}, "Batch size must be a whole number from 1 to 4096, got 0."),
        ({"batch_size": 4097}, "Batch size must be a whole number from 1 to 4096, got 4097."),
        ({"batch_size": 32.0}, "Batch size must be a whole number from 1 to 4096, got 32.0."),
        ({"lr": 0}, "Learning rate must be above 0 and at most 10, got 0.0."),
        ({"lr": 11}, "Learning rate must be above 0 and at most 10, got 11.0."),
        ({"lr": math.nan}, "Learning rate must be a finite number, got nan."),
        ({"lr": "0.1"}, "Learning rate must be a number, got '0.1'."),
        (
            {"optimizer": "rmsprop"},
            "Unknown optimizer 'rmsprop': choose one of sgd, momentum, adam.",
        ),
        ({"optimizer": None}, "Unknown optimizer None: choose one of sgd, momentum, adam."),
        ({"momentum": 1.0}, "Momentum must be at least 0 and below 1, got 1.0."),
        ({"momentum": "0.9"}, "Momentum must be a number, got '0.9'."),
        ({"seed": -1}, "The seed must be a whole number from 0 to 4294967295, got -1."),
        ({"seed": 2**32}, "The seed must be a whole number from 0 to 4294967295, got 4294967296."),
        ({"seed": 0.5}, "The seed must be a whole number from 0 to 4294967295, got 0.5."),
        ({"max_train": 0}, "max_train must be a whole number of at least 1, got 0."),
        ({"max_train": True}, "max_train must be a whole number of at least 1, got True."),
    ],
)
def test_train_config_out_of_range_is_refused(kwargs, message):
    refused(lambda: TrainConfig(**kwargs), message)


def test_train_config_at_the_edges_is_taken_as_plain_numbers():
    low = TrainConfig(epochs=1, batch_size=1, lr=1e-12, momentum=0, seed=0, max_train=1)
    high = TrainConfig(epochs=MAX_EPOCHS, batch_size=MAX_BATCH_SIZE, lr=10, seed=MAX_SEED)
    assert (low.epochs, low.batch_size, low.seed, low.max_train) == (1, 1, 0, 1)
    assert (high.epochs, high.batch_size, high.lr, high.seed) == (200, 4096, 10.0, 2**32 - 1)
    numpy = TrainConfig(epochs=np.int64(3), batch_size=np.int32(8), lr=np.float32(0.5))
    assert numpy == TrainConfig(epochs=3, batch_size=8, lr=0.5)
    assert type(numpy.epochs) is int and type(numpy.lr) is float


def test_a_batch_larger_than_the_training_set_is_refused():
    data = tiny_data(n_train=8)
    model = build_cnn(TINY)
    args = (data.x_train, data.y_train, data.x_test, data.y_test)
    refused(
        lambda: next(train(model, *args, TrainConfig(epochs=1, batch_size=9))),
        "The batch size is 9 but there are only 8 training samples: choose a batch size of at "
        "most 8.",
    )
    refused(
        lambda: next(train(model, *args, TrainConfig(epochs=1, batch_size=8, max_train=4))),
        "The batch size is 8 but there are only 4 training samples: choose a batch size of at "
        "most 4.",
    )
    records = list(train(model, *args, TrainConfig(epochs=1, batch_size=8)))
    assert [(r.step, r.samples_seen) for r in records] == [(1, 8)]


# ---------------------------------------------------------------------------------------------
# The comparison


@pytest.fixture(scope="module")
def tiny_models():
    experiment = Experiment("tiny", cnn=TINY, config=TrainConfig(epochs=1, batch_size=4))
    return {"CNN": build_cnn(experiment.cnn), "ANN": build_mlp(experiment.mlp)}


def test_an_experiment_whose_batch_is_larger_than_the_data_is_refused():
    data = tiny_data(n_train=8)
    experiment = Experiment("tiny", cnn=TINY, config=TrainConfig(batch_size=32))
    message = (
        "The batch size is 32 but there are only 8 training samples: choose a batch size of at "
        "most 8."
    )
    refused(lambda: check_data(experiment, data), message)
    refused(lambda: run_experiment(experiment, data), message)
    refused(lambda: data_efficiency(experiment, data), message)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"shifts": (-1,)}, f"Each shift must be a whole number from 0 to {MAX_SHIFT}, got -1."),
        ({"shifts": (1.5,)}, f"Each shift must be a whole number from 0 to {MAX_SHIFT}, got 1.5."),
        (
            {"shifts": (MAX_SHIFT + 1,)},
            "Each shift must be a whole number from 0 to 256, got 257.",
        ),
        ({"shifts": range(MAX_LEVELS + 1)}, "A curve takes at most 16 shifts, got more."),
        ({"shifts": 3}, "The shifts must be a list of numbers, got 3."),
        ({"angles": (181,)}, "Each angle must be at least 0 and at most 180, got 181.0."),
        ({"angles": (-10,)}, "Each angle must be at least 0 and at most 180, got -10.0."),
        ({"angles": (math.nan,)}, "Each angle must be a finite number, got nan."),
        ({"noise_levels": (-0.1,)}, "Each noise level must be at least 0, got -0.1."),
        ({"noise_levels": (math.inf,)}, "Each noise level must be a finite number, got inf."),
        ({"noise_levels": "0.1"}, "The noise levels must be a list of numbers, got '0.1'."),
        ({"fill": "edge"}, "Unknown fill 'edge': choose one of zero, border."),
        ({"seed": -1}, "The seed must be a whole number from 0 to 4294967295, got -1."),
    ],
)
def test_robustness_levels_out_of_range_are_refused(tiny_models, kwargs, message):
    data = tiny_data()
    refused(lambda: robustness_curves(tiny_models, data.x_test, data.y_test, **kwargs), message)


def test_robustness_levels_at_the_edges_are_taken(tiny_models):
    data = tiny_data()
    curves = robustness_curves(
        tiny_models,
        data.x_test,
        data.y_test,
        shifts=(0, MAX_SHIFT),
        angles=(0, MAX_ANGLE),
        noise_levels=[0.0] * (MAX_LEVELS - 1) + [5.0],
    )
    assert curves["shift"].levels == (0, MAX_SHIFT)
    assert curves["rotation"].levels == (0.0, 180.0)
    assert len(curves["noise"].levels) == MAX_LEVELS


def test_the_changes_themselves_refuse_nonsense():
    x = tiny_data().x_test
    refused(
        lambda: shift_images(x, 1.5, 0),
        f"The shift dx must be a whole number from -{MAX_SHIFT} to {MAX_SHIFT}, got 1.5.",
    )
    refused(lambda: rotate_images(x, math.nan), "The angle must be a finite number, got nan.")
    refused(
        lambda: rotate_images(x, 181), "The angle must be at least -180 and at most 180, got 181.0."
    )
    assert not shift_images(x, -MAX_SHIFT, MAX_SHIFT).any()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"sizes": range(1, MAX_SIZES + 2)},
            "A data-efficiency study takes at most 10 sizes, got more.",
        ),
        ({"sizes": (4, True)}, "Each size must be a whole number of examples, got True."),
        ({"sizes": 4}, "The sizes must be a list of counts, got 4."),
        ({"min_steps": 0}, f"min_steps must be a whole number from 1 to {MAX_MIN_STEPS}, got 0."),
        (
            {"min_steps": MAX_MIN_STEPS + 1},
            f"min_steps must be a whole number from 1 to {MAX_MIN_STEPS}, got {MAX_MIN_STEPS + 1}.",
        ),
        (
            {"report_every": 0},
            "report_every must be a whole number of steps, at least 1, or None; got 0.",
        ),
    ],
)
def test_data_efficiency_is_checked_before_any_training(kwargs, message):
    experiment = Experiment("tiny", cnn=TINY, config=TrainConfig(epochs=1, batch_size=4))
    # Refused on the call itself, not on the first record: a page learns of it at once.
    refused(lambda: data_efficiency(experiment, tiny_data(), **kwargs), message)


def test_data_efficiency_on_a_size_below_the_batch_trains_on_the_whole_size():
    data = tiny_data(n_train=8)
    experiment = Experiment("tiny", cnn=TINY, config=TrainConfig(epochs=1, batch_size=8))
    records = list(data_efficiency(experiment, data, sizes=(2, 8), min_steps=1))
    finals = [(r.size, r.record.step, r.record.samples_seen) for r in records if r.final]
    assert finals == [(2, 1, 2), (2, 1, 2), (8, 1, 8), (8, 1, 8)]


def test_a_run_refuses_a_bad_report_every_at_once():
    experiment = Experiment("tiny", cnn=TINY, config=TrainConfig(epochs=1, batch_size=4))
    refused(
        lambda: run_experiment(experiment, tiny_data(), report_every=2.5),
        "report_every must be a whole number of steps, at least 1, or None; got 2.5.",
    )


# ---------------------------------------------------------------------------------------------
# One input through the network (trace, saliency)


def test_inputs_beyond_the_largest_magnitude_are_refused():
    model = build_cnn(TINY)
    x = np.zeros((1, 4, 4), np.float32)
    x[0, 1, 2] = -MAX_INPUT_MAGNITUDE
    assert trace(model, x).stages[0].torch_out[0, 1, 2] == -1000.0
    x[0, 1, 2] = 1001
    refused(
        lambda: trace(model, x),
        "The input values must be between -1000 and 1000 (pictures here hold values from 0 "
        "to 1), got 1001.",
    )
    refused(
        lambda: check_input("a picture", TINY),
        "The input must be an array of numbers, got 'a picture'.",
    )


def test_grad_cam_quotes_an_unknown_layer_short():
    model = build_cnn(TINY)
    with pytest.raises(ValueError, match=r"^Grad-CAM works on a feature map: \['conv1'\] is not"):
        grad_cam(model, np.zeros((1, 4, 4), np.float32), layer=["conv1"])


# ---------------------------------------------------------------------------------------------
# The convolution lab (kernels)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"stride": 0}, "The stride must be a whole number from 1 to 8, got 0."),
        ({"stride": 9}, "The stride must be a whole number from 1 to 8, got 9."),
        ({"stride": 1.5}, "The stride must be a whole number from 1 to 8, got 1.5."),
        ({"stride": True}, "The stride must be a whole number from 1 to 8, got True."),
        ({"padding": -1}, "The padding must be a whole number from 0 to 8, got -1."),
        ({"padding": 10**6}, "The padding must be a whole number from 0 to 8, got 1000000."),
        ({"dilation": 0}, "The dilation must be a whole number from 1 to 8, got 0."),
        ({"dilation": "2"}, "The dilation must be a whole number from 1 to 8, got '2'."),
    ],
)
def test_lab_settings_out_of_range_are_refused(settings, message):
    image, kernel = np.zeros((8, 8)), np.ones((3, 3))
    full = {"stride": 1, "padding": 0, "dilation": 1} | settings
    refused(lambda: lab_convolve(image, kernel, **settings), message)
    refused(lambda: lab_window(image, kernel, 0, 0, **settings), message)
    refused(lambda: size_formula(8, 3, full["stride"], full["padding"], full["dilation"]), message)


def test_lab_pictures_and_kernels_too_large_are_refused():
    refused(
        lambda: lab_convolve(np.zeros((MAX_LAB_IMAGE + 1, 4)), np.ones((3, 3))),
        "The image may have at most 256 rows and 256 columns, got shape (257, 4).",
    )
    refused(
        lambda: lab_convolve(np.zeros((16, 16)), np.ones((1, MAX_LAB_KERNEL + 1))),
        "The kernel may have at most 11 rows and 11 columns, got shape (1, 12).",
    )
    refused(
        lambda: size_formula(0, 3, 1, 0, 1),
        "The picture size must be a whole number from 1 to 256, got 0.",
    )
    refused(
        lambda: size_formula(8, 12, 1, 0, 1),
        "The kernel size must be a whole number from 1 to 11, got 12.",
    )


def test_lab_settings_at_the_edges_are_taken():
    image = np.ones((MAX_LAB_IMAGE, MAX_LAB_IMAGE))
    kernel = np.ones((MAX_LAB_KERNEL, MAX_LAB_KERNEL))
    result = lab_convolve(
        image, kernel, stride=MAX_LAB_STRIDE, padding=MAX_LAB_PADDING, dilation=MAX_LAB_DILATION
    )
    # (256 + 2·8 − 8·(11 − 1) − 1) // 8 + 1 = 24
    assert result.output.shape == (24, 24) and result.rows.result == 24
    assert lab_convolve(np.ones((1, 1)), np.ones((1, 1)), 1, 0, 1).output.tolist() == [[1.0]]


# ---------------------------------------------------------------------------------------------
# Architectures (models)


@pytest.mark.parametrize("target", [0, -5, True, 2.5, math.nan, "1000"])
def test_a_parameter_budget_must_be_a_positive_count(target):
    with pytest.raises(ArchitectureError) as err:
        mlp_matching_budget(CNNSpec(), target_params=target)
    assert str(err.value) == (
        f"Hidden layers: The parameter budget must be a whole number of at least 1, got {target!r}."
    )


def test_an_architecture_error_quotes_a_huge_value_short():
    with pytest.raises(ArchitectureError) as err:
        ConvBlock(activation="x" * 100_000)
    assert len(str(err.value)) < 250
    assert str(err.value).startswith("Conv block: Activation 'xxxx")


# ---------------------------------------------------------------------------------------------
# Pages show a refusal as a message


def test_a_picture_the_network_refuses_is_explained_on_the_forward_page():
    at = app()
    at.switch_page("pages/forward.py").run()
    at.radio(key="input_source").set_value("upload").run()
    # What a tampered session could hold instead of a decoded upload.
    at.session_state["input_uploaded"] = {
        "wanted": ("tampered", True, 1, 28),
        "x": np.full((1, 28, 28), 5000.0, np.float32),
        "preview": np.zeros((8, 8, 3), np.uint8),
        "name": "tampered.png",
    }
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [forward_text.INPUT_REFUSED]
    assert at.text[-1].value == (
        "The input values must be between -1000 and 1000 (pictures here hold values from 0 to "
        "1), got 5000."
    )
    # The rest of the page waits for a picture it can use.
    assert forward_text.OVERVIEW_HEADER not in [h.value for h in at.subheader]


def zip_of_pictures(per_class: int) -> bytes:
    """A zip with `per_class` 28×28 pictures in each of the folders "up" and "across"."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(per_class):
            picture = np.zeros((28, 28), np.uint8)
            picture[4:24, 4 + 2 * i : 7 + 2 * i] = 255
            for folder, pixels in (("up", picture), ("across", np.ascontiguousarray(picture.T))):
                png = io.BytesIO()
                Image.fromarray(pixels).save(png, format="PNG")
                archive.writestr(f"{folder}/{i:02}.png", png.getvalue())
    return buffer.getvalue()


def test_the_compare_page_offers_no_batch_larger_than_the_learner_s_pictures():
    at = app()
    at.switch_page("pages/compare.py").run()
    assert at.number_input(key="cmp_batch").value == 32  # the built-in digits: the default
    at.radio(key="cmp_source").set_value("zip").run()
    at.file_uploader(key="cmp_zip").set_value(
        ("few.zip", zip_of_pictures(5), "application/zip")
    ).run()
    assert not at.exception and not at.error
    n_train = at.session_state["cmp_own_data"].report.n_train
    assert n_train < 32
    batch = at.number_input(key="cmp_batch")
    assert (batch.value, batch.max) == (n_train, n_train)
    assert at.button(key="cmp_run").disabled is False
