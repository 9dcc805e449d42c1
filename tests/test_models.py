"""Architecture specs against the torch models they build: shapes, counts, errors, seeding."""

import json
import re

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch import nn

from cnnexplain.model.spec import (
    MAX_LAYER_PARAMS,
    ArchitectureError,
    CNNSpec,
    ConvBlock,
    MLPSpec,
    build_cnn,
    build_mlp,
    clone_model,
    count_parameters,
    mlp_matching_budget,
    parameter_counts,
    spec_from_dict,
    spec_to_dict,
    stage_shapes,
)

# Raw block settings within every per-field limit, so that only the shape checks can refuse them.
block_settings = st.fixed_dictionaries(
    {
        "filters": st.integers(1, 6),
        "kernel_size": st.integers(1, 5),
        "stride": st.integers(1, 3),
        "padding": st.integers(0, 2),
        "dilation": st.integers(1, 3),
        "activation": st.sampled_from(["relu", "tanh", "sigmoid", "none"]),
        "pool": st.sampled_from(["max", "avg", None]),
        "pool_size": st.integers(1, 3),
        "pool_stride": st.sampled_from([None, 1, 2, 3]),
    }
)
spec_settings = st.fixed_dictionaries(
    {
        "in_channels": st.sampled_from([1, 3]),
        "input_size": st.integers(1, 20),
        "conv_blocks": st.lists(block_settings, min_size=1, max_size=4),
        "dense": st.lists(st.integers(1, 12), max_size=2),
        "dense_activation": st.sampled_from(["relu", "tanh", "sigmoid", "none"]),
        "head": st.sampled_from(["softmax", "sigmoid"]),
    }
)


def spec_of(settings_: dict) -> CNNSpec:
    """The CNNSpec for raw settings (raises ArchitectureError for impossible ones)."""
    blocks = [ConvBlock(**b) for b in settings_["conv_blocks"]]
    num_classes = 2 if settings_["head"] == "sigmoid" else 5
    return CNNSpec(**{**settings_, "conv_blocks": blocks, "num_classes": num_classes})


def torch_feature_shape(settings_: dict) -> tuple[int, ...]:
    """Run the conv part of raw settings in plain torch, built here without cnnexplain."""
    layers: list[nn.Module] = []
    channels = settings_["in_channels"]
    for b in settings_["conv_blocks"]:
        layers.append(
            nn.Conv2d(
                channels, b["filters"], b["kernel_size"], b["stride"], b["padding"], b["dilation"]
            )
        )
        channels = b["filters"]
        if b["pool"] is not None:
            pool = nn.MaxPool2d if b["pool"] == "max" else nn.AvgPool2d
            layers.append(pool(b["pool_size"], b["pool_stride"] or b["pool_size"]))
    size = settings_["input_size"]
    with torch.no_grad():
        return tuple(
            nn.Sequential(*layers)(torch.zeros(1, settings_["in_channels"], size, size)).shape[1:]
        )


def shapes_through(model: nn.Module, x: torch.Tensor) -> list[tuple[str, tuple[int, ...]]]:
    out = []
    with torch.no_grad():
        for name, child in model.named_children():
            x = child(x)
            out.append((name, tuple(x.shape[1:])))
    return out


@settings(max_examples=150, deadline=None)
@given(spec_settings)
def test_spec_refuses_exactly_the_architectures_torch_cannot_run(settings_):
    try:
        torch_shape = torch_feature_shape(settings_)
    except RuntimeError:
        torch_shape = None
    if torch_shape is None or min(torch_shape) < 1:
        with pytest.raises(ArchitectureError, match=r"^Conv block \d+: .* is \d+×\d+.*, too small"):
            spec_of(settings_)
    else:
        spec = spec_of(settings_)
        assert next(s.shape for s in stage_shapes(spec) if s.name == "flatten") == (
            int(np.prod(torch_shape)),
        )


