"""Data sets to train and test the networks on: built-in ones that work offline, and online ones.

Every data set has the network's layout: images float32 of shape (N, C, H, W) with values in
[0, 1], labels int64 of shape (N,). The arrays are read-only because one loaded data set is
shared by every user of the server.

Built in (no download, a second or less):
    digits      scikit-learn's 1,797 handwritten digits, enlarged to 28x28 like MNIST
    shapes      circles, squares, triangles, crosses and rings drawn at random places, gray
    shapes-rgb  the same shapes in colour
Online (downloaded once from OpenML, then read from a local cache):
    mnist, fashion-mnist, cifar-10
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.datasets import fetch_openml, load_digits
from sklearn.model_selection import train_test_split

from cnnexplain.core.errors import LearnerError, templates

OPENML_HOST = "api.openml.org"
PROBE_TIMEOUT = 2.0  # seconds to wait for OpenML before saying there is no connection
CACHE_ENV = "CNNEXPLAIN_CACHE"  # environment variable that overrides the cache folder


templates(
    {
        "data.unavailable": "{title} could not be downloaded (no internet connection?). "
        "The built-in data sets still work.",
        "data.unexpected": "{title} was downloaded but is not in the expected form ({n} x "
        "{expected} values from 0 to 255); got {shape}.",
    }
)


class DatasetUnavailable(LearnerError, RuntimeError):
    """An online data set that cannot be fetched now; the message is meant for the user."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """A labelled image data set split into training and test parts."""

    name: str  # registry key, e.g. "digits"
    x_train: np.ndarray  # (N, C, H, W) float32 in [0, 1], read-only
    y_train: np.ndarray  # (N,) int64 class indices, read-only
    x_test: np.ndarray  # (M, C, H, W) float32 in [0, 1], read-only
    y_test: np.ndarray  # (M,) int64 class indices, read-only
    class_names: tuple[str, ...]  # class_names[k] is the label users see for class k
    description: str  # one or two plain sentences for the page

    def __post_init__(self) -> None:
        parts = (("train", self.x_train, self.y_train), ("test", self.x_test, self.y_test))
        for part, x, y in parts:
            if x.dtype != np.float32 or x.ndim != 4 or x.shape[2] != x.shape[3]:
                raise ValueError(
                    f"x_{part} must be float32 of shape (N, C, S, S), got {x.dtype} {x.shape}"
                )
            if y.dtype != np.int64 or y.shape != (x.shape[0],):
                raise ValueError(
                    f"y_{part} must be int64 of shape ({x.shape[0]},), got {y.dtype} {y.shape}"
                )
            if x.size and (x.min() < 0 or x.max() > 1):
                raise ValueError(f"x_{part} must hold values in [0, 1]")
            if len(y) and (y.min() < 0 or y.max() >= len(self.class_names)):
                raise ValueError(f"y_{part} holds labels outside 0..{len(self.class_names) - 1}")
        if self.x_train.shape[1:] != self.x_test.shape[1:]:
            raise ValueError(
                f"train images {self.x_train.shape[1:]} and test images "
                f"{self.x_test.shape[1:]} differ in shape"
            )
        for arr in (self.x_train, self.y_train, self.x_test, self.y_test):
            arr.flags.writeable = False

    @property
    def channels(self) -> int:
        """C: 1 for grayscale, 3 for RGB."""
        return self.x_train.shape[1]

    @property
    def size(self) -> int:
        """Side of the square images, in pixels."""
        return self.x_train.shape[2]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, x_train={self.x_train.shape}, "
            f"x_test={self.x_test.shape}, classes={self.class_names})"
        )


@dataclass(frozen=True)
class DatasetInfo:
    """What a page can say about a data set before loading it."""

    title: str  # name shown to users
    description: str  # plain words: what the pictures are and where they come from
    online: bool  # True when the first load needs an internet connection
    channels: int  # 1 grayscale, 3 RGB
    size: int  # side of the square images, in pixels


# ---------------------------------------------------------------------------------------------
# Built-in digits


DIGIT_FRAME = 28  # MNIST's frame ...
DIGIT_BOX = 20  # ... and the box its digits are fitted into before centring


def load_digits28(test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """scikit-learn's 8x8 handwritten digits, brought to 28x28 the way MNIST was made.

    Each 8x8 scan (values 0..16) is scaled to [0, 1], enlarged smoothly (bicubic) to the 20x20
    box, and placed in a black 28x28 frame with its centre of mass at the centre. White ink on
    black, like MNIST. The split is stratified, so both parts hold every digit in proportion.
    """
    _check_fraction(test_fraction)
    bunch = load_digits()
    x = enlarge_scans(bunch.images.astype(np.float32) / 16.0)  # 0..16 -> [0, 1]
    y = bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_fraction, stratify=y, random_state=seed
    )
    return Dataset(
        name="digits",
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        class_names=tuple(str(d) for d in range(10)),
        description=(
            "1,797 handwritten digits 0 to 9, scanned at 8x8 pixels and enlarged to 28x28 "
            "like MNIST: white ink on black."
        ),
    )


def enlarge_scans(small: np.ndarray) -> np.ndarray:
    """(N, 8, 8) float32 scans in [0, 1] -> (N, 1, 28, 28): the built-in digits' pictures.

    Bicubic enlargement to the 20x20 box, then the box placed in the 28x28 frame with its
    centre of mass at the centre (see `load_digits28`).
    """
    grow = _cubic_matrix(small.shape[1], DIGIT_BOX)  # (20, 8)
    big = np.einsum("ip,npq,jq->nij", grow, small, grow)  # (N, 20, 20)
    big = np.clip(big, 0.0, 1.0)  # cubic interpolation overshoots a little at sharp edges
    return _centre_by_mass(big, DIGIT_FRAME)[:, None]  # (N, 1, 28, 28)


def digit_pair(digits: Dataset, first: int, second: int) -> Dataset:
    """Only two classes of a data set, relabelled 0 (first) and 1 (second)."""
    parts = []
    for x, y in ((digits.x_train, digits.y_train), (digits.x_test, digits.y_test)):
        keep = (y == first) | (y == second)
        parts += [np.array(x[keep]), (y[keep] == second).astype(np.int64)]
    names = (digits.class_names[first], digits.class_names[second])
    return Dataset(
        f"{digits.name}-{first}-{second}", *parts, names, DATASETS["digits-0-1"].description
    )


def _cubic_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix that resamples a line of n_in pixels to n_out pixels, bicubic.

    The same interpolation as torch's `interpolate(mode="bicubic", align_corners=False)`:
    kernel parameter a = -0.75, pixel centres aligned, taps beyond the edge reuse the edge
    pixel. Each row sums to 1, so a flat image stays flat.
    """
    a = -0.75
    src = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5  # where each output pixel falls
    base = np.floor(src).astype(int)
    matrix = np.zeros((n_out, n_in))
    for offset in (-1, 0, 1, 2):
        tap = base + offset
        d = np.abs(src - tap)
        weight = np.where(
            d <= 1,
            (a + 2) * d**3 - (a + 3) * d**2 + 1,
            np.where(d < 2, a * d**3 - 5 * a * d**2 + 8 * a * d - 4 * a, 0.0),
        )
        np.add.at(matrix, (np.arange(n_out), np.clip(tap, 0, n_in - 1)), weight)
    return matrix.astype(np.float32)


