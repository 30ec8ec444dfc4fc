"""``spiral calibrate --cluster slurm``: the options of ``spiral sweep``, the same checks.

The argument checks are fast and need no cluster. The last test runs a tiny calibration
through one real SLURM batch job; it needs a running SLURM (``.ci/slurm-setup.sh`` makes a
single-node one; CI calls ``.ci/slurm-test.sh``) and dask-jobqueue, and is skipped otherwise,
as tests/experiments/sweeps/test_slurm_cluster.py is.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import time

import pandas as pd
import pytest
from spiral.experiments.calibration import abc
from spiral.experiments.calibration import command as calibrate_command
from spiral.experiments.cli import main
from spiral.experiments.common.fsops import LOCK
from spiral.experiments.sweeps import cluster as cluster_module
from spiral.experiments.sweeps import command as sweep_command
from spiral.experiments.sweeps.cluster import slurm_unavailable
from spiral.experiments.sweeps.spec import SweepError


def refused(args: list[str], tmp_path, capsys) -> str:
    """The one line of a refused ``spiral calibrate``, which wrote nothing."""
    out = tmp_path / "out"
    status = main(["calibrate", *args, "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert status == 2, err
    assert len(err.splitlines()) == 1, err
    assert not out.exists()
    return err


@pytest.mark.parametrize(("extra", "message"), [
    (["--jobs", "2"], "spiral calibrate: error: --jobs and --cluster-option need --cluster slurm"),
    (["--cluster-option", "queue=short"], "--jobs and --cluster-option need --cluster slurm"),
    (["--cluster", "slurm", "--scheduler", "tcp://127.0.0.1:8786"],
     "give either --cluster or --scheduler, not both"),
    (["--cluster", "slurm", "--cluster-option", "queue"], "'queue' is not KEY=VALUE"),
    (["--cluster", "slurm", "--jobs", "0"], "--jobs = 0 must be a whole number >= 1"),
    (["--cluster", "pbs"], "argument --cluster: invalid choice: 'pbs'"),
], ids=["jobs without cluster", "option without cluster", "cluster and scheduler",
        "option without =", "no jobs", "unknown cluster"])
def test_cluster_options_are_checked_like_sweeps(extra, message, write_calibration, tmp_path,
                                                 capsys):
    assert message in refused([str(write_calibration()), *extra], tmp_path, capsys)


def test_no_sbatch_is_one_line(write_calibration, tmp_path, capsys, monkeypatch):
    pytest.importorskip("dask_jobqueue")
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "sbatch"
                        else real_which(name, *a, **k))
    err = refused([str(write_calibration()), "--cluster", "slurm"], tmp_path, capsys)
    assert "--cluster slurm: no sbatch command here" in err


def test_calibrate_and_sweep_take_the_same_cluster_options():
    def options(module) -> dict:
        parser = argparse.ArgumentParser()
        module.configure(parser)
        return {a.dest: (a.option_strings, a.choices, a.default, a.type, a.help)
                for a in parser._actions if a.dest in ("cluster", "jobs", "cluster_option")}

    assert options(calibrate_command) == options(sweep_command)
    assert set(options(calibrate_command)) == {"cluster", "jobs", "cluster_option"}


class _Closable:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


@pytest.mark.parametrize("stop", [KeyboardInterrupt, RuntimeError])
def test_the_cluster_reaches_the_sampler_and_is_closed(stop, write_calibration, tmp_path,
                                                       monkeypatch):
    """The client goes to pyabc's Dask sampler; client and jobs are closed on Ctrl-C/errors."""
    batch, client, seen = _Closable(), _Closable(), {}

    def start_cluster(kind, jobs, options=None, *, log_directory=None):
        seen.update(kind=kind, jobs=jobs, options=options, logs=log_directory)
        return batch, client

    def make_sampler(workers=1, client=None):
        seen["sampler_client"] = client
        return "sampler"

    def run_abc(*args, **kwargs):
        seen["sampler"] = kwargs["sampler"]
        raise stop()

    monkeypatch.setattr(cluster_module, "check_cluster", lambda kind, jobs: None)
    monkeypatch.setattr(cluster_module, "start_cluster", start_cluster)
    monkeypatch.setattr(abc, "make_sampler", make_sampler)
    monkeypatch.setattr(abc, "run_abc", run_abc)
    out = tmp_path / "out"
    args = ["calibrate", str(write_calibration()), "--out", str(out), "--quiet", "--cluster",
            "slurm", "--jobs", "3", "--cluster-option", "queue=short",
            "--cluster-option", "cores=2"]
    if stop is KeyboardInterrupt:
        assert main(args) == 130
    else:
        with pytest.raises(RuntimeError):
            main(args)
    assert seen == {"kind": "slurm", "jobs": 3, "logs": (out / "logs").resolve(),
                    "options": {"job_name": "spiral-calibrate", "queue": "short", "cores": 2},
                    "sampler_client": client, "sampler": "sampler"}
    assert client.closed == 1 and batch.closed == 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sampler"] == "dask slurm (3 jobs)" and manifest["status"] == "running"
    assert not (out / LOCK).exists()  # unlocked: --resume may continue it


