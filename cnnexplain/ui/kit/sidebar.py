"""The sidebar shared by every page: pick the data set and build the network.

The controls start from the user's current network. Nothing changes until "Build this network"
is pressed; an impossible network shows its message beside the control at fault, and the
network the user had stays in place.
"""

from __future__ import annotations

import streamlit as st

from cnnexplain.core.ops import ACTIVATIONS
from cnnexplain.io.datasets import DATASETS, DatasetUnavailable
from cnnexplain.model.spec import (
    MAX_CONV_BLOCKS,
    ArchitectureError,
    CNNSpec,
    ConvBlock,
    count_parameters,
)
from cnnexplain.texts import sidebar as text
from cnnexplain.training.store import DEFAULT_DATASET, DEFAULT_SPEC
from cnnexplain.ui.kit import datasets as named
from cnnexplain.ui.kit import errors, predict, resources, session
from cnnexplain.ui.kit.detail import detail_switch
from cnnexplain.ui.kit.entry import require_app_entry
from cnnexplain.ui.kit.glossary import show_glossary, term_help
from cnnexplain.ui.kit.language import language_picker

UI_MAX_BLOCKS = min(4, MAX_CONV_BLOCKS)  # more does not fit a 28-pixel picture anyway
POOL_CHOICES = ("max", "avg", None)
TWO_CLASS_DATASET = "digits-0-1"  # the built-in data set a sigmoid output can learn
# Where a refusal is shown, in words no language owns (ArchitectureError.place for the blocks):
DATASET, DENSE, HEAD = "dataset", "dense", "head"
NETWORK = "network"  # errors with no control of their own show beside the build button


def _place(place: str) -> str:
    """The control a refusal belongs to, as the sidebar labels it."""
    kind, _, n = place.partition(":")
    if kind == "block" and n:
        return text.BLOCK.format(i=n)
    return {DATASET: text.DATASET, DENSE: text.DENSE, HEAD: text.HEAD}.get(place, place)


def _show_error(place: str) -> None:
    reason = session.error_for(place)
    if reason is not None:
        st.error(f"{errors.problem(reason)} {text.KEPT}")


def _block_controls(i: int, block: ConvBlock) -> ConvBlock | None:
    """The controls of conv block i (1-based), returning the block they describe."""
    label = text.BLOCK.format(i=i)
    place = f"block:{i}"
    with st.expander(label, expanded=session.error_for(place) is not None):
        _show_error(place)
        filters = st.number_input(
            text.FILTERS,
            1,
            64,
            block.filters,
            key=f"arch_b{i}_filters",
            help=term_help("feature map", more=text.FILTERS_HELP),
        )
        kernel = st.number_input(
            text.KERNEL,
            1,
            11,
            block.kernel_size,
            key=f"arch_b{i}_kernel",
            help=term_help("kernel", more=text.KERNEL_HELP),
        )
        stride = st.number_input(
            text.STRIDE, 1, 4, block.stride, key=f"arch_b{i}_stride", help=term_help("stride")
        )
        padding = st.number_input(
            text.PADDING, 0, 5, block.padding, key=f"arch_b{i}_padding", help=term_help("padding")
        )
        dilation = st.number_input(
            text.DILATION,
            1,
            4,
            block.dilation,
            key=f"arch_b{i}_dilation",
            help=term_help("dilation"),
        )
        activation = st.selectbox(
            text.ACTIVATION,
            ACTIVATIONS,
            index=ACTIVATIONS.index(block.activation),
            format_func=text.ACTIVATION_OPTIONS.__getitem__,
            key=f"arch_b{i}_activation",
            help=term_help("activation", more=text.ACTIVATION_HELP),
        )
        pool = st.selectbox(
            text.POOL,
            POOL_CHOICES,
            index=POOL_CHOICES.index(block.pool),
            format_func=text.POOL_OPTIONS.__getitem__,
            key=f"arch_b{i}_pool",
            help=term_help("pooling", more=text.POOL_HELP),
        )
        pool_size = st.number_input(
            text.POOL_SIZE,
            1,
            4,
            block.pool_size,
            key=f"arch_b{i}_psize",
            help=term_help("pooling", more=text.POOL_SIZE_HELP),
        )
    try:
        return ConvBlock(
            filters=int(filters),
            kernel_size=int(kernel),
            stride=int(stride),
            padding=int(padding),
            dilation=int(dilation),
            activation=activation,
            pool=pool,
            pool_size=int(pool_size),
        )
    except ArchitectureError as err:
        session.set_error(place, err)
        return None


def parse_widths(value: str) -> tuple[int, ...] | None:
    """'128, 32' -> (128, 32); '' -> (); None when it is not a list of whole numbers."""
    parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        return None


