"""A learner's own zip of class folders: the happy path, and every hostile or broken archive."""

import io
import re
import stat
import struct
import zipfile

import numpy as np
import pytest
from PIL import Image

from cnnexplain.io.images import ImageError, load_image
from cnnexplain.io.userdata import (
    UserDataError,
    ZipLimits,
    limit_fields,
    load_image_folder_zip,
    stratified_split,
)
from cnnexplain.texts import compare as compare_text
from tests.support.fuzz_zips import ZipEntry, hidden_directory_zip, zip_bytes

NOT_A_ZIP = (
    "This file is not a zip archive we can read. Make one with your system's "
    '"Compress" or "Send to > Compressed folder", with one folder of pictures per class.'
)


def png(value: int, size: int = 8, mode: str = "L") -> bytes:
    """A flat picture of one gray level (or colour)."""
    buffer = io.BytesIO()
    Image.new(mode, (size, size), value).save(buffer, format="PNG")
    return buffer.getvalue()


def make_zip(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED, infos=()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
        for info, content in infos:
            archive.writestr(info, content)
    return buffer.getvalue()


def patch_central_record(data: bytes, name: str, offset: int, value: int, fmt: str) -> bytes:
    """Overwrite one field of an entry's record in the table of contents."""
    patched = bytearray(data)
    start = data.find(b"PK\x01\x02")
    pos = data.find(name.encode(), start) - 46  # the record's fixed part is 46 bytes
    assert data[pos : pos + 4] == b"PK\x01\x02"
    struct.pack_into(fmt, patched, pos + offset, value)
    return bytes(patched)


def two_classes(n: int = 6, prefix: str = "") -> dict[str, bytes]:
    """n black "night" pictures and n white "day" pictures."""
    files = {f"{prefix}night/{i:03}.png": png(0) for i in range(n)}
    files.update({f"{prefix}day/{i:03}.png": png(255) for i in range(n)})
    return files


def refused(data: bytes, **kwargs) -> str:
    with pytest.raises(UserDataError) as err:
        load_image_folder_zip(data, **kwargs)
    return str(err.value)


# ---------------------------------------------------------------------------------------------
# Archives that work


def test_class_folders_become_a_labelled_split_data_set():
    files = two_classes(6)
    files["__MACOSX/night/._000.png"] = b"\x00\x05\x16\x07 resource fork"
    files["night/.DS_Store"] = b"\x00\x00\x00\x01Bud1"
    files["day/Thumbs.db"] = b"\xd0\xcf\x11\xe0"
    files["day/notes.txt"] = b"taken at noon"
    data, report = load_image_folder_zip(make_zip(files), channels=1, size=12)

    assert data.class_names == ("day", "night")  # sorted folder names
    assert report.class_names == ("day", "night")
    assert report.counts == (6, 6)
    assert report.ignored == 3
    assert report.wrapper is None
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("day/notes.txt", "This file is not an image we can read (PNG, JPEG, GIF, BMP or WebP).")
    ]
    # round(6 * 0.2) = 1 test picture per class
    assert (report.n_train, report.n_test) == (10, 2)
    assert data.x_train.shape == (10, 1, 12, 12) and data.x_test.shape == (2, 1, 12, 12)
    assert sorted(data.y_test.tolist()) == [0, 1]
    assert np.bincount(data.y_train).tolist() == [5, 5]
    # day pictures are white, night pictures black: the labels follow the pictures
    x = np.concatenate([data.x_train, data.x_test])
    y = np.concatenate([data.y_train, data.y_test])
    assert np.all(x[y == 0] == 1.0) and np.all(x[y == 1] == 0.0)
    assert data.name == "user"
    assert data.description == "Your own 12 pictures in 2 classes, read as grayscale 12×12 images."


def test_pictures_are_read_exactly_as_load_image_reads_them():
    rng = np.random.default_rng(0)
    photos = {}
    for cls in ("a", "b"):
        for i in range(5):
            buffer = io.BytesIO()
            Image.fromarray(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)).save(
                buffer, format="PNG"
            )
            photos[f"{cls}/{i}.png"] = buffer.getvalue()
    data, _ = load_image_folder_zip(
        make_zip(photos), channels=3, size=16, min_per_class=2, test_fraction=0.4, seed=3
    )
    expected = {tuple(load_image(b, channels=3, size=16).reshape(-1)[:20]) for b in photos.values()}
    got = {tuple(img.reshape(-1)[:20]) for img in np.concatenate([data.x_train, data.x_test])}
    assert got == expected
    assert data.x_train.shape[1:] == (3, 16, 16)


