"""The optimised tie structure answers exactly like the reference one.

FastTieTable (masked CSR with tombstones, overflow list, compaction, incremental components)
must give the same trajectories as TieTable on small networks with many cuts and rewires, and
keep its bookkeeping right after thousands of random removals and additions.
"""

from functools import partial
from itertools import pairwise

import networkx as nx
import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components
from spiral.model import ArrayEngine, Params, ScriptedListing
from spiral.model.fast_ties import FastTieTable
from spiral.model.ties import TieTable

BUSY = dict(n_citizens=300, mean_degree=8.0, listing_rate=0.02, wrongful_rate=0.005,
            hearing_prob=0.6, unfriend_rate=0.8, fear_mean=0.7, ticks=40)

RULES = ("channels", "listed", "grade", "strategic", "threshold")
REWIRES = ("none", "random", "friend_of_friend", "homophily")
EXTRA = {
    "channels": dict(reconnect_rate=0.3, turnover_rate=0.05),
    "listed": dict(),
    "grade": dict(risky_grade="C", cohort_share=0.05),
    "strategic": dict(network_weight=0.7),
    "threshold": dict(unfriend_threshold=0.05, stigma_rule="contagion", stigma_spread=0.05,
                      stigma_fade=0.05, initial_stigma_share=0.05),
}
# compact often, so trajectories cross compactions as well as tombstones and overflow
EAGER = partial(FastTieTable, compact_share=0.02)


@pytest.mark.parametrize("rewire", REWIRES)
@pytest.mark.parametrize("rule", RULES)
def test_fast_ties_give_the_reference_trajectory(rule, rewire):
    params = Params({**BUSY, **EXTRA[rule], "unfriend_rule": rule, "rewire": rewire})
    scripted = [ScriptedListing(5, 3, wrongful=True)]
    ref = ArrayEngine(params, seed=3, listings=scripted, ties_class=TieTable)
    fast = ArrayEngine(params, seed=3, listings=scripted, ties_class=EAGER)
    for tick in range(1, params.ticks + 1):
        ref.step()
        fast.step()
        a, b = ref.snapshot(), fast.snapshot()
        for key in a:
            assert np.array_equal(a[key], b[key]), f"{rule}/{rewire}: {key} differs at {tick}"
        assert np.array_equal(ref.ties.degree, fast.ties.degree)
    da, db = ref.data(), fast.data()
    for table in ("timeseries", "episodes", "events", "citizens", "initial_ties"):
        assert getattr(da, table).equals(getattr(db, table)), f"{rule}/{rewire}: {table}"
    events = set(da.events["event"])
    assert "cut" in events, "the scenario must exercise cuts"
    if rewire != "none":
        assert "rewire" in events, "the scenario must exercise rewires"


def test_fast_ties_are_the_default_and_match_on_a_block_model_with_stigma_threshold():
    params = Params(network="block", n_citizens=300, stigma_rule="threshold",
                    stigma_threshold=0.15, unfriend_rule="threshold", rewire="random",
                    cohort_share=0.02, ticks=20, hearing_prob=0.8, unfriend_rate=0.9)
    fast = ArrayEngine(params, seed=8)
    assert isinstance(fast.ties, FastTieTable)
    ref = ArrayEngine(params, seed=8, ties_class=TieTable)
    fast.run()
    ref.run()
    assert fast.data().timeseries.equals(ref.data().timeseries)
    assert fast.data().events.equals(ref.data().events)


def _random_batch(rng, n, ties, size):
    u, v = ties.pairs()
    pick = rng.choice(u.size, size=min(size, u.size), replace=False) if u.size else []
    remove = (np.concatenate([u[pick], rng.integers(0, n, 3)]),  # plus missing ties
              np.concatenate([v[pick], rng.integers(0, n, 3)]))
    add = (rng.integers(0, n, size), rng.integers(0, n, size))
    add = (np.concatenate([add[0], u[:2], [7]]), np.concatenate([add[1], v[:2], [7]]))
    return remove, add


