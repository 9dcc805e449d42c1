"""Hostile uploads for the two loaders of untrusted files, generated from a seed.

`mutated_images(seed, count)` and `hostile_zips(seed, count)` yield (description, bytes) pairs.
The same seed gives the same files, and every description starts with the case's index, so a
failing case can be made again. `image_bombs()` adds a few genuine pictures that are tiny as
files and huge as pixels.

Pictures start from small valid files of every accepted format and pixel layout, then are
damaged the ways files break in transit (bytes flipped, runs overwritten, cut short, chunks
doubled or dropped) and the ways hostile files lie (headers that declare far more pixels than
the file holds). Archives are mostly written byte by byte here rather than with `zipfile`, so
that their headers can say anything: paths that leave the archive, links, thousands of entries,
entries that unpack hugely or lie about their size, tables of contents that disagree.

`case_count` reads CNNEXPLAIN_FULL_SIZE, which the tests and the load test share: unset, runs
stay short enough for every test run; "1" asks for the full size. `run_case` calls a loader on
one case and measures its time and peak memory, for the tests and for the fuzz bench alike.
"""

from __future__ import annotations

import functools
import io
import math
import os
import random
import re
import resource
import stat
import struct
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnexplain.images import MAX_DECODED_PIXELS, MAX_RLE_BMP_PIXELS

FULL_SIZE_ENV = "CNNEXPLAIN_FULL_SIZE"
SEED = 0  # of the fuzz tests and the fuzz bench, so the bench runs the tests' cases and more
# Cases per run: bounded for every test run, full with CNNEXPLAIN_FULL_SIZE=1 and in the bench.
IMAGE_CASES = (300, 10_000)
ZIP_CASES = (60, 2_000)


def full_size() -> bool:
    """True when CNNEXPLAIN_FULL_SIZE=1 asks for full-size runs."""
    return os.environ.get(FULL_SIZE_ENV, "").strip() == "1"


def case_count(bounded: int, full: int) -> int:
    """`full` when CNNEXPLAIN_FULL_SIZE=1, else `bounded`."""
    return full if full_size() else bounded


# ---------------------------------------------------------------------------------------------
# Measuring one case


@dataclass(frozen=True)
class CaseResult:
    """What one call of a loader on one hostile input did."""

    description: str  # which case, as the generator named it
    value: object  # what the loader returned, or None when it raised
    error: Exception | None  # what it raised, or None when it returned
    seconds: float  # wall time of the call
    cpu_seconds: float  # processor time of the call: what it costs on a busy shared machine
    traced_peak_bytes: int | None  # Python's own allocations; None unless tracemalloc runs
    rss_growth_bytes: int  # peak resident memory during the call, over the level before it


def run_case(
    description: str, load: Callable[[], object], *, trace_python: bool = False
) -> CaseResult:
    """Call `load()` once, catching whatever it raises, and measure it.

    trace_python: also measure Python's own allocations with tracemalloc, for this call only
    (tracing slows Python code several times over, so timings should be taken without it).

    tracemalloc sees only Python's allocations; pixel buffers and decompressors allocate in C,
    so the process's peak resident memory is measured too. On Linux the peak is reset before
    the call (/proc/self/clear_refs), so the growth belongs to this call; elsewhere it is the
    growth of the process's lifetime peak, which misses a call that stays below an earlier
    peak. Memory the allocator kept from earlier calls is reused without growing either
    measure, so both are lower bounds.

    The result holds what the loader returned or raised (with its traceback): check it and let
    it go, rather than keep thousands of them.
    """
    started_here = trace_python and not tracemalloc.is_tracing()
    if started_here:
        tracemalloc.start()
    traced_before = 0
    if tracemalloc.is_tracing():
        tracemalloc.reset_peak()
        traced_before = tracemalloc.get_traced_memory()[0]
    resettable = _reset_peak_rss()
    before = _current_rss_bytes() if resettable else _peak_rss_bytes()
    value: object = None
    error: Exception | None = None
    start, start_cpu = time.perf_counter(), time.process_time()
    try:
        value = load()
    except Exception as exc:  # the caller decides which exceptions were acceptable
        error = exc
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    growth = max(0, _peak_rss_bytes() - before)
    traced = None
    if tracemalloc.is_tracing():
        traced = tracemalloc.get_traced_memory()[1] - traced_before
    if started_here:
        tracemalloc.stop()
    return CaseResult(description, value, error, seconds, cpu_seconds, traced, growth)


