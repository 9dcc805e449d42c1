"""A real server and a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator

import pytest
from browserkit import ARTIFACTS

from tools.server import CHROMIUM_ARGS, serving, wait_healthy


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CNNEXPLAIN_REQUIRE_BROWSER"):
            pytest.fail("Debian's chromium is not installed (run scripts/install-browser).")
        pytest.skip("chromium is not installed; run scripts/install-browser to enable")
    return path


@contextlib.contextmanager
def serve(log_name: str = "server.log") -> Iterator[str]:
    """A fresh app server, answering, on a free local port; stopped on exit."""
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / log_name, "w") as log, serving(log) as (url, proc):
        wait_healthy(url, proc)
        yield url


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """The app served for the whole test session."""
    with serve() as url:
        yield url


@pytest.fixture
def fresh_server_url() -> Iterator[str]:
    """A server no browser has visited yet (for what happens on a first visit)."""
    with serve("fresh-server.log") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """When a browser test fails, keep what the page showed: a screenshot in the artifacts and
    the page's text in the failure report (a CI log is often all there is to read)."""
    outcome = yield
    report = outcome.get_result()
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when != "call" or not report.failed or page is None:
        return
    with contextlib.suppress(Exception):  # a page that is gone has nothing to show
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"failed-{item.name}.png"), full_page=True)
        state = page.locator("[data-testid=stApp]").get_attribute("data-test-script-state")
        report.sections.append(
            ("page at failure", f"script state: {state}\n{page.inner_text('body', timeout=5000)}")
        )


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()
