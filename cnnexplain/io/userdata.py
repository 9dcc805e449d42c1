"""A learner's own data set, from a zip file of pictures with one folder per class.

    cats/001.png  cats/002.jpg  ...  dogs/001.png  ...            class folders at the top, or
    my-pets/cats/001.png  ...  my-pets/dogs/001.png  ...          inside one folder

The archive is untrusted. Everything about it is checked from its table of contents (the
central directory) before a single file is unpacked: how many entries it lists, that no entry
points outside the archive or is a link, how much it would unpack to, and that no entry
unpacks to hundreds of times its packed size (a "zip bomb"). Files are then read one at a time
into memory, never onto the disk, and never past a fixed number of bytes, whatever sizes the
archive declares. Pictures that cannot be read are skipped and listed in the report; problems
that make training pointless (one class only, too few pictures in a class) stop the load with
a message a learner can act on.
"""

from __future__ import annotations

import io
import lzma
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from cnnexplain.core.errors import LearnerError, templates
from cnnexplain.io.datasets import Dataset
from cnnexplain.io.images import ImageError, load_image

MB = 1024 * 1024

# The limits; `limit_fields` gives them to the page's sentence about them.
MAX_ARCHIVE_BYTES = 50 * MB  # the zip file itself: thousands of small pictures
MAX_ENTRIES = 5_000  # files and folders listed in the archive
MAX_TOTAL_BYTES = 200 * MB  # all its files together, unpacked
MAX_FILE_BYTES = 20 * MB  # one picture, unpacked
MAX_RATIO = 200  # an entry may unpack to at most this many times its packed size ...
RATIO_FLOOR_BYTES = 1 * MB  # ... when it unpacks to more than this
MAX_CLASSES = 100  # class folders
MAX_ARRAY_BYTES = 256 * MB  # the decoded pictures, as float32 arrays, together
MIN_PER_CLASS = 5  # readable pictures each class needs, by default

# A table-of-contents record is 46 bytes plus the name and extras: a few hundred bytes for a
# real archive. A table bigger than this allowance per permitted entry is refused before
# Python's zipfile reads it, since zipfile builds an object for every record it finds.
DIRECTORY_BYTES_PER_ENTRY = 1024

# Compression methods Python's zipfile can unpack: stored, deflate, bzip2, lzma.
READABLE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
# Files that operating systems add to archives; never pictures of a class.
SYSTEM_FOLDERS = ("__macosx",)
SYSTEM_FILES = ("thumbs.db", "desktop.ini")


@dataclass(frozen=True)
class ZipLimits:
    """How large an uploaded archive may be; the defaults are the module's constants."""

    max_archive_bytes: int = MAX_ARCHIVE_BYTES  # the zip file itself
    max_entries: int = MAX_ENTRIES  # files and folders listed in the archive
    max_total_bytes: int = MAX_TOTAL_BYTES  # all files together, unpacked
    max_file_bytes: int = MAX_FILE_BYTES  # one file, unpacked
    max_ratio: float = MAX_RATIO  # unpacked / packed size of one entry ...
    ratio_floor_bytes: int = RATIO_FLOOR_BYTES  # ... checked for entries larger than this
    max_classes: int = MAX_CLASSES  # class folders
    max_array_bytes: int = MAX_ARRAY_BYTES  # the decoded pictures as float32, together


DEFAULT_LIMITS = ZipLimits()


def _size_text(n: float) -> str:
    """Bytes in words: "300 KB", "1.5 MB"."""
    if n >= MB:
        return f"{n / MB:,.3g} MB" if n < 10 * MB else f"{n / MB:,.0f} MB"
    if n >= 1024:
        return f"{n / 1024:,.0f} KB"
    return f"{int(n)} bytes"