@settings(max_examples=60, deadline=None)
@given(spec_settings)
def test_stage_shapes_and_counts_are_what_torch_produces(settings_):
    try:
        spec = spec_of(settings_)
    except ArchitectureError:
        assume(False)  # impossible architectures are the test above
    stages = stage_shapes(spec)
    model = build_cnn(spec)
    size = spec.input_size

    assert stages[0].name == "input" and stages[0].shape == (spec.in_channels, size, size)
    assert stages[-1].name == "probs" and stages[-1].shape == stages[-2].shape
    x = torch.zeros(1, spec.in_channels, size, size)
    assert [(s.name, s.shape) for s in stages[1:-1]] == shapes_through(model, x)

    per_layer = [
        (name, sum(p.numel() for p in child.parameters())) for name, child in model.named_children()
    ]
    assert parameter_counts(model) == [(n, c) for n, c in per_layer if c]
    assert parameter_counts(model) == [(s.name, s.params) for s in stages if s.params]
    assert (
        count_parameters(spec)
        == count_parameters(model)
        == sum(p.numel() for p in model.parameters())
    )


def test_default_spec_stages():
    stages = stage_shapes(CNNSpec())
    assert [(s.name, s.kind, s.shape, s.params) for s in stages] == [
        ("input", "input", (1, 28, 28), 0),
        ("conv1", "conv", (8, 28, 28), 8 * 1 * 3 * 3 + 8),
        ("relu1", "activation", (8, 28, 28), 0),
        ("maxpool1", "pool", (8, 14, 14), 0),
        ("conv2", "conv", (16, 14, 14), 16 * 8 * 3 * 3 + 16),
        ("relu2", "activation", (16, 14, 14), 0),
        ("maxpool2", "pool", (16, 7, 7), 0),
        ("flatten", "flatten", (16 * 7 * 7,), 0),
        ("dense1", "dense", (64,), 784 * 64 + 64),
        ("dense1_relu", "activation", (64,), 0),
        ("logits", "logits", (10,), 64 * 10 + 10),
        ("probs", "probs", (10,), 0),
    ]
    assert all(s.description for s in stages)


def test_stage_names_follow_activation_pool_and_head():
    spec = CNNSpec(
        in_channels=3,
        input_size=16,
        num_classes=2,
        conv_blocks=(
            ConvBlock(4, activation="tanh", pool="avg"),
            ConvBlock(4, activation="none", pool=None),
            ConvBlock(4, activation="sigmoid"),
        ),
        dense=(8, 6),
        dense_activation="tanh",
        head="sigmoid",
    )
    assert [s.name for s in stage_shapes(spec)] == [
        "input",
        "conv1",
        "tanh1",
        "avgpool1",
        "conv2",
        "conv3",
        "sigmoid3",
        "maxpool3",
        "flatten",
        "dense1",
        "dense1_tanh",
        "dense2",
        "dense2_tanh",
        "logits",
        "probs",
    ]
    assert stage_shapes(spec)[-2].shape == (1,)
    assert [name for name, _ in build_cnn(spec).named_children()] == [
        s.name for s in stage_shapes(spec)[1:-1]
    ]


@pytest.mark.parametrize(
    "spec",
    [
        MLPSpec(),
        MLPSpec(in_channels=3, input_size=8, num_classes=2, hidden=(5,), head="sigmoid"),
        MLPSpec(hidden=(), activation="none"),
        MLPSpec(input_size=10, hidden=(7, 6, 5), activation="tanh"),
    ],
)
def test_mlp_stages_match_torch(spec):
    stages = stage_shapes(spec)
    model = build_mlp(spec)
    x = torch.zeros(1, spec.in_channels, spec.input_size, spec.input_size)
    assert stages[0].shape == (spec.in_channels, spec.input_size, spec.input_size)
    assert stages[1].name == "flatten"
    assert [(s.name, s.shape) for s in stages[1:-1]] == shapes_through(model, x)
    assert parameter_counts(model) == [(s.name, s.params) for s in stages if s.params]
    assert count_parameters(spec) == sum(p.numel() for p in model.parameters())


