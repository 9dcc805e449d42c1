"""What one picture costs a network to compute, read off its spec.

Parameters say how much a network can store; multiply-adds say how much work one picture is.
A dense weight is used once per picture, a kernel weight once at every position of its output
map: two networks matched for parameters can differ many times over in computation.
"""

from __future__ import annotations

from cnnexplain.model.spec import Spec, stage_shapes


def multiply_adds(spec: Spec) -> int:
    """Multiplications (each followed by an addition) of one picture's forward pass.

    Counts the weights of the convolutions and dense layers, each times the number of output
    positions it is used at; biases, activations, pooling, softmax and sigmoid are left out (they
    add, compare or squash, and cost little beside the weights).
    """
    total = 0
    for stage in stage_shapes(spec):
        if stage.kind == "conv":
            F, H, W = stage.shape
            total += (stage.params - F) * H * W  # (F·C·KH·KW weights) at H'·W' positions
        elif stage.kind in ("dense", "logits"):
            total += stage.params - stage.shape[0]  # D·M weights, used once
    return total
