"""1. The data: the sidebar's data set, or a zip of the learner's own pictures.

The learner's zip, once read, is kept in their session under OWN_DATA_KEY, so each script run
does not read it again.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from cnnexplain.experiment.design import fitted_cnn
from cnnexplain.io.datasets import Dataset
from cnnexplain.io.userdata import (
    MAX_ARCHIVE_BYTES,
    UserDataError,
    ZipReport,
    limit_fields,
    load_image_folder_zip,
)
from cnnexplain.model.spec import CNNSpec
from cnnexplain.texts import compare as text
from cnnexplain.ui.kit import datasets as named
from cnnexplain.ui.kit import errors, resources, session
from cnnexplain.ui.kit.widgets import kept, problem

ZIP_UPLOAD_MB = MAX_ARCHIVE_BYTES // 2**20  # the upload box refuses larger files itself
OWN_DATA_KEY = "cmp_own_data"


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
    error: UserDataError | None  # said in the learner's language when shown


def choose_pictures() -> DataChoice | None:
    """Choose the sidebar's data set or upload a zip; None while there is nothing to learn."""
    spec = session.current_spec()
    key = session.current_dataset_key()
    title = named.title(key)
    source = kept(
        "cmp_source",
        next(iter(text.SOURCE_OPTIONS)),
        st.radio,
        text.SOURCE,
        list(text.SOURCE_OPTIONS),
        format_func=lambda option: text.SOURCE_OPTIONS[option].format(title=title),
    )
    if source == "sidebar":
        data = resources.dataset(key)
        st.caption(
            text.SIDEBAR_DATA.format(
                description=named.description(data),
                n_train=len(data.x_train),
                n_test=len(data.x_test),
            )
        )
        return DataChoice(data, key, title, spec, own=False)
    own = own_data(spec)
    if own is None:
        return None
    return DataChoice(own, text.OWN_DATA_KEY, text.OWN_DATA_TITLE, fitted_cnn(spec, own), own=True)


def own_data(spec: CNNSpec) -> Dataset | None:
    """The learner's zip, read at the pictures `spec` takes, with what was found in it; None
    until a zip that makes a data set is uploaded."""
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
        problem(text.ZIP_REFUSED, errors.say(own.error))
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
    return own.data


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
        own = OwnData(file_id, (channels, size), None, err.report, err)
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
                        text.COL_REASON: [errors.say(s.why) for s in report.skipped],
                    }
                ),
                hide_index=True,
            )
    if report.ignored:
        st.caption(text.ZIP_IGNORED.format(n=report.ignored))
