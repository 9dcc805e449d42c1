"""Damaged and lying picture files for the image loader, generated from a seed (see fuzzing).

Pictures start from small valid files of every accepted format and pixel layout, then are
damaged the ways files break in transit (bytes flipped, runs overwritten, cut short, chunks
doubled or dropped) and the ways hostile files lie (headers that declare far more pixels than
the file holds). `image_bombs()` adds a few genuine pictures that are tiny as files and huge as
pixels.
"""

from __future__ import annotations

import functools
import io
import math
import random
import struct
import zlib
from collections.abc import Callable, Iterator

import numpy as np
from PIL import Image

from cnnexplain.io.images import MAX_DECODED_PIXELS, MAX_RLE_BMP_PIXELS

# ---------------------------------------------------------------------------------------------
# Valid pictures to start from


def encode(img: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **options)
    return buffer.getvalue()


def _picture(mode: str, seed: int = 0, size: tuple[int, int] = (24, 20)) -> Image.Image:
    """A small picture with structure (a gradient) and detail (noise), not square, in `mode`.

    Width and height differ so that a decoder that swaps them shows it.
    """
    rng = np.random.default_rng(seed)
    w, h = size
    ramp = np.add.outer(np.arange(h) * 6, np.arange(w) * 5)  # (h, w)
    rgba = np.stack([ramp, ramp[::-1], ramp[:, ::-1], 255 - ramp // 2], axis=-1)
    rgba = rgba + rng.integers(-20, 21, rgba.shape)
    img = Image.fromarray(np.clip(rgba, 0, 255).astype(np.uint8), "RGBA")
    if mode == "P":
        return img.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return img.convert(mode)


def _rle8_bmp(width: int, height: int, runs: list[tuple[int, int]]) -> bytes:
    """An 8-bit run-length-coded BMP (PIL cannot write them): every row is `runs`, then EOL.

    runs: (count, palette index) pairs.
    """
    row = b"".join(bytes([count, index]) for count, index in runs) + b"\x00\x00"
    pixels = row * height + b"\x00\x01"  # end of bitmap
    palette = b"".join(bytes([i, 255 - i, (7 * i) % 256, 0]) for i in range(256))
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 1, len(pixels), 2835, 2835, 256, 0)
    offset = 14 + len(info) + len(palette)
    header = struct.pack("<2sIHHI", b"BM", offset + len(pixels), 0, 0, offset)
    return header + info + palette + pixels


@functools.cache
def seed_images() -> tuple[tuple[str, bytes], ...]:
    """Small valid files, one per (format, layout) the loader must handle: (name, bytes)."""
    rgb, rgba, gray = _picture("RGB"), _picture("RGBA"), _picture("L")
    frames = [_picture("P", seed=k) for k in range(3)]
    sixteen = Image.fromarray((np.asarray(gray, dtype=np.uint16) * 257).astype(np.uint16))
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90 degrees clockwise to view"
    return (
        ("png-gray", encode(gray, "PNG")),
        ("png-rgb", encode(rgb, "PNG")),
        ("png-rgba", encode(rgba, "PNG")),
        ("png-la", encode(_picture("LA"), "PNG")),
        ("png-palette-transparent", encode(_picture("P"), "PNG", transparency=0)),
        ("png-16bit-gray", encode(sixteen, "PNG")),
        ("png-1bit", encode(_picture("1"), "PNG")),
        ("png-animated", encode(rgb, "PNG", save_all=True, append_images=[gray.convert("RGB")])),
        ("jpeg-rgb", encode(rgb, "JPEG", quality=85)),
        ("jpeg-gray", encode(gray, "JPEG", quality=85)),
        ("jpeg-progressive", encode(rgb, "JPEG", quality=85, progressive=True)),
        ("jpeg-444-exif", encode(rgb, "JPEG", subsampling=0, exif=exif.tobytes())),
        ("jpeg-cmyk", encode(_picture("CMYK"), "JPEG", quality=85)),
        ("gif", encode(frames[0], "GIF")),
        ("gif-animated", encode(frames[0], "GIF", save_all=True, append_images=frames[1:])),
        ("gif-transparent", encode(frames[0], "GIF", transparency=0)),
        ("webp-lossy", encode(rgb, "WEBP", quality=80)),
        ("webp-lossless", encode(rgb, "WEBP", lossless=True)),
        ("webp-alpha", encode(rgba, "WEBP", quality=80)),
        ("webp-animated", encode(rgb, "WEBP", save_all=True, append_images=[rgba], lossless=True)),
        ("bmp-rgb", encode(rgb, "BMP")),
        ("bmp-palette", encode(frames[0], "BMP")),
        ("bmp-rle8", _rle8_bmp(24, 20, [(10, 3), (14, 200)])),
    )


# ---------------------------------------------------------------------------------------------
# The structure of each format, so that mutations can hit whole chunks and header fields

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, body, and the CRC a reader checks."""
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _png_chunks(data: bytes) -> list[tuple[int, int, bytes]]:
    """(start, end, type) of each whole chunk after the signature."""
    spans, pos = [], len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        end = pos + 12 + length
        if end > len(data):
            break
        spans.append((pos, end, data[pos + 4 : pos + 8]))
        pos = end
    return spans


def _jpeg_segments(data: bytes) -> list[tuple[int, int, int]]:
    """(start, end, marker) of each length-prefixed segment up to the first start of scan."""
    spans, pos = [], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        (length,) = struct.unpack_from(">H", data, pos + 2)
        spans.append((pos, pos + 2 + length, marker))
        if marker == 0xDA:  # start of scan: entropy-coded data follows, without a length
            break
        pos += 2 + length
    return spans


def _gif_blocks(data: bytes) -> list[tuple[int, int, int]]:
    """(start, end, kind) of each extension (0x21) and image (0x2C) block."""
    pos = 13
    if len(data) < pos:
        return []
    if data[10] & 0x80:  # a global colour table follows the screen descriptor
        pos += 3 << ((data[10] & 7) + 1)
    spans = []
    while pos < len(data) and data[pos] in (0x21, 0x2C):
        start, kind = pos, data[pos]
        if kind == 0x21:
            pos += 2
        else:
            flags = data[pos + 9] if pos + 9 < len(data) else 0
            pos += 10 + ((3 << ((flags & 7) + 1)) if flags & 0x80 else 0) + 1  # + LZW code size
        while pos < len(data) and data[pos]:  # data sub-blocks, each led by its length
            pos += 1 + data[pos]
        pos += 1  # the zero-length terminator
        if pos > len(data):
            break
        spans.append((start, pos, kind))
    return spans


def _riff_chunks(data: bytes) -> list[tuple[int, int, bytes]]:
    """(start, end, fourcc) of each top-level chunk of a WebP file, padding included."""
    spans, pos = [], 12
    while pos + 8 <= len(data):
        (length,) = struct.unpack_from("<I", data, pos + 4)
        end = pos + 8 + length + (length & 1)
        if end > len(data):
            break
        spans.append((pos, end, data[pos : pos + 4]))
        pos = end
    return spans


def _format_of(data: bytes) -> str | None:
    """The format's short name ("png", "jpeg", "gif", "webp", "bmp") from its first bytes."""
    for name, magic in (
        ("png", PNG_SIGNATURE[:4]), ("jpeg", b"\xff\xd8"), ("gif", b"GIF8"), ("webp", b"RIFF"),
        ("bmp", b"BM"),
    ):  # fmt: skip
        if data.startswith(magic):
            return name
    return None


def _spans(data: bytes) -> list[tuple[int, int]]:
    """The file's chunks, segments or blocks, whichever its format has (BMP has none)."""
    parse = {"png": _png_chunks, "jpeg": _jpeg_segments, "gif": _gif_blocks, "webp": _riff_chunks}
    fmt = _format_of(data)
    return [(start, end) for start, end, _ in parse[fmt](data)] if fmt in parse else []


# ---------------------------------------------------------------------------------------------
# Damage of the kinds files suffer in transit

Mutation = Callable[[random.Random, bytes], tuple[str, bytes]]


def flip_bytes(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    out = bytearray(data)
    # Most flips land in the first bytes, where headers are: that is where parsers branch.
    limit = len(data) if rng.random() < 0.5 else min(len(data), 64)
    where = sorted(rng.randrange(limit) for _ in range(rng.randint(1, 8)))
    for pos in where:
        out[pos] = rng.randrange(256)
    return f"set {len(where)} bytes at {where}", bytes(out)


def overwrite_run(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    start = rng.randrange(len(data))
    length = min(rng.randint(1, 64), len(data) - start)
    fill, kind = rng.choice(
        [(b"\x00" * length, "zeros"), (b"\xff" * length, "0xFF"), (rng.randbytes(length), "noise")]
    )
    out = data[:start] + fill + data[start + length :]
    return f"overwrite {length} bytes at {start} with {kind}", out


def truncate(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    cut = rng.randrange(len(data))
    return f"cut to {cut} of {len(data)} bytes", data[:cut]


def duplicate_span(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    spans = _spans(data)
    if spans and rng.random() < 0.8:
        start, end = rng.choice(spans)
        insert_at = rng.choice([end, start, rng.choice(spans)[1]])
    else:  # formats without chunks (BMP), or any stretch of bytes
        start = rng.randrange(len(data))
        end = min(len(data), start + rng.randint(1, 256))
        insert_at = rng.randrange(len(data) + 1)
    copies = rng.choice([1, 1, 1, 5, 50])
    out = data[:insert_at] + data[start:end] * copies + data[insert_at:]
    return f"copy bytes {start}:{end} x{copies} to {insert_at}", out


def delete_span(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    spans = _spans(data)
    if spans and rng.random() < 0.8:
        start, end = rng.choice(spans)
    else:
        start = rng.randrange(len(data))
        end = min(len(data), start + rng.randint(1, 256))
    return f"delete bytes {start}:{end}", data[:start] + data[end:]


# ---------------------------------------------------------------------------------------------
# Headers that lie about the picture's size

# Sizes around the loader's limits, and the largest each header field can hold.
LYING_SIZES = (
    (0, 20), (24, 0), (1, 1), (65_535, 65_535), (65_535, 1), (1, 65_535), (10_001, 10_000),
    (9_999, 9_999), (5_000, 5_000), (4_000, 3_000), (16_383, 16_383), (16_384, 6_000),
)  # fmt: skip


def _lying_size(rng: random.Random, bits: int) -> tuple[int, int]:
    """A (width, height) that fits a `bits`-wide header field."""
    top = (1 << bits) - 1
    if rng.random() < 0.3:
        return rng.randint(0, min(top, 20_000)), rng.randint(0, min(top, 20_000))
    width, height = rng.choice(LYING_SIZES + ((top, top), (top, 1), (2, top // 2)))
    return min(width, top), min(height, top)


def _lie_png(rng: random.Random, data: bytes) -> tuple[str, bytes] | None:
    """Patch IHDR's width and height, and fix its CRC so that the lie is believed."""
    chunks = [c for c in _png_chunks(data) if c[2] == b"IHDR"]
    if not chunks:
        return None
    start = chunks[0][0]
    width, height = _lying_size(rng, 32 if rng.random() < 0.3 else 16)
    out = bytearray(data)
    struct.pack_into(">II", out, start + 8, width, height)
    body = bytes(out[start + 4 : start + 8 + 13])  # type and the 13-byte header
    struct.pack_into(">I", out, start + 8 + 13, zlib.crc32(body) & 0xFFFFFFFF)
    return f"IHDR says {width} x {height}", bytes(out)


def _lie_jpeg(rng: random.Random, data: bytes) -> tuple[str, bytes] | None:
    """Patch the frame header (SOFn): height, then width, 16 bits each."""
    sofs = [s for s in _jpeg_segments(data) if 0xC0 <= s[2] <= 0xCF and s[2] not in (0xC4, 0xC8)]
    if not sofs:
        return None
    start = sofs[0][0]
    if start + 9 > len(data):  # cut short inside the frame header
        return None
    width, height = _lying_size(rng, 16)
    out = bytearray(data)
    struct.pack_into(">HH", out, start + 5, height, width)
    return f"SOF says {width} x {height}", bytes(out)


def _lie_gif(rng: random.Random, data: bytes) -> tuple[str, bytes] | None:
    """Patch the logical screen, a frame's descriptor (its size, or its place), or both."""
    if len(data) < 10:  # cut short inside the screen descriptor
        return None
    width, height = _lying_size(rng, 16)
    out = bytearray(data)
    frames = [start for start, _, kind in _gif_blocks(data) if kind == 0x2C]
    where = rng.choice(["screen", "frame", "both", "offset"]) if frames else "screen"
    if where in ("screen", "both"):
        struct.pack_into("<HH", out, 6, width, height)
    if where in ("frame", "both"):
        struct.pack_into("<HH", out, rng.choice(frames) + 5, width, height)
    if where == "offset":  # a frame placed far outside the screen
        struct.pack_into("<HH", out, rng.choice(frames) + 1, width, height)
    return f"GIF {where} says {width} x {height}", bytes(out)


def _lie_webp(rng: random.Random, data: bytes) -> tuple[str, bytes] | None:
    """Patch the VP8X canvas, a VP8L or VP8 bitstream header, or an animation frame."""
    # chunk -> (what it sets, where in its body the size field starts, bits per side)
    fields = {
        b"VP8X": ("VP8X canvas", 4, 24),
        b"VP8L": ("VP8L", 1, 14),
        b"VP8 ": ("VP8", 6, 14),
        b"ANMF": ("ANMF frame", 6, 24),
    }
    choices = []
    for start, end, fourcc in _riff_chunks(data):
        if fourcc in fields:
            what, offset, bits = fields[fourcc]
            if start + 8 + offset + 6 <= end:  # the chunk is long enough to hold the field
                choices.append((what, start + 8 + offset, bits))
    if not choices:
        return None
    out = bytearray(data)
    what, pos, bits = rng.choice(choices)
    width, height = _lying_size(rng, bits)
    w1, h1 = max(width - 1, 0), max(height - 1, 0)
    if what == "VP8L":
        # 1-byte signature, then 14 bits width-1 and 14 bits height-1, low bits first
        (packed,) = struct.unpack_from("<I", out, pos)
        packed = (packed & ~0x0FFFFFFF) | (w1 & 0x3FFF) | ((h1 & 0x3FFF) << 14)
        struct.pack_into("<I", out, pos, packed)
    elif what == "VP8":
        # after the frame tag and start code: 14-bit width and height, 2 bits of scale each
        struct.pack_into("<HH", out, pos, width & 0x3FFF, height & 0x3FFF)
    else:  # 24-bit width-1 and height-1
        out[pos : pos + 6] = w1.to_bytes(3, "little") + h1.to_bytes(3, "little")
    return f"{what} says {width} x {height}", bytes(out)


def _lie_bmp(rng: random.Random, data: bytes) -> tuple[str, bytes] | None:
    """Patch the info header's width and height (signed: a negative height means top-down)."""
    if not data.startswith(b"BM") or len(data) < 26:
        return None
    width, height = _lying_size(rng, 31)
    if rng.random() < 0.3:
        height = -height
    out = bytearray(data)
    struct.pack_into("<ii", out, 18, width, height)
    return f"BMP says {width} x {height}", bytes(out)


def _lie_about_size(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    lies = {"png": _lie_png, "jpeg": _lie_jpeg, "gif": _lie_gif, "webp": _lie_webp, "bmp": _lie_bmp}
    lie = lies.get(_format_of(data) or "")
    result = lie(rng, data) if lie is not None else None
    return result if result is not None else flip_bytes(rng, data)


# Damage in transit is common and lying headers are rare, but each finds different bugs.
MUTATIONS: tuple[tuple[Mutation, int], ...] = (
    (flip_bytes, 4),
    (overwrite_run, 2),
    (truncate, 2),
    (duplicate_span, 2),
    (delete_span, 2),
    (_lie_about_size, 4),
)


def mutated_images(seed: int, count: int) -> Iterator[tuple[str, bytes]]:
    """`count` damaged or lying picture files: (description, bytes), the same for the same seed.

    Each case is one of `seed_images()` with one to three mutations applied in turn, so that a
    lying header can also be cut short, and so on.
    """
    rng = random.Random(seed)
    seeds = seed_images()
    mutations, weights = zip(*MUTATIONS, strict=True)
    for index in range(count):
        name, data = seeds[index % len(seeds)]  # every format equally often
        steps = []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            if not data:
                break
            (mutate,) = rng.choices(mutations, weights)
            what, data = mutate(rng, data)
            steps.append(what)
        yield f"#{index} {name}: {'; '.join(steps)}", data


# ---------------------------------------------------------------------------------------------
# Genuine pictures that are tiny as files and huge as pixels


def repeated_deflate(block: bytes, repeats: int, tail: bytes = b"") -> bytes:
    """Raw deflate stream of `block` repeated `repeats` times then `tail`, built in little memory.

    After a full flush a compressor forgets what came before, so every repeat of the block
    compresses to the same bytes: compress it once and repeat the output.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    return packed * repeats + compressor.compress(tail) + compressor.flush()


def png_bomb(width: int, height: int, mode: str = "RGBA") -> bytes:
    """A valid PNG of width x height pixels of one colour: a few hundred KB at most."""
    color_type, depth, channels = {
        "L": (0, 8, 1),
        "I;16": (0, 16, 2),
        "RGB": (2, 8, 3),
        "P": (3, 8, 1),
        "RGBA": (6, 8, 4),
    }[mode]
    row = bytes(1 + width * channels)  # filter type 0, then the row's samples
    rows_per_block = max(1, (1 << 20) // len(row))
    blocks, rest = divmod(height, rows_per_block)
    block, tail = row * rows_per_block, row * rest
    checksum = 1  # zlib's Adler-32 of everything the stream unpacks to
    for _ in range(blocks):
        checksum = zlib.adler32(block, checksum)
    checksum = zlib.adler32(tail, checksum)
    idat = b"\x78\xda" + repeated_deflate(block, blocks, tail) + struct.pack(">I", checksum)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    palette = png_chunk(b"PLTE", b"\x80\x80\x80") if mode == "P" else b""
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", ihdr)
        + palette
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def rle4_bmp(width: int, height: int) -> bytes:
    """A 4-bit run-length-coded BMP of width x height pixels in runs of 255: tiny, any size."""
    runs = [(255, 0x12)] * (width // 255) + ([(width % 255, 0x12)] if width % 255 else [])
    row = b"".join(bytes(run) for run in runs) + b"\x00\x00"
    pixels = row * height + b"\x00\x01"
    palette = b"".join(bytes([17 * i, 17 * i, 17 * i, 0]) for i in range(16))
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 4, 2, len(pixels), 2835, 2835, 16, 0)
    offset = 14 + len(info) + len(palette)
    header = struct.pack("<2sIHHI", b"BM", offset + len(pixels), 0, 0, offset)
    return header + info + palette + pixels


def jpeg_claiming(
    width: int, height: int, *, progressive: bool = False, separate_scans: bool = False
) -> bytes:
    """A small colour JPEG whose frame header claims width x height pixels.

    progressive: stored in several passes of increasing detail.
    separate_scans: its first scan holds one colour component instead of all three, as when
    the components come one after another (the scan's data is then wrong, which is fine: it is
    the header that matters to a loader deciding what to decode).
    """
    data = bytearray(encode(_picture("RGB"), "JPEG", progressive=progressive, subsampling=0))
    segments = _jpeg_segments(bytes(data))
    frame = next(start for start, _, marker in segments if marker in (0xC0, 0xC2))
    struct.pack_into(">HH", data, frame + 5, height, width)
    if separate_scans:
        start, end = next((a, b) for a, b, marker in segments if marker == 0xDA)
        components = data[start + 4]
        first = bytes(data[start + 5 : start + 7])  # component id, its coding tables
        rest = bytes(data[start + 5 + 2 * components : end])  # spectral selection, ...
        data[start:end] = b"\xff\xda" + struct.pack(">HB", 8, 1) + first + rest
    return bytes(data)


def image_bombs() -> Iterator[tuple[str, bytes]]:
    """Small files whose pictures are large: just under and over the loader's pixel limits.

    Decoders allocate for the pixels a header declares, so these find the most memory and time
    a loader can spend on one file it accepts.
    """
    side = math.isqrt(MAX_DECODED_PIXELS)  # the largest square picture decoded whole
    for mode in ("RGBA", "RGB", "I;16", "P", "L"):
        yield f"png {mode} {side} x {side}", png_bomb(side, side, mode)
    yield f"png RGBA {side + 1} x {side}", png_bomb(side + 1, side, "RGBA")
    yield "png L 100000 x 1000", png_bomb(100_000, 1_000, "L")
    wide = MAX_DECODED_PIXELS // 16_383  # WebP sides stop at 16,383
    blank = Image.new("RGB", (16_383, wide), (200, 30, 30))
    yield f"webp lossless 16383 x {wide}", encode(blank, "WEBP", lossless=True, method=0)
    for width, height in [(side, side), (side + 1, side), (9_999, 9_999)]:
        picture = jpeg_claiming(width, height, progressive=True)
        yield f"progressive jpeg claiming {width} x {height}", picture
    rle_side = math.isqrt(MAX_RLE_BMP_PIXELS)
    for width, height in [(rle_side, rle_side), (rle_side + 1, rle_side)]:
        yield f"rle4 bmp {width} x {height}", rle4_bmp(width, height)
