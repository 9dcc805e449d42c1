"""The sections of the CNN-against-ANN page.

The learner's comparison (`compare_jobs.Comparison`) lives in their session under STATE_KEY;
their own zip of pictures, once read, under OWN_DATA_KEY. Training runs inside the script run
(see `compare_jobs`): `live_training` reads the run on, drawing a progress bar and both
learning curves as it goes, until it ends or the learner presses Stop; then the page reruns
once, to draw the buttons and results as they now are.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from cnnexplain.experiment.design import (
    ANN,
    CNN,
    COMPARE_TRAINING,
    MODEL_NAMES,
    Experiment,
    check_data,
    fitted_cnn,
)
from cnnexplain.experiment.efficiency import DEFAULT_MIN_STEPS
from cnnexplain.experiment.first_layer import first_layer_images
from cnnexplain.experiment.jobs import STOPPED, Comparison
from cnnexplain.experiment.report import comparison_csv
from cnnexplain.experiment.result import ComparisonResult
from cnnexplain.experiment.robustness import RobustnessCurve
from cnnexplain.figures import compare as cmpfig
from cnnexplain.io.datasets import DATASETS, Dataset
from cnnexplain.io.modelfile import (
    MAX_MODEL_BYTES,
    ModelFileError,
    export_model,
    import_model,
)
from cnnexplain.io.userdata import (
    MAX_ARCHIVE_BYTES,
    UserDataError,
    ZipReport,
    limit_fields,
    load_image_folder_zip,
)
from cnnexplain.model.spec import ArchitectureError, CNNSpec, MLPSpec, mlp_matching_budget
from cnnexplain.model.spec import count_parameters as count
from cnnexplain.texts import compare as text
from cnnexplain.training.train import (
    MAX_BATCH_SIZE,
    MAX_EPOCHS,
    OPTIMIZER_KINDS,
    TrainConfig,
    evaluate,
)
from cnnexplain.ui.compare import findings
from cnnexplain.ui.kit import resources, session
from cnnexplain.ui.kit.sidebar import parse_widths
from cnnexplain.ui.kit.widgets import problem, recall, remember

ZIP_UPLOAD_MB = MAX_ARCHIVE_BYTES // 2**20  # the upload box refuses larger files itself
MODEL_UPLOAD_MB = MAX_MODEL_BYTES // 2**20

STATE_KEY = "cmp_comparison"
OWN_DATA_KEY = "cmp_own_data"
LOADED_MODEL_KEY = "cmp_loaded_model"
# Steps of one network between two records. Five steps of the default CNN take a few tenths of
# a second on a shared two-core machine, so the curves grow several times a second.
REPORT_EVERY = 5
REDRAW_SECONDS = 0.5  # the curves are redrawn at most this often (the progress bar every record)
LOCK_WAIT_SECONDS = 30  # how long a script run waits for the one it interrupted to let go
LR_CHOICES = tuple(sorted({1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, COMPARE_TRAINING.lr}))
MAX_SEED = 1_000_000
MAX_ANN_DEPTH = 3
MAX_EXAMPLES = 12  # pictures shown of those only one network gets wrong
MAX_ANN_UNITS = 24  # ANN first-layer neurons drawn
MAX_KERNELS = 32  # CNN first-layer kernels drawn
TITLE_CHARS = 10  # class names longer than this are cut short above a small picture


@dataclass(frozen=True, eq=False)
class DataChoice:
    """The pictures both networks learn, and the CNN that reads them."""

    data: Dataset  # shared and read-only, or the learner's own
    key: str  # the data set's name in the experiment and in the exported numbers
    title: str  # how sentences name it
    cnn: CNNSpec  # the sidebar's network, its output fitted to these classes
    own: bool  # True for the learner's zip


@dataclass(frozen=True, eq=False)
class OwnData:
    """The learner's zip as it was read: a data set, or the reason it cannot be one."""

    file_id: str  # the upload it came from
    shape: tuple[int, int]  # (channels, size) it was read at
    data: Dataset | None
    report: ZipReport | None
    error: str | None


