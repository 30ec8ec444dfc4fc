"""Network builders: honest requests, the realised network recorded, the memory check, and the
array builders' basic guarantees (simple graphs, seeded, exact tie counts).

The statistical comparison with networkx is in tests/model/test_network_sizes.py, the file
readers in tests/model/test_network_files.py.
"""

import networkx as nx
import numpy as np
import pytest
from spiral.model import networks
from spiral.model.networks import (
    LARGE,
    EdgeArrays,
    barabasi_albert_edges,
    block_edges,
    build_edges,
    check_memory,
    check_request,
    erdos_renyi_edges,
    estimate_memory,
    generate_graph,
    graph_to_edges,
    watts_strogatz_edges,
)
from spiral.model.params import ParameterError, Params

N = 20_000  # large enough for tight statistics, small enough for a fast test


def _check_simple(edges, n):
    assert edges.n == n
    assert (edges.u < edges.v).all(), "u < v: no self-loops, stored once"
    keys = edges.u * n + edges.v
    assert (np.diff(keys) > 0).all(), "sorted by (u, v) without duplicates"
    assert edges.v.max() < n and edges.u.min() >= 0


def _degree(edges):
    return np.bincount(np.concatenate([edges.u, edges.v]), minlength=edges.n)


@pytest.mark.parametrize(("builder", "exact_ties"), [
    (lambda rng: erdos_renyi_edges(N, 10.0, rng), None),
    (lambda rng: watts_strogatz_edges(N, 10, 0.1, rng), N * 5),
    (lambda rng: barabasi_albert_edges(N, 5, rng), 5 * (N - 5)),
    (lambda rng: block_edges(N, 10.0, 10, 0.05, rng), None),
])
def test_array_builders_give_simple_graphs_with_the_mean_degree_and_are_seeded(builder,
                                                                               exact_ties):
    a = builder(np.random.default_rng(3))
    b = builder(np.random.default_rng(3))
    c = builder(np.random.default_rng(4))
    _check_simple(a, N)
    assert np.array_equal(a.u, b.u) and np.array_equal(a.v, b.v), "same seed, same network"
    assert not (a.u.size == c.u.size and np.array_equal(a.v, c.v)), "other seed, other network"
    assert a.generator.endswith("(array builder)")
    if exact_ties is not None:  # WS keeps n k / 2 ties; BA's newcomers m distinct ties each
        assert a.u.size == exact_ties
    else:  # Binomial tie count: sd of the mean degree sqrt(2 d / n) = 0.032
        assert abs(2 * a.u.size / N - 10.0) < 4 * np.sqrt(2 * 10 / N)


def test_barabasi_albert_newcomers_get_exactly_m_distinct_ties():
    e = barabasi_albert_edges(N, 5, np.random.default_rng(2))
    degree = _degree(e)
    assert degree[6:].min() >= 5, "every newcomer keeps its m = 5 ties (repeats drawn again)"
    assert degree.max() > 20 * 10, "hubs: the largest degree is far above the mean"
    assert np.median(degree) <= 8, "most citizens have few ties"


def test_watts_strogatz_without_rewiring_is_the_ring_lattice():
    e = watts_strogatz_edges(100, 4, 0.0, np.random.default_rng(0))
    assert set(zip(e.u.tolist(), e.v.tolist(), strict=True)) == {
        (min(i, (i + j) % 100), max(i, (i + j) % 100)) for i in range(100) for j in (1, 2)}


