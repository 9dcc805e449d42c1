"""What a click costs as a learner feels it: `python -m tools.bench --only clicks`.

Debian's Chromium, driven by Playwright, clicks a real server. A click is timed from the
moment it is made to the moment the page settles: the app's script state is notRunning again
and the page has not changed for QUIET_MS (a MutationObserver on the whole body); the time
reported is that of the last change. The websocket bytes the browser receives in between are
what the click cost to send.

Every click is set against a minimal Streamlit app (tools/minimal_app.py: one button, one
28x28 heatmap) served and clicked in the same run, since the machines are shared and noisy.
Each figure is a median over several clicks, after one click not counted.

A floor is measured beside them (tools/floor_app.py): the four figures a Step changes, drawn
again with new numbers on a page with nothing else, and the kernel figure alone. What a Step
costs beyond the floor is the app's; the floor is what the charts themselves cost to redraw.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tools.bench import Figure
from tools.server import CHROMIUM_ARGS, chromium_path, serving, wait_healthy

MINIMAL_APP = str(Path(__file__).with_name("minimal_app.py"))
FLOOR_APP = str(Path(__file__).with_name("floor_app.py"))
CLICKS = 5  # clicks counted per action, after one that is not
QUIET_MS = 250  # no change for this long, and the page has settled
SETTLE_TIMEOUT_S = 120
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
MAIN = '[data-testid="stMain"]'
SIDEBAR = '[data-testid="stSidebar"]'

# Watches the page from before a click: when it last changed, and whether a run has started.
_WATCH = """
() => {
    window.__clicks = {changed: performance.now(), ran: false, start: performance.now()};
    if (window.__clicksObserver) window.__clicksObserver.disconnect();
    window.__clicksObserver = new MutationObserver(records => {
        window.__clicks.changed = performance.now();
        if (records.some(r => r.attributeName === 'data-test-script-state')) {
            window.__clicks.ran = true;  // a run started (or ended) since the click
        }
    });
    window.__clicksObserver.observe(document.body,
        {subtree: true, childList: true, attributes: true, characterData: true});
    return window.__clicks.start;
}
"""
_SETTLED = """
([quiet, answered]) => {
    const state = document.querySelector('[data-testid="stApp"]')
        ?.getAttribute('data-test-script-state');
    const w = window.__clicks;
    return (w.ran || answered) && state === 'notRunning' && performance.now() - w.changed >= quiet;
}
"""


@dataclass
class Bytes:
    """Websocket bytes the page has received since the last reset."""

    received: int = 0

    def watch(self, page) -> None:
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload: str | bytes) -> None:
        self.received += len(payload)


@dataclass(frozen=True)
class Cost:
    ms: float  # median click-to-settled time
    kb: float  # median websocket kilobytes received


def wait_idle(page, timeout: int = 300_000) -> None:
    page.wait_for_selector(APP_IDLE, timeout=timeout)


def one_click(page, counter: Bytes, action: Callable[[], None]) -> tuple[float, int]:
    """Do `action`, wait until the page settles; (milliseconds to its last change, bytes)."""
    start = page.evaluate(_WATCH)
    counter.received = 0
    action()
    page.mouse.move(1, 1)  # away from the charts, whose hover labels would change the page
    # A quick run can start and end between two drawings of the page, leaving no trace in
    # its script state: then the server's answer on the websocket says it ran.
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while not page.evaluate(_SETTLED, [QUIET_MS, counter.received > 0]):
        if time.monotonic() > deadline:
            raise TimeoutError("the page did not settle after the click")
        page.wait_for_timeout(50)
    changed = page.evaluate("() => window.__clicks.changed")
    return changed - start, counter.received


def measure(page, counter: Bytes, actions: Callable[[int], Callable[[], None]]) -> Cost:
    """Median cost of `actions(k)` for k = 0..CLICKS, the first not counted."""
    times, sizes = [], []
    for k in range(CLICKS + 1):
        ms, size = one_click(page, counter, actions(k))
        if k:
            times.append(ms)
            sizes.append(size)
    return Cost(ms=statistics.median(times), kb=statistics.median(sizes) / 1000.0)


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_idle(page)
    page.wait_for_timeout(500)
    wait_idle(page)


def skip_predictions(page) -> None:
    """Skip the "predict, then see" questions open on the page (Simple asks them first)."""
    from cnnexplain.texts.predict import SKIP

    skips = page.locator(MAIN).get_by_role("button", name=SKIP, exact=True)
    while skips.count():
        left = skips.count()
        skips.first.click()
        page.wait_for_function(
            """([sel, name, left]) => [...document.querySelectorAll(sel + ' button')]
                .filter(b => b.innerText.trim() === name).length < left""",
            arg=[MAIN, SKIP, left],
            timeout=60_000,
        )
        wait_idle(page)


def minimal_click(page, counter: Bytes, url: str) -> Cost:
    open_page(page, url)
    button = page.get_by_role("button", name="Click", exact=True)
    return measure(page, counter, lambda k: button.click)


def backprop_step(page, counter: Bytes, url: str) -> Cost:
    from cnnexplain.texts.backprop import STEP

    open_page(page, f"{url}/backprop")
    skip_predictions(page)
    button = page.get_by_role("button", name=STEP, exact=True)
    return measure(page, counter, lambda k: button.click)


def forward_next(page, counter: Bytes, url: str) -> Cost:
    from cnnexplain.texts.forward import NEXT

    open_page(page, f"{url}/forward")
    skip_predictions(page)
    button = page.get_by_role("button", name=NEXT, exact=True)
    return measure(page, counter, lambda k: button.click)


def conv_lab_setting(page, counter: Bytes, url: str) -> Cost:
    """The padding slider, one notch right then back, over and over."""
    from cnnexplain.texts.conv_lab import PADDING

    open_page(page, f"{url}/conv_lab")
    skip_predictions(page)
    thumb = page.locator(MAIN).locator('[data-testid="stSlider"]', has_text=PADDING)
    thumb = thumb.get_by_role("slider")

    def nudge(k: int) -> Callable[[], None]:
        return lambda: thumb.press("ArrowRight" if k % 2 == 0 else "ArrowLeft")

    # Each setting asks its own question once: answer both before counting.
    for k in range(2):
        one_click(page, counter, nudge(k))
        skip_predictions(page)
    return measure(page, counter, nudge)


def sidebar_change(page, counter: Bytes, url: str) -> Cost:
    """The detail level in the sidebar, Every number then Simple, on the forward page."""
    from cnnexplain.texts.sidebar import DETAIL_EVERY, DETAIL_SIMPLE

    open_page(page, f"{url}/forward")
    skip_predictions(page)
    levels = page.locator(SIDEBAR).get_by_role("radiogroup")

    def switch(k: int) -> Callable[[], None]:
        level = DETAIL_EVERY if k % 2 == 0 else DETAIL_SIMPLE
        return levels.get_by_text(level, exact=True).click

    return measure(page, counter, switch)


APP_CLICKS = {
    "step": backprop_step,
    "next": forward_next,
    "conv_lab": conv_lab_setting,
    "sidebar": sidebar_change,
}
TARGETS = {"step": (4, 300), "next": (3, 150), "conv_lab": (3, 150), "sidebar": (3, 150)}
WHAT = {
    "step": "backprop Step",
    "next": "forward page Next",
    "conv_lab": "conv-lab padding",
    "sidebar": "detail level, forward page",
}


def measure_clicks() -> dict[str, Cost]:
    """The minimal click and every app click, in one browser, against two fresh servers."""
    from playwright.sync_api import sync_playwright

    costs = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            with (
                serving(script=MINIMAL_APP) as (minimal, mproc),
                serving(script=FLOOR_APP) as (floor, fproc),
                serving() as (app, aproc),
            ):
                for url, proc in ((minimal, mproc), (floor, fproc), (app, aproc)):
                    wait_healthy(url, proc)
                tasks = {
                    "minimal": (minimal_click, minimal),
                    "floor_step": (minimal_click, floor),
                    "floor_one_chart": (minimal_click, f"{floor}/?charts=1"),
                }
                tasks.update({name: (fn, app) for name, fn in APP_CLICKS.items()})
                for name, (fn, url) in tasks.items():
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    page = context.new_page()
                    counter = Bytes()
                    counter.watch(page)
                    try:
                        costs[name] = fn(page, counter, url)
                    finally:
                        context.close()
        finally:
            browser.close()
    return costs


def figures() -> Iterator[Figure]:
    costs = measure_clicks()
    minimal = costs["minimal"]
    yield Figure("minimal_click_ms", minimal.ms, "ms", "one button, one 28x28 heatmap")
    yield Figure("minimal_click_kb", minimal.kb, "KB", "same click")
    for name, what in (
        ("floor_step", "the four figures a Step changes, redrawn alone"),
        ("floor_one_chart", "the kernel figure alone, redrawn"),
    ):
        yield Figure(f"{name}_vs_minimal", costs[name].ms / minimal.ms, "ratio", what)
    for name in APP_CLICKS:
        ratio, kb = TARGETS[name]
        cost = costs[name]
        yield Figure(f"{name}_ms", cost.ms, "ms", WHAT[name])
        yield Figure(
            f"{name}_vs_minimal", cost.ms / minimal.ms, "ratio", f"same run; target <= {ratio}"
        )
        yield Figure(f"{name}_kb", cost.kb, "KB", f"websocket bytes received; target <= {kb}")