def comparison() -> Comparison | None:
    """The learner's comparison, if they have started one."""
    return st.session_state.get(STATE_KEY)


# ---------------------------------------------------------------------------------------------
# 1. The data


def data_source() -> DataChoice | None:
    """Choose the sidebar's data set or upload a zip; None while there is nothing to learn."""
    spec = session.current_spec()
    key = session.current_dataset_key()
    title = DATASETS[key].title
    recall("cmp_source", next(iter(text.SOURCE_OPTIONS)))
    source = remember(
        "cmp_source",
        st.radio(
            text.SOURCE,
            list(text.SOURCE_OPTIONS),
            format_func=lambda option: text.SOURCE_OPTIONS[option].format(title=title),
            key="cmp_source",
        ),
    )
    if source == "sidebar":
        data = resources.dataset(key)
        st.caption(
            text.SIDEBAR_DATA.format(
                description=data.description,
                n_train=len(data.x_train),
                n_test=len(data.x_test),
            )
        )
        return DataChoice(data, key, title, spec, own=False)

    st.caption(text.ZIP_HOW.format(channels=spec.in_channels, size=spec.input_size))
    st.caption(text.ZIP_LIMITS.format(**limit_fields()))
    upload = st.file_uploader(
        text.ZIP_UPLOAD, type=["zip"], max_upload_size=ZIP_UPLOAD_MB, key="cmp_zip"
    )
    if upload is None:
        st.info(text.ZIP_WAITING)
        return None
    own = _read_zip(upload.file_id, upload.getvalue(), spec.in_channels, spec.input_size)
    if own.error is not None:
        problem(text.ZIP_REFUSED, own.error)
    else:
        report = own.report
        st.success(
            text.ZIP_READ.format(
                n=sum(report.counts),
                k=len(report.class_names),
                n_train=report.n_train,
                n_test=report.n_test,
            )
        )
    if own.report is not None:
        _show_report(own.report)
    if own.data is None:
        return None
    return DataChoice(
        own.data, text.OWN_DATA_KEY, text.OWN_DATA_TITLE, fitted_cnn(spec, own.data), own=True
    )


def _read_zip(file_id: str, raw: bytes, channels: int, size: int) -> OwnData:
    """The upload read once per file and picture shape, then kept in the session."""
    kept: OwnData | None = st.session_state.get(OWN_DATA_KEY)
    if kept is not None and kept.file_id == file_id and kept.shape == (channels, size):
        return kept
    bar = st.progress(0.0)

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=text.ZIP_READING.format(done=done, total=total))

    try:
        data, report = load_image_folder_zip(
            raw, channels=channels, size=size, name=text.OWN_DATA_KEY, on_progress=progress
        )
        own = OwnData(file_id, (channels, size), data, report, None)
    except UserDataError as err:
        own = OwnData(file_id, (channels, size), None, err.report, str(err))
    bar.empty()
    st.session_state[OWN_DATA_KEY] = own
    return own


def _show_report(report: ZipReport) -> None:
    """Classes and skipped files as tables: names from the archive stay plain text."""
    st.caption(text.ZIP_CLASSES)
    st.dataframe(
        pd.DataFrame({text.COL_CLASS: report.class_names, text.COL_PICTURES: report.counts}),
        hide_index=True,
    )
    if report.skipped:
        with st.expander(text.ZIP_SKIPPED.format(n=len(report.skipped))):
            st.dataframe(
                pd.DataFrame(
                    {
                        text.COL_FILE: [s.path for s in report.skipped],
                        text.COL_REASON: [s.reason for s in report.skipped],
                    }
                ),
                hide_index=True,
            )
    if report.ignored:
        st.caption(text.ZIP_IGNORED.format(n=report.ignored))


# ---------------------------------------------------------------------------------------------
# 2. The networks and 3. the training settings


@dataclass(frozen=True)
class Networks:
    cnn: CNNSpec
    mlp: MLPSpec
    match_budget: bool


