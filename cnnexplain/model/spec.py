"""Architecture specs, their validation, and the torch CNN and MLP built from them.

A spec is a frozen dataclass: hashable (a cache key for trained models), printable, and checked
when it is made, so an impossible network is refused with a message naming the layer and the fix
before any tensor exists. Every stage of a network has one name, used alike by `stage_shapes`,
by the children of the built `nn.Sequential` and by `trace`:

    input, conv1, relu1, maxpool1, conv2, ..., flatten, dense1, dense1_relu, ..., logits, probs

Flatten order is torch's: channel, then row, then column.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from itertools import pairwise
from typing import Any

import torch
from torch import nn

from cnnexplain.core import checks, ops
from cnnexplain.core.errors import LearnerError, templates
from cnnexplain.core.ops import ACTIVATIONS
from cnnexplain.model.head import HEADS

POOLS = ("max", "avg")  # pooling kinds; a block's pool may also be None

# The modules that apply each activation ("none" has no module and no stage).
ACTIVATION_MODULES: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}
POOL_MODULES: dict[str, type[nn.Module]] = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}

# Limits that keep a learner's network small enough to train and draw on a shared server.
MAX_IN_CHANNELS = 4
MAX_INPUT_SIZE = 256
MAX_CLASSES = 1000
MAX_CONV_BLOCKS = 8
MAX_FILTERS = 256
MAX_KERNEL = 11
MAX_PADDING = 8
MAX_STRIDE = 8
MAX_DILATION = 8
MAX_POOL = 8
MAX_DENSE_LAYERS = 8
MAX_DENSE_WIDTH = 4096
MAX_LAYER_PARAMS = 10_000_000  # 40 MB of float32 weights in one layer


templates(
    {
        "arch.not_available": "{what} {value} is not available: choose one of {options}.",
        "arch.widths_not_a_list": "The {what} layers must be given as a list of widths, got "
        "{value}.",
        "arch.too_many_dense": "At most {most} hidden layers are allowed, not {count}: "
        "remove some.",
        "arch.blocks_not_a_list": "Expected a list of ConvBlock, got {value}.",
        "arch.no_blocks": "A CNN needs from 1 to {most} conv blocks, got {count}: add one.",
        "arch.too_many_blocks": "A CNN needs from 1 to {most} conv blocks, got {count}: "
        "remove some.",
        "arch.not_a_block": "Expected a ConvBlock, got {value}.",
        "arch.sigmoid_classes": "A sigmoid head gives one probability, so it fits two classes, "
        "not {classes}: use the softmax head, or data with two classes (num_classes=2).",
        "arch.dense_too_big": "With {inputs} inputs, {width} neurons need {params} parameters, "
        "more than the {most} one layer may have: use fewer neurons.",
        "arch.dense_too_big_or_shrink": "With {inputs} inputs, {width} neurons need {params} "
        "parameters, more than the {most} one layer may have: use fewer neurons, or shrink the "
        "feature maps with more pooling or a larger stride.",
        "arch.output_too_big": "With {inputs} inputs, {outputs} outputs need {params} "
        "parameters, more than the {most} one layer may have: add a smaller hidden dense layer "
        "before it.",
        "arch.output_too_big_or_shrink": "With {inputs} inputs, {outputs} outputs need {params} "
        "parameters, more than the {most} one layer may have: add a smaller hidden dense layer "
        "before it, or shrink the feature maps with more pooling or a larger stride.",
        # Said in full (with the map's sizes on the way and what to change) by _kernel_too_large.
        "arch.kernel_too_big": "The map reaching block {block} is {side} with its padding, too "
        "small for its kernel, which spans {kernel}.",
        # Said in full by _pool_too_large.
        "arch.pool_too_big": "After block {block}'s convolution the map is {side}, too small for "
        "its {pool} pooling window.",
    }
)

# The English name of each place an architecture can go wrong; "block:2" and "dense:1" name
# one conv block or one dense layer.
_PLACE_NAMES = {
    "input": "Input",
    "head": "Output",
    "blocks": "Conv blocks",
    "block": "Conv block",
    "dense": "Dense layers",
    "hidden": "Hidden layers",
}
_NUMBERED_NAMES = {"block": "Conv block {n}", "dense": "Dense layer {n}"}


def place_name(place: str) -> str:
    """The English name of a place: "block:2" -> "Conv block 2", "head" -> "Output"."""
    kind, _, n = place.partition(":")
    return _NUMBERED_NAMES[kind].format(n=n) if n else _PLACE_NAMES[kind]


class ArchitectureError(LearnerError, ValueError):
    """An architecture that cannot be built, with the layer at fault and what to change.

    `place` says where, in words no language owns ("block:2", "dense:1", "dense", "head",
    "input"), so a page can put the message beside the control at fault; `layer` is the same
    place as English readers see it ("Conv block 2", "Output"). `problem` is the rest of the
    message: whole sentences, starting with a capital letter, since a page may show them alone.
    """

    def __init__(self, place: str, code: str, /, *, english: str | None = None, **fields: Any):
        LearnerError.__init__(self, code, english=english, **fields)
        self.place = place
        self.layer = place_name(place)
        self.problem = self.message
        self.args = (f"{self.layer}: {self.problem}",)


def _whole(value: Any, what: str, low: int, high: int | None, place: str) -> int:
    """`value` as an int in [low, high] (no upper end for None), or an ArchitectureError."""
    try:
        return checks.whole(what, value, low, high)
    except checks.SettingError as err:
        raise ArchitectureError(place, err.code, **err.fields) from None


def _choice(value: Any, what: str, options: tuple, place: str) -> None:
    if value not in options:
        shown = ", ".join(repr(o) for o in options)
        raise ArchitectureError(
            place, "arch.not_available", what=what, value=checks.quoted(value), options=shown
        )


def _widths(value: Any, what: str, place: str) -> tuple[int, ...]:
    """A list or tuple of layer widths as a tuple of ints (hashable), checked."""
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise ArchitectureError(
            place, "arch.widths_not_a_list", what=what, value=checks.quoted(value)
        )
    widths = tuple(value)
    if len(widths) > MAX_DENSE_LAYERS:
        raise ArchitectureError(
            place, "arch.too_many_dense", most=MAX_DENSE_LAYERS, count=len(widths)
        )
    return tuple(
        _whole(w, "The width", 1, MAX_DENSE_WIDTH, f"dense:{j}")
        for j, w in enumerate(widths, start=1)
    )


def _set(obj: object, name: str, value: Any) -> None:
    # Frozen dataclasses normalise their own fields (list -> tuple, numpy int -> int) this way.
    object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class ConvBlock:
    """One convolution, its activation, and an optional pooling layer after it."""

    filters: int = 8  # F: number of kernels, so of output channels
    kernel_size: int = 3  # KH = KW: side of each square kernel
    stride: int = 1  # step between kernel positions
    padding: int = 1  # zeros added on every side before the convolution
    dilation: int = 1  # spacing between kernel taps; the kernel spans dilation*(k-1)+1 pixels
    activation: str = "relu"  # one of ops.ACTIVATIONS; "none" adds no stage
    pool: str | None = "max"  # "max", "avg" or None for no pooling
    pool_size: int = 2  # side of the square pooling window
    pool_stride: int | None = None  # step of the pooling window; None means pool_size

    def __post_init__(self) -> None:
        # A block does not know its position; CNNSpec and spec_from_dict name it "Conv block i".
        layer = "block"
        _set(self, "filters", _whole(self.filters, "The number of filters", 1, MAX_FILTERS, layer))
        _set(self, "kernel_size", _whole(self.kernel_size, "The kernel size", 1, MAX_KERNEL, layer))
        _set(self, "stride", _whole(self.stride, "The stride", 1, MAX_STRIDE, layer))
        _set(self, "dilation", _whole(self.dilation, "The dilation", 1, MAX_DILATION, layer))
        _set(self, "padding", _whole(self.padding, "The padding", 0, MAX_PADDING, layer))
        _choice(self.activation, "Activation", ACTIVATIONS, layer)
        _choice(self.pool, "Pooling", (*POOLS, None), layer)
        _set(self, "pool_size", _whole(self.pool_size, "The pool size", 1, MAX_POOL, layer))
        if self.pool_stride is not None:
            _set(
                self,
                "pool_stride",
                _whole(self.pool_stride, "The pool stride", 1, MAX_POOL, layer),
            )

    @property
    def reach(self) -> int:
        """Pixels the dilated kernel spans along each side: dilation*(k-1)+1."""
        return self.dilation * (self.kernel_size - 1) + 1

    @property
    def pool_step(self) -> int:
        """The pooling stride actually used."""
        return self.pool_size if self.pool_stride is None else self.pool_stride


@dataclass(frozen=True)
class CNNSpec:
    """A convolutional network: conv blocks, flatten, hidden dense layers, output layer."""

    in_channels: int = 1  # C of the input image: 1 for grey, 3 for RGB
    input_size: int = 28  # H = W of the square input image
    num_classes: int = 10  # K; a sigmoid head needs K = 2
    conv_blocks: tuple[ConvBlock, ...] = (ConvBlock(8), ConvBlock(16))  # in order from the input
    dense: tuple[int, ...] = (64,)  # widths of the hidden dense layers after flatten
    dense_activation: str = "relu"  # activation after every hidden dense layer
    head: str = "softmax"  # "softmax" (K logits) or "sigmoid" (one logit, two classes)

    def __post_init__(self) -> None:
        _check_input(self)
        blocks = self.conv_blocks
        if isinstance(blocks, ConvBlock) or not hasattr(blocks, "__iter__"):
            raise ArchitectureError("blocks", "arch.blocks_not_a_list", value=checks.quoted(blocks))
        blocks = tuple(blocks)
        if not 1 <= len(blocks) <= MAX_CONV_BLOCKS:
            code = "arch.no_blocks" if not blocks else "arch.too_many_blocks"
            raise ArchitectureError("blocks", code, most=MAX_CONV_BLOCKS, count=len(blocks))
        for i, block in enumerate(blocks, start=1):
            if not isinstance(block, ConvBlock):
                raise ArchitectureError(
                    f"block:{i}", "arch.not_a_block", value=checks.quoted(block)
                )
        _set(self, "conv_blocks", blocks)
        _set(self, "dense", _widths(self.dense, "dense", "dense"))
        _choice(self.dense_activation, "Dense activation", ACTIVATIONS, "dense")
        _walk(self)  # the shape checks


@dataclass(frozen=True)
class MLPSpec:
    """A plain fully connected network (ANN) on the same input as a CNN."""

    in_channels: int = 1  # C of the input image: 1 for grey, 3 for RGB
    input_size: int = 28  # H = W of the square input image
    num_classes: int = 10  # K; a sigmoid head needs K = 2
    hidden: tuple[int, ...] = (128, 64)  # widths of the hidden layers after flatten
    activation: str = "relu"  # activation after every hidden layer
    head: str = "softmax"  # "softmax" (K logits) or "sigmoid" (one logit, two classes)

    def __post_init__(self) -> None:
        _check_input(self)
        _set(self, "hidden", _widths(self.hidden, "hidden", "hidden"))
        _choice(self.activation, "Activation", ACTIVATIONS, "hidden")
        _walk(self)


Spec = CNNSpec | MLPSpec


def _check_input(spec: Spec) -> None:
    """The checks CNNSpec and MLPSpec share: input image and output head."""
    _set(spec, "in_channels", _whole(spec.in_channels, "Channels", 1, MAX_IN_CHANNELS, "input"))
    _set(spec, "input_size", _whole(spec.input_size, "The size", 1, MAX_INPUT_SIZE, "input"))
    _set(
        spec,
        "num_classes",
        _whole(spec.num_classes, "The number of classes", 2, MAX_CLASSES, "head"),
    )
    _choice(spec.head, "Head", tuple(HEADS), "head")
    if spec.head == "sigmoid" and spec.num_classes != 2:
        raise ArchitectureError("head", "arch.sigmoid_classes", classes=spec.num_classes)


@dataclass(frozen=True)
class StageInfo:
    """One stage of a network as the pages list it."""

    name: str  # "conv1", "relu1", "maxpool1", "flatten", "dense1", "logits", ...
    kind: str  # input, conv, activation, pool, flatten, dense, logits or probs
    shape: tuple[int, ...]  # (C, H, W) for feature maps, (D,) for vectors; no batch dim
    params: int  # weights + biases of this stage, 0 for stages without parameters
    description: str = ""  # one line for a learner


@dataclass(frozen=True)
class _Resize:
    """One place where a CNN's feature map changes size, for messages that explain a refusal."""

    block: int  # the conv block, from 1
    side: int  # the map's side after this step
    how: str  # the settings that did it: "2×2 max pooling"
    fixes: tuple[str, ...]  # what keeps the map larger, when it shrank: ("a smaller pool",)