def test_one_folder_wrapping_the_class_folders_is_fine():
    files = two_classes(5, prefix="my pets/")
    files["my pets/README.md"] = b"# pets"
    data, report = load_image_folder_zip(make_zip(files))
    assert report.wrapper == "my pets"
    assert data.class_names == ("day", "night")
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("my pets/README.md", "not inside a class folder")
    ]


def test_class_names_are_kept_exactly_as_the_folders_are_named():
    odd = "<b>Ünïcode & *stars*"
    files = {f"{odd}/{i}.png": png(0) for i in range(5)}
    files.update({f'=HYPERLINK("x")/{i}.png': png(255) for i in range(5)})
    data, _ = load_image_folder_zip(make_zip(files))
    assert data.class_names == ("<b>Ünïcode & *stars*", '=HYPERLINK("x")')


def test_the_split_is_seeded_and_the_training_part_mixes_the_classes():
    archive = make_zip(two_classes(20))
    a, _ = load_image_folder_zip(archive, seed=1)
    b, _ = load_image_folder_zip(archive, seed=1)
    c, _ = load_image_folder_zip(archive, seed=2)
    assert np.array_equal(a.y_train, b.y_train) and np.array_equal(a.x_test, b.x_test)
    assert not np.array_equal(a.y_train, c.y_train)
    # the first few training pictures hold both classes (data-efficiency runs take a prefix)
    assert set(a.y_train[:8].tolist()) == {0, 1}


def test_stratified_split_keeps_every_class_in_both_parts():
    y = np.repeat(np.arange(4), [2, 5, 10, 3])
    train, test = stratified_split(y, 0.2, seed=0)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(len(y)))
    assert np.bincount(y[test], minlength=4).tolist() == [1, 1, 2, 1]
    assert np.bincount(y[train], minlength=4).tolist() == [1, 4, 8, 2]


def test_progress_is_reported_for_every_file_read():
    calls = []
    load_image_folder_zip(make_zip(two_classes(5)), on_progress=lambda d, t: calls.append((d, t)))
    assert calls == [(i, 10) for i in range(1, 11)]


def test_limits_are_stated_in_plain_words():
    assert compare_text.ZIP_LIMITS.format(**limit_fields()) == (
        "A zip file of at most 50 MB, with one folder per class (2 to 100 classes) and at "
        "least 5 pictures (PNG, JPEG, GIF, BMP or WebP) in each. At most 5,000 files and "
        "folders in all, 200 MB once unpacked, and 20 MB for one picture."
    )


# ---------------------------------------------------------------------------------------------
# Archives that are refused before anything is unpacked


@pytest.mark.parametrize("data", [b"", b"hello, world", png(0)], ids=["empty", "text", "png"])
def test_a_file_that_is_not_a_zip_is_refused(data):
    assert refused(data) == NOT_A_ZIP


def test_a_cut_off_zip_is_refused():
    archive = make_zip(two_classes(5))
    assert refused(archive[: len(archive) // 2]) == NOT_A_ZIP


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../evil.png", 'climbs out of the archive with ".."'),
        ("night/../../evil.png", 'climbs out of the archive with ".."'),
        ("/abs.png", "has an absolute path"),
        ("C:/Windows/evil.png", "has an absolute path"),
        ("night\\..\\..\\evil.png", 'climbs out of the archive with ".."'),
    ],
)
def test_entries_that_point_outside_the_archive_are_refused(name, problem):
    files = two_classes(5)
    files[name] = png(0)
    assert refused(make_zip(files)) == (
        f'The archive is refused: the entry "{name}" {problem}, so it points outside the archive.'
    )


def test_a_symbolic_link_is_refused():
    link = zipfile.ZipInfo("night/link.png")
    link.create_system = 3  # unix
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = make_zip(two_classes(5), infos=[(link, b"/etc/passwd")])
    assert refused(archive) == (
        'The archive is refused: the entry "night/link.png" is a link to another file. '
        "Put the pictures themselves in the archive."
    )