def networks(choice: DataChoice) -> Networks | None:
    """Show the CNN, and choose the ANN; None (with the reason shown) when it cannot be built."""
    cnn = choice.cnn
    left, right = st.columns(2)
    with left:
        st.markdown(
            text.CNN_LINE.format(
                blocks=len(cnn.conv_blocks),
                filters=", ".join(str(b.filters) for b in cnn.conv_blocks),
                dense=", ".join(str(w) for w in cnn.dense) or text.NO_DENSE,
                params=count(cnn),
            )
        )
        if choice.own and cnn != session.current_spec():
            st.caption(text.CNN_REFITTED.format(classes=cnn.num_classes))
    with right:
        recall("cmp_match", True)
        match = remember(
            "cmp_match", st.checkbox(text.MATCH, key="cmp_match", help=text.MATCH_HELP)
        )
        if match:
            recall("cmp_ann_depth", 1)
            depth = remember(
                "cmp_ann_depth",
                st.number_input(
                    text.DEPTH, 1, MAX_ANN_DEPTH, key="cmp_ann_depth", help=text.DEPTH_HELP
                ),
            )
            mlp = mlp_matching_budget(cnn, depth=int(depth))
        else:
            default = ", ".join(str(w) for w in mlp_matching_budget(cnn).hidden)
            typed = st.text_input(text.WIDTHS, default, key="cmp_ann_widths", help=text.WIDTHS_HELP)
            widths = parse_widths(typed)
            if widths is None:
                st.error(text.WIDTHS_BAD)
                return None
            try:
                mlp = MLPSpec(
                    in_channels=cnn.in_channels,
                    input_size=cnn.input_size,
                    num_classes=cnn.num_classes,
                    hidden=widths,
                    activation=cnn.dense_activation,
                    head=cnn.head,
                )
            except ArchitectureError as err:
                problem(text.BAD_SETUP, str(err))
                return None
        st.markdown(
            text.ANN_LINE.format(
                widths=", ".join(str(w) for w in mlp.hidden) or text.NO_DENSE,
                params=count(mlp),
                ratio=count(mlp) / count(cnn),
            )
        )
    return Networks(cnn, mlp, match)


def training_settings(choice: DataChoice | None) -> TrainConfig | None:
    """Epochs, batch size, learning rate, optimizer and seed, shared by both networks.

    A batch holds at most the whole training set of the chosen pictures. None, with the
    reason shown, for settings the library refuses.
    """
    default = COMPARE_TRAINING
    n_train = MAX_BATCH_SIZE if choice is None else len(choice.data.x_train)
    most = max(1, min(MAX_BATCH_SIZE, n_train))
    columns = st.columns(5)
    for key, value in (
        ("cmp_epochs", default.epochs),
        ("cmp_batch", default.batch_size),
        ("cmp_lr", default.lr),
        ("cmp_optimizer", default.optimizer),
        ("cmp_seed", default.seed),
    ):
        recall(key, value)
    st.session_state["cmp_batch"] = min(int(st.session_state["cmp_batch"]), most)
    epochs = columns[0].number_input(
        text.EPOCHS, 1, MAX_EPOCHS, key="cmp_epochs", help=text.EPOCHS_HELP
    )
    batch = columns[1].number_input(text.BATCH, 1, most, key="cmp_batch", help=text.BATCH_HELP)
    lr = columns[2].select_slider(text.LR, options=LR_CHOICES, key="cmp_lr", help=text.LR_HELP)
    optimizer = columns[3].selectbox(
        text.OPTIMIZER,
        OPTIMIZER_KINDS,
        format_func=text.OPTIMIZER_NAMES.get,
        key="cmp_optimizer",
    )
    seed = columns[4].number_input(text.SEED, 0, MAX_SEED, key="cmp_seed", help=text.SEED_HELP)
    for key, value in (
        ("cmp_epochs", epochs),
        ("cmp_batch", batch),
        ("cmp_lr", lr),
        ("cmp_optimizer", optimizer),
        ("cmp_seed", seed),
    ):
        remember(key, value)
    try:
        return replace(
            default,
            epochs=int(epochs),
            batch_size=int(batch),
            lr=float(lr),
            optimizer=optimizer,
            seed=int(seed),
        )
    except ValueError as err:
        problem(text.TRAINING_REFUSED, str(err))
        return None


