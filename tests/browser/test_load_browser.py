"""Many learners on one server at once, each on the app's main journey in their own session.

Bounded here (8 learners); `CNNEXPLAIN_FULL_SIZE=1` runs a whole class (24 learners, more steps).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re

import pytest
from browserkit import ARTIFACTS
from journeys import FORWARD_STAGES, Learner, load_run

from tests.support.fuzzing import full_size

pytestmark = pytest.mark.browser

LEARNERS = 24 if full_size() else 8
BACKPROP_STEPS = 6 if full_size() else 2
THINK_S = 0.5  # seconds a learner reads between two steps, on average


def run_in_own_thread(coroutine):
    """Run async Playwright away from the sync Playwright the other browser tests share."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_a_class_at_once_each_learner_sees_only_their_own_work(fresh_server_url, tmp_path):
    learners = [Learner.numbered(i, BACKPROP_STEPS) for i in range(LEARNERS)]
    run = run_in_own_thread(load_run(fresh_server_url, learners, tmp_path, THINK_S, ARTIFACTS))

    for outcome in run.outcomes:
        learner = outcome.learner
        who = f"learner {learner.index}"
        assert outcome.errors == [], who
        assert outcome.steps_taken == learner.backprop_steps, who
        assert outcome.compared, who
        n = learner.forward_steps + 1
        assert outcome.forward_heading.startswith(f"{n}. {FORWARD_STAGES[n - 1]}:"), who
        assert outcome.label_text == f"The true label is {learner.label}", who
    # Everyone stepped and trained their own copies: the shared model answers as before.
    assert re.search(r"The loss is \d", run.before), run.before[-400:]
    assert run.after == run.before
