"""Turn the bytes of an uploaded picture into the array a network reads.

Every uploaded file is untrusted: it may be empty, cut short, not a picture at all, or built to
exhaust memory. `load_image` and `describe_image` either return a result or raise `ImageError`
with a message a learner can act on; no other exception type leaves this module.

Arrays follow the network's layout: float32 of shape (C, H, W) with values in [0, 1].
"""

from __future__ import annotations

import io
import numbers
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from PIL import Image, ImageFilter

from cnnexplain.core.errors import LearnerError, templates

# Files in other formats (TIFF, PSD, EPS, ...) are refused: a smaller surface for hostile
# files, and every format accepted here is one a browser can also show. The JPEG variant many
# phone cameras write (MPO) is opened by PIL's JPEG reader.
ACCEPTED_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")
# Pixel limits, checked on the header's width * height before any pixel is decoded. A JPEG
# stored in one pass is decoded straight at 1/2 to 1/8 scale, so a phone photo of 100 megapixels
# costs little. Every other picture (PNG, GIF, BMP, WebP, and JPEG stored in several passes)
# is decoded whole first, at 4 to 16 bytes per pixel (WebP's decoder makes several copies), so
# its limit is lower: 16 megapixels is a 5K screenshot with room to spare.
MAX_UPLOAD_MB = 20  # one uploaded picture: a phone photo with room to spare
MAX_PIXELS = 100_000_000
MAX_DECODED_PIXELS = 16_000_000
# Run-length coded BMPs are decoded by PIL in Python, about 0.1 microseconds per pixel.
MAX_RLE_BMP_PIXELS = 4_000_000
# PIL reads PNG chunk headers and GIF sub-blocks one by one in Python: a small file made of
# millions of empty ones takes seconds. Real files hold far fewer (a 20 MB PNG in 8 KB chunks
# has 2,500; a 20 MB GIF in 255-byte sub-blocks has 80,000), so files with more are refused.
MAX_PNG_CHUNKS = 20_000
MAX_GIF_SUB_BLOCKS = 200_000

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


templates(
    {
        "image.not_an_image": _NOT_AN_IMAGE,
        "image.damaged": _DAMAGED,
        "image.empty": "The file is empty. Please choose a picture ({formats}).",
        "image.svg": "This looks like an SVG drawing. Please save it as a PNG or JPEG picture "
        "first.",
        "image.no_pixels": "This picture has no pixels.",
        # Said in full by _too_large (with the picture's size and the kind of file, when known).
        "image.too_large": "This picture is too large. The limit is {limit} megapixels; please "
        "make it smaller first.",
        "image.unusual": "This {kind} file is built in an unusual way (more than {most} pieces), "
        "so it is not read. Try saving it again.",
    }
)


class ImageError(LearnerError, ValueError):
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

    # Every picture is shrunk to this size (its longer side no shorter) as soon as it is
    # decoded, and JPEG is decoded at 1/2, 1/4 or 1/8 scale when that is still large enough.
    target = size * DIGIT_WORK_SCALE if digit_style else size * 4
    draft_mode = "L" if channels == 1 or digit_style else "RGB"
    _check_bytes(data)
    with _untrusted_file():
        img = _decode(data, draft_mode=draft_mode, work_size=target, keep_alpha=digit_style)
        if digit_style:
            photo = _fit_within(_gray_photo(img), target)
        else:
            square = _letterbox(img.convert("L" if channels == 1 else "RGB"), size)
    if digit_style:
        gray = _digit_style(np.asarray(photo, dtype=np.float32) / 255.0, size)  # (size, size)
        return np.repeat(gray[None], channels, axis=0)  # (channels, size, size)

    x = np.asarray(square, dtype=np.float32) / 255.0
    if channels == 1:
        return np.ascontiguousarray(x[None])  # (1, size, size)
    return np.ascontiguousarray(x.transpose(2, 0, 1))  # (H, W, 3) -> (3, H, W)


def load_rgba(data: bytes, *, longest: int) -> np.ndarray:
    """Decode an uploaded picture as (H, W, 4) uint8 RGBA, its longer side at most `longest`.

    The same checks, EXIF turn and first frame as `load_image`, but transparency is kept: ink
    drawn on a transparent background is told apart by its alpha, not by its colour.
    """
    _check_bytes(data)
    with _untrusted_file():
        img = _decode(data, draft_mode="RGB", work_size=longest, keep_alpha=True)
        # Shrunk with premultiplied alpha, so see-through pixels lend their colour to no edge.
        rgba = _fit_within(img.convert("RGBA").convert("RGBa"), longest)
        return np.asarray(rgba.convert("RGBA"))


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
        # PIL counts GIF frames by walking the whole file in Python; _open has counted them.
        frames = _gif_frames(data) if img.format == "GIF" else int(getattr(img, "n_frames", 1))
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


