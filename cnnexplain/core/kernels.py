"""The convolution lab: named 3×3 kernels, tiny test images, and one kernel on one image.

Everything here runs `ops.conv2d_forward` and `ops.conv2d_window` on a single channel, so the
lab shows the same arithmetic as the network's own convolutions. The lab works in float64: its
numbers are shown with many digits, and a blur of ones should read 1, not 0.99999994.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnexplain.core import checks, ops


def _kernel(rows: list[list[float]], scale: float = 1.0) -> np.ndarray:
    """A read-only float64 kernel, so a page cannot change a preset for everyone."""
    k = np.array(rows, dtype=np.float64) * scale
    k.setflags(write=False)
    return k


# Cross-correlation, as every convolution here computes it: out[i, j] = sum of k * window, no
# flip. So Sobel x below is (right column − left column) and Sobel y (bottom row − top row).
PRESETS: dict[str, np.ndarray] = {
    "identity": _kernel([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    "edge (Laplacian)": _kernel([[0, -1, 0], [-1, 4, -1], [0, -1, 0]]),
    "blur (box)": _kernel([[1, 1, 1], [1, 1, 1], [1, 1, 1]], 1 / 9),
    "gaussian blur": _kernel([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1 / 16),
    "sharpen": _kernel([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "Sobel x": _kernel([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "Sobel y": _kernel([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
    "emboss": _kernel([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]),
}

# What each kernel does, for scripts; the app shows texts.conv_lab's, in the learner's language.
PRESET_DESCRIPTIONS: dict[str, str] = {
    "identity": "Copies the centre pixel: the output is the input (minus the border it cannot "
    "reach without padding).",
    "edge (Laplacian)": "Four times the centre minus its four neighbours: 0 on flat areas, "
    "large where a pixel differs from its surroundings, so outlines light up.",
    "blur (box)": "The plain average of the 3×3 neighbourhood: every weight is 1/9, so flat "
    "areas keep their value and sharp changes are smeared.",
    "gaussian blur": "A weighted average that trusts the centre most (4/16), then the four "
    "sides (2/16), then the corners (1/16): a softer blur than the box.",
    "sharpen": "The pixel plus its difference from its four neighbours: flat areas stay the "
    "same, edges get stronger.",
    "Sobel x": "Right column minus left column, the middle row counted twice: positive where "
    "the image gets brighter to the right, negative where it gets darker, 0 on flat areas. It "
    "finds vertical edges.",
    "Sobel y": "Bottom row minus top row, the middle column counted twice: it finds horizontal "
    "edges, positive where the image gets brighter downwards.",
    "emboss": "Bottom-right minus top-left, plus the pixel itself: edges facing one diagonal "
    "turn bright, the opposite ones dark, as if lit from the side.",
}

TOY_GRIDS = ("square", "cross", "diagonal", "checker")  # the kinds toy_grid draws
MIN_TOY_SIZE = 4
MAX_TOY_SIZE = 64
# The lab's limits match what a network here may do (models.MAX_INPUT_SIZE, MAX_KERNEL,
# MAX_STRIDE, MAX_PADDING, MAX_DILATION): the lab is where a learner tries those settings out,
# and it draws every cell of its maps, which past a few hundred rows would only freeze the page.
MAX_LAB_IMAGE = 256  # rows or columns of the picture
MAX_LAB_KERNEL = 11  # rows or columns of the kernel
MAX_LAB_STRIDE = 8
MAX_LAB_PADDING = 8
MAX_LAB_DILATION = 8


def toy_grid(kind: str = "square", size: int = 8) -> np.ndarray:
    """A small black-and-white test image (size, size) of 0.0 and 1.0, float64.

    kind: "square" (a filled square in the middle half), "cross" (a plus through the centre,
    2 pixels thick for an even size, 1 for an odd one), "diagonal" (the line from top-left to
    bottom-right) or "checker" (squares of 2×2 pixels, the top-left one black).
    """
    if not isinstance(kind, str) or kind not in TOY_GRIDS:
        raise ValueError(
            f"Unknown grid {checks.quoted(kind)}: choose one of {', '.join(TOY_GRIDS)}."
        )
    size = checks.whole("The grid size", size, MIN_TOY_SIZE, MAX_TOY_SIZE)
    grid = np.zeros((size, size), dtype=np.float64)
    if kind == "square":
        edge = size // 4
        grid[edge : size - edge, edge : size - edge] = 1.0
    elif kind == "cross":
        # Rows (and columns) (size-1)//2 .. size//2: the middle one, or the middle two.
        lo, hi = (size - 1) // 2, size // 2 + 1
        grid[lo:hi, :] = 1.0
        grid[:, lo:hi] = 1.0
    elif kind == "diagonal":
        np.fill_diagonal(grid, 1.0)
    else:
        r, c = np.indices((size, size))
        grid[:] = (r // 2 + c // 2) % 2
    return grid


@dataclass(frozen=True)
class SizeFormula:
    """The output-size formula of a convolution along one axis, with the numbers filled in."""

    size: int  # input length along this axis (H or W)
    kernel: int  # kernel length along this axis (KH or KW)
    stride: int
    padding: int
    dilation: int
    result: int  # (size + 2·padding − dilation·(kernel − 1) − 1) // stride + 1
    formula: str  # that line with the numbers in, e.g. "(28 + 2·1 − 2·(3 − 1) − 1) // 2 + 1 = 13"


def check_settings(stride: int, padding: int, dilation: int) -> tuple[int, int, int]:
    """(stride, padding, dilation) as ints in the lab's ranges, or a ValueError saying which."""
    return (
        checks.whole("The stride", stride, 1, MAX_LAB_STRIDE),
        checks.whole("The padding", padding, 0, MAX_LAB_PADDING),
        checks.whole("The dilation", dilation, 1, MAX_LAB_DILATION),
    )


