"""The shipped default weights: what training produces, read safely, used only when they fit."""

import json

import numpy as np
import pytest
import torch

from cnnexplain.io.datasets import load_digits28
from cnnexplain.model.spec import CNNSpec, ConvBlock
from cnnexplain.training import pretrained
from cnnexplain.training.store import DEFAULT_DATASET, DEFAULT_SPEC, ModelStore, fit, training_for

REGENERATE = "run `python -m cnnexplain.training.pretrained` to train and write them again"


@pytest.fixture(scope="module")
def digits():
    return load_digits28()


@pytest.fixture(scope="module")
def shipped(digits):
    entry = pretrained.load(DEFAULT_SPEC, digits, DEFAULT_DATASET)
    assert entry is not None, f"the shipped weights no longer match the defaults: {REGENERATE}"
    return entry


def _predictions(model, data):
    with torch.no_grad():
        return model(torch.tensor(data.x_test)).argmax(dim=1).numpy()


def test_shipped_weights_are_read_and_measured_again(shipped, digits):
    assert shipped.trained and shipped.spec == DEFAULT_SPEC and shipped.dataset == "digits"
    assert not shipped.model.training
    assert not any(p.requires_grad for p in shipped.model.parameters())
    accuracy = float(np.mean(_predictions(shipped.model, digits) == digits.y_test))
    assert shipped.test_acc == pytest.approx(accuracy)
    assert shipped.test_acc >= 0.97
    epochs = training_for(DEFAULT_DATASET).epochs
    assert [r.epoch for r in shipped.history if r.kind == "epoch"] == list(range(1, epochs + 1))


def test_shipped_weights_are_what_training_gives(shipped, digits):
    trained = fit(DEFAULT_SPEC, digits, DEFAULT_DATASET)
    agree = np.mean(_predictions(trained.model, digits) == _predictions(shipped.model, digits))
    assert agree >= 0.98, REGENERATE
    assert abs(trained.test_acc - shipped.test_acc) <= 0.01, REGENERATE


def _copy_files(tmp_path):
    for path in pretrained.paths(DEFAULT_DATASET):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    return pretrained.paths(DEFAULT_DATASET, tmp_path)


def test_changed_weights_are_not_used(tmp_path, digits):
    weights, _ = _copy_files(tmp_path)
    data = bytearray(weights.read_bytes())
    data[-200] ^= 0xFF
    weights.write_bytes(bytes(data))
    assert pretrained.load(DEFAULT_SPEC, digits, DEFAULT_DATASET, tmp_path) is None


@pytest.mark.parametrize("field", ["training", "data_sha256"])
def test_weights_made_with_other_settings_or_data_are_not_used(tmp_path, digits, field):
    _, about = _copy_files(tmp_path)
    assert pretrained.load(DEFAULT_SPEC, digits, DEFAULT_DATASET, tmp_path) is not None
    description = json.loads(about.read_text())
    description[field] = {"epochs": 1} if field == "training" else "0" * 64
    about.write_text(json.dumps(description))
    assert pretrained.load(DEFAULT_SPEC, digits, DEFAULT_DATASET, tmp_path) is None


def test_other_architectures_and_data_sets_have_no_shipped_weights(digits):
    other = CNNSpec(conv_blocks=(ConvBlock(filters=4),), dense=(16,))
    assert pretrained.load(other, digits, DEFAULT_DATASET) is None
    assert pretrained.load(DEFAULT_SPEC, digits, "shapes") is None


def test_unreadable_description_means_training(tmp_path, digits):
    _, about = _copy_files(tmp_path)
    about.write_text("{not json")
    assert pretrained.load(DEFAULT_SPEC, digits, DEFAULT_DATASET, tmp_path) is None


def test_store_uses_shipped_weights_without_training(digits):
    store = ModelStore(shipped=pretrained.load)
    reports = []
    entry = store.get(DEFAULT_SPEC, digits, DEFAULT_DATASET, on_progress=reports.append)
    assert reports == [] and entry.trained and entry.test_acc >= 0.97
    assert store.get(DEFAULT_SPEC, digits, DEFAULT_DATASET) is entry
    untrained = store.get(DEFAULT_SPEC, digits, DEFAULT_DATASET, trained=False)
    assert not untrained.trained and untrained.history == ()