def _side(n: int) -> str:
    return f"{n}×{n}"


def _one_of(options: list[str]) -> str:
    """'a', 'a or b', 'a, b, or c' (and 'a or b, or c': a comma where an option has an 'or')."""
    if len(options) == 2 and not any(" or " in option for option in options):
        return " or ".join(options)
    return ", ".join(options[:-1]) + (", or " if len(options) > 1 else "") + options[-1]


def _conv_words(block: ConvBlock) -> str:
    """The convolution's settings that decide its output size: '3×3 kernel, padding 0'."""
    words = f"{_side(block.kernel_size)} kernel, padding {block.padding}"
    if block.dilation > 1:
        words += f", dilation {block.dilation}"
    if block.stride > 1:
        words += f", stride {block.stride}"
    return words


def _pool_words(block: ConvBlock) -> str:
    words = f"{_side(block.pool_size)} {block.pool} pooling"
    return words if block.pool_step == block.pool_size else f"{words}, stride {block.pool_step}"


def _conv_resize(i: int, block: ConvBlock, before: int, after: int) -> _Resize:
    """How block i's convolution took the map from `before` to `after` pixels a side."""
    fixes = []
    if after < before and block.reach - 1 > 2 * block.padding:
        fixes.append("more padding")
    if after < before and block.stride > 1:
        fixes.append("a smaller stride")
    return _Resize(i, after, _conv_words(block), tuple(fixes))


