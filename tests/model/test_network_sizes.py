"""One model at every size: the array builders sample networkx's distributions of graphs.

Three levels, every tolerance derived from the sample size (fixed seeds, so each test is
deterministic; the thresholds are those of tests at the 0.1% level, Bonferroni-corrected
where several quantities are tested at once):

1. Tiny networks, thousands of draws: how often each pair is tied, and the distribution of
   the sorted degree sequence, are the same under networkx's generator and the array builder.
   This checks the rules exactly (WS's rewiring against the ties present at that moment, BA's
   repeats drawn again, exact Binomial counts); the builders the project had before this
   test fail it by z > 19.
2. 10,000 citizens, several seeds: degree distribution (chi-square), mean and variance of
   the degree, Watts-Strogatz clustering, Barabasi-Albert tail and largest degree.
3. A sweep of build_edges across the size where the builders switch (moved to 10,000 for the
   test) shows no break; ``python -m spiral.model.networks`` prints it at 20,000-100,000.
"""

import networkx as nx
import numpy as np
import pytest
from scipy import stats
from spiral.model import networks
from spiral.model.networks import (
    barabasi_albert_edges,
    block_edges,
    block_layout,
    build_edges,
    erdos_renyi_edges,
    graph_to_edges,
    network_statistics,
    statistics_across_sizes,
    watts_strogatz_edges,
)
from spiral.model.params import Params

ALPHA = 1e-3  # level of each test (Bonferroni-split where several are tested together)


def _z_limit(tests: int) -> float:
    return float(stats.norm.isf(ALPHA / (2 * tests)))


# --- 1. tiny networks, exact rules -------------------------------------------------------------
def _tiny(n, networkx_graph, array_edges, reps):
    pairs = {"nx": np.zeros((n, n)), "arrays": np.zeros((n, n))}
    sequences = {"nx": {}, "arrays": {}}
    for s in range(reps):
        for side, edges in (("nx", graph_to_edges(networkx_graph(s))),
                            ("arrays", array_edges(np.random.default_rng(100_000 + s)))):
            np.add.at(pairs[side], (edges.u, edges.v), 1)
            key = tuple(sorted(np.bincount(np.concatenate([edges.u, edges.v]),
                                           minlength=n).tolist()))
            sequences[side][key] = sequences[side].get(key, 0) + 1
    iu = np.triu_indices(n, 1)
    a, b = pairs["nx"][iu] / reps, pairs["arrays"][iu] / reps
    p = (a + b) / 2
    z = np.abs(a - b) / np.sqrt(np.maximum(2 * p * (1 - p) / reps, 1e-12))
    keys = sorted(set(sequences["nx"]) | set(sequences["arrays"]))
    table = np.array([[sequences[side].get(k, 0) for k in keys] for side in ("nx", "arrays")])
    big = table.sum(axis=0) >= 10  # cells with enough counts; the rest pooled
    table = np.column_stack([table[:, big], table[:, ~big].sum(axis=1)])
    table = table[:, table.sum(axis=0) > 0]
    return z.max(), _z_limit(z.size), stats.chi2_contingency(table).pvalue


SIZES, P_IN, P_OUT = block_layout(9, 3.0, 3, 0.3)
TINY = {
    "watts_strogatz n=8 k=4 p=0.5": (
        8, lambda s: nx.watts_strogatz_graph(8, 4, 0.5, seed=s),
        lambda rng: watts_strogatz_edges(8, 4, 0.5, rng)),
    "watts_strogatz n=10 k=2 p=1": (
        10, lambda s: nx.watts_strogatz_graph(10, 2, 1.0, seed=s),
        lambda rng: watts_strogatz_edges(10, 2, 1.0, rng)),
    "barabasi_albert n=9 m=3": (
        9, lambda s: nx.barabasi_albert_graph(9, 3, seed=s),
        lambda rng: barabasi_albert_edges(9, 3, rng)),
    "erdos_renyi n=8 d=3": (
        8, lambda s: nx.fast_gnp_random_graph(8, 3 / 7, seed=s),
        lambda rng: erdos_renyi_edges(8, 3.0, rng)),
    "block n=9 k=3": (
        9, lambda s: nx.stochastic_block_model(
            SIZES.tolist(), [[P_IN if i == j else P_OUT for j in range(3)] for i in range(3)],
            seed=s, sparse=True),
        lambda rng: block_edges(9, 3.0, 3, 0.3, rng)),
}


