"""Server-level figures: `python -m tools.bench --only server`.

startup_s: from launching a fresh server to the home page rendered with the default model, as a
first visitor sees it in Debian's Chromium (the default weights ship with the app: `pretrained`).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from tools.bench import Figure

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
HOME_READY = "Stage by stage"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    """Return once the server at `url` answers its health check; raise if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                if r.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


def server_command(port: int, script: str = "app.py") -> list[str]:
    """The command that serves `script` (the app, by default) headless on `port`."""
    return [
        sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
        "--server.headless", "true", "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip


@contextlib.contextmanager
def serving(
    log: IO | None = None, port: int | None = None, script: str = "app.py"
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Launch `script` (the app, by default) on `port` (a free local one by default); yields
    (url, process) and stops it on exit.

    The server may not be answering yet: callers time the start or call `wait_healthy`.
    """
    port = free_port() if port is None else port
    out = subprocess.DEVNULL if log is None else log
    command = server_command(port, script)
    proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def chromium_path() -> str:
    """Debian's chromium, which Playwright drives here (Playwright's own download fails)."""
    path = shutil.which("chromium")
    if path is None:
        raise RuntimeError("Debian's chromium is needed: run scripts/install-browser")
    return path


def startup_seconds() -> dict[str, float]:
    """Seconds to a healthy server, and to the home page rendered for a first visitor."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            start = time.perf_counter()
            with serving() as (url, proc):
                wait_healthy(url, proc)
                healthy = time.perf_counter() - start
                page = browser.new_page()
                page.goto(url)
                page.get_by_text(HOME_READY, exact=True).wait_for(timeout=300_000)
                rendered = time.perf_counter() - start
        finally:
            browser.close()
    return {"healthy_s": healthy, "startup_s": rendered}


def figures() -> Iterator[Figure]:
    r = startup_seconds()
    yield Figure("server_healthy_s", r["healthy_s"], "s", "launch to /_stcore/health ok")
    yield Figure("startup_s", r["startup_s"], "s", "launch to home page with default model; <= 8")