def _proc_status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            match = re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.MULTILINE)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def _reset_peak_rss() -> bool:
    """Set the process's peak resident memory back to its current level, where Linux allows."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return _proc_status_kb("VmHWM") is not None


def _current_rss_bytes() -> int:
    kb = _proc_status_kb("VmRSS")
    return kb * 1024 if kb is not None else _peak_rss_bytes()


def _peak_rss_bytes() -> int:
    kb = _proc_status_kb("VmHWM")
    if kb is None:  # ru_maxrss is in kB on Linux (bytes on macOS, where this over-reports)
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb * 1024


# ---------------------------------------------------------------------------------------------
# Valid pictures to start from


def _encode(img: Image.Image, fmt: str, **options: object) -> bytes:
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
        ("png-gray", _encode(gray, "PNG")),
        ("png-rgb", _encode(rgb, "PNG")),
        ("png-rgba", _encode(rgba, "PNG")),
        ("png-la", _encode(_picture("LA"), "PNG")),
        ("png-palette-transparent", _encode(_picture("P"), "PNG", transparency=0)),
        ("png-16bit-gray", _encode(sixteen, "PNG")),
        ("png-1bit", _encode(_picture("1"), "PNG")),
        ("png-animated", _encode(rgb, "PNG", save_all=True, append_images=[gray.convert("RGB")])),
        ("jpeg-rgb", _encode(rgb, "JPEG", quality=85)),
        ("jpeg-gray", _encode(gray, "JPEG", quality=85)),
        ("jpeg-progressive", _encode(rgb, "JPEG", quality=85, progressive=True)),
        ("jpeg-444-exif", _encode(rgb, "JPEG", subsampling=0, exif=exif.tobytes())),
        ("jpeg-cmyk", _encode(_picture("CMYK"), "JPEG", quality=85)),
        ("gif", _encode(frames[0], "GIF")),
        ("gif-animated", _encode(frames[0], "GIF", save_all=True, append_images=frames[1:])),
        ("gif-transparent", _encode(frames[0], "GIF", transparency=0)),
        ("webp-lossy", _encode(rgb, "WEBP", quality=80)),
        ("webp-lossless", _encode(rgb, "WEBP", lossless=True)),
        ("webp-alpha", _encode(rgba, "WEBP", quality=80)),
        ("webp-animated", _encode(rgb, "WEBP", save_all=True, append_images=[rgba], lossless=True)),
        ("bmp-rgb", _encode(rgb, "BMP")),
        ("bmp-palette", _encode(frames[0], "BMP")),
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


def _flip_bytes(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    out = bytearray(data)
    # Most flips land in the first bytes, where headers are: that is where parsers branch.
    limit = len(data) if rng.random() < 0.5 else min(len(data), 64)
    where = sorted(rng.randrange(limit) for _ in range(rng.randint(1, 8)))
    for pos in where:
        out[pos] = rng.randrange(256)
    return f"set {len(where)} bytes at {where}", bytes(out)


def _overwrite_run(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    start = rng.randrange(len(data))
    length = min(rng.randint(1, 64), len(data) - start)
    fill, kind = rng.choice(
        [(b"\x00" * length, "zeros"), (b"\xff" * length, "0xFF"), (rng.randbytes(length), "noise")]
    )
    out = data[:start] + fill + data[start + length :]
    return f"overwrite {length} bytes at {start} with {kind}", out


def _truncate(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    cut = rng.randrange(len(data))
    return f"cut to {cut} of {len(data)} bytes", data[:cut]


def _duplicate_span(rng: random.Random, data: bytes) -> tuple[str, bytes]:
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


def _delete_span(rng: random.Random, data: bytes) -> tuple[str, bytes]:
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
    return result if result is not None else _flip_bytes(rng, data)


# Damage in transit is common and lying headers are rare, but each finds different bugs.
MUTATIONS: tuple[tuple[Mutation, int], ...] = (
    (_flip_bytes, 4),
    (_overwrite_run, 2),
    (_truncate, 2),
    (_duplicate_span, 2),
    (_delete_span, 2),
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
    data = bytearray(_encode(_picture("RGB"), "JPEG", progressive=progressive, subsampling=0))
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
    yield f"webp lossless 16383 x {wide}", _encode(blank, "WEBP", lossless=True, method=0)
    for width, height in [(side, side), (side + 1, side), (9_999, 9_999)]:
        picture = jpeg_claiming(width, height, progressive=True)
        yield f"progressive jpeg claiming {width} x {height}", picture
    rle_side = math.isqrt(MAX_RLE_BMP_PIXELS)
    for width, height in [(rle_side, rle_side), (rle_side + 1, rle_side)]:
        yield f"rle4 bmp {width} x {height}", rle4_bmp(width, height)


# ---------------------------------------------------------------------------------------------
# Zip archives written byte by byte


@dataclass
class ZipEntry:
    """One entry of a hand-written archive; every field is written exactly as given."""

    name: bytes  # the path as stored, in any encoding, even with zero bytes
    payload: bytes = b""  # the stored data (compressed when method is 8)
    method: int = zipfile.ZIP_STORED  # 0 stored, 8 deflate, anything else to test refusal
    crc: int | None = None  # None: the true CRC-32 of what the payload unpacks to
    size: int | None = None  # unpacked size in the table of contents; None: the true size
    local_size: int | None = None  # unpacked size in the local header; None: same as `size`
    compressed_size: int | None = None  # None: len(payload)
    external_attr: int = 0o644 << 16  # Unix file type and permissions in the high 16 bits
    create_system: int = 3  # 3 Unix, 0 MS-DOS
    flags: int = 0x800  # bit 11: the name is UTF-8
    extract_version: int = 20
    header_offset: int | None = None  # None: where its local header is written


def _true_size(entry: ZipEntry) -> tuple[int, int]:
    """(CRC, unpacked size) of the entry's payload as it really is."""
    if entry.method == zipfile.ZIP_DEFLATED:
        data = zlib.decompressobj(-15).decompress(entry.payload, 64 << 20)
        return zlib.crc32(data) & 0xFFFFFFFF, len(data)
    return zlib.crc32(entry.payload) & 0xFFFFFFFF, len(entry.payload)