def test_mlp_stage_names():
    names = [s.name for s in stage_shapes(MLPSpec(hidden=(4, 3), activation="sigmoid"))]
    assert names == [
        "input",
        "flatten",
        "dense1",
        "dense1_sigmoid",
        "dense2",
        "dense2_sigmoid",
        "logits",
        "probs",
    ]


def blocks(*kwargs_list: dict) -> tuple[ConvBlock, ...]:
    return tuple(ConvBlock(**kw) for kw in kwargs_list)


# Every way a spec is refused: what makes it, and the message (a regular expression).
IMPOSSIBLE = [
    (
        lambda: CNNSpec(input_size=4, conv_blocks=blocks({}, {"kernel_size": 5, "padding": 0})),
        r"^Conv block 2: After block 1 the map is 2×2, too small for block 2's 5×5 kernel\. "
        r"Map sizes on the way: 4×4 → 2×2 \(block 1: 2×2 max pooling\)\. Use a smaller "
        r"kernel or more padding; or keep the map larger in block 1 \(a smaller pool\), or "
        r"use fewer blocks\.$",
    ),
    (
        lambda: CNNSpec(input_size=5, conv_blocks=blocks({"dilation": 3, "padding": 0})),
        r"^Conv block 1: The picture is 5×5, too small for block 1's 3×3 kernel \(spanning "
        r"7×7 with dilation 3\)\. Use a smaller kernel or dilation, or more padding\.$",
    ),
    (
        lambda: CNNSpec(
            input_size=8,
            conv_blocks=blocks({"padding": 0}, {"padding": 0, "pool": None}, {"padding": 0}),
        ),
        r"^Conv block 3: After block 2 the map is 1×1, too small for block 3's 3×3 kernel\. "
        r"Map sizes on the way: 8×8 → 6×6 \(block 1: 3×3 kernel, padding 0\) → 3×3 \(block "
        r"1: 2×2 max pooling\) → 1×1 \(block 2: 3×3 kernel, padding 0\)\. Use a smaller "
        r"kernel or more padding; or keep the map larger in blocks 1-2 \(more padding or a "
        r"smaller pool\), or use fewer blocks\.$",
    ),
    (
        lambda: CNNSpec(input_size=2, conv_blocks=blocks({"pool_size": 3})),
        r"^Conv block 1: After block 1's convolution the map is 2×2, too small for its 3×3 "
        r"max pooling window\. Use a smaller pool or none in this block\.$",
    ),
    (
        lambda: CNNSpec(head="sigmoid"),
        r"^Output: A sigmoid head .* not 10: use the softmax head, or data with two classes "
        r"\(num_classes=2\)\.$",
    ),
    (lambda: MLPSpec(num_classes=3, head="sigmoid"), r"^Output: A sigmoid head"),
    (lambda: CNNSpec(head="tanh"), r"^Output: Head 'tanh' is not available"),
    (lambda: CNNSpec(num_classes=1), r"^Output: The number of classes must be .* from 2"),
    (lambda: CNNSpec(input_size=300), r"^Input: The size must be .* from 1 to 256"),
    (lambda: CNNSpec(in_channels=0), r"^Input: Channels must be"),
    (
        lambda: CNNSpec(conv_blocks=blocks(*[{}] * 9)),
        r"^Conv blocks: A CNN needs from 1 to 8 .* got 9",
    ),
    (lambda: CNNSpec(conv_blocks=()), r"^Conv blocks: .* got 0: add one"),
    (lambda: CNNSpec(conv_blocks=(ConvBlock(), {"filters": 3})), r"^Conv block 2: Expected"),
    (lambda: ConvBlock(filters=300), r"^Conv block: The number of filters .* 1 to 256"),
    (lambda: ConvBlock(filters=0), r"^Conv block: The number of filters"),
    (lambda: ConvBlock(filters=True), r"^Conv block: The number of filters"),
    (lambda: ConvBlock(kernel_size=2.5), r"^Conv block: The kernel size"),
    (lambda: ConvBlock(stride=0), r"^Conv block: The stride"),
    (lambda: ConvBlock(padding=-1), r"^Conv block: The padding"),
    (lambda: ConvBlock(activation="gelu"), r"^Conv block: Activation 'gelu' is not available"),
    (lambda: ConvBlock(pool="min"), r"^Conv block: Pooling 'min' is not available"),
    (lambda: ConvBlock(pool_stride=0), r"^Conv block: The pool stride"),
    (lambda: CNNSpec(dense=(64, 5000)), r"^Dense layer 2: The width .* 1 to 4096"),
    (lambda: CNNSpec(dense=64), r"^Dense layers: The dense layers must be given as a list"),
    (
        lambda: CNNSpec(dense=(8,) * 9),
        r"^Dense layers: At most 8 hidden layers are allowed, not 9",
    ),
    (lambda: CNNSpec(dense_activation="elu"), r"^Dense layers: Dense activation 'elu'"),
    (lambda: MLPSpec(hidden=(10, 0)), r"^Dense layer 2: The width"),
    (
        lambda: CNNSpec(input_size=256, conv_blocks=blocks({"filters": 64, "pool": None})),
        r"^Dense layer 1: With 4,194,304 inputs, 64 neurons need 268,435,520 parameters, more "
        r"than the 10,000,000 .*shrink the feature maps",
    ),
    (
        lambda: MLPSpec(input_size=256, in_channels=3, num_classes=100, hidden=()),
        r"^Output: With 196,608 inputs, 100 outputs need .* add a smaller hidden dense layer",
    ),
    (
        lambda: CNNSpec(
            input_size=28,
            conv_blocks=blocks(
                {"kernel_size": 5, "padding": 0, "stride": 2, "pool": None},
                {"padding": 2, "pool_size": 4},
                {"pool_size": 4},
            ),
        ),
        r"^Conv block 3: After block 3's convolution the map is 3×3, too small for its 4×4 "
        r"max pooling window\. Map sizes on the way: 28×28 → 12×12 \(block 1: 5×5 kernel, "
        r"padding 0, stride 2\) → 14×14 \(block 2: 3×3 kernel, padding 2\) → 3×3 \(block 2: "
        r"4×4 max pooling\)\. Use a smaller pool or none in this block; or keep the map larger "
        r"in blocks 1-2 \(more padding, a smaller stride, or a smaller pool\), or use fewer "
        r"blocks\.$",
    ),
    (
        lambda: CNNSpec(
            input_size=4, conv_blocks=blocks({"padding": 0, "pool": "avg", "pool_size": 3})
        ),
        r"^Conv block 1: After block 1's convolution the map is 2×2, too small for its 3×3 "
        r"avg pooling window\. Map sizes on the way: 4×4 → 2×2 \(block 1: 3×3 kernel, padding "
        r"0\)\. Use a smaller pool or none in this block, or more padding in its convolution\.$",
    ),
    (lambda: mlp_matching_budget(CNNSpec(), depth=0), r"^Hidden layers: The depth must be"),
]


