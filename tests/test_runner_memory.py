"""Compact tables: narrow in memory, canonical in files, and the measures unchanged by either.

The recorder holds its big tables in 32-bit / float32 columns (exact for whole-number scores)
and the runner writes them widened to int64 / float64; the measures and the spiral figure
number listing episodes instead of joining tables. These tests pin that the dtypes change
nothing a user sees: files, measures (also on shuffled and widened tables) and figure bands.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from spiral.experiments import measures
from spiral.experiments.runs.runner import run_scenario, write_results
from spiral.experiments.runs.scenario import load_scenario
from spiral.model.records import RunData, widened

TABLES = ("timeseries", "episodes", "events", "citizens", "initial_ties", "tracked")


@pytest.fixture(scope="module")
def result():
    scenario = load_scenario("zhima-spiral").with_changes(n_citizens=400, ticks=40)
    return run_scenario(scenario, seed=11)


def _widened(data: RunData) -> RunData:
    return RunData(*(widened(getattr(data, name)) for name in TABLES))


def _summarise(variants: dict[str, RunData], scenario) -> dict:
    return measures.summarise_run(variants, main=scenario.main_variant,
                                  baseline=scenario.baseline_variant)


def test_big_tables_are_held_narrow(result):
    listed, citizens = result.data.episodes, result.data.citizens
    assert len(listed) > 0
    for column in ("citizen", "listing_tick", "tick", "months_since_listing", "contacts",
                   "delisting_tick"):
        assert listed[column].dtype == np.int32, column
    assert listed["score"].dtype == np.float32
    assert citizens["hops_to_listed"].dtype == np.int8
    assert result.data.initial_ties["u"].dtype == np.int32
    # one copy for every variant
    assert all(v.initial_ties is result.data.initial_ties for v in result.variants.values())


def test_files_and_tables_are_in_canonical_dtypes_with_the_same_values(result, tmp_path):
    out = write_results(result, tmp_path / "run", figures=False)
    tables = result.tables()
    for name in ("timeseries", "episodes", "events", "citizens", "initial_ties"):
        table = tables[name]
        assert not any(d.kind in "iuf" and d.itemsize < 8 for d in table.dtypes), name
        stored = pd.read_parquet(out / f"{name}.parquet")
        # the files lead with the replicate (0: the run of the given seed)
        assert stored.columns[0] == "replicate" and (stored["replicate"] == 0).all(), name
        assert stored["replicate"].dtype == np.int64
        stored = stored.drop(columns="replicate")
        pd.testing.assert_frame_equal(stored, table, check_dtype=True)
        from_csv = pd.read_csv(out / f"{name}.csv", keep_default_na=False)
        assert (from_csv.pop("replicate") == 0).all(), name
        numeric = [c for c, d in table.dtypes.items() if d.kind in "iuf"]
        pd.testing.assert_frame_equal(from_csv[numeric], table[numeric], check_dtype=True)
    listed = tables["episodes"]
    narrow = result.data.episodes
    assert result.scenario.main_variant == "spiral"
    main = listed[listed["variant"] == "spiral"].drop(columns="variant")
    assert np.array_equal(main["score"].to_numpy(), narrow["score"].to_numpy())
    assert set(listed["variant"]) == set(result.variants) - {"unlisted"}  # no episodes there


def test_measures_are_the_same_on_narrow_widened_and_shuffled_tables(result):
    scenario = result.scenario
    summary = _summarise(result.variants, scenario)
    assert summary == result.summary
    assert summary["score_loss_12m__spiral"] is not None  # against the unlisted twin
    wide = {name: _widened(data) for name, data in result.variants.items()}
    assert _summarise(wide, scenario) == summary
    rng = np.random.default_rng(3)
    shuffled = dict(wide)
    for name in (scenario.main_variant, scenario.baseline_variant, "unlisted"):
        data = shuffled[name] = _widened(result.variants[name])
        for table in ("episodes", "citizens", "tracked"):
            frame = getattr(data, table)
            setattr(data, table, frame.iloc[rng.permutation(len(frame))])
    assert _summarise(shuffled, scenario) == summary
    by_citizen = result.data.episodes.sort_values(["citizen", "listing_tick", "tick"])
    episodes = measures.Episodes(by_citizen)
    assert episodes.count == summary["listing_episodes__spiral"]
    assert measures.isolation(by_citizen) == measures.isolation(result.data.episodes)


def test_score_loss_matches_a_plain_join(result):
    listed = widened(result.data.episodes)
    keys = ["citizen", "listing_tick"]
    before = listed[listed["months_since_listing"] == -1].set_index(keys)["score"]
    for horizon in (1, 6, 12):
        after = listed[listed["months_since_listing"] == horizon].set_index(keys)["score"]
        joined = before.to_frame("before").join(after.rename("after"), how="inner")
        expected = (joined["before"] - joined["after"]).mean()
        assert measures.score_loss(result.data.episodes, horizon) == pytest.approx(expected,
                                                                                   abs=0)
        if horizon in measures.HORIZONS:  # the summary's before/after loss is score_drop
            assert result.summary[f"score_drop_{horizon}m__spiral"] == round(expected, 6)
    # score_loss: against the same citizen in the unlisted twin, the same month
    twin = widened(result.variants["unlisted"].tracked).set_index(["citizen", "tick"])["score"]
    for horizon in measures.HORIZONS:
        rows = listed[listed["months_since_listing"] == horizon]
        if rows.empty:
            continue
        lost = twin.loc[list(zip(rows["citizen"], rows["tick"], strict=True))].to_numpy() \
            - rows["score"].to_numpy()
        assert result.summary[f"score_loss_{horizon}m__spiral"] == round(lost.mean(), 6)


def test_spiral_bands_same_for_stacked_and_per_variant_tables(result):
    per_variant = {name: data.episodes for name, data in result.variants.items()}
    stacked = result.tables()["episodes"]
    metrics = ("score", "score_change", "contacts")
    by_name = measures.percentiles_since_listing(per_variant, metrics=metrics)
    assert len(by_name) > 0
    pd.testing.assert_frame_equal(
        by_name, measures.percentiles_since_listing(stacked, metrics=metrics))
    # every variant with listing episodes, in name order (the unlisted twin has none)
    assert list(by_name["variant"].unique()) == sorted(set(result.variants) - {"unlisted"})
    first = by_name[by_name["metric"] == "score_change"].iloc[0]
    assert (first["variant"], first["months_since_listing"]) == ("chain", -1)
    assert first["median"] == 0.0  # the month before the listing is the baseline


def test_float32_scores_are_summed_in_float64():
    # pandas averages float32 in float32: about 7 significant digits, fewer than the 6 decimals
    # of a summary
    rng = np.random.default_rng(5)
    n = 50_000
    citizens = pd.DataFrame({
        "citizen": np.arange(n, dtype=np.int32),
        "initial_score": rng.integers(850, 950, n).astype(np.float32),
        "final_score": rng.integers(300, 950, n).astype(np.float32),
        "initial_contacts": rng.integers(0, 20, n).astype(np.int32),
        "final_contacts": rng.integers(0, 20, n).astype(np.int32),
        "final_grade": np.array(["A", "B", "C", "D"])[rng.integers(0, 4, n)],
        "ever_listed": rng.random(n) < 0.01, "friend_of_listed": rng.random(n) < 0.5,
        "hops_to_listed": rng.integers(1, 8, n).astype(np.int8)})
    assert citizens["final_score"].mean() != widened(citizens)["final_score"].mean()
    out = measures.spillover(citizens)
    assert out == measures.spillover(widened(citizens))
    others = citizens[~citizens["ever_listed"] & ~citizens["friend_of_listed"]]
    whole = (others["final_score"].astype(int) - others["initial_score"].astype(int)).sum()
    assert out["others_score_change"] == int(whole) / len(others)  # exact sum, one rounding
    other = citizens.assign(final_score=citizens["initial_score"])
    assert measures.paired_spillover(citizens, other) == \
        measures.paired_spillover(widened(citizens), widened(other))
