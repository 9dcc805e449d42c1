"""Many learners on one server: `python -m tools.bench --only load`.

- concurrent_p95_ms: the 95th percentile of the server time of one backpropagation Step with 8
  learners stepping at once, and concurrent_p95_vs_single, its ratio to the same Step taken by a
  learner alone on the server, measured in the same run;
- session_memory_mb: the server memory each active learner adds, the slope of the server's
  resident memory against the number of learners as more join.

The learners here speak Streamlit's WebSocket protocol themselves instead of driving a browser.
In a class the browsers run on the learners' machines; on this one, eight Chromium tabs drawing
forty charts each would take the CPU the server is measured on. (The load test in
tests/browser drives real browsers.) Server time is measured from the message that asks for a
rerun to the message that says the run is over; a button that reruns the page counts until the
run after it is over.

A learner reads the page before the next Step: THINK_S is that pause, drawn at random (seeded).
"""

from __future__ import annotations

import asyncio
import math
import random
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tools.bench import Figure
from tools.server import serving, wait_healthy

LEARNERS = 8
STEPS = 15  # Steps each learner takes while timed
THINK_S = (2.0, 6.0)  # a learner reads the numbers of one step for this long before the next
MEMORY_GROUPS = (0, 2, 4, 6, 8)  # active learners at each memory reading
RECEIVE_TIMEOUT_S = 300


@dataclass
class RunResult:
    """What one script run sent: its server time, the buttons drawn, the app's pages."""

    ms: float
    buttons: dict[str, str] = field(default_factory=dict)  # widget key -> widget id
    pages: dict[str, str] = field(default_factory=dict)  # url path -> page script hash
    texts: list[str] = field(default_factory=list)  # markdown bodies, for checks


def page_cookie(url: str) -> str | None:
    """The cookies loading the page at `url` sets, as a Cookie header says them; None if none."""
    with urllib.request.urlopen(url, timeout=RECEIVE_TIMEOUT_S) as response:
        found = response.headers.get_all("Set-Cookie") or []
    return "; ".join(cookie.split(";", 1)[0] for cookie in found) or None


class WireLearner:
    """One learner's session, spoken over Streamlit's WebSocket without a browser.

    Widgets not named in a rerun keep the values the session already holds (every widget the
    journeys touch has a key), so a click only needs the button's trigger.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.pages: dict[str, str] = {}
        self.page: str | None = None  # script hash of the page this learner is on
        self.buttons: dict[str, str] = {}
        self.cookie: str | None = None  # what a balancer in front set, to keep us on a replica
        self._ws = None

    async def open(self) -> RunResult:
        """Load the page, then connect and run the home page, as a browser opening the app does.

        Behind a balancer the page's response sets the cookie that picks this learner's
        replica, and the WebSocket carries it there.
        """
        from websockets.asyncio.client import connect

        self.cookie = await asyncio.to_thread(page_cookie, self.url)
        headers = {"Cookie": self.cookie} if self.cookie else None
        stream = self.url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self._ws = await connect(
            stream, subprotocols=["streamlit"], max_size=None, additional_headers=headers
        )
        return await self.rerun()

    async def go(self, path: str) -> RunResult:
        """Open the page at `path` ("backprop", "forward", ...)."""
        self.page = self.pages[path]
        return await self.rerun()

    async def click(self, key: str) -> RunResult:
        """Press the button with widget key `key` on the current page."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        return await self.rerun([WidgetState(id=self.buttons[key], trigger_value=True)])

    async def rerun(self, widgets: Sequence = ()) -> RunResult:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        msg.rerun_script.widget_states.SetInParent()
        msg.rerun_script.widget_states.widgets.extend(widgets)
        if self.page is not None:
            msg.rerun_script.page_script_hash = self.page
        start = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        result = await asyncio.wait_for(self._receive_run(start), RECEIVE_TIMEOUT_S)
        self.pages = result.pages or self.pages
        self.buttons = result.buttons
        return result

    async def _receive_run(self, start: float) -> RunResult:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        result = RunResult(ms=math.nan)
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await self._ws.recv())
            kind = msg.WhichOneof("type")
            if kind == "navigation":
                pages = msg.navigation.app_pages
                result.pages = {p.url_pathname: p.page_script_hash for p in pages}
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                if element.WhichOneof("type") == "button" and element.button.id:
                    result.buttons[element.button.id.rsplit("-", 1)[-1]] = element.button.id
                elif element.WhichOneof("type") == "markdown":
                    result.texts.append(element.markdown.body)
                elif element.WhichOneof("type") == "exception":
                    raise RuntimeError(f"the app failed: {element.exception.message}")
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the button's run asked for another; the click is not done
                result.ms = (time.perf_counter() - start) * 1000.0
                return result

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()


