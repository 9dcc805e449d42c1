"""Hostile zip archives for the data set loader, generated from a seed (see fuzzing).

Archives are mostly written byte by byte here rather than with `zipfile`, so that their headers
can say anything: paths that leave the archive, links, thousands of entries, entries that unpack
hugely or lie about their size, tables of contents that disagree.
"""

from __future__ import annotations

import functools
import io
import random
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PIL import Image

from .fuzz_images import (
    duplicate_span,
    encode,
    flip_bytes,
    overwrite_run,
    repeated_deflate,
    truncate,
)

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
    return encode(Image.new("L", (8, 8), 20), "PNG"), encode(Image.new("L", (8, 8), 230), "PNG")


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
        what, data = rng.choice([flip_bytes, overwrite_run, truncate])(rng, data)
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
        what, data = rng.choice([flip_bytes, overwrite_run, truncate, duplicate_span])(rng, data)
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
