"""The comparison's numbers as a table, for a spreadsheet."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from cnnexplain.experiment.design import MODEL_NAMES
from cnnexplain.experiment.result import ComparisonResult
from cnnexplain.experiment.robustness import RobustnessCurve


def _cell(value: Any) -> str:
    """A CSV cell: numbers as plain decimals (NaN as empty), text safe to open in a spreadsheet."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    text = str(value)
    # A spreadsheet runs a cell that starts like a formula; class names come from users.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def comparison_csv(
    result: ComparisonResult, robustness: dict[str, RobustnessCurve] | None = None
) -> str:
    """The comparison's numbers as CSV: one row per measure, one column per network.

    Rows: the data set, parameter counts (total and per layer), training (epochs, steps,
    samples, seconds, samples per second), held-out loss and accuracy, test examples only this
    network gets wrong, accuracy on each class, and, with `robustness`, the accuracy at each
    level of each perturbation.
    """
    models = [result.models[name] for name in MODEL_NAMES]
    rows: list[list[Any]] = [["measure", *MODEL_NAMES]]

    def add(measure: str, values: list[Any]) -> None:
        rows.append([measure, *values])

    add("data set", [result.dataset] * len(models))
    add("parameters (total)", [m.total_params for m in models])
    layers = list(dict.fromkeys(name for m in models for name, _ in m.layer_params))
    for layer in layers:
        add(f"parameters in {layer}", [dict(m.layer_params).get(layer, "") for m in models])
    add("epochs trained", [m.epochs_done for m in models])
    add("gradient steps", [m.steps for m in models])
    add("training samples processed", [m.samples_seen for m in models])
    add("training time (s)", [m.train_seconds for m in models])
    add("samples per second", [m.samples_per_second for m in models])
    add("training complete", [m.complete for m in models])
    add("test examples", [len(result.y_test)] * len(models))
    add("test loss", [m.test_loss for m in models])
    add("test accuracy", [m.test_acc for m in models])
    add(
        "test examples only this network gets wrong",
        [len(result.only_wrong[m.name]) for m in models],
    )
    for k, class_name in enumerate(result.class_names):
        per_class = []
        for m in models:
            total = int(m.confusion[k].sum())
            per_class.append(float(m.confusion[k, k]) / total if total else float("nan"))
        add(f"accuracy on class {class_name}", per_class)
    for curve in (robustness or {}).values():
        for i, level in enumerate(curve.levels):
            add(
                f"accuracy at {curve.perturbation} {level:g} ({curve.label})",
                [curve.accuracy[name][i] for name in MODEL_NAMES],
            )

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()