def _refusal(first: str, i: int, picture: int, resizes: list[_Resize], fixes: list[str]) -> str:
    """`first`, then the map's sizes on the way to block i and what would keep it larger.

    `fixes` are the changes to block i itself; the blocks before it add theirs.
    """
    sentences = [first]
    if resizes:
        path = " → ".join(
            [_side(picture)] + [f"{_side(r.side)} (block {r.block}: {r.how})" for r in resizes]
        )
        sentences.append(f"Map sizes on the way: {path}.")
    advice = f"Use {_one_of(fixes)}"
    earlier = list(dict.fromkeys(f for r in resizes if r.block < i for f in r.fixes))
    if earlier:
        blocks = "block 1" if i == 2 else f"blocks 1-{i - 1}"
        advice += f"; or keep the map larger in {blocks} ({_one_of(earlier)}), or use fewer blocks"
    sentences.append(f"{advice}.")
    return " ".join(sentences)


def _kernel_too_large(
    i: int, block: ConvBlock, picture: int, H: int, resizes: list[_Resize]
) -> ArchitectureError:
    """Why block i's kernel does not fit the H×H map that reaches it."""
    kernel = f"{_side(block.kernel_size)} kernel"
    if block.dilation > 1:
        kernel += f" (spanning {_side(block.reach)} with dilation {block.dilation})"
    padded = (
        f" ({_side(H + 2 * block.padding)} with padding {block.padding})" if block.padding else ""
    )
    where = "The picture is" if i == 1 else f"After block {i - 1} the map is"
    first = f"{where} {_side(H)}{padded}, too small for block {i}'s {kernel}."
    smaller = "a smaller kernel or dilation" if block.dilation > 1 else "a smaller kernel"
    return ArchitectureError(
        f"block:{i}",
        "arch.kernel_too_big",
        english=_refusal(first, i, picture, resizes, [smaller, "more padding"]),
        block=i,
        side=_side(H + 2 * block.padding),
        kernel=_side(block.reach),
    )


