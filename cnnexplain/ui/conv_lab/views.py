"""The convolution lab's controls and views: the picture, the kernel, the settings, and one
position of the kernel taken apart.

Every widget key starts with "lab_". The arithmetic comes from cnnexplain.core.kernels (which runs
ops.conv2d_forward and ops.conv2d_window); nothing here recomputes a convolution.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from cnnexplain.core.kernels import (
    MIN_TOY_SIZE,
    PRESETS,
    LabResult,
    SizeFormula,
    lab_window,
    toy_grid,
)
from cnnexplain.core.ops import ConvWindow
from cnnexplain.figures import lab as figures_lab
from cnnexplain.figures import maps as figures
from cnnexplain.figures import theme
from cnnexplain.io.images import MAX_UPLOAD_MB, ImageError, load_image, to_gray
from cnnexplain.texts import conv_lab as text
from cnnexplain.ui.kit import errors, resources, session
from cnnexplain.ui.kit.detail import every_number
from cnnexplain.ui.kit.widgets import escape_markdown, test_sample_picker

LAB_MAX_TOY = 16  # larger test patterns add nothing but smaller cells
UPLOAD_SIZES = (12, 28)  # smallest and largest side an upload is shrunk to
UPLOAD_DEFAULT = 16
KERNEL_SIZES = (1, 5)  # smallest and largest kernel: a 5×5 table fits its column at 1400 px
# Widths of the three columns at the top: picture, kernel, settings. The kernel's table gets
# the most, so that every column of the largest kernel shows in a 1400 px window.
TOP_COLUMNS = (1.0, 1.25, 0.9)
KERNEL_LIMIT = 100.0  # a typed weight is clamped to ±this
DEFAULT_PRESET = "edge (Laplacian)"
MAX_PADDING = 4
MAX_STRIDE = 4
MAX_DILATION = 4
CELL_PX = 34  # height of one cell of the two big maps, within ...
MAP_HEIGHTS = (300, 600)  # ... these chart heights
# The narrowest the charts are drawn, in a 1024 px window with the sidebar open: the two maps
# share the page's width, the three grids of one position a third each. A value is written in
# its cell only where it fits at this width (figures_lab); wider, the cells only grow.
MAP_WIDTH_PX = 270
GRID_WIDTH_PX = 170
PLAY_POSITIONS = 40  # a Play sweeps at most this many positions ...
PLAY_DELAY = 0.2  # ... pausing this many seconds on each

UPLOADED_KEY = "lab_uploaded"  # the last good upload: {"wanted": (file_id, size), "x", "name"}
STEP_KEY = "lab_step"  # the chosen position, as a flat index in reading order
STEP_NEXT_KEY = "lab_step_next"  # where a finished Play leaves the kernel
CLICK_SEEN_KEY = "lab_click_seen"  # the output cell whose click has already moved the kernel
OUTPUT_CHART_KEY = "lab_output_map"


# --------------------------------------------------------------------------------------------
# The picture


def _upload() -> tuple[np.ndarray, str] | None:
    """The uploaded picture (H, W), the last good one when this file is broken, or None."""
    file = st.file_uploader(
        text.UPLOAD.format(mb=MAX_UPLOAD_MB),
        type=["png", "jpg", "jpeg", "gif", "bmp", "webp"],
        max_upload_size=MAX_UPLOAD_MB,
        key="lab_upload",
    )
    size = st.slider(
        text.UPLOAD_SIZE,
        *UPLOAD_SIZES,
        value=UPLOAD_DEFAULT,
        key="lab_upload_size",
        help=text.UPLOAD_SIZE_HELP,
    )
    kept = st.session_state.get(UPLOADED_KEY)
    if file is not None:
        wanted = (file.file_id, size)
        if kept is None or kept["wanted"] != wanted:
            try:
                x = load_image(file.getvalue(), channels=1, size=size)  # (1, size, size)
            except ImageError as err:
                st.error(errors.say(err))
                if kept is not None:
                    st.caption(text.UPLOAD_KEPT)
            else:
                kept = {"wanted": wanted, "x": x[0], "name": file.name}
                st.session_state[UPLOADED_KEY] = kept
    if kept is None:
        st.info(text.UPLOAD_PROMPT)
        return None
    note = text.UPLOAD_SHOWN.format(name=escape_markdown(kept["name"]), size=len(kept["x"]))
    return kept["x"], note


def _sample() -> np.ndarray:
    data = resources.dataset(session.current_dataset_key())
    x, _ = test_sample_picker(data, key="lab_sample")  # (C, H, W)
    if len(x) > 1:
        st.caption(text.SAMPLE_GRAY)
    return to_gray(x)


def choose_picture() -> np.ndarray:
    """The single-channel picture (H, W) the kernel slides over, in [0, 1]."""
    sources = list(text.SOURCES)
    source = st.radio(
        text.SOURCE, sources, format_func=text.SOURCES.get, horizontal=True, key="lab_source"
    )
    if source == "sample":
        return _sample()
    if source == "upload":
        own = _upload()
        if own is not None:
            picture, note = own
            st.caption(note)
            return picture
        return toy_grid("square", 8)
    kinds = list(text.TOY_KINDS)
    kind = st.selectbox(text.TOY_KIND, kinds, format_func=text.TOY_KINDS.get, key="lab_toy_kind")
    size = st.slider(text.TOY_SIZE, MIN_TOY_SIZE, LAB_MAX_TOY, value=8, key="lab_toy_size")
    return toy_grid(kind, int(size))


# --------------------------------------------------------------------------------------------
# The kernel


def clean_kernel(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """Weights a convolution can use: empty cells (NaN) become 0, the rest is clamped to
    ±KERNEL_LIMIT (infinities included). Returns the kernel and whether anything changed."""
    values = np.asarray(values, dtype=np.float64)
    kernel = np.clip(np.nan_to_num(values, nan=0.0), -KERNEL_LIMIT, KERNEL_LIMIT)
    changed = not np.array_equal(kernel, values)
    return kernel, changed


def _editor_frame(kernel: np.ndarray) -> pd.DataFrame:
    """The kernel as a table whose rows and columns are numbered like the kernel's own."""
    return pd.DataFrame(kernel, columns=[str(c) for c in range(kernel.shape[1])])


