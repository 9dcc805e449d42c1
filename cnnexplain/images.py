"""Turn the bytes of an uploaded picture into the array a network reads.

Every uploaded file is untrusted: it may be empty, cut short, not a picture at all, or built to
exhaust memory. `load_image` and `describe_image` either return a result or raise `ImageError`
with a message a learner can act on; no other exception type leaves this module.

Arrays follow the network's layout: float32 of shape (C, H, W) with values in [0, 1].
"""

from __future__ import annotations

import io
import numbers
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from PIL import Image, ImageFilter, ImageOps

# Files in other formats (TIFF, PSD, EPS, ...) are refused: a smaller surface for hostile
# files, and every format accepted here is one a browser can also show. The JPEG variant many
# phone cameras write (MPO) is opened by PIL's JPEG reader.
ACCEPTED_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")
MAX_PIXELS = 100_000_000  # width * height read from the header, checked before decoding

# The training digits (MNIST and the built-in digits) fit their ink into a 20x20 box centred by
# centre of mass in a 28x28 frame; digit_style keeps those proportions at any size.
DIGIT_FRAME = 28
DIGIT_BOX = 20
# digit_style looks for the ink on a copy whose long side is this many times the output size:
# enough detail for a digit that fills only part of a photo, and still fast.
DIGIT_WORK_SCALE = 16
# Below this difference between paper and darkest stroke, the picture is treated as blank.
DIGIT_MIN_CONTRAST = 0.15
# Ink strength relative to the stroke: below LOW it is paper (shadows, grain), above HIGH full ink.
DIGIT_INK_LOW = 0.3
DIGIT_INK_HIGH = 0.7
# Share of the ink mass allowed outside the crop on each side, so a lone speck far from the digit
# does not stretch the bounding box.
DIGIT_TRIM = 0.005

_FORMATS_TEXT = "PNG, JPEG, GIF, BMP or WebP"
_NOT_AN_IMAGE = f"This file is not an image we can read ({_FORMATS_TEXT})."
_DAMAGED = (
    "This image file is damaged or incomplete, so it cannot be read. "
    "Try saving or exporting it again."
)


class ImageError(ValueError):
    """An uploaded file that cannot be turned into a picture; the message is meant for the user."""


def load_image(
    data: bytes, *, channels: int = 1, size: int = 28, digit_style: bool = False
) -> np.ndarray:
    """Decode an uploaded picture into a (channels, size, size) float32 array in [0, 1].

    The picture is turned upright (EXIF orientation), transparent parts are laid on white, and
    only the first frame of an animation is used. The whole picture is kept: it is padded to a
    square with the median colour of its border, then resized.

    Inputs:
    - data: the bytes of a PNG, JPEG, GIF, BMP or WebP file
    - channels: 1 for grayscale, 3 for RGB
    - size: side of the square output, in pixels
    - digit_style: make a photo of a dark digit on paper look like the training digits:
      white ink on black, ink fitted into a 20x20 box (scaled with `size`) and centred by its
      centre of mass in the 28x28 frame, as MNIST was made. A picture without ink gives zeros.

    Returns:
    - x: float32 array of shape (channels, size, size), values in [0, 1]

    Raises ImageError when the bytes are not a readable picture, and ValueError for impossible
    `channels` or `size`.
    """
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grayscale) or 3 (RGB), got {channels!r}")
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
        raise ValueError(f"size must be a positive whole number of pixels, got {size!r}")

    # JPEG can decode at 1/2, 1/4 or 1/8 scale for free; ask for no less than the work needs.
    target = size * DIGIT_WORK_SCALE if digit_style else size * 4
    draft_mode = "L" if channels == 1 or digit_style else "RGB"
    _check_bytes(data)
    with _untrusted_file():
        img = _decode(data, draft_mode=draft_mode, draft_size=target)
        if digit_style:
            photo = _fit_within(img.convert("L"), target)
        else:
            square = _letterbox(img.convert("L" if channels == 1 else "RGB"), size)
    if digit_style:
        gray = _digit_style(np.asarray(photo, dtype=np.float32) / 255.0, size)  # (size, size)
        return np.repeat(gray[None], channels, axis=0)  # (channels, size, size)

    x = np.asarray(square, dtype=np.float32) / 255.0
    if channels == 1:
        return np.ascontiguousarray(x[None])  # (1, size, size)
    return np.ascontiguousarray(x.transpose(2, 0, 1))  # (H, W, 3) -> (3, H, W)


