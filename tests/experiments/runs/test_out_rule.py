"""The ``--out`` rule of one-shot outputs (``spiral run``, ``spiral validate``): a command never
deletes or replaces anything it did not write; a bad or unwritable ``--out`` is one line and
exit status 2 with nothing left behind; a replaced run keeps the user's own files.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import subprocess
from pathlib import Path

import pytest
from spiral.experiments import cli
from spiral.experiments.common import outputs
from spiral.experiments.runs import results, runner
from spiral.model.errors import InputError

SMALL = ["--set", "n_citizens=200", "--ticks", "8", "--no-figures"]


def spiral_run(capsys, *args) -> tuple[int, list[str]]:
    status = cli.main(["run", *SMALL, *args])
    return status, capsys.readouterr().err.strip().splitlines()


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` with its bytes and modification time."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def one_error_line(status: int, err: list[str], *words: str, started: bool = False) -> None:
    """Exit 2 and one error line (after the run's one-line header if it had started)."""
    assert status == 2
    if started:
        assert err[0].startswith("spiral run: scenario ")
        err = err[1:]
    assert len(err) == 1 and err[0].startswith("spiral run: error: ") and "Traceback" not in err[0]
    for word in words:
        assert word in err[0]


def test_a_folder_holding_the_users_files_is_refused_untouched(tmp_path, capsys):
    mine = tmp_path / "mydata"
    (mine / "sub").mkdir(parents=True)
    (mine / "thesis.docx").write_bytes(b"years of work")
    (mine / "sub" / "data.csv").write_text("a,b\n1,2\n")
    before = snapshot(mine)
    status, err = spiral_run(capsys, "--out", str(mine))
    one_error_line(status, err, str(mine), "not empty")
    assert snapshot(mine) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mydata"]  # no temporary left
    status, err = spiral_run(capsys, "--out", str(mine), "--overwrite")  # not ours: still no
    one_error_line(status, err, str(mine))
    assert snapshot(mine) == before


def test_a_previous_run_is_replaced_only_with_overwrite_and_keeps_the_users_notes(tmp_path,
                                                                                   capsys):
    prev = tmp_path / "prev"
    assert spiral_run(capsys, "--seed", "1", "--out", str(prev))[0] == 0
    first = snapshot(prev)
    (prev / "note.txt").write_text("seed 1 looked odd")
    status, err = spiral_run(capsys, "--seed", "2", "--out", str(prev))
    one_error_line(status, err, "--overwrite", "previous run")
    assert snapshot(prev) == {**first, "note.txt": snapshot(prev)["note.txt"]}

    assert spiral_run(capsys, "--seed", "2", "--out", str(prev), "--overwrite")[0] == 0
    assert (prev / "note.txt").read_text() == "seed 1 looked odd"
    manifest = json.loads((prev / "manifest.json").read_text())
    assert manifest["seed"] == 2 and manifest["kind"] == "run"
    assert "note.txt" not in manifest["files"]
    assert set(manifest["files"]) == set(first)  # the same files, rewritten
    assert (prev / "events.csv").read_bytes() != first["events.csv"][0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prev"]


def test_overwrite_refuses_to_replace_a_file_the_previous_run_did_not_write(tmp_path, capsys):
    prev = tmp_path / "prev"
    assert spiral_run(capsys, "--out", str(prev))[0] == 0  # without figures
    (prev / "figures").mkdir()
    (prev / "figures" / "spiral.png").write_bytes(b"the user's own picture")
    before = snapshot(prev)
    status = cli.main(["run", "--set", "n_citizens=200", "--ticks", "8", "--out", str(prev),
                       "--overwrite"])
    err = capsys.readouterr().err.strip().splitlines()
    one_error_line(status, err, "figures/spiral.png", "did not write", started=True)
    assert snapshot(prev) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prev"]


def test_files_left_out_of_a_new_run_are_removed_with_their_empty_folders(tmp_path, capsys):
    prev = tmp_path / "prev"
    assert cli.main(["run", "--set", "n_citizens=200", "--ticks", "8", "--out", str(prev)]) == 0
    assert (prev / "figures" / "spiral.png").is_file()
    assert spiral_run(capsys, "--out", str(prev), "--overwrite")[0] == 0  # no figures now
    assert not (prev / "figures").exists()


@pytest.mark.parametrize("make", ["file", "dot", "results-file"])
def test_unusable_out_is_one_line(tmp_path, capsys, monkeypatch, make):
    monkeypatch.chdir(tmp_path)
    args = []
    if make == "file":
        (tmp_path / "taken").write_text("mine")
        args = ["--out", "taken"]
    elif make == "dot":
        args = ["--out", "."]
    else:
        (tmp_path / "results").write_text("a file called results")
    status, err = spiral_run(capsys, *args)
    one_error_line(status, err)
    assert {"file": "taken: is a file", "dot": "current folder",
            "results-file": "results is a file"}[make] in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        [] if make == "dot" else ["taken"] if make == "file" else ["results"])


def test_scenario_name_cannot_leave_results(tmp_path, capsys, monkeypatch):
    work = tmp_path / "a" / "b" / "work"
    work.mkdir(parents=True)
    scenario = work / "evil.toml"
    scenario.write_text('name = "../../../x"\n[params]\nn_citizens = 200\nticks = 6\n')
    monkeypatch.chdir(work)
    assert cli.main(["run", str(scenario), "--no-figures"]) == 0
    capsys.readouterr()
    made = [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
            if p.is_file() and p != scenario]
    assert made and all(m.startswith("a/b/work/results/") for m in made), made
    (folder,) = (work / "results").iterdir()
    assert folder.name.startswith("x-seed42-")
    assert outputs.default_out_dir("sweep", "../../../x").parent == Path("results")
    assert outputs.sanitise_name("/etc/passwd") == "etc-passwd"
    assert outputs.sanitise_name("...") == "output"


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f".run.tmp-{dead.pid}"
    alive = tmp_path / f".run.tmp-{os.getppid()}"
    users = tmp_path / f".notes.tmp-{dead.pid}"  # no marker: not ours
    for folder in (stale, alive, users):
        folder.mkdir()
        (folder / "part.csv").write_text("x")
    (stale / outputs.MARKER).write_text("{}")
    (alive / outputs.MARKER).write_text("{}")
    result = runner.run("zhima-spiral", changes={"n_citizens": 200, "ticks": 6},
                        out=tmp_path / "run", figures=False)
    assert result.out == tmp_path / "run" and (tmp_path / "run" / "summary.json").is_file()
    assert not stale.exists() and alive.exists() and users.exists()


def test_a_previous_run_needs_overwrite_in_python_too(tmp_path):
    result = runner.run("zhima-spiral", changes={"n_citizens": 200, "ticks": 6})
    assert result.out is None and not list(tmp_path.iterdir())
    results.write_results(result, tmp_path / "r", figures=False)
    with pytest.raises(InputError, match="--overwrite"):
        results.write_results(result, tmp_path / "r", figures=False)
    results.write_results(result, tmp_path / "r", figures=False, overwrite=True)
    with pytest.raises(InputError, match="holds a previous run"):
        runner.run("zhima-spiral", changes={"ticks": 6}, out=tmp_path / "r", overwrite=False)


def test_charts_are_written_inside_the_run_and_recorded(tmp_path, monkeypatch):
    seen = []

    def fake_charts(folder, out):
        seen.append(json.loads((Path(folder) / "manifest.json").read_text())["kind"])
        out.mkdir()
        (out / "charts.json").write_text("{}")

    monkeypatch.setattr("spiral.experiments.charts.book.make_charts", fake_charts)
    monkeypatch.chdir(tmp_path)
    result = runner.run("zhima-spiral", seed=3, changes={"n_citizens": 200, "ticks": 6},
                        charts=True, figures=False)
    assert seen == ["run"] and result.out.parent == Path("results")
    manifest = json.loads((result.out / "manifest.json").read_text())
    assert "charts/charts.json" in manifest["files"] and "charts_s" in manifest["timings_s"]


def test_validate_refuses_before_running(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.md").write_text("mine")
    assert cli.main(["validate", "--quick", "--out", str(mine)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not empty" in err[0]
    assert [p.name for p in mine.iterdir()] == ["notes.md"]


# --- file-system faults (a tmpfs where this test may mount one) ------------------------------
@contextlib.contextmanager
def tmpfs(folder: Path, options: str):
    folder.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                              capture_output=True, check=False, timeout=10)
    except (OSError, subprocess.SubprocessError):
        done = None
    if done is None or done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield folder
    finally:
        gc.collect()
        if subprocess.run(["umount", str(folder)], check=False, timeout=10,
                          capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(folder)], check=False, timeout=10)


def test_full_disk_is_one_line_and_leaves_nothing(tmp_path, capsys):
    with tmpfs(tmp_path / "small", "size=16k") as disk:
        status, err = spiral_run(capsys, "--out", str(disk / "run"))
        one_error_line(status, err, "no space left on device", str(disk / "run"),
                       started=True)
        assert list(disk.iterdir()) == []


def test_read_only_file_system_is_one_line(tmp_path, capsys):
    with tmpfs(tmp_path / "ro", "ro,size=64k") as disk:
        status, err = spiral_run(capsys, "--out", str(disk / "run"))
        one_error_line(status, err, "read-only file system")
        assert list(disk.iterdir()) == []