def choose_kernel() -> np.ndarray:
    """The kernel (K, K): a preset or an average as a start, then the learner's edits."""
    low, high = KERNEL_SIZES
    K = int(
        st.number_input(
            text.KERNEL_SIZE.format(low=low, high=high),
            low,
            high,
            value=3,
            key="lab_kernel_size",
            help=text.KERNEL_SIZE_HELP.format(low=low, high=high),
        )
    )
    names = list(PRESETS)
    preset = st.selectbox(
        text.PRESET,
        names,
        index=names.index(DEFAULT_PRESET),
        format_func=text.PRESET_NAMES.get,
        key="lab_preset",
        disabled=K != 3,
        help=text.PRESET_HELP,
    )
    if K == 3:
        start, start_name = PRESETS[preset], preset
        st.caption(text.PRESET_DESCRIPTIONS[preset])
    else:
        start, start_name = np.full((K, K), 1.0 / (K * K)), "average"
        st.caption(text.PRESET_ONLY_3.format(K=K, n=K * K))
    st.caption(text.NO_FLIP)
    # A new start (another preset or size) is a new table, so old edits do not leak into it.
    edited = st.data_editor(
        _editor_frame(np.array(start)),
        key=f"lab_kernel_edit:{K}:{start_name}",
        num_rows="fixed",
        column_config={
            str(c): st.column_config.NumberColumn(
                format="%.4f", min_value=-KERNEL_LIMIT, max_value=KERNEL_LIMIT
            )
            for c in range(K)
        },
    )
    st.caption(text.EDIT_HINT)
    if K >= 4:
        st.caption(text.EDIT_SCROLL)
    kernel, changed = clean_kernel(edited.to_numpy(dtype=np.float64, na_value=np.nan))
    if changed:
        st.warning(text.KERNEL_CLEANED.format(limit=KERNEL_LIMIT))
    return kernel


