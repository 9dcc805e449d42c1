"""Training-time variation of the digits, the generated pen digits, and how training uses them."""

import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnexplain.io.datasets import load_digits28
from cnnexplain.io.digit_prep import GRID, fit_ink
from cnnexplain.io.strokes import INK_PIXELS, SKELETONS, _draw, _segments, pen_digits
from cnnexplain.model.spec import CNNSpec, ConvBlock
from cnnexplain.training.augment import (
    AUGMENTATIONS,
    SEED_OFFSET,
    DigitAugment,
    DigitAugmentSettings,
    make_augment,
)
from cnnexplain.training.store import DEFAULT_DATASET, build_model, training_for
from cnnexplain.training.train import LR_SCHEDULES, TrainConfig, train

SMALL = DigitAugmentSettings(pen_pool=6)  # a small pool: quick to make
NONE = DigitAugmentSettings(
    max_turn=0.0,
    max_shear=0.0,
    width=(1.0, 1.0),
    height=(1.0, 1.0),
    max_shift=0.0,
    max_weight=0.0,
    pen_share=0.0,
    keep_share=0.0,
    pen_pool=1,
)


@pytest.fixture(scope="module")
def digits():
    return load_digits28()


@pytest.fixture(scope="module")
def batch(digits):
    return torch.tensor(digits.x_train[:64]), torch.tensor(digits.y_train[:64])


def test_the_same_seed_gives_the_same_batches(batch):
    x, y = batch
    a, b = DigitAugment(3, SMALL), DigitAugment(3, SMALL)
    torch.testing.assert_close(a.pen_x, b.pen_x, rtol=0, atol=0)
    for _ in range(3):
        torch.testing.assert_close(a(x, y), b(x, y), rtol=0, atol=0)
    assert not torch.equal(DigitAugment(4, SMALL)(x, y), DigitAugment(3, SMALL)(x, y))


def test_a_varied_batch_keeps_its_shape_and_range_and_leaves_the_input_alone(batch):
    x, y = batch
    before = x.clone()
    out = DigitAugment(0, SMALL)(x, y)
    assert out.shape == x.shape and out.dtype == torch.float32
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    torch.testing.assert_close(x, before, rtol=0, atol=0)
    assert not torch.equal(out, x)


def test_with_nothing_to_vary_the_batch_comes_back_as_it_was(batch):
    x, y = batch
    torch.testing.assert_close(DigitAugment(0, NONE)(x, y), x, rtol=0, atol=2e-6)


def test_kept_pictures_are_exactly_the_built_in_ones(batch):
    x, y = batch
    kept = DigitAugment(0, dataclasses.replace(SMALL, keep_share=1.0))(x, y)
    torch.testing.assert_close(kept, x, rtol=0, atol=0)
    share = dataclasses.replace(SMALL, keep_share=0.5)
    out = DigitAugment(1, share)(x, y)
    same = (out == x).flatten(1).all(dim=1).float().mean()
    assert 0.3 <= float(same) <= 0.7


def test_pen_digits_replace_pictures_with_ones_of_the_same_label(batch):
    x, y = batch
    settings = dataclasses.replace(NONE, pen_share=1.0, pen_pool=6)
    augment = DigitAugment(0, settings)
    out = augment(x, y)
    for picture, label in zip(out, y, strict=True):
        pool = augment.pen_x[augment.pen_y == label]
        assert (pool - picture).abs().flatten(1).amax(dim=1).min() < 1e-5


def test_a_turn_turns_the_picture_as_torch_affine_grid_would(batch):
    x, _ = batch
    settings = dataclasses.replace(NONE, max_turn=10.0)
    augment = DigitAugment(5, settings)
    state = augment.generator.get_state()
    out = augment._warp(x)
    augment.generator.set_state(state)
    turn = augment._rand(len(x), -10.0, 10.0) * math.pi / 180
    assert float(turn.abs().max()) > math.radians(5)
    cos, sin = torch.cos(turn), torch.sin(turn)
    theta = torch.zeros(len(x), 2, 3)
    theta[:, 0, 0], theta[:, 0, 1], theta[:, 1, 0], theta[:, 1, 1] = cos, sin, -sin, cos
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    expected = F.grid_sample(x, grid, align_corners=False)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-5)


def test_bolder_and_thinner_strokes_gain_and_lose_ink(batch):
    x, _ = batch
    augment = DigitAugment(0, dataclasses.replace(NONE, max_weight=1.0))
    state = augment.generator.get_state()
    out = augment._weight(x)
    augment.generator.set_state(state)
    amount = augment._rand(len(x), -1.0, 1.0)
    gained = out.sum(dim=(1, 2, 3)) - x.sum(dim=(1, 2, 3))
    assert (amount > 0).any() and (amount < 0).any()
    assert (torch.sign(gained) == torch.sign(amount)).all()
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0


