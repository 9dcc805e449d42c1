"""What the default CNN-versus-ANN comparison finds on the two built-in data sets.

Both networks train with the page's default settings (TrainConfig(): 15 epochs, Adam, lr 3e-3,
batch 32, seed 0); the ANN is sized to the CNN's parameter budget by `mlp_matching_budget`.
The assertions state what the runs find, with margins for the small differences that another
number of torch threads makes:

- digits (small, centred by their centre of mass): the CNN wins, but narrowly (about 2.5
  points, 98.9% against 96.4%). Neither network tolerates a 3-pixel shift: the CNN keeps
  about 42% and the ANN 27%. Two 2×2 poolings only absorb a pixel or two; the dense layer
  after them still reads fixed positions.
- shapes (anywhere in the frame, either polarity): the CNN wins clearly (about 77% against
  28%, chance being 20%), and a 3-pixel shift barely moves its accuracy, since it has already
  had to learn shapes at every position. The ANN hardly learns the task at all.
- On the shapes, filling the pixels a shift uncovers with zeros instead of each picture's
  background draws a dark band no training picture had, and costs the CNN far more than the
  shift itself: which is why `robustness_curves` fills with the background by default.

Run with `-s` to see the numbers.
"""

from dataclasses import dataclass

import pytest

from cnnexplain.experiment.design import ANN, CNN, MODEL_NAMES, default_experiment
from cnnexplain.experiment.result import finish
from cnnexplain.experiment.robustness import robustness_curves
from cnnexplain.experiment.run import run_experiment
from cnnexplain.io.datasets import load_dataset

pytestmark = pytest.mark.slow

SHIFT = 3  # pixels


@dataclass(frozen=True)
class Finding:
    test_acc: dict[str, float]
    params: dict[str, int]
    shifted_acc: dict[str, float]  # at SHIFT pixels, background fill
    shifted_zero_acc: dict[str, float]  # at SHIFT pixels, zero fill
    chance: float


def measure(key: str) -> Finding:
    data = load_dataset(key)
    run = run_experiment(default_experiment(key, data), data)
    for _ in run:
        pass
    result = finish(run)
    assert result.complete
    x, y = data.x_test, data.y_test
    kinds = {"shifts": (0, SHIFT), "angles": (), "noise_levels": ()}
    border = robustness_curves(run.models, x, y, **kinds)["shift"].accuracy
    zero = robustness_curves(run.models, x, y, fill="zero", **kinds)["shift"].accuracy
    return Finding(
        test_acc={name: result.models[name].test_acc for name in MODEL_NAMES},
        params={name: result.models[name].total_params for name in MODEL_NAMES},
        shifted_acc={name: border[name][1] for name in MODEL_NAMES},
        shifted_zero_acc={name: zero[name][1] for name in MODEL_NAMES},
        chance=1 / data.num_classes,
    )


@pytest.fixture(scope="module")
def findings() -> dict[str, Finding]:
    found = {key: measure(key) for key in ("digits", "shapes")}
    print(f"\n{'':8} {'':4} {'params':>7} {'test acc':>9} {'shift 3':>8} {'(zeros)':>8}")
    for key, f in found.items():
        for name in MODEL_NAMES:
            print(
                f"{key:8} {name:4} {f.params[name]:>7,} {f.test_acc[name]:>9.3f} "
                f"{f.shifted_acc[name]:>8.3f} {f.shifted_zero_acc[name]:>8.3f}"
            )
    return found


def test_budgets_are_matched_and_the_cnn_is_the_slightly_smaller(findings):
    assert findings["digits"].params == {CNN: 52_138, ANN: 52_480}
    assert findings["shapes"].params == {CNN: 51_813, ANN: 52_145}


def test_on_centred_digits_the_cnn_wins_only_narrowly(findings):
    acc = findings["digits"].test_acc
    assert acc[ANN] >= 0.95
    assert 0.0 < acc[CNN] - acc[ANN] < 0.05


def test_neither_network_tolerates_a_three_pixel_shift_of_the_digits(findings):
    acc, shifted = findings["digits"].test_acc, findings["digits"].shifted_acc
    assert shifted[CNN] - shifted[ANN] > 0.08  # the CNN holds up better ...
    assert shifted[CNN] < 0.6 * acc[CNN]  # ... but both lose most of their accuracy
    assert shifted[ANN] < 0.4 * acc[ANN]
    # the digits' background is black: zero fill and background fill are the same shift
    assert findings["digits"].shifted_zero_acc == shifted


def test_where_objects_move_the_cnn_wins_clearly(findings):
    f = findings["shapes"]
    assert f.test_acc[CNN] > 0.7
    assert f.test_acc[ANN] < f.chance + 0.2  # the ANN barely learns where and what the shape is
    assert f.test_acc[CNN] - f.test_acc[ANN] > 0.35


def test_where_objects_move_a_shift_barely_moves_the_cnn(findings):
    f = findings["shapes"]
    assert f.shifted_acc[CNN] > 0.85 * f.test_acc[CNN]
    assert f.shifted_acc[CNN] - f.shifted_acc[ANN] > 0.3


def test_a_zero_filled_band_costs_the_cnn_more_than_the_shift_on_gray_backgrounds(findings):
    f = findings["shapes"]
    assert f.shifted_zero_acc[CNN] < f.shifted_acc[CNN] - 0.05