def experiment(
    choice: DataChoice | None, pair: Networks | None, config: TrainConfig | None
) -> Experiment | None:
    """The experiment the controls describe, or None with the reason shown."""
    if choice is None or pair is None or config is None:
        return None
    try:
        found = Experiment(
            choice.key,
            cnn=pair.cnn,
            mlp=pair.mlp,
            config=config,
            match_budget=pair.match_budget,
        )
        check_data(found, choice.data)
    except ValueError as err:
        problem(text.BAD_SETUP, str(err))
        return None
    return found


def run_buttons(planned: Experiment | None, choice: DataChoice | None) -> Comparison | None:
    """Train both / Stop / Continue; returns the learner's comparison."""
    current = comparison()
    busy = current is not None and current.busy
    row = st.container(horizontal=True, vertical_alignment="center")
    if row.button(text.RUN, key="cmp_run", type="primary", disabled=planned is None or busy):
        st.session_state[STATE_KEY] = Comparison.start(
            planned, choice.data, choice.title, report_every=REPORT_EVERY
        )
        st.rerun()  # draw the page again with the Stop button, then train
    if current is not None and current.training.running:
        row.button(
            text.STOP,
            key="cmp_stop",
            on_click=current.training.request_stop,
            help=text.STOP_HELP,
        )
    elif current is not None and current.training.status == STOPPED:
        row.button(
            text.RESUME,
            key="cmp_resume",
            on_click=current.resume,
            disabled=busy,
            help=text.RESUME_HELP,
        )
    if (
        current is not None
        and planned is not None
        and (planned != current.experiment or choice.data is not current.data)
    ):
        row.caption(text.SETTINGS_CHANGED)
    return current


# ---------------------------------------------------------------------------------------------
# 4. Learning, live


@contextmanager
def _holding(current: Comparison) -> Iterator[None]:
    """Hold the comparison's lock; if the interrupted run keeps it too long, try again later."""
    if not current.lock.acquire(timeout=LOCK_WAIT_SECONDS):
        st.info(text.BUSY)
        st.rerun()
    try:
        yield
    finally:
        current.lock.release()


def _progress_text(current: Comparison) -> str:
    epochs = {
        name: (records[-1].epoch if records else 0) for name, records in current.run.history.items()
    }
    return text.PROGRESS.format(
        cnn_epoch=epochs[CNN],
        ann_epoch=epochs[ANN],
        epochs=current.experiment.config.epochs,
        done=current.run.progress,
    )


def recent_means(records: list, per_epoch: int, measure: str) -> list[float]:
    """The training loss or accuracy over the steps since the record before, at each record.

    A record carries the mean over its epoch so far; the mean over the last few steps alone
    follows from two such means: (sum so far - sum before) / (pictures since). Drawn as the
    training curve, it shows where the network is now instead of averaging in the start of
    the epoch, and has no jump at the start of each epoch.
    """
    means, epoch, seen_before, sum_before = [], None, 0, 0.0
    for r in records:
        if r.epoch != epoch:
            epoch, seen_before, sum_before = r.epoch, 0, 0.0
        seen = r.samples_seen - (r.epoch - 1) * per_epoch  # pictures of this epoch so far
        total = getattr(r, measure) * seen
        means.append((total - sum_before) / (seen - seen_before))
        seen_before, sum_before = seen, total
    return means


def curve_figures(current: Comparison) -> tuple:
    """(loss figure, accuracy figure) of both networks' training so far."""
    per_epoch_steps = current.steps_per_epoch
    per_epoch = len(current.data.x_train)
    figures = []
    for measure, held, title, axis, percent in (
        ("train_loss", "test_loss", text.LOSS_TITLE, text.LOSS_AXIS, False),
        ("train_acc", "test_acc", text.ACC_TITLE, text.ACC_AXIS, True),
    ):
        train, held_out = {}, {}
        for name in MODEL_NAMES:
            records = list(current.run.history[name])
            train[name] = (
                [r.step / per_epoch_steps for r in records],
                recent_means(records, per_epoch, measure),
            )
            ends = [r for r in records if r.kind == "epoch"]
            held_out[name] = ([r.epoch for r in ends], [getattr(r, held) for r in ends])
        figures.append(
            cmpfig.learning_curves(
                train,
                held_out,
                title=title,
                x_title=text.EPOCH_AXIS,
                y_title=axis,
                train_label=text.TRAIN_PART,
                held_out_label=text.HELD_OUT_PART,
                percent=percent,
            )
        )
    return tuple(figures)