def test_a_password_protected_archive_is_refused():
    files = two_classes(5)
    files["night/secret.png"] = b"scrambled"
    archive = patch_central_record(make_zip(files), "night/secret.png", 8, 0x1, "<H")  # flags
    assert refused(archive) == (
        "The archive is protected by a password; upload one without a password."
    )


def test_too_many_entries_are_refused_from_the_table_of_contents():
    files = {f"c{i % 2}/{i}.png": b"" for i in range(6000)}
    assert refused(make_zip(files, zipfile.ZIP_STORED)) == (
        "The archive has 6,000 entries; the most we take is 5,000 files and folders. "
        "Upload fewer pictures."
    )


def test_a_table_of_contents_too_big_for_the_entry_limit_is_refused_before_it_is_read():
    # 20 entries with 200-character names: more directory than 3 entries could need.
    files = {f"c{i % 2}/{'x' * 200}{i}.png": b"" for i in range(20)}
    assert refused(make_zip(files), limits=ZipLimits(max_entries=3)) == (
        "The archive lists too many entries; the most we take is 3 files and folders. "
        "Upload fewer pictures."
    )


def test_a_table_of_contents_declared_only_by_zip64_is_refused_before_it_is_read():
    # The plain end record lists one entry and the zip64 locator points nowhere, but zipfile
    # reads the zip64 record just before the locator: 120,000 records, once parsed in full.
    assert refused(hidden_directory_zip(120_000)) == (
        "The archive lists too many entries; the most we take is 5,000 files and folders. "
        "Upload fewer pictures."
    )


def test_an_entry_needing_a_newer_zip_version_is_refused():
    archive = patch_central_record(make_zip(two_classes(5)), "day/000.png", 6, 64, "<H")
    assert refused(archive) == NOT_A_ZIP


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    # 300 MB of zeros, written in pieces so the test never holds it: about 300 KB packed.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in two_classes(5).items():
            archive.writestr(name, content)
        with archive.open("night/huge.png", "w", force_zip64=True) as member:
            block = bytes(1024 * 1024)
            for _ in range(300):
                member.write(block)
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024
    assert re.fullmatch(
        r'The archive is refused as a possible "zip bomb": the entry "night/huge.png" would '
        r"unpack from \d+ KB to 300 MB, [\d,]+ times its size \(pictures never shrink that "
        r"much\)\.",
        refused(data),
    )


def test_the_ratio_check_applies_only_to_entries_above_the_floor():
    # 2 MB of zeros is a bomb by ratio; under a 4 MB floor it is only a file that is not a picture.
    files = two_classes(5)
    files["night/zeros.png"] = bytes(2 * 1024 * 1024)
    assert "zip bomb" in refused(make_zip(files))
    _, report = load_image_folder_zip(
        make_zip(files), limits=ZipLimits(ratio_floor_bytes=4 * 2**20)
    )
    assert [s.path for s in report.skipped] == ["night/zeros.png"]


def test_more_unpacked_bytes_than_allowed_are_refused():
    rng = np.random.default_rng(0)
    files = two_classes(5)
    files["night/noise1.bin"] = rng.bytes(3000)  # incompressible: no bomb, just large
    files["night/noise2.bin"] = rng.bytes(3000)
    assert refused(make_zip(files), limits=ZipLimits(max_total_bytes=5000)) == (
        "The archive unpacks to more than 5 KB, the most we take. Upload fewer or smaller pictures."
    )


def test_an_entry_that_lies_about_its_size_is_read_no_further_than_it_says():
    # Declare 100 bytes for an entry that really unpacks to 2 MB; the reader stops at 100 and
    # the checksum tells the file is damaged.
    files = two_classes(5)
    files["day/liar.png"] = bytes(2 * 1024 * 1024)
    data = make_zip(files)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("day/liar.png")
    local = bytearray(data)
    struct.pack_into("<I", local, info.header_offset + 22, 100)  # local header: unpacked size
    data = patch_central_record(bytes(local), "day/liar.png", 24, 100, "<I")  # and central
    _, report = load_image_folder_zip(data)
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("day/liar.png", "damaged inside the archive, so it cannot be unpacked")
    ]