def _pool_too_large(
    i: int, block: ConvBlock, picture: int, H: int, resizes: list[_Resize]
) -> ArchitectureError:
    """Why block i's pooling window does not fit the H×H map its convolution made."""
    first = (
        f"After block {i}'s convolution the map is {_side(H)}, too small for its "
        f"{_side(block.pool_size)} {block.pool} pooling window."
    )
    fixes = ["a smaller pool or none in this block"]
    own = [f for r in resizes if r.block == i for f in r.fixes]
    if own:
        fixes.append(f"{_one_of(own)} in its convolution")
    return ArchitectureError(
        f"block:{i}",
        "arch.pool_too_big",
        english=_refusal(first, i, picture, resizes, fixes),
        block=i,
        side=_side(H),
        pool=_side(block.pool_size),
    )


def _flatten_then_dense(
    stages: list[StageInfo],
    C: int,
    S: int,
    what: str,
    widths: tuple[int, ...],
    activation: str,
    spec: Spec,
) -> list[StageInfo]:
    """Append flatten (C maps of side S, the `what`, as one vector) and the dense stages."""
    d = C * S * S
    stages.append(
        StageInfo(
            "flatten",
            "flatten",
            (d,),
            0,
            f"the {C}×{S}×{S} {what} as {d} numbers (channel, then row, then column)",
        )
    )
    _dense_stages(stages, d, widths, activation, spec)
    return stages