def _centre_by_mass(glyphs: np.ndarray, frame: int) -> np.ndarray:
    """Place (N, h, w) glyphs in (N, frame, frame) black frames, centre of mass at the centre.

    Shifts are whole pixels and stop at the frame's edge, so no ink is cut off.
    """
    n, h, w = glyphs.shape
    mass = glyphs.sum(axis=(1, 2))
    mass = np.where(mass > 0, mass, 1.0)
    com_y = (glyphs.sum(axis=2) * np.arange(h)).sum(axis=1) / mass  # (N,)
    com_x = (glyphs.sum(axis=1) * np.arange(w)).sum(axis=1) / mass  # (N,)
    centre = (frame - 1) / 2
    tops = np.clip(np.round(centre - com_y), 0, frame - h).astype(int)
    lefts = np.clip(np.round(centre - com_x), 0, frame - w).astype(int)
    out = np.zeros((n, frame, frame), dtype=np.float32)
    for i in range(n):
        out[i, tops[i] : tops[i] + h, lefts[i] : lefts[i] + w] = glyphs[i]
    return out


# ---------------------------------------------------------------------------------------------
# Generated shapes


SHAPE_CLASSES = ("circle", "square", "triangle", "cross", "ring")
SHAPE_RADIUS = (0.14, 0.28)  # range of the shape's half-width, as a fraction of the image side
SHAPE_MAX_TILT = np.pi / 9  # squares, triangles and crosses turn by up to 20 degrees either way
SHAPE_MIN_CONTRAST = 0.35  # least gray-level (or colour) distance between shape and background
SHAPE_NOISE = 0.05  # standard deviation of the Gaussian noise added to every pixel
# Half-width of each class, in radii, at the largest tilt: a square turned by t reaches
# r * (cos t + sin t) along a row; a circle, ring and triangle never pass r.
_TILTED = float(np.cos(SHAPE_MAX_TILT) + np.sin(SHAPE_MAX_TILT))
_SHAPE_EXTENT = np.array([1.0, _TILTED, 1.0, _TILTED, 1.0])  # in SHAPE_CLASSES order


