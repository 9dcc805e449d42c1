"""Two app servers behind nginx, as `make class N=2` runs them: every learner stays on one
replica for the whole visit (page, WebSocket, reruns), keeps their own work, and both replicas
take learners.

All the learners here come from 127.0.0.1, as a classroom behind one address would: nginx tells
them apart by the cookie it sets on a browser's first request.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator

import pytest
from browserkit import ARTIFACTS, no_exceptions, skip_predictions, wait_idle

from cnnexplain.texts import backprop as backprop_text
from cnnexplain.texts import conv_lab as conv_lab_text
from cnnexplain.texts.path import TITLES
from tools.balancer import COOKIE, Balancer, replicated, upstream

pytestmark = pytest.mark.browser

REPLICAS = 2
PER_REPLICA = 2  # learners sent to each replica
MAX_VISITORS = 40  # browsers tried before giving up on filling every replica
TIMEOUT_MS = 300_000  # a first visit to each replica builds its shared default model
STEPS_TAKEN = re.compile(r"Steps taken: (\d+)")


def _nginx() -> None:
    if shutil.which("nginx") is None:
        if os.environ.get("CNNEXPLAIN_REQUIRE_BROWSER"):
            pytest.fail("nginx is not installed (run scripts/install-nginx).")
        pytest.skip("nginx is not installed; run scripts/install-nginx to enable")


@pytest.fixture
def balanced() -> Iterator[tuple[Balancer, list[str]]]:
    """Two fresh replicas behind nginx; yields nginx and the replicas' upstream addresses."""
    _nginx()
    folder = ARTIFACTS / "replicas"  # nginx's and the replicas' logs, kept for a look after
    shutil.rmtree(folder, ignore_errors=True)
    with replicated(REPLICAS, folder) as (balancer, started):
        yield balancer, [upstream(url) for url, _ in started]


def replica_of(balancer: Balancer, key: str) -> str:
    """The replica nginx sent the request with replica key `key` to (its log line may land
    just after the response)."""
    for _ in range(50):
        found = [line.replica for line in balancer.logged() if line.key == key]
        if found:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError(f"nginx logged no request with key {key}")


def cookie(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == COOKIE)


def visitors_on_each_replica(browser, balancer: Balancer) -> dict[str, list]:
    """PER_REPLICA browser contexts (own cookies, own sessions) for each replica, by replica.

    A new browser lands where its cookie hashes: open browsers, each with one plain request
    that gets it a cookie, until every replica has its share.
    """
    by_replica: dict[str, list] = {}
    for _ in range(MAX_VISITORS):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        context.request.get(f"{balancer.url}/_stcore/health")
        learners = by_replica.setdefault(replica_of(balancer, cookie(context)), [])
        if len(learners) < PER_REPLICA:
            learners.append(context)
        else:
            context.close()
        if len(by_replica) == REPLICAS and all(len(v) == PER_REPLICA for v in by_replica.values()):
            return by_replica
    raise AssertionError(f"nginx never filled every replica: {by_replica}")


def click_link(page, title: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role("link", name=title).click()


def arrived(page, heading: str, left: str | None = None) -> None:
    """Wait until the page shows `heading`, the one titled `left` is gone, and the run is over."""
    page.get_by_role("heading", name=heading).first.wait_for(timeout=TIMEOUT_MS)
    if left is not None:
        page.get_by_role("heading", name=left).first.wait_for(state="detached", timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)


def stepped(page, number: int) -> None:
    page.get_by_text(f"Loss after step {number}", exact=True).wait_for(timeout=TIMEOUT_MS)
    wait_idle(page, TIMEOUT_MS)


def steps_taken(page) -> int:
    found = STEPS_TAKEN.search(page.inner_text("main"))
    return int(found.group(1)) if found else -1


def learners_at_work(contexts: list, url: str, steps: list[int]) -> list[int]:
    """Each learner opens the backpropagation page and presses Step their number of times, then
    goes to another page and back; returns the step count each one's page then shows.

    Every action is sent to all the learners before any is waited for, so that both replicas
    work at once and each holds several live sessions.
    """
    pages = [context.new_page() for context in contexts]
    for page in pages:
        page.goto(url)
    for page in pages:
        wait_idle(page, TIMEOUT_MS)
        click_link(page, TITLES["backprop"])
    for page in pages:
        arrived(page, backprop_text.TITLE)
        skip_predictions(page)
    for number in range(1, max(steps) + 1):
        stepping = [page for page, wanted in zip(pages, steps, strict=True) if wanted >= number]
        for page in stepping:
            page.get_by_role("button", name="Step", exact=True).click()
        for page in stepping:
            stepped(page, number)
    # Away to another page and back: more runs of the same session, on the same replica.
    for page in pages:
        click_link(page, TITLES["conv_lab"])
    for page in pages:
        arrived(page, conv_lab_text.TITLE, left=backprop_text.TITLE)
        click_link(page, TITLES["backprop"])
    seen = []
    for page in pages:
        arrived(page, backprop_text.TITLE, left=conv_lab_text.TITLE)
        page.get_by_text("Steps taken:").first.wait_for(timeout=TIMEOUT_MS)
        seen.append(steps_taken(page))
        no_exceptions(page)
    return seen


def test_each_learner_stays_on_one_replica_and_both_replicas_serve(browser, balanced):
    balancer, replicas = balanced
    by_replica = visitors_on_each_replica(browser, balancer)
    contexts = [context for group in by_replica.values() for context in group]
    # Learners on one replica take different numbers of steps: one who saw another's session
    # would show the other's count; one moved to another replica would show none.
    steps = [1 + i % PER_REPLICA for i in range(len(contexts))]
    keys = [cookie(context) for context in contexts]
    try:
        seen = learners_at_work(contexts, balancer.url, steps)
    finally:
        for context in contexts:
            context.close()  # nginx logs a WebSocket when it closes

    assert seen == steps
    time.sleep(0.5)  # the last WebSockets' log lines
    logged = balancer.logged()
    served = {i: {line.replica for line in logged if line.key == key} for i, key in enumerate(keys)}
    for i, replica in served.items():
        assert len(replica) == 1, f"learner {i} was answered by {replica}"
        streams = [
            line for line in logged if line.key == keys[i] and "/_stcore/stream" in line.request
        ]
        assert streams and all(line.status == 101 for line in streams), f"learner {i}: {streams}"
    assert set().union(*served.values()) == set(replicas)
    for log in (ARTIFACTS / "replicas").glob("replica-*.log"):
        assert "Traceback" not in log.read_text(), log.name
