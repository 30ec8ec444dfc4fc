"""The memory estimate covers what building a network and running the engine on it take.

The constants in spiral.model.networks were calibrated with tracemalloc (numpy reports its
buffers to it) at 1e5-1e6 citizens; this test repeats the measurement at sizes CI can afford,
on both sides of the switch to the array builders, and checks that the estimate is above the
measured peak but not wildly so (a useless check either way).
"""

import tracemalloc

import numpy as np
import pytest
from spiral.model import networks
from spiral.model.engine import ArrayEngine
from spiral.model.networks import build_edges, estimate_memory
from spiral.model.params import Params


def _peak_bytes(params, ticks=3):
    tracemalloc.start()
    try:
        edges = build_edges(params, np.random.default_rng(1), memory_check=False)
        engine = ArrayEngine(params, seed=1, network=edges)
        engine.run(ticks)
        engine.data()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(("network", "n", "degree"), [
    ("watts_strogatz", 120_000, 10.0),   # array builder
    ("barabasi_albert", 120_000, 20.0),  # array builder, BA's slot arrays
    ("block", 10_000, 40.0),             # networkx graph
    ("erdos_renyi", 10_000, 40.0),       # networkx's algorithm as arrays, no graph
])
def test_the_estimate_covers_the_measured_peak(network, n, degree):
    params = Params(n_citizens=n, network=network, mean_degree=degree, ticks=3)
    assert (n > networks.LARGE) == (network in ("watts_strogatz", "barabasi_albert"))
    peak = _peak_bytes(params)
    estimate = estimate_memory(params)
    assert peak < estimate < 4 * peak, f"peak {peak / 2**20:.0f} MiB, estimate " \
                                       f"{estimate / 2**20:.0f} MiB"