def make_shapes(
    n_per_class: int = 300,
    *,
    size: int = 28,
    rgb: bool = False,
    seed: int = 0,
    test_fraction: float = 0.2,
) -> Dataset:
    """Generate pictures of simple shapes at random places, sizes, tilts and colours.

    Classes are SHAPE_CLASSES, each with n_per_class pictures. Every shape lies wholly inside
    the frame but anywhere in it, so a network has to find it rather than learn one position.
    Gray pictures use a random gray shape on a clearly lighter or darker background; RGB pictures
    use random colours. Gaussian noise is added. The same seed always gives the same arrays.
    """
    if n_per_class < 2:
        raise ValueError(f"n_per_class must be at least 2 to fill both splits, got {n_per_class}")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels to draw recognisable shapes, got {size}")
    _check_fraction(test_fraction)
    rng = np.random.default_rng(seed)
    k = len(SHAPE_CLASSES)
    n = n_per_class * k
    y = rng.permutation(np.repeat(np.arange(k, dtype=np.int64), n_per_class))  # (N,)

    radius = rng.uniform(*SHAPE_RADIUS, size=n) * size  # (N,)
    # How far each shape reaches from its centre along a row or column, plus one pixel of
    # margin: the centre is drawn only where the whole shape fits in the frame.
    reach = np.minimum(_SHAPE_EXTENT[y] * radius + 1.0, size / 2)  # (N,)
    cy = rng.uniform(reach - 0.5, size - 0.5 - reach)
    cx = rng.uniform(reach - 0.5, size - 0.5 - reach)
    tilt = rng.uniform(-SHAPE_MAX_TILT, SHAPE_MAX_TILT, size=n)

    coverage = np.empty((n, size, size), dtype=np.float32)  # 1 inside the shape, 0 outside
    rows, cols = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")  # (S, S)
    for label, draw in enumerate(_SHAPE_DISTANCE):
        idx = np.nonzero(y == label)[0]
        dy = rows[None] - cy[idx, None, None]  # (n_k, S, S)
        dx = cols[None] - cx[idx, None, None]
        c, s = np.cos(tilt[idx])[:, None, None], np.sin(tilt[idx])[:, None, None]
        u, v = c * dx + s * dy, -s * dx + c * dy  # coordinates turned with the shape
        distance = draw(u, v, radius[idx, None, None])  # < 0 inside, > 0 outside, in pixels
        coverage[idx] = np.clip(0.5 - distance, 0.0, 1.0)  # one-pixel soft edge

    channels = 3 if rgb else 1
    fg, bg = _contrasting_colours(rng, n, channels)  # (N, C) each
    x = bg[:, :, None, None] + (fg - bg)[:, :, None, None] * coverage[:, None]  # (N, C, S, S)
    x += rng.normal(0.0, SHAPE_NOISE, size=x.shape)
    x = np.clip(x, 0.0, 1.0).astype(np.float32)

    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_fraction, stratify=y, random_state=seed
    )
    kind = "coloured" if rgb else "gray"
    return Dataset(
        name="shapes-rgb" if rgb else "shapes",
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        class_names=SHAPE_CLASSES,
        description=(
            f"{n:,} generated pictures of {kind} circles, squares, triangles, crosses and rings "
            "of random size, at random places, with noise."
        ),
    )