def live_training(current: Comparison | None, slot) -> None:
    """The progress and both learning curves; trains on while the comparison is running."""
    if current is None:
        slot.caption(text.WAITING)
        return
    with slot.container():
        st.subheader(text.LIVE_HEADER)
        # The progress bar shows only while training runs; then `status` says how it ended.
        progress = st.empty()
        status = st.empty()
        loss_slot, acc_slot = (column.empty() for column in st.columns(2))
        st.caption(text.CURVES_EXPLAIN)
        drawn = {"count": 0, "at": 0.0}

        def draw_curves() -> None:
            drawn["count"] += 1
            loss, acc = curve_figures(current)
            loss_slot.plotly_chart(loss, key=f"cmp_loss_{drawn['count']}")
            acc_slot.plotly_chart(acc, key=f"cmp_acc_{drawn['count']}")
            drawn["at"] = time.monotonic()

        draw_curves()
        if current.training.running:
            bar = progress.progress(min(1.0, current.run.progress), text=_progress_text(current))
            status.caption(text.RUNNING_NOTE)

            def on_record(record) -> None:
                bar.progress(min(1.0, record.progress), text=_progress_text(current))
                if time.monotonic() - drawn["at"] >= REDRAW_SECONDS:
                    draw_curves()

            with _holding(current):
                current.advance_training(on_record)
                progress.empty()
                if current.needs_measuring:
                    with st.spinner(text.MEASURING):
                        current.measure()
            st.rerun()  # the buttons and the results, as they now are
        if current.needs_measuring:  # e.g. stopped before this run could measure it
            with _holding(current), st.spinner(text.MEASURING):
                if current.needs_measuring:
                    current.measure()
        if current.result is not None and not current.result.complete:
            status.warning(text.STOPPED.format(done=current.run.progress))
        elif current.result is not None:
            status.success(text.COMPLETE.format(epochs=current.experiment.config.epochs))


# ---------------------------------------------------------------------------------------------
# 5. What this run found


def summary_table(result: ComparisonResult, epochs_done: dict[str, int | float]) -> pd.DataFrame:
    """One row per network: size, training, and how it does on the held-out pictures."""
    rows = [result.models[name] for name in MODEL_NAMES]
    return pd.DataFrame(
        {
            text.COL_MODEL: list(MODEL_NAMES),
            text.COL_PARAMS: [m.total_params for m in rows],
            text.COL_EPOCHS: [epochs_done[m.name] for m in rows],
            text.COL_SECONDS: [m.train_seconds for m in rows],
            text.COL_RATE: [
                round(m.samples_per_second) if math.isfinite(m.samples_per_second) else None
                for m in rows
            ],
            text.COL_ACC: [m.test_acc for m in rows],
            text.COL_LOSS: [m.test_loss for m in rows],
        }
    )


SUMMARY_FORMAT = {
    text.COL_PARAMS: st.column_config.NumberColumn(format="localized"),
    # No format: whole epochs show as whole numbers, part of one with its tenth (epochs_done).
    text.COL_EPOCHS: st.column_config.NumberColumn(),
    text.COL_SECONDS: st.column_config.NumberColumn(format="%.1f"),
    text.COL_RATE: st.column_config.NumberColumn(format="localized"),
    text.COL_ACC: st.column_config.NumberColumn(format="percent"),
    text.COL_LOSS: st.column_config.NumberColumn(format="%.4f"),
}


