"""``spiral calibrate`` end to end: every output; kill -9 mid-generation and --resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from spiral.experiments.cli import main

OUTPUTS = {"history.db", "posterior.parquet", "summary.csv", "summary.json", "predictive.csv",
           "manifest.json", "calibration.toml", "figures/marginals.png", "figures/pairs.png",
           "figures/predictive.png"}


def _max_t(db) -> int:
    """The last complete generation in a history being written (-1: none yet)."""
    import sqlite3

    if not db.exists():
        return -1
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            row = con.execute("SELECT MAX(t) FROM populations").fetchone()
    except sqlite3.Error:
        return -1
    return -1 if row is None or row[0] is None else int(row[0])


def test_calibrate_writes_every_output(write_calibration, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["calibrate", str(write_calibration()), "--out", str(out), "--quiet"]) == 0
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert files >= OUTPUTS
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "calibration" and manifest["status"] == "complete"
    assert manifest["seed"] == 3 and "pyabc" in manifest["versions"]
    assert {"abc_s", "predictive_s", "figures_s", "total_s"} <= set(manifest["timings"])
    post = pd.read_parquet(out / "posterior.parquet")
    assert len(post) == 20 and abs(post["weight"].sum() - 1) < 1e-9
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["parameter"]) == ["listing_rate"]
    assert (summary["ci90_low"] <= summary["ci50_low"]).all()
    assert (summary["ci50_high"] <= summary["ci90_high"]).all()
    assert "listing_rate" in capsys.readouterr().out
    # the folder is ours: a second run without --resume is refused, with one line
    assert main(["calibrate", str(write_calibration()), "--out", str(out)]) == 2


@pytest.mark.slow
def test_kill_9_mid_generation_then_resume(write_calibration, tmp_path):
    """Killed in generation 3 of 4: --resume continues from the last complete one."""
    path = write_calibration(n=300, abc="population_size = 30\ngenerations = 4")
    out, db = tmp_path / "out", tmp_path / "out" / "history.db"
    command = [sys.executable, "-m", "spiral.experiments.cli", "calibrate", str(path),
               "--out", str(out), "--workers", "2", "--quiet"]
    proc = subprocess.Popen(command, start_new_session=True, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 240
        while _max_t(db) < 1 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        time.sleep(0.5)  # into generation 3
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    killed_at = _max_t(db)
    assert 1 <= killed_at < 3, "the kill was not in a middle generation"
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["resumed_from_generation"] == killed_at + 1
    assert [g["t"] for g in manifest["generations"]] == [0, 1, 2, 3]
    import pyabc

    history = pyabc.History(f"sqlite:///{db}")
    assert history.max_t == 3 and len(history.all_runs()) == 1
    counts = history.get_nr_particles_per_population()
    assert all(counts[t] == 30 for t in range(4))
    for t in range(4):
        _, w = history.get_distribution(m=0, t=t)
        assert abs(w.sum() - 1) < 1e-9
    eps = history.get_all_populations().query("t >= 0")["epsilon"].tolist()
    assert eps == sorted(eps, reverse=True)
