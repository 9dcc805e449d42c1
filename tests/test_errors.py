"""Errors a learner reads: each keeps its English message, carries a code and fields, and is
said in the learner's language by the UI."""

from __future__ import annotations

import importlib
import io
import re
import string
import warnings
import zipfile

import numpy as np
import pytest
from pagekit import app
from PIL import Image

from cnnexplain.core import checks, ops
from cnnexplain.core.errors import TEMPLATES, LearnerError
from cnnexplain.experiment.design import DataMismatch, Experiment, check_data
from cnnexplain.io import datasets
from cnnexplain.io.datasets import DatasetUnavailable, load_dataset
from cnnexplain.io.images import ImageError, load_image
from cnnexplain.io.modelfile import ModelFileError, import_model
from cnnexplain.io.userdata import UserDataError, load_image_folder_zip
from cnnexplain.model.backprop import OptimizerSettings
from cnnexplain.model.spec import ArchitectureError, CNNSpec, ConvBlock, MLPSpec
from cnnexplain.texts import language
from cnnexplain.training.train import TrainConfig, check_batch_size
from cnnexplain.ui.kit.errors import problem, say
from cnnexplain.ui.kit.language import LANGUAGE_KEY

# Every module that raises a learner's error, so that their codes are all in TEMPLATES.
RAISING = [
    "cnnexplain.core.checks",
    "cnnexplain.core.ops",
    "cnnexplain.model.spec",
    "cnnexplain.io.images",
    "cnnexplain.io.digit_prep",
    "cnnexplain.io.userdata",
    "cnnexplain.io.modelfile",
    "cnnexplain.io.datasets",
    "cnnexplain.training.train",
    "cnnexplain.experiment.design",
]
HEBREW_LETTER = re.compile("[\u05d0-\u05ea]")


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def messages(lang: str) -> dict[str, str]:
    module = "cnnexplain.texts.errors" if lang == "en" else f"cnnexplain.texts.{lang}.errors"
    return vars(importlib.import_module(module))["MESSAGES"]


def test_every_code_the_library_raises_has_a_sentence_in_each_language_with_its_fields():
    for name in RAISING:
        importlib.import_module(name)
    assert len(TEMPLATES) > 60
    for lang in language.LANGUAGES:
        said = messages(lang)
        assert set(said) == set(TEMPLATES), lang
        for code, template in TEMPLATES.items():
            assert fields_of(said[code]) == fields_of(template), (lang, code)
    assert messages("en") == TEMPLATES  # the pages' English is the library's


def hebrew(err: BaseException) -> str:
    with language.speaking(language.HEBREW):
        return say(err)


def raised(kind: type[Exception], make) -> Exception:
    with pytest.raises(kind) as info:
        make()
    return info.value


def assert_hebrew_with(err: BaseException, *values: object) -> str:
    words = hebrew(err)
    assert HEBREW_LETTER.search(words), words
    for value in values:
        assert str(value) in words, (value, words)
    return words


# --- architecture


def test_a_kernel_too_large_names_its_block_and_sizes_in_both_languages():
    err = raised(
        ArchitectureError,
        lambda: CNNSpec(conv_blocks=(ConvBlock(), ConvBlock(), ConvBlock(kernel_size=11))),
    )
    assert (err.code, err.place, err.layer) == ("arch.kernel_too_big", "block:3", "Conv block 3")
    assert err.fields == {"block": 3, "side": "9×9", "kernel": "11×11"}
    assert str(err).startswith("Conv block 3: After block 2 the map is 7×7 (9×9 with padding 1)")
    assert say(err) == str(err)
    words = assert_hebrew_with(err, "9×9", "11×11")
    assert words.startswith("בלוק קונבולוציה")


def test_a_block_setting_out_of_range_says_the_setting_in_the_learners_language():
    err = raised(ArchitectureError, lambda: ConvBlock(kernel_size=20))
    assert (err.code, err.place) == ("setting.whole_range", "block")
    assert err.fields == {"name": "The kernel size", "low": 1, "high": 11, "value": "20"}
    assert str(err) == "Conv block: The kernel size must be a whole number from 1 to 11, got 20."
    words = assert_hebrew_with(err, "20")
    assert "גודל המסנן" in words and "kernel size" not in words


