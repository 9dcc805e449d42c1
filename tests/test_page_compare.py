"""The CNN-against-ANN page, driven headless with AppTest.

The numbers the page shows are checked against `result.finish` run here on the same settings:
the same seed and settings must give the same numbers. Training is kept short (one or two
epochs, large batches, or a zip of twenty small pictures).
"""

from __future__ import annotations

import io
import re
import zipfile

import numpy as np
import pytest
from pagekit import app, charts, decode, markdown_text
from PIL import Image

from cnnexplain.experiment.design import ANN, CNN, MODEL_NAMES, Experiment, fitted_cnn
from cnnexplain.experiment.jobs import COMPLETE, RUNNING, STOPPED, Comparison, Job
from cnnexplain.experiment.result import finish
from cnnexplain.experiment.robustness import robustness_curves
from cnnexplain.experiment.run import run_experiment
from cnnexplain.io.datasets import load_dataset
from cnnexplain.io.modelfile import NOT_A_MODEL, export_model
from cnnexplain.io.userdata import load_image_folder_zip
from cnnexplain.model.spec import CNNSpec, MLPSpec, build_mlp, count_parameters, mlp_matching_budget
from cnnexplain.texts import compare as text
from cnnexplain.training.train import TrainConfig, evaluate
from cnnexplain.ui.compare.state import STATE_KEY

PAGE = "pages/compare.py"
SHORT = TrainConfig(epochs=1, batch_size=128)  # about 12 steps of each network on the digits


def open_page():
    at = app(every_number=True)
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.title[0].value == text.TITLE
    return at


def set_training(at, config: TrainConfig) -> None:
    at.number_input(key="cmp_epochs").set_value(config.epochs)
    at.number_input(key="cmp_batch").set_value(config.batch_size).run()


def reference(dataset: str, data, cnn: CNNSpec, config: TrainConfig):
    """The same comparison, run here: the page's numbers must be these."""
    experiment = Experiment(dataset, cnn=cnn, mlp=mlp_matching_budget(cnn), config=config)
    run = run_experiment(experiment, data)
    for _ in run:
        pass
    curves = robustness_curves(run.models, data.x_test, data.y_test, seed=config.seed)
    return run, finish(run), curves


def summary(at) -> dict[str, dict]:
    """The side-by-side table as {network: {column: value}}."""
    table = next(df.value for df in at.dataframe if text.COL_ACC in df.value.columns)
    return {row[text.COL_MODEL]: row for row in table.to_dict("records")}


def titled(at, title: str) -> dict:
    found = [c for c in charts(at) if (c["layout"].get("title") or {}).get("text") == title]
    assert len(found) == 1, f"one chart titled {title!r}"
    return found[0]


def traces(chart: dict) -> dict[str, dict]:
    return {t["name"]: t for t in chart["data"]}


def info_text(at) -> str:
    return "\n".join(e.value for e in at.info)


def plain_texts(at) -> list[str]:
    return [t.value for t in at.text]


# ---------------------------------------------------------------------------------------------
# A short comparison on the built-in digits


@pytest.fixture(scope="module")
def digits_reference():
    """(result, robustness curves) of the short comparison, computed here."""
    _, result, curves = reference("digits", load_dataset("digits"), CNNSpec(), SHORT)
    return result, curves