def results(current: Comparison | None, slot) -> None:
    """The findings, side by side: sizes, speed, accuracy, mistakes; and the downloads."""
    # A click on Continue drops the measurements while an interrupted run may still be drawing
    # them: every section below reads the ones this run started with.
    result = current.result if current is not None else None
    robustness = current.robustness if current is not None else None
    if result is None:
        return
    with slot.container():
        st.subheader(text.RESULTS_HEADER)
        epochs_done = current.epochs_done()
        sentences = findings.accuracy_sentences(
            result, current.data_title, epochs_done, current.experiment.config.epochs
        )
        for extra in (
            findings.shift_sentence(robustness),
            findings.speed_sentence(result),
        ):
            if extra is not None:
                sentences.append(extra)
        st.info(" ".join(sentences))

        st.markdown(f"**{text.SUMMARY_HEADER}**")
        st.dataframe(
            summary_table(result, epochs_done), hide_index=True, column_config=SUMMARY_FORMAT
        )
        st.caption(text.SPEED_NOTE)

        st.markdown(f"**{text.LAYERS_HEADER}**")
        for column, name in zip(st.columns(2), MODEL_NAMES, strict=True):
            summary = result.models[name]
            layers = [*summary.layer_params, (text.LAYER_TOTAL, summary.total_params)]
            column.dataframe(
                pd.DataFrame(layers, columns=[f"{name}: {text.COL_LAYER}", text.COL_PARAMS]),
                hide_index=True,
                column_config={text.COL_PARAMS: SUMMARY_FORMAT[text.COL_PARAMS]},
            )

        st.markdown(f"**{text.CONFUSION_HEADER}**")
        st.caption(text.CONFUSION_EXPLAIN)
        for column, name in zip(st.columns(2), MODEL_NAMES, strict=True):
            matrix = result.models[name].confusion
            column.plotly_chart(
                cmpfig.confusion(
                    matrix,
                    result.class_names,
                    title=text.CONFUSION_TITLE.format(
                        model=name, right=int(matrix.trace()), total=int(matrix.sum())
                    ),
                    true_title=text.CONFUSION_TRUE,
                    said_title=text.CONFUSION_SAID,
                    share_title=text.CONFUSION_SHARE,
                    model=name,
                ),
                key=f"cmp_confusion_{name}",
            )

        st.markdown(f"**{text.WRONG_HEADER}**")
        for column, name in zip(st.columns(2), MODEL_NAMES, strict=True):
            with column:
                _wrong_examples(result, current.data, name)

        st.markdown(f"**{text.DOWNLOAD_HEADER}**")
        _downloads(current, result, robustness)


def _short(label: str) -> str:
    return label if len(label) <= TITLE_CHARS else label[: TITLE_CHARS - 1] + "…"


def _wrong_examples(result: ComparisonResult, data: Dataset, name: str) -> None:
    """Held-out pictures this network gets wrong and the other one gets right."""
    other = ANN if name == CNN else CNN
    wrong = result.only_wrong[name]
    if len(wrong) == 0:
        st.caption(text.WRONG_NONE.format(model=name, other=other))
        return
    st.caption(text.WRONG_CAPTION.format(model=name, other=other, n=len(wrong)))
    shown = wrong[:MAX_EXAMPLES]
    names = result.class_names
    titles, hovers = [], []
    for i in shown:
        said = names[int(result.models[name].predictions[i])]
        true = names[int(result.y_test[i])]
        titles.append(f"{_short(true)} → {_short(said)}")
        hovers.append(
            [
                text.WRONG_HOVER[0].format(index=int(i)),
                text.WRONG_HOVER[1].format(true=true),
                *(
                    text.SAID.format(model=m, label=names[int(result.models[m].predictions[i])])
                    for m in MODEL_NAMES
                ),
            ]
        )
    st.plotly_chart(
        cmpfig.picture_grid(data.x_test[shown], titles, hovers),
        key=f"cmp_wrong_{name}",
    )
    if len(wrong) > len(shown):
        st.caption(text.WRONG_SHOWING.format(shown=len(shown), n=len(wrong)))


