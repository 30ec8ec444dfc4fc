"""``spiral sweep --cluster slurm`` against a real SLURM cluster (issue 15).

Needs a running SLURM (``.ci/slurm-setup.sh`` makes a single-node one on this machine; CI
calls ``.ci/slurm-test.sh``) and dask-jobqueue; skipped otherwise. Two batch jobs run the
sweep's workers with this Python; the tables must equal a local run's byte for byte.
"""

from __future__ import annotations

import sys

import pytest
from spiral.experiments import cli
from spiral.experiments.sweeps.cluster import parse_cluster_options, slurm_unavailable
from spiral.experiments.sweeps.spec import SweepError
from spiral.experiments.sweeps.sweep import run_sweep

SWEEP = """
name = "slurm"
scenario = "zhima-spiral"
design = "grid"
replicates = 2
seed = 3

[fixed]
n_citizens = 150
ticks = 24
cohort_share = 0.05

[parameters]
fear_mean = { low = 0.2, high = 0.8, steps = 2 }
network_weight = { values = [0.0, 0.5] }
"""




def test_cluster_options_are_parsed():
    assert parse_cluster_options(["queue=short", "cores=2", "memory=4GB", "nanny=false",
                                  "job_extra_directives=--qos=low",
                                  "job-extra-directives=--exclusive"]) == {
        "queue": "short", "cores": 2, "memory": "4GB", "nanny": False,
        "job_extra_directives": ["--qos=low", "--exclusive"]}
    with pytest.raises(SweepError, match="is not KEY=VALUE"):
        parse_cluster_options(["queue"])


def test_cluster_flags_need_cluster(tmp_path, capsys):
    path = tmp_path / "slurm.toml"
    path.write_text(SWEEP, encoding="utf-8")
    assert cli.main(["sweep", str(path), "--out", str(tmp_path / "o"), "--jobs", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "need --cluster slurm" in err[0]
    assert not (tmp_path / "o").exists()


def test_a_sweep_on_slurm_equals_a_local_run(tmp_path, capsys):
    why = slurm_unavailable()
    if why:
        pytest.skip(why)
    path = tmp_path / "slurm.toml"
    path.write_text(SWEEP, encoding="utf-8")
    local = run_sweep(path, tmp_path / "local", show_progress=False)
    out = tmp_path / "cluster"
    code = cli.main(["sweep", str(path), "--out", str(out), "--cluster", "slurm", "--jobs", "2",
                     "--cluster-option", "memory=1GB", "--cluster-option", "walltime=00:10:00",
                     "--quiet"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "SLURM, 2 job(s)" in err
    for name in ("runs.csv", "summary.csv"):
        assert (out / name).read_bytes() == (local.out / name).read_bytes(), name
    logs = sorted(p.name for p in (out / "logs").iterdir())
    assert any(name.endswith(".err") for name in logs), logs  # the jobs really ran
    assert sys.executable  # the jobs ran this Python (SLURMCluster(python=sys.executable))