def test_a_short_comparison_shows_both_curves_and_the_numbers_finish_computes(digits_reference):
    expected, curves = digits_reference
    at = open_page()
    assert at.button(key="cmp_run").disabled is False
    set_training(at, SHORT)
    at.button(key="cmp_run").click().run()
    assert not at.exception
    assert any(text.COMPLETE.format(epochs=1) == s.value for s in at.success)

    # Both networks' curves, training and held-out, in the chart data.
    loss = traces(titled(at, text.LOSS_TITLE))
    acc = traces(titled(at, text.ACC_TITLE))
    for name in MODEL_NAMES:
        assert len(decode(loss[f"{name} {text.TRAIN_PART}"]["y"])) >= 2
        held = decode(acc[f"{name} {text.HELD_OUT_PART}"]["y"])
        assert held.tolist() == [expected.models[name].test_acc]  # one epoch, one point
        held = decode(loss[f"{name} {text.HELD_OUT_PART}"]["y"])
        assert held.tolist() == [expected.models[name].test_loss]
        train_x = decode(loss[f"{name} {text.TRAIN_PART}"]["x"])
        assert train_x[-1] == 1.0  # the last training point closes the epoch
        # Each training point is the mean over the steps since the one before: weighted by
        # those steps' pictures, they add up to the epoch's mean.
        records = at.session_state[STATE_KEY].run.history[name]
        seen = np.diff([0] + [r.samples_seen for r in records])
        for part, measure in ((loss, "train_loss"), (acc, "train_acc")):
            recent = decode(part[f"{name} {text.TRAIN_PART}"]["y"])
            assert np.dot(recent, seen) / seen.sum() == pytest.approx(
                getattr(records[-1], measure), rel=1e-9
            )

    # The table shows exactly what result.finish computes on the same settings.
    shown = summary(at)
    for name in MODEL_NAMES:
        model = expected.models[name]
        assert shown[name][text.COL_ACC] == model.test_acc
        assert shown[name][text.COL_LOSS] == model.test_loss
        assert shown[name][text.COL_PARAMS] == model.total_params
        assert shown[name][text.COL_EPOCHS] == 1.0
    confusion = {c["layout"]["title"]["text"]: c for c in charts(at) if c["layout"].get("title")}
    for name in MODEL_NAMES:
        matrix = expected.models[name].confusion
        title = text.CONFUSION_TITLE.format(
            model=name, right=int(matrix.trace()), total=int(matrix.sum())
        )
        assert np.array_equal(decode(confusion[title]["data"][0]["z"]), matrix)

    # The explanation states these numbers, and names whoever got more right.
    found = info_text(at)
    cnn_acc, ann_acc = expected.models[CNN].test_acc, expected.models[ANN].test_acc
    assert f"the CNN got **{cnn_acc:.1%}** of the 360 held-out pictures right" in found
    assert f"the ANN **{ann_acc:.1%}**" in found
    gap = int(expected.models[CNN].confusion.trace() - expected.models[ANN].confusion.trace())
    if gap:
        winner = CNN if gap > 0 else ANN
        assert f"That is {abs(gap)} more pictures right for the {winner}" in found
    shift = curves["shift"]
    at3 = shift.levels.index(3)
    assert (
        f"Moved by 3 pixels, the same pictures: the CNN got {shift.accuracy[CNN][at3]:.1%} "
        f"right and the ANN {shift.accuracy[ANN][at3]:.1%}."
    ) in found
    robust = titled(at, text.ROBUST_TITLES["shift"])
    assert decode(traces(robust)["CNN"]["y"]).tolist() == list(shift.accuracy[CNN])
    assert decode(traces(robust)["ANN"]["y"]).tolist() == list(shift.accuracy[ANN])

    # Same seed, same settings: pressing the button again gives the same numbers.
    at.button(key="cmp_run").click().run()
    again = summary(at)
    for name in MODEL_NAMES:
        assert again[name][text.COL_ACC] == shown[name][text.COL_ACC]
        assert again[name][text.COL_LOSS] == shown[name][text.COL_LOSS]


# ---------------------------------------------------------------------------------------------
# Stopping keeps what was learned


class Interrupted(BaseException):
    """What Streamlit raises in a script run when the learner clicks: not an Exception."""


def interrupt_after(n: int):
    seen = []

    def on_record(record) -> None:
        seen.append(record)
        if len(seen) == n:
            raise Interrupted

    return on_record