def test_a_sigmoid_head_on_ten_classes_is_the_outputs_fault():
    err = raised(ArchitectureError, lambda: CNNSpec(head="sigmoid"))
    assert (err.code, err.place, err.fields) == ("arch.sigmoid_classes", "head", {"classes": 10})
    assert str(err).startswith("Output: A sigmoid head gives one probability")
    assert problem(err) == err.problem
    assert_hebrew_with(err, "10")


def test_too_many_hidden_layers_are_the_hidden_layers_fault():
    err = raised(ArchitectureError, lambda: MLPSpec(hidden=(8,) * 9))
    assert (err.code, err.place, err.fields) == (
        "arch.too_many_dense",
        "hidden",
        {"most": 8, "count": 9},
    )
    assert str(err) == "Hidden layers: At most 8 hidden layers are allowed, not 9: remove some."
    assert hebrew(err).startswith("שכבות נסתרות")


# --- settings


def test_a_learning_rate_out_of_range_is_said_in_both_languages():
    err = raised(ValueError, lambda: TrainConfig(lr=0.0))
    assert err.code == "setting.range.above.at_most"
    assert err.fields["name"] == "Learning rate" and err.fields["value"] == "0.0"
    assert str(err) == "Learning rate must be above 0 and at most 10, got 0.0."
    assert "קצב הלמידה" in assert_hebrew_with(err, "0.0", "10")


def test_an_optimizer_momentum_of_one_is_refused_with_its_bounds():
    err = raised(ValueError, lambda: OptimizerSettings(momentum=1.0))
    assert (err.code, err.fields["name"]) == ("setting.range.at_least.below", "Momentum")
    assert str(err) == "Momentum must be at least 0 and below 1, got 1.0."
    assert "המומנטום" in assert_hebrew_with(err, "1.0")


def test_a_whole_number_refused_keeps_the_value_it_got():
    err = raised(checks.SettingError, lambda: TrainConfig(epochs=0))
    assert (err.code, err.fields) == (
        "setting.whole_range",
        {"name": "Epochs", "low": 1, "high": err.fields["high"], "value": "0"},
    )
    assert_hebrew_with(err, "0")


def test_an_unknown_optimizer_schedule_or_augmentation_lists_the_choices_in_hebrew():
    err = raised(checks.SettingError, lambda: TrainConfig(optimizer="rmsprop"))
    assert (err.code, err.fields) == (
        "setting.unknown",
        {"name": "optimizer", "value": "'rmsprop'", "options": "sgd, momentum, adam"},
    )
    assert str(err) == "Unknown optimizer 'rmsprop': choose one of sgd, momentum, adam."
    assert "האופטימייזר" in assert_hebrew_with(err, "'rmsprop'", "sgd, momentum, adam")
    err = raised(checks.SettingError, lambda: OptimizerSettings(kind="rmsprop"))
    assert err.code == "setting.unknown" and err.fields["name"] == "optimizer"
    err = raised(checks.SettingError, lambda: TrainConfig(lr_schedule="step"))
    assert (err.code, err.fields["name"]) == ("setting.unknown", "learning-rate schedule")
    assert "קצב הלמידה" in assert_hebrew_with(err, "'step'", "constant, cosine")
    err = raised(checks.SettingError, lambda: TrainConfig(augment="rotate"))
    assert (err.code, err.fields["name"]) == ("setting.unknown_or_none", "augmentation")
    assert str(err).startswith("Unknown augmentation 'rotate': choose one of ")
    assert str(err).endswith(", or none.")
    assert "augmentation" in assert_hebrew_with(err, "'rotate'", err.fields["options"])


def test_adams_betas_that_are_not_a_pair_are_refused_in_both_languages():
    err = raised(checks.SettingError, lambda: OptimizerSettings(kind="adam", betas=(0.9,)))
    assert (err.code, err.fields) == (
        "setting.not_a_pair",
        {"name": "Adam's betas", "first": "beta1", "second": "beta2", "value": "(0.9,)"},
    )
    assert str(err) == "Adam's betas must be a pair (beta1, beta2), got (0.9,)."
    assert "Adam" in assert_hebrew_with(err, "beta1", "beta2", "(0.9,)")


