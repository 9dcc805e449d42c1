"""Model files: the round trip, every way a file can be wrong, and the comparison as CSV."""

import csv
import io
import json
import pickle
import struct
import zipfile
from dataclasses import replace

import numpy as np
import pytest
import torch

from cnnexplain.experiment.design import ANN, CNN, Experiment
from cnnexplain.experiment.report import comparison_csv
from cnnexplain.experiment.result import compare_models, finish
from cnnexplain.experiment.robustness import robustness_curves
from cnnexplain.experiment.run import run_experiment
from cnnexplain.io.datasets import Dataset, load_digits28
from cnnexplain.io.modelfile import (
    DAMAGED,
    NOT_A_MODEL,
    ModelFileError,
    export_model,
    import_model,
)
from cnnexplain.model.spec import (
    CNNSpec,
    ConvBlock,
    MLPSpec,
    build_cnn,
    build_mlp,
    count_parameters,
    spec_to_dict,
)
from cnnexplain.training.train import TrainConfig

SPEC = CNNSpec(conv_blocks=(ConvBlock(filters=4),), dense=(16,))
UNFIT = "The weights do not fit the architecture: "


def save(payload: object) -> bytes:
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def payload(model: torch.nn.Module, **changes) -> dict:
    """The dict export_model saves, with some entries changed."""
    data = {
        "format": "cnnexplain-model",
        "version": 1,
        "spec": json.dumps(spec_to_dict(model.spec)),
        "state_dict": {k: v.clone() for k, v in model.state_dict().items()},
    }
    data.update(changes)
    return data


def refused(data: bytes) -> str:
    with pytest.raises(ModelFileError) as err:
        import_model(data)
    return str(err.value)


@pytest.fixture
def model() -> torch.nn.Module:
    return build_cnn(SPEC, seed=3)


# ---------------------------------------------------------------------------------------------
# Round trip


@pytest.mark.parametrize(
    "original",
    [build_cnn(SPEC, seed=3), build_mlp(MLPSpec(hidden=(12, 6), activation="tanh"), seed=1)],
    ids=["cnn", "mlp"],
)
def test_round_trip_gives_back_the_same_network(original):
    with torch.no_grad():
        for p in original.parameters():
            p.add_(0.25)  # not the seeded initial weights, so the file must carry them
    loaded = import_model(export_model(original))
    assert loaded.spec == original.spec
    assert type(loaded) is type(original)
    assert not loaded.training
    a, b = original.state_dict(), loaded.state_dict()
    assert list(a) == list(b)
    assert all(torch.equal(a[k], b[k]) for k in a)
    x = torch.rand(3, 1, 28, 28)
    assert torch.equal(original.eval()(x), loaded(x))


def test_export_needs_a_model_built_by_cnnexplain():
    with pytest.raises(TypeError, match=r"Only models built by cnnexplain \(with a .spec\)"):
        export_model(torch.nn.Linear(3, 2))


def test_import_needs_bytes():
    with pytest.raises(TypeError, match="data must be the bytes of a model file, got str"):
        import_model("model.pt")


# ---------------------------------------------------------------------------------------------
# Files that are not model files


def test_random_bytes_are_not_a_model():
    assert refused(np.random.default_rng(0).bytes(5000)) == NOT_A_MODEL
    assert refused(b"") == NOT_A_MODEL


def test_a_plain_pickle_is_not_a_model(model):
    assert refused(pickle.dumps(payload(model))) == NOT_A_MODEL


class Trap:
    """An object whose unpickling would run code; it must never be unpickled."""

    def __reduce__(self):
        return (exec, ("import builtins; builtins.TRAP_SPRUNG = True",))


def test_code_in_a_torch_file_is_never_run(model):
    import builtins

    assert refused(save(payload(model, state_dict=Trap()))) == NOT_A_MODEL
    assert refused(save({"anything": Trap()})) == NOT_A_MODEL
    assert not hasattr(builtins, "TRAP_SPRUNG")