def test_a_job_interrupted_and_stopped_keeps_every_record_and_goes_on_to_the_same_end():
    data = load_dataset("digits")
    config = TrainConfig(epochs=2, batch_size=128)
    experiment = Experiment("digits", config=config)
    comparison = Comparison.start(experiment, data, "digits", report_every=5)

    with pytest.raises(Interrupted):  # a click interrupts the script run after 3 records
        comparison.training.advance(interrupt_after(3))
    assert comparison.training.status == RUNNING and len(comparison.training.history) == 3
    with pytest.raises(Interrupted):  # the next run reads on, and is interrupted again
        comparison.training.advance(interrupt_after(2))
    assert [r.model for r in comparison.training.history] == [CNN, ANN, CNN, ANN, CNN]

    comparison.training.request_stop()  # the Stop button's callback
    comparison.training.advance()
    assert comparison.training.status == STOPPED and len(comparison.training.history) == 5
    assert comparison.needs_measuring
    comparison.measure()
    stopped = comparison.result
    assert not stopped.complete
    # 12 steps an epoch, a record every 5 steps and at the end of each epoch
    assert stopped.models[CNN].steps == 12 and stopped.models[ANN].steps == 10
    for name, model in comparison.run.models.items():
        assert stopped.models[name].test_acc == evaluate(model, data.x_test, data.y_test)[1]

    comparison.resume()
    assert comparison.result is None and comparison.training.status == RUNNING
    comparison.training.advance()
    assert comparison.training.status == COMPLETE
    comparison.measure()
    _, whole, _ = reference("digits", data, CNNSpec(), config)
    for name in MODEL_NAMES:
        assert comparison.result.models[name].test_acc == whole.models[name].test_acc
        assert comparison.result.models[name].test_loss == whole.models[name].test_loss


def test_a_stopped_comparison_shows_its_partial_results_marked_as_stopped():
    data = load_dataset("digits")
    config = TrainConfig(epochs=2, batch_size=128)
    comparison = Comparison.start(
        Experiment("digits", config=config), data, "Handwritten digits", report_every=5
    )
    with pytest.raises(Interrupted):
        comparison.training.advance(interrupt_after(4))
    comparison.training.request_stop()

    at = app(every_number=True)
    at.session_state[STATE_KEY] = comparison
    at.switch_page(PAGE).run()
    assert not at.exception
    assert comparison.training.status == STOPPED
    result = comparison.result
    assert not result.complete
    assert any(w.value == text.STOPPED.format(done=comparison.run.progress) for w in at.warning)
    epochs = comparison.epochs_done()
    assert text.FIND_STOPPED.format(
        cnn_epochs=epochs[CNN], ann_epochs=epochs[ANN], epochs=2
    ) in info_text(at)
    shown = summary(at)
    for name in MODEL_NAMES:
        assert shown[name][text.COL_ACC] == result.models[name].test_acc
        assert shown[name][text.COL_EPOCHS] == pytest.approx(epochs[name])
    assert at.button(key="cmp_resume").label == text.RESUME

    at.button(key="cmp_resume").click().run()  # go on to the planned two epochs
    assert not at.exception
    assert comparison.training.status == COMPLETE and comparison.result.complete
    _, whole, _ = reference("digits", data, CNNSpec(), config)
    again = summary(at)
    for name in MODEL_NAMES:
        assert again[name][text.COL_ACC] == whole.models[name].test_acc


def test_a_comparison_stopped_before_its_first_step_still_shows_the_untrained_networks():
    data = load_dataset("digits")
    comparison = Comparison.start(
        Experiment("digits", config=SHORT), data, "Handwritten digits", report_every=5
    )
    comparison.training.request_stop()
    at = app(every_number=True)
    at.session_state[STATE_KEY] = comparison
    at.switch_page(PAGE).run()
    assert not at.exception
    shown = summary(at)
    for name in MODEL_NAMES:
        assert shown[name][text.COL_EPOCHS] == 0.0
        assert shown[name][text.COL_RATE] is None or np.isnan(shown[name][text.COL_RATE])
        model = comparison.run.models[name]
        assert shown[name][text.COL_ACC] == evaluate(model, data.x_test, data.y_test)[1]
    assert any(w.value == text.STOPPED.format(done=0.0) for w in at.warning)