@pytest.mark.parametrize("case", list(TINY))
def test_tiny_networks_have_networkx_pair_and_degree_sequence_frequencies(case):
    n, networkx_graph, array_edges = TINY[case]
    z_max, z_limit, p_value = _tiny(n, networkx_graph, array_edges, reps=2500)
    assert z_max < z_limit, f"{case}: a pair is tied at another rate (z = {z_max:.2f})"
    assert p_value > ALPHA, f"{case}: degree sequences differ (chi-square p = {p_value:.2g})"


def test_dense_watts_strogatz_skips_like_networkx():
    """With 6 citizens, k = 4, p = 0.9, citizens are often tied to everyone: skip their turn."""
    z_max, z_limit, p_value = _tiny(
        6, lambda s: nx.watts_strogatz_graph(6, 4, 0.9, seed=s),
        lambda rng: watts_strogatz_edges(6, 4, 0.9, rng), reps=600)
    assert z_max < z_limit and p_value > ALPHA


# --- 2. 10,000 citizens ------------------------------------------------------------------------
N, SEEDS = 10_000, range(1, 6)
MEDIUM = {
    "erdos_renyi": (lambda s: nx.fast_gnp_random_graph(N, 10 / (N - 1), seed=s),
                    lambda rng: erdos_renyi_edges(N, 10.0, rng)),
    "watts_strogatz": (lambda s: nx.watts_strogatz_graph(N, 10, 0.1, seed=s),
                       lambda rng: watts_strogatz_edges(N, 10, 0.1, rng)),
    "barabasi_albert": (lambda s: nx.barabasi_albert_graph(N, 5, seed=s),
                        lambda rng: barabasi_albert_edges(N, 5, rng)),
    "block": (lambda s: nx.stochastic_block_model(
        [N // 10] * 10, [[0.95 * 10 / (N / 10 - 1) if i == j else 0.05 * 10 / (N - N / 10)
                          for j in range(10)] for i in range(10)], seed=s, sparse=True),
              lambda rng: block_edges(N, 10.0, 10, 0.05, rng)),
}


@pytest.fixture(scope="module")
def medium():
    out = {}
    for name, (networkx_graph, array_edges) in MEDIUM.items():
        out[name] = {"nx": [graph_to_edges(networkx_graph(s)) for s in SEEDS],
                     "arrays": [array_edges(np.random.default_rng(s)) for s in SEEDS]}
    return out


def _degrees(edges):
    return np.bincount(np.concatenate([edges.u, edges.v]), minlength=edges.n)


