"""3. The training settings both networks share, and the experiment the controls describe."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from cnnexplain.experiment.design import COMPARE_TRAINING, Experiment, check_data
from cnnexplain.texts import compare as text
from cnnexplain.training.train import MAX_BATCH_SIZE, MAX_EPOCHS, OPTIMIZER_KINDS, TrainConfig
from cnnexplain.ui.compare.data import DataChoice
from cnnexplain.ui.compare.networks import Networks
from cnnexplain.ui.kit import errors
from cnnexplain.ui.kit.glossary import term_help
from cnnexplain.ui.kit.widgets import problem, recall, remember

LR_CHOICES = tuple(sorted({1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, COMPARE_TRAINING.lr}))
MAX_SEED = 1_000_000


def shared_training(choice: DataChoice | None) -> TrainConfig | None:
    """Epochs, batch size, learning rate, optimizer and seed, shared by both networks.

    A batch holds at most the whole training set of the chosen pictures. None, with the
    reason shown, for settings the library refuses.
    """
    default = COMPARE_TRAINING
    n_train = MAX_BATCH_SIZE if choice is None else len(choice.data.x_train)
    most = max(1, min(MAX_BATCH_SIZE, n_train))
    keys = ("cmp_epochs", "cmp_batch", "cmp_lr", "cmp_optimizer", "cmp_seed")
    starts = (default.epochs, default.batch_size, default.lr, default.optimizer, default.seed)
    for key, value in zip(keys, starts, strict=True):
        recall(key, value)
    # Other pictures may hold fewer than the batch last chosen: it shrinks to fit them.
    st.session_state["cmp_batch"] = min(int(st.session_state["cmp_batch"]), most)
    columns = st.columns(5)
    epochs = columns[0].number_input(
        text.EPOCHS, 1, MAX_EPOCHS, key="cmp_epochs", help=term_help("epoch", "overfitting")
    )
    batch = columns[1].number_input(
        text.BATCH, 1, most, key="cmp_batch", help=term_help("batch", more=text.BATCH_HELP)
    )
    lr = columns[2].select_slider(
        text.LR,
        options=LR_CHOICES,
        key="cmp_lr",
        help=term_help("learning rate", more=text.LR_HELP),
    )
    optimizer = columns[3].selectbox(
        text.OPTIMIZER,
        OPTIMIZER_KINDS,
        format_func=text.OPTIMIZER_NAMES.get,
        key="cmp_optimizer",
        help=term_help("optimizer", more=text.OPTIMIZER_HELP),
    )
    seed = columns[4].number_input(text.SEED, 0, MAX_SEED, key="cmp_seed", help=text.SEED_HELP)
    for key, value in zip(keys, (epochs, batch, lr, optimizer, seed), strict=True):
        remember(key, value)
    try:
        return replace(
            default,
            epochs=int(epochs),
            batch_size=int(batch),
            lr=float(lr),
            optimizer=optimizer,
            seed=int(seed),
        )
    except ValueError as err:
        problem(text.TRAINING_REFUSED, errors.say(err))
        return None


def planned_experiment(
    choice: DataChoice | None, pair: Networks | None, config: TrainConfig | None
) -> Experiment | None:
    """The experiment the controls describe, or None with the reason shown."""
    if choice is None or pair is None or config is None:
        return None
    try:
        found = Experiment(
            choice.key,
            cnn=pair.cnn,
            mlp=pair.mlp,
            config=config,
            match_budget=pair.match_budget,
        )
        check_data(found, choice.data)
    except ValueError as err:
        problem(text.BAD_SETUP, errors.say(err))
        return None
    return found
