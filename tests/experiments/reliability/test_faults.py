"""Fault injection (issue 12): a killed worker, a killed or terminated main process, Ctrl-C,
two processes resuming one folder, a killed sweep that survives any cleanup, a run that
raises, ``--overwrite`` next to a user's note, and a full or read-only disk.

The sweep tests check the resume behaviour (what is recorded and what is run again, and that
the final tables equal an uninterrupted sweep's), never the store's file layout. Progress is
read from the progress bar the command prints (``N/M``), so the tests hold when the store
changes.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from spiral.experiments import cli
from spiral.experiments.sweeps import executors
from spiral.experiments.sweeps.sweep import run_sweep

SWEEP = """name = "faults"
scenario = "zhima-spiral"
design = "grid"
replicates = 2
seed = 11

[fixed]
n_citizens = 300
ticks = 30
cohort_share = 0.05

[parameters]
fear_mean = { low = 0.2, high = 0.8, steps = 4 }
"""
RUNS = 8
DATA = ("runs.csv", "summary.csv")


def sweep_file(folder: Path) -> Path:
    path = folder / "faults.toml"
    path.write_text(SWEEP, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The sweep run once, uninterrupted, in this process."""
    folder = tmp_path_factory.mktemp("reference")
    result = run_sweep(sweep_file(folder), folder / "out", show_progress=False)
    assert result.failed == 0 and len(result.runs) == RUNS
    return result.out


def same_tables(out: Path, reference: Path) -> None:
    for name in DATA:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name


