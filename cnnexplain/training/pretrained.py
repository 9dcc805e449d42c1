"""The default network's weights, trained once and shipped.

`python -m cnnexplain.training.pretrained` trains and writes them again.

Training the default network takes several seconds on one thread, and every fresh server would
make its first visitor wait for it. So the weights `store.fit(DEFAULT_SPEC, digits)` produces are
kept in `weights/`, next to a small JSON file saying how they were made:

- the spec, the training settings and a fingerprint of the training data;
- the SHA-256 of the weights file, and the per-epoch training records.

They are read through the same safe path as an uploaded model (`modelfile.import_model`:
`weights_only=True`, every tensor checked against the spec) and used only when all of the above
still matches what the code would train now. Otherwise the store trains, as for any network. The
held-out accuracy is always measured again on load, never read from the file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import sys
from pathlib import Path

import torch

from cnnexplain.io.datasets import Dataset, load_dataset
from cnnexplain.io.modelfile import export_model, import_model
from cnnexplain.model.spec import CNNSpec, MLPSpec, spec_to_dict
from cnnexplain.training.store import (
    DEFAULT_DATASET,
    DEFAULT_SPEC,
    TrainedModel,
    fit,
    freeze,
    training_for,
)
from cnnexplain.training.train import TrainConfig, TrainRecord, evaluate

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
_EXPECTED = ("spec", "training", "data_sha256", "weights_sha256")  # what must match to be used


def paths(dataset_key: str, folder: Path = WEIGHTS_DIR) -> tuple[Path, Path]:
    """The weights file and its description for the default network on `dataset_key`."""
    return folder / f"{dataset_key}-default.pt", folder / f"{dataset_key}-default.json"


def data_fingerprint(data: Dataset) -> str:
    """SHA-256 of the training and held-out arrays: other data means other weights."""
    digest = hashlib.sha256()
    for arr in (data.x_train, data.y_train, data.x_test, data.y_test):
        digest.update(str((arr.dtype.str, arr.shape)).encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def _description(
    spec: CNNSpec | MLPSpec, config: TrainConfig, data: Dataset, weights: bytes
) -> dict:
    return {
        "spec": spec_to_dict(spec),
        "training": dataclasses.asdict(config),
        "data_sha256": data_fingerprint(data),
        "weights_sha256": hashlib.sha256(weights).hexdigest(),
    }


def save(entry: TrainedModel, data: Dataset, folder: Path = WEIGHTS_DIR) -> tuple[Path, Path]:
    """Write `entry` (trained on `data` as `training_for` says) and its description."""
    weights = export_model(entry.model)
    about = _description(entry.spec, training_for(entry.dataset), data, weights)
    about["history"] = [dataclasses.asdict(r) for r in entry.history]
    weights_path, about_path = paths(entry.dataset, folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights_path.write_bytes(weights)
    about_path.write_text(json.dumps(about, indent=1) + "\n")
    return weights_path, about_path


def load(
    spec: CNNSpec | MLPSpec, data: Dataset, dataset_key: str, folder: Path = WEIGHTS_DIR
) -> TrainedModel | None:
    """The shipped trained model for this key, or None when there is none that still fits.

    None when no file is shipped for `dataset_key`, when `spec`, the training settings or the
    data differ from those the weights were trained with, or when the file is damaged.
    """
    weights_path, about_path = paths(dataset_key, folder)
    if not (weights_path.is_file() and about_path.is_file()):
        return None
    try:
        about = json.loads(about_path.read_text())
        weights = weights_path.read_bytes()
        if {k: about.get(k) for k in _EXPECTED} != _description(
            spec, training_for(dataset_key), data, weights
        ):
            return None
        model = import_model(weights)
        history = tuple(TrainRecord(**r) for r in about.get("history", ()))
    except (OSError, ValueError, TypeError):  # ModelFileError is a ValueError
        return None
    if model.spec != spec:
        return None
    freeze(model)
    test_loss, test_acc = evaluate(model, data.x_test, data.y_test)
    return TrainedModel(model, spec, dataset_key, True, history, test_loss, test_acc)


def main() -> int:
    """Train the default network on the default data set and write its weights."""
    torch.set_num_threads(1)  # as the app trains: the same weights it would get without the file
    data = load_dataset(DEFAULT_DATASET)
    entry = fit(DEFAULT_SPEC, data, DEFAULT_DATASET)
    if not math.isfinite(entry.test_loss):
        print("training did not converge; nothing written", file=sys.stderr)
        return 1
    for path in save(entry, data):
        print(f"wrote {path}")
    print(f"held-out accuracy {entry.test_acc:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