def _welch_p(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if np.allclose(a, a[0]) and np.allclose(b, b[0]):
        return 1.0 if np.isclose(a[0], b[0]) else 0.0
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


@pytest.mark.parametrize("name", list(MEDIUM))
def test_degree_distributions_agree_with_networkx_at_10000_citizens(medium, name):
    sides = medium[name]
    hist = [np.bincount(np.concatenate([_degrees(e) for e in sides[s]])) for s in
            ("nx", "arrays")]
    width = max(h.size for h in hist)
    table = np.array([np.pad(h, (0, width - h.size)) for h in hist], dtype=float)
    full = (table >= 5).all(axis=0)  # degrees seen at least 5 times on both sides; the rest
    table = np.column_stack([table[:, full], table[:, ~full].sum(axis=1)])  # pooled
    table = table[:, table.sum(axis=0) > 0]
    p_hist = stats.chi2_contingency(table).pvalue
    means = [[_degrees(e).mean() for e in sides[s]] for s in ("nx", "arrays")]
    variances = [[_degrees(e).var() for e in sides[s]] for s in ("nx", "arrays")]
    tests = 3  # histogram, mean, variance
    assert p_hist > ALPHA / tests, f"{name}: degree histograms differ (p = {p_hist:.2g})"
    assert _welch_p(*means) > ALPHA / tests, f"{name}: mean degree {means}"
    assert _welch_p(*variances) > ALPHA / tests, f"{name}: degree variance {variances}"


def test_watts_strogatz_clustering_agrees_with_networkx(medium):
    sides = medium["watts_strogatz"]
    clustering = [[network_statistics(e)["clustering"] for e in sides[s]]
                  for s in ("nx", "arrays")]
    assert _welch_p(*clustering) > ALPHA, clustering
    # and both near the small-world value 3(k - 2) / (4(k - 1)) (1 - p)^3 = 0.486
    assert abs(np.mean(clustering[1]) - 0.75 * 8 / 9 * 0.9**3) < 0.02
    ours = network_statistics(sides["nx"][0])["clustering"]
    theirs = nx.average_clustering(nx.watts_strogatz_graph(N, 10, 0.1, seed=SEEDS[0]))
    assert ours == pytest.approx(theirs, abs=1e-12), "network_statistics = networkx's"


def test_barabasi_albert_tail_and_hubs_agree_with_networkx(medium):
    sides = medium["barabasi_albert"]
    m = 5
    tail = [sum(int((_degrees(e) >= 5 * m).sum()) for e in sides[s]) for s in ("nx", "arrays")]
    total = N * len(SEEDS)
    share = sum(tail) / (2 * total)
    z = abs(tail[0] - tail[1]) / total / np.sqrt(share * (1 - share) * 2 / total)
    assert z < _z_limit(2), f"share of degree >= 5m: {tail[0] / total}, {tail[1] / total}"
    assert 0.01 < tail[1] / total < 0.1, "about (m / 5m)^2 = 4% in a BA network"
    hubs = [[np.log(_degrees(e).max()) for e in sides[s]] for s in ("nx", "arrays")]
    assert _welch_p(*hubs) > ALPHA / 2, f"largest degrees: {np.exp(hubs).round()}"


# --- 3. no break across the switch --------------------------------------------------------------
@pytest.mark.parametrize("network", ["watts_strogatz", "erdos_renyi", "barabasi_albert",
                                     "block"])
def test_a_sweep_across_the_switch_has_no_break(monkeypatch, network):
    """The switch moved to 10,000 citizens: 10,000 (networkx) and 10,001 (array builder)
    agree in mean degree, degree variance and clustering, seed by seed.
    """
    monkeypatch.setattr(networks, "LARGE", 10_000)
    seeds = range(1, 6)
    per_size = {n: [network_statistics(build_edges(
        Params(n_citizens=n, network=network, mean_degree=10.0), np.random.default_rng(s)))
        for s in seeds] for n in (10_000, 10_001)}
    assert per_size[10_000][0]["generator"].startswith("networkx.")
    assert per_size[10_001][0]["generator"].endswith("(array builder)")
    for key in ("mean_degree", "degree_variance", "clustering"):
        below = [r[key] for r in per_size[10_000]]
        above = [r[key] for r in per_size[10_001]]
        assert _welch_p(below, above) > ALPHA / 3, f"{network} {key}: {below} -> {above}"


def test_statistics_across_sizes_reports_each_size_and_generator(monkeypatch):
    monkeypatch.setattr(networks, "LARGE", 3_000)
    rows = statistics_across_sizes((3_000, 3_001), seeds=(1, 2))
    assert [r["n_citizens"] for r in rows] == [3_000, 3_001]
    assert [r["generator"] for r in rows] == ["networkx.watts_strogatz_graph",
                                              "watts_strogatz (array builder)"]
    assert all(r["mean_degree"] == 10.0 and r["seeds"] == 2 for r in rows)
    assert abs(rows[0]["clustering"] - rows[1]["clustering"]) < 0.02