def _dense_stages(
    stages: list[StageInfo], d_in: int, widths: tuple[int, ...], activation: str, spec: Spec
) -> None:
    """Append the hidden dense layers, their activations, logits and probs to `stages`."""
    for j, width in enumerate(widths, start=1):
        params = d_in * width + width
        if params > MAX_LAYER_PARAMS:
            shrinks = j == 1 and isinstance(spec, CNNSpec)  # the maps before it can shrink too
            raise ArchitectureError(
                f"dense:{j}",
                "arch.dense_too_big_or_shrink" if shrinks else "arch.dense_too_big",
                inputs=f"{d_in:,}",
                width=width,
                params=f"{params:,}",
                most=f"{MAX_LAYER_PARAMS:,}",
            )
        stages.append(
            StageInfo(
                f"dense{j}",
                "dense",
                (width,),
                params,
                f"{width} neurons, each a weighted sum of the {d_in} values before it plus a bias",
            )
        )
        if activation != "none":
            stages.append(
                StageInfo(
                    f"dense{j}_{activation}",
                    "activation",
                    (width,),
                    0,
                    f"{activation} applied to each of the {width} sums",
                )
            )
        d_in = width
    outputs = HEADS[spec.head].num_logits(spec.num_classes)
    params = d_in * outputs + outputs
    if params > MAX_LAYER_PARAMS:
        raise ArchitectureError(
            "head",
            "arch.output_too_big_or_shrink" if isinstance(spec, CNNSpec) else "arch.output_too_big",
            inputs=f"{d_in:,}",
            outputs=outputs,
            params=f"{params:,}",
            most=f"{MAX_LAYER_PARAMS:,}",
        )
    if spec.head == "sigmoid":
        stages.append(StageInfo("logits", "logits", (1,), params, "one score (logit) for class 1"))
        stages.append(StageInfo("probs", "probs", (1,), 0, "sigmoid: probability of class 1"))
    else:
        stages.append(
            StageInfo("logits", "logits", (outputs,), params, f"{outputs} class scores (logits)")
        )
        stages.append(
            StageInfo(
                "probs", "probs", (outputs,), 0, f"softmax: the {outputs} scores as probabilities"
            )
        )


