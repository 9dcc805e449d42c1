"""load_image, describe_image, to_display and to_gray on pictures built here, good and hostile."""

import io
import struct
import warnings
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from cnnexplain.io.images import ImageError, describe_image, load_image, to_display, to_gray
from tests.support.fuzz_images import jpeg_claiming, png_bomb, rle4_bmp
from tests.support.fuzzing import run_case


def encode(img: Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **options)
    return buf.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def png_with_header(width: int, height: int) -> bytes:
    """A well-formed PNG that declares width x height RGB pixels but holds only one short row."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def centre_of_mass(x: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(x.shape)
    return float((rows * x).sum() / x.sum()), float((cols * x).sum() / x.sum())


def check_image_array(x: np.ndarray, channels: int, size: int) -> None:
    assert x.shape == (channels, size, size)
    assert x.dtype == np.float32
    assert np.isfinite(x).all()
    assert x.min() >= 0.0
    assert x.max() <= 1.0


def two_tone(size: tuple[int, int] = (40, 40)) -> Image.Image:
    """Blue picture with a red square in its top-left quarter."""
    img = Image.new("RGB", size, (0, 0, 255))
    ImageDraw.Draw(img).rectangle((0, 0, size[0] // 2 - 1, size[1] // 2 - 1), fill=(255, 0, 0))
    return img


@pytest.fixture(scope="module")
def phone_jpeg() -> bytes:
    """A 12-megapixel JPEG (4000x3000) whose left half is red and right half is blue."""
    pixels = np.zeros((3000, 4000, 3), dtype=np.uint8)
    pixels[:, :2000] = (220, 20, 20)
    pixels[:, 2000:] = (20, 20, 220)
    return encode(Image.fromarray(pixels), "JPEG", quality=90)


# ---------------------------------------------------------------------------------------------
# Good pictures


def test_same_size_grayscale_png_is_read_exactly():
    pixels = np.tile(np.arange(28, dtype=np.uint8) * 9, (28, 1))  # columns 0, 9, ..., 243
    x = load_image(encode(Image.fromarray(pixels), "PNG"))
    check_image_array(x, 1, 28)
    np.testing.assert_array_equal(x[0], pixels.astype(np.float32) / 255)


def test_rgb_channels_and_grayscale_luma():
    red = encode(Image.new("RGB", (28, 28), (255, 0, 0)), "PNG")
    np.testing.assert_array_equal(load_image(red, channels=3)[:, 5, 5], [1.0, 0.0, 0.0])
    # PIL's luma: L = 0.299 R + 0.587 G + 0.114 B
    assert load_image(red, channels=1)[0, 5, 5] == pytest.approx(76 / 255)


@pytest.mark.parametrize(
    ("fmt", "options", "tolerance"),
    [
        ("PNG", {}, 0.0),
        ("BMP", {}, 0.0),
        ("GIF", {}, 0.01),
        ("JPEG", {"quality": 95}, 0.1),
        ("WEBP", {"quality": 95}, 0.1),
        ("WEBP", {"lossless": True}, 0.0),
    ],
)
def test_each_format_gives_the_pictures_colours(fmt, options, tolerance):
    x = load_image(encode(two_tone(), fmt, **options), channels=3, size=40)
    check_image_array(x, 3, 40)
    np.testing.assert_allclose(x[:, 5, 5], [1.0, 0.0, 0.0], atol=tolerance)  # red corner
    np.testing.assert_allclose(x[:, 30, 30], [0.0, 0.0, 1.0], atol=tolerance)  # blue elsewhere


def test_wide_picture_is_letterboxed_not_cropped():
    # Gray 56x28 picture with white bars on its left and right edges.
    img = Image.new("L", (56, 28), 100)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 3, 27), fill=255)
    draw.rectangle((52, 0, 55, 27), fill=255)
    x = load_image(encode(img, "PNG"))[0]
    # Scaled to 28x14 and centred: rows 7..20 hold the picture, both bars still visible.
    assert x[14, 0] > 0.9
    assert x[14, 27] > 0.9
    assert x[14, 14] == pytest.approx(100 / 255, abs=1 / 255)
    # Padding above and below takes the border's median colour, the gray.
    np.testing.assert_array_equal(x[:7], np.float32(100) / 255)
    np.testing.assert_array_equal(x[21:], np.float32(100) / 255)


def test_tall_picture_is_padded_left_and_right():
    img = Image.new("RGB", (10, 40), (0, 128, 0))
    x = load_image(encode(img, "PNG"), channels=3)
    np.testing.assert_array_equal(x[0], 0.0)
    np.testing.assert_array_equal(x[1], np.float32(128) / 255)  # padding is the same green
    np.testing.assert_array_equal(x[2], 0.0)


def test_transparent_rgba_is_laid_on_white():
    img = Image.new("RGBA", (28, 28), (255, 0, 0, 0))  # fully transparent red
    ImageDraw.Draw(img).rectangle((10, 10, 17, 17), fill=(0, 0, 0, 255))
    x = load_image(encode(img, "PNG"), channels=3)
    np.testing.assert_array_equal(x[:, 2, 2], [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(x[:, 14, 14], [0.0, 0.0, 0.0])


def test_half_transparent_la_blends_with_white():
    img = Image.new("LA", (28, 28), (0, 128))  # black at about half opacity
    x = load_image(encode(img, "PNG"))
    assert x[0, 14, 14] == pytest.approx(127 / 255, abs=1.5 / 255)


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_palette_transparency_is_laid_on_white(fmt):
    img = Image.new("P", (28, 28), 0)
    img.putpalette([255, 0, 0, 0, 0, 255] + [0, 0, 0] * 254)  # 0 red (transparent), 1 blue
    ImageDraw.Draw(img).rectangle((10, 10, 17, 17), fill=1)
    x = load_image(encode(img, fmt, transparency=0), channels=3)
    np.testing.assert_array_equal(x[:, 2, 2], [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(x[:, 14, 14], [0.0, 0.0, 1.0])


def test_palette_without_transparency_keeps_its_colours():
    img = Image.new("RGB", (28, 28), (0, 255, 0)).convert("P", palette=Image.Palette.ADAPTIVE)
    assert img.mode == "P"
    np.testing.assert_array_equal(load_image(encode(img, "PNG"), channels=3)[:, 3, 3], [0, 1, 0])


def test_sixteen_bit_grayscale_uses_full_range():
    pixels = np.zeros((28, 28), dtype=np.uint16)
    pixels[:, 10:20] = 32768
    pixels[:, 20:] = 65535
    img = Image.fromarray(pixels)
    assert img.mode == "I;16"
    x = load_image(encode(img, "PNG"))[0]
    assert x[5, 5] == 0.0
    assert x[5, 15] == pytest.approx(0.5, abs=1 / 255)
    assert x[5, 25] == 1.0


def test_cmyk_jpeg_becomes_rgb():
    img = Image.new("CMYK", (28, 28), (0, 255, 255, 0))  # full magenta + yellow = red
    data = encode(img, "JPEG", quality=95)
    assert describe_image(data)["mode"] == "CMYK"
    np.testing.assert_allclose(load_image(data, channels=3)[:, 14, 14], [1, 0, 0], atol=0.05)


def test_exif_orientation_is_applied():
    # Stored as a wide 40x20 picture, white with a black marker in its top-left corner.
    # Orientation 6 means "turn 90 degrees clockwise to view": the marker ends up top-right
    # of a tall 20x40 picture.
    img = Image.new("L", (40, 20), 255)
    ImageDraw.Draw(img).rectangle((0, 0, 7, 7), fill=0)
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated = load_image(encode(img, "JPEG", quality=95, exif=exif.tobytes()))[0]
    plain = load_image(encode(img, "JPEG", quality=95))[0]
    # Upright: 20x40 scaled to 14x28, centred from column 7; marker near columns 15..21, rows 0..5.
    assert rotated[2, 19] < 0.2
    assert rotated[2, 9] > 0.8
    assert rotated[20, 19] > 0.8
    # Without the tag the marker stays top-left of a 28x14 picture starting at row 7.
    assert plain[9, 2] < 0.2
    assert plain[2, 19] > 0.8


def test_animated_gif_uses_the_first_frame():
    frames = [Image.new("L", (28, 28), value) for value in (0, 255, 128)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert describe_image(data)["frames"] == 3
    np.testing.assert_array_equal(load_image(data), 0.0)


def test_phone_sized_jpeg(phone_jpeg):
    x = load_image(phone_jpeg, channels=3, size=32)
    check_image_array(x, 3, 32)
    # 4:3 picture, 32 wide and 24 tall, centred: rows 4..27 hold it.
    np.testing.assert_allclose(x[:, 16, 4], [220 / 255, 20 / 255, 20 / 255], atol=0.06)
    np.testing.assert_allclose(x[:, 16, 28], [20 / 255, 20 / 255, 220 / 255], atol=0.06)
    gray = load_image(phone_jpeg)
    check_image_array(gray, 1, 28)


def test_other_sizes_and_three_channel_from_gray():
    img = Image.new("L", (50, 50), 200)
    x = load_image(encode(img, "PNG"), channels=3, size=7)
    check_image_array(x, 3, 7)
    np.testing.assert_allclose(x, 200 / 255)


def test_describe_image_reports_the_header():
    info = describe_image(encode(two_tone((64, 48)), "PNG"))
    assert info == {"format": "PNG", "width": 64, "height": 48, "mode": "RGB", "frames": 1}


# ---------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"hello", r"not an image we can read \(PNG, JPEG, GIF, BMP or WebP\)"),
        (b"\x00" * 1000, "not an image we can read"),
        (
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" '
            b'height="10"><circle r="4"/></svg>',
            "SVG drawing",
        ),
        (b'  <svg width="10" height="10"></svg>', "SVG drawing"),
        (png_with_header(100_000, 100_000), "too large"),
        (png_with_header(10_001, 10_000), r"too large \(10001 x 10000 pixels\)"),
        (png_with_header(100_000_001, 1), "too large"),
        (png_with_header(0, 10), "not an image we can read|damaged|no pixels"),
    ],
)
def test_bad_bytes_raise_image_error(data, message):
    with pytest.raises(ImageError, match=message):
        load_image(data)
    with pytest.raises(ImageError, match=message):
        describe_image(data)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP"])
def test_truncated_file_is_damaged(fmt):
    pixels = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = encode(Image.fromarray(pixels), fmt)
    with pytest.raises(ImageError, match="damaged or incomplete"):
        load_image(data[: len(data) // 2])


def test_other_formats_are_refused():
    data = encode(two_tone(), "TIFF")
    with pytest.raises(ImageError, match="not an image we can read"):
        load_image(data)


def test_decompression_bomb_warning_never_escapes():
    # 90.25 megapixels: above PIL's warning threshold, below this module's limit for a JPEG
    # stored in one pass. The header is accepted, the missing rows are decoded as gray, and
    # PIL's warning stays inside.
    data = jpeg_claiming(9500, 9500)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_image_array(load_image(data), 1, 28)
        assert describe_image(data)["width"] == 9500
    assert caught == []


TOO_LARGE_TO_DECODE_WHOLE = (
    "This picture is too large (4001 x 4000 pixels). The limit is 16 megapixels for this kind "
    "of file (100 for ordinary JPEG photos); please make it smaller first."
)


@pytest.mark.parametrize(
    "data",
    [
        png_with_header(4001, 4000),
        jpeg_claiming(4001, 4000, progressive=True),
        jpeg_claiming(4001, 4000, separate_scans=True),
    ],
    ids=["png", "progressive-jpeg", "jpeg-in-separate-scans"],
)
def test_pictures_decoded_whole_have_a_lower_pixel_limit(data):
    # These are decoded at full size before they can be shrunk (a JPEG in several passes
    # keeps all its coefficients: 600 MB at 100 megapixels). A JPEG in one pass decodes
    # straight at 1/8 scale, so its limit stays at 100 megapixels.
    with pytest.raises(ImageError) as err:
        load_image(data)
    assert str(err.value) == TOO_LARGE_TO_DECODE_WHOLE
    check_image_array(load_image(jpeg_claiming(4001, 4000)), 1, 28)


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (png_bomb(4000, 4000, "RGBA"), 1.0),  # transparent black, laid on white
        (png_bomb(4000, 4000, "I;16"), 0.0),
        (png_bomb(4000, 4000, "P"), 128 / 255),
    ],
    ids=["rgba", "16-bit", "palette"],
)
def test_the_largest_accepted_pictures_are_read_in_bounded_memory(data, value):
    # A few hundred KB of PNG decode to 16 megapixels. Each is shrunk right after decoding,
    # before any conversion copies it; 16-bit pixels were once converted through float64
    # (about 400 MB for this picture).
    result = run_case("bomb", lambda: load_image(data, channels=3, digit_style=False))
    assert result.error is None
    np.testing.assert_allclose(result.value, value, atol=1 / 255)
    assert result.rss_growth_bytes < 300 * 2**20


def test_large_transparent_picture_is_shrunk_without_colour_fringes():
    # Opaque blue beside fully transparent red. Averaging colours without weighting them by
    # their alpha would tint the border pink; weighted, the red never shows.
    pixels = np.zeros((1000, 1000, 4), dtype=np.uint8)
    pixels[:, :500] = (0, 0, 255, 255)
    pixels[:, 500:] = (255, 0, 0, 0)
    x = load_image(encode(Image.fromarray(pixels), "PNG"), channels=3)
    assert (x[0] <= x[1] + 1 / 255).all()  # red never above green: no pink
    np.testing.assert_allclose(x[:, 14, 3], [0, 0, 1], atol=0.02)
    np.testing.assert_allclose(x[:, 14, 24], [1, 1, 1], atol=0.02)


def test_exif_orientation_is_applied_to_a_large_picture():
    # As test_exif_orientation_is_applied, ten times larger: the picture is shrunk first, then
    # turned, and the marker must still end up top-right.
    img = Image.new("L", (400, 200), 255)
    ImageDraw.Draw(img).rectangle((0, 0, 79, 79), fill=0)
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated = load_image(encode(img, "PNG", exif=exif.tobytes()))[0]
    assert rotated[2, 19] < 0.2
    assert rotated[2, 9] > 0.8
    assert rotated[20, 19] > 0.8


def test_run_length_bmp_has_a_lower_pixel_limit():
    # PIL decodes run-length BMPs in Python, pixel by pixel for 4-bit ones: 5000 x 5000 once
    # took seconds from a 200 KB file.
    x = load_image(rle4_bmp(2000, 2000))
    np.testing.assert_allclose(x, (17 + 34) / 2 / 255, atol=1 / 255)  # alternating gray levels
    with pytest.raises(ImageError) as err:
        load_image(rle4_bmp(2001, 2000))
    assert str(err.value) == (
        "This picture is too large (2001 x 2000 pixels). The limit is 4 megapixels for this "
        "kind of file (100 for ordinary JPEG photos); please make it smaller first."
    )


def test_png_made_of_too_many_chunks_is_refused():
    # PIL reads chunk headers one by one in Python: 15 MB of empty chunks once took 3.5 s.
    good = encode(two_tone(), "PNG")
    after_header = 8 + 25  # the signature, then the IHDR chunk
    filler = png_chunk(b"tEXt", b"k\x00v")

    def flooded(n: int) -> bytes:
        return good[:after_header] + filler * n + good[after_header:]

    check_image_array(load_image(flooded(19_990)), 1, 28)
    with pytest.raises(ImageError) as err:
        load_image(flooded(20_000))
    assert str(err.value) == (
        "This PNG file is built in an unusual way (more than 20,000 pieces), so it is not read. "
        "Try saving it again."
    )


def test_gif_made_of_too_many_pieces_is_refused():
    # A GIF whose comment is made of one-byte pieces, each read by PIL in Python.
    good = encode(Image.new("L", (8, 8), 90), "GIF")
    after_palette = 13 + 3 * 2 ** ((good[10] & 7) + 1)  # header, then the global colour table

    def commented(pieces: int) -> bytes:
        comment = b"\x21\xfe" + b"\x01c" * pieces + b"\x00"
        return good[:after_palette] + comment + good[after_palette:]

    check_image_array(load_image(commented(199_000)), 1, 28)
    with pytest.raises(ImageError) as err:
        describe_image(commented(200_001))
    assert str(err.value) == (
        "This GIF file is built in an unusual way (more than 200,000 pieces), so it is not "
        "read. Try saving it again."
    )


def test_limit_holds_even_when_pil_check_is_off(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    with pytest.raises(ImageError, match="too large"):
        load_image(png_with_header(100_000, 100_000))


def test_argument_checks():
    data = encode(two_tone(), "PNG")
    with pytest.raises(ValueError, match="channels must be 1"):
        load_image(data, channels=2)
    with pytest.raises(ValueError, match="size must be a positive"):
        load_image(data, size=0)
    with pytest.raises(TypeError, match="expected the bytes"):
        load_image("picture.png")


def test_image_error_is_a_value_error():
    assert issubclass(ImageError, ValueError)


def check_survives(data: bytes) -> None:
    """A damaged file gives either a valid array or ImageError, never another exception."""
    try:
        x = load_image(data, channels=3, size=16)
    except ImageError:
        pass
    else:
        check_image_array(x, 3, 16)
    try:
        info = describe_image(data)
    except ImageError:
        pass
    else:
        assert info["width"] * info["height"] > 0


@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        ("PNG", {}),
        ("JPEG", {"quality": 80}),
        ("GIF", {}),
        ("BMP", {}),
        ("WEBP", {"quality": 80}),
    ],
)
def test_flipped_bytes_never_escape(fmt, options):
    rng = np.random.default_rng(2)
    img = Image.fromarray(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8))
    if fmt == "JPEG":
        exif = Image.Exif()
        exif[0x0112] = 3
        options = {**options, "exif": exif.tobytes()}
    good = np.frombuffer(encode(img, fmt, **options), dtype=np.uint8)
    for _ in range(150):
        damaged = good.copy()
        where = rng.integers(0, len(good), size=int(rng.integers(1, 6)))
        damaged[where] = rng.integers(0, 256, size=len(where))
        check_survives(damaged.tobytes())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tail=st.binary(max_size=300))
def test_arbitrary_bytes_after_a_png_header_never_escape(tail):
    check_survives(png_with_header(8, 8) + tail)


# ---------------------------------------------------------------------------------------------
# digit_style


def paper_photo(width: int = 1600, height: int = 1200) -> Image.Image:
    """Off-white paper with uneven light and grain, like a phone photo."""
    rows, cols = np.indices((height, width))
    paper = 235 - 25 * cols / width - 10 * rows / height
    paper = paper + np.random.default_rng(3).normal(0, 4, (height, width))
    return Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8)).convert("RGB")


def test_digit_photo_becomes_centred_white_on_black():
    img = paper_photo()
    # A dark "7" away from the centre of the photo, taller than wide.
    ImageDraw.Draw(img).line([(1000, 300), (1200, 300), (1080, 800)], fill=(40, 40, 60), width=30)
    x = load_image(encode(img, "JPEG", quality=90), digit_style=True)
    check_image_array(x, 1, 28)
    digit = x[0]
    assert digit.max() == 1.0  # full-strength ink
    # Background is black: the four-pixel margin outside the 20x20 box is empty.
    assert digit[:4].max() == 0 and digit[:, :4].max() == 0
    rows = np.nonzero(digit.max(axis=1) > 0)[0]
    cols = np.nonzero(digit.max(axis=0) > 0)[0]
    assert rows[-1] - rows[0] + 1 == 20  # the taller side fills the 20-pixel box
    assert cols[-1] - cols[0] + 1 <= 20
    com_y, com_x = centre_of_mass(digit)
    assert abs(com_y - 13.5) <= 1.0
    assert abs(com_x - 13.5) <= 1.0
    # The ink follows the drawing: the top bar is a row of strong ink.
    assert (digit[rows[0]] > 0.5).sum() >= 5


def test_digit_style_keeps_white_on_black_input():
    img = Image.new("L", (300, 300), 0)
    ImageDraw.Draw(img).ellipse((60, 40, 160, 240), outline=255, width=18)  # a "0"
    x = load_image(encode(img, "PNG"), digit_style=True, channels=3, size=56)
    check_image_array(x, 3, 56)
    np.testing.assert_array_equal(x[0], x[1])
    np.testing.assert_array_equal(x[0], x[2])
    rows = np.nonzero(x[0].max(axis=1) > 0)[0]
    assert rows[-1] - rows[0] + 1 == 40  # the 20/28 box scaled to 56
    com_y, com_x = centre_of_mass(x[0])
    assert abs(com_y - 27.5) <= 1.0 and abs(com_x - 27.5) <= 1.0
    assert x[0, 27, 27] == 0.0  # the hole of the "0" stays black


def test_dark_on_light_and_light_on_dark_agree():
    dark = Image.new("L", (200, 200), 250)
    ImageDraw.Draw(dark).line([(100, 30), (100, 170)], fill=10, width=12)  # a "1"
    light = Image.fromarray(255 - np.asarray(dark))
    a = load_image(encode(dark, "PNG"), digit_style=True)
    b = load_image(encode(light, "PNG"), digit_style=True)
    np.testing.assert_allclose(a, b, atol=0.02)


def test_a_stroke_on_a_transparent_ground_is_found_whatever_its_colour():
    # The same "1" in white, yellow and black, each drawn on a fully transparent canvas (whose
    # hidden colour is white, as paint programs leave it): laid on white alone, the light
    # strokes vanished into blank digits.
    reference = Image.new("L", (200, 200), 0)
    ImageDraw.Draw(reference).line([(100, 30), (100, 170)], fill=255, width=12)
    expected = load_image(encode(reference, "PNG"), digit_style=True)
    assert expected.max() == 1.0
    for ink in ((255, 255, 255), (255, 230, 0), (0, 0, 0)):
        drawing = Image.new("RGBA", (200, 200), (255, 255, 255, 0))
        ImageDraw.Draw(drawing).line([(100, 30), (100, 170)], fill=(*ink, 255), width=12)
        x = load_image(encode(drawing, "PNG"), digit_style=True)
        np.testing.assert_allclose(x, expected, atol=0.02, err_msg=str(ink))


def test_blank_pictures_give_black_digits():
    for img in (paper_photo(400, 300), Image.new("L", (50, 50), 255), Image.new("L", (1, 1), 0)):
        x = load_image(encode(img, "JPEG"), digit_style=True)
        check_image_array(x, 1, 28)
        assert x.max() == 0.0


# ---------------------------------------------------------------------------------------------
# to_display


def test_to_display_layouts_and_values():
    gray = np.array([[[0.0, 0.5, 1.0, 2.0]]], dtype=np.float32)  # (1, 1, 4)
    out = to_display(gray)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, [[0, 128, 255, 255]])
    rgb = np.zeros((3, 2, 5), dtype=np.float32)
    rgb[0] = 1.0
    out = to_display(rgb)
    assert out.shape == (2, 5, 3)
    np.testing.assert_array_equal(out[1, 4], [255, 0, 0])
    assert to_display(np.full((4, 4), -1.0)).max() == 0
    with pytest.raises(ValueError, match="expected shape"):
        to_display(np.zeros((2, 4, 4)))


def test_to_display_round_trips_load_image():
    pixels = np.random.default_rng(4).integers(0, 256, (28, 28, 3), dtype=np.uint8)
    x = load_image(encode(Image.fromarray(pixels), "PNG"), channels=3)
    np.testing.assert_array_equal(to_display(x), pixels)


# ---------------------------------------------------------------------------------------------
# to_gray


def test_to_gray_is_the_mean_of_the_channels():
    data = encode(two_tone(), "PNG")
    gray = load_image(data, channels=1)  # (1, H, W)
    np.testing.assert_array_equal(to_gray(gray), gray[0])  # one channel comes back as it was
    rgb = np.stack([np.zeros((2, 3)), np.full((2, 3), 0.5), np.ones((2, 3))]).astype(np.float32)
    out = to_gray(rgb)
    assert out.shape == (2, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, 0.5)
    with pytest.raises(ValueError, match=r"to_gray needs a picture of shape \(C, H, W\)"):
        to_gray(np.zeros((4, 4)))