def _check_same(ref, fast, rng):
    n = ref.n
    for name in ("pairs", "directed"):
        for x, y in zip(getattr(ref, name)(), getattr(fast, name)(), strict=True):
            assert np.array_equal(x, y), name
    u, v = fast.pairs()
    assert (u < v).all(), "undirected, no self-loops"
    assert np.unique(u * n + v).size == u.size, "no duplicates"
    degree = np.bincount(np.concatenate([u, v]), minlength=n)
    assert np.array_equal(degree, fast.degree), "degree = row counts"
    assert np.array_equal(fast.indptr, ref.indptr) and np.array_equal(fast.indices, ref.indices)
    assert fast.n_ties == ref.n_ties == u.size
    nodes = rng.integers(0, n, 40)
    for x, y in zip(ref.incident(nodes), fast.incident(nodes), strict=True):
        assert np.array_equal(x, y), "incident"
    a, b = rng.integers(0, n, 500), rng.integers(0, n, 500)
    a[:50], b[:50] = u[:50], v[:50]
    assert np.array_equal(ref.has_tie(a, b), fast.has_tie(a, b))
    values = rng.integers(350, 951, n).astype(float)
    assert np.array_equal(ref.neighbour_sum(values), fast.neighbour_sum(values))
    rows = rng.integers(0, n, 200)
    k = rng.integers(-1, 12, 200)
    assert np.array_equal(ref.nth_neighbour(rows, k), fast.nth_neighbour(rows, k))
    has = ref.degree[rows] > 0
    cols = ref.nth_neighbour(rows[has], np.zeros(has.sum(), dtype=np.int64) + 1)
    assert np.array_equal(ref.rank_in_row(rows[has], cols), fast.rank_in_row(rows[has], cols))
    for i in nodes[:5].tolist():
        assert np.array_equal(ref.neighbours(i), fast.neighbours(i))
    count, labels = connected_components(ref.csr, directed=False)
    assert fast.component_stats() == ref.component_stats() == (
        count, int(np.bincount(labels).max()))
    assert _same_partition(labels, fast.connectivity.labels())


def _same_partition(a, b):
    pairs = np.unique(np.stack([a, b], axis=1), axis=0)
    return np.unique(pairs[:, 0]).size == pairs.shape[0] == np.unique(pairs[:, 1]).size


@pytest.mark.parametrize(("graph", "batch"), [
    ("sparse random", 15), ("tree", 6), ("dense random", 40)])
def test_bookkeeping_holds_after_thousands_of_removals_and_additions(graph, batch):
    rng = np.random.default_rng(5)
    n = 400
    if graph == "tree":
        g = nx.random_labeled_tree(n, seed=2)  # every cut splits a component
    else:
        g = nx.gnm_random_graph(n, 700 if graph == "sparse random" else 4000, seed=2)
    e = np.array(list(g.edges()), dtype=np.int64)
    ref = TieTable(n, e[:, 0], e[:, 1])
    fast = FastTieTable(n, e[:, 0], e[:, 1], compact_share=0.3)
    removed = added = 0
    for _ in range(150):
        remove, add = _random_batch(rng, n, ref, batch)
        r1 = ref.apply(remove=remove, add=add)
        r2 = fast.apply(remove=remove, add=add)
        assert r1 == r2
        removed, added = removed + r1[0], added + r1[1]
        for x, y in zip(ref.last_removed + ref.last_added,
                        fast.last_removed + fast.last_added, strict=True):
            assert np.array_equal(x, y)
        assert _same_partition(connected_components(ref.csr, directed=False)[1],
                               fast.connectivity.labels())
        assert fast.component_stats() == ref.component_stats()
    _check_same(ref, fast, rng)
    assert removed > 800 and added > 800, "thousands of changes in all"


def test_removing_then_re_adding_a_tie_reuses_its_slot_and_compaction_keeps_answers():
    n = 50
    g = nx.gnm_random_graph(n, 150, seed=1)
    e = np.array(list(g.edges()), dtype=np.int64)
    fast = FastTieTable(n, e[:, 0], e[:, 1], compact_share=10.0)  # never compacts here
    ref = TieTable(n, e[:, 0], e[:, 1])
    u, v = e[:10, 0], e[:10, 1]
    for table in (fast, ref):
        table.apply(remove=(u, v))
        table.apply(add=(v, u))
    assert fast._extra.size == 0, "revived tombstones, nothing in the overflow"
    _check_same(ref, fast, np.random.default_rng(0))
    fast.apply(add=(np.array([0, 1, 2]), np.array([49, 48, 47])))
    ref.apply(add=(np.array([0, 1, 2]), np.array([49, 48, 47])))
    fast._compact()
    assert fast._extra.size == 0 and fast._dead == 0
    _check_same(ref, fast, np.random.default_rng(1))