def zip_bytes(entries: list[ZipEntry], comment: bytes = b"") -> bytes:
    """A zip archive: local headers and data, table of contents, end record."""
    out = bytearray()
    central = bytearray()
    for entry in entries:
        crc, size = entry.crc, entry.size
        if crc is None or size is None:
            true_crc, true_size = _true_size(entry)
            crc = true_crc if crc is None else crc
            size = true_size if size is None else size
        local_size = entry.local_size if entry.local_size is not None else size
        packed = entry.compressed_size if entry.compressed_size is not None else len(entry.payload)
        offset = len(out) if entry.header_offset is None else entry.header_offset
        out += struct.pack(
            "<4sHHHHHIIIHH", b"PK\x03\x04", entry.extract_version, entry.flags, entry.method,
            0, 0x21, crc, packed, local_size, len(entry.name), 0,
        )  # fmt: skip
        out += entry.name + entry.payload
        central += struct.pack(
            "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", (entry.create_system << 8) | 20,
            entry.extract_version, entry.flags, entry.method, 0, 0x21, crc, packed, size,
            len(entry.name), 0, 0, 0, 0, entry.external_attr, offset,
        )  # fmt: skip
        central += entry.name
    end = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries) & 0xFFFF, len(entries) & 0xFFFF,
        len(central), len(out), len(comment),
    )  # fmt: skip
    return bytes(out + central + end + comment)


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


@functools.cache
def _deflated_zeros(megabytes: int) -> tuple[bytes, int]:
    """(raw deflate stream, CRC-32) of `megabytes` MiB of zeros: about 1 KB per MiB."""
    block = bytes(1 << 20)
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(block, crc)
    return repeated_deflate(block, megabytes), crc


@functools.cache
def _tiny_pictures() -> tuple[bytes, bytes]:
    """A dark and a light 8x8 PNG: two classes a loader can tell apart."""
    return _encode(Image.new("L", (8, 8), 20), "PNG"), _encode(Image.new("L", (8, 8), 230), "PNG")


def _class_entries(per_class: int = 5, prefix: str = "") -> list[ZipEntry]:
    """A valid data set: `per_class` pictures in each of the folders "dark" and "light"."""
    dark, light = _tiny_pictures()
    return [
        ZipEntry(f"{prefix}{cls}/{i:03}.png".encode(), picture)
        for cls, picture in (("dark", dark), ("light", light))
        for i in range(per_class)
    ]


HOSTILE_NAMES = (
    "/etc/passwd", "../evil.png", "dark/../../evil.png", "dark\\..\\..\\evil.png",
    "C:\\Windows\\evil.png", "c:evil.png", "\\\\server\\share\\evil.png", "dark//003.png",
    "./dark/./004.png", "dark/", "/", "", ".", "..", "dark/\u202egnp.exe", "dark/con.png",
    "dark/" + "deep/" * 100 + "x.png", "dark/" + "x" * 60_000 + ".png", "dark\\backslash.png",
    "dark/évènement.png", "__MACOSX/dark/._000.png", "dark/.hidden.png", "Dark/000.png",
)  # fmt: skip