# ---------------------------------------------------------------------------------------------
# The learner's own pictures


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def bars(n: int = 10) -> dict[str, bytes]:
    """n pictures of a vertical bar and n of a horizontal one, at different places."""
    files = {}
    for i in range(n):
        picture = np.zeros((28, 28), dtype=np.uint8)
        picture[4:24, 4 + 2 * i : 7 + 2 * i] = 255
        files[f"up/{i:02}.png"] = png(picture)
        files[f"across/{i:02}.png"] = png(np.ascontiguousarray(picture.T))
    return files


def make_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def choose_zip(at, name: str, content: bytes) -> None:
    at.radio(key="cmp_source").set_value("zip").run()
    at.file_uploader(key="cmp_zip").set_value((name, content, "application/zip")).run()
    assert not at.exception


def test_hostile_or_broken_archives_show_a_clear_message_and_the_page_keeps_working():
    at = open_page()
    at.radio(key="cmp_source").set_value("zip").run()
    assert text.ZIP_WAITING in info_text(at)
    assert at.button(key="cmp_run").disabled

    choose_zip(at, "pets.zip", b"these bytes are not a zip archive at all")
    assert [e.value for e in at.error] == [text.ZIP_REFUSED]
    assert plain_texts(at)[-1].startswith("This file is not a zip archive we can read.")
    assert at.button(key="cmp_run").disabled

    climbing = make_zip({"../evil.png": png(np.zeros((8, 8), np.uint8)), **bars(5)})
    choose_zip(at, "climb.zip", climbing)
    assert [e.value for e in at.error] == [text.ZIP_REFUSED]
    assert (
        'The archive is refused: the entry "../evil.png" climbs out of the archive'
        in (plain_texts(at)[-1])
    )

    # Names from the archive are shown as plain text, never as Markdown or HTML.
    odd = "**bold** <img src=x onerror=alert(1)>"
    files = {**bars(5), f"{odd}/**not** a <b>picture.png": b"not a picture"}
    for i in range(5):
        files[f"{odd}/{i}.png"] = png(np.full((8, 8), 128, np.uint8))
    choose_zip(at, "names.zip", make_zip(files))
    assert not at.error
    tables = [df.value for df in at.dataframe]
    assert odd in tables[0][text.COL_CLASS].tolist()
    assert tables[1][text.COL_FILE].tolist() == [f"{odd}/**not** a <b>picture.png"]
    assert "<img" not in markdown_text(at) and "**not**" not in markdown_text(at)
    assert at.button(key="cmp_run").disabled is False

    at.radio(key="cmp_source").set_value("sidebar").run()  # back to the built-in data
    assert not at.exception and not at.error
    assert at.button(key="cmp_run").disabled is False


@pytest.fixture(scope="module")
def trained_on_bars():
    """The page after training on twenty pictures of bars, two epochs."""
    archive = make_zip(bars())
    at = open_page()
    choose_zip(at, "bars.zip", archive)
    assert at.success[0].value == text.ZIP_READ.format(n=20, k=2, n_train=16, n_test=4)
    set_training(at, TrainConfig(epochs=2, batch_size=8))
    at.button(key="cmp_run").click().run()
    assert not at.exception
    return at, archive


def test_own_pictures_train_both_networks_like_compare_does(trained_on_bars):
    at, archive = trained_on_bars
    data, _ = load_image_folder_zip(archive, name=text.OWN_DATA_KEY)
    cnn = fitted_cnn(CNNSpec(), data)
    assert cnn.num_classes == 2 and cnn.head == "softmax"
    _, expected, _ = reference(text.OWN_DATA_KEY, data, cnn, TrainConfig(epochs=2, batch_size=8))
    shown = summary(at)
    for name in MODEL_NAMES:
        assert shown[name][text.COL_ACC] == expected.models[name].test_acc
        assert shown[name][text.COL_PARAMS] == expected.models[name].total_params
    assert f"On {text.OWN_DATA_TITLE}, the CNN got" in info_text(at)
    assert {b.label for b in at.get("download_button")} == {
        text.DOWNLOAD_MODEL.format(model=CNN),
        text.DOWNLOAD_MODEL.format(model=ANN),
        text.DOWNLOAD_CSV,
    }