def describe_image(data: bytes) -> dict[str, object]:
    """Read what the file's header says about the picture, without decoding its pixels.

    Returns a dict with keys format ("PNG", "JPEG", ...), width, height (as stored, before EXIF
    rotation), mode (PIL's name for the pixel layout, e.g. "RGB", "L", "P") and frames (1 unless
    animated). Raises ImageError like `load_image` for files that are not pictures or too large;
    a file whose pixel data is damaged past the header is only caught by `load_image`.
    """
    _check_bytes(data)
    with _untrusted_file():
        img = _open(data)
        frames = int(getattr(img, "n_frames", 1))
        return {
            "format": img.format,
            "width": img.width,
            "height": img.height,
            "mode": img.mode,
            "frames": frames,
        }


def to_display(arr: np.ndarray) -> np.ndarray:
    """Turn a (C, H, W) or (H, W) array in [0, 1] into uint8 pixels for showing.

    Returns an (H, W) array for one channel and an (H, W, 3) array for three. Values outside
    [0, 1] are clipped.
    """
    x = np.asarray(arr, dtype=np.float32)
    if x.ndim == 3 and x.shape[0] == 1:
        x = x[0]
    elif x.ndim == 3 and x.shape[0] == 3:
        x = x.transpose(1, 2, 0)  # (3, H, W) -> (H, W, 3)
    elif x.ndim != 2:
        raise ValueError(f"expected shape (1, H, W), (3, H, W) or (H, W), got {x.shape}")
    return np.round(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)


@contextmanager
def _untrusted_file() -> Iterator[None]:
    """Context for work on an untrusted file: any failure becomes an ImageError.

    PIL reports broken files with many exception types (OSError, SyntaxError, struct.error,
    EOFError, ...), so every Exception except ImageError itself is translated. Warnings PIL
    gives about a file (decompression bombs, corrupt EXIF, truncated tags) are silenced: the
    size limit is enforced here, and a file either loads or is refused.

    The warning filters are process-wide (catch_warnings); if two threads overlap, the worst
    case is that these two PIL-only filters outlive the block.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL(\.|$)")
        try:
            yield
        except ImageError:
            raise
        except (Image.DecompressionBombError, MemoryError) as exc:
            raise ImageError(_too_large()) from exc
        except Image.UnidentifiedImageError as exc:
            raise ImageError(_NOT_AN_IMAGE) from exc
        except Exception as exc:
            raise ImageError(_DAMAGED) from exc


def _too_large(width: int | None = None, height: int | None = None) -> str:
    dims = f" ({width} x {height} pixels)" if width is not None else ""
    return (
        f"This picture is too large{dims}. The limit is {MAX_PIXELS // 1_000_000} megapixels; "
        "please make it smaller first."
    )


def _check_bytes(data: object) -> None:
    """A wrong argument type is a programming error, not a bad upload: TypeError, not ImageError."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"expected the bytes of a file, got {type(data).__name__}")


def _open(data: bytes) -> Image.Image:
    """Open the file lazily and check its declared size; no pixel data is decoded yet."""
    if len(data) == 0:
        raise ImageError(f"The file is empty. Please choose a picture ({_FORMATS_TEXT}).")
    head = bytes(data[:512]).lstrip().lower()
    if head.startswith((b"<svg", b"<?xml", b"<!doctype svg")) or b"<svg" in head:
        raise ImageError(
            "This looks like an SVG drawing. Please save it as a PNG or JPEG picture first."
        )
    img = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    width, height = img.size
    if width < 1 or height < 1:
        raise ImageError("This picture has no pixels.")
    # PIL's own limit can be switched off by any code in the process, so check here as well.
    if width * height > MAX_PIXELS:
        raise ImageError(_too_large(width, height))
    return img


def _decode(data: bytes, *, draft_mode: str, draft_size: int) -> Image.Image:
    """First frame, upright, transparency on white, as an 8-bit "L" or "RGB" image."""
    img = _open(data)
    if img.format in ("JPEG", "MPO"):
        # Decode at the smallest power-of-two reduction that keeps both sides >= draft_size.
        img.draft(draft_mode, (draft_size, draft_size))
    img.load()
    img = ImageOps.exif_transpose(img)

    if img.mode == "I" or img.mode.startswith("I;16"):
        img = _sixteen_bit_to_gray(img)
    has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
    if has_alpha:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if img.mode in ("L", "RGB"):
        return img
    return img.convert("RGB")  # palette, CMYK, YCbCr, 1-bit, ...