def limit_fields(
    limits: ZipLimits = DEFAULT_LIMITS, min_per_class: int = MIN_PER_CLASS
) -> dict[str, object]:
    """The limits as the fields of the page's sentence about them (texts.compare.ZIP_LIMITS)."""
    return {
        "archive": _size_text(limits.max_archive_bytes),
        "classes": limits.max_classes,
        "per_class": min_per_class,
        "entries": limits.max_entries,
        "total": _size_text(limits.max_total_bytes),
        "file": _size_text(limits.max_file_bytes),
    }


@dataclass(frozen=True)
class SkippedFile:
    """A file of the archive that is not in the data set, and why."""

    path: str  # its path inside the archive, as plain text
    why: LearnerError  # the reason, with a code so that a page says it in the learner's language

    @property
    def reason(self) -> str:
        """The reason in English words, e.g. "appears twice in the archive"."""
        return self.why.message


@dataclass(frozen=True)
class ZipReport:
    """What was found in an uploaded archive."""

    class_names: tuple[str, ...]  # class folder names, sorted; class k is class_names[k]
    counts: tuple[int, ...]  # readable pictures in each class
    skipped: tuple[SkippedFile, ...]  # files left out, with the reason
    ignored: int  # system files left out silently (__MACOSX/, hidden files, Thumbs.db)
    wrapper: str | None  # the one top-level folder that held the class folders, if any
    n_train: int  # pictures in the training part
    n_test: int  # pictures in the test part


_NOT_A_ZIP = (
    "This file is not a zip archive we can read. Make one with your system's "
    '"Compress" or "Send to > Compressed folder", with one folder of pictures per class.'
)
_REFUSED = 'The archive is refused: the entry "{entry}" '
templates(
    {
        "zip.not_a_zip": _NOT_A_ZIP,
        "zip.memory": "{count} pictures of {shape} would take {needed} of "
        "memory, more than the {most} we allow: choose a smaller picture size or upload fewer "
        "pictures.",
        "zip.too_much": "The archive unpacks to more than {most}, the most we take. Upload fewer "
        "or smaller pictures.",
        "zip.too_many": "The archive has {count} entries; the most we take is {most} files and "
        "folders. Upload fewer pictures.",
        "zip.too_many_listed": "The archive lists too many entries; the most we take is {most} "
        "files and folders. Upload fewer pictures.",
        # Said in full with every short class's count, up to ten of them.
        "zip.too_few": "Too few readable pictures in {classes} classes. Each class needs at "
        "least {least}, so that some can train the network and some can test it.",
        "zip.too_big": "The zip file is {size}; the most we take is {most}.",
        "zip.zero_byte": _REFUSED + "has a zero byte in its name, so it points outside the "
        "archive.",
        "zip.absolute": _REFUSED + "has an absolute path, so it points outside the archive.",
        "zip.climbs": _REFUSED + 'climbs out of the archive with "..", so it points outside '
        "the archive.",
        "zip.link": _REFUSED + "is a link to another file. Put the pictures themselves in the "
        "archive.",
        "zip.not_a_file": _REFUSED + "is not a file.",
        "zip.password": "The archive is protected by a password; upload one without a password.",
        "zip.method": 'The entry "{entry}" is compressed in a way we cannot unpack; make the zip '
        "file again with your system's standard compression.",
        "zip.bomb": 'The archive is refused as a possible "zip bomb": the entry "{entry}" would '
        "unpack from {packed} to {unpacked}, {ratio} times its size (pictures never shrink "
        "that much).",
        "zip.no_classes": "The archive holds no class folders with pictures: put each class's "
        "pictures in a folder named after the class, and zip the folders together.",
        "zip.one_class_nested": 'The archive has only one class folder ("{name}"), and all its '
        "pictures are in folders inside it. Put the class folders at the top of the archive, "
        "or inside a single folder.",
        "zip.one_class": 'The archive has only one class folder ("{name}"); a classifier needs '
        "at least two. Put each class's pictures in a folder of its own and zip the folders "
        "together.",
        "zip.too_many_classes": "The archive has {count} class folders; the most we take is "
        "{most}.",
    }
)
# Why one file of an archive is left out (the others still make the data set).
templates(
    {
        "skip.too_large": "larger than {most} unpacked",
        "skip.damaged": "damaged inside the archive, so it cannot be unpacked",
        "skip.method": "compressed in a way we cannot unpack",
        "skip.twice": "appears twice in the archive",
        "skip.no_class": "not inside a class folder",
    }
)


