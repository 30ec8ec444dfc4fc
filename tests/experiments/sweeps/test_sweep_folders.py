"""Sweep and sensitivity folders: resumable outputs that refuse what is not theirs, keep the
user's files on ``--overwrite``, stay inside ``results/``, and a script without the main guard
gets one line about it instead of a ``BrokenProcessPool``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from spiral.experiments import cli
from spiral.experiments.sweeps import executors
from spiral.experiments.sweeps.spec import SweepError

TINY = """
name = "tiny-folders"
scenario = "zhima-spiral"
design = "grid"
replicates = 1
seed = 5

[fixed]
n_citizens = 120
ticks = 14
cohort_share = 0.05

[parameters]
network_weight = { values = [0.0, 0.5] }
"""

MORRIS = """
name = "tiny-morris"
scenario = "zhima-spiral"
design = "morris"
samples = 2
replicates = 1
seed = 9

[fixed]
n_citizens = 120
ticks = 14
cohort_share = 0.05

[parameters]
network_weight = { low = 0.05, high = 0.8 }
fear_mean = { low = 0.1, high = 0.9 }

[sensitivity]
measures = ["isolated_share__spiral"]
methods = ["morris"]
morris_trajectories = 2
"""


def write(folder: Path, text: str, name: str = "sweep.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def one_line(capsys, command: str, *words: str) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    err = [line for line in err if not line.startswith(f"spiral {command}: tiny")]
    assert len(err) == 1 and err[0].startswith(f"spiral {command}: error: "), err
    for word in words:
        assert word in err[0]
    return err[0]


# --- spiral sweep --------------------------------------------------------------------------
@pytest.mark.parametrize("resume", [False, True])
def test_sweep_refuses_a_folder_that_is_not_a_sweep(tmp_path, capsys, resume):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.md").write_text("my notes")
    (mine / "sweep.json").write_text("{ corrupt")  # not ours either
    before = files(mine)
    args = ["sweep", str(write(tmp_path, TINY)), "--out", str(mine), "--quiet"]
    assert cli.main([*args, "--resume"] if resume else args) == 2
    one_line(capsys, "sweep", str(mine), "not a sweep folder")
    assert files(mine) == before


def test_sweep_out_naming_a_file_is_one_line(tmp_path, capsys):
    taken = tmp_path / "taken.csv"
    taken.write_text("a,b\n")
    assert cli.main(["sweep", str(write(tmp_path, TINY)), "--out", str(taken)]) == 2
    one_line(capsys, "sweep", "is a file")
    assert taken.read_text() == "a,b\n"


def test_sweep_name_cannot_leave_results(tmp_path, capsys, monkeypatch):
    work = tmp_path / "deep" / "work"
    work.mkdir(parents=True)
    path = write(work, TINY.replace('"tiny-folders"', '"../../../escaped"'))
    monkeypatch.chdir(work)
    assert cli.main(["sweep", str(path), "--quiet"]) == 0
    capsys.readouterr()
    (folder,) = (work / "results").iterdir()
    assert folder.name.startswith("sweep-escaped-")
    made = {p for p in tmp_path.rglob("*") if p.is_file()}
    assert all(work / "results" in p.parents for p in made - {path})


def test_a_finished_sweep_resumes_without_running_and_is_recognised(tmp_path, capsys):
    path = write(tmp_path, TINY)
    out = tmp_path / "out"
    assert cli.main(["sweep", str(path), "--out", str(out), "--quiet"]) == 0
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["format_version"] == 2
    assert {"version", "versions", "git", "command", "created_utc"} <= set(manifest)
    (out / "note.txt").write_text("keep me")
    assert cli.main(["sweep", str(path), "--out", str(out), "--quiet", "--resume"]) == 0
    assert "(0 run now, 2 already done)" in capsys.readouterr().out
    assert (out / "note.txt").read_text() == "keep me"


# --- the main guard ----------------------------------------------------------------------------
SCRIPT = """
from spiral.experiments.sweeps.sweep import run_sweep