def _sixteen_bit_to_gray(img: Image.Image) -> Image.Image:
    """16-bit grayscale (PIL's "I;16" modes, or "I" as some PIL versions read such PNGs) to "L".

    The full 0..65535 range maps to 0..255; PIL's own convert("L") would clip at 255 instead.
    """
    x = np.asarray(img, dtype=np.float64)
    return Image.fromarray(np.round(np.clip(x / 65535.0, 0.0, 1.0) * 255.0).astype(np.uint8))


def _fit_within(img: Image.Image, longest: int) -> Image.Image:
    """Shrink so the longer side is at most `longest`, keeping the aspect ratio."""
    scale = longest / max(img.size)
    if scale >= 1:
        return img
    new_size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.resize(new_size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _border_median(img: Image.Image) -> int | tuple[int, ...]:
    """Median colour of the outermost ring of pixels: usually the paper or the background."""
    w, h = img.size
    boxes = [(0, 0, w, 1), (0, h - 1, w, h), (0, 0, 1, h), (w - 1, 0, w, h)]
    strips = [img.crop(box) for box in boxes]
    bands = len(img.getbands())
    ring = np.concatenate([np.asarray(s).reshape(-1, bands) for s in strips])
    median = tuple(int(v) for v in np.median(ring, axis=0).round())
    return median[0] if bands == 1 else median


def _letterbox(img: Image.Image, size: int) -> Image.Image:
    """Resize to fit a size x size square and pad the rest with the border's median colour."""
    scale = size / max(img.size)
    new_size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    small = img.resize(new_size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    square = Image.new(img.mode, (size, size), _border_median(img))
    square.paste(small, ((size - new_size[0]) // 2, (size - new_size[1]) // 2))
    return square


def _digit_style(gray: np.ndarray, size: int) -> np.ndarray:
    """(H, W) grayscale photo in [0, 1] -> (size, size) MNIST-like digit, white on black."""
    paper = float(np.median(np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])))
    if paper > 0.5:  # dark ink on light paper -> light ink on dark background
        gray, paper = 1.0 - gray, 1.0 - paper
    # The brightest point after a 3x3 median filter is the stroke, not a speck of noise.
    smooth = Image.fromarray(np.round(gray * 255).astype(np.uint8))
    stroke = float(np.asarray(smooth.filter(ImageFilter.MedianFilter(3))).max()) / 255.0
    blank = np.zeros((size, size), dtype=np.float32)
    if stroke - paper < DIGIT_MIN_CONTRAST:
        return blank

    strength = (gray - paper) / (stroke - paper)  # 0 = paper, 1 = stroke
    ink = np.clip((strength - DIGIT_INK_LOW) / (DIGIT_INK_HIGH - DIGIT_INK_LOW), 0.0, 1.0)
    rows = _trimmed_extent(ink.sum(axis=1))
    cols = _trimmed_extent(ink.sum(axis=0))
    if rows is None or cols is None:
        return blank
    ink = ink[rows[0] : rows[1] + 1, cols[0] : cols[1] + 1]  # crop to the ink's bounding box

    box = max(1, round(DIGIT_BOX * size / DIGIT_FRAME))
    h, w = ink.shape
    scale = box / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    patch = Image.fromarray(np.round(ink * 255).astype(np.uint8))
    patch = patch.resize((new_w, new_h), Image.Resampling.LANCZOS, reducing_gap=3.0)
    glyph = np.asarray(patch, dtype=np.float32) / 255.0  # (new_h, new_w)
    mass = glyph.sum()
    if mass <= 0:
        return blank

    # Put the centre of mass on the frame's centre, but never push ink out of the frame.
    com_y = float((glyph.sum(axis=1) * np.arange(new_h)).sum() / mass)
    com_x = float((glyph.sum(axis=0) * np.arange(new_w)).sum() / mass)
    centre = (size - 1) / 2
    top = int(np.clip(round(centre - com_y), 0, size - new_h))
    left = int(np.clip(round(centre - com_x), 0, size - new_w))
    out = blank.copy()
    out[top : top + new_h, left : left + new_w] = glyph
    return out / out.max()  # full-strength strokes, as in the training digits


def _trimmed_extent(profile: np.ndarray) -> tuple[int, int] | None:
    """First and last index holding the ink mass, ignoring DIGIT_TRIM of it at each end."""
    total = profile.sum()
    if total <= 0:
        return None
    cumulative = np.cumsum(profile) / total
    first = int(np.searchsorted(cumulative, DIGIT_TRIM, side="right"))
    last = int(np.searchsorted(cumulative, 1.0 - DIGIT_TRIM, side="left"))
    return first, min(last, len(profile) - 1)