@pytest.mark.parametrize(("make", "message"), IMPOSSIBLE)
def test_impossible_architectures_name_the_layer_and_the_fix(make, message):
    with pytest.raises(ArchitectureError, match=message):
        make()


def test_architecture_error_is_a_value_error_with_the_layer():
    with pytest.raises(ValueError) as info:
        CNNSpec(input_size=2, conv_blocks=blocks({}, {"padding": 0}))
    assert isinstance(info.value, ArchitectureError)
    assert info.value.layer == "Conv block 2"
    assert str(info.value) == f"Conv block 2: {info.value.problem}"


def test_layer_parameter_limit_is_the_edge():
    d_in = 3 * 40 * 40
    widest = MAX_LAYER_PARAMS // (d_in + 1)  # (d_in + 1) * widest weights and biases fit
    assert count_parameters(MLPSpec(in_channels=3, input_size=40, hidden=(widest,))) > 0
    with pytest.raises(
        ArchitectureError, match=r"^Dense layer 1: With 4,800 inputs, 2083 neurons need"
    ):
        MLPSpec(in_channels=3, input_size=40, hidden=(widest + 1,))


def test_specs_are_hashable_and_normalised():
    spec = CNNSpec(conv_blocks=[ConvBlock(np.int64(4))], dense=[np.int64(32)])
    assert spec.conv_blocks == (ConvBlock(4),)
    assert spec.dense == (32,) and type(spec.dense[0]) is int
    assert type(spec.conv_blocks[0].filters) is int
    assert hash(spec) == hash(CNNSpec(conv_blocks=(ConvBlock(4),), dense=(32,)))
    assert {spec: 1}[CNNSpec(conv_blocks=(ConvBlock(4),), dense=(32,))] == 1
    assert MLPSpec(hidden=[5, 4]).hidden == (5, 4)
    with pytest.raises(AttributeError):
        spec.input_size = 3