def test_the_augmentation_refuses_pictures_it_was_not_made_for():
    assert make_augment(None, 0, (1, 28, 28)) is None
    assert isinstance(make_augment("digits", 0, (1, 28, 28)), DigitAugment)
    with pytest.raises(ValueError, match=r"varies 1 x 28 x 28 pictures, but these are 3 x 28 x 28"):
        make_augment("digits", 0, (3, 28, 28))


# ---------------------------------------------------------------------------------------------
# Generated pen digits


def test_pen_digits_are_seeded_and_prepared_like_the_built_in_digits():
    labels = np.arange(10).repeat(30)
    x = pen_digits(labels, torch.Generator().manual_seed(0))
    again = pen_digits(labels, torch.Generator().manual_seed(0))
    np.testing.assert_array_equal(x, again)
    assert x.shape == (300, 1, 28, 28) and x.dtype == np.float32
    assert x.min() >= 0 and x.max() <= 1
    # Prepared like the training digits: as bold as they are, within their spread. (Thin
    # strokes, as a pen draws them, would hold about half as much ink.)
    ink = x.sum(axis=(1, 2, 3))
    built_in = load_digits28().x_train.sum(axis=(1, 2, 3))
    assert abs(np.median(ink) / np.median(built_in) - 1) < 0.1
    assert ink.min() >= 0.9 * built_in.min() and ink.max() <= 1.1 * built_in.max()


def test_every_way_of_writing_every_digit_is_drawn_in_one_piece_of_ink():
    labels = np.repeat(np.arange(10), 40)
    generator = torch.Generator().manual_seed(1)
    a, b = _segments(labels, generator)
    ink = _draw(a, b)
    assert ink.shape == (len(labels), 64, 64)
    assert ink.flatten(1).any(dim=1).all()
    fitted = fit_ink(ink)
    assert fitted.shape == (len(labels), GRID, GRID)
    # Each skeleton's longer side fills the box after fitting.
    tall = fitted.any(dim=2)
    wide = fitted.any(dim=1)
    assert (tall[:, 0] | wide[:, 0]).all() and (tall[:, -1] | wide[:, -1]).all()
    assert all(len(ways) >= 2 for ways in SKELETONS.values())
    assert INK_PIXELS[0] < INK_PIXELS[1]


# ---------------------------------------------------------------------------------------------
# Training with them

TINY = CNNSpec(conv_blocks=(ConvBlock(filters=2),), dense=(8,))


def _manual_training(model, x, y, config, augment):
    """What train() should do, written out with torch's own scheduler."""
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    steps = -(-len(x) // config.batch_size) * config.epochs
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: (
            0.5 * (1 + math.cos(math.pi * step / steps)) if config.lr_schedule == "cosine" else 1.0
        ),
    )
    generator = torch.Generator().manual_seed(config.seed)
    xt, yt = torch.tensor(x), torch.tensor(y)
    model.train()
    for _ in range(config.epochs):
        order = torch.randperm(len(xt), generator=generator)
        for first in range(0, len(xt), config.batch_size):
            idx = order[first : first + config.batch_size]
            xb, yb = xt[idx], yt[idx]
            if augment is not None:
                xb = augment(xb, yb)
            optimizer.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            optimizer.step()
            schedule.step()
    return model


@pytest.mark.parametrize(
    ("schedule", "augment"), [("cosine", None), ("constant", "digits"), ("cosine", "digits")]
)
def test_training_varies_batches_and_lowers_the_rate_as_written_out(digits, schedule, augment):
    x, y = digits.x_train[:96], digits.y_train[:96]
    config = TrainConfig(epochs=2, batch_size=32, lr=0.01, lr_schedule=schedule, augment=augment)
    ours = build_model(TINY)
    for _ in train(ours, x, y, x[:8], y[:8], config):
        pass
    reference_augment = None if augment is None else DigitAugment(config.seed + SEED_OFFSET)
    reference = _manual_training(build_model(TINY), x, y, config, reference_augment)
    for (name, p), q in zip(ours.named_parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-7, msg=name)


def test_the_settings_are_checked():
    assert set(AUGMENTATIONS) == {"digits"} and LR_SCHEDULES == ("constant", "cosine")
    with pytest.raises(ValueError, match="Unknown augmentation 'rotate': choose one of digits"):
        TrainConfig(augment="rotate")
    with pytest.raises(ValueError, match="Unknown augmentation"):
        TrainConfig(augment=["digits"])
    with pytest.raises(ValueError, match="Unknown learning-rate schedule 'step': choose one of"):
        TrainConfig(lr_schedule="step")


def test_the_app_trains_on_the_built_in_digits_with_variation():
    config = training_for(DEFAULT_DATASET)
    assert config.augment == "digits" and config.lr_schedule == "cosine"
    assert training_for("shapes") == TrainConfig()
    assert training_for("digits-0-1").augment is None  # its labels are not the digits