class SkipReason(LearnerError):
    """Why one file of an archive is not in the data set (a picture that cannot be read is
    skipped with its ImageError instead)."""


class UserDataError(LearnerError, ValueError):
    """An archive that cannot become a data set; the message is meant for the learner.

    `report` holds what was found before the problem, when anything was (so a page can list
    the skipped files next to the message).
    """

    def __init__(
        self,
        code: str,
        report: ZipReport | None = None,
        /,
        *,
        english: str | None = None,
        **fields: object,
    ) -> None:
        super().__init__(code, english=english, **fields)
        self.report = report


def load_image_folder_zip(
    data: bytes,
    *,
    channels: int = 1,
    size: int = 28,
    min_per_class: int = MIN_PER_CLASS,
    test_fraction: float = 0.2,
    seed: int = 0,
    digit_style: bool = False,
    limits: ZipLimits = DEFAULT_LIMITS,
    name: str = "user",
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[Dataset, ZipReport]:
    """Check an uploaded zip of class folders and turn its pictures into a Dataset.

    Inputs:
    - data: the bytes of the zip file
    - channels, size, digit_style: how each picture is read (see `images.load_image`)
    - min_per_class: readable pictures each class needs (at least 2: one to train, one to test)
    - test_fraction: share of each class held out for testing, stratified and seeded
    - seed: the split and the order of the pictures
    - limits: the sizes refused before anything is unpacked
    - name: the data set's key
    - on_progress: called as on_progress(done, total) after each picture is read

    Returns (dataset, report). The training part is shuffled, so its first n pictures hold
    every class in about its share (as data-efficiency runs need).

    Raises UserDataError with a message for the learner; nothing is written to disk.
    """
    _check_arguments(data, min_per_class, test_fraction)
    with _open_archive(bytes(data), limits) as archive:
        infos = _checked_entries(archive, limits)
        files, skipped, ignored = _pick_files(infos)
        wrapper, by_class, skipped = _class_folders(files, skipped)
        classes = sorted(by_class)

        def report(counts: tuple[int, ...], n_train: int = 0, n_test: int = 0) -> ZipReport:
            return ZipReport(
                tuple(classes), counts, tuple(skipped), ignored, wrapper, n_train, n_test
            )

        listed = tuple(len(by_class[c]) for c in classes)
        _check_classes(by_class, wrapper, limits, report(listed))
        _check_memory(sum(listed), channels, size, limits, report(listed))

        images, labels = _read_pictures(
            archive,
            [by_class[c] for c in classes],
            limits,
            partial(load_image, channels=channels, size=size, digit_style=digit_style),
            skipped,
            on_progress,
            lambda: report(listed),
        )

    y = np.array(labels, dtype=np.int64)
    counts = tuple(int(c) for c in np.bincount(y, minlength=len(classes)))
    _check_counts(classes, counts, min_per_class, report(counts))
    x = np.stack(images).astype(np.float32, copy=False)  # (N, C, size, size)
    train_idx, test_idx = stratified_split(y, test_fraction, seed)
    dataset = Dataset(
        name=name,
        x_train=x[train_idx],
        y_train=y[train_idx],
        x_test=x[test_idx],
        y_test=y[test_idx],
        class_names=tuple(classes),
        description=(
            f"Your own {len(y):,} pictures in {len(classes)} classes, "
            f"read as {'grayscale' if channels == 1 else 'colour'} {size}×{size} images."
        ),
    )
    return dataset, report(counts, len(train_idx), len(test_idx))


def _check_arguments(data: object, min_per_class: object, test_fraction: float) -> None:
    """Refuse what no archive could fix: data that is not bytes, impossible settings."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data must be the bytes of a zip file, got {type(data).__name__}.")
    if isinstance(min_per_class, bool) or not isinstance(min_per_class, int) or min_per_class < 2:
        raise ValueError(f"min_per_class must be a whole number of at least 2, got {min_per_class}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")


def _check_memory(
    n_files: int, channels: int, size: int, limits: ZipLimits, found: ZipReport
) -> None:
    """Refuse pictures whose float32 arrays would together pass limits.max_array_bytes."""
    array_bytes = n_files * channels * size * size * 4
    if array_bytes > limits.max_array_bytes:
        raise UserDataError(
            "zip.memory",
            found,
            count=f"{n_files:,}",
            shape=f"{channels}×{size}×{size}",  # one field: keeps its order in Hebrew
            needed=_size_text(array_bytes),
            most=_size_text(limits.max_array_bytes),
        )


def _read_pictures(
    archive: zipfile.ZipFile,
    groups: list[list[zipfile.ZipInfo]],
    limits: ZipLimits,
    read: Callable[[bytes], np.ndarray],
    skipped: list[SkippedFile],
    on_progress: Callable[[int, int], None] | None,
    found: Callable[[], ZipReport],
) -> tuple[list[np.ndarray], list[int]]:
    """Every readable picture of `groups` (the files of class 0, 1, ...) and its class.

    Files are unpacked one at a time; one that cannot be read is added to `skipped` with the
    reason. Raises UserDataError, with the report `found()` gives, once the files unpacked so
    far pass limits.max_total_bytes.
    """
    images: list[np.ndarray] = []
    labels: list[int] = []
    unpacked = 0
    done = 0
    n_files = sum(len(group) for group in groups)
    for k, group in enumerate(groups):
        for info in group:
            content, problem = _read_member(archive, info, limits, unpacked)
            unpacked += len(content)
            if unpacked > limits.max_total_bytes:
                raise UserDataError(
                    "zip.too_much", found(), most=_size_text(limits.max_total_bytes)
                )
            if problem is None:
                try:
                    images.append(read(content))
                except ImageError as err:
                    problem = err
                else:
                    labels.append(k)
            if problem is not None:
                skipped.append(SkippedFile(info.filename, problem))
            done += 1
            if on_progress is not None:
                on_progress(done, n_files)
    return images, labels


def _check_counts(
    classes: list[str], counts: tuple[int, ...], min_per_class: int, found: ZipReport
) -> None:
    """Refuse classes with fewer than `min_per_class` readable pictures."""
    short = [(c, n) for c, n in zip(classes, counts, strict=True) if n < min_per_class]
    if short:
        listed_short = ", ".join(f'"{c}" has {n}' for c, n in short[:10])
        more = f" and {len(short) - 10} more" if len(short) > 10 else ""
        english = (
            f"Too few readable pictures: {listed_short}{more}. Each class needs at least "
            f"{min_per_class}, so that some can train the network and some can test it."
        )
        raise UserDataError(
            "zip.too_few", found, english=english, classes=len(short), least=min_per_class
        )


def stratified_split(
    y: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test), each class split in proportion, both parts shuffled.

    Every class with at least two examples puts at least one in each part.
    """
    rng = np.random.default_rng(seed)
    train_parts, test_parts = [], []
    for k in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == k))
        n_test = min(len(members) - 1, max(1, round(len(members) * test_fraction)))
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    train_idx = rng.permutation(np.concatenate(train_parts))
    test_idx = rng.permutation(np.concatenate(test_parts))
    return train_idx, test_idx