def test_repr_is_readable_and_evaluates_back():
    spec = CNNSpec(conv_blocks=(ConvBlock(4, pool="avg", pool_stride=1),), dense=(7,))
    text = repr(spec)
    assert text.startswith("CNNSpec(in_channels=1, input_size=28, num_classes=10, conv_blocks=(")
    assert "ConvBlock(filters=4, kernel_size=3" in text
    assert eval(text) == spec
    assert eval(repr(MLPSpec(hidden=(3,)))) == MLPSpec(hidden=(3,))


def test_build_is_float32_and_carries_its_spec():
    spec = CNNSpec(conv_blocks=(ConvBlock(4),), dense=(8,))
    model = build_cnn(spec)
    assert model.spec is spec
    assert all(p.dtype == torch.float32 for p in model.parameters())
    conv = model.conv1
    assert (conv.stride, conv.padding, conv.dilation, conv.kernel_size) == (
        (1, 1),
        (1, 1),
        (1, 1),
        (3, 3),
    )
    assert model.maxpool1.kernel_size == 2 and model.maxpool1.stride == 2
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert build_mlp(MLPSpec()).spec == MLPSpec()
    with pytest.raises(TypeError, match="build_cnn needs a CNNSpec"):
        build_cnn(MLPSpec())
    with pytest.raises(TypeError, match="build_mlp needs an MLPSpec"):
        build_mlp(spec)