def test_a_kernel_that_fits_nowhere_says_its_sizes_in_both_languages():
    x, w, b = np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)), np.zeros(1)
    err = raised(checks.NoOutputError, lambda: ops.conv2d_forward(x, w, b, 1, 0, 3))
    assert err.code == "conv.no_output"
    assert err.fields == {
        "out": "-2x-2",
        "kernel": "3x3",
        "dilation": 3,
        "span": "7x7",
        "size": "4x4",
        "padding": 0,
    }
    assert str(err).startswith("conv2d: output size would be -2x-2: a 3x3 kernel")
    words = assert_hebrew_with(err, "-2x-2", "3x3", "7x7", "4x4")
    assert "conv2d" not in words and "kernel" not in words


# --- uploads


def test_an_empty_or_unreadable_picture_is_said_in_both_languages():
    err = raised(ImageError, lambda: load_image(b""))
    assert (err.code, err.fields) == ("image.empty", {"formats": "PNG, JPEG, GIF, BMP or WebP"})
    assert str(err) == "The file is empty. Please choose a picture (PNG, JPEG, GIF, BMP or WebP)."
    assert_hebrew_with(err, "PNG, JPEG, GIF, BMP or WebP")
    err = raised(ImageError, lambda: load_image(b"not a picture at all"))
    assert err.code == "image.not_an_image"
    assert str(err) == "This file is not an image we can read (PNG, JPEG, GIF, BMP or WebP)."
    assert_hebrew_with(err)


def test_a_broken_zip_is_said_in_both_languages():
    err = raised(UserDataError, lambda: load_image_folder_zip(b"not a zip"))
    assert (err.code, err.fields) == ("zip.not_a_zip", {})
    assert str(err).startswith("This file is not a zip archive we can read.")
    assert "zip" in assert_hebrew_with(err)


def skipping_zip() -> bytes:
    """Two classes of five readable pictures each, beside a loose file, a twice-listed
    picture and a picture that is no picture."""
    png = io.BytesIO()
    Image.new("L", (8, 8), 128).save(png, format="PNG")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the duplicate name is the point
        for name in ("a", "b"):
            for i in range(5):
                archive.writestr(f"{name}/{i}.png", png.getvalue())
        archive.writestr("notes.txt", "loose")
        archive.writestr("a/0.png", png.getvalue())
        archive.writestr("b/broken.png", b"no picture")
    return out.getvalue()


def test_files_a_zip_leaves_out_give_their_reasons_in_the_learners_language():
    _, report = load_image_folder_zip(skipping_zip())
    reasons = {s.path: s for s in report.skipped}
    assert (reasons["notes.txt"].why.code, reasons["notes.txt"].reason) == (
        "skip.no_class",
        "not inside a class folder",
    )
    assert reasons["a/0.png"].why.code == "skip.twice"
    assert reasons["b/broken.png"].why.code == "image.not_an_image"
    for skipped in report.skipped:
        assert say(skipped.why) == skipped.reason
        assert_hebrew_with(skipped.why)
    assert hebrew(reasons["a/0.png"].why) == "מופיע פעמיים בארכיון"


def test_a_model_file_that_is_not_a_model_and_one_too_large():
    err = raised(ModelFileError, lambda: import_model(b"nothing"))
    assert (err.code, str(err)) == ("model.not_a_model", "This file is not a cnnexplain model.")
    assert_hebrew_with(err, "cnnexplain")
    err = ModelFileError("model.too_big", size="300", most=100)
    assert str(err) == "This file is 300 MB; a model file may be at most 100 MB."
    assert_hebrew_with(err, "300", "100")


def test_an_architecture_error_inside_a_model_file_is_said_whole_in_hebrew():
    inner = raised(ArchitectureError, lambda: CNNSpec(head="sigmoid"))
    err = ModelFileError("model.architecture", problem=inner)
    assert str(err) == f"The architecture in this file cannot be built: {inner}"
    words = hebrew(err)
    assert "Output" not in words and "פלט" in words


def test_an_online_data_set_offline_is_said_in_both_languages(monkeypatch, tmp_path):
    monkeypatch.setattr(datasets, "_server_answers", lambda *args: False)
    monkeypatch.setenv(datasets.CACHE_ENV, str(tmp_path))
    err = raised(DatasetUnavailable, lambda: load_dataset("mnist"))
    assert err.code == "data.unavailable"
    assert str(err) == (
        f"{err.fields['title']} could not be downloaded (no internet connection?). "
        "The built-in data sets still work."
    )
    assert_hebrew_with(err, err.fields["title"])