async def step_times(url: str, learners: int, steps: int, seed: int = 0) -> list[float]:
    """Server times (ms) of every Step of `learners` learners stepping at the same time."""

    async def one(index: int) -> list[float]:
        rng = random.Random(seed * 1000 + index)
        learner = WireLearner(url)
        await learner.open()
        await learner.go("backprop")
        times = []
        try:
            for _ in range(steps):
                await asyncio.sleep(rng.uniform(*THINK_S))
                times.append((await learner.click("bp_step")).ms)
        finally:
            await learner.close()
        return times

    per_learner = await asyncio.gather(*(one(i) for i in range(learners)))
    return [t for times in per_learner for t in times]


async def main_journey(learner: WireLearner, forward_steps: int = 3, steps: int = 3) -> None:
    """Home, the forward page stepped a few stages, a few backpropagation steps.

    The steps fill the learner's step history and its timeline (the kept steps' convolution
    weights, and the private model copy that measures their accuracy), so both count in the
    memory each learner adds.
    """
    await learner.open()
    await learner.go("forward")
    for _ in range(forward_steps):
        await learner.click("fwd_next")
    await learner.go("backprop")
    for number in range(1, steps + 1):
        result = await learner.click("bp_step")
        if not any(f"Steps taken: **{number}**" in t for t in result.texts):
            raise RuntimeError(f"step {number} did not show on the page")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest-rank."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def rss_mb(pid: int) -> float:
    """Resident memory of process `pid`, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of ys against xs."""
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


async def memory_per_learner(url: str, pid: int) -> tuple[float, list[float]]:
    """MB of server memory per active learner, and the readings at each MEMORY_GROUPS size."""
    active: list[WireLearner] = []
    readings = []
    try:
        for size in MEMORY_GROUPS:
            joining = [WireLearner(url) for _ in range(size - len(active))]
            await asyncio.gather(*(main_journey(one) for one in joining))
            active += joining
            await asyncio.sleep(1.0)  # let the server settle its buffers
            readings.append(rss_mb(pid))
    finally:
        await asyncio.gather(*(one.close() for one in active))
    return slope(MEMORY_GROUPS, readings), readings


async def _measure(url: str, pid: int) -> dict[str, float]:
    await main_journey(WireLearner(url))  # warm: imports, the shared model, figure caches
    per_learner, readings = await memory_per_learner(url, pid)
    single = await step_times(url, 1, STEPS, seed=1)
    many = await step_times(url, LEARNERS, STEPS, seed=2)
    return {
        "single_p95_ms": percentile(single, 95),
        "single_median_ms": percentile(single, 50),
        "concurrent_p95_ms": percentile(many, 95),
        "concurrent_median_ms": percentile(many, 50),
        "session_memory_mb": per_learner,
        "server_rss_mb": readings[0],
    }


def measure() -> dict[str, float]:
    """Start a fresh server and take every figure of this group from it."""
    with serving() as (url, proc):
        wait_healthy(url, proc)
        return asyncio.run(_measure(url, proc.pid))


def figures() -> Iterator[Figure]:
    r = measure()
    think = f"{THINK_S[0]:g}-{THINK_S[1]:g} s between steps"
    yield Figure("single_p95_ms", r["single_p95_ms"], "ms", f"one learner alone, {think}")
    yield Figure(
        "concurrent_p95_ms", r["concurrent_p95_ms"], "ms", f"{LEARNERS} learners at once, {think}"
    )
    yield Figure("concurrent_median_ms", r["concurrent_median_ms"], "ms", "same run")
    yield Figure(
        "concurrent_p95_vs_single",
        r["concurrent_p95_ms"] / r["single_p95_ms"],
        "ratio",
        "target <= 6",
    )
    yield Figure("server_rss_mb", r["server_rss_mb"], "MB", "warm server, no learner connected")
    yield Figure(
        "session_memory_mb", r["session_memory_mb"], "MB", "per active learner; target <= 30"
    )