@pytest.mark.parametrize(
    "changes",
    [
        {"format": "something-else"},
        {"version": "1"},
        {"spec": {"type": "cnn"}},  # a dict, not the JSON string
        {"spec": "{not json"},
        {"state_dict": [1, 2, 3]},
        {"extra": 1},
    ],
    ids=["format", "version-text", "spec-dict", "spec-json", "state-list", "extra-key"],
)
def test_a_torch_file_of_another_layout_is_not_a_model(model, changes):
    assert refused(save(payload(model, **changes))) == NOT_A_MODEL


def test_a_bare_state_dict_is_not_a_model(model):
    assert refused(save(model.state_dict())) == NOT_A_MODEL


def test_another_zip_is_not_a_model():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("cats/1.png", b"\x89PNG")
    assert refused(buffer.getvalue()) == NOT_A_MODEL


def test_a_compressed_container_is_refused(model):
    # torch would unpack a compressed record to whatever size it claims: only stored ones pass.
    original = zipfile.ZipFile(io.BytesIO(export_model(model)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in original.infolist():
            archive.writestr(info.filename, original.read(info))
    assert refused(buffer.getvalue()) == NOT_A_MODEL


def test_a_newer_format_version_says_so(model):
    assert refused(save(payload(model, version=2))) == (
        "This model file has format version 2, and this version of cnnexplain reads version 1 only."
    )


# ---------------------------------------------------------------------------------------------
# Damaged files and weights that do not fit


def test_a_changed_byte_in_the_weights_is_found(model):
    data = export_model(model)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("archive/data/0")
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    first_byte = info.header_offset + 30 + name_len + extra_len
    tampered = bytearray(data)
    tampered[first_byte + 5] ^= 0xFF
    assert refused(bytes(tampered)) == DAMAGED
    assert DAMAGED == (
        "This model file is damaged: its contents changed after it was saved. "
        "Export the model again."
    )


def test_a_cut_off_file_is_not_a_model(model):
    data = export_model(model)
    assert refused(data[: len(data) - 100]) == NOT_A_MODEL


def test_wrong_shapes_are_named_with_both_shapes(model):
    state = {k: v.clone() for k, v in model.state_dict().items()}
    state["conv1.weight"] = torch.zeros(4, 1, 5, 5)
    assert refused(save(payload(model, state_dict=state))) == (
        f"{UNFIT}conv1.weight has shape (4, 1, 5, 5) but the architecture needs (4, 1, 3, 3)."
    )


def test_weights_for_another_architecture_do_not_fit(model):
    wider = build_cnn(CNNSpec(conv_blocks=(ConvBlock(filters=6),), dense=(16,)))
    bad = payload(model, state_dict={k: v.clone() for k, v in wider.state_dict().items()})
    assert refused(save(bad)) == (
        f"{UNFIT}conv1.weight has shape (6, 1, 3, 3) but the architecture needs (4, 1, 3, 3)."
    )


def test_missing_and_extra_weights_are_named(model):
    state = {k: v.clone() for k, v in model.state_dict().items()}
    del state["logits.bias"]
    assert refused(save(payload(model, state_dict=state))) == (
        f"{UNFIT}logits.bias missing from the file."
    )
    state = {k: v.clone() for k, v in model.state_dict().items()}
    state["conv9.weight"] = torch.zeros(1)
    assert refused(save(payload(model, state_dict=state))) == (
        f"{UNFIT}the file has conv9.weight, which the architecture does not have."
    )


def test_other_dtypes_and_non_tensors_are_refused(model):
    state = {k: v.clone() for k, v in model.state_dict().items()}
    state["dense1.weight"] = state["dense1.weight"].double()
    assert refused(save(payload(model, state_dict=state))) == (
        f"{UNFIT}dense1.weight holds float64 numbers but the architecture needs float32."
    )
    state = {k: v.clone() for k, v in model.state_dict().items()}
    state["dense1.bias"] = [0.0] * 16
    assert refused(save(payload(model, state_dict=state))) == (
        f"{UNFIT}dense1.bias is not an array of numbers."
    )


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_weights_that_are_not_finite_are_refused(model, bad):
    state = {k: v.clone() for k, v in model.state_dict().items()}
    state["conv1.bias"][2] = bad
    assert refused(save(payload(model, state_dict=state))) == (
        "The weights in conv1.bias include values that are not finite numbers (NaN or "
        "infinity), so the model cannot be used."
    )


def test_an_impossible_architecture_says_which_layer(model):
    spec = spec_to_dict(SPEC)
    spec["conv_blocks"][0]["kernel_size"] = 40
    assert refused(save(payload(model, spec=json.dumps(spec)))) == (
        "The architecture in this file cannot be built: Conv block 1: The kernel size must be a "
        "whole number from 1 to 11, got 40."
    )


def test_an_architecture_bigger_than_the_file_is_refused_before_it_is_built(model):
    huge = MLPSpec(hidden=(2048, 2048))
    message = refused(save(payload(model, spec=json.dumps(spec_to_dict(huge)))))
    assert count_parameters(huge) == 5_824_522
    assert message.startswith(f"{UNFIT}it needs 5,824,522 numbers, more than this ")


# ---------------------------------------------------------------------------------------------
# The comparison as CSV


@pytest.fixture(scope="module")
def comparison():
    d = load_digits28()
    small = Dataset(
        name="digits",
        x_train=d.x_train[:100].copy(),
        y_train=d.y_train[:100].copy(),
        x_test=d.x_test[:60].copy(),
        y_test=d.y_test[:60].copy(),
        class_names=("zero", "=1+1", *d.class_names[2:]),
        description=d.description,
    )
    run = run_experiment(Experiment("digits", cnn=SPEC, config=TrainConfig(epochs=1)), small)
    for _ in run:
        pass
    curves = robustness_curves(run.models, small.x_test, small.y_test, shifts=(0, 3), angles=(0,))
    return finish(run), curves


def test_comparison_csv_holds_every_number_of_the_result(comparison):
    result, curves = comparison
    rows = list(csv.reader(io.StringIO(comparison_csv(result, curves))))
    table = {row[0]: row[1:] for row in rows}
    assert rows[0] == ["measure", "CNN", "ANN"]
    cnn, ann = result.models[CNN], result.models[ANN]
    assert table["data set"] == ["digits", "digits"]
    assert table["parameters (total)"] == [str(cnn.total_params), str(ann.total_params)]
    assert table["parameters in conv1"] == [str(dict(cnn.layer_params)["conv1"]), ""]
    assert table["parameters in dense1"] == [
        str(dict(cnn.layer_params)["dense1"]),
        str(dict(ann.layer_params)["dense1"]),
    ]
    assert float(table["test accuracy"][0]) == pytest.approx(cnn.test_acc, abs=1e-6)
    assert float(table["test accuracy"][1]) == pytest.approx(ann.test_acc, abs=1e-6)
    assert table["test examples"] == ["60", "60"]
    assert table["epochs trained"] == ["1", "1"]
    assert table["training complete"] == ["yes", "yes"]
    assert table["test examples only this network gets wrong"] == [
        str(len(result.only_wrong[CNN])),
        str(len(result.only_wrong[ANN])),
    ]
    per_class = cnn.confusion[0, 0] / cnn.confusion[0].sum()
    assert float(table["accuracy on class zero"][0]) == pytest.approx(per_class, abs=1e-6)
    shift = curves["shift"].accuracy
    assert float(table["accuracy at shift 3 (Shift (pixels))"][1]) == pytest.approx(
        shift[ANN][1], abs=1e-6
    )
    assert float(table["samples per second"][0]) == pytest.approx(cnn.samples_per_second, rel=1e-5)


def test_comparison_csv_keeps_names_from_running_as_formulas(comparison):
    result, _ = comparison
    rows = list(csv.reader(io.StringIO(comparison_csv(replace(result, dataset="=2+3")))))
    assert rows[1] == ["data set", "'=2+3", "'=2+3"]
    assert [r[0] for r in rows if "=1+1" in r[0]] == ["accuracy on class =1+1"]


def test_comparison_csv_leaves_unknown_speeds_empty():
    d = load_digits28()
    models = {CNN: build_cnn(SPEC), ANN: build_mlp(Experiment("d", cnn=SPEC).mlp)}
    rows = list(csv.reader(io.StringIO(comparison_csv(compare_models(models, d)))))
    assert {r[0]: r[1:] for r in rows}["samples per second"] == ["", ""]
