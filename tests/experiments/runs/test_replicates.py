"""Replicates: intervals computed right, replicate k reproducible alone, bad counts refused."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from spiral.experiments.runs.replicates import run_replicates, summary_table
from spiral.experiments.runs.scenario import load_scenario
from spiral.model.streams import replicate_seed

SMALL = load_scenario("zhima-spiral").with_changes(n_citizens=300, ticks=30, cohort_share=0.05)


@pytest.fixture(scope="module")
def runs():
    return run_replicates(SMALL.with_variants(["unlisted", "penalty", "spiral"]), seed=9,
                          replicates=4)


def test_replicate_seeds_and_networks(runs):
    seeds = [r.seed for r in runs.results]
    assert seeds == [9, *[replicate_seed(9, k) for k in (1, 2, 3)]]
    assert len(set(seeds)) == 4
    ties = {r.network["ties"] for r in runs.results}
    assert len(ties) >= 1 and all(r.network["citizens"] == 300 for r in runs.results)


def test_intervals_match_a_direct_computation(runs):
    table = runs.summary
    for key in ("score_loss_12m__spiral", "score_loss_12m__spiral-penalty",
                "contact_loss_12m__spiral"):
        measure, label = key.split("__")
        values = np.array([r.summary[key] for r in runs.results], dtype=float)
        row = table[(table["measure"] == measure) & (table["variant"] == label)].iloc[0]
        half = stats.t.ppf(0.975, 3) * values.std(ddof=1) / 2.0
        assert row["n"] == 4
        assert row["mean"] == pytest.approx(values.mean())
        assert row["sd"] == pytest.approx(values.std(ddof=1))
        assert row["ci_low"] == pytest.approx(values.mean() - half)
        assert row["ci_high"] == pytest.approx(values.mean() + half)


def test_contrasts_are_paired_within_replicates(runs):
    for r in runs.results:
        s = r.summary
        assert s["score_loss_12m__spiral-penalty"] == pytest.approx(
            s["score_loss_12m__spiral"] - s["score_loss_12m__penalty"], abs=2e-6)


def test_replicate_k_alone_is_identical(runs):
    alone = run_replicates(SMALL.with_variants(["unlisted", "penalty", "spiral"]), seed=9,
                           replicates=4, only=2).results[0]
    assert alone.replicate == 2 and alone.seed == runs.results[2].seed
    assert alone.summary == runs.results[2].summary
    assert alone.data.events.equals(runs.results[2].data.events)


def test_worker_count_does_not_change_results(runs):
    two = run_replicates(SMALL.with_variants(["unlisted", "penalty", "spiral"]), seed=9,
                         replicates=4, workers=2)
    assert [r.summary for r in two.results] == [r.summary for r in runs.results]


def test_summary_table_skips_missing_values():
    table = summary_table([{"score_loss_12m__spiral": 1.0}, {"score_loss_12m__spiral": None},
                           {"score_loss_12m__spiral": 3.0}])
    row = table.iloc[0]
    assert row["n"] == 2 and row["mean"] == 2.0


def _spiral(*args, cwd):
    return subprocess.run([sys.executable, "-m", "spiral.experiments.cli", "run", *args],
                          capture_output=True, text=True, timeout=300, check=False, cwd=cwd)


@pytest.mark.parametrize("args", [["--replicates", "0"], ["--replicates", "-1"],
                                  ["--replicates", "abc"], ["--workers", "0"],
                                  ["--variants", "spiral,nonsense"],
                                  ["--set", "n_citizens=inf"]])
def test_bad_run_options_are_one_line_and_write_nothing(tmp_path, args):
    proc = _spiral(*args, "--out", "out", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    field = args[0].lstrip("-").split("=")[0] if args[0] != "--set" else "n_citizens"
    assert field in proc.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "results").exists()


def test_run_with_replicates_writes_the_summary(tmp_path):
    proc = _spiral("--replicates", "3", "--set", "n_citizens=300", "--set", "ticks=26",
                   "--out", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert list(table.columns) == ["measure", "variant", "n", "mean", "sd", "ci_low", "ci_high"]
    labels = set(table["variant"])
    assert {"unlisted", "penalty", "spiral", "chain", "spiral-penalty", "shapley-F"} <= labels
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["replicates"][0]["seed_text"] == "42"
    assert "spiral - penalty" in proc.stdout and "rough" in proc.stdout
    listed = pd.read_csv(tmp_path / "out" / "episodes.csv")
    assert set(listed["replicate"]) == {0, 1, 2}


def test_track_follows_the_named_citizens_and_refuses_strangers(tmp_path):
    proc = _spiral("--replicates", "1", "--set", "n_citizens=200", "--set", "ticks=14",
                   "--variants", "penalty,spiral", "--track", "3,17", "--out", "out",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    tracked = pd.read_csv(tmp_path / "out" / "tracked.csv")
    assert set(tracked["citizen"]) == {3, 17} and set(tracked["variant"]) == {"penalty",
                                                                               "spiral"}
    bad = _spiral("--track", "3,999", "--set", "n_citizens=200", "--out", "o2", cwd=tmp_path)
    assert bad.returncode == 2 and "citizen 999" in bad.stderr
    assert bad.stderr.strip().count("\n") == 0 and not (tmp_path / "o2").exists()
