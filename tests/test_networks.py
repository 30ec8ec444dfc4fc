"""Network builders: the vectorised large-N generators, small-N networkx path, file reading."""

import numpy as np
import pytest
from spiral.model.networks import (
    LARGE,
    NetworkFileError,
    barabasi_albert_edges,
    block_edges,
    build_edges,
    erdos_renyi_edges,
    generate_graph,
    graph_to_edges,
    read_network_file,
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


@pytest.mark.parametrize("builder", [
    lambda rng: erdos_renyi_edges(N, 10.0, rng),
    lambda rng: watts_strogatz_edges(N, 10, 0.1, rng),
    lambda rng: barabasi_albert_edges(N, 5, rng),
    lambda rng: block_edges(N, 10.0, 10, 0.05, rng),
])
def test_fast_builders_give_simple_graphs_with_the_mean_degree_and_are_seeded(builder):
    a = builder(np.random.default_rng(3))
    b = builder(np.random.default_rng(3))
    c = builder(np.random.default_rng(4))
    _check_simple(a, N)
    assert np.array_equal(a.u, b.u) and np.array_equal(a.v, b.v), "same seed, same network"
    assert not (a.u.size == c.u.size and np.array_equal(a.v, c.v)), "other seed, other network"
    mean = 2 * a.u.size / N
    # ER and WS have exactly n*d/2 ties; BA and block lose only rare repeats (or gain by
    # binomial noise: sd of the tie count ~ sqrt(n*d/2) = 316, i.e. 0.03 in mean degree)
    assert abs(mean - 10.0) < 0.15


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
    # binomial sd of the share: sqrt(p(1-p)/m) = 0.0025 for m = 100,000 ties
    assert abs((1 - lattice_share) - p) < 0.015


def test_barabasi_albert_is_scale_free_with_every_newcomer_tied():
    e = barabasi_albert_edges(N, 5, np.random.default_rng(2))
    degree = _degree(e)
    assert degree.min() >= 1
    assert degree.max() > 20 * 10, "hubs: the largest degree is far above the mean"
    assert np.median(degree) <= 8, "most citizens have few ties"


def test_block_model_keeps_most_ties_inside_communities():
    n, k, mixing = N, 10, 0.05
    e = block_edges(n, 10.0, k, mixing, np.random.default_rng(5))
    block = np.repeat(np.arange(k), n // k)
    across = (block[e.u] != block[e.v]).mean()
    assert abs(across - mixing) < 0.01  # binomial sd ~ sqrt(0.05*0.95/100000) = 0.0007


def test_build_edges_uses_networkx_up_to_large_and_the_fast_builders_above():
    small = Params(n_citizens=300, network="watts_strogatz")
    a = build_edges(small, np.random.default_rng(9))
    b = graph_to_edges(generate_graph(small, np.random.default_rng(9)))
    assert np.array_equal(a.u, b.u) and np.array_equal(a.v, b.v)
    big = Params(n_citizens=LARGE + 1, network="barabasi_albert", mean_degree=4.0)
    c = build_edges(big, np.random.default_rng(9))
    d = barabasi_albert_edges(LARGE + 1, 2, np.random.default_rng(9))
    assert np.array_equal(c.u, d.u) and np.array_equal(c.v, d.v)


def test_too_dense_requests_are_refused_with_the_parameter_named():
    with pytest.raises(ParameterError, match="mean_degree"):
        watts_strogatz_edges(10, 10, 0.1, np.random.default_rng(0))
    with pytest.raises(ParameterError, match="mean_degree"):
        barabasi_albert_edges(5, 5, np.random.default_rng(0))


def test_edge_list_errors_name_the_file_and_line(tmp_path):
    good = tmp_path / "net.csv"
    good.write_text("source,target\nann,bob\nbob,cy # friends\nann,ann\n", encoding="utf-8")
    graph = read_network_file(good)
    assert graph.number_of_nodes() == 3 and graph.number_of_edges() == 2
    bad = tmp_path / "bad.txt"
    bad.write_text("a b\nlonely\n", encoding="utf-8")
    with pytest.raises(NetworkFileError, match=r"bad.txt:2"):
        read_network_file(bad)
    with pytest.raises(NetworkFileError, match="not found"):
        read_network_file(tmp_path / "missing.csv")