def test_a_refused_start_leaves_the_folder_as_it_was(write_calibration, tmp_path, capsys,
                                                    monkeypatch):
    def start_cluster(kind, jobs, options=None, *, log_directory=None):
        log_directory.mkdir(parents=True)  # as dask-jobqueue does before it fails
        raise SweepError("--cluster-option: bad")

    monkeypatch.setattr(cluster_module, "check_cluster", lambda kind, jobs: None)
    monkeypatch.setattr(cluster_module, "start_cluster", start_cluster)
    out = tmp_path / "out"
    args = ["calibrate", str(write_calibration()), "--out", str(out), "--cluster", "slurm"]
    assert main(args) == 2
    assert capsys.readouterr().err.strip() == "spiral calibrate: error: --cluster-option: bad"
    assert not out.exists() or not any(out.iterdir())  # the same command may run again


# --- a real SLURM cluster ----------------------------------------------------------------------


def _jobs_named(name: str) -> list[str]:
    done = subprocess.run(["squeue", "-h", "-n", name, "-t", "PENDING,RUNNING", "-o", "%i"],
                          capture_output=True, text=True, timeout=20, check=False)
    return done.stdout.split()


def test_a_calibration_on_slurm_completes(write_calibration, tmp_path, capsys):
    """20 particles x 2 generations through one batch job (about 15-20 s)."""
    why = slurm_unavailable()
    if why:
        pytest.skip(why)
    name = f"spiral-calibrate-test-{os.getpid()}"
    out = tmp_path / "out"
    code = main(["calibrate", str(write_calibration()), "--out", str(out), "--cluster", "slurm",
                 "--jobs", "1", "--cluster-option", "memory=1GB",
                 "--cluster-option", "walltime=00:10:00", "--cluster-option", f"job_name={name}"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "dask slurm (1 job)" in captured.err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["sampler"] == "dask slurm (1 job)"
    assert [g["t"] for g in manifest["generations"]] == [0, 1]
    post = pd.read_parquet(out / "posterior.parquet")
    assert len(post) == 20 and abs(post["weight"].sum() - 1) < 1e-9
    assert "listing_rate" in captured.out
    logs = sorted(p.name for p in (out / "logs").iterdir())
    assert any(n.startswith(name) and n.endswith(".err") for n in logs), logs  # the job ran
    deadline = time.monotonic() + 30
    while _jobs_named(name) and time.monotonic() < deadline:  # closing cancelled the job
        time.sleep(0.5)
    assert not _jobs_named(name)


def test_an_option_slurmcluster_does_not_take_is_one_line(write_calibration, tmp_path, capsys):
    why = slurm_unavailable()
    if why:
        pytest.skip(why)
    out = tmp_path / "out"
    args = ["calibrate", str(write_calibration()), "--out", str(out), "--cluster", "slurm",
            "--cluster-option", "no_such_option=1"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("spiral calibrate: error: --cluster-option: ") and "\n" not in err, err
    assert not out.exists() or not any(out.iterdir())
