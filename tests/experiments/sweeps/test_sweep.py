"""Sweeps: designs, seeds, identical results for any worker count or Dask, kill and resume,
tables with confidence intervals, and one clear error for bad sweep files.
"""

from __future__ import annotations

import gc
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from spiral.experiments import cli
from spiral.experiments.sweeps.records import finished_runs
from spiral.experiments.sweeps.spec import SweepError, load_sweep
from spiral.experiments.sweeps.sweep import run_sweep
from spiral.model.engine import ArrayEngine
from spiral.model.streams import run_seed

TINY = """
name = "tiny"
scenario = "zhima-spiral"
design = "grid"
replicates = 2
seed = 7

[fixed]
n_citizens = 150
ticks = 26
cohort_share = 0.05

[parameters]
fear_mean = { low = 0.2, high = 0.8, steps = 2 }
network_weight = { values = [0.0, 0.5] }
"""

SWEEPS = Path(__file__).resolve().parents[3] / "experiments" / "sweeps"


def write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The tiny sweep run once in this process (one worker)."""
    folder = tmp_path_factory.mktemp("reference")
    return run_sweep(write(folder, TINY), folder / "out", show_progress=False)


def test_grid_runs_every_point_and_replicate_with_derived_seeds(reference):
    runs = reference.runs
    assert len(runs) == 8
    assert list(zip(runs["point"], runs["replicate"], strict=True)) == [
        (p, r) for p in range(4) for r in range(2)]
    assert list(runs["seed"]) == [run_seed(7, p, r) for p in range(4) for r in range(2)]
    assert sorted(set(zip(runs["fear_mean"], runs["network_weight"], strict=True))) == [
        (0.2, 0.0), (0.2, 0.5), (0.8, 0.0), (0.8, 0.5)]
    # network_weight varies, so the default variants leave out penalty (it sets the weight)
    assert not any(c.endswith("__penalty") for c in runs.columns)
    loss = "score_loss_12m__spiral"
    assert runs.loc[runs["network_weight"] == 0.5, loss].mean() > \
        runs.loc[runs["network_weight"] == 0, loss].mean()


def test_outputs_and_manifest(reference):
    out = reference.out
    for name in ("sweep.json", "sweep.toml", "points.csv", "runs.csv", "runs.parquet",
                 "summary.csv"):
        assert (out / name).is_file(), name
    assert len(finished_runs(out)) == 8
    assert [p.name for p in (out / "records").iterdir()] == ["records-0000.jsonl"]
    assert not (out / "tables").exists()  # per-run tables only when asked
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["design"] == "grid" and manifest["n_runs"] == 8
    assert manifest["sweep_seed"] == 7 and len(manifest["runs"]) == 8
    assert "numpy" in manifest["versions"] and manifest["complete"] is True
    parquet = pd.read_parquet(out / "runs.parquet")
    assert parquet.shape == reference.runs.shape


def test_summary_has_means_and_t_intervals(reference):
    summary = pd.read_csv(reference.out / "summary.csv")
    assert {"point", "fear_mean", "network_weight", "measure", "n", "mean", "ci_low",
            "ci_high"} <= set(summary.columns)
    row = summary[(summary["point"] == 3) & (summary["measure"] == "ties_lost_share__spiral")].iloc[0]
    values = reference.runs.loc[reference.runs["point"] == 3, "ties_lost_share__spiral"].to_numpy()
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    assert row["n"] == 2
    assert row["mean"] == pytest.approx(values.mean())
    assert row["ci_low"] == pytest.approx(values.mean() - half)
    assert row["ci_high"] == pytest.approx(values.mean() + half)


def test_two_workers_give_identical_runs_csv(reference, tmp_path):
    result = run_sweep(write(tmp_path, TINY), tmp_path / "out", workers=2, show_progress=False)
    assert (result.out / "runs.csv").read_bytes() == (reference.out / "runs.csv").read_bytes()
    assert (result.out / "summary.csv").read_bytes() == \
        (reference.out / "summary.csv").read_bytes()


def test_dask_local_cluster_gives_identical_runs_csv(reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, processes=True) as cluster:
        result = run_sweep(write(tmp_path, TINY), tmp_path / "out",
                           scheduler=cluster.scheduler_address, show_progress=False)
    assert (result.out / "runs.csv").read_bytes() == (reference.out / "runs.csv").read_bytes()


def test_sweep_does_not_leak_models(reference, tmp_path):
    run_sweep(write(tmp_path, TINY.replace("replicates = 2", "replicates = 1")),
              tmp_path / "out", show_progress=False)
    gc.collect()
    # type(), not isinstance(): a dead weakref.proxy among the objects (numba keeps some)
    # raises ReferenceError on isinstance
    assert not [o for o in gc.get_objects() if issubclass(type(o), ArrayEngine)]


KILLABLE = TINY.replace("replicates = 2", "replicates = 4").replace(
    "steps = 2", "steps = 4").replace("n_citizens = 150", "n_citizens = 400").replace(
    "ticks = 26", "ticks = 40")


def test_killed_sweep_resumes_with_every_run_exactly_once(tmp_path):
    path = write(tmp_path, KILLABLE)
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "spiral.experiments.cli", "sweep", str(path), "--out",
               str(out), "--workers", "2", "--quiet"]
    proc = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if len(finished_runs(out)) >= 5 if (out / "sweep.json").is_file() else False:
                break
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done_at_kill = len(finished_runs(out))
    assert 5 <= done_at_kill < 32, "the kill must land mid-way"
    assert not (out / "runs.csv").exists()

    assert cli.main(["sweep", str(path), "--out", str(out)]) == 2  # not without --resume
    resumed = run_sweep(path, out, resume=True, workers=2, show_progress=False)
    assert resumed.skipped == done_at_kill and resumed.ran == 32 - done_at_kill
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 32
    assert not runs.duplicated(["point", "replicate"]).any()

    whole = run_sweep(path, tmp_path / "whole", show_progress=False)
    assert (out / "runs.csv").read_bytes() == (whole.out / "runs.csv").read_bytes()


def test_resume_refuses_a_different_sweep(reference, tmp_path):
    other = write(tmp_path, TINY.replace("seed = 7", "seed = 8"))
    with pytest.raises(SweepError, match="different sweep"):
        run_sweep(other, reference.out, resume=True, show_progress=False)


def test_resume_reruns_a_run_whose_record_is_missing(reference, tmp_path):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(reference.out, out)
    store = out / "records" / "records-0000.jsonl"
    lines = store.read_bytes().splitlines(keepends=True)
    kept = [line for line in lines if b'"point":2,"replicate":1,' not in line]
    assert len(kept) == 7
    store.write_bytes(b"".join(kept) + b'{"sweep_seed":7,"point":3,"replicate":0,"se')  # torn
    result = run_sweep(write(tmp_path, TINY), out, resume=True, show_progress=False)
    assert result.ran == 1 and result.skipped == 7
    assert store.read_bytes().endswith(b"\n") and len(store.read_bytes().splitlines()) == 8
    assert (out / "runs.csv").read_bytes() == (reference.out / "runs.csv").read_bytes()


def test_saved_tables_only_when_asked(tmp_path):
    text = TINY.replace('design = "grid"', 'design = "grid"\nsave = ["timeseries"]').replace(
        "replicates = 2", "replicates = 1")
    result = run_sweep(write(tmp_path, text), tmp_path / "out", show_progress=False)
    frame = pd.read_parquet(result.out / "tables" / "p000001-r0000" / "timeseries.parquet")
    assert set(frame["variant"]) == {"unlisted", "spiral"}
    assert len(frame) == 2 * 27


def test_latin_hypercube_and_sobol_designs(tmp_path):
    latin = load_sweep(write(tmp_path, TINY.replace('design = "grid"',
                                                    'design = "latin"\nsamples = 10').replace(
        "steps = 2", "").replace("{ low = 0.2, high = 0.8,  }", "{ low = 0.2, high = 0.8 }")))
    points = latin.points()
    assert len(points) == 10
    fear = np.array([p["fear_mean"] for p in points])
    assert ((fear >= 0.2) & (fear <= 0.8)).all()
    # one value in each tenth of the range: the Latin hypercube property
    assert sorted(np.floor((fear - 0.2) / 0.06 + 1e-9).astype(int).clip(0, 9)) == list(range(10))
    assert {p["network_weight"] for p in points} <= {0.0, 0.5}
    assert points == latin.points()  # reproducible

    sobol = load_sweep(SWEEPS / "sobol-amplification-small.toml")
    assert sobol.design == "sobol" and len(sobol.points()) == 8 * (3 + 2)
    assert sobol.points() == sobol.points()


@pytest.mark.parametrize("name", sorted(p.name for p in SWEEPS.glob("*.toml")))
def test_example_sweep_files_are_valid(name):
    spec = load_sweep(SWEEPS / name)
    assert spec.description
    assert spec.points()


BAD = {
    "unknown parameter": (TINY.replace("fear_mean =", "fear_mea ="),
                          "sweep.toml:14: .*unknown parameter 'fear_mea'; did you mean "
                          "'fear_mean'"),
    "empty range": (TINY.replace("values = [0.0, 0.5]", "values = []"),
                    "sweep.toml:15: .*empty range"),
    "equal bounds": (TINY.replace("low = 0.2, high = 0.8", "low = 0.5, high = 0.5"),
                     "empty range"),
    "lower above upper": (TINY.replace("low = 0.2, high = 0.8", "low = 0.8, high = 0.2"),
                          "sweep.toml:14: fear_mean: lower bound low = 0.8 is above the upper"),
    "replicates": (TINY.replace("replicates = 2", "replicates = 0"),
                   "sweep.toml:5: replicates = 0 must be a whole number >= 1"),
    "unknown design": (TINY.replace('"grid"', '"gird"'),
                       "sweep.toml:4: design = 'gird' is not a design \\(did you mean 'grid'"),
    "toml syntax": (TINY.replace("seed = 7", "seed = = 7"), "sweep.toml:6: invalid TOML"),
    "out of range": (TINY.replace("high = 0.8", "high = 1.8"),
                     "sweep.toml:14: .*fear_mean = 1.8 is out of range"),
    "unknown key": (TINY.replace("seed = 7", "seeds = 7"), "sweep.toml:6: unknown key 'seeds'"),
    "sobol size": (TINY.replace('design = "grid"', 'design = "sobol"\nsamples = 10').replace(
        "network_weight = { values = [0.0, 0.5] }", "network_weight = { low = 0.0, high = 0.5 }"
    ).replace(", steps = 2", ""), "power of 2"),
    "bad combination": (TINY.replace("[parameters]", "[parameters]\ngrade_b = { values = [800.0] }"),
                        "design point 0 .*grade_a >= grade_b"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_sweep_files_fail_before_any_run(case, tmp_path, capsys):
    text, pattern = BAD[case]
    path = write(tmp_path, text)
    with pytest.raises(SweepError, match=pattern):
        load_sweep(path)
    out = tmp_path / "out"
    assert cli.main(["sweep", str(path), "--out", str(out)]) == 2
    assert not out.exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("spiral sweep: error: ")
