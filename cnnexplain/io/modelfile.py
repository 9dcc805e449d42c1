"""Saving a trained model to a file and loading it back.

A model file is what `torch.save` writes for one dict:

    {"format": "cnnexplain-model", "version": 1,
     "spec": spec_to_dict(model.spec) as a JSON string, "state_dict": {name: float32 tensor}}

An uploaded model file is untrusted. `import_model` reads it with `torch.load(...,
weights_only=True)`, which unpickles only tensors and plain containers and never runs code
from the file; checks the container before that (a zip of stored, uncompressed records, no
larger than it says); rebuilds the network from the spec alone; and accepts the weights only if
every name, shape and dtype is what that network needs and every value is a finite number.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import torch
from torch import nn

from cnnexplain.core.errors import LearnerError, templates
from cnnexplain.model.spec import (
    CNNSpec,
    MLPSpec,
    build_cnn,
    build_mlp,
    count_parameters,
    spec_from_dict,
    spec_to_dict,
)

FORMAT = "cnnexplain-model"
FORMAT_VERSION = 1
# A model file the comparison page can take back: 12 million float32 weights, far more than any
# network that page trains on pictures of at most 64x64 pixels.
MAX_MODEL_BYTES = 50 * 1024 * 1024
MAX_RECORDS = 1_000  # files inside the torch.save zip: one per tensor, plus a few
MAX_SPEC_CHARS = 100_000  # the JSON of a spec is a few hundred characters

NOT_A_MODEL = "This file is not a cnnexplain model."
DAMAGED = (
    "This model file is damaged: its contents changed after it was saved. Export the model again."
)
_KEYS = {"format", "version", "spec", "state_dict"}


_UNFIT = "The weights do not fit the architecture: "
templates(
    {
        "model.not_a_model": NOT_A_MODEL,
        "model.damaged": DAMAGED,
        "model.too_big": "This file is {size} MB; a model file may be at most {most} MB.",
        "model.version": "This model file has format version {version}, and this version of "
        "cnnexplain reads version {reads} only.",
        "model.too_few_numbers": _UNFIT + "it needs {needed} numbers, more than this "
        "{size}-byte file can hold.",
        "model.architecture": "The architecture in this file cannot be built: {problem}",
        "model.missing": _UNFIT + "{names} missing from the file.",
        "model.extra": _UNFIT + "the file has {names}, which the architecture does not have.",
        "model.not_numbers": _UNFIT + "{name} is not an array of numbers.",
        "model.shape": _UNFIT + "{name} has shape {got} but the architecture needs {need}.",
        "model.dtype": _UNFIT + "{name} holds {got} numbers but the architecture needs {need}.",
        "model.not_finite": "The weights in {name} include values that are not finite numbers "
        "(NaN or infinity), so the model cannot be used.",
    }
)


class ModelFileError(LearnerError, ValueError):
    """A model file that cannot be loaded; the message is meant for the user."""


def export_model(model: nn.Module) -> bytes:
    """The bytes of a model file holding `model`'s architecture and weights."""
    spec = getattr(model, "spec", None)
    if not isinstance(spec, CNNSpec | MLPSpec):
        raise TypeError("Only models built by cnnexplain (with a .spec) can be exported.")
    state = {name: t.detach().cpu().clone().contiguous() for name, t in model.state_dict().items()}
    payload = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "spec": json.dumps(spec_to_dict(spec)),
        "state_dict": state,
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def import_model(data: bytes) -> nn.Module:
    """The model a file from `export_model` holds, in eval mode, or ModelFileError saying why."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data must be the bytes of a model file, got {type(data).__name__}.")
    data = bytes(data)
    if len(data) > MAX_MODEL_BYTES:
        raise ModelFileError(
            "model.too_big", size=f"{len(data) / 2**20:,.0f}", most=MAX_MODEL_BYTES // 2**20
        )
    _check_container(data)
    try:
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception:  # any failure to unpickle (unsafe content included) means: not ours
        raise ModelFileError("model.not_a_model") from None

    if not isinstance(payload, dict) or set(payload) != _KEYS or payload["format"] != FORMAT:
        raise ModelFileError("model.not_a_model")
    version = payload["version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError("model.not_a_model")
    if version != FORMAT_VERSION:
        raise ModelFileError("model.version", version=version, reads=FORMAT_VERSION)

    state = payload["state_dict"]
    if not isinstance(state, dict):
        raise ModelFileError("model.not_a_model")
    spec = _read_spec(payload["spec"])
    needed = count_parameters(spec)
    if needed * 4 > len(data):
        raise ModelFileError("model.too_few_numbers", needed=f"{needed:,}", size=f"{len(data):,}")
    model = build_cnn(spec) if isinstance(spec, CNNSpec) else build_mlp(spec)
    _check_weights(state, model.state_dict())
    with torch.no_grad():
        model.load_state_dict({name: t.clone() for name, t in state.items()}, strict=True)
    return model.eval()


def _check_container(data: bytes) -> None:
    """Refuse anything but torch.save's zip layout of intact, stored (uncompressed) records.

    torch.load would unpack a compressed record to whatever size the record claims; with
    stored records every byte it reads is a byte of the file.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise ModelFileError("model.not_a_model") from None
    if not infos or len(infos) > MAX_RECORDS:
        raise ModelFileError("model.not_a_model")
    for info in infos:
        if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
            raise ModelFileError("model.not_a_model")
    if sum(info.file_size for info in infos) > len(data):
        raise ModelFileError("model.not_a_model")
    # torch.load does not check the records' checksums: a changed weight would load silently.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in infos:
                with archive.open(info) as record:
                    while record.read(1 << 20):
                        pass
    except (zipfile.BadZipFile, ValueError, EOFError, OSError):
        raise ModelFileError("model.damaged") from None


def _read_spec(text: Any) -> CNNSpec | MLPSpec:
    if not isinstance(text, str) or len(text) > MAX_SPEC_CHARS:
        raise ModelFileError("model.not_a_model")
    try:
        raw = json.loads(text)
    except ValueError:
        raise ModelFileError("model.not_a_model") from None
    try:
        return spec_from_dict(raw)
    except (ValueError, TypeError) as err:
        # The architecture's own message, translated on its own when it has a code.
        problem = err if isinstance(err, LearnerError) else str(err)
        raise ModelFileError("model.architecture", problem=problem) from None


def _shape(t: torch.Tensor) -> str:
    return "(" + ", ".join(str(n) for n in t.shape) + ")"


def _check_weights(state: dict, expected: dict[str, torch.Tensor]) -> None:
    """Every tensor the architecture needs, with its shape and dtype, finite; nothing else."""
    missing = [name for name in expected if name not in state]
    if missing:
        raise ModelFileError("model.missing", names=", ".join(missing))
    extra = [str(name) for name in state if name not in expected]
    if extra:
        raise ModelFileError("model.extra", names=", ".join(extra[:5]))
    for name, need in expected.items():
        got = state[name]
        if not isinstance(got, torch.Tensor) or got.layout != torch.strided:
            raise ModelFileError("model.not_numbers", name=name)
        if got.shape != need.shape:
            raise ModelFileError("model.shape", name=name, got=_shape(got), need=_shape(need))
        if got.dtype != need.dtype:
            got_type, need_type = (str(t.dtype).removeprefix("torch.") for t in (got, need))
            raise ModelFileError("model.dtype", name=name, got=got_type, need=need_type)
        if not torch.isfinite(got).all():
            raise ModelFileError("model.not_finite", name=name)