def test_a_damaged_lzma_entry_is_skipped():
    files = two_classes(5)
    files["day/extra.png"] = png(255, size=32)
    archive = bytearray(make_zip(files, zipfile.ZIP_LZMA))
    info = zipfile.ZipFile(io.BytesIO(bytes(archive))).getinfo("day/extra.png")
    # zipfile's LZMA data: 2-byte version, 2-byte size of the properties, 5 bytes of properties
    data_start = info.header_offset + 30 + len(info.filename) + 9
    archive[data_start + 4 : data_start + 12] = b"\xff" * 8
    _, report = load_image_folder_zip(bytes(archive))
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("day/extra.png", "damaged inside the archive, so it cannot be unpacked")
    ]


def test_an_entry_with_an_empty_name_is_ignored():
    entries = [ZipEntry(name.encode(), content) for name, content in two_classes(5).items()]
    entries.insert(3, ZipEntry(b"", png(0)))
    data, report = load_image_folder_zip(zip_bytes(entries))
    assert report.counts == (5, 5)
    assert report.skipped == ()


def test_a_picture_larger_than_the_file_limit_is_skipped_unread():
    files = two_classes(5)
    files["day/big.png"] = png(255, size=400)
    limit = len(files["day/big.png"]) - 1
    _, report = load_image_folder_zip(make_zip(files), limits=ZipLimits(max_file_bytes=limit))
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("day/big.png", f"larger than {limit} bytes unpacked")
    ]


def test_too_many_pixels_for_memory_are_refused_before_decoding():
    message = refused(
        make_zip(two_classes(5)), channels=3, size=256, limits=ZipLimits(max_array_bytes=10**6)
    )
    assert message == (
        "10 pictures of 3×256×256 would take 7.5 MB of memory, more than the 977 KB we allow: "
        "choose a smaller picture size or upload fewer pictures."
    )


# ---------------------------------------------------------------------------------------------
# Archives that cannot make a data set


def test_a_single_class_is_refused():
    files = {f"cats/{i}.png": png(0) for i in range(8)}
    assert refused(make_zip(files)) == (
        'The archive has only one class folder ("cats"); a classifier needs at least two. '
        "Put each class's pictures in a folder of its own and zip the folders together."
    )


def test_class_folders_nested_too_deep_are_explained():
    # photos/dataset/night/000.png: "photos" wraps, so "dataset" looks like the only class.
    assert refused(make_zip(two_classes(5, prefix="photos/dataset/"))) == (
        'The archive has only one class folder ("dataset"), and all its pictures are in '
        "folders inside it. Put the class folders at the top of the archive, or inside a single "
        "folder."
    )


def test_pictures_outside_any_class_folder_are_refused():
    files = {f"{i}.png": png(0) for i in range(8)}
    with pytest.raises(UserDataError) as err:
        load_image_folder_zip(make_zip(files))
    assert str(err.value).startswith("The archive holds no class folders with pictures")
    assert len(err.value.report.skipped) == 8


def test_a_class_with_too_few_readable_pictures_is_refused_with_the_report():
    files = two_classes(6)
    for i in range(3):
        del files[f"day/{i:03}.png"]
    broken = png(255, size=64)
    broken = broken[: len(broken) // 2]  # cut short
    files["day/broken.png"] = broken
    with pytest.raises(UserDataError) as err:
        load_image_folder_zip(make_zip(files))
    assert str(err.value) == (
        'Too few readable pictures: "day" has 3. Each class needs at least 5, so that some can '
        "train the network and some can test it."
    )
    report = err.value.report
    assert report.class_names == ("day", "night") and report.counts == (3, 6)
    assert [s.path for s in report.skipped] == ["day/broken.png"]
    with pytest.raises(ImageError) as why:
        load_image(broken)
    assert report.skipped[0].reason == str(why.value)


def test_more_classes_than_allowed_are_refused():
    files = {f"class{k}/{i}.png": png(0) for k in range(4) for i in range(2)}
    assert refused(make_zip(files), limits=ZipLimits(max_classes=3)) == (
        "The archive has 4 class folders; the most we take is 3."
    )


def test_settings_that_cannot_work_are_refused():
    with pytest.raises(ValueError, match="min_per_class must be a whole number of at least 2"):
        load_image_folder_zip(make_zip(two_classes(5)), min_per_class=1)
    with pytest.raises(ValueError, match="test_fraction must be between 0 and 1"):
        load_image_folder_zip(make_zip(two_classes(5)), test_fraction=1.0)
    with pytest.raises(TypeError, match="data must be the bytes of a zip file, got str"):
        load_image_folder_zip("archive.zip")