@pytest.mark.parametrize("graph", ["empty", "sparse random", "forest", "dense random"])
def test_component_labels_with_and_without_a_kept_forest_give_the_components(graph):
    n = 500
    g = {"empty": lambda: nx.empty_graph(n),
         "sparse random": lambda: nx.gnm_random_graph(n, 300, seed=3),
         "forest": lambda: nx.disjoint_union(nx.random_labeled_tree(200, seed=1),
                                             nx.random_labeled_tree(300, seed=2)),
         "dense random": lambda: nx.gnm_random_graph(n, 3000, seed=3)}[graph]()
    e = np.array(list(g.edges()), dtype=np.int64).reshape(-1, 2)
    fast = FastTieTable(n, e[:, 0], e[:, 1])
    want = connected_components(fast.csr, directed=False)[1]
    searched = fast.component_labels()  # no forest kept: one search
    assert fast._connectivity is None and _same_partition(searched, want)
    _, first = np.unique(searched, return_index=True)  # numbered 0, 1, ... by lowest citizen
    assert np.array_equal(np.unique(searched), np.arange(int(want.max()) + 1))
    assert np.all(np.diff(first) > 0)
    fast.component_stats()  # now a forest is kept and its labels are used
    assert fast._connectivity is not None and _same_partition(fast.component_labels(), want)


@pytest.mark.parametrize(("n", "pairs"), [(1, 0), (6, 0), (40, 300), (2000, 9000)])
def test_the_base_is_every_tie_both_ways_sorted_by_citizen_then_friend(n, pairs):
    rng = np.random.default_rng(n)
    u, v = rng.integers(0, n, pairs), rng.integers(0, n, pairs)  # loops and repeats too
    fast = FastTieTable(n, u, v)
    ties = {(min(a, b), max(a, b)) for a, b in zip(u.tolist(), v.tolist(), strict=True)
            if a != b}
    directed = sorted(ties | {(b, a) for a, b in ties})
    assert fast._indices.tolist() == [b for _, b in directed]
    assert fast.degree.tolist() == np.bincount([a for a, _ in directed], minlength=n).tolist()
    assert fast._indptr.tolist() == [0, *np.cumsum(fast.degree).tolist()]
    assert fast._indices.dtype == np.int32


def test_compaction_in_place_equals_a_rebuild_from_the_live_ties():
    rng = np.random.default_rng(8)
    n = 300
    g = nx.gnm_random_graph(n, 1200, seed=4)
    e = np.array(list(g.edges()), dtype=np.int64)
    ref = TieTable(n, e[:, 0], e[:, 1])
    fast = FastTieTable(n, e[:, 0], e[:, 1], compact_share=10.0)  # compacted by hand below
    for _ in range(40):  # tombstones and overflow entries in many rows
        remove, add = _random_batch(rng, n, ref, 30)
        ref.apply(remove=remove, add=add)
        fast.apply(remove=remove, add=add)
    assert fast._dead > 0 and fast._extra.size > 0
    u, v = fast.pairs()
    rebuilt = FastTieTable(n, u, v)
    fast._compact()
    for name in ("_indptr", "_indices", "degree", "_alive", "_extra_rows"):
        got, want = getattr(fast, name), getattr(rebuilt, name)
        assert got.dtype == want.dtype and np.array_equal(got, want), name
    _check_same(ref, fast, rng)
    fast.degree[3] += 1  # degrees that disagree with the ties are caught, not written past
    with pytest.raises(RuntimeError, match="degrees do not match"):
        fast.compact_arrays()


def test_empty_and_edgeless_networks():
    for n in (1, 5):
        fast = FastTieTable(n, [], [])
        assert fast.n_ties == 0 and fast.component_stats() == (n, 1)
        assert fast.apply(remove=([0], [0]), add=([0], [0])) == (0, 0)
        assert fast.neighbour_sum(np.ones(n)).tolist() == [0.0] * n


@pytest.mark.parametrize(("changes", "mostly_updated"), [
    (dict(network_weight=0.0, unfriend_rule="none"), True),  # few scores move a month
    (dict(network_weight=0.5, rewire="random"), False)])  # sums shifted by the tie changes