{call}
"""
CALL = ("result = run_sweep({path!r}, {out!r}, workers=2, show_progress=False)\n"
        "print('runs', len(result.runs))")


def run_script(tmp_path: Path, guarded: bool) -> subprocess.CompletedProcess:
    call = CALL.format(path=str(write(tmp_path, TINY)), out=str(tmp_path / "out"))
    if guarded:
        call = 'if __name__ == "__main__":\n' + textwrap.indent(call, "    ")
    script = tmp_path / "my_sweep.py"
    script.write_text(SCRIPT.format(call=call), encoding="utf-8")
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, check=False, cwd=tmp_path)


def test_unguarded_script_gets_one_line_about_the_main_guard(tmp_path):
    done = run_script(tmp_path, guarded=False)
    assert done.returncode != 0
    assert "BrokenProcessPool" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("spiral.experiments.sweeps.spec.SweepError: ")
    assert "if __name__ == \"__main__\":" in last and "my_sweep.py" in last
    assert not (tmp_path / "out").exists()


def test_guarded_script_runs_on_two_workers(tmp_path):
    done = run_script(tmp_path, guarded=True)
    assert done.returncode == 0, done.stderr
    assert "runs 2" in done.stdout and (tmp_path / "out" / "runs.csv").is_file()


def test_guard_detection(tmp_path):
    script = tmp_path / "s.py"
    script.write_text(textwrap.dedent("""\
        import x
        run()
        if __name__ == "__main__":
            run()
        if "__main__" == __name__:
            for k in range(2):
                run()
        else:
            run()
        def main():
            run()
        """))
    guarded = {line: executors._guarded(str(script), line) for line in (2, 4, 7, 9, 11)}
    assert guarded == {2: False, 4: True, 7: True, 9: False, 11: False}


def test_a_spawn_child_importing_the_script_is_stopped(monkeypatch):
    monkeypatch.setattr(executors.multiprocessing, "parent_process", lambda: object())
    namespace = {"__name__": "__mp_main__", "check": executors.check_main_guard}
    with pytest.raises(SweepError, match="if __name__ == \"__main__\":"):
        exec(compile("check()", "<script>", "exec"), namespace)


# --- spiral sensitivity -------------------------------------------------------------------------
def test_sensitivity_out_rule_and_overwrite_keeps_the_users_files(tmp_path, capsys):
    path = write(tmp_path, MORRIS)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "draft.txt").write_text("mine")
    assert cli.main(["sensitivity", str(path), "--out", str(mine), "--quiet"]) == 2
    one_line(capsys, "sensitivity", "not a sensitivity analysis folder")
    assert files(mine) == {"draft.txt": b"mine"}

    out = tmp_path / "sens"
    assert cli.main(["sensitivity", str(path), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "sensitivity" and manifest["complete"] is True
    assert {"morris_indices.csv", "sensitivity_morris.png", "morris/runs.csv",
            "morris/sweep.json"} <= set(manifest["files"])
    indices = (out / "morris_indices.csv").read_bytes()
    (out / "note.txt").write_text("keep me")
    (out / "morris" / "my-plot.png").write_bytes(b"mine too")
    before = files(out)

    assert cli.main(["sensitivity", str(path), "--out", str(out), "--quiet"]) == 2
    one_line(capsys, "sensitivity", "--resume", "--overwrite")
    # a file of the user's inside a sweep folder: refused, nothing changed
    assert cli.main(["sensitivity", str(path), "--out", str(out), "--quiet",
                     "--overwrite"]) == 2
    one_line(capsys, "sensitivity", "morris/my-plot.png", "nothing was changed")
    assert files(out) == before
    (out / "morris" / "my-plot.png").unlink()
    assert cli.main(["sensitivity", str(path), "--out", str(out), "--quiet",
                     "--overwrite"]) == 0
    capsys.readouterr()
    assert (out / "note.txt").read_text() == "keep me"
    assert (out / "morris_indices.csv").read_bytes() == indices
    from spiral.experiments.sweeps.records import finished_runs

    assert len(finished_runs(out / "morris")) == 2 * 3
    assert json.loads((out / "manifest.json").read_text())["created_utc"]