# ---------------------------------------------------------------------------------------------
# The archive's table of contents, checked before anything is unpacked


def _open_archive(data: bytes, limits: ZipLimits) -> zipfile.ZipFile:
    if len(data) > limits.max_archive_bytes:
        raise UserDataError(
            "zip.too_big", size=_size_text(len(data)), most=_size_text(limits.max_archive_bytes)
        )
    directory_bytes = _central_directory_size(data)
    if directory_bytes is None:
        raise UserDataError("zip.not_a_zip")
    if directory_bytes > limits.max_entries * DIRECTORY_BYTES_PER_ENTRY:
        raise UserDataError("zip.too_many_listed", most=f"{limits.max_entries:,}")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ValueError,
        EOFError,
        OSError,
        struct.error,
        NotImplementedError,  # an entry needs a newer zip version than zipfile reads
    ):
        raise UserDataError("zip.not_a_zip") from None


_EOCD = b"PK\x05\x06"  # end of central directory record
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"


def _central_directory_size(data: bytes) -> int | None:
    """Size in bytes of the archive's table of contents, as its end record declares it.

    Found exactly the way zipfile finds it, so that the size checked is the size zipfile will
    read: the end record, then the zip64 end record that zipfile expects just before the
    zip64 locator (not where the locator says it is). None when the data has no end record,
    so it is not a zip archive.
    """
    end = len(data) - 22
    if end >= 0 and data[end : end + 4] == _EOCD:
        pos = end
    else:
        pos = data.rfind(_EOCD, max(0, len(data) - 22 - 65_535))
        if pos < 0 or pos + 22 > len(data):
            return None
    (directory_bytes,) = struct.unpack_from("<I", data, pos + 12)
    locator = pos - 20
    record = locator - 56
    if (
        record >= 0
        and data[locator : locator + 4] == _ZIP64_LOCATOR
        and data[record : record + 4] == _ZIP64_EOCD
    ):
        (directory_bytes,) = struct.unpack_from("<Q", data, record + 40)
    return directory_bytes


