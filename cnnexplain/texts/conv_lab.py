"""Words of the convolution lab: one kernel sliding over one small picture.

Hover templates keep Plotly's %{...} placeholders as they are; only the words around them are
meant to be translated.
"""

TITLE = "Convolution lab: padding, stride and dilation"
INTRO = (
    "A convolution slides a small grid of weights, the **kernel**, over a picture. At every "
    "position it multiplies each weight by the pixel under it, adds the products up, and "
    "writes that sum into the output.\n\nThree settings decide where the kernel goes: "
    "**padding**, **stride** and **dilation**. Change them below and watch the output change."
)

# The input
INPUT_HEADER = "1. The picture"
SOURCE = "Where the picture comes from"
SOURCES = {
    "toy": "a small test pattern",
    "upload": "your own picture",
    "sample": "a test image from the data set",
}
TOY_KIND = "Pattern"
TOY_KINDS = {
    "square": "a square",
    "cross": "a cross",
    "diagonal": "a diagonal line",
    "checker": "a checkerboard",
}
TOY_SIZE = "Size (pixels on each side)"
UPLOAD = "Your picture (PNG, JPEG, GIF, BMP or WebP, up to {mb} MB)"
UPLOAD_SIZE = "Shrink it to (pixels on each side)"
UPLOAD_SIZE_HELP = (
    "The lab works on a small gray version of your picture, so that every number stays readable."
)
UPLOAD_PROMPT = "Choose a picture above. Until then the test pattern (a square) is used."
UPLOAD_KEPT = "The picture you had before is kept."
# {name} is the file's own name, escaped by the view: a file may be called anything.
UPLOAD_SHOWN = "Using **{name}**, shrunk to {size}×{size} gray pixels."
SAMPLE_GRAY = (
    "This data set is in colour; the lab uses the gray version of the picture (the average of "
    "red, green and blue)."
)
INPUT_SHAPE = "The picture is {H}×{W} pixels, values from 0 (black) to 1 (white)."