def _circle(u: np.ndarray, v: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.hypot(u, v) - r


def _square(u: np.ndarray, v: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.maximum(np.abs(u), np.abs(v)) - r


def _triangle(u: np.ndarray, v: np.ndarray, r: np.ndarray) -> np.ndarray:
    # Equilateral, pointing up, circumradius r: inside all three edges, each r / 2 from the
    # centre. Image rows grow downwards, so "up" is -v.
    edges = [np.sin(a) * u - np.cos(a) * v for a in (np.pi, np.pi / 3, -np.pi / 3)]
    return np.maximum.reduce(edges) - r / 2


def _cross(u: np.ndarray, v: np.ndarray, r: np.ndarray) -> np.ndarray:
    arm = np.maximum(0.28 * r, 1.0)  # half-width of each bar
    across = np.maximum(np.abs(u) - r, np.abs(v) - arm)
    down = np.maximum(np.abs(u) - arm, np.abs(v) - r)
    return np.minimum(across, down)


def _ring(u: np.ndarray, v: np.ndarray, r: np.ndarray) -> np.ndarray:
    half_width = np.maximum(0.18 * r, 0.75)
    return np.abs(np.hypot(u, v) - (r - half_width)) - half_width


# Signed distance to each shape's outline, in SHAPE_CLASSES order.
_SHAPE_DISTANCE: tuple[Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray], ...] = (
    _circle,
    _square,
    _triangle,
    _cross,
    _ring,
)


def _contrasting_colours(
    rng: np.random.Generator, n: int, channels: int
) -> tuple[np.ndarray, np.ndarray]:
    """Shape and background colours, (N, C) each, at least SHAPE_MIN_CONTRAST apart."""
    if channels == 1:
        fg = rng.uniform(0.0, 1.0, size=(n, 1))
        # Background on the side of fg with room for the contrast: below a light shape,
        # above a dark one.
        t = rng.uniform(0.0, 1.0, size=(n, 1))
        below = t * (fg - SHAPE_MIN_CONTRAST)
        above = fg + SHAPE_MIN_CONTRAST + t * (1.0 - fg - SHAPE_MIN_CONTRAST)
        bg = np.where(fg > 0.5, below, above)
        return fg, bg
    fg = rng.uniform(0.0, 1.0, size=(n, 3))
    bg = rng.uniform(0.0, 1.0, size=(n, 3))
    # Redraw the backgrounds too close to their shape's colour; a few rounds settle all of them.
    close = np.linalg.norm(fg - bg, axis=1) < SHAPE_MIN_CONTRAST * np.sqrt(3)
    while close.any():
        bg[close] = rng.uniform(0.0, 1.0, size=(int(close.sum()), 3))
        close = np.linalg.norm(fg - bg, axis=1) < SHAPE_MIN_CONTRAST * np.sqrt(3)
    return fg, bg


# ---------------------------------------------------------------------------------------------
# Online data sets from OpenML


@dataclass(frozen=True)
class _OpenMLSource:
    title: str  # name used in messages
    openml_name: str  # name of the data set on OpenML
    channels: int
    size: int
    official_train: int  # rows in the official training part, which come first on OpenML
    official_total: int  # all rows; the rest are the official test part
    class_names: tuple[str, ...]
    description: str


_OPENML: dict[str, _OpenMLSource] = {
    "mnist": _OpenMLSource(
        title="MNIST",
        openml_name="mnist_784",
        channels=1,
        size=28,
        official_train=60_000,
        official_total=70_000,
        class_names=tuple(str(d) for d in range(10)),
        description="70,000 handwritten digits 0 to 9, 28x28 pixels, white ink on black.",
    ),
    "fashion-mnist": _OpenMLSource(
        title="Fashion-MNIST",
        openml_name="Fashion-MNIST",
        channels=1,
        size=28,
        official_train=60_000,
        official_total=70_000,
        class_names=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        description="70,000 small gray photos of clothes and shoes in 10 kinds, 28x28 pixels.",
    ),
    "cifar-10": _OpenMLSource(
        title="CIFAR-10",
        openml_name="CIFAR_10",
        channels=3,
        size=32,
        official_train=50_000,
        official_total=60_000,
        class_names=(
            "airplane",
            "automobile",
            "bird",
            "cat",
            "deer",
            "dog",
            "frog",
            "horse",
            "ship",
            "truck",
        ),
        description="60,000 tiny colour photos of animals and vehicles in 10 kinds, 32x32 pixels.",
    ),
}


def default_cache_dir() -> Path:
    """Folder for downloaded data: $CNNEXPLAIN_CACHE, else ~/.cache/cnnexplain."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "cnnexplain")


def load_openml(
    name: str,
    *,
    max_train: int | None = 10_000,
    max_test: int | None = 2_000,
    cache_dir: Path | None = None,
) -> Dataset:
    """Download an online data set once from OpenML, then read it from the local cache.

    name is "mnist", "fashion-mnist" or "cifar-10". The official train/test split is kept; only
    the first max_train and max_test pictures of each part are used (None for all of them),
    which keeps memory and training time in reach of a laptop.

    Raises DatasetUnavailable, within a few seconds, when the data is not cached and OpenML
    cannot be reached.
    """
    if name not in _OPENML:
        raise ValueError(f"unknown online data set {name!r}; choose one of {sorted(_OPENML)}")
    source = _OPENML[name]
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cached = cache_dir / f"{name}.npz"

    stored = _read_cache(cached)
    if stored is not None:
        pixels, labels = stored
    else:
        pixels, labels = _download(source, cache_dir)
        _save_atomically(cached, x=pixels, y=labels)

    n_train = len(labels) * source.official_train // source.official_total
    train = slice(0, n_train if max_train is None else min(n_train, max_train))
    test = slice(n_train, len(labels) if max_test is None else min(len(labels), n_train + max_test))
    return Dataset(
        name=name,
        x_train=pixels[train].astype(np.float32) / 255.0,
        y_train=labels[train].astype(np.int64),
        x_test=pixels[test].astype(np.float32) / 255.0,
        y_test=labels[test].astype(np.int64),
        class_names=source.class_names,
        description=source.description,
    )


def _download(source: _OpenMLSource, cache_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """Fetch from OpenML: (N, C, S, S) uint8 pixels and (N,) int64 labels."""
    # fetch_openml has no timeout of its own and can hang for minutes on a closed network,
    # so check first that the server answers at all.
    if not _server_answers(OPENML_HOST, 443, PROBE_TIMEOUT):
        raise DatasetUnavailable("data.unavailable", title=source.title)
    try:
        features, target = fetch_openml(
            source.openml_name,
            version=1,
            data_home=str(cache_dir),
            as_frame=False,
            parser="auto",
            return_X_y=True,
        )
    except Exception as exc:  # network, HTTP and parsing errors all mean: not available now
        raise DatasetUnavailable("data.unavailable", title=source.title) from exc

    n = len(target)
    pixels = np.asarray(features, dtype=np.float64)
    expected = source.channels * source.size * source.size
    if pixels.shape != (n, expected) or pixels.min() < 0 or pixels.max() > 255:
        raise DatasetUnavailable(
            "data.unexpected", title=source.title, n=n, expected=expected, shape=pixels.shape
        )
    # OpenML stores each picture as one row: channel, then row, then column (CIFAR-10 keeps all
    # red values first, then green, then blue). The values are whole numbers, so the cast to
    # uint8 is exact and avoids another full-size float copy.
    pixels = pixels.astype(np.uint8).reshape(n, source.channels, source.size, source.size)
    labels = np.asarray(target).astype(np.int64)
    return pixels, labels


def _server_answers(host: str, port: int, timeout: float) -> bool:
    """True when a TCP connection to host:port opens within about `timeout` seconds.

    The connection is tried on a helper thread because the name lookup before it ignores socket
    timeouts and can stall for many seconds on a network without a working resolver.
    """
    answered: list[bool] = []

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            answered.append(True)
        except OSError:
            answered.append(False)

    worker = threading.Thread(target=connect, name="openml-probe", daemon=True)
    worker.start()
    worker.join(timeout + 0.5)
    return bool(answered) and answered[0]


def _read_cache(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """(pixels, labels) from a cache file written by load_openml; None if missing or unreadable."""
    try:
        with np.load(path) as stored:
            return stored["x"], stored["y"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None  # a damaged cache is fetched again, like a missing one


def _save_atomically(path: Path, **arrays: np.ndarray) -> None:
    """Write an .npz so that a crash or a second server process never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.part")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------------------------
# Registry and batching


DATASETS: dict[str, DatasetInfo] = {
    "digits": DatasetInfo(
        title="Handwritten digits (built in)",
        description=(
            "1,797 handwritten digits 0 to 9 from scikit-learn, enlarged to 28x28 pixels like "
            "MNIST. Small and quick to train on; works without internet."
        ),
        online=False,
        channels=1,
        size=28,
    ),
    "digits-0-1": DatasetInfo(
        title="Zeros and ones (built in, two classes)",
        description=(
            "Only the 0s and 1s of the built-in digits: a two-class problem, where a single "
            "sigmoid output can give the probability of a 1."
        ),
        online=False,
        channels=1,
        size=28,
    ),
    "shapes": DatasetInfo(
        title="Shapes (built in)",
        description=(
            "Generated gray pictures of circles, squares, triangles, crosses and rings at "
            "random places and sizes. Works without internet."
        ),
        online=False,
        channels=1,
        size=28,
    ),
    "shapes-rgb": DatasetInfo(
        title="Coloured shapes (built in)",
        description=(
            "The same five shapes in random colours on coloured backgrounds, with three "
            "colour channels. Works without internet."
        ),
        online=False,
        channels=3,
        size=28,
    ),
    **{
        key: DatasetInfo(
            title=source.title,
            description=f"{source.description} Downloaded from OpenML the first time.",
            online=True,
            channels=source.channels,
            size=source.size,
        )
        for key, source in _OPENML.items()
    },
}


def load_dataset(key: str) -> Dataset:
    """Load a data set from DATASETS by its key with its default settings."""
    if key == "digits":
        return load_digits28()
    if key == "digits-0-1":
        return digit_pair(load_digits28(), 0, 1)
    if key == "shapes":
        return make_shapes()
    if key == "shapes-rgb":
        return make_shapes(rgb=True)
    if key in _OPENML:
        return load_openml(key)
    raise ValueError(f"unknown data set {key!r}; choose one of: {', '.join(DATASETS)}")


def batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    *,
    seed: int | None,
    shuffle: bool = True,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (xb, yb) mini-batches covering every example once; the last batch may be smaller.

    With shuffle, the order is a permutation drawn from `seed` (same seed, same batches).
    Arguments are checked at the call, not at the first batch.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} examples but y has {len(y)}")
    order = np.random.default_rng(seed).permutation(len(x)) if shuffle else np.arange(len(x))
    picks = (order[start : start + batch_size] for start in range(0, len(x), batch_size))
    return ((x[idx], y[idx]) for idx in picks)


def _check_fraction(test_fraction: float) -> None:
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