def to_gray(x: np.ndarray) -> np.ndarray:
    """A picture (C, H, W) as one gray channel (H, W): the mean of its channels.

    The plain mean, not a luminance weighting: every channel counts alike, as it does for the
    network, and a one-channel picture comes back exactly as it was.
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"to_gray needs a picture of shape (C, H, W), got {x.shape}")
    return x.mean(axis=0)


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
            raise _too_large(None, None, MAX_PIXELS) from exc
        except Image.UnidentifiedImageError as exc:
            raise ImageError("image.not_an_image") from exc
        except Exception as exc:
            raise ImageError("image.damaged") from exc


def _too_large(width: int | None, height: int | None, limit: int) -> ImageError:
    dims = f" ({width} x {height} pixels)" if width is not None else ""
    kind = ""
    if limit != MAX_PIXELS:
        kind = f" for this kind of file ({MAX_PIXELS // 1_000_000} for ordinary JPEG photos)"
    english = (
        f"This picture is too large{dims}. The limit is {limit // 1_000_000} megapixels{kind}; "
        "please make it smaller first."
    )
    return ImageError("image.too_large", english=english, limit=limit // 1_000_000)


def _check_bytes(data: object) -> None:
    """A wrong argument type is a programming error, not a bad upload: TypeError, not ImageError."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"expected the bytes of a file, got {type(data).__name__}")


def _open(data: bytes) -> Image.Image:
    """Open the file lazily and check its declared size; no pixel data is decoded yet."""
    if len(data) == 0:
        raise ImageError("image.empty", formats=_FORMATS_TEXT)
    head = bytes(data[:512]).lstrip().lower()
    if head.startswith((b"<svg", b"<?xml", b"<!doctype svg")) or b"<svg" in head:
        raise ImageError("image.svg")
    if data.startswith(b"\x89PNG"):
        _check_png_chunks(data)
    elif data.startswith(b"GIF8"):
        _gif_frames(data)
    img = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    width, height = img.size
    if width < 1 or height < 1:
        raise ImageError("image.no_pixels")
    # PIL's own limit can be switched off by any code in the process, so check here as well.
    limit = _pixel_limit(img, data)
    if width * height > limit:
        raise _too_large(width, height, limit)
    return img


def _pixel_limit(img: Image.Image, data: bytes) -> int:
    """The most pixels this file may declare, given how its pixels will be decoded."""
    if img.format in ("JPEG", "MPO"):
        return MAX_DECODED_PIXELS if _jpeg_decodes_whole(data) else MAX_PIXELS
    if img.format == "BMP" and img.tile and img.tile[0][0] == "bmp_rle":
        return MAX_RLE_BMP_PIXELS
    return MAX_DECODED_PIXELS


# Frame headers (SOFn) that libjpeg reads; the progressive ones store the picture in passes.
_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_PROGRESSIVE = {0xC2, 0xC6, 0xCA, 0xCE}


def _jpeg_decodes_whole(data: bytes) -> bool:
    """Whether libjpeg must hold the whole picture in memory, whatever scale it decodes at.

    A progressive JPEG, or one whose first scan holds fewer colour components than the frame
    (the components then come in separate scans), is decoded from a buffer of about 2 bytes per
    pixel and component. Headers that cannot be followed to the first scan count as such too.
    """
    pos, progressive, components = 2, False, None
    while pos + 4 < len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            pos += 2
            continue
        if marker == 0xDA:  # start of scan: its component count follows the length
            return progressive or components is None or data[pos + 4] < components
        if marker in _JPEG_FRAMES and pos + 9 < len(data):
            progressive |= marker in _JPEG_PROGRESSIVE
            components = data[pos + 9]
        (length,) = struct.unpack_from(">H", data, pos + 2)
        pos += 2 + length
    return True


def _check_png_chunks(data: bytes) -> None:
    """Refuse a PNG of more than MAX_PNG_CHUNKS chunks, reading only the chunk headers."""
    pos, chunks = 8, 0
    while pos + 8 <= len(data) and data[pos + 4 : pos + 8] != b"IEND":
        chunks += 1
        if chunks > MAX_PNG_CHUNKS:
            raise ImageError("image.unusual", kind="PNG", most=f"{MAX_PNG_CHUNKS:,}")
        (length,) = struct.unpack_from(">I", data, pos)
        pos += 12 + length