def _hostile_name(rng: random.Random) -> tuple[str, bytes]:
    entries = _class_entries()
    roll = rng.random()
    if roll < 0.7:
        name = rng.choice(HOSTILE_NAMES).encode()
    elif roll < 0.85:  # any bytes, though the entry says its name is UTF-8
        name = b"dark/" + rng.randbytes(rng.randint(1, 12)) + b".png"
    else:  # a zero byte, which ends the name for some readers, before a climb out
        name = b"dark/\x00/../../evil.png"
    entries.insert(rng.randrange(len(entries) + 1), ZipEntry(name, _tiny_pictures()[0]))
    return f"entry named {name[:80]!r}", zip_bytes(entries)


def _special_file(rng: random.Random) -> tuple[str, bytes]:
    """Links, devices, pipes and sockets, told apart only by the Unix bits of external_attr."""
    kinds = {
        "symlink": stat.S_IFLNK,
        "char device": stat.S_IFCHR,
        "block device": stat.S_IFBLK,
        "pipe": stat.S_IFIFO,
        "socket": stat.S_IFSOCK,
        "directory with data": stat.S_IFDIR,
        "unknown type": 0o170000,
    }
    kind = rng.choice(sorted(kinds))
    target = rng.choice([b"/etc/passwd", b"../../outside", b"dark/000.png"])
    entry = ZipEntry(b"dark/link.png", target, external_attr=(kinds[kind] | 0o777) << 16)
    entry.create_system = rng.choice([3, 3, 0])  # Unix bits from an MS-DOS archive: still read
    entries = _class_entries()
    entries.insert(rng.randrange(len(entries) + 1), entry)
    return f"{kind} entry (system {entry.create_system})", zip_bytes(entries)


def _many_files(rng: random.Random) -> tuple[str, bytes]:
    count = rng.choice([1_000, 4_990, 5_001, 20_000])
    content = rng.choice([b"", b"x", _tiny_pictures()[0]])
    entries = [ZipEntry(f"c{i % 2}/{i}.png".encode(), content) for i in range(count)]
    return f"{count:,} entries of {len(content)} bytes", zip_bytes(entries)


def _deep_folders(rng: random.Random) -> tuple[str, bytes]:
    depth = rng.choice([2, 3, 20])
    folders = "/".join(f"level{k}" for k in range(depth))
    entries = _class_entries(prefix=f"{folders}/")
    return f"class folders {depth} levels deep", zip_bytes(entries)


def _honest_bomb(rng: random.Random) -> tuple[str, bytes]:
    """Entries of zeros that say truthfully how much they unpack to."""
    # Over and under the ratio floor, the file limit, the total limit, the entry limit.
    megabytes, copies = rng.choice([(1, 1), (2, 1), (19, 1), (21, 1), (300, 1), (19, 12), (1, 300)])
    payload, crc = _deflated_zeros(megabytes)
    entries = _class_entries()
    entries += [
        ZipEntry(f"dark/zeros{k}.png".encode(), payload, zipfile.ZIP_DEFLATED, crc, megabytes << 20)
        for k in range(copies)
    ]
    return f"{copies} entries of {megabytes} MB of zeros, declared", zip_bytes(entries)