def test_watts_strogatz_rewires_the_requested_share():
    n, k, p = N, 10, 0.2
    e = watts_strogatz_edges(n, k, p, np.random.default_rng(1))
    gap = np.minimum(e.v - e.u, n - (e.v - e.u))
    lattice_share = (gap <= k // 2).mean()
    # a rewired tie lands on the lattice by chance with probability ~k/n, negligible here;
    # binomial sd of the share: sqrt(p(1-p)/m) = 0.0013 for m = 100,000 ties
    assert abs((1 - lattice_share) - p) < 4 * np.sqrt(p * (1 - p) / (n * k / 2)) + k / n


def test_block_model_keeps_the_requested_share_of_ties_across_communities():
    n, k, mixing = N, 10, 0.05
    e = block_edges(n, 10.0, k, mixing, np.random.default_rng(5))
    block = np.repeat(np.arange(k), n // k)
    across = (block[e.u] != block[e.v]).mean()
    assert abs(across - mixing) < 4 * np.sqrt(mixing * (1 - mixing) / e.u.size)


def test_block_model_with_one_community_has_the_requested_mean_degree():
    e = block_edges(N, 10.0, 1, 0.3, np.random.default_rng(5))
    assert abs(2 * e.u.size / N - 10.0) < 4 * np.sqrt(2 * 10 / N)


def test_dense_requests_take_the_complement_and_stay_exact():
    e = erdos_renyi_edges(40, 30.0, np.random.default_rng(1))  # p = 0.77
    _check_simple(e, 40)
    assert abs(e.u.size - 40 * 30 / 2) < 4 * np.sqrt(780 * 0.77 * 0.23)
    full = block_edges(60, 20.0, 6, 0.0, np.random.default_rng(1))  # p_in capped at 1
    assert full.u.size == 6 * 45, "every pair inside each community of 10"


def test_build_edges_uses_networkx_up_to_large_and_the_array_builders_above():
    small = Params(n_citizens=300, network="watts_strogatz")
    a = build_edges(small, np.random.default_rng(9))
    b = graph_to_edges(generate_graph(small, np.random.default_rng(9)))
    assert np.array_equal(a.u, b.u) and np.array_equal(a.v, b.v)
    assert a.generator == "networkx.watts_strogatz_graph"
    big = Params(n_citizens=LARGE + 1, network="barabasi_albert", mean_degree=4.0)
    c = build_edges(big, np.random.default_rng(9))
    d = barabasi_albert_edges(LARGE + 1, 2, np.random.default_rng(9))
    assert np.array_equal(c.u, d.u) and np.array_equal(c.v, d.v)
    assert c.generator == "barabasi_albert (array builder)"


def test_the_default_network_is_built_as_before():
    """Default: watts_strogatz, 2,000 citizens, k = 10 (even): networkx's graph, as before."""
    p = Params()
    e = build_edges(p, np.random.default_rng(7))
    g = nx.watts_strogatz_graph(2000, 10, p.ws_rewire,
                                seed=int(np.random.default_rng(7).integers(0, 2**31 - 1)))
    assert e.u.size == g.number_of_edges() == 10_000
    assert set(zip(e.u.tolist(), e.v.tolist(), strict=True)) == {
        (min(a, b), max(a, b)) for a, b in g.edges()}


@pytest.mark.parametrize(("values", "words"), [
    (dict(network="watts_strogatz", mean_degree=5.0),
     ["mean_degree = 5 cannot be built by watts_strogatz", "even", "4 or 6"]),
    (dict(network="watts_strogatz", mean_degree=3.0), ["mean_degree = 3", "2 or 4"]),
    (dict(network="barabasi_albert", mean_degree=7.0),
     ["mean_degree = 7 cannot be built by barabasi_albert", "6 or 8", "2m"]),
    (dict(network="barabasi_albert", mean_degree=4.5), ["mean_degree = 4.5", "4 or 6"]),
    (dict(network="watts_strogatz", n_citizens=2, mean_degree=1.0),
     ["n_citizens = 2 is too small", "4 or more"]),
    (dict(network="barabasi_albert", n_citizens=2, mean_degree=1.0), ["n_citizens = 2"]),
    (dict(network="erdos_renyi", n_citizens=2, mean_degree=1.0), ["n_citizens = 2"]),
    (dict(network="erdos_renyi", n_citizens=100, mean_degree=500.0),
     ["mean_degree = 500 is too large for n_citizens = 100", "below n_citizens - 1 = 99",
      "complete graph"]),
    (dict(network="watts_strogatz", n_citizens=10, mean_degree=10.0),
     ["mean_degree = 10 is too large", "below n_citizens - 1 = 9"]),
    (dict(network="erdos_renyi", n_citizens=100, mean_degree=0.0),
     ["mean_degree = 0 builds no ties", "allowed from 0.02"]),
    (dict(network="block", n_citizens=100, n_communities=500), ["n_communities = 500",
                                                                "allowed 1 to 100"]),
])
def test_requests_that_cannot_be_built_as_asked_are_refused_in_one_line(values, words):
    params = Params(values)
    for attempt in (check_request, lambda p: build_edges(p, np.random.default_rng(0))):
        with pytest.raises(ParameterError) as info:
            attempt(params)
        message = str(info.value)
        assert "\n" not in message
        for word in words:
            assert word in message


@pytest.mark.parametrize("network", ["watts_strogatz", "barabasi_albert"])
def test_even_mean_degrees_are_built_exactly(network):
    for d in (2.0, 4.0, 6.0):
        e = build_edges(Params(n_citizens=500, network=network, mean_degree=d),
                        np.random.default_rng(1))
        ties = 500 * d / 2 if network == "watts_strogatz" else (d / 2) * (500 - d / 2)
        assert e.u.size == ties
        assert e.describe()["requested_mean_degree"] == d


def test_array_builders_refuse_what_they_cannot_build():
    with pytest.raises(ParameterError, match="mean_degree"):
        watts_strogatz_edges(10, 10, 0.1, np.random.default_rng(0))
    with pytest.raises(ParameterError, match="even"):
        watts_strogatz_edges(100, 5, 0.1, np.random.default_rng(0))
    with pytest.raises(ParameterError, match="mean_degree"):
        barabasi_albert_edges(5, 5, np.random.default_rng(0))


def test_describe_records_the_realised_network():
    e = build_edges(Params(n_citizens=400, network="barabasi_albert", mean_degree=6.0),
                    np.random.default_rng(2))
    d = e.describe()
    assert d == {"citizens": 400, "ties": 3 * 397, "mean_degree": round(2 * 3 * 397 / 400, 6),
                 "generator": "networkx.barabasi_albert_graph", "requested_mean_degree": 6.0}
    k = build_edges(Params(network="karate"), np.random.default_rng(2)).describe()
    assert (k["citizens"], k["ties"], k["generator"]) == (34, 78, "networkx.karate_club_graph")
    assert EdgeArrays(3, np.array([0]), np.array([1])).describe()["generator"] == "given"


def test_engine_and_mesa_model_record_describe():
    from spiral.model.engine import ArrayEngine

    engine = ArrayEngine(Params(n_citizens=300, network="erdos_renyi", mean_degree=6.0,
                                ticks=1), seed=3)
    assert engine.network["citizens"] == 300
    assert engine.network["generator"] == "networkx.fast_gnp_random_graph"
    assert engine.network["requested_mean_degree"] == 6.0


def test_a_network_that_would_not_fit_in_memory_is_refused_before_building():
    huge = Params(n_citizens=5_000_000, network="erdos_renyi", mean_degree=1000.0)
    need = estimate_memory(huge)
    assert need > 2.5e9 * networks.BYTES_PER_TIE * 0.99  # 2.5e9 ties
    with pytest.raises(ParameterError) as info:
        check_memory(huge, available=64 * 2**30)
    message = str(info.value)
    assert "\n" not in message
    assert "n_citizens = 5,000,000 with mean_degree = 1000" in message
    assert "GiB" in message and "64.0 GiB of memory is available" in message
    with pytest.raises(ParameterError, match="memory is available"):
        build_edges(huge, np.random.default_rng(0))  # refused at once, nothing is allocated
    small = Params(n_citizens=2000, mean_degree=10.0)
    assert check_memory(small, available=1) == estimate_memory(small)  # below the floor


def test_the_memory_estimate_grows_with_ties_and_citizens_and_knows_networkx_costs_more():
    base = Params(n_citizens=100_000, network="watts_strogatz", mean_degree=10.0)
    assert estimate_memory(base.replace(mean_degree=20.0)) > estimate_memory(base)
    assert estimate_memory(base.replace(n_citizens=200_000)) > estimate_memory(base)
    nx_side = Params(n_citizens=LARGE, network="watts_strogatz", mean_degree=10.0)
    arrays = Params(n_citizens=LARGE + 1, network="watts_strogatz", mean_degree=10.0)
    assert estimate_memory(nx_side) > estimate_memory(arrays)


def test_block_network_with_a_vanishing_mixing_share_builds_without_ties_across():
    """A tie probability so small that 1 - p rounds to 1 is no tie (networkx's sparse
    sampler would divide by log(1 - p) = 0); found by the batched-engine property test.
    """
    from spiral.model import ArrayEngine, Params

    params = Params(n_citizens=30, network="block", mean_degree=2.0, n_communities=2,
                    community_mixing=1.1754943508222875e-38, ticks=1)
    engine = ArrayEngine(params, seed=3)
    u, v = engine.ties.pairs()
    assert u.size > 0 and np.all((u < 15) == (v < 15))  # every tie inside a community


@pytest.mark.parametrize(("n", "mean_degree", "seed"),
                         [(2, 0.5, 1), (40, 3.0, 2), (2000, 10.0, 5), (20_000, 4.0, 11),
                          (300, 299.0 * 0.97, 3), (5000, 0.01, 4)])  # near-complete; tieless
def test_erdos_renyi_ties_are_networkx_fast_gnp_tie_for_tie(n, mean_degree, seed):
    """Small towns skip building the networkx graph; the ties must be networkx's own."""
    from spiral.model.networks import fast_gnp_edges, generate_graph, graph_to_edges
    from spiral.model.params import Params
    from spiral.model.streams import make_streams

    p = mean_degree / (n - 1)
    u, v = fast_gnp_edges(n, p, seed)
    theirs = graph_to_edges(nx.fast_gnp_random_graph(n, p, seed=seed))
    assert np.array_equal(u, theirs.u) and np.array_equal(v, theirs.v)
    params = Params(n_citizens=max(n, 10), network="erdos_renyi", mean_degree=mean_degree)
    built = build_edges(params, make_streams(seed)["network"])
    reference = graph_to_edges(generate_graph(params, make_streams(seed)["network"]))
    assert np.array_equal(built.u, reference.u) and np.array_equal(built.v, reference.v)
    assert built.generator == "networkx.fast_gnp_random_graph"
