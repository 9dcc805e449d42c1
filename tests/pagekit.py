"""Helpers for driving pages with Streamlit's AppTest."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from cnnexplain.ui.kit.detail import EVERY, LEVEL_KEY

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def app(every_number: bool = False) -> AppTest:
    """A fresh session of the whole app, already run once (on the home page).

    With `every_number` the session starts on the Every number level, which shows the full
    arithmetic; otherwise on Simple, the level a learner starts on.
    """
    at = AppTest.from_file(APP, default_timeout=120)
    if every_number:
        at.session_state[LEVEL_KEY] = EVERY
    return at.run()


def charts(at: AppTest) -> list[dict]:
    """Every plotly chart on the page as {"data", "layout"}."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def decode(values) -> np.ndarray:
    """A plotly array as stored in the chart spec (plain list or base64 typed array)."""
    if isinstance(values, dict) and "bdata" in values:
        arr = np.frombuffer(base64.b64decode(values["bdata"]), values["dtype"])
        if "shape" in values:
            arr = arr.reshape([int(s) for s in str(values["shape"]).split(",")])
        return arr
    return np.asarray(values)


def markdown_text(at: AppTest) -> str:
    """All markdown and caption text on the page, joined."""
    return _joined_text(at)


def main_text(at: AppTest) -> str:
    """The markdown and caption text of the page's main area, joined: the sidebar (with its
    glossary, which names every term) left out."""
    return _joined_text(at.main)


def _joined_text(root) -> str:
    return "\n".join([m.value for m in root.markdown] + [c.value for c in root.caption])