def state(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize(("build", "spec"), [(build_cnn, CNNSpec()), (build_mlp, MLPSpec())])
def test_seeded_build_is_reproducible_and_leaves_the_global_rng_alone(build, spec):
    torch.manual_seed(123)
    expected_next = torch.rand(5)
    torch.manual_seed(123)
    before = torch.get_rng_state()

    a, b, c = state(build(spec, seed=7)), state(build(spec, seed=7)), state(build(spec, seed=8))

    assert torch.equal(torch.get_rng_state(), before)
    assert torch.equal(torch.rand(5), expected_next)
    assert a.keys() == b.keys() == c.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
        assert not np.array_equal(a[key], c[key]), key


@pytest.mark.parametrize(
    "spec",
    [
        CNNSpec(),
        CNNSpec(
            in_channels=3,
            input_size=32,
            num_classes=2,
            conv_blocks=(
                ConvBlock(
                    4,
                    kernel_size=5,
                    stride=2,
                    padding=2,
                    dilation=1,
                    activation="tanh",
                    pool="avg",
                    pool_size=3,
                    pool_stride=1,
                ),
                ConvBlock(6, dilation=2, padding=2, activation="none", pool=None),
            ),
            dense=(),
            dense_activation="sigmoid",
            head="sigmoid",
        ),
        MLPSpec(),
        MLPSpec(in_channels=3, input_size=12, num_classes=2, hidden=(), head="sigmoid"),
    ],
)
def test_dict_round_trip_through_json(spec):
    data = spec_to_dict(spec)
    assert data["type"] == ("cnn" if isinstance(spec, CNNSpec) else "mlp")
    assert spec_from_dict(json.loads(json.dumps(data))) == spec


def test_spec_from_dict_fills_defaults():
    assert spec_from_dict({"type": "cnn"}) == CNNSpec()
    assert spec_from_dict({"type": "mlp", "hidden": [9]}) == MLPSpec(hidden=(9,))
    assert spec_from_dict({"type": "cnn", "conv_blocks": [{"filters": 3}]}) == CNNSpec(
        conv_blocks=(ConvBlock(3),)
    )


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        ([1, 2], ValueError, r"A spec must be a dict, got list"),
        ({}, ValueError, r'A spec needs "type": "cnn" or "mlp", got None'),
        ({"type": "rnn"}, ValueError, r"got 'rnn'"),
        ({"type": "cnn", "layers": 3}, ValueError, r"Unknown field\(s\) 'layers' in a cnn spec"),
        ({"type": "mlp", "dense": [3]}, ValueError, r"Unknown field\(s\) 'dense' in an mlp spec"),
        ({"type": "cnn", "conv_blocks": "big"}, ValueError, r"conv_blocks must be a list"),
        ({"type": "cnn", "conv_blocks": [3]}, ValueError, r"Conv block 1 must be a dict"),
        (
            {"type": "cnn", "conv_blocks": [{}, {"size": 3}]},
            ValueError,
            r"Unknown field\(s\) 'size' in conv block 2",
        ),
        (
            {"type": "cnn", "conv_blocks": [{}, {"filters": 300}]},
            ArchitectureError,
            r"^Conv block 2: The number of filters must be a whole number from 1 to 256, got 300",
        ),
        ({"type": "cnn", "input_size": "28"}, ArchitectureError, r"^Input: The size"),
        ({"type": "mlp", "num_classes": 3, "head": "sigmoid"}, ArchitectureError, r"^Output"),
    ],
)
def test_spec_from_dict_refuses_bad_data(data, error, message):
    with pytest.raises(error, match=message):
        spec_from_dict(data)


@pytest.mark.parametrize(
    "cnn",
    [
        CNNSpec(),
        CNNSpec(in_channels=3, input_size=32, conv_blocks=(ConvBlock(16), ConvBlock(32))),
        CNNSpec(input_size=16, num_classes=2, head="sigmoid", dense_activation="tanh"),
    ],
)
@pytest.mark.parametrize("depth", [1, 2])
def test_mlp_matching_budget_meets_the_cnn_budget(cnn, depth):
    target = count_parameters(cnn)
    mlp = mlp_matching_budget(cnn, depth=depth)
    assert len(mlp.hidden) == depth
    assert abs(count_parameters(mlp) - target) <= 0.03 * target
    assert (mlp.in_channels, mlp.input_size, mlp.num_classes, mlp.head, mlp.activation) == (
        cnn.in_channels,
        cnn.input_size,
        cnn.num_classes,
        cnn.head,
        cnn.dense_activation,
    )
    # No other first width comes closer.
    gap = abs(count_parameters(mlp) - target)
    for width in (mlp.hidden[0] - 1, mlp.hidden[0] + 1):
        hidden = tuple(max(1, round(width / 2**d)) for d in range(depth))
        assert abs(count_parameters(_with_hidden(mlp, hidden)) - target) >= gap


def _with_hidden(mlp: MLPSpec, hidden: tuple[int, ...]) -> MLPSpec:
    return MLPSpec(
        mlp.in_channels, mlp.input_size, mlp.num_classes, hidden, mlp.activation, mlp.head
    )


