"""Helpers the browser tests share."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def wait_idle(page, timeout: int = 300_000) -> None:
    """Wait until the script has finished its run (a first visit may train the default model)."""
    page.wait_for_selector(APP_IDLE, timeout=timeout)


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot; also refresh the README's copy when asked to."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("CNNEXPLAIN_UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)
    return path