def _downloads(
    current: Comparison, result: ComparisonResult, robustness: dict[str, RobustnessCurve] | None
) -> None:
    """Each trained model as a file, and the comparison's numbers as CSV."""
    columns = st.columns(3)
    for column, name in zip(columns[:2], MODEL_NAMES, strict=True):
        column.download_button(
            text.DOWNLOAD_MODEL.format(model=name),
            data=export_model(current.run.models[name]),
            file_name=f"cnnexplain-{name.lower()}.pt",
            mime="application/octet-stream",
            key=f"cmp_download_{name.lower()}",
            help=text.DOWNLOAD_HELP,
            on_click="ignore",
        )
    columns[2].download_button(
        text.DOWNLOAD_CSV,
        data=comparison_csv(result, robustness),
        file_name="cnnexplain-comparison.csv",
        mime="text/csv",
        key="cmp_download_csv",
        on_click="ignore",
    )


# ---------------------------------------------------------------------------------------------
# 6. Why


def why(current: Comparison | None, slot) -> None:
    """Robustness curves, data efficiency, and what each first layer looks for."""
    result = current.result if current is not None else None
    robustness = current.robustness if current is not None else None
    if result is None:
        return
    with slot.container():
        st.subheader(text.WHY_HEADER)
        st.caption(text.WHY_INTRO)
        chance = 1 / len(result.class_names)
        state = text.ROBUST_STATE_DONE if result.complete else text.ROBUST_STATE_STOPPED
        for kind, curve in (robustness or {}).items():
            chart, words = st.columns([3, 2])
            chart.plotly_chart(
                cmpfig.accuracy_lines(
                    curve.levels,
                    curve.accuracy,
                    title=text.ROBUST_TITLES[kind],
                    x_title=text.ROBUST_AXES[kind],
                    y_title=text.ACC_AXIS,
                    chance=chance,
                    chance_label=text.CHANCE,
                ),
                key=f"cmp_robust_{kind}",
            )
            words.markdown(text.ROBUST_EXPLAIN[kind])
            words.info(" ".join(findings.change_sentences(curve)))
        st.caption(text.ROBUST_MEASURED_ON.format(n_test=len(result.y_test), state=state))

        st.markdown(f"**{text.EFFICIENCY_HEADER}**")
        _efficiency(current, chance)

        st.markdown(f"**{text.LEARNED_HEADER}**")
        _first_layers(current)


def _efficiency_figure(current: Comparison, chance: float):
    curves = current.efficiency_curves()
    return cmpfig.accuracy_lines(
        {name: [size for size, _ in points] for name, points in curves.items()},
        {name: [acc for _, acc in points] for name, points in curves.items()},
        title=text.EFFICIENCY_HEADER,
        x_title=text.EFFICIENCY_AXIS,
        y_title=text.ACC_AXIS,
        chance=chance,
        chance_label=text.CHANCE,
        log_x=True,
    )


def _efficiency(current: Comparison, chance: float) -> None:
    """Fresh networks on fewer pictures, on a button: it trains several more networks."""
    sizes = current.efficiency_sizes_for()
    st.caption(
        text.EFFICIENCY_EXPLAIN.format(
            sizes=", ".join(f"{s:,}" for s in sizes), min_steps=DEFAULT_MIN_STEPS
        )
    )
    job = current.efficiency
    row = st.container(horizontal=True, vertical_alignment="center")
    if row.button(
        text.EFFICIENCY_RUN.format(runs=len(MODEL_NAMES) * len(sizes)),
        key="cmp_efficiency",
        disabled=current.busy,
    ):
        current.start_efficiency()
        st.rerun()
    if job is None:
        return
    if job.running:
        row.button(text.STOP, key="cmp_efficiency_stop", on_click=job.request_stop)
    elif job.status == STOPPED:
        row.button(
            text.RESUME, key="cmp_efficiency_resume", on_click=job.resume, help=text.RESUME_HELP
        )
    progress = st.empty()  # only while the runs go on
    chart, found = st.columns([3, 2])
    chart_slot = chart.empty()
    drawn = {"count": 0}

    def draw() -> None:
        drawn["count"] += 1
        chart_slot.plotly_chart(
            _efficiency_figure(current, chance), key=f"cmp_efficiency_{drawn['count']}"
        )

    draw()
    if job.running:
        last = job.history[-1] if job.history else None
        bar = progress.progress(last.progress if last else 0.0, text=_efficiency_text(last))

        def on_record(record) -> None:
            bar.progress(record.progress, text=_efficiency_text(record))
            if record.final:
                draw()

        with _holding(current):
            job.advance(on_record)
        st.rerun()
    if job.status == STOPPED:
        found.warning(text.EFFICIENCY_STOPPED)
    sentences = findings.efficiency_sentences(current.efficiency_curves())
    if sentences:
        found.info(" ".join(sentences))