def choose_settings() -> tuple[int, int, int]:
    """(stride, padding, dilation) as the learner sets them."""
    padding = st.slider(
        text.PADDING, 0, MAX_PADDING, value=1, key="lab_padding", help=text.PADDING_HELP
    )
    stride = st.slider(text.STRIDE, 1, MAX_STRIDE, value=1, key="lab_stride", help=text.STRIDE_HELP)
    dilation = st.slider(
        text.DILATION, 1, MAX_DILATION, value=1, key="lab_dilation", help=text.DILATION_HELP
    )
    return int(stride), int(padding), int(dilation)


# --------------------------------------------------------------------------------------------
# The kernel's position


def _clicked_cell(event: object, Ho: int, Wo: int) -> tuple[int, int] | None:
    """The output cell (i, j) the learner clicked, from the output chart's selection state."""
    try:
        points = event["selection"]["points"]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    for point in points:
        try:
            i, j = round(float(point["y"])), round(float(point["x"]))
        except (KeyError, TypeError, ValueError):
            continue
        if 0 <= i < Ho and 0 <= j < Wo:
            return i, j
    return None


def choose_position(Ho: int, Wo: int) -> tuple[int, int]:
    """The output position (i, j) to take apart: the slider, moved by a click or a Play."""
    n = Ho * Wo
    clicked = _clicked_cell(st.session_state.get(OUTPUT_CHART_KEY), Ho, Wo)
    if clicked is not None and clicked != st.session_state.get(CLICK_SEEN_KEY):
        st.session_state[STEP_KEY] = clicked[0] * Wo + clicked[1]
    st.session_state[CLICK_SEEN_KEY] = clicked
    if STEP_NEXT_KEY in st.session_state:
        st.session_state[STEP_KEY] = st.session_state.pop(STEP_NEXT_KEY)
    # The output may have shrunk since the last run: keep the kernel inside it.
    st.session_state[STEP_KEY] = min(max(int(st.session_state.get(STEP_KEY, 0)), 0), n - 1)
    if n == 1:
        st.caption(text.ONE_POSITION)
        return 0, 0
    step = st.slider(text.STEP, 0, n - 1, key=STEP_KEY, help=text.STEP_HELP)
    i, j = divmod(int(step), Wo)
    st.markdown(text.POSITION.format(k=step + 1, n=n, i=i, j=j))
    return i, j


def play_positions(start: int, n: int) -> range:
    """The positions a Play sweeps: from the chosen one on (from the first if it is the last),
    at most PLAY_POSITIONS of them."""
    first = 0 if start >= n - 1 else start
    return range(first, min(first + PLAY_POSITIONS, n))


# --------------------------------------------------------------------------------------------
# The two maps and one position taken apart


def _map_height(shape: tuple[int, ...]) -> int:
    """Room for the values in the cells of a small map, and no more than a screen for a big one."""
    low, high = MAP_HEIGHTS
    return min(max(CELL_PX * max(shape) + 70, low), high)


def window_at(result: LabResult, i: int, j: int) -> ConvWindow:
    """What the kernel sees at output position (i, j) (kernels.lab_window on the same input)."""
    return lab_window(
        result.image, result.kernel, i, j, result.stride, result.padding, result.dilation
    )


def input_figure(padded: np.ndarray, padding: int, window: ConvWindow | None = None) -> go.Figure:
    """The padded input, with the kernel's taps of `window` marked when given."""
    taps = None if window is None else (window.rows, window.cols)
    Hp, Wp = padded.shape
    return figures_lab.padded_input(
        padded,
        padding,
        taps=taps,
        title=text.INPUT_MAP_TITLE.format(Hp=Hp, Wp=Wp),
        hover_pixel=text.HOVER_PIXEL,
        hover_padding=text.HOVER_PADDING,
        height=_map_height(padded.shape),
        width_px=MAP_WIDTH_PX,
    )


def output_figure(result: LabResult, i: int, j: int, filled: int | None = None) -> go.Figure:
    """The output map with cell (i, j) outlined; `filled` cells only while a Play runs."""
    Ho, Wo = result.output.shape
    return figures_lab.output_map(
        result.output,
        cell=(i, j),
        filled=filled,
        zrange=figures.symmetric_range(result.output),
        title=text.OUTPUT_MAP_TITLE.format(Ho=Ho, Wo=Wo),
        hover=text.HOVER_OUTPUT,
        height=_map_height(result.output.shape),
        width_px=MAP_WIDTH_PX,
    )


