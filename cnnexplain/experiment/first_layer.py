"""What each network's first layer looks for, as pictures."""

from __future__ import annotations

from typing import Any

import numpy as np
from torch import nn

from cnnexplain.model.spec import CNNSpec


def first_layer_images(
    model: nn.Module, input_shape: tuple[int, int, int] | None = None
) -> np.ndarray:
    """The first layer's weights as pictures, one per unit.

    For an ANN, each first-layer neuron has one weight per input pixel: its weights are
    reshaped to the input's (C, H, W) (flatten order: channel, row, column), giving
    (units, C, H, W). For a CNN, these are the conv1 kernels, (F, C, KH, KW): small, and the
    same wherever they are applied. `input_shape` defaults to the one in `model.spec`.
    """
    spec: Any = getattr(model, "spec", None)
    if isinstance(spec, CNNSpec):
        return model.conv1.weight.detach().cpu().numpy().copy()  # (F, C, KH, KW)
    first = next((m for m in model.children() if isinstance(m, nn.Linear)), None)
    if first is None:
        raise ValueError("This model has no fully connected layer to show.")
    if input_shape is None:
        if spec is None:
            raise ValueError("Give input_shape (C, H, W): the model carries no spec.")
        input_shape = (spec.in_channels, spec.input_size, spec.input_size)
    C, H, W = input_shape
    weight = first.weight.detach().cpu().numpy()  # (units, C*H*W)
    if weight.shape[1] != C * H * W:
        raise ValueError(
            f"The first layer reads {weight.shape[1]} values, not the {C}×{H}×{W} = "
            f"{C * H * W} of input_shape {input_shape}."
        )
    return weight.reshape(-1, C, H, W).copy()  # (units, C, H, W)
