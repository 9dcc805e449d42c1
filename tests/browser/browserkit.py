"""Helpers the browser tests share."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
EXCEPTION = '[data-testid="stException"]'  # a traceback shown on the page


def wait_idle(page, timeout: int = 300_000) -> None:
    """Wait until the script has finished its run (a first visit may train the default model)."""
    page.wait_for_selector(APP_IDLE, timeout=timeout)


def no_exceptions(page) -> None:
    """The page shows no traceback."""
    assert page.locator(EXCEPTION).count() == 0


def whole_page(page, name: str) -> None:
    """The whole page in test-artifacts, not only the window.

    Streamlit scrolls inside its own main element, so a full-page screenshot shows one window's
    worth: grow the window to the page's height, then put it back.
    """
    viewport = page.viewport_size
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": viewport["width"], "height": min(int(height), 16_000)})
    page.wait_for_timeout(1500)  # the charts redraw at the new size
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(viewport)


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot; also refresh the README's copy when asked to."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("CNNEXPLAIN_UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)
    return path
