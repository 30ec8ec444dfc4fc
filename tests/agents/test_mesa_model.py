"""SpiralModel behaves like a Mesa model: seeds, keyword construction, running, data."""

import gc
import weakref

import mesa
import numpy as np
import pytest
from spiral.agents import SpiralModel
from spiral.model import ArrayEngine, ParameterError, Params

SMALL = dict(n_citizens=60, mean_degree=6.0, ticks=4, listing_rate=0.02)


def test_rng_accepts_none_int_and_generator_like_mesa():
    a = SpiralModel(rng=5, **SMALL)
    b = SpiralModel(seed=5, **SMALL)
    assert a.seed == b.seed == 5
    g1 = SpiralModel(rng=np.random.default_rng(1), **SMALL)
    g2 = SpiralModel(rng=np.random.default_rng(1), **SMALL)
    assert g1.seed == g2.seed  # drawn from the generator, reproducibly
    fresh = SpiralModel(**SMALL)
    assert 0 <= fresh.seed < 2**63
    with pytest.raises(ValueError, match="either rng or seed"):
        SpiralModel(rng=1, seed=1, **SMALL)
    with pytest.raises(TypeError):
        SpiralModel(rng="7", **SMALL)
    # the engine names the seed the same way
    assert ArrayEngine(rng=5, **SMALL).seed == ArrayEngine(seed=5, **SMALL).seed == 5


def test_flat_keyword_arguments_build_the_parameters():
    model = SpiralModel(n_citizens=80, fear_mean=0.7, rng=1)
    assert model.params.n_citizens == 80 and model.params.fear_mean == 0.7
    merged = SpiralModel(Params(n_citizens=80), fear_mean=0.9, rng=1)
    assert merged.params.n_citizens == 80 and merged.params.fear_mean == 0.9
    with pytest.raises(ParameterError, match="fear_mean"):
        SpiralModel(fear_mean=2.0, rng=1)


def test_running_turns_false_after_ticks_so_run_model_returns():
    model = SpiralModel(rng=2, **SMALL)
    model.run_model()
    assert model.tick == SMALL["ticks"] and not model.running
    assert not SpiralModel(rng=2, **{**SMALL, "ticks": 0}).running


def test_agent_reporters_out_of_the_box_and_switchable():
    model = SpiralModel(rng=3, **SMALL)
    model.run_model()
    agents = model.datacollector.get_agent_vars_dataframe()
    assert list(agents.columns) == ["score", "degree", "listed", "grade"]
    assert len(agents) == SMALL["n_citizens"] * (SMALL["ticks"] + 1)
    last = agents.xs(SMALL["ticks"], level="Step")
    assert last["score"].tolist() == [c.score for c in model.citizens]
    off = SpiralModel(rng=3, agent_data=False, **SMALL)
    off.step()
    assert off.datacollector.agent_reporters == {}


def test_batch_run_builds_and_runs_the_model():
    rows = mesa.batch_run(SpiralModel, parameters={"n_citizens": 50, "ticks": 3,
                                                   "fear_mean": [0.2, 0.8]},
                          rng=[1, 2], max_steps=10, number_processes=1,
                          data_collection_period=-1, display_progress=False)
    # one row per run and citizen (agent reporters), at the last month: run_model stopped
    assert len(rows) == 2 * 2 * 50
    assert {r["fear_mean"] for r in rows} == {0.2, 0.8}
    assert all(r["Step"] == 3 for r in rows)
    assert all("mean_score" in r and "score" in r for r in rows)


@pytest.mark.parametrize("driver", ["mesa", "engine"])
def test_listing_between_steps_counts_from_the_next_month(driver):
    params = Params(**{**SMALL, "listing_rate": 0.0, "ticks": 6})
    model = SpiralModel(params, rng=4) if driver == "mesa" else ArrayEngine(params, rng=4)
    model.step()
    model.step()
    before = float(model.citizens[9].score if driver == "mesa" else model.score[9])
    model.list_citizen(9)
    with pytest.raises(ParameterError, match="already listed"):
        model.list_citizen(9)
    for _ in range(3):
        model.step()
    episode = model.data().episodes
    assert episode["listing_tick"].unique().tolist() == [3]
    assert episode["tick"].tolist() == [2, 3, 4, 5]
    assert episode["score"].iloc[0] == before
    assert episode["listed"].tolist() == [False, True, True, True]


def test_both_drivers_agree_after_a_listing_between_steps():
    params = Params(**{**SMALL, "ticks": 6})
    model, engine = SpiralModel(params, rng=8), ArrayEngine(params, rng=8)
    for driver in (model, engine):
        driver.step()
        driver.list_citizen(5, wrongful=True)
        for _ in range(4):
            driver.step()
    a, b = engine.snapshot(), model.snapshot()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert engine.data().episodes.equals(model.data().episodes)


def test_a_finished_model_is_freed():
    model = SpiralModel(rng=1, **SMALL)
    model.run_model()
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None