def _walk(spec: Spec) -> list[StageInfo]:
    """Every stage of `spec` with its output shape, refusing shapes that cannot work."""
    C, S = spec.in_channels, spec.input_size
    stages = [
        StageInfo("input", "input", (C, S, S), 0, f"{C}×{S}×{S} image (channels × rows × columns)")
    ]
    if isinstance(spec, MLPSpec):
        return _flatten_then_dense(stages, C, S, "image", spec.hidden, spec.activation, spec)

    H = S
    resizes: list[_Resize] = []  # every change of the map's side so far, in order
    for i, block in enumerate(spec.conv_blocks, start=1):
        k, pad = block.kernel_size, block.padding
        if block.reach > H + 2 * pad:
            raise _kernel_too_large(i, block, S, H, resizes)
        params = block.filters * C * k * k + block.filters
        detail = f", dilation {block.dilation}" if block.dilation > 1 else ""
        description = (
            f"{block.filters} kernels of {C}×{k}×{k}, stride {block.stride}, padding {pad}{detail}"
        )
        H_conv = ops.conv2d_output_size(H, k, block.stride, pad, block.dilation)
        if H_conv != H:
            resizes.append(_conv_resize(i, block, H, H_conv))
        H = H_conv
        C = block.filters
        stages.append(StageInfo(f"conv{i}", "conv", (C, H, H), params, description))
        if block.activation != "none":
            stages.append(
                StageInfo(
                    f"{block.activation}{i}",
                    "activation",
                    (C, H, H),
                    0,
                    f"{block.activation} applied to every value",
                )
            )
        if block.pool is not None:
            size, step = block.pool_size, block.pool_step
            if size > H:
                raise _pool_too_large(i, block, S, H, resizes)
            # Pooling slides a window like a convolution without padding or dilation.
            H_pool = ops.conv2d_output_size(H, size, step, 0, 1)
            if H_pool != H:
                resizes.append(_Resize(i, H_pool, _pool_words(block), ("a smaller pool",)))
            H = H_pool
            stages.append(
                StageInfo(
                    f"{block.pool}pool{i}",
                    "pool",
                    (C, H, H),
                    0,
                    f"{size}×{size} {block.pool} pooling, stride {step}",
                )
            )
    return _flatten_then_dense(stages, C, H, "maps", spec.dense, spec.dense_activation, spec)


def stage_shapes(spec: Spec) -> list[StageInfo]:
    """Every stage of the network `spec` describes, in order, with shapes and parameter counts."""
    return _walk(spec)


def _dense_modules(
    layers: OrderedDict[str, nn.Module],
    d_in: int,
    widths: tuple[int, ...],
    activation: str,
    spec: Spec,
) -> None:
    for j, width in enumerate(widths, start=1):
        layers[f"dense{j}"] = nn.Linear(d_in, width, dtype=torch.float32)
        if activation != "none":
            layers[f"dense{j}_{activation}"] = ACTIVATION_MODULES[activation]()
        d_in = width
    outputs = HEADS[spec.head].num_logits(spec.num_classes)
    layers["logits"] = nn.Linear(d_in, outputs, dtype=torch.float32)


