"""Settings shared by the whole test suite."""

import resource

import pytest
import torch

# The app runs torch on one thread per operation (see app.py); the tests do the same, so the
# numbers they check are the numbers the app shows, whatever order the tests run in.
torch.set_num_threads(1)


@pytest.fixture(scope="module")
def lifetime_peak_memory(request):
    """The process's lifetime peak memory (ru_maxrss) grows by less than the module's RSS_LIMIT.

    The fuzz tests measure each case by resetting the peak, which only Linux allows; this check
    over the whole module works everywhere.
    """
    start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    yield
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - start
    limit = request.module.RSS_LIMIT
    assert grown < limit, f"peak memory grew by {grown / 2**20:.0f} MB over the module"