def test_cached_friend_score_sums_equal_a_fresh_product_every_month(changes, mostly_updated):
    params = Params({**BUSY, "listing_rate": 0.002, **changes})
    engine = ArrayEngine(params, seed=2)
    fresh = engine.ties.neighbour_sum
    products = []
    engine.ties.neighbour_sum = lambda values: products.append(1) or fresh(values)
    for _ in range(params.ticks):
        engine.step()
        assert np.array_equal(engine._friend_sums(), fresh(engine.score))
    if mostly_updated:
        assert len(products) < params.ticks // 2, "most months update the sums, no product"


def test_engine_memory_is_released_without_waiting_for_the_garbage_collector():
    """No reference cycles: at 1.1 million citizens the tie arrays are hundreds of MB."""
    import gc
    import weakref

    engine = ArrayEngine(Params({**BUSY, "rewire": "random", "ticks": 5}), seed=1)
    engine.run()
    data = engine.data()
    gone = [weakref.ref(engine), weakref.ref(engine.ties), weakref.ref(engine.recorder)]
    gc.disable()
    try:
        del engine
        assert all(ref() is None for ref in gone)
    finally:
        gc.enable()
    assert len(data.timeseries) == 6


def test_components_are_recounted_when_not_asked_for_a_while():
    rng = np.random.default_rng(4)
    g = nx.gnm_random_graph(300, 320, seed=4)
    e = np.array(list(g.edges()), dtype=np.int64)
    ref = TieTable(300, e[:, 0], e[:, 1])
    fast = FastTieTable(300, e[:, 0], e[:, 1])
    assert fast.component_stats() == ref.component_stats()
    for step in range(12):
        remove, add = _random_batch(rng, 300, ref, 10)
        ref.apply(remove=remove, add=add)
        fast.apply(remove=remove, add=add)
        if step in (0, 1):
            assert fast._connectivity is not None, "repaired while recently asked"
    assert fast._connectivity is None, "not asked for many batches: bookkeeping dropped"
    assert fast.component_stats() == ref.component_stats()


def _recount(fast):
    count, labels = connected_components(TieTable(fast.n, *fast.pairs()).csr, directed=False)
    return count, int(np.bincount(labels).max())


def test_a_forest_made_deep_by_repairs_is_regrown_and_stays_exact(monkeypatch):
    """Joining two long paths end to end hangs one below the other (depths up to 2 x 100):
    beyond the depth limit the forest is grown afresh (O(ties)); the answers stay exact.
    """
    from spiral.model import connectivity

    monkeypatch.setattr(connectivity, "DEEPER_THAN_GROWN", 1)
    monkeypatch.setattr(connectivity, "MIN_DEPTH_LIMIT", 0)
    n = 200
    u = np.r_[np.arange(99), np.arange(100, 199)]
    fast = FastTieTable(n, u, u + 1)  # two paths of 100 citizens
    assert fast.component_stats() == (2, 100)
    conn = fast.connectivity
    assert conn.regrown == 0 and conn.depth_limit < 100
    fast.apply(add=(np.array([0]), np.array([199])))
    assert conn.regrown == 1 and fast.component_stats() == _recount(fast) == (1, 200)
    fast.apply(remove=(np.array([50, 150]), np.array([51, 151])))
    assert fast.component_stats() == _recount(fast) == (3, 100)


@pytest.mark.parametrize("seed", range(4))
def test_a_batch_that_breaks_a_component_into_many_parts_is_exact(seed):
    """A chain of cliques and a hub tied to every clique: one batch cuts every bridge and
    every tie of the hub, in a random order (each part must find that it stands alone).
    """
    rng = np.random.default_rng(seed)
    cliques = [np.arange(k * 6, k * 6 + 6) for k in range(12)]
    ties = [(a, b) for c in cliques for i, a in enumerate(c) for b in c[i + 1:]]
    bridges = [(c[5], d[0]) for c, d in pairwise(cliques)]
    hub = 72
    spokes = [(hub, int(rng.choice(c))) for c in cliques]
    u, v = np.array(ties + bridges + spokes).T
    fast = FastTieTable(73, u, v)
    assert fast.component_stats() == (1, 73)
    cut = np.array(bridges + spokes)[rng.permutation(len(bridges) + len(spokes))]
    fast.apply(remove=(cut[:, 0], cut[:, 1]), add=(np.array([0]), np.array([13])))
    assert fast.component_stats() == _recount(fast) == (12, 12)  # cliques 0 and 2 joined
    assert _same_partition(connected_components(TieTable(73, *fast.pairs()).csr,
                                                directed=False)[1],
                           fast.connectivity.labels())