def _seeded(build: Callable[[], nn.Sequential], seed: int) -> nn.Sequential:
    # torch's own initialisers draw from the global generator: seed a private fork of it, so
    # building a model never changes the random numbers anyone else draws.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def _flat_size(spec: Spec) -> int:
    """Number of values the flatten stage passes to the first dense layer."""
    return next(s.shape[0] for s in _walk(spec) if s.kind == "flatten")


def build_cnn(spec: CNNSpec, seed: int = 0) -> nn.Sequential:
    """The torch CNN for `spec`, children named like its stages, outputting logits (N, K or 1).

    Softmax or sigmoid is left out of the model (training uses cross_entropy on logits); the
    spec travels with the model as `model.spec`.
    """
    if not isinstance(spec, CNNSpec):
        raise TypeError(f"build_cnn needs a CNNSpec, got {type(spec).__name__}.")

    def build() -> nn.Sequential:
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        C = spec.in_channels
        for i, block in enumerate(spec.conv_blocks, start=1):
            layers[f"conv{i}"] = nn.Conv2d(
                C,
                block.filters,
                block.kernel_size,
                stride=block.stride,
                padding=block.padding,
                dilation=block.dilation,
                dtype=torch.float32,
            )
            C = block.filters
            if block.activation != "none":
                layers[f"{block.activation}{i}"] = ACTIVATION_MODULES[block.activation]()
            if block.pool is not None:
                layers[f"{block.pool}pool{i}"] = POOL_MODULES[block.pool](
                    block.pool_size, stride=block.pool_step
                )
        layers["flatten"] = nn.Flatten()
        _dense_modules(layers, _flat_size(spec), spec.dense, spec.dense_activation, spec)
        return nn.Sequential(layers)

    model = _seeded(build, seed)
    model.spec = spec
    return model


def build_mlp(spec: MLPSpec, seed: int = 0) -> nn.Sequential:
    """The torch MLP for `spec` (flatten, dense layers, logits), like `build_cnn`."""
    if not isinstance(spec, MLPSpec):
        raise TypeError(f"build_mlp needs an MLPSpec, got {type(spec).__name__}.")

    def build() -> nn.Sequential:
        layers: OrderedDict[str, nn.Module] = OrderedDict(flatten=nn.Flatten())
        _dense_modules(layers, _flat_size(spec), spec.hidden, spec.activation, spec)
        return nn.Sequential(layers)

    model = _seeded(build, seed)
    model.spec = spec
    return model


def parameter_counts(model: nn.Module) -> list[tuple[str, int]]:
    """(layer name, weights + biases) for each child of `model` that has parameters."""
    counts = [
        (name, sum(p.numel() for p in child.parameters())) for name, child in model.named_children()
    ]
    return [(name, n) for name, n in counts if n]


def count_parameters(spec_or_model: Spec | nn.Module) -> int:
    """Total number of parameters of a model, or of the model a spec describes."""
    if isinstance(spec_or_model, nn.Module):
        return sum(p.numel() for p in spec_or_model.parameters())
    return sum(s.params for s in stage_shapes(spec_or_model))