def _unsafe_path(name: str) -> str | None:
    """The code saying why an entry's name points outside the archive, or None when it stays
    inside."""
    if "\x00" in name:
        return "zip.zero_byte"
    path = name.replace("\\", "/")
    if path.startswith("/") or re.match(r"[A-Za-z]:", path):
        return "zip.absolute"
    if ".." in path.split("/"):
        return "zip.climbs"
    return None


def _checked_entries(archive: zipfile.ZipFile, limits: ZipLimits) -> list[zipfile.ZipInfo]:
    """The archive's entries, after every check the table of contents allows."""
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise UserDataError("zip.too_many", count=f"{len(infos):,}", most=f"{limits.max_entries:,}")
    declared = 0
    for info in infos:
        shown = info.filename
        problem = _unsafe_path(info.filename)
        if problem is not None:
            raise UserDataError(problem, entry=shown)
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind == stat.S_IFLNK:
            raise UserDataError("zip.link", entry=shown)
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise UserDataError("zip.not_a_file", entry=shown)
        if info.flag_bits & 0x1:
            raise UserDataError("zip.password")
        if info.compress_type not in READABLE_METHODS:
            raise UserDataError("zip.method", entry=shown)
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size / max(info.compress_size, 1)
            raise UserDataError(
                "zip.bomb",
                entry=shown,
                packed=_size_text(info.compress_size),
                unpacked=_size_text(info.file_size),
                ratio=f"{ratio:,.0f}",
            )
        declared += info.file_size
    if declared > limits.max_total_bytes:
        raise UserDataError("zip.too_much", most=_size_text(limits.max_total_bytes))
    return infos


def _is_system_file(parts: list[str]) -> bool:
    return (
        parts[0].lower() in SYSTEM_FOLDERS
        or any(part.startswith(".") for part in parts)
        or parts[-1].lower() in SYSTEM_FILES
    )


def _path_parts(name: str) -> list[str]:
    """The folders and file name of an entry's path, either slash taken as a separator."""
    return [part for part in name.replace("\\", "/").split("/") if part not in ("", ".")]