def test_data_efficiency_trains_fresh_networks_on_a_button(trained_on_bars):
    at, _ = trained_on_bars
    comparison = at.session_state[STATE_KEY]
    assert comparison.efficiency_sizes_for() == (16,)  # the whole training set is 16 pictures
    at.button(key="cmp_efficiency").click().run()
    assert not at.exception
    assert comparison.efficiency.status == COMPLETE
    curves = comparison.efficiency_curves()
    efficiency = traces(titled(at, text.EFFICIENCY_HEADER))
    for name in MODEL_NAMES:
        ((size, acc),) = curves[name]
        assert size == 16
        assert decode(efficiency[name]["y"]).tolist() == [acc]
    # The log axis is labelled at the measured size only, not at plotly's crowded 2, 3, 5 ...
    axis = titled(at, text.EFFICIENCY_HEADER)["layout"]["xaxis"]
    assert axis["type"] == "log" and axis["tickmode"] == "array"
    assert (axis["tickvals"], axis["ticktext"]) == ([16], ["16"])
    assert text.FIND_EFFICIENCY_ONE.format(
        small=16, cnn=curves[CNN][0][1], ann=curves[ANN][0][1]
    ) in info_text(at)


def test_a_model_downloaded_from_the_page_loads_back_with_its_accuracy(trained_on_bars):
    at, archive = trained_on_bars
    comparison = at.session_state[STATE_KEY]
    data = comparison.data
    for name, kind in ((CNN, "CNN"), (ANN, "ANN")):
        model = comparison.run.models[name]
        at.file_uploader(key="cmp_model_upload").set_value(
            (f"cnnexplain-{name.lower()}.pt", export_model(model), "application/octet-stream")
        ).run()
        assert not at.exception
        acc = comparison.result.models[name].test_acc
        loaded = text.MODEL_LOADED.format(
            kind=kind,
            params=count_parameters(model),
            acc=acc,
            n_test=len(data.x_test),
            data=text.OWN_DATA_TITLE,
        )
        assert loaded in markdown_text(at)


def test_a_bad_model_file_shows_the_message_and_one_for_other_pictures_says_why():
    at = open_page()
    at.file_uploader(key="cmp_model_upload").set_value(
        ("model.pt", b"\x00" * 500, "application/octet-stream")
    ).run()
    assert not at.exception
    assert [e.value for e in at.error] == [text.MODEL_REFUSED]
    assert plain_texts(at)[-1] == NOT_A_MODEL

    colour = build_mlp(MLPSpec(in_channels=3, hidden=(8,)), seed=0)
    at.file_uploader(key="cmp_model_upload").set_value(
        ("colour.pt", export_model(colour), "application/octet-stream")
    ).run()
    assert not at.exception and not at.error
    assert at.warning[-1].value == text.MODEL_DOES_NOT_FIT.format(
        kind="ANN",
        channels=3,
        size=28,
        classes=10,
        data_channels=1,
        data_size=28,
        data_classes=10,
    )


def test_job_reads_to_the_end_and_ignores_a_late_stop():
    job = Job(iter(range(4)))
    seen = []
    job.advance(seen.append)
    assert seen == [0, 1, 2, 3] and job.history == seen and job.status == COMPLETE
    job.request_stop()
    job.resume()
    assert job.status == COMPLETE