def _efficiency_text(record) -> str:
    if record is None:
        return ""
    return text.EFFICIENCY_PROGRESS.format(
        size=record.size, model=record.model, done=record.progress
    )


def _first_layers(current: Comparison) -> None:
    """The ANN's first-layer weights as pictures, beside the CNN's first kernels."""
    ann = first_layer_images(current.run.models[ANN])  # (units, C, H, W)
    cnn = first_layer_images(current.run.models[CNN])  # (F, C, KH, KW)
    left, right = st.columns(2)
    for column, weights, limit, title, unit, columns in (
        (left, ann, MAX_ANN_UNITS, text.LEARNED_ANN, text.UNIT_ANN, 6),
        (right, cnn, MAX_KERNELS, text.LEARNED_CNN, text.UNIT_CNN, 8),
    ):
        shown = weights[:limit]
        column.caption(title.format(shown=len(shown), units=len(weights)))
        column.plotly_chart(
            cmpfig.weight_grid(
                shown,
                [f"{unit} {k}" for k in range(len(shown))],
                cell_hover=text.WEIGHT_HOVER if weights.shape[1] == 1 else text.WEIGHT_HOVER_RGB,
                columns=columns,
            ),
            key=f"cmp_weights_{unit}",
        )
    C, H, W = ann.shape[1:]
    KH, KW = cnn.shape[2:]
    st.caption(
        text.LEARNED_EXPLAIN.format(
            ann_weights=C * H * W,
            shape=f"{C}×{H}×{W}" if C > 1 else f"{H}×{W}",
            cnn_weights=C * KH * KW,
            kernel=f"{C}×{KH}×{KW}" if C > 1 else f"{KH}×{KW}",
        )
    )


# ---------------------------------------------------------------------------------------------
# Loading a model file back


def model_upload(choice: DataChoice | None) -> None:
    """Load a model file from this page and test it on the chosen pictures."""
    st.caption(text.LOAD_EXPLAIN)
    upload = st.file_uploader(
        text.MODEL_UPLOAD.format(mb=MODEL_UPLOAD_MB),
        type=["pt"],
        max_upload_size=MODEL_UPLOAD_MB,
        key="cmp_model_upload",
    )
    if upload is None:
        return
    kept = st.session_state.get(LOADED_MODEL_KEY)
    if kept is None or kept[0] != upload.file_id:
        try:
            kept = (upload.file_id, import_model(upload.getvalue()), None)
        except ModelFileError as err:
            kept = (upload.file_id, None, str(err))
        st.session_state[LOADED_MODEL_KEY] = kept
    _, model, error = kept
    if error is not None:
        problem(text.MODEL_REFUSED, error)
        return
    if choice is None:
        st.info(text.NO_DATA)
        return
    spec, data = model.spec, choice.data
    kind = text.MODEL_KIND["cnn" if isinstance(spec, CNNSpec) else "mlp"]
    if (spec.in_channels, spec.input_size, spec.num_classes) != (
        data.channels,
        data.size,
        data.num_classes,
    ):
        st.warning(
            text.MODEL_DOES_NOT_FIT.format(
                kind=kind,
                channels=spec.in_channels,
                size=spec.input_size,
                classes=spec.num_classes,
                data_channels=data.channels,
                data_size=data.size,
                data_classes=data.num_classes,
            )
        )
        return
    _, acc = evaluate(model, data.x_test, data.y_test)
    st.markdown(
        text.MODEL_LOADED.format(
            kind=kind,
            params=count(model),
            acc=acc,
            n_test=len(data.x_test),
            data=choice.title,
        )
    )