def size_formula(size: int, kernel: int, stride: int, padding: int, dilation: int) -> SizeFormula:
    """The output length along one axis (ops.conv2d_output_size) and how it is computed.

    Raises ValueError for a setting outside the lab's ranges (see `check_settings`); the result
    may be 0 or less, which is what the formula says for a kernel larger than the padded input.
    """
    size = checks.whole("The picture size", size, 1, MAX_LAB_IMAGE)
    kernel = checks.whole("The kernel size", kernel, 1, MAX_LAB_KERNEL)
    stride, padding, dilation = check_settings(stride, padding, dilation)
    result = ops.conv2d_output_size(size, kernel, stride, padding, dilation)
    formula = f"({size} + 2·{padding} − {dilation}·({kernel} − 1) − 1) // {stride} + 1 = {result}"
    return SizeFormula(size, kernel, stride, padding, dilation, result, formula)


@dataclass(frozen=True, eq=False)
class LabResult:
    """One kernel slid over one single-channel image."""

    image: np.ndarray  # (H, W) the input, float64
    kernel: np.ndarray  # (KH, KW) the weights, float64
    padded: np.ndarray  # (H + 2·padding, W + 2·padding) the input with its zero border
    output: np.ndarray  # (H', W') the feature map, equal to ops.conv2d_forward's
    stride: int
    padding: int
    dilation: int
    rows: SizeFormula  # how H' follows from H
    cols: SizeFormula  # how W' follows from W


def _as_2d(a: np.ndarray, what: str, dims: str, largest: int) -> np.ndarray:
    """A float64 copy of a 2-D array of at most `largest` rows and columns, or a ValueError."""
    a = np.array(a, dtype=np.float64)
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"The {what} must be a non-empty 2-D array {dims}, got shape {a.shape}.")
    if max(a.shape) > largest:
        raise ValueError(
            f"The {what} may have at most {largest} rows and {largest} columns, "
            f"got shape {a.shape}."
        )
    if not np.isfinite(a).all():
        raise ValueError(f"The {what} contains NaN or infinite values.")
    return a