def test_the_settings_are_kept_while_the_learner_visits_other_pages():
    at = open_page()
    at.number_input(key="cmp_epochs").set_value(3)
    at.number_input(key="cmp_batch").set_value(64)
    at.number_input(key="cmp_seed").set_value(7)
    at.checkbox(key="cmp_match").uncheck().run()
    at.switch_page("pages/home.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.number_input(key="cmp_epochs").value == 3
    assert at.number_input(key="cmp_batch").value == 64
    assert at.number_input(key="cmp_seed").value == 7
    assert at.checkbox(key="cmp_match").value is False


# ---------------------------------------------------------------------------------------------
# What stays on the page once training is over


def page_words(at) -> str:
    boxes = [*at.info, *at.success, *at.warning]
    return "\n".join([markdown_text(at), *(b.value for b in boxes)])


def test_a_finished_run_leaves_no_progress_bar_and_whole_epochs_as_whole_numbers(trained_on_bars):
    at, _ = trained_on_bars
    assert not at.exception
    assert not at.get("progress")
    assert [s.value for s in at.success if s.value.startswith("Both")] == [
        text.COMPLETE.format(epochs=2)
    ]
    table = next(df.value for df in at.dataframe if text.COL_EPOCHS in df.value.columns)
    assert table[text.COL_EPOCHS].dtype.kind == "i"
    assert table[text.COL_EPOCHS].tolist() == [2, 2]
    # The page stands on its own: it speaks of no article or series the learner has not seen.
    words = page_words(at)
    assert text.CURVES_EXPLAIN in words and text.STORY in words
    assert "series" not in words.lower()


def test_finished_data_efficiency_runs_leave_no_progress_bar(trained_on_bars):
    at, _ = trained_on_bars
    at.button(key="cmp_efficiency").click().run()
    assert not at.exception
    assert at.session_state[STATE_KEY].efficiency.status == COMPLETE
    assert not at.get("progress")


def test_epochs_part_way_are_cut_to_a_tenth_and_whole_ones_are_whole_numbers():
    data = load_dataset("digits")
    config = TrainConfig(epochs=2, batch_size=128)  # 12 steps an epoch
    comparison = Comparison.start(
        Experiment("digits", config=config), data, "Handwritten digits", report_every=5
    )
    with pytest.raises(Interrupted):  # CNN at steps 5, 10, 12; ANN at 5, 10
        comparison.training.advance(interrupt_after(5))
    comparison.training.request_stop()
    epochs = comparison.epochs_done()
    assert epochs == {CNN: 1, ANN: 0.8}  # 10 of 12 steps is 0.83 of an epoch
    assert type(epochs[CNN]) is int

    at = app(every_number=True)
    at.session_state[STATE_KEY] = comparison
    at.switch_page(PAGE).run()
    assert not at.exception
    assert not at.get("progress")
    shown = summary(at)
    assert (shown[CNN][text.COL_EPOCHS], shown[ANN][text.COL_EPOCHS]) == (1, 0.8)
    assert "the CNN trained 1 and the ANN 0.8 of 2 epochs" in info_text(at)


def test_the_work_one_picture_costs_each_network_is_said_beside_the_parameters():
    from cnnexplain.model.cost import multiply_adds
    from cnnexplain.training.store import DEFAULT_SPEC

    at = open_page()
    work = re.compile(
        r"the CNN does ([\d,]+) multiply-adds, the ANN ([\d,]+) \((\d+\.\d\d) times the CNN's\)"
    )
    for ann in (mlp_matching_budget(DEFAULT_SPEC), MLPSpec(hidden=(32, 16))):
        if ann.hidden == (32, 16):
            at.checkbox(key="cmp_match").uncheck().run()
            at.text_input(key="cmp_ann_widths").set_value("32, 16").run()
        assert not at.exception
        found = work.search(markdown_text(at))
        assert found, markdown_text(at)
        cnn_macs, ann_macs = (int(found.group(k).replace(",", "")) for k in (1, 2))
        assert (cnn_macs, ann_macs) == (multiply_adds(DEFAULT_SPEC), multiply_adds(ann))
        assert float(found.group(3)) == pytest.approx(ann_macs / cnn_macs, abs=0.005)
    assert text.WORK_WHY in [c.value for c in at.caption]