def test_mlp_matching_budget_with_an_explicit_target():
    mlp = mlp_matching_budget(CNNSpec(), target_params=100_000)
    assert abs(count_parameters(mlp) - 100_000) <= 0.01 * 100_000
    # Beyond the widest allowed layer the budget is met as far as the limits allow.
    assert mlp_matching_budget(CNNSpec(), target_params=10**9).hidden == (4096,)
    assert mlp_matching_budget(CNNSpec(), target_params=1).hidden == (1,)
    with pytest.raises(ArchitectureError, match="depth"):
        mlp_matching_budget(CNNSpec(), depth=0)


def test_clone_is_independent_of_the_original():
    original = build_cnn(CNNSpec(conv_blocks=(ConvBlock(4),), dense=(8,)))
    before = state(original)
    copy = clone_model(original)
    x = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(copy(x), original(x))
        copy.conv1.weight.add_(1.0)
        copy.logits.bias.zero_()
    assert copy.spec == original.spec
    for key, value in state(original).items():
        np.testing.assert_array_equal(value, before[key])
    assert not np.array_equal(state(copy)["conv1.weight"], before["conv1.weight"])


@pytest.mark.parametrize(("make", "message"), IMPOSSIBLE)
def test_every_refusal_reads_as_sentences_on_its_own(make, message):
    # Pages show `problem` alone, beside the control at fault.
    with pytest.raises(ArchitectureError) as err:
        make()
    problem = err.value.problem
    assert problem[0].isupper() and problem.endswith("."), problem


def torch_side_changes(settings_: dict) -> tuple[list[tuple[int, int]], int | None, int]:
    """Each (block, new side) as plain torch runs raw settings layer by layer; then the block
    whose layer torch cannot run (None if none) and the side of the map reaching that layer."""
    size = settings_["input_size"]
    x = torch.zeros(1, settings_["in_channels"], size, size)
    changes = []
    with torch.no_grad():
        for i, b in enumerate(settings_["conv_blocks"], start=1):
            layers = [
                nn.Conv2d(
                    x.shape[1],
                    b["filters"],
                    b["kernel_size"],
                    b["stride"],
                    b["padding"],
                    b["dilation"],
                )
            ]
            if b["pool"] is not None:
                pool = nn.MaxPool2d if b["pool"] == "max" else nn.AvgPool2d
                layers.append(pool(b["pool_size"], b["pool_stride"] or b["pool_size"]))
            for layer in layers:
                try:
                    y = layer(x)
                except RuntimeError:
                    return changes, i, x.shape[-1]
                if y.shape[-1] < 1:
                    return changes, i, x.shape[-1]
                if y.shape[-1] != x.shape[-1]:
                    changes.append((i, y.shape[-1]))
                x = y
    return changes, None, x.shape[-1]


@settings(max_examples=150, deadline=None)
@given(spec_settings)
def test_a_refused_block_is_explained_by_the_map_sizes_torch_computes(settings_):
    changes, failing, side = torch_side_changes(settings_)
    assume(failing is not None)
    with pytest.raises(ArchitectureError) as err:
        spec_of(settings_)
    assert err.value.layer == f"Conv block {failing}"
    problem = err.value.problem
    stated = re.match(
        r"^(?:The picture|After block \d+(?:'s convolution)? the map) is (\d+)×", problem
    )
    path = re.findall(r"→ (\d+)×\d+ \(block (\d+): ", problem)
    # A kernel that does not fit names the map reaching its block; a pooling window that does
    # not fit, the map after its block's convolution: either way, the map torch could not take.
    assert int(stated.group(1)) == side
    assert [(int(b), int(n)) for n, b in path] == changes
    start = settings_["input_size"]
    assert (f"Map sizes on the way: {start}×{start} → " in problem) == bool(changes)
