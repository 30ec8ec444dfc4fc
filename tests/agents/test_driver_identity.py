"""The drivers are one model: Mesa agents (synchronous), the array engine and the batched
engine (several runs as one population) agree exactly.

Parameter sets are drawn from the parameter table's declared ranges and choices (Hypothesis,
derandomised in CI; set SPIRAL_HYPOTHESIS_EXAMPLES for a longer search), plus a grid over every
unfriending rule x rewiring mode x stigma rule. Draws are biased so that most runs list,
hear, cut and rewire.
"""

import itertools
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from spiral.agents import SpiralModel
from spiral.model import PARAMS, ArrayEngine, ParameterError, Params, ScriptedListing
from spiral.model.batch import BatchEngine

EXAMPLES = int(os.environ.get("SPIRAL_HYPOTHESIS_EXAMPLES", "20"))
NETWORKS = ("erdos_renyi", "watts_strogatz", "barabasi_albert", "block", "karate")

# Ranges narrowed (inside the table's) so runs are busy and small; every other parameter is
# drawn from its full declared range or choices.
BUSY = {
    "n_citizens": st.integers(30, 300), "ticks": st.integers(12, 36),
    "mean_degree": st.sampled_from([2.0, 4.0, 6.0, 8.0]),
    "listing_rate": st.floats(0.005, 0.08), "wrongful_rate": st.floats(0.0, 0.03),
    "hearing_prob": st.floats(0.2, 1.0), "unfriend_rate": st.floats(0.2, 1.0),
    "fear_mean": st.floats(0.2, 1.0), "network_weight": st.floats(0.0, 0.9),
    "cohort_share": st.floats(0.0, 0.2), "cohort_tick": st.integers(1, 10),
    "initial_stigma_share": st.floats(0.0, 0.6), "stigma_spread": st.floats(0.0, 0.3),
    "stigma_fade": st.floats(0.0, 0.3), "rewire_attempts": st.integers(1, 6),
    "n_communities": st.integers(1, 8), "network": st.sampled_from(NETWORKS),
    "fear_concentration": st.floats(0.5, 50.0),
    "drunk_driving_rate": st.floats(0.0, 0.2), "bribery_rate": st.floats(0.0, 0.2),
    "elder_care_rate": st.floats(0.0, 0.3), "help_poor_rate": st.floats(0.0, 0.3),
    "initial_points": st.integers(0, 5000), "lingering_months": st.integers(1, 60),
    "term_months": st.integers(1, 30),
}
SKIP = {"network_file"}


def _strategy(param):
    if param.name in BUSY:
        return BUSY[param.name]
    if param.kind == "choice":
        return st.sampled_from(param.choices)
    if param.kind == "bool":
        return st.booleans()
    if param.kind == "int":
        return st.integers(int(param.low), int(param.high))
    return st.floats(param.low, param.high, allow_nan=False)


@st.composite
def parameter_sets(draw):
    values = {name: draw(_strategy(p)) for name, p in PARAMS.items() if name not in SKIP}
    try:
        return Params(values)
    except ParameterError:
        assume(False)


def assert_identical(params: Params, listings=(), seed: int = 3) -> tuple[ArrayEngine, int]:
    engine = ArrayEngine(params, seed=seed, listings=listings)
    model = SpiralModel(params, rng=seed, listings=listings)
    for tick in range(1, params.ticks + 1):
        engine.step()
        model.step()
        a, b = engine.snapshot(), model.snapshot()
        for key in a:
            assert np.array_equal(a[key], b[key]), f"{key} differs at tick {tick}: {params!r}"
    da, db = engine.data(), model.data()
    for table in ("timeseries", "episodes", "events", "citizens"):
        assert getattr(da, table).equals(getattr(db, table)), f"{table} differs: {params!r}"
    assert engine.rewire_failures == model.rewire_failures
    return engine, len(da.events)


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(params=parameter_sets(), scripted_citizen=st.integers(0, 29), twice=st.booleans())
def test_drivers_identical_over_the_parameter_table(params, scripted_citizen, twice):
    # a scripted listing, and (sometimes) a second one of the same citizen while listed
    listings = [ScriptedListing(scripted_citizen, 2, wrongful=twice)]
    if twice:
        listings.append(ScriptedListing(scripted_citizen, 4))
    assert_identical(params, listings)


RULE_GRID = list(itertools.product(("channels", "listed", "grade", "strategic", "threshold", "none"),
                                   ("none", "random", "friend_of_friend", "homophily"),
                                   ("none", "threshold", "contagion")))


