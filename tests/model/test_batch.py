"""The batched engine: several runs as one population, each run exactly as it is alone.

The identity over the parameter table and every rule is in tests/agents/test_driver_identity.py;
here: batch sizes 1, 7 and 64, networks handed in, tracked citizens, the scenario runner and
the refusals.
"""

import networkx as nx
import numpy as np
import pytest
from spiral.experiments.runs.runner import run_scenario
from spiral.experiments.runs.scenario import load_scenario
from spiral.model import ArrayEngine, ParameterError, Params
from spiral.model.batch import BatchEngine

TABLES = ("timeseries", "episodes", "events", "citizens", "initial_ties", "tracked")
BUSY = Params(n_citizens=50, mean_degree=6.0, ticks=12, listing_rate=0.04, hearing_prob=0.8,
              fear_mean=0.8, network_weight=0.5, cohort_share=0.1, cohort_tick=2,
              turnover_rate=0.05)


def assert_same_run(a, b, what: str) -> None:
    for table in TABLES:
        assert getattr(a, table).equals(getattr(b, table)), f"{table} differs: {what}"


def test_batch_sizes_1_7_and_64_give_every_run_the_same_tables():
    seeds = list(range(100, 164))
    runs = {}
    for size in (1, 7, 64):
        for start in range(0, 64 if size == 64 else 7, size):
            batch = BatchEngine(BUSY, seeds=seeds[start:start + size], collect=False)
            batch.run()
            for seed, data in zip(seeds[start:start + size], batch.data(), strict=True):
                runs.setdefault(seed, []).append(data)
    for seed in seeds[:7]:
        alone = ArrayEngine(BUSY, seed=seed, collect=False)
        alone.run()
        lone = alone.data()
        assert len(runs[seed]) == 3
        for data in runs[seed]:
            assert_same_run(lone, data, f"seed {seed}")
    assert len(runs) == 64
    # the runs differ from one another (the batch does not hand one run's draws to all)
    finals = {float(runs[s][-1].timeseries["mean_score"].iloc[-1]) for s in seeds}
    assert len(finals) > 32


def test_networks_of_different_sizes_and_tracked_citizens():
    graphs = [nx.karate_club_graph(), nx.path_graph(12), nx.watts_strogatz_graph(40, 4, 0.1, 7)]
    graphs[1] = nx.relabel_nodes(graphs[1], {k: f"p{k}" for k in range(12)})  # named citizens
    seeds = [1, 2, 3]
    tracks = [(0, 33), (5,), ()]
    params = BUSY.replace(network="karate")
    batch = BatchEngine(params, seeds=seeds, networks=graphs, tracks=tracks)
    batch.run()
    for k, data in enumerate(batch.data()):
        alone = ArrayEngine(params, seed=seeds[k], network=graphs[k], track=tracks[k])
        alone.run()
        assert_same_run(alone.data(), data, f"network {k}")
        assert sorted(set(data.tracked["citizen"])) == sorted(tracks[k])
    assert [net["citizens"] for net in batch.networks] == [34, 12, 40]
    assert batch.data()[1].citizens["label"].tolist()[:2] == ["p0", "p1"]


def test_a_tracked_citizen_outside_its_run_is_refused():
    with pytest.raises(ParameterError, match="track: citizen 50 is not in the run"):
        BatchEngine(BUSY, seeds=[1, 2], tracks=[(50,), (3,)])  # batch id 50: run 1, citizen 0
    with pytest.raises(ParameterError, match="track: citizen -1 is not in the run"):
        ArrayEngine(BUSY, seed=1, track=(-1, 4))


def test_run_scenario_with_seeds_equals_each_seed_alone():
    scenario = load_scenario("zhima-spiral").with_changes(n_citizens=150, ticks=18)
    seeds = [11, 12, 13]
    together = run_scenario(scenario, seeds=seeds, collect=False)
    for seed, result in zip(seeds, together, strict=True):
        alone = run_scenario(scenario, seed=seed, collect=False)
        assert result.summary == alone.summary
        assert result.seed == seed and result.network == alone.network
        assert list(result.variants) == list(alone.variants)
        for name in alone.variants:
            assert_same_run(alone.variants[name], result.variants[name], f"{seed} {name}")
    assert [r.replicate for r in together] == [0, 1, 2]


def test_switching_collection_off_midway_still_matches():
    batch = BatchEngine(BUSY, seeds=[4, 5])
    batch.run(6)
    batch.recorder.collect = False
    batch.run(6)
    alone = ArrayEngine(BUSY, seed=5)
    alone.run(6)
    alone.recorder.collect = False
    alone.run(6)
    assert_same_run(alone.data(), batch.data()[1], "collect switched off")


def test_refusals_name_the_problem():
    with pytest.raises(ParameterError, match="at least one seed"):
        BatchEngine(BUSY, seeds=[])
    with pytest.raises(ParameterError, match="2 networks for 3 seeds"):
        BatchEngine(BUSY, seeds=[1, 2, 3], networks=[nx.path_graph(5)] * 2)
    batch = BatchEngine(BUSY, seeds=[1, 2])
    with pytest.raises(ParameterError, match="single run"):
        batch.list_citizen(0)
    with pytest.raises(ParameterError, match="single run"):
        batch.to_networkx()


def test_a_scripted_listing_outside_one_run_is_refused_not_moved_to_the_next():
    from spiral.model import ScriptedListing
    from spiral.model.errors import InputError

    with pytest.raises(InputError, match="citizen 60"):
        BatchEngine(BUSY, seeds=[1, 2], listings=[ScriptedListing(60, 2)])
    assert np.all(BatchEngine(BUSY, seeds=[1]).block_of == 0)


def _built(data, name: str) -> bool:
    return not callable(data._tables[name])


def test_events_are_built_when_read_and_are_those_of_the_month_data_was_called():
    batch = BatchEngine(BUSY, seeds=[5, 6])
    batch.run(6)
    early = batch.data()
    alone = ArrayEngine(BUSY, seed=6)
    alone.run(6)
    lone = alone.data()
    assert not _built(early[1], "events") and not _built(lone, "events")
    batch.run(6)  # the run goes on: tables taken before keep their month
    alone.run(6)
    assert early[1].events.equals(lone.events) and len(early[1].events) > 0
    assert int(early[1].events["tick"].max()) == 6 and _built(early[1], "events")
    assert early[1].initial_ties.equals(lone.initial_ties)
    final = batch.data()[1]
    assert int(final.events["tick"].max()) == 12
    assert final.events.equals(alone.data().events)


def test_pickled_tables_carry_every_table_built():
    import pickle

    batch = BatchEngine(BUSY, seeds=[5, 6])
    batch.run()
    data = batch.data()[0]
    copy = pickle.loads(pickle.dumps(data))
    assert all(_built(copy, name) for name in TABLES)
    assert "<not built>" not in repr(copy) and "<not built>" in repr(batch.data()[1])
    assert_same_run(copy, data, "pickled")