def test_an_error_without_a_code_is_shown_as_it_is():
    err = ValueError("plain words")
    assert say(err) == hebrew(err) == "plain words"
    assert isinstance(raised(ArchitectureError, lambda: CNNSpec(head="x")), LearnerError)


# --- pages in Hebrew


def hebrew_app():
    at = app()
    at.session_state[LANGUAGE_KEY] = language.HEBREW
    return at.run()


def test_an_impossible_architecture_is_refused_in_hebrew_beside_its_block(monkeypatch):
    from cnnexplain.texts.he import sidebar as he

    # Hebrew here too: the test's own copies of the widgets name their options (the data sets).
    monkeypatch.setattr(language, "_resolver", lambda: language.HEBREW)
    at = hebrew_app()
    at.number_input(key="arch_n_blocks").set_value(3).run()
    at.number_input(key="arch_b3_kernel").set_value(11)
    at.button(key=f"FormSubmitter:arch_form-{he.APPLY}").click().run()
    assert not at.exception
    assert at.session_state["arch_error"][0] == "block:3"
    # The block's number is kept left to right inside the Hebrew label.
    block3 = next(e for e in at.expander if e.label == he.BLOCK.format(i=language.isolate("3")))
    (error,) = block3.error
    assert "קטנה מדי" in error.value and "11×11" in error.value
    assert "kernel" not in error.value


def test_a_broken_upload_is_refused_in_hebrew(monkeypatch):
    from cnnexplain.texts.he import compare as he

    # The test's own copies of the widgets format their options too, outside any page run:
    # they must read Hebrew as well (monkeypatch gives the learner's resolver back after).
    monkeypatch.setattr(language, "_resolver", lambda: language.HEBREW)
    at = hebrew_app()
    at.switch_page("pages/compare.py").run()
    at.radio(key="cmp_source").set_value("zip").run()
    at.file_uploader(key="cmp_zip").set_value(("pets.zip", b"no zip here", "application/zip"))
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [he.ZIP_REFUSED]
    shown = [t.value for t in at.text][-1]
    assert shown.startswith("הקובץ הזה אינו ארכיון zip")


def test_a_kernel_that_fits_nowhere_in_the_lab_is_explained_in_hebrew(monkeypatch):
    monkeypatch.setattr(language, "_resolver", lambda: language.HEBREW)
    at = hebrew_app()
    at.switch_page("pages/conv_lab.py").run()
    settings = {"lab_toy_size": 4, "lab_padding": 0, "lab_kernel_size": 5, "lab_dilation": 4}
    for key, value in settings.items():
        kinds = (at.slider, at.number_input)
        next(w for widgets in kinds for w in widgets if w.key == key).set_value(value)
        at.run()
    assert not at.exception
    (detail,) = [c.value for c in at.caption if "-12x-12" in c.value]
    assert HEBREW_LETTER.search(detail), detail
    assert "kernel" not in detail and "conv2d" not in detail


def test_a_batch_larger_than_the_training_set_is_refused_in_both_languages():
    with pytest.raises(checks.SettingError) as caught:
        check_batch_size(TrainConfig(batch_size=32), 8)
    assert caught.value.code == "train.batch_too_big"
    assert str(caught.value) == (
        "The batch size is 32 but there are only 8 training samples: choose a batch size of at "
        "most 8."
    )
    with language.speaking("he"):
        said = say(caught.value)
    assert HEBREW_LETTER.search(said) and "\u206832\u2069" in said and "\u20688\u2069" in said
    with pytest.raises(checks.SettingError, match="There are no training samples"):
        check_batch_size(TrainConfig(), 0)


def test_data_the_compared_networks_cannot_read_is_said_in_both_languages():
    data = load_dataset("digits")
    experiment = Experiment("digits", cnn=CNNSpec(num_classes=3))
    with pytest.raises(DataMismatch) as caught:
        check_data(experiment, data)
    assert str(caught.value).startswith("The data set has 1×28×28 images in 10 classes but the ")
    with language.speaking("he"):
        said = say(caught.value)
    assert HEBREW_LETTER.search(said) and "\u20683\u2069" in said
    assert "\u20681×28×28\u2069" in said  # one isolate: the shape reads in its order