def mlp_matching_budget(
    cnn_spec: CNNSpec, target_params: int | None = None, depth: int = 1
) -> MLPSpec:
    """An MLP on the same input and head whose parameter count is closest to `target_params`.

    The target defaults to the CNN's own count, for a comparison at equal budget. With depth 2
    the second hidden layer is half as wide as the first. Widths are capped at
    MAX_DENSE_WIDTH, so a very large target is met as closely as that allows.
    """
    depth = _whole(depth, "The depth", 1, MAX_DENSE_LAYERS, "hidden")
    if target_params is None:
        target = count_parameters(cnn_spec)
    else:
        # No upper end: widths are capped, so a huge budget is met as closely as they allow.
        target = _whole(target_params, "The parameter budget", 1, None, "hidden")

    outputs = HEADS[cnn_spec.head].num_logits(cnn_spec.num_classes)
    d_in = cnn_spec.in_channels * cnn_spec.input_size**2

    def widths(first: int) -> tuple[int, ...]:
        return tuple(max(1, round(first / 2**d)) for d in range(depth))

    def params(first: int) -> int:
        sizes = (d_in, *widths(first), outputs)
        return sum(a * b + b for a, b in pairwise(sizes))

    # The count grows with the width, so a binary search finds where it crosses the target;
    # the best width is on one side or the other of that crossing. Only the first layer can
    # pass MAX_LAYER_PARAMS (the others have at most 4096 × 2048 weights): cap its width.
    low, high = 1, max(1, min(MAX_DENSE_WIDTH, MAX_LAYER_PARAMS // (d_in + 1)))
    while low < high:
        mid = (low + high) // 2
        if params(mid) < target:
            low = mid + 1
        else:
            high = mid
    best = min((max(1, low - 1), low), key=lambda w: abs(params(w) - target))
    return MLPSpec(
        in_channels=cnn_spec.in_channels,
        input_size=cnn_spec.input_size,
        num_classes=cnn_spec.num_classes,
        hidden=widths(best),
        activation=cnn_spec.dense_activation,
        head=cnn_spec.head,
    )


def clone_model(model: nn.Module) -> nn.Module:
    """An independent copy of `model` (weights, buffers and spec) that can be changed freely."""
    return copy.deepcopy(model)


def spec_to_dict(spec: Spec) -> dict[str, Any]:
    """`spec` as plain JSON-ready data, with "type": "cnn" or "mlp"."""
    if not isinstance(spec, CNNSpec | MLPSpec):
        raise TypeError(f"Expected a CNNSpec or MLPSpec, got {type(spec).__name__}.")
    data = {"type": "cnn" if isinstance(spec, CNNSpec) else "mlp", **asdict(spec)}
    return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}


def _known_keys(data: dict, cls: type, what: str, ignore: tuple[str, ...] = ()) -> dict:
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names - set(ignore))
    if unknown:
        raise ValueError(
            f"Unknown field(s) {', '.join(map(checks.quoted, unknown))} in {what}; known fields: "
            f"{', '.join(sorted(names))}."
        )
    return {k: v for k, v in data.items() if k in names}


def spec_from_dict(data: dict[str, Any]) -> Spec:
    """The spec `spec_to_dict` wrote; missing fields take their defaults.

    Raises ValueError for data that is not a spec and ArchitectureError (a ValueError) for a spec
    that describes an impossible network.
    """
    if not isinstance(data, dict):
        raise ValueError(f"A spec must be a dict, got {type(data).__name__}.")
    kind = data.get("type")
    if kind == "mlp":
        return MLPSpec(**_known_keys(data, MLPSpec, "an mlp spec", ignore=("type",)))
    if kind != "cnn":
        raise ValueError(f'A spec needs "type": "cnn" or "mlp", got {checks.quoted(kind)}.')
    kwargs = _known_keys(data, CNNSpec, "a cnn spec", ignore=("type",))
    if "conv_blocks" in kwargs:
        raw = kwargs["conv_blocks"]
        if not isinstance(raw, list | tuple):
            raise ValueError(f"conv_blocks must be a list of dicts, got {checks.quoted(raw)}.")
        blocks = []
        for i, block in enumerate(raw, start=1):
            if not isinstance(block, dict):
                raise ValueError(f"Conv block {i} must be a dict, got {checks.quoted(block)}.")
            try:
                blocks.append(ConvBlock(**_known_keys(block, ConvBlock, f"conv block {i}")))
            except ArchitectureError as err:
                raise ArchitectureError(
                    f"block:{i}", err.code, english=err.problem, **err.fields
                ) from None
        kwargs["conv_blocks"] = tuple(blocks)
    return CNNSpec(**kwargs)