def _single_channel(
    image: np.ndarray, kernel: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """image, kernel as float64 copies, and as ops wants them: x (1, 1, H, W), w, b (1,)."""
    image = _as_2d(image, "image", "(H, W)", MAX_LAB_IMAGE)
    kernel = _as_2d(kernel, "kernel", "(KH, KW)", MAX_LAB_KERNEL)
    return image, kernel, image[None, None], kernel[None, None], np.zeros(1)


def padded_picture(image: np.ndarray, padding: int) -> np.ndarray:
    """What the kernel slides over: the picture (H, W) inside `padding` rings of zeros.

    Returns (H + 2·padding, W + 2·padding) float64, also when the output would be empty (the
    page still shows the learner the padded picture). Raises ValueError for a picture or a
    padding outside the lab's ranges.
    """
    padding = checks.whole("The padding", padding, 0, MAX_LAB_PADDING)
    return np.pad(_as_2d(image, "image", "(H, W)", MAX_LAB_IMAGE), padding)


def lab_convolve(
    image: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0, dilation: int = 1
) -> LabResult:
    """Slide `kernel` (KH, KW) over `image` (H, W) with ops.conv2d_forward, no bias.

    Returns the (H', W') output with
        H' = (H + 2·padding − dilation·(KH − 1) − 1) // stride + 1, and the same for W',
    and that formula filled in for rows and columns. Raises ValueError for a setting out of the
    lab's range (`check_settings`), a picture or kernel too large, or (ops' message) an output
    that would be empty.
    """
    stride, padding, dilation = check_settings(stride, padding, dilation)
    image, kernel, x, w, b = _single_channel(image, kernel)
    out, _ = ops.conv2d_forward(x, w, b, stride, padding, dilation)  # (1, 1, H', W')
    (H, W), (KH, KW) = image.shape, kernel.shape
    return LabResult(
        image=image,
        kernel=kernel,
        padded=padded_picture(image, padding),
        output=out[0, 0],
        stride=stride,
        padding=padding,
        dilation=dilation,
        rows=size_formula(H, KH, stride, padding, dilation),
        cols=size_formula(W, KW, stride, padding, dilation),
    )


def lab_window(
    image: np.ndarray,
    kernel: np.ndarray,
    i: int,
    j: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
) -> ops.ConvWindow:
    """What the kernel sees at output position (i, j) of lab_convolve, via ops.conv2d_window.

    The window, kernel and products are (1, KH, KW) (one channel); `result` equals
    lab_convolve(...).output[i, j] (to the rounding of the last bit) and `bias` is 0. Raises
    ValueError for an empty output or an (i, j) outside it.
    """
    stride, padding, dilation = check_settings(stride, padding, dilation)
    _, _, x, w, b = _single_channel(image, kernel)
    return ops.conv2d_window(x[0], w, b, 0, i, j, stride, padding, dilation)


EDGE_MARGIN = 2.0  # a kernel "finds vertical edges" when it answers them this many times more


def finds_vertical_edges(kernel: np.ndarray) -> bool:
    """Whether `kernel` answers a vertical edge at least EDGE_MARGIN times more strongly than a
    horizontal one (Sobel x does; Sobel y, the blurs and the identity do not)."""
    vertical, horizontal = edge_responses(kernel)
    return vertical > 0 and vertical >= EDGE_MARGIN * horizontal


def edge_responses(kernel: np.ndarray) -> tuple[float, float]:
    """(vertical, horizontal): the largest |output| of `kernel` (K, K) on a step edge.

    The vertical edge is a (2K, 2K) picture dark on its left half and bright on its right; the
    horizontal one is the same picture turned, dark above and bright below. A kernel that finds
    vertical edges answers the first far more strongly than the second; one that answers flat
    areas (a blur, the identity) answers both alike.
    """
    K = kernel.shape[0]
    vertical = np.zeros((2 * K, 2 * K))
    vertical[:, K:] = 1.0
    across = float(np.max(np.abs(lab_convolve(vertical, kernel).output)))
    along = float(np.max(np.abs(lab_convolve(vertical.T, kernel).output)))
    return across, along