def architecture_sidebar() -> None:
    """Draw the sidebar; on "Build this network" validate and store the new choice.

    Every page calls this first, so it is also where a page makes sure it runs inside app.py.
    """
    require_app_entry()
    spec = session.current_spec()
    with st.sidebar:
        language_picker()
        detail_switch()
        predict.score_line()
        st.header(text.HEADER, anchor="sidebar")
        keys = list(DATASETS)
        current_key = session.current_dataset_key()
        dataset_key = st.selectbox(
            text.DATASET,
            keys,
            index=keys.index(current_key),
            format_func=named.title,
            key="arch_dataset_choice",
            help=term_help("data set", more=text.DATASET_HELP),
        )
        _show_error(DATASET)
        n_blocks = st.number_input(
            text.BLOCKS,
            1,
            UI_MAX_BLOCKS,
            len(spec.conv_blocks),
            key="arch_n_blocks",
            help=term_help("conv block", more=text.BLOCKS_HELP),
        )
        with st.form("arch_form", border=False):
            defaults = list(spec.conv_blocks) + [ConvBlock()] * UI_MAX_BLOCKS
            blocks = [_block_controls(i, defaults[i - 1]) for i in range(1, int(n_blocks) + 1)]
            _show_error(DENSE)
            dense_text = st.text_input(
                text.DENSE,
                ", ".join(str(w) for w in spec.dense),
                key="arch_dense",
                help=term_help("dense", more=text.DENSE_HELP),
            )
            dense_activation = st.selectbox(
                text.DENSE_ACTIVATION,
                ACTIVATIONS,
                index=ACTIVATIONS.index(spec.dense_activation),
                format_func=text.ACTIVATION_OPTIONS.__getitem__,
                key="arch_dense_activation",
                help=term_help("activation", more=text.DENSE_ACTIVATION_HELP),
            )
            _show_error(HEAD)
            heads = list(text.HEAD_OPTIONS)
            head = st.radio(
                text.HEAD,
                heads,
                index=heads.index(spec.head),
                format_func=text.HEAD_OPTIONS.get,
                key="arch_head",
                help=term_help("softmax", "sigmoid"),
            )
            trained = st.radio(
                text.TRAINED,
                [True, False],
                index=0 if session.current_trained() else 1,
                format_func=text.TRAINED_OPTIONS.get,
                key="arch_trained_choice",
                help=term_help("weight", more=text.TRAINED_HELP),
            )
            _show_error(NETWORK)
            submitted = st.form_submit_button(text.APPLY, type="primary")
        if st.button(text.RESET, key="arch_reset"):
            _reset()
        if submitted:
            _apply(dataset_key, blocks, dense_text, dense_activation, head, trained)
        st.caption(text.APPLIED.format(params=count_parameters(session.current_spec())))
        # Last in the sidebar, so every page can look a word up without leaving the path.
        show_glossary()
    _refused_notice()


def _refused_notice() -> None:
    """In the main area: the last network asked for was refused, and the previous one is used.

    The sidebar may be closed (it is, at first, on a phone), so the reason is repeated here.
    """
    refused = st.session_state[session.ERROR_KEY]
    if refused is None:
        return
    place, why = refused
    reason = errors.say(why) if place == NETWORK else f"{_place(place)}: {errors.problem(why)}"
    st.warning(text.NOT_BUILT.format(reason=reason))


def _reset() -> None:
    session.set_architecture(DEFAULT_SPEC, DEFAULT_DATASET, True)
    for key in [k for k in st.session_state if str(k).startswith("arch_b")]:
        del st.session_state[key]
    st.rerun()


def _apply(
    dataset_key: str,
    blocks: list[ConvBlock | None],
    dense_text: str,
    dense_activation: str,
    head: str,
    trained: bool,
) -> None:
    """Validate the submitted network; keep it if it works, else remember the error."""
    if any(b is None for b in blocks):  # a block's own message is already set
        st.rerun()
    widths = parse_widths(dense_text)
    if widths is None:
        session.set_error(DENSE, text.DENSE_BAD)
        st.rerun()
    try:
        data = resources.dataset(dataset_key)
    except DatasetUnavailable as err:
        previous = named.title(session.current_dataset_key())
        session.set_error(
            DATASET, text.DATASET_UNAVAILABLE.format(message=errors.say(err), previous=previous)
        )
        st.rerun()
    try:
        spec = CNNSpec(
            in_channels=data.channels,
            input_size=data.size,
            num_classes=data.num_classes,
            conv_blocks=tuple(blocks),
            dense=widths,
            dense_activation=dense_activation,
            head=head,
        )
    except ArchitectureError as err:
        if err.place.startswith("block:") or err.place == HEAD:
            place, reason = err.place, err
        elif err.place.startswith(DENSE):
            place, reason = DENSE, err
        else:
            place, reason = NETWORK, err
        if place == HEAD and head == "sigmoid" and data.num_classes != 2:
            reason = text.SIGMOID_NEEDS_TWO.format(
                dataset=named.title(dataset_key),
                classes=data.num_classes,
                two_class=named.title(TWO_CLASS_DATASET),
            )
        session.set_error(place, reason)
        st.rerun()
    session.set_architecture(spec, dataset_key, trained)
    st.rerun()