def _gif_frames(data: bytes) -> int:
    """Frames in a GIF, counted from its block structure; refuses too many sub-blocks.

    Every part of a GIF after its header is a block (a frame, or an extension such as a
    comment) made of sub-blocks of at most 255 bytes. The count stops quietly where the file
    is damaged or cut short: decoding will report that.
    """
    pos, frames, blocks = 13, 0, 0
    if len(data) > 10 and data[10] & 0x80:  # a global colour table follows the header
        pos += 3 << ((data[10] & 7) + 1)
    while pos < len(data) and data[pos] in (0x21, 0x2C):
        if data[pos] == 0x21:  # extension: introducer, label, sub-blocks
            pos += 2
        else:  # frame: descriptor, its own colour table, LZW code size, sub-blocks
            frames += 1
            flags = data[pos + 9] if pos + 9 < len(data) else 0
            pos += 11 + ((3 << ((flags & 7) + 1)) if flags & 0x80 else 0)
        while pos < len(data) and data[pos]:
            blocks += 1
            if blocks > MAX_GIF_SUB_BLOCKS:
                raise ImageError("image.unusual", kind="GIF", most=f"{MAX_GIF_SUB_BLOCKS:,}")
            pos += 1 + data[pos]
        pos += 1  # the empty sub-block that ends the block
    return max(frames, 1)


def _decode(
    data: bytes, *, draft_mode: str, work_size: int, keep_alpha: bool = False
) -> Image.Image:
    """First frame, upright, transparency on white (or kept), as an 8-bit "L" or "RGB" image.

    The picture is shrunk by a whole factor right after decoding, keeping its longer side at
    least `work_size`, so that every later copy is small whatever the file's size.
    """
    img = _open(data)
    if img.format in ("JPEG", "MPO"):
        # Decode at the smallest power-of-two reduction that keeps both sides >= work_size.
        img.draft(draft_mode, (work_size, work_size))
    img.load()
    turn = _EXIF_TURNS.get(img.getexif().get(0x0112, 1))  # EXIF orientation

    img = _eight_bit(img)  # "L", "LA", "RGB" or "RGBA"
    factor = max(img.size) // work_size
    if factor >= 2:
        img = img.reduce(factor)  # box average; RGBA and LA are weighted by their alpha
    if turn is not None:
        img = img.transpose(turn)
    if img.mode in ("LA", "RGBA") and not keep_alpha:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img


# EXIF orientation -> the turn that shows the picture upright (as PIL's exif_transpose).
_EXIF_TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _eight_bit(img: Image.Image) -> Image.Image:
    """The decoded picture as "L", "LA", "RGB" or "RGBA", converted at its full size."""
    if img.mode == "I" or img.mode.startswith("I;16"):
        return _sixteen_bit_to_gray(img)
    transparent = "transparency" in img.info  # a palette entry or colour that is see-through
    if img.mode in ("LA", "RGBA") or (img.mode in ("L", "RGB") and not transparent):
        return img
    if img.mode == "1" and not transparent:
        return img.convert("L")
    if transparent or img.mode in ("PA", "RGBa", "La"):
        return img.convert("RGBA")
    return img.convert("RGB")  # palette, CMYK, YCbCr, ...


def _sixteen_bit_to_gray(img: Image.Image) -> Image.Image:
    """16-bit grayscale (PIL's "I;16" modes, or "I" as some PIL versions read such PNGs) to "L".

    The full 0..65535 range maps to 0..255; PIL's own convert("L") would clip at 255 instead.
    Done in bands of rows, so that the wide integers needed stay small for a large picture.
    """
    width, height = img.size
    gray = np.empty((height, width), dtype=np.uint8)
    band = max(1, (1 << 20) // width)  # rows per band: about a million pixels
    for top in range(0, height, band):
        rows = img.crop((0, top, width, min(top + band, height)))
        x = np.clip(np.asarray(rows, dtype=np.int64), 0, 65535)
        gray[top : top + band] = (2 * x + 257) // 514  # round(x / 257), as 65535 / 255 = 257
    return Image.fromarray(gray)


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


def contrasting_ground(gray: np.ndarray, alpha: np.ndarray) -> float:
    """The ground to lay a drawing on, from its gray (H, W) and alpha (H, W) in [0, 1]: 0.0
    (black) under light ink, 1.0 (white) under dark, so that the ink stands out whatever its
    colour. On white alone, a white or yellow stroke on a transparent canvas would vanish."""
    drawn = float((gray * alpha).sum() / max(float(alpha.sum()), 1e-6))  # the ink's brightness
    return 0.0 if drawn > 0.5 else 1.0


def _gray_photo(img: Image.Image) -> Image.Image:
    """The decoded picture in gray ("L"), a transparent one laid on a contrasting ground."""
    if img.mode not in ("LA", "RGBA"):
        return img.convert("L")
    rgba = img.convert("RGBA")
    gray = np.asarray(rgba.convert("L"), dtype=np.float64) / 255.0
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float64) / 255.0
    level = round(255 * contrasting_ground(gray, alpha))
    ground = Image.new("RGBA", rgba.size, (level, level, level, 255))
    return Image.alpha_composite(ground, rgba).convert("L")


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
