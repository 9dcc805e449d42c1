"""A class spread over two app servers behind nginx: `python -m tools.bench --only replicas`.

- replicas_p95_ms: the 95th percentile of the server time of one backpropagation Step with 16
  learners stepping at once through nginx, which spreads them over two replicas by the cookie
  it sets (deploy/nginx.conf.template); replicas_p95_vs_single, its ratio to the same Step taken
  by one learner alone through nginx, measured in the same run;
- one_replica_p95_ms: the same 16 learners on one of the two replicas directly, for comparison;
- replicas_split: how many of the 16 learners each replica held (nginx's hash, not a choice).

The learners speak Streamlit's WebSocket protocol, as in tools/bench_load.py, and carry the
cookie nginx gave their first request, as a browser does.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from tools.balancer import Balancer, replicated
from tools.bench import Figure
from tools.bench_load import STEPS, THINK_S, WireLearner, main_journey, percentile, step_times

REPLICAS = 2
LEARNERS = 16


def held(balancer: Balancer, since: int) -> list[int]:
    """Learners each replica held, from the WebSockets nginx logged after its line `since`."""
    streams = [line for line in balancer.logged()[since:] if "/_stcore/stream" in line.request]
    return sorted(Counter(line.replica for line in streams).values(), reverse=True)


async def _measure(balancer: Balancer, replica_urls: list[str]) -> dict:
    # Warm each replica: imports, its own shared model, figure caches.
    await asyncio.gather(*(main_journey(WireLearner(url)) for url in replica_urls))
    single = await step_times(balancer.url, 1, STEPS, seed=1)
    since = len(balancer.logged())
    spread = await step_times(balancer.url, LEARNERS, STEPS, seed=2)
    await asyncio.sleep(0.5)  # nginx logs a WebSocket as it closes
    split = held(balancer, since)
    one = await step_times(replica_urls[0], LEARNERS, STEPS, seed=2)
    return {
        "single_p95_ms": percentile(single, 95),
        "replicas_p95_ms": percentile(spread, 95),
        "replicas_median_ms": percentile(spread, 50),
        "one_replica_p95_ms": percentile(one, 95),
        "split": split,
    }


def measure() -> dict:
    """Start two fresh replicas and nginx, and take every figure of this group from them."""
    with (
        tempfile.TemporaryDirectory(prefix="cnnexplain-bench-") as folder,
        replicated(REPLICAS, Path(folder)) as (balancer, started),
    ):
        return asyncio.run(_measure(balancer, [url for url, _ in started]))


def figures() -> Iterator[Figure]:
    r = measure()
    think = f"{THINK_S[0]:g}-{THINK_S[1]:g} s between steps"
    yield Figure("replicas_single_p95_ms", r["single_p95_ms"], "ms", f"one learner, {think}")
    yield Figure(
        "replicas_p95_ms", r["replicas_p95_ms"], "ms", f"{LEARNERS} learners on {REPLICAS} replicas"
    )
    yield Figure("replicas_median_ms", r["replicas_median_ms"], "ms", "same run")
    yield Figure(
        "replicas_p95_vs_single", r["replicas_p95_ms"] / r["single_p95_ms"], "ratio", "same run"
    )
    yield Figure(
        "one_replica_p95_ms", r["one_replica_p95_ms"], "ms", f"{LEARNERS} learners on one replica"
    )
    split = r["split"]
    yield Figure("replicas_split_max", split[0] if split else 0, "learners", f"held: {split}")