def _pick_files(
    infos: list[zipfile.ZipInfo],
) -> tuple[list[tuple[list[str], zipfile.ZipInfo]], list[SkippedFile], int]:
    """(path parts, info) of each file that could be a picture, skipped files, ignored count."""
    files, skipped, ignored = [], [], 0
    seen: set[str] = set()
    for info in infos:
        # Not info.is_dir(): it fails on an entry with an empty name.
        if info.filename.endswith("/") or stat.S_ISDIR(info.external_attr >> 16):
            continue
        parts = _path_parts(info.filename)
        if not parts:
            continue
        if _is_system_file(parts):
            ignored += 1
            continue
        key = "/".join(parts)
        if key in seen:
            skipped.append(SkippedFile(info.filename, SkipReason("skip.twice")))
            continue
        seen.add(key)
        files.append((parts, info))
    return files, skipped, ignored


def _class_folders(
    files: list[tuple[list[str], zipfile.ZipInfo]], skipped: list[SkippedFile]
) -> tuple[str | None, dict[str, list[zipfile.ZipInfo]], list[SkippedFile]]:
    """(wrapping folder or None, {class name: entries sorted by path}, skipped files).

    Class folders sit at the top of the archive, or inside one top-level folder that holds
    nothing but folders and files deeper down. A file in a subfolder of a class folder belongs
    to that class.
    """
    tops = {parts[0] for parts, _ in files if len(parts) > 1}
    wrapper = None
    if (
        len(tops) == 1
        and all(len(parts) > 1 for parts, _ in files)
        and any(len(parts) > 2 for parts, _ in files)
    ):
        wrapper = tops.pop()
        files = [(parts[1:], info) for parts, info in files]
    by_class: dict[str, list[zipfile.ZipInfo]] = {}
    for parts, info in files:
        if len(parts) == 1:
            skipped.append(SkippedFile(info.filename, SkipReason("skip.no_class")))
            continue
        by_class.setdefault(parts[0], []).append(info)
    for members in by_class.values():
        members.sort(key=lambda info: info.filename)
    return wrapper, by_class, skipped


def _check_classes(
    by_class: dict[str, list[zipfile.ZipInfo]],
    wrapper: str | None,
    limits: ZipLimits,
    report: ZipReport,
) -> None:
    classes = sorted(by_class)
    if not classes:
        raise UserDataError("zip.no_classes", report)
    if len(classes) == 1:
        # class/picture, or wrapper/class/picture: anything deeper is a folder inside the class
        depth = 3 if wrapper is None else 4
        if all(len(_path_parts(info.filename)) >= depth for info in by_class[classes[0]]):
            raise UserDataError("zip.one_class_nested", report, name=classes[0])
        raise UserDataError("zip.one_class", report, name=classes[0])
    if len(classes) > limits.max_classes:
        raise UserDataError(
            "zip.too_many_classes", report, count=f"{len(classes):,}", most=limits.max_classes
        )


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ZipLimits, unpacked: int
) -> tuple[bytes, LearnerError | None]:
    """(bytes, None), or (what was read, why the file is skipped).

    Reads at most one byte more than either limit allows, whatever size the archive declares
    for the entry, so a lying entry costs no more memory than an honest one.
    """
    too_large = SkipReason("skip.too_large", most=_size_text(limits.max_file_bytes))
    if info.file_size > limits.max_file_bytes:
        return b"", too_large
    budget = min(limits.max_file_bytes, limits.max_total_bytes - unpacked) + 1
    try:
        with archive.open(info) as member:
            content = member.read(budget)
    except (
        zipfile.BadZipFile,
        zlib.error,
        lzma.LZMAError,  # not an OSError, unlike the errors of the other decompressors
        EOFError,
        OSError,
        RuntimeError,
        ValueError,
    ):
        return b"", SkipReason("skip.damaged")
    except NotImplementedError:
        return b"", SkipReason("skip.method")
    if len(content) > limits.max_file_bytes:
        return content, too_large
    return content, None
