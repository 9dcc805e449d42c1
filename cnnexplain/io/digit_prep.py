"""A learner's digit prepared the way the built-in training digits were made.

The built-in digits are scikit-learn's copy of the UCI handwritten digits. Each was made from a
scanned form by NIST's programs: the digit's ink was cut out and scaled to fill a 32x32 bitmap
(its height filled, its width in proportion), with strokes so bold that every bitmap holds about
the same amount of ink, whatever the digit (310 of its 1,024 pixels on average; 303 to 330 for
each digit, as measured from the counts). The
bitmap's 4x4 blocks were then counted into an 8x8 scan of numbers from 0 to 16, and
`data.load_digits28` enlarges those scans smoothly to 28x28. So the network learned from bold,
blurred digits that fill their box.

A learner's picture goes through the same steps here, so that the network receives what it
learned from rather than thin, sharp strokes. One step is added: the training digits were
written with a pen, all their strokes about equally wide, while a typed digit has thick and thin
strokes; so every stroke is first thinned to its middle line, then thickened evenly.

    picture (H, W, 4) -> ink_map (H, W) -> fit_ink (N, 64, 64) -> skeleton (N, 64, 64)
      -> bold_bitmaps (N, 32, 32) -> count_blocks (N, 8, 8) -> data.enlarge_scans (N, 1, 28, 28)

Everything after the ink map works on a batch of pictures, so the pen strokes generated for
training (`strokes.py`) go through the very same functions as a learner's picture.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from cnnexplain.core.errors import templates
from cnnexplain.io.datasets import enlarge_scans
from cnnexplain.io.images import ImageError, contrasting_ground, load_rgba

BITMAP = 32  # side of the bitmaps the training scans were counted from
BLOCK = 4  # each scan value counts the ink of one 4x4 block: 0 to 16
FINE = 2  # the ink is fitted, thickened and thinned on a grid this many times finer
GRID = BITMAP * FINE
INK_PIXELS = 310.0  # ink pixels in a training bitmap, on average (every digit alike)
MAX_GROW = 16  # fine-grid steps a stroke may be thickened by: 8 bitmap pixels
MAX_SHRINK = 6  # ... and thinned by: 3 bitmap pixels
WORK_SIDE = 448  # a picture is read at most this large: detail enough for a digit in a photo
MIN_CONTRAST = 0.15  # least difference between paper and stroke; below it there is no ink
INK_LEVEL = 0.5  # a pixel is ink when it is at least this far from the paper to the stroke
TRIM = 0.005  # share of the ink allowed outside the crop on each side (a lone speck)
# The paper's own brightness is measured in cells of 1/PAPER_CELLS of the picture's longer side:
# large enough that a thick stroke never fills a cell's neighbourhood, small enough to follow a
# shadow across a photo.
PAPER_CELLS = 8

# Data sets made from the built-in digit scans: a learner's digit is prepared here for them.
PREPARED_LIKE_SCANS = ("digits", "digits-0-1")

NO_INK = (
    "No digit was found in this picture: it looks empty, or the ink is too faint to tell from "
    "the paper. Write or draw the digit with more contrast."
)
templates({"image.no_ink": NO_INK})


def prepare_upload(data: bytes) -> np.ndarray:
    """The bytes of an uploaded picture or drawing -> (1, 28, 28) float32, like the training digits.

    Raises ImageError (a ValueError) when the bytes are not a readable picture or when the
    picture holds no ink.
    """
    return prepare_digit(load_rgba(data, longest=WORK_SIDE))


def prepare_digit(picture: np.ndarray) -> np.ndarray:
    """One picture of a digit -> (1, 28, 28) float32 in [0, 1], prepared like the training digits.

    Inputs:
    - picture: (H, W) gray, (H, W, 3) RGB or (H, W, 4) RGBA; uint8, or float in [0, 1]. Dark ink
      on light paper, light ink on a dark background, and ink on a transparent background are
      all found; paper that is lit unevenly is followed across the picture.

    Returns:
    - x: float32 (1, 28, 28), white ink on black, as `data.load_digits28` makes its pictures

    Raises ImageError (a ValueError) when the picture holds no ink.
    """
    ink = ink_map(picture)
    return enlarge_scans(count_blocks(bold_bitmaps(skeleton(fit_ink(ink[None])))))[0]


def ink_map(picture: np.ndarray) -> torch.Tensor:
    """Where the ink is: (H, W) bool, from a gray, RGB or RGBA picture (see `prepare_digit`).

    Raises ImageError when the picture holds no ink.
    """
    gray = _on_contrasting_ground(_as_float(picture))
    border = torch.cat([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if float(border.median()) < 0.5:  # light ink on a dark ground: make it dark on light
        gray = 1.0 - gray
    strength = (_paper(gray) - gray).clamp(min=0.0)  # how much darker than the paper around it
    stroke = float(strength.max())
    if stroke < MIN_CONTRAST:
        raise ImageError("image.no_ink")
    return strength >= INK_LEVEL * stroke


def fit_ink(ink: torch.Tensor) -> torch.Tensor:
    """(N, H, W) bool ink -> (N, GRID, GRID) bool: each digit's ink cut out and fitted.

    The ink's bounding box (ignoring a lone speck) is scaled so that its longer side fills the
    grid, keeping its proportions, and centred, as the training bitmaps were made.
    """
    x = ink.float()[:, None]  # (N, 1, H, W)
    top, bottom, left, right = _ink_box(x)
    # Cut out the ink (of the whole batch) and shrink it by whole blocks, keeping every stroke
    # however thin, while the largest box stays at least GRID pixels.
    x = x[:, :, int(top.min()) : int(bottom.max()) + 1, int(left.min()) : int(right.max()) + 1]
    shrink = int(torch.maximum(bottom - top + 1, right - left + 1).max()) // GRID
    if shrink >= 2:
        x = F.max_pool2d(x, shrink, ceil_mode=True)
    top, bottom, left, right = _ink_box(x)
    side = torch.maximum(bottom - top + 1, right - left + 1).float()  # (N,) box side, pixels
    if bool((side > GRID).any()):  # a stroke thinner than a grid cell must not fall between two
        x = F.max_pool2d(x, 3, stride=1, padding=1)
    n, _, h, w = x.shape
    # Where each grid cell's centre falls in the picture, as grid_sample's -1..1 coordinates.
    cells = (torch.arange(GRID) + 0.5) / GRID - 0.5  # (GRID,) from -0.5 to 0.5
    mid_y = (top + bottom + 1).float() / 2  # (N,) the box's centre, in pixels
    mid_x = (left + right + 1).float() / 2
    ys = (mid_y[:, None] + cells[None] * side[:, None]) / h * 2 - 1  # (N, GRID)
    xs = (mid_x[:, None] + cells[None] * side[:, None]) / w * 2 - 1
    grid = torch.stack(
        [xs[:, None, :].expand(n, GRID, GRID), ys[:, :, None].expand(n, GRID, GRID)], dim=3
    )  # (N, GRID, GRID, 2) as (x, y)
    fitted = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return fitted[:, 0] >= 0.5


def skeleton(fine: torch.Tensor) -> torch.Tensor:
    """(N, H, W) bool ink -> (N, H, W) bool: each stroke thinned to a line one pixel wide.

    The line runs along the middle of the stroke (Zhang and Suen's thinning, 1984), so a thin
    hairline and a thick stem of a printed digit end up alike, as strokes of one pen width.
    """
    out = fine.clone()
    h, w = out.shape[1:]
    active = torch.arange(len(out))  # digits still being thinned: most are done in a few rounds
    for _ in range(MAX_THINNING):
        x = out[active]
        for removable in _THINNING_RULES:
            p = F.pad(x, (1, 1, 1, 1)).to(torch.uint8)
            # Each pixel's 8 neighbours as one number: bit i is neighbour i of _RING.
            code = sum(
                p[:, 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] << i
                for i, (dy, dx) in enumerate(_RING)
            )
            x = x & ~removable[code.long()]
        changed = (x != out[active]).flatten(1).any(dim=1)
        out[active] = x
        active = active[changed]
        if len(active) == 0:
            break
    return out


# The 8 neighbours clockwise from the one above (Zhang and Suen's p2, p3, ..., p9).
_RING = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))
MAX_THINNING = 32  # rounds of thinning: enough for a stroke 64 pixels wide


def _thinning_rule(first: bool) -> torch.Tensor:
    """(256,) bool: whether an ink pixel with these neighbours goes, in one half of a round.

    It goes when it has 2 to 6 ink neighbours, exactly one change from paper to ink going
    round them (so removing it breaks no stroke), and paper on the side this half thins.
    """
    rule = torch.zeros(256, dtype=torch.bool)
    for code in range(256):
        p = [(code >> i) & 1 for i in range(8)]  # p2 .. p9
        turns = sum(1 for i in range(8) if p[i] == 0 and p[(i + 1) % 8] == 1)
        p2, p4, p6, p8 = p[0], p[2], p[4], p[6]
        side = (
            (p2 * p4 * p6 == 0 and p4 * p6 * p8 == 0)
            if first
            else (p2 * p4 * p8 == 0 and p2 * p6 * p8 == 0)
        )
        rule[code] = 2 <= sum(p) <= 6 and turns == 1 and side
    return rule


_THINNING_RULES = (_thinning_rule(first=True), _thinning_rule(first=False))


def bold_bitmaps(fine: torch.Tensor, ink_pixels: torch.Tensor | float = INK_PIXELS) -> torch.Tensor:
    """(N, GRID, GRID) bool fitted ink -> (N, 32, 32) bool bitmaps as bold as the training ones.

    Each digit's strokes are thickened (or thinned) evenly, in steps of half a bitmap pixel on
    each side, until its 32x32 bitmap holds the number of ink pixels closest to `ink_pixels`
    (one number, or one per digit). Thinning stops before a digit loses most of its ink.
    """
    x = fine[:, None]  # (N, 1, G, G) bool
    target = torch.as_tensor(ink_pixels, dtype=torch.float32).expand(len(x))
    best = _bitmap(x)
    first = best.sum(dim=(1, 2)).float()  # (N,) ink pixels as the digit came
    miss = (first - target).abs()
    for change in (grow, _thin):
        level, mass = x, first
        for step in range(MAX_GROW if change is grow else MAX_SHRINK):
            if change is grow and bool((mass >= target).all()):
                break
            if change is _thin and bool((mass <= target).all()):
                break
            level = change(level, step)
            bitmap = _bitmap(level)
            mass = bitmap.sum(dim=(1, 2)).float()
            closer = ((mass - target).abs() < miss) & (mass >= first / 3)
            best = torch.where(closer[:, None, None], bitmap, best)
            miss = torch.where(closer, (mass - target).abs(), miss)
    return best


def _bitmap(fine: torch.Tensor) -> torch.Tensor:
    """(N, 1, GRID, GRID) bool ink -> (N, 32, 32) bool: ink where half the fine cells are."""
    cells = sum(
        fine[:, 0, i::FINE, j::FINE].to(torch.uint8) for i in range(FINE) for j in range(FINE)
    )
    return cells >= FINE * FINE // 2


def _thin(x: torch.Tensor, step: int) -> torch.Tensor:
    """Thin (N, C, H, W) bool ink by one pixel: `grow` applied to the paper."""
    return ~grow(~x, step)


def count_blocks(bitmaps: torch.Tensor) -> np.ndarray:
    """(N, 32, 32) bool bitmaps -> (N, 8, 8) float32 scans in [0, 1]: the ink of each 4x4 block."""
    counts = F.avg_pool2d(bitmaps.float()[:, None], BLOCK)[:, 0]  # (N, 8, 8), counts / 16
    return counts.numpy().astype(np.float32)


def _as_float(picture: np.ndarray) -> torch.Tensor:
    """The picture as float32 in [0, 1], (H, W, C) with C in 1, 3, 4."""
    x = np.asarray(picture)
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3 or x.shape[2] not in (1, 3, 4) or min(x.shape[:2]) < 1:
        raise ValueError(
            f"expected a picture of shape (H, W), (H, W, 3) or (H, W, 4), got {x.shape}"
        )
    if x.dtype == np.uint8:
        return torch.from_numpy(x.astype(np.float32) / 255.0)
    x = torch.from_numpy(np.asarray(x, dtype=np.float32))
    if bool(x.isnan().any()) or float(x.min()) < 0.0 or float(x.max()) > 1.0:
        raise ValueError("a float picture must hold values in [0, 1]")
    return x


def _on_contrasting_ground(x: torch.Tensor) -> torch.Tensor:
    """(H, W, C) -> (H, W) gray; what is drawn on a transparent ground is laid on a contrasting one.

    Light ink on a transparent background (as a drawing canvas hands it back) goes on black,
    dark ink on white (`images.contrasting_ground`, the rule MNIST-sized pictures follow too).
    """
    colour = x[..., :3] if x.shape[2] >= 3 else x[..., :1]
    gray = colour @ torch.tensor([0.299, 0.587, 0.114]) if colour.shape[2] == 3 else colour[..., 0]
    if x.shape[2] != 4:
        return gray
    alpha = x[..., 3]
    ground = contrasting_ground(gray.numpy(), alpha.numpy())
    return alpha * gray + (1.0 - alpha) * ground


def _paper(gray: torch.Tensor) -> torch.Tensor:
    """(H, W) dark-on-light gray -> (H, W) the paper's brightness around each pixel.

    The brightest pixel of each cell and its neighbours is paper (a stroke never fills that
    much), spread smoothly over the picture: so a shadow across a photo is not taken for ink.
    """
    h, w = gray.shape
    scale = PAPER_CELLS / max(h, w)
    cells = (max(1, round(h * scale)), max(1, round(w * scale)))
    light = F.adaptive_max_pool2d(gray[None, None], cells)
    light = F.max_pool2d(light, 3, stride=1, padding=1)
    return F.interpolate(light, size=(h, w), mode="bilinear", align_corners=False)[0, 0]


def _ink_box(x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Top, bottom, left and right (N,) of the ink in (N, 1, H, W), a lone speck left out."""
    top, bottom = _trimmed_extent(x.sum(dim=3)[:, 0])
    left, right = _trimmed_extent(x.sum(dim=2)[:, 0])
    if bool((bottom < top).any()):
        raise ImageError("image.no_ink")
    return top, bottom, left, right


def _trimmed_extent(profile: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """First and last index (N,) holding each row of (N, L) ink mass, TRIM ignored at each end.

    A profile without ink gives last < first.
    """
    total = profile.sum(dim=1, keepdim=True)
    cumulative = profile.cumsum(dim=1) / total.clamp(min=1e-12)
    first = (cumulative <= TRIM).sum(dim=1)
    last = (cumulative < 1.0 - TRIM).sum(dim=1)
    empty = total[:, 0] <= 0
    return torch.where(empty, 1, first), torch.where(empty, 0, last.clamp(max=profile.shape[1] - 1))


def grow(x: torch.Tensor, step: int = 0) -> torch.Tensor:
    """Grow (N, C, H, W) ink by one pixel: a square on even steps, a cross on odd ones.

    Alternating the two grows a stroke evenly in every direction (an octagon, close to a disc).
    Written as maxima of shifted copies, which is several times faster than max_pool2d here.
    """
    across = x.clone()
    across[..., 1:] = torch.maximum(across[..., 1:], x[..., :-1])
    across[..., :-1] = torch.maximum(across[..., :-1], x[..., 1:])
    down = across if step % 2 == 0 else x  # a square spreads the widened rows; a cross, the ink
    grown = across.clone()
    grown[..., 1:, :] = torch.maximum(grown[..., 1:, :], down[..., :-1, :])
    grown[..., :-1, :] = torch.maximum(grown[..., :-1, :], down[..., 1:, :])
    return grown