class Sweep:
    """``spiral sweep`` as a console process whose progress bar is read as it runs."""

    def __init__(self, path: Path, out: Path, *extra: str) -> None:
        self.command = [sys.executable, "-m", "spiral.experiments.cli", "sweep", str(path),
                        "--out", str(out), *extra]
        self.proc = subprocess.Popen(self.command, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        self.err = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for chunk in iter(lambda: self.proc.stderr.read1(4096), b""):
            self.err += chunk.decode(errors="replace")

    def done(self) -> int:
        """Runs finished so far, from the progress bar."""
        counts = re.findall(rf"(\d+)/{RUNS} \[", self.err)
        return int(counts[-1]) if counts else 0

    def wait_for(self, test, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not test():
            assert self.proc.poll() is None, f"the sweep ended early:\n{self.err}"
            assert time.monotonic() < deadline, f"timed out:\n{self.err}"
            time.sleep(0.02)

    def started(self) -> bool:
        return "grid design" in self.err

    def workers(self) -> list[psutil.Process]:
        found = []
        for p in psutil.Process(self.proc.pid).children(recursive=True):
            try:  # a helper process may exit (or linger as a zombie) while we look
                if "spawn_main" in " ".join(p.cmdline()):
                    found.append(p)
            except (psutil.ZombieProcess, psutil.NoSuchProcess):
                pass
        return found

    def finish(self, timeout: float = 300) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(10)
        return code

    def kill(self, sig=signal.SIGKILL, group: bool = False) -> None:
        if group:
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)


def gone(processes, timeout: float) -> list[psutil.Process]:
    """The processes still alive (zombies count as gone) after waiting up to ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        alive = []
        for p in processes:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
            except psutil.NoSuchProcess:
                pass
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


# --- workers ---------------------------------------------------------------------------------
def test_a_killed_worker_does_not_stop_the_sweep(tmp_path, reference):
    sweep = Sweep(sweep_file(tmp_path), tmp_path / "out", "--workers", "2")
    sweep.wait_for(lambda: sweep.started() and len(sweep.workers()) == 2 and sweep.done() >= 1)
    sweep.workers()[0].kill()
    assert sweep.finish() == 0, sweep.err
    assert "Traceback" not in sweep.err and "BrokenProcessPool" not in sweep.err
    assert "a worker process died" in sweep.err
    same_tables(tmp_path / "out", reference)


class KillsItsWorker:
    """A scenario whose runs kill the worker process running them (point 1 only)."""

    def __init__(self, scenario) -> None:
        self.scenario = scenario

    def with_changes(self, **changes):
        if changes.get("fear_mean") == 0.4:
            os._exit(9)
        return self.scenario.with_changes(**changes)


def test_a_run_that_kills_its_worker_twice_is_recorded_as_failed(tmp_path):
    from spiral.experiments.sweeps.spec import load_sweep
    from spiral.experiments.sweeps.sweep import plan

    spec = load_sweep(sweep_file(tmp_path))
    tasks = [t for t in plan(spec)[1] if t.replicate == 0][:3]  # fear_mean 0.2, 0.4, 0.6
    tasks = [executors.RunTask(KillsItsWorker(t.scenario), t.changes, t.point, t.replicate,
                               t.seed, t.paired, t.save, t.sweep_seed) for t in tasks]
    records, notes = [], []
    executors.run_pool(tasks, lambda record, tables: records.append(record), 2,
                       notify=notes.append)
    by_point = {r["point"]: r for r in records}
    assert sorted(by_point) == [0, 1, 2]
    assert by_point[1]["status"] == "failed"
    assert by_point[1]["error"]["type"] == executors.WORKER_DIED
    assert by_point[0]["status"] == by_point[2]["status"] == "ok"
    assert len(notes) == 1 and "p000001-r0000" in notes[0]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_the_main_process(tmp_path, sig):
    sweep = Sweep(sweep_file(tmp_path), tmp_path / "out", "--workers", "2", "--quiet")
    deadline = time.monotonic() + 120
    while len(sweep.workers()) < 2:
        assert time.monotonic() < deadline and sweep.proc.poll() is None, sweep.err
        time.sleep(0.05)
    children = psutil.Process(sweep.proc.pid).children(recursive=True)
    sweep.kill(sig)
    sweep.finish(60)
    assert not gone(children, timeout=5), "orphan workers"
    if sig == signal.SIGTERM:
        assert "Traceback" not in sweep.err


def test_ctrl_c_says_what_is_saved_and_how_to_resume(tmp_path):
    # runs slow enough (a larger town) that the sweep is still running when Ctrl-C comes
    path = tmp_path / "slower.toml"
    path.write_text(SWEEP.replace("n_citizens = 300", "n_citizens = 2000")
                    .replace("ticks = 30", "ticks = 48"), encoding="utf-8")
    reference = run_sweep(path, tmp_path / "reference", show_progress=False).out
    sweep = Sweep(path, tmp_path / "out", "--workers", "2")
    sweep.wait_for(lambda: sweep.done() >= 2)
    children = psutil.Process(sweep.proc.pid).children(recursive=True)
    sweep.kill(signal.SIGINT, group=True)  # as the terminal sends Ctrl-C
    assert sweep.finish() == 130, sweep.err
    assert not gone(children, timeout=5)
    last = sweep.err.strip().splitlines()[-1]
    match = re.search(r"interrupted: (\d+) of 8 runs are saved in .*; continue with: (.+)$",
                      last)
    assert match, last
    saved, command = int(match.group(1)), shlex.split(match.group(2))
    assert saved >= 2 and command[:2] == ["spiral", "sweep"] and "--resume" in command
    assert cli.main([*command[1:], "--quiet"]) == 0
    same_tables(tmp_path / "out", reference)


# --- the folder lock ---------------------------------------------------------------------------
def test_two_processes_cannot_resume_one_folder(tmp_path, reference, capsys):
    path = sweep_file(tmp_path)
    out = tmp_path / "out"
    first = Sweep(path, out)
    first.wait_for(first.started)
    assert cli.main(["sweep", str(path), "--out", str(out), "--resume", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"process {first.proc.pid} is writing there" in err[0], err
    first.wait_for(lambda: first.done() >= 1)
    first.kill()  # the kernel releases the lock of a killed process
    first.finish()
    result = run_sweep(path, out, resume=True, show_progress=False)
    assert result.skipped >= 1 and result.skipped + result.ran == RUNS
    same_tables(out, reference)


# --- kill, cleanup, resume ---------------------------------------------------------------------
def test_a_killed_sweep_survives_cleanup_and_resumes_to_the_same_tables(tmp_path, reference):
    from spiral.experiments.common.fsops import remove_stale_temporaries
    from spiral.experiments.common.outputs import OneShotOutput

    path = sweep_file(tmp_path)
    out = tmp_path / "out"
    sweep = Sweep(path, out, "--workers", "2")
    sweep.wait_for(lambda: sweep.done() >= 3)
    sweep.kill()
    sweep.finish()
    saved = sweep.done()
    # everything that cleans up after dead processes runs next to the killed sweep
    remove_stale_temporaries(tmp_path)
    remove_stale_temporaries(out)
    with OneShotOutput(tmp_path / "neighbour", "run") as neighbour:
        neighbour.write_manifest({"format_version": 2})
    assert cli.main(["sweep", str(path), "--out", str(out), "--quiet"]) == 2  # not without --resume
    result = run_sweep(path, out, resume=True, workers=2, show_progress=False)
    assert result.skipped >= saved and result.skipped + result.ran == RUNS
    assert result.failed == 0
    same_tables(out, reference)


# --- failing runs ------------------------------------------------------------------------------
def test_a_failing_run_is_recorded_the_sweep_goes_on_and_resume_retries_it(
        tmp_path, reference, capsys, monkeypatch):
    from spiral.experiments.runs import runner

    real = runner.run_scenario

    def flaky(scenario, **kwargs):
        if scenario.params.fear_mean == 0.6:
            raise RuntimeError("the cluster node lost its disk")
        return real(scenario, **kwargs)

    path = sweep_file(tmp_path)
    out = tmp_path / "out"
    monkeypatch.setattr(runner, "run_scenario", flaky)
    assert cli.main(["sweep", str(path), "--out", str(out), "--quiet"]) == 3
    err = capsys.readouterr().err
    assert "2 of 8 runs failed (2 x RuntimeError: the cluster node lost its disk)" in err
    assert "--resume" in err and "Traceback" not in err
    failed = pd.read_csv(out / "failed.csv")
    assert sorted(zip(failed["point"], failed["replicate"], strict=True)) == [(2, 0), (2, 1)]
    assert (failed["error_type"] == "RuntimeError").all()
    assert failed["seed_text"].map(lambda t: int(t)).tolist() == failed["seed"].tolist()
    assert len(pd.read_csv(out / "runs.csv")) == 6

    monkeypatch.setattr(runner, "run_scenario", real)
    result = run_sweep(path, out, resume=True, show_progress=False)
    assert (result.ran, result.skipped, result.failed) == (2, 6, 0)
    assert not (out / "failed.csv").exists()
    same_tables(out, reference)
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["complete"] is True and manifest["failed"] == 0


def test_resume_refuses_other_code_unless_allowed(tmp_path, reference, capsys):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    manifest = json.loads((out / "sweep.json").read_text())
    manifest["code"]["version"] = "0.0.1"
    (out / "sweep.json").write_text(json.dumps(manifest))
    path = sweep_file(tmp_path)
    assert cli.main(["sweep", str(path), "--out", str(out), "--resume", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "version 0.0.1 ->" in err[0] and "--allow-version-change" in err[0]
    assert cli.main(["sweep", str(path), "--out", str(out), "--resume", "--quiet",
                     "--allow-version-change"]) == 0
    capsys.readouterr()
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["code_changes"][0]["from"]["version"] == "0.0.1"


def test_records_and_tables_name_every_run(reference):
    runs = pd.read_csv(reference / "runs.csv", dtype={"seed_text": str})
    assert list(runs.columns[:5]) == ["sweep_seed", "point", "replicate", "seed", "seed_text"]
    assert (runs["sweep_seed"] == 11).all()
    assert [int(t) for t in runs["seed_text"]] == runs["seed"].tolist()
    assert runs["seed_text"].str.contains("_").all()  # kept as text by R and spreadsheets
    manifest = json.loads((reference / "sweep.json").read_text())
    assert manifest["sweep_seed_text"] == "11"
    assert all(int(r["seed_text"]) == r["seed"] for r in manifest["runs"])
    assert {"version", "git_describe", "draws_scheme", "params_table"} <= set(manifest["code"])


# --- one-shot outputs ------------------------------------------------------------------------
SMALL_RUN = ["run", "--set", "n_citizens=150", "--ticks", "8", "--seed", "4", "--no-figures",
             "--workers", "1", "--replicates", "1"]


def test_overwrite_keeps_the_users_note(tmp_path, capsys):
    out = tmp_path / "prev"
    assert cli.main([*SMALL_RUN, "--out", str(out)]) == 0
    (out / "note.md").write_text("what I saw in this run\n")
    assert cli.main([*SMALL_RUN, "--out", str(out)]) == 2  # not without --overwrite
    assert cli.main([*SMALL_RUN, "--out", str(out), "--overwrite"]) == 0
    capsys.readouterr()
    assert (out / "note.md").read_text() == "what I saw in this run\n"
    assert "note.md" not in json.loads((out / "manifest.json").read_text())["files"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.fixture
def small_disk(tmp_path):
    """A 512 KiB tmpfs (root only; skipped where it cannot be mounted)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root to mount a tmpfs")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(disk)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_is_one_line_and_leaves_nothing(small_disk, tmp_path, capsys):
    (small_disk / "filler").write_bytes(b"\0" * (400 * 1024))
    args = ["run", "--set", "n_citizens=2000", "--ticks", "24", "--seed", "4", "--workers",
            "1", "--replicates", "1", "--out", str(small_disk / "run")]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if ": error: " in line]
    assert len(errors) == 1 and "no space left on device" in errors[0], err
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]


def test_a_full_disk_stops_a_sweep_and_resume_finishes_it(small_disk, tmp_path, reference,
                                                          capsys):
    (small_disk / "filler").write_bytes(b"\0" * (470 * 1024))
    path = sweep_file(tmp_path)
    out = small_disk / "sweep"
    assert cli.main(["sweep", str(path), "--out", str(out), "--quiet"]) == 2
    err = [line for line in capsys.readouterr().err.strip().splitlines() if ": error: " in line]
    assert len(err) == 1 and "no space left on device" in err[0], err
    (small_disk / "filler").unlink()
    assert cli.main(["sweep", str(path), "--out", str(out), "--quiet", "--resume"]) == 0
    capsys.readouterr()
    same_tables(out, reference)


def test_a_read_only_disk_is_one_line(small_disk, capsys):
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    assert cli.main([*SMALL_RUN, "--out", str(small_disk / "run")]) == 2
    err = [line for line in capsys.readouterr().err.strip().splitlines() if ": error: " in line]
    assert len(err) == 1 and "read-only file system" in err[0], err