@pytest.mark.parametrize(("rule", "rewire", "stigma"), RULE_GRID)
def test_drivers_identical_for_every_rule_combination(rule, rewire, stigma):
    params = Params(n_citizens=60, mean_degree=6.0, ticks=14, listing_rate=0.03,
                    wrongful_rate=0.01, hearing_prob=0.6, unfriend_rate=0.8, fear_mean=0.7,
                    network_weight=0.5, unfriend_rule=rule, rewire=rewire, stigma_rule=stigma,
                    risky_grade="C", unfriend_threshold=0.1, stigma_threshold=0.1,
                    stigma_spread=0.1, stigma_fade=0.1, initial_stigma_share=0.05,
                    cohort_share=0.1, cohort_tick=3, cohort_wrongful=True,
                    denied_services=rule != "grade")
    _, events = assert_identical(params, [ScriptedListing(0, 2), ScriptedListing(0, 5)])
    assert events > 0


@pytest.mark.parametrize("stigmatised", [1.0, 0.0])
def test_exhausted_rewiring_pool_is_identical_and_counted(stigmatised):
    """No unmarked citizen to befriend (everyone stigmatised), or only bad candidates."""
    params = Params(n_citizens=30, mean_degree=8.0, ticks=12, unfriend_rule="grade",
                    risky_grade="A", rewire="random", rewire_attempts=1, fear_mean=1.0,
                    unfriend_rate=1.0, initial_stigma_share=stigmatised)
    engine, _ = assert_identical(params)
    assert engine.rewire_failures > 0


def test_the_property_test_is_not_vacuous():
    """Most drawn parameter sets really cut and rewire ties."""
    busy = 0
    for values in ({"unfriend_rule": r, "rewire": w} for r in ("listed", "grade", "strategic")
                   for w in ("random", "friend_of_friend")):
        engine = ArrayEngine(Params(n_citizens=100, ticks=20, listing_rate=0.03,
                                    hearing_prob=0.8, unfriend_rate=0.8, fear_mean=0.8,
                                    network_weight=0.5, risky_grade="C", **values), seed=1)
        engine.run()
        kinds = set(engine.data().events["event"])
        busy += {"cut", "rewire"} <= kinds
    assert busy >= 5


def assert_batch_identical(params: Params, seeds=(3, 4, 5), listings=()) -> BatchEngine:
    """A batch of ``seeds`` gives each run exactly what it gives alone (state and tables)."""
    batch = BatchEngine(params, seeds=seeds, listings=listings, collect=True)
    batch.run()
    for seed, data, snap, failures in zip(seeds, batch.data(), batch.snapshots(),
                                          batch.failures_by_run, strict=True):
        alone = ArrayEngine(params, seed=seed, listings=listings)
        alone.run()
        for key, value in alone.snapshot().items():
            assert np.array_equal(value, snap[key]), f"{key} differs, seed {seed}: {params!r}"
        lone = alone.data()
        for table in ("timeseries", "episodes", "events", "citizens", "initial_ties", "tracked"):
            assert getattr(lone, table).equals(getattr(data, table)), \
                f"{table} differs, seed {seed}: {params!r}"
        assert alone.rewire_failures == failures
    return batch


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(params=parameter_sets(), scripted_citizen=st.integers(0, 29))
def test_batched_engine_identical_over_the_parameter_table(params, scripted_citizen):
    assert_batch_identical(params, listings=[ScriptedListing(scripted_citizen, 2)])


@pytest.mark.parametrize(("rule", "rewire", "stigma"),
                         [c for c in RULE_GRID if c[2] != "threshold"])
def test_batched_engine_identical_for_every_rule_and_rewiring(rule, rewire, stigma):
    params = Params(n_citizens=60, mean_degree=6.0, ticks=14, listing_rate=0.03,
                    wrongful_rate=0.01, hearing_prob=0.6, unfriend_rate=0.8, fear_mean=0.7,
                    network_weight=0.5, unfriend_rule=rule, rewire=rewire, stigma_rule=stigma,
                    risky_grade="C", unfriend_threshold=0.1, stigma_spread=0.1,
                    stigma_fade=0.1, initial_stigma_share=0.05, cohort_share=0.1,
                    cohort_tick=3, cohort_wrongful=True)
    batch = assert_batch_identical(params, listings=[ScriptedListing(0, 2)])
    assert len(batch.data()[0].events) > 0  # the runs did something


def test_batched_engine_exhausted_pool_in_one_run_only():
    """Random rewiring draws strangers from the dropper's own run: a run whose citizens are
    all stigmatised fails its rewiring even though the other runs have strangers to offer.
    """
    params = Params(n_citizens=30, mean_degree=8.0, ticks=12, unfriend_rule="grade",
                    risky_grade="A", rewire="random", rewire_attempts=1, fear_mean=1.0,
                    unfriend_rate=1.0, initial_stigma_share=0.5)
    batch = assert_batch_identical(params, seeds=(1, 2, 3, 4))
    assert batch.failures_by_run.sum() > 0
