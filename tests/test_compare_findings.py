"""What a comparison finds.

First the facts a page states about any run (`experiment.findings`), read off results made
here from chosen predictions, and the sentences that say them (`ui.compare.findings`). Then,
marked slow, what the default comparison finds on the two built-in data sets.

There, both networks train with the page's default settings (TrainConfig(): 15 epochs, Adam,
lr 3e-3, batch 32, seed 0); the ANN is sized to the CNN's parameter budget by
`mlp_matching_budget`. The assertions state what the runs find, with margins for the small
differences that another number of torch threads makes:

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

import numpy as np
import pytest

from cnnexplain.experiment.design import ANN, CNN, MODEL_NAMES, default_experiment
from cnnexplain.experiment.findings import (
    CHANCE_MARGIN,
    Lead,
    accuracy_finding,
    curve_finding,
    efficiency_finding,
    lead,
    reference_index,
    shift_finding,
    speed_finding,
)
from cnnexplain.experiment.result import ComparisonResult, ModelSummary, confusion_matrix, finish
from cnnexplain.experiment.robustness import RobustnessCurve, robustness_curves
from cnnexplain.experiment.run import run_experiment
from cnnexplain.io.datasets import load_dataset
from cnnexplain.texts import compare as text
from cnnexplain.ui.compare import findings as words

SHIFT = 3  # pixels

# ---------------------------------------------------------------------------------------------
# The facts, from chosen numbers


# What every network made up here did in training, unless a test says otherwise.
TRAINED = {
    "spec": None,
    "layer_params": (("dense1", 1000),),
    "total_params": 1000,
    "history": (),
    "epochs_done": 1,
    "steps": 10,
    "samples_seen": 320,
    "train_seconds": 2.0,
    "samples_per_second": 160.0,
    "test_loss": 1.0,
    "complete": True,
}


def summary(name: str, y_test: np.ndarray, predictions: np.ndarray, **fields) -> ModelSummary:
    """What `finish` would say of a network that predicted `predictions`."""
    return ModelSummary(
        name=name,
        test_acc=float(np.mean(predictions == y_test)),
        predictions=predictions,
        confusion=confusion_matrix(y_test, predictions, 1 + int(y_test.max())),
        **{**TRAINED, **fields},
    )


def result_of(right: dict[str, int], n_test: int, classes: int = 4, **fields) -> ComparisonResult:
    """A comparison on `n_test` pictures of `classes` classes in which each network got the
    first `right[name]` right and called the others one class too far; `fields` go to both
    summaries, or to one as {"CNN": ..., "ANN": ...}."""
    y_test = np.arange(n_test) % classes
    models = {}
    for name in MODEL_NAMES:
        predictions = y_test.copy()
        predictions[right[name] :] = (y_test[right[name] :] + 1) % classes
        own = {
            key: value[name] if isinstance(value, dict) else value for key, value in fields.items()
        }
        models[name] = summary(name, y_test, predictions, **own)
    return ComparisonResult("test", tuple(map(str, range(classes))), y_test, models, {})


def test_the_gap_is_counted_in_pictures_and_names_who_got_more_right():
    found = accuracy_finding(result_of({CNN: 150, ANN: 140}, 200))
    assert found.n_test == 200
    assert found.test_acc == {CNN: 0.75, ANN: 0.70}
    assert (found.gap, found.winner, found.points) == (10, CNN, 5.0)
    assert not found.small_gap
    assert found.chance == 0.25 and found.near_chance == ()
    assert found.complete
    found = accuracy_finding(result_of({CNN: 120, ANN: 141}, 200))
    assert (found.gap, found.winner) == (21, ANN)


def test_a_tie_has_no_winner_and_no_small_gap():
    found = accuracy_finding(result_of({CNN: 150, ANN: 150}, 200))
    assert (found.gap, found.winner, found.small_gap) == (0, None, False)


@pytest.mark.parametrize(
    ("n_test", "gap", "small"),
    [(100, 2, True), (100, 3, False), (1000, 10, True), (1000, 11, False)],
)
def test_a_small_gap_is_at_most_two_pictures_or_one_percent(n_test, gap, small):
    found = accuracy_finding(result_of({CNN: n_test // 2 + gap, ANN: n_test // 2}, n_test))
    assert found.gap == gap and found.small_gap is small


def test_networks_near_guessing_are_named():
    # five classes: guessing gets 20%
    found = accuracy_finding(result_of({CNN: 70, ANN: 25}, 100, classes=5))
    assert found.chance == 0.2 and found.near_chance == (ANN,)
    assert found.test_acc[ANN] < found.chance + CHANCE_MARGIN < found.test_acc[CNN]
    both = accuracy_finding(result_of({CNN: 25, ANN: 21}, 100, classes=5))
    assert both.near_chance == (CNN, ANN)


def test_budgets_and_a_stopped_run_are_part_of_the_accuracy_finding():
    found = accuracy_finding(result_of({CNN: 5, ANN: 5}, 8, total_params={CNN: 1000, ANN: 1100}))
    assert found.params == {CNN: 1000, ANN: 1100} and found.same_budget
    found = accuracy_finding(
        result_of(
            {CNN: 5, ANN: 5},
            8,
            total_params={CNN: 1000, ANN: 1101},
            complete={CNN: True, ANN: False},
        )
    )
    assert not found.same_budget and not found.complete


def test_speed_is_a_finding_only_when_both_networks_trained():
    rates = {CNN: 160.0, ANN: 900.0}
    assert speed_finding(result_of({CNN: 5, ANN: 5}, 8, samples_per_second=rates)) == rates
    untrained = {CNN: 2.0, ANN: 0.0}
    assert speed_finding(result_of({CNN: 5, ANN: 5}, 8, train_seconds=untrained)) is None


def curve(perturbation: str, levels, cnn, ann) -> RobustnessCurve:
    return RobustnessCurve(perturbation, "", tuple(levels), {CNN: tuple(cnn), ANN: tuple(ann)})


def test_a_curve_is_quoted_at_its_reference_level_else_in_the_middle():
    shift = curve("shift", (0, 1, 2, 3, 4), (0.9, 0.8, 0.7, 0.6, 0.5), (0.9, 0.7, 0.5, 0.3, 0.2))
    assert reference_index(shift) == 3
    found = curve_finding(shift)
    assert (found.at.perturbation, found.at.level) == ("shift", 3)
    assert found.at.accuracy == {CNN: 0.6, ANN: 0.3}
    assert shift_finding({"shift": shift}) == found.at
    noise = curve("noise", (0, 0.1, 0.2), (0.9, 0.8, 0.7), (0.9, 0.8, 0.6))
    assert reference_index(noise) == 1  # no 0.3 on this curve: the middle
    assert shift_finding({"noise": noise}) is None
    assert shift_finding({"shift": curve("shift", (0, 2), (1, 1), (1, 1))}) is None
    assert shift_finding(None) is None


def test_who_was_ahead_leaves_out_the_unchanged_pictures():
    shift = curve("shift", (0, 1, 2, 3), (0.9, 0.8, 0.7, 0.6), (0.95, 0.7, 0.7, 0.3))
    assert curve_finding(shift).lead == Lead({CNN: 2, ANN: 0}, 3)
    assert curve_finding(curve("noise", (0,), (0.9,), (0.8,))).lead is None


@pytest.mark.parametrize(
    ("cnn", "ann", "even", "leader"),
    [
        ((0.5, 0.6), (0.5, 0.6), True, None),
        ((0.5, 0.6), (0.4, 0.6), False, None),
        ((0.5, 0.7), (0.4, 0.6), False, CNN),
        ((0.3, 0.5), (0.4, 0.6), False, ANN),
    ],
)
def test_a_lead_counts_the_points_where_each_was_higher(cnn, ann, even, leader):
    found = lead(cnn, ann)
    assert found.ahead == {
        CNN: sum(c > a for c, a in zip(cnn, ann, strict=True)),
        ANN: sum(a > c for c, a in zip(cnn, ann, strict=True)),
    }
    assert found.n == 2 and found.even is even and found.leader == leader


def test_data_efficiency_is_found_over_the_sizes_both_networks_finished():
    assert efficiency_finding({CNN: [], ANN: []}) is None
    assert efficiency_finding({CNN: [(50, 0.5)]}) is None
    found = efficiency_finding(
        {CNN: [(50, 0.5), (100, 0.7), (200, 0.8)], ANN: [(50, 0.6), (100, 0.6)]}
    )
    assert (found.smallest, found.largest) == (50, 100)
    assert found.at_smallest == {CNN: 0.5, ANN: 0.6}
    assert found.at_largest == {CNN: 0.7, ANN: 0.6}
    assert found.lead == Lead({CNN: 1, ANN: 1}, 2)


# ---------------------------------------------------------------------------------------------
# The sentences, from the facts


def test_the_headline_says_the_numbers_of_the_facts():
    result = result_of({CNN: 150, ANN: 140}, 200, complete=False)
    shift = curve("shift", (0, 3), (0.75, 0.5), (0.7, 0.25))
    said = words.headline(result, {"shift": shift}, "digits", {CNN: 1, ANN: 0.5}, 2)
    found = accuracy_finding(result)
    accuracy = text.FIND_ACCURACY.format(
        data="digits",
        cnn_acc=0.75,
        ann_acc=0.70,
        n_test=200,
        budget=text.FIND_SAME_BUDGET.format(cnn_params=1000, ann_params=1000),
    )
    # In paragraphs of at most 50 words: the accuracy and its gap, then the rest.
    assert said == (
        f"{accuracy} {text.FIND_GAP.format(n=10, winner=CNN, points=5.0)}\n\n"
        + " ".join(
            [
                text.FIND_STOPPED.format(cnn_epochs=1, ann_epochs=0.5, epochs=2),
                text.FIND_SHIFT.format(level=3, cnn=0.5, ann=0.25),
                text.FIND_SPEED.format(cnn_rate=160.0, ann_rate=160.0),
            ]
        )
    )
    assert not found.small_gap and found.near_chance == ()


def test_the_data_efficiency_words_name_one_size_or_the_smallest_and_largest():
    one = words.efficiency_words({CNN: [(16, 0.75)], ANN: [(16, 0.5)]})
    assert one == " ".join(
        [
            text.FIND_EFFICIENCY_ONE.format(small=16, cnn=0.75, ann=0.5),
            text.FIND_AHEAD_ALL.format(model=CNN, what=text.WHAT_SIZE[0]),
        ]
    )
    assert words.efficiency_words({CNN: [], ANN: []}) is None


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


# ---------------------------------------------------------------------------------------------
# The default comparison on the built-in data sets


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


@pytest.mark.slow
def test_budgets_are_matched_and_the_cnn_is_the_slightly_smaller(findings):
    assert findings["digits"].params == {CNN: 52_138, ANN: 52_480}
    assert findings["shapes"].params == {CNN: 51_813, ANN: 52_145}


@pytest.mark.slow
def test_on_centred_digits_the_cnn_wins_only_narrowly(findings):
    acc = findings["digits"].test_acc
    assert acc[ANN] >= 0.95
    assert 0.0 < acc[CNN] - acc[ANN] < 0.05


@pytest.mark.slow
def test_neither_network_tolerates_a_three_pixel_shift_of_the_digits(findings):
    acc, shifted = findings["digits"].test_acc, findings["digits"].shifted_acc
    assert shifted[CNN] - shifted[ANN] > 0.08  # the CNN holds up better ...
    assert shifted[CNN] < 0.6 * acc[CNN]  # ... but both lose most of their accuracy
    assert shifted[ANN] < 0.4 * acc[ANN]
    # the digits' background is black: zero fill and background fill are the same shift
    assert findings["digits"].shifted_zero_acc == shifted


@pytest.mark.slow
def test_where_objects_move_the_cnn_wins_clearly(findings):
    f = findings["shapes"]
    assert f.test_acc[CNN] > 0.7
    assert f.test_acc[ANN] < f.chance + 0.2  # the ANN barely learns where and what the shape is
    assert f.test_acc[CNN] - f.test_acc[ANN] > 0.35


@pytest.mark.slow
def test_where_objects_move_a_shift_barely_moves_the_cnn(findings):
    f = findings["shapes"]
    assert f.shifted_acc[CNN] > 0.85 * f.test_acc[CNN]
    assert f.shifted_acc[CNN] - f.shifted_acc[ANN] > 0.3


@pytest.mark.slow
def test_a_zero_filled_band_costs_the_cnn_more_than_the_shift_on_gray_backgrounds(findings):
    f = findings["shapes"]
    assert f.shifted_zero_acc[CNN] < f.shifted_acc[CNN] - 0.05


def test_on_unbalanced_classes_chance_is_the_largest_class_s_share():
    # 90 pictures of class 0, 5 each of classes 1 and 2: always saying 0 gets 90% right.
    y_test = np.array([0] * 90 + [1] * 5 + [2] * 5)
    models = {
        CNN: summary(CNN, y_test, np.where(np.arange(100) < 95, y_test, 0)),
        ANN: summary(ANN, y_test, np.zeros(100, dtype=int)),
    }
    result = ComparisonResult("test", ("a", "b", "c"), y_test, models, {})
    found = accuracy_finding(result)
    assert found.chance == 0.9 and found.near_chance == (CNN, ANN)
    said = words.accuracy_sentences(found, "test pictures", {CNN: 1, ANN: 1}, 1)
    assert text.FIND_CHANCE.format(chance=0.9, models=text.FIND_BOTH) in said
    assert "90%" in text.FIND_CHANCE.format(chance=0.9, models=text.FIND_BOTH)
    balanced = accuracy_finding(result_of({CNN: 50, ANN: 50}, 100, classes=4))
    assert balanced.chance == 0.25


def test_long_findings_are_split_into_paragraphs_of_at_most_fifty_words():
    ten = "one two three four five six seven eight nine ten."
    assert words.paragraphs([ten] * 5) == " ".join([ten] * 5)
    assert words.paragraphs([ten] * 6) == " ".join([ten] * 5) + "\n\n" + ten
    long = " ".join(["word"] * 60)
    assert words.paragraphs([ten, long, ten]) == f"{ten}\n\n{long}\n\n{ten}"
    # Every finding there can be, at once: no paragraph passes the limit.
    result = result_of({CNN: 30, ANN: 29}, 100, classes=5, complete={CNN: True, ANN: False})
    shift = curve("shift", (0, 3), (0.75, 0.5), (0.7, 0.25))
    said = words.headline(result, {"shift": shift}, "digits", {CNN: 2, ANN: 1.5}, 2)
    found = accuracy_finding(result)
    assert found.small_gap and found.near_chance and not found.complete
    for paragraph in said.split("\n\n"):
        assert len(paragraph.split()) <= words.PARAGRAPH_WORDS, paragraph
