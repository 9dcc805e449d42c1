"""What the CNN-versus-ANN experiment compares, and under which conditions.

An `Experiment` names the data set, the two architectures and one `TrainConfig` that both
networks share (seed, optimizer, learning rate, batch size, epochs). Everything else in this
package (the run, the robustness curves, the data-efficiency runs) starts from one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from torch import nn

from cnnexplain.core import checks
from cnnexplain.core.errors import LearnerError, templates
from cnnexplain.io.datasets import Dataset
from cnnexplain.model.spec import (
    CNNSpec,
    MLPSpec,
    Spec,
    build_cnn,
    build_mlp,
    count_parameters,
    mlp_matching_budget,
)
from cnnexplain.training.train import TrainConfig, check_batch_size

CNN, ANN = "CNN", "ANN"  # the names the page shows for the two networks
MODEL_NAMES = (CNN, ANN)
COMPARE_TRAINING = TrainConfig()  # what the page trains both networks with unless told otherwise
# With match_budget, the ANN's parameter count may differ from the CNN's by at most this share.
BUDGET_TOLERANCE = 0.10


@dataclass(frozen=True)
class Experiment:
    """A CNN and an ANN on the same data, trained the same way.

    `Experiment("digits")` compares the default CNN with an ANN of (about) as many parameters.
    """

    dataset: str  # key of the data set both networks learn, e.g. "digits"
    cnn: CNNSpec = CNNSpec()  # the convolutional network
    mlp: MLPSpec | None = None  # the ANN; None means mlp_matching_budget(cnn)
    config: TrainConfig = COMPARE_TRAINING  # shared by both: seed, optimizer, lr, batch, epochs
    match_budget: bool = True  # require the ANN to have about as many parameters as the CNN

    def __post_init__(self) -> None:
        if not isinstance(self.dataset, str) or not self.dataset:
            raise ValueError(
                f"The data set must be named by its key, got {checks.quoted(self.dataset)}."
            )
        if not isinstance(self.cnn, CNNSpec):
            raise TypeError(f"cnn must be a CNNSpec, got {type(self.cnn).__name__}.")
        if self.mlp is None:
            object.__setattr__(self, "mlp", mlp_matching_budget(self.cnn))
        if not isinstance(self.mlp, MLPSpec):
            raise TypeError(f"mlp must be an MLPSpec, got {type(self.mlp).__name__}.")
        if not isinstance(self.config, TrainConfig):
            raise TypeError(f"config must be a TrainConfig, got {type(self.config).__name__}.")
        if not isinstance(self.match_budget, bool):
            raise TypeError(f"match_budget must be True or False, got {self.match_budget!r}.")

        cnn_reads, ann_reads = _reads(self.cnn), _reads(self.mlp)
        if cnn_reads != ann_reads:
            raise ValueError(
                f"The CNN reads {cnn_reads} but the ANN reads {ann_reads}: both networks must "
                "read the same images and give the same output."
            )
        if self.match_budget:
            cnn_params, ann_params = count_parameters(self.cnn), count_parameters(self.mlp)
            if not same_budget(cnn_params, ann_params):
                nearest = count_parameters(mlp_matching_budget(self.cnn))
                hint = (
                    "use mlp_matching_budget(cnn) for the ANN's layers"
                    if same_budget(cnn_params, nearest)
                    else f"the smallest ANN near that budget has {nearest:,} parameters, so no ANN "
                    "can match this CNN"
                )
                raise ValueError(
                    f"match_budget asks for an ANN with about as many parameters as the CNN "
                    f"({cnn_params:,}, give or take {BUDGET_TOLERANCE:.0%}), but this ANN has "
                    f"{ann_params:,}: {hint}, or turn match_budget off."
                )

    @property
    def specs(self) -> dict[str, Spec]:
        """{"CNN": cnn spec, "ANN": mlp spec}."""
        return {CNN: self.cnn, ANN: self.mlp}


def same_budget(cnn_params: int, ann_params: int) -> bool:
    """True when the ANN has as many parameters as the CNN, give or take BUDGET_TOLERANCE."""
    return abs(ann_params - cnn_params) <= BUDGET_TOLERANCE * cnn_params


def default_experiment(
    dataset: str, data: Dataset, config: TrainConfig = COMPARE_TRAINING
) -> Experiment:
    """The default CNN, fitted to `data`'s images and classes, against an ANN of equal budget."""
    cnn = CNNSpec(in_channels=data.channels, input_size=data.size, num_classes=data.num_classes)
    return Experiment(dataset, cnn=cnn, config=config)


def fitted_cnn(spec: CNNSpec, data: Dataset) -> CNNSpec:
    """`spec` with an output layer for `data`'s classes (softmax unless there are two)."""
    head = spec.head if data.num_classes == 2 else "softmax"
    return replace(spec, num_classes=data.num_classes, head=head)


def ann_for(cnn: CNNSpec, hidden: tuple[int, ...]) -> MLPSpec:
    """An ANN with these hidden widths that reads what `cnn` reads and answers as it does.

    Raises ArchitectureError for widths the spec refuses.
    """
    return MLPSpec(
        in_channels=cnn.in_channels,
        input_size=cnn.input_size,
        num_classes=cnn.num_classes,
        hidden=hidden,
        activation=cnn.dense_activation,
        head=cnn.head,
    )


def _reads(spec: Spec) -> str:
    """What a network takes in and gives out, in words, for messages."""
    C, S = spec.in_channels, spec.input_size
    return f"{C}×{S}×{S} images into {spec.num_classes} classes with a {spec.head} head"


def fits(spec: Spec, data: Dataset) -> bool:
    """True when a network of `spec` reads `data`'s pictures and answers with its classes."""
    return (spec.in_channels, spec.input_size, spec.num_classes) == (
        data.channels,
        data.size,
        data.num_classes,
    )


templates(
    {
        "compare.data_mismatch": "The data set has {shape} images in {classes} "
        "classes but the networks expect {need_shape} images in "
        "{need_classes} classes: change the networks' input or number of classes to match the "
        "data.",
        "compare.no_test": "The data set has no test examples to compare the networks on.",
    }
)


class DataMismatch(LearnerError, ValueError):
    """A data set the experiment's networks cannot learn or be tested on."""


def check_data(experiment: Experiment, data: Dataset) -> None:
    """Raise ValueError, in words, when `data` does not fit the experiment's networks."""
    spec = experiment.cnn
    if not fits(spec, data):
        raise DataMismatch(
            "compare.data_mismatch",
            # One field per shape, so that a right-to-left sentence keeps it in reading order.
            shape=f"{data.channels}×{data.size}×{data.size}",
            classes=data.num_classes,
            need_shape=f"{spec.in_channels}×{spec.input_size}×{spec.input_size}",
            need_classes=spec.num_classes,
        )
    if len(data.x_test) == 0:
        raise DataMismatch("compare.no_test")
    check_batch_size(experiment.config, training_size(len(data.x_train), experiment.config))


def build_models(experiment: Experiment) -> dict[str, nn.Module]:
    """Fresh {"CNN": model, "ANN": model}, both initialised from the experiment's seed."""
    seed = experiment.config.seed
    return {CNN: build_cnn(experiment.cnn, seed=seed), ANN: build_mlp(experiment.mlp, seed=seed)}


def training_size(n_train: int, config: TrainConfig) -> int:
    """Training examples a run with `config` learns from, of the `n_train` there are."""
    return n_train if config.max_train is None else min(n_train, config.max_train)
