"""The compiled kernels: threads change nothing, draws match the reference mixer, the
component forest stays exact under random cuts and joins on many kinds of graph.
"""

import contextlib

import networkx as nx
import numba
import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components
from spiral.model import ArrayEngine, Params, draws, threads
from spiral.model.draws import Phase, phase_key, run_key, uniform, uniform_from
from spiral.model.fast_ties import FastTieTable
from spiral.model.ties import TieTable

BUSY = dict(n_citizens=3_000, mean_degree=8.0, listing_rate=0.01, hearing_prob=0.6,
            unfriend_rate=0.6, fear_mean=0.6, turnover_rate=0.05, reconnect_rate=0.3,
            rewire="friend_of_friend", ticks=15)


def _run(monkeypatch, parallel_from: int):
    monkeypatch.setattr(threads, "PARALLEL_FROM", parallel_from)
    engine = ArrayEngine(Params(BUSY), seed=8)
    engine.run()
    return engine.snapshot(), engine.data()


def test_every_kernel_threaded_or_not_gives_the_same_run(monkeypatch):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba may use only one thread here (NUMBA_NUM_THREADS=1)")
    numba.set_num_threads(2)
    threaded = _run(monkeypatch, 1)  # every kernel call on two threads
    alone = _run(monkeypatch, 2**62)  # every kernel call on one
    for key, value in threaded[0].items():
        assert np.array_equal(value, alone[0][key]), key
    for table in ("timeseries", "episodes", "events", "citizens"):
        assert getattr(threaded[1], table).equals(getattr(alone[1], table)), table
    assert len(threaded[1].events) > 100, "the run must change many ties"


def test_array_draws_equal_the_python_mixer_one_by_one_on_both_paths(monkeypatch):
    key = run_key(99)
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 2**40, 50), rng.integers(0, 2**40, 50)
    slots = np.arange(3)
    for parallel_from in (1, 2**62):
        monkeypatch.setattr(threads, "PARALLEL_FROM", parallel_from)
        u = uniform(key, Phase.CLOSURE, 5, a[:, None], b[:, None], slots[None, :])
        expected = [[uniform(key, Phase.CLOSURE, 5, int(x), int(y), int(s)) for s in slots]
                    for x, y in zip(a, b, strict=True)]
        assert u.shape == (50, 3) and u.tolist() == expected
        starts = draws.phase_keys(np.array([run_key(1), run_key(2)], dtype=np.uint64),
                                  Phase.HEARING, 4)
        assert starts.tolist() == [phase_key(run_key(r), Phase.HEARING, 4) for r in (1, 2)]
        assert uniform_from(starts[:, None], a[None, :5]).tolist() == [
            [uniform(run_key(r), Phase.HEARING, 4, int(x)) for x in a[:5]] for r in (1, 2)]


def _same_partition(a, b):
    pairs = np.unique(np.stack([a, b], axis=1), axis=0)
    return np.unique(pairs[:, 0]).size == pairs.shape[0] == np.unique(pairs[:, 1]).size


@pytest.mark.parametrize("kind", ["tree", "path", "sparse", "small world"])
def test_components_stay_exact_under_random_batches_of_cuts_and_joins(kind):
    """Batches from a few ties up to every tie at once, with new ties among them."""
    rng = np.random.default_rng(7)
    for trial in range(15):
        n = int(rng.integers(2, 150))
        if kind == "tree":
            graph = nx.random_labeled_tree(n, seed=trial)
        elif kind == "path":
            graph = nx.path_graph(n)
        elif kind == "sparse":
            graph = nx.gnm_random_graph(n, int(n * rng.uniform(0.5, 3)), seed=trial)
        else:
            graph = nx.connected_watts_strogatz_graph(max(n, 5), 4, 0.1, seed=trial)
        n = graph.number_of_nodes()
        e = np.array(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
        fast = FastTieTable(n, e[:, 0], e[:, 1], compact_share=float(rng.choice([0.02, 10])))
        fast.component_stats()
        for _ in range(20):
            u, v = fast.pairs()
            cut = rng.choice(u.size, size=int(rng.integers(0, u.size + 1)), replace=False)
            new = int(rng.integers(0, 6))
            fast.apply(remove=(u[cut], v[cut]),
                       add=(rng.integers(0, n, new), rng.integers(0, n, new)))
            reference = TieTable(n, *fast.pairs())
            _, labels = connected_components(reference.csr, directed=False)
            assert fast.component_stats() == reference.component_stats()
            assert _same_partition(labels, fast.connectivity.labels())


def test_sweep_workers_run_kernels_on_one_thread():
    import threading

    from spiral.experiments.sweeps.tasks import execute_in_worker

    seen = []

    def worker():
        with contextlib.suppress(Exception):  # not a task: fails after the thread setting
            execute_in_worker(object())
        seen.extend([numba.get_num_threads(), threads.parallel(2**40)])

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [1, False], "one thread, and no parallel region started at all"
