"""5. What this run found: the findings in words, the numbers side by side, the mistakes of
each network, and the downloads."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnexplain.experiment.design import ANN, CNN, MODEL_NAMES
from cnnexplain.experiment.jobs import Comparison
from cnnexplain.experiment.metrics import summary_rows
from cnnexplain.experiment.report import comparison_csv
from cnnexplain.experiment.result import ComparisonResult
from cnnexplain.experiment.robustness import RobustnessCurve
from cnnexplain.figures import compare as cmpfig
from cnnexplain.io.datasets import Dataset
from cnnexplain.io.modelfile import export_model
from cnnexplain.texts import compare as text
from cnnexplain.ui.compare import findings
from cnnexplain.ui.kit import datasets as named
from cnnexplain.ui.kit.detail import every_number

MAX_EXAMPLES = 12  # pictures shown of those only one network gets wrong
TITLE_CHARS = 10  # class names longer than this are cut short above a small picture


def _summary_format() -> dict:
    """How each column of the summary is written (the columns carry the learner's words)."""
    return {
        text.COL_PARAMS: st.column_config.NumberColumn(format="localized"),
        # No format: whole epochs show as whole numbers, part of one with its tenth (epochs_done).
        text.COL_EPOCHS: st.column_config.NumberColumn(),
        text.COL_SECONDS: st.column_config.NumberColumn(format="%.1f"),
        text.COL_RATE: st.column_config.NumberColumn(format="localized"),
        text.COL_ACC: st.column_config.NumberColumn(format="percent"),
        text.COL_LOSS: st.column_config.NumberColumn(format="%.4f"),
    }


def summary_table(result: ComparisonResult, epochs_done: dict[str, int | float]) -> pd.DataFrame:
    """One row per network: size, training, and how it does on the held-out pictures."""
    rows = summary_rows(result, epochs_done)
    return pd.DataFrame(
        {
            text.COL_MODEL: [r.model for r in rows],
            text.COL_PARAMS: [r.params for r in rows],
            text.COL_EPOCHS: [r.epochs for r in rows],
            text.COL_SECONDS: [r.seconds for r in rows],
            text.COL_RATE: [
                None if r.samples_per_second is None else round(r.samples_per_second) for r in rows
            ],
            text.COL_ACC: [r.test_acc for r in rows],
            text.COL_LOSS: [r.test_loss for r in rows],
        }
    )


def show(
    current: Comparison, result: ComparisonResult, robustness: dict[str, RobustnessCurve] | None
) -> None:
    """The findings, side by side: sizes, speed, accuracy, mistakes; and the downloads."""
    st.subheader(text.RESULTS_HEADER)
    epochs_done = current.epochs_done()
    st.info(
        findings.headline(
            result,
            robustness,
            current.data_title,
            epochs_done,
            current.experiment.config.epochs,
        )
    )

    st.markdown(f"**{text.SUMMARY_HEADER}**")
    table = summary_table(result, epochs_done)
    if every_number():
        st.dataframe(table, hide_index=True, column_config=_summary_format())
        st.caption(text.SPEED_NOTE)
        _layers(result)
    else:
        # Simple keeps what each network is, its size, and how well it does.
        st.dataframe(
            table[[text.COL_MODEL, text.COL_PARAMS, text.COL_ACC, text.COL_LOSS]],
            hide_index=True,
            column_config=_summary_format(),
        )
        st.caption(text.SIMPLE_RESULTS)

    st.markdown(f"**{text.CONFUSION_HEADER}**")
    st.caption(text.CONFUSION_EXPLAIN)
    for column, name in zip(st.columns(2), MODEL_NAMES, strict=True):
        column.plotly_chart(_confusion(result, name), key=f"cmp_confusion_{name}")

    st.markdown(f"**{text.WRONG_HEADER}**")
    for column, name in zip(st.columns(2), MODEL_NAMES, strict=True):
        with column:
            _wrong_examples(result, current.data, name)

    st.markdown(f"**{text.DOWNLOAD_HEADER}**")
    _downloads(current, result, robustness)


def _layers(result: ComparisonResult) -> None:
    """Each network's parameters, layer by layer."""
    st.markdown(f"**{text.LAYERS_HEADER}**")
    for column, name in zip(st.columns(2), MODEL_NAMES, strict=True):
        summary = result.models[name]
        layers = [*summary.layer_params, (text.LAYER_TOTAL, summary.total_params)]
        column.dataframe(
            pd.DataFrame(layers, columns=[f"{name}: {text.COL_LAYER}", text.COL_PARAMS]),
            hide_index=True,
            column_config={text.COL_PARAMS: _summary_format()[text.COL_PARAMS]},
        )


def _confusion(result: ComparisonResult, name: str):
    """The confusion matrix of one network, titled with how many it got right."""
    matrix = result.models[name].confusion
    return cmpfig.confusion(
        matrix,
        named.names_for(result.dataset, result.class_names),
        title=text.CONFUSION_TITLE.format(
            model=name, right=int(matrix.trace()), total=int(matrix.sum())
        ),
        true_title=text.CONFUSION_TRUE,
        said_title=text.CONFUSION_SAID,
        share_title=text.CONFUSION_SHARE,
        model=name,
    )


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
    names = named.names_for(result.dataset, result.class_names)
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