# The kernel
KERNEL_HEADER = "2. The kernel"
KERNEL_SIZE = "Kernel size ({low} to {high})"
KERNEL_SIZE_HELP = (
    "The kernel has this many rows and this many columns of weights: from {low} to {high}, so "
    "that the table below can show every weight. A larger number is not taken."
)
# The named kernels of core.kernels.PRESETS, by their key there: a name and what each does.
PRESET_NAMES = {
    "identity": "identity",
    "edge (Laplacian)": "edge (Laplacian)",
    "blur (box)": "blur (box)",
    "gaussian blur": "gaussian blur",
    "sharpen": "sharpen",
    "Sobel x": "Sobel x",
    "Sobel y": "Sobel y",
    "emboss": "emboss",
}
PRESET_DESCRIPTIONS = {
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
PRESET = "Start from"
PRESET_HELP = "A few well-known 3×3 kernels. Change any weight in the table below."
PRESET_ONLY_3 = (
    "The named kernels are 3×3. A {K}×{K} kernel starts as an average: every weight is 1/{n}. "
    "Change any weight in the table."
)
# Said once on this page, beside the named kernels that depend on it.
NO_FLIP = (
    "The kernel is laid on the picture as it is, not flipped first: strictly this is "
    "cross-correlation, and PyTorch and every other deep-learning library compute it so. The "
    "Sobel and emboss kernels are written for it; flipped, their outputs would change sign."
)
EDIT_HINT = "Click a weight to change it. Row and column numbers are the kernel's own."
EDIT_SCROLL = (
    "In a narrow window the table may not show its last columns: scroll it sideways (drag it, "
    "or hold Shift and turn the mouse wheel), or widen the window or close the sidebar."
)
KERNEL_CLEANED = (
    "Some weights could not be used as typed: an empty cell counts as 0, and a weight must be "
    "between −{limit:g} and {limit:g}, so larger ones were set to the nearest of the two."
)

# The settings
SETTINGS_HEADER = "3. Padding, stride and dilation"
PADDING = "Padding"
PADDING_HELP = (
    "Rows and columns of zeros added around the picture before the kernel slides. With "
    "padding the kernel can also sit on the border pixels, so the output shrinks less."
)
STRIDE = "Stride"
STRIDE_HELP = (
    "How many pixels the kernel jumps from one position to the next. Stride 2 skips every "
    "other position, so the output is about half as wide."
)
DILATION = "Dilation"
DILATION_HELP = (
    "The spacing between the pixels the kernel reads. Dilation 2 leaves a gap of one pixel "
    "between them: a 3×3 kernel then reaches over 5×5 pixels with the same 9 weights."
)

# The size formula
FORMULA_HEADER = "How big the output is"
SETTINGS_REFUSED = "These settings cannot be used:"
FORMULA_GENERAL = (
    "`output size = (input size + 2·padding − dilation·(kernel size − 1) − 1) // stride + 1`"
)
FORMULA_WHY = (
    "`dilation·(kernel size − 1) + 1` is how far the kernel reaches; `//` divides and rounds "
    "down, because the kernel only stops where it fits completely."
)
FORMULA_ROWS = "Rows: `{formula}`"
FORMULA_COLS = "Columns: `{formula}`"
OUTPUT_SHAPE = "The output is {Ho}×{Wo}: the kernel stops at {n} positions."
EMPTY_OUTPUT = (
    "With these settings the kernel does not fit anywhere on the padded picture, so there is "
    "no output at all. Make the kernel or the dilation smaller, or add padding."
)
EMPTY_DETAIL = "The exact reason: {message}"

# The two maps
MAPS_HEADER = "The kernel sliding over the picture"
INPUT_MAP_TITLE = "Input with padding ({Hp}×{Wp})"
OUTPUT_MAP_TITLE = "Output ({Ho}×{Wo})"
MAPS_LEGEND = (
    "Yellow cells are the padding zeros; the dashed line is the edge of the real picture. The "
    "red box is the part the kernel reaches at the chosen position, and the red-tinted cells "
    "are the pixels it actually reads.\n\nThe outlined cell of the output is the one they make. "
    "Point at any cell to read its value; click a cell of the output to see how it was "
    "computed."
)
HOVER_PIXEL = "row %{y}, column %{x}<br>value %{z:.4f}<extra></extra>"
HOVER_PADDING = "row %{y}, column %{x}<br>padding: 0<extra></extra>"
HOVER_SMALL = "kernel row %{y}, column %{x}<br>value %{z:.4f}<extra></extra>"
HOVER_SMALL_PADDING = "kernel row %{y}, column %{x}<br>padding: 0<extra></extra>"
HOVER_OUTPUT = "output row %{y}, column %{x}<br>value %{customdata:.4f}<extra></extra>"

# One position
POSITION_HEADER = "One position, step by step"
STEP = "Kernel position (row by row)"
STEP_HELP = "Slide this to move the kernel, or click a cell of the output map."
ONE_POSITION = "The output has one cell only, so the kernel stops at one position."
POSITION = "Position {k} of {n}: output row **{i}**, column **{j}**."
PLAY = "Play: slide the kernel over the next {n} positions"
PLAY_HELP = "Shows the output being filled in, one position after another."
PLAY_FRAME = "Output row {i}, column {j}: sum of the products = **{value:.4f}**"
WINDOW_TITLE = "Pixels under the kernel"
KERNEL_TITLE = "Kernel weights"
PRODUCTS_TITLE = "Pixel × weight"
PADDING_TAPS = "{count} of the {total} pixels read here are padding zeros, so their products are 0."
PRODUCTS_SUM = "Add the {total} products:"
RESULT = (
    "Sum of the products = **{total:.4f}**. Plus the bias, which is **0** here: "
    "**{result:.4f}**, exactly the value in output row {i}, column {j}."
)

# What the Simple level leaves out, said where it would be.
SIMPLE_FORMULA = (
    "Switch to **Every number** in the sidebar to see the output size worked out from the "
    "picture, the kernel, the stride, the padding and the dilation."
)
SIMPLE_SUM = "Switch to **Every number** in the sidebar to see all the products added up."
