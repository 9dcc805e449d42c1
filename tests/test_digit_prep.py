"""A learner's digit prepared like the built-in digits: every kind of picture, and the refusals."""

import io

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from sklearn.datasets import load_digits

from cnnexplain.io import digit_prep
from cnnexplain.io.datasets import DIGIT_FRAME, enlarge_scans, load_digits28
from cnnexplain.io.digit_prep import (
    BITMAP,
    GRID,
    INK_PIXELS,
    NO_INK,
    bold_bitmaps,
    count_blocks,
    fit_ink,
    prepare_digit,
    prepare_upload,
    skeleton,
)
from cnnexplain.io.images import ImageError, load_image


def seven(size=(240, 300), box=(60, 40, 180, 260), width=18) -> np.ndarray:
    """(H, W) uint8: 255 where a 7 is written, 0 elsewhere."""
    mask = Image.new("L", size, 0)
    left, top, right, bottom = box
    corner = (left + (right - left) * 0.35, bottom)
    ImageDraw.Draw(mask).line(
        [(left, top), (right, top), corner], fill=255, width=width, joint="curve"
    )
    return np.asarray(mask)


INK = seven()
REFERENCE = prepare_digit(255 - INK)  # dark ink on white paper


def png(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG")
    return out.getvalue()


def reference_scan() -> np.ndarray:
    """(8, 8): the counts of the reference's 32x32 bitmap, step by step."""
    ink = digit_prep.ink_map(255 - INK)
    return count_blocks(bold_bitmaps(skeleton(fit_ink(ink[None]))))[0]


def test_dark_ink_on_paper_is_prepared_like_the_training_digits():
    x = REFERENCE
    assert x.shape == (1, DIGIT_FRAME, DIGIT_FRAME) and x.dtype == np.float32
    assert x.min() >= 0.0 and x.max() <= 1.0
    scan = reference_scan()
    # As bold as the training bitmaps, and filling their height as they do.
    assert abs(scan.sum() * 16 - INK_PIXELS) <= 12
    assert scan[0].sum() > 0 and scan[-1].sum() > 0
    # The counts go through the very enlargement the built-in digits went through.
    np.testing.assert_array_equal(x, enlarge_scans(scan[None])[0])
    # Like load_digits28: the centre of mass sits at the frame's centre, to the pixel.
    mass = x[0].sum()
    rows = (x[0].sum(axis=1) * np.arange(DIGIT_FRAME)).sum() / mass
    cols = (x[0].sum(axis=0) * np.arange(DIGIT_FRAME)).sum() / mass
    assert abs(rows - 13.5) <= 0.5 and abs(cols - 13.5) <= 0.5


def test_light_ink_on_dark_is_the_same_digit():
    np.testing.assert_array_equal(prepare_digit(INK), REFERENCE)


@pytest.mark.parametrize("colour", [(0, 0, 200), (255, 255, 255), (255, 220, 0), (0, 0, 0)])
def test_ink_on_a_transparent_background_is_found_by_its_alpha(colour):
    rgba = np.zeros((*INK.shape, 4), dtype=np.uint8)
    rgba[..., :3] = colour
    rgba[..., 3] = INK  # the canvas hands back ink only: everything else is see-through
    np.testing.assert_array_equal(prepare_digit(rgba), REFERENCE)
    # Read from PNG bytes the way an upload is: the same picture.
    np.testing.assert_array_equal(prepare_upload(png(rgba)), REFERENCE)


def test_a_photo_with_uneven_light_is_followed_across_the_paper():
    h, w = INK.shape
    light = 0.3 + 0.65 * np.arange(w)[None, :] / w  # a shadow: paper from 0.30 to 0.95
    ink = INK / 255.0
    photo = light * (1 - 0.6 * ink) + np.random.default_rng(0).normal(0, 0.02, (h, w))
    photo = np.clip(photo, 0, 1).astype(np.float32)
    # No single threshold separates ink from paper here: ink in the light is lighter than
    # paper in the shadow.
    field = np.broadcast_to(light, (h, w))
    assert (field * 0.4)[ink > 0.9].max() > field.min()
    np.testing.assert_array_equal(prepare_digit(photo), REFERENCE)


def test_a_photo_read_from_a_jpeg_gives_the_digit():
    h, w = INK.shape
    light = 0.5 + 0.45 * np.arange(h)[:, None] / h
    photo = np.round(255 * light * (1 - 0.7 * INK / 255.0)).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(photo).convert("RGB").save(out, format="JPEG", quality=80)
    x = prepare_upload(out.getvalue())
    assert np.corrcoef(x.ravel(), REFERENCE.ravel())[0, 1] > 0.98


def test_a_tiny_digit_in_a_large_picture_is_prepared_like_a_large_one():
    tiny = seven(size=(300, 300), box=(100, 120, 112, 140), width=2)  # 12 x 20 pixels
    x = prepare_digit(255 - tiny)
    assert x.shape == (1, 28, 28)
    assert np.corrcoef(x.ravel(), REFERENCE.ravel())[0, 1] > 0.95


def test_a_picture_only_a_few_pixels_large_is_enlarged():
    small = np.asarray(Image.fromarray(255 - INK).resize((12, 15), Image.Resampling.BOX))
    x = prepare_digit(small)
    assert np.corrcoef(x.ravel(), REFERENCE.ravel())[0, 1] > 0.9


def test_a_lone_speck_far_from_the_digit_does_not_shrink_it():
    specked = 255 - INK.copy()
    specked[-3:, -3:] = 0  # a speck of dust in the corner
    np.testing.assert_array_equal(prepare_digit(specked), REFERENCE)


@pytest.mark.parametrize(
    "picture",
    [
        np.full((50, 60), 255, dtype=np.uint8),  # white paper
        np.zeros((50, 60), dtype=np.uint8),  # black
        np.zeros((50, 60, 4), dtype=np.uint8),  # nothing drawn on a transparent canvas
        np.full((50, 60, 3), 128, dtype=np.uint8),  # grey
        (200 + 20 * (seven((50, 60), (10, 5, 50, 45), 5) > 0)).astype(np.uint8),  # too faint
    ],
    ids=["white", "black", "transparent", "grey", "faint"],
)
def test_a_picture_without_ink_is_refused_with_a_clear_message(picture):
    with pytest.raises(ImageError, match="No digit was found in this picture") as refused:
        prepare_digit(picture)
    assert str(refused.value) == NO_INK
    assert isinstance(refused.value, ValueError)  # a ValueError, as every refusal here


@pytest.mark.parametrize(
    ("picture", "message"),
    [
        (np.zeros((5, 5, 2), dtype=np.uint8), r"expected a picture of shape"),
        (np.zeros((0, 5), dtype=np.uint8), r"expected a picture of shape"),
        (np.full((5, 5), 2.0, dtype=np.float32), r"must hold values in \[0, 1\]"),
        (np.full((5, 5), np.nan, dtype=np.float32), r"must hold values in \[0, 1\]"),
    ],
)
def test_arrays_that_are_not_pictures_are_refused(picture, message):
    with pytest.raises(ValueError, match=message):
        prepare_digit(picture)


@pytest.mark.parametrize("data", [b"", b"not a picture at all", png(INK)[:200]])
def test_files_that_are_not_pictures_are_refused_as_load_image_refuses_them(data):
    with pytest.raises(ImageError) as expected:
        load_image(data, digit_style=True)
    with pytest.raises(ImageError) as refused:
        prepare_upload(data)
    assert str(refused.value) == str(expected.value)


# ---------------------------------------------------------------------------------------------
# The steps, one by one


def test_counting_a_bitmap_gives_the_scikit_learn_scan():
    scans = load_digits().images[:20].astype(np.int64)  # (20, 8, 8), 0..16
    bitmaps = np.zeros((20, BITMAP, BITMAP), dtype=bool)
    for n, scan in enumerate(scans):
        for (r, c), count in np.ndenumerate(scan):
            block = np.zeros(16, dtype=bool)
            block[:count] = True
            bitmaps[n, 4 * r : 4 * r + 4, 4 * c : 4 * c + 4] = block.reshape(4, 4)
    np.testing.assert_array_equal(count_blocks(torch.from_numpy(bitmaps)), scans / 16.0)


def test_enlarging_the_scans_is_how_the_built_in_digits_were_made():
    digits = load_digits28()
    scans = load_digits().images.astype(np.float32) / 16.0
    everything = np.concatenate([digits.x_train, digits.x_test])
    made = enlarge_scans(scans)
    # The split shuffles the order: every built-in picture is one of the enlarged scans.
    found = {m.tobytes() for m in made}
    assert all(x.tobytes() in found for x in everything)


def test_fitting_fills_the_grid_with_the_longer_side_and_keeps_the_proportions():
    ink = torch.zeros(2, 100, 120, dtype=torch.bool)
    ink[0, 10:90, 50:70] = True  # 80 tall, 20 wide
    ink[1, 40:50, 5:105] = True  # 10 tall, 100 wide
    fitted = fit_ink(ink)
    assert fitted.shape == (2, GRID, GRID)
    rows, cols = torch.nonzero(fitted[0], as_tuple=True)
    assert (int(rows.min()), int(rows.max())) == (0, GRID - 1)
    # 20 / 80 of 64 is 16; shrinking may widen each stroke by up to a pixel on each side.
    assert 16 <= int(cols.max() - cols.min() + 1) <= 18
    assert abs(float(cols.float().mean()) - (GRID - 1) / 2) <= 0.5
    rows, cols = torch.nonzero(fitted[1], as_tuple=True)
    assert (int(cols.min()), int(cols.max())) == (0, GRID - 1)
    assert 6 <= int(rows.max() - rows.min() + 1) <= 9  # 10 / 100 of 64


def test_a_stroke_wider_than_the_grid_cells_is_not_lost_when_shrunk():
    ink = torch.zeros(1, 1000, 1000, dtype=torch.bool)
    ink[0, 100:900, 500] = True  # a line one pixel wide in a large picture
    ink[0, 100, 300:700] = True
    fitted = fit_ink(ink)[0]
    assert fitted.any(dim=0).sum() >= GRID // 2 and fitted.any(dim=1).all()


def test_thinning_leaves_a_line_one_pixel_wide_and_keeps_holes():
    ink = torch.zeros(2, GRID, GRID, dtype=torch.bool)
    ink[0, 8:56, 24:36] = True  # a bar 12 pixels wide
    yy, xx = torch.meshgrid(torch.arange(GRID), torch.arange(GRID), indexing="ij")
    radius = ((yy - 31.5) ** 2 + (xx - 31.5) ** 2).sqrt()
    ink[1] = (radius > 14) & (radius < 24)  # a thick ring
    thin = skeleton(ink)
    middle = thin[0, 16:48]
    assert (middle.sum(dim=1) == 1).all()  # one pixel across, along the bar's middle
    assert middle.nonzero()[:, 1].float().mean().sub(29.5).abs() <= 1
    ring = thin[1]
    assert (ring & ~ink[1]).sum() == 0
    assert ring[32, :32].any() and ring[32, 32:].any() and ring[:32, 32].any()
    assert not ring[28:36, 28:36].any()  # the hole is still a hole
    assert ring.sum() < 0.2 * ink[1].sum()


def test_strokes_are_thickened_or_thinned_to_the_asked_amount_of_ink():
    fine = torch.zeros(3, GRID, GRID, dtype=torch.bool)
    fine[0, :, 31] = True  # a thin line: grown
    fine[1, 4:60, 10:54] = True  # a solid block: thinned
    fine[2, :, 31] = True
    targets = torch.tensor([INK_PIXELS, INK_PIXELS, 150.0])
    bitmaps = bold_bitmaps(fine, targets)
    assert bitmaps.shape == (3, BITMAP, BITMAP)
    mass = bitmaps.sum(dim=(1, 2)).float()
    # Each step adds about one pixel down each side of the 32-pixel line.
    assert (mass[[0, 2]] - targets[[0, 2]]).abs().max() <= 34
    assert mass[0] > mass[2]
    assert mass[1] < (fine[1].sum() / 4) and (mass[1] - INK_PIXELS).abs() <= 60


def test_a_digit_is_never_thinned_away():
    fine = torch.zeros(1, GRID, GRID, dtype=torch.bool)
    fine[0, 20:40, 20:40] = True
    bitmaps = bold_bitmaps(fine, 1.0)
    assert bitmaps.sum() >= fine.sum() / 4 / 3