def _signed_number(v: float) -> str:
    s = f"{v + 0.0:.4g}"  # + 0.0 turns −0 into 0
    return f"({s})" if v < 0 else s


def show_formula(rows: SizeFormula, cols: SizeFormula) -> None:
    """The output-size formula, then filled in for the rows and for the columns."""
    st.markdown(text.FORMULA_GENERAL)
    st.markdown(text.FORMULA_ROWS.format(formula=rows.formula))
    st.markdown(text.FORMULA_COLS.format(formula=cols.formula))
    st.caption(text.FORMULA_WHY)


def show_window(window: ConvWindow, i: int, j: int) -> None:
    """Pixels under the kernel, the weights, their products, the sum, the bias and the result."""
    pixels, weights, products = window.window[0], window.kernel[0], window.products[0]
    height = 110 + 40 * max(weights.shape)
    signed = figures.symmetric_range(weights, products)
    grids = (
        (text.WINDOW_TITLE, pixels, (0.0, 1.0), theme.SCALES["image"], ~window.inside),
        (text.KERNEL_TITLE, weights, signed, theme.SCALES["signed"], None),
        (text.PRODUCTS_TITLE, products, signed, theme.SCALES["signed"], None),
    )
    for column, (title, arr, zrange, scale, on_padding), key in zip(
        st.columns(3), grids, ("pixels", "weights", "products"), strict=True
    ):
        column.plotly_chart(
            figures_lab.small_grid(
                arr,
                zrange=zrange,
                colorscale=scale,
                on_padding=on_padding,
                title=title,
                hover_value=text.HOVER_SMALL,
                hover_padding=text.HOVER_SMALL_PADDING,
                height=height,
                width_px=GRID_WIDTH_PX,
            ),
            key=f"lab_window_{key}",
        )
    on_padding = int((~window.inside).sum())
    if on_padding:
        st.caption(text.PADDING_TAPS.format(count=on_padding, total=products.size))
    if every_number():
        st.markdown(text.PRODUCTS_SUM.format(total=products.size))
        terms = " + ".join(_signed_number(float(p)) for p in products.reshape(-1))
        st.code(f"{terms} = {window.total:.4f}", language=None, wrap_lines=True)
    else:
        st.caption(text.SIMPLE_SUM)
    st.markdown(text.RESULT.format(total=window.total, result=window.result, i=i, j=j))


def show_maps(
    result: LabResult, window: ConvWindow, i: int, j: int, slots: tuple[DeltaGenerator, ...]
) -> None:
    """The padded input with the kernel at (i, j) and the output map, in two slots; a click on
    the output map moves the kernel there (see choose_position)."""
    input_slot, output_slot = slots
    input_slot.plotly_chart(
        input_figure(result.padded, result.padding, window), key="lab_input_map"
    )
    output_slot.plotly_chart(
        output_figure(result, i, j),
        key=OUTPUT_CHART_KEY,
        on_select="rerun",
        selection_mode="points",
    )


def play(result: LabResult, steps: range, slots: tuple[DeltaGenerator, ...]) -> None:
    """Slide the kernel over `steps` (flat positions), the output filling in as it goes, in
    three slots: input, output, and a line with the sum. The kernel stays at the last step."""
    input_slot, output_slot, line_slot = slots
    Wo = result.output.shape[1]
    for k in steps:
        i, j = divmod(k, Wo)
        window = window_at(result, i, j)
        # Each frame is a new chart, so each needs a key of its own.
        input_slot.plotly_chart(
            input_figure(result.padded, result.padding, window), key=f"lab_play_input_{k}"
        )
        output_slot.plotly_chart(
            output_figure(result, i, j, filled=k + 1), key=f"lab_play_output_{k}"
        )
        line_slot.markdown(text.PLAY_FRAME.format(i=i, j=j, value=window.result))
        time.sleep(PLAY_DELAY)
    st.session_state[STEP_NEXT_KEY] = steps[-1]