def _lying_bomb(rng: random.Random) -> tuple[str, bytes]:
    """Entries whose headers understate how much their data unpacks to."""
    megabytes = rng.choice([2, 50, 300])
    payload, crc = _deflated_zeros(megabytes)
    declared = rng.choice([0, 100, 1 << 20, 20 << 20])
    local = rng.choice([None, 0, megabytes << 20])
    entry = ZipEntry(
        b"dark/liar.png", payload, zipfile.ZIP_DEFLATED, crc, declared, local,
        compressed_size=rng.choice([None, declared // 100, 1 << 30]),
    )  # fmt: skip
    entries = _class_entries()
    entries.insert(rng.randrange(len(entries) + 1), entry)
    return (
        f"{megabytes} MB of zeros declared as {declared:,} bytes (local {local}, "
        f"packed {entry.compressed_size})",
        zip_bytes(entries),
    )


def _overlapping_entries(rng: random.Random) -> tuple[str, bytes]:
    """Many table-of-contents records pointing at the same data: the non-recursive bomb."""
    payload, crc = _deflated_zeros(1)
    count = rng.choice([50, 199, 4_000])
    same_name = rng.random() < 0.5
    entries = _class_entries()
    start = sum(30 + len(e.name) + len(e.payload) for e in entries)
    entries.append(ZipEntry(b"dark/zeros", payload, zipfile.ZIP_DEFLATED, crc, 1 << 20))
    for k in range(count):
        name = b"dark/zeros" if same_name else f"dark/zeros{k}".encode()
        # Written again each time (zip_bytes writes every entry), but all pointing at the first.
        entries.append(
            ZipEntry(name, b"", zipfile.ZIP_DEFLATED, crc, 1 << 20, 0, len(payload),
                     header_offset=start)
        )  # fmt: skip
    return f"{count} overlapping entries ({'same' if same_name else 'own'} names)", zip_bytes(
        entries
    )


def _odd_method(rng: random.Random) -> tuple[str, bytes]:
    """Compression methods and flags a reader may not handle: bzip2, lzma, unknown, encrypted."""
    method, flags = rng.choice(
        [(zipfile.ZIP_BZIP2, 0x800), (zipfile.ZIP_LZMA, 0x800), (99, 0x800), (1, 0x800),
         (8, 0x801), (8, 0x820), (8, 0x840), (8, 0x808)]
    )  # fmt: skip
    buffer = io.BytesIO()
    if method in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        # zipfile writes the format's own small headers correctly; then the data is damaged.
        with zipfile.ZipFile(buffer, "w") as archive:
            for entry in _class_entries():
                # a fixed date rather than the current time, so that the seed alone decides
                info = zipfile.ZipInfo(entry.name.decode(), date_time=(2020, 1, 1, 0, 0, 0))
                archive.writestr(info, entry.payload, compress_type=method)
        data = buffer.getvalue()
        what, data = rng.choice([_flip_bytes, _overwrite_run, _truncate])(rng, data)
        return f"method {method} archive, {what}", data
    entries = _class_entries()
    victim = rng.randrange(len(entries))
    entries[victim].method, entries[victim].flags = method, flags
    if method == 8:
        entries[victim].payload = _deflate(entries[victim].payload)
    return f"entry {victim} with method {method}, flags {flags:#x}", zip_bytes(entries)


def _mutated_archive(rng: random.Random) -> tuple[str, bytes]:
    """A valid archive, damaged in transit or with one header field rewritten."""
    entries = _class_entries()
    if rng.random() < 0.5:
        for entry in entries:
            entry.payload, entry.method = _deflate(entry.payload), zipfile.ZIP_DEFLATED
    data = zip_bytes(entries, comment=rng.choice([b"", b"a comment"]))
    if rng.random() < 0.5:
        what, data = rng.choice([_flip_bytes, _overwrite_run, _truncate, _duplicate_span])(
            rng, data
        )
        if rng.random() < 0.5:  # flips anywhere, not only near the start
            out = bytearray(data)
            for _ in range(rng.randint(1, 6)):
                if out:
                    out[rng.randrange(len(out))] = rng.randrange(256)
            what, data = what + ", and more bytes set", bytes(out)
        return f"archive with {what}", data
    return _patch_field(rng, data)


# Header fields as (offset, struct format) inside each kind of record.
_CENTRAL_FIELDS = {
    "version needed": (6, "<H"), "flags": (8, "<H"), "method": (10, "<H"), "crc": (16, "<I"),
    "packed size": (20, "<I"), "unpacked size": (24, "<I"), "name length": (28, "<H"),
    "extra length": (30, "<H"), "comment length": (32, "<H"), "disk": (34, "<H"),
    "external attributes": (38, "<I"), "local header offset": (42, "<I"),
}  # fmt: skip
_LOCAL_FIELDS = {
    "version needed": (4, "<H"), "flags": (6, "<H"), "method": (8, "<H"), "crc": (14, "<I"),
    "packed size": (18, "<I"), "unpacked size": (22, "<I"), "name length": (26, "<H"),
    "extra length": (28, "<H"),
}  # fmt: skip
_END_FIELDS = {
    "disk": (4, "<H"), "directory disk": (6, "<H"), "entries here": (8, "<H"),
    "entries": (10, "<H"), "directory size": (12, "<I"), "directory offset": (16, "<I"),
    "comment length": (20, "<H"),
}  # fmt: skip


def _patch_field(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    record, fields, signature = rng.choice(
        [("central", _CENTRAL_FIELDS, b"PK\x01\x02"), ("local", _LOCAL_FIELDS, b"PK\x03\x04"),
         ("end", _END_FIELDS, b"PK\x05\x06")]
    )  # fmt: skip
    starts = [m.start() for m in re.finditer(re.escape(signature), data)]
    start = rng.choice(starts)
    field = rng.choice(sorted(fields))
    offset, fmt = fields[field]
    top = 0xFFFF if fmt == "<H" else 0xFFFFFFFF
    value = rng.choice([0, 1, top, top - 1, rng.randint(0, top), 64, 0x7FFF])
    out = bytearray(data)
    struct.pack_into(fmt, out, start + offset, value)
    return f"{record} record at {start}: {field} = {value:#x}", bytes(out)


def _zip64_end(rng: random.Random) -> tuple[str, bytes]:
    """A zip64 end record and locator, whose sizes disagree with the plain end record."""
    data = zip_bytes(_class_entries())
    end = data.rindex(b"PK\x05\x06")
    directory = data.index(b"PK\x01\x02")
    declared = rng.choice([end - directory, 50 << 20, 1 << 40])
    count = rng.choice([10, 1_000_000, 1 << 40])
    record = struct.pack(
        "<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, declared, directory
    )
    # The locator names where the zip64 record is; zipfile instead reads it just before the
    # locator. Make the two places disagree, or not.
    honest = rng.random() < 0.5
    pointer = end if honest else 0
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, pointer, 1)
    return (
        f"zip64 end record declaring {declared:,} bytes of directory and {count:,} entries "
        f"({'honest' if honest else 'misleading'} locator)",
        data[:end] + record + locator + data[end:],
    )


def _hidden_directory(rng: random.Random) -> tuple[str, bytes]:
    count = rng.choice([20_000, 120_000])  # within and beyond what the size check allows
    what = f"{count:,} directory records declared only by a zip64 end record"
    return what, hidden_directory_zip(count)


def hidden_directory_zip(count: int) -> bytes:
    """An archive of `count` directory records that only its zip64 end record declares.

    Its plain end record lists one small entry, and its zip64 locator points where no zip64
    record is; Python's zipfile reads the zip64 record just before the locator instead. Readers
    that build an object per record (zipfile does) spend memory in proportion to the table, so
    a check of its size must read the same end record as the reader.
    """
    entry = ZipEntry(b"dark/000.png", _tiny_pictures()[0])
    local = zip_bytes([entry])
    local = local[: local.index(b"PK\x01\x02")]
    crc = zlib.crc32(entry.payload) & 0xFFFFFFFF
    records = b"".join(
        struct.pack(
            "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 0x0314, 20, 0x800, 0, 0, 0x21, crc,
            len(entry.payload), len(entry.payload), len(name), 0, 0, 0, 0, 0o644 << 16, 0,
        ) + name
        for name in (f"c{k % 2}/{k}.png".encode() for k in range(count))
    )  # fmt: skip
    start = len(local)
    zip64 = struct.pack(
        "<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(records), start
    )
    # The locator points at the start of the file, where no zip64 record is: a reader that
    # follows the pointer falls back to the plain record's single small entry.
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, 0, 1)
    first_record = 46 + len(b"c0/0.png")
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, first_record, start, 0)
    return local + records + zip64 + locator + end


ZIP_KINDS: tuple[tuple[Callable[[random.Random], tuple[str, bytes]], int], ...] = (
    (_hostile_name, 4),
    (_special_file, 2),
    (_many_files, 1),
    (_deep_folders, 1),
    (_honest_bomb, 2),
    (_lying_bomb, 2),
    (_overlapping_entries, 1),
    (_odd_method, 2),
    (_mutated_archive, 8),
    (_zip64_end, 1),
    (_hidden_directory, 1),
)


def hostile_zips(seed: int, count: int) -> Iterator[tuple[str, bytes]]:
    """`count` hostile or damaged archives: (description, bytes), the same for the same seed.

    The kinds come in shuffled decks that hold each kind as often as its weight, so that any
    run of sum(weights) cases holds every kind.
    """
    rng = random.Random(seed)
    deck: list[Callable[[random.Random], tuple[str, bytes]]] = []
    for index in range(count):
        if not deck:
            deck = [make for make, weight in ZIP_KINDS for _ in range(weight)]
            rng.shuffle(deck)
        what, data = deck.pop()(rng)
        yield f"#{index} {what}", data
