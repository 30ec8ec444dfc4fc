"""The hostile-input battery (issue 12): every bad input of a careless user or a hostile file
ends with exit status 2, one line on stderr naming the field and value (or FILE:LINE), no
traceback, and nothing written under the output path or the working folder.

One case per example the issue names, and more, over every class: ``--set`` values and other
options, TOML scenario files, sweep files and sweep folders, edge lists and GraphML files,
chart folders, and output folders that must not be touched. The commands run in this process
(``spiral.experiments.cli.main``) for speed; ``test_console_has_no_traceback`` runs a few as
the console command. Hypothesis fuzzes the parsers: the value and ``--set`` parsers, TOML
files and edge lists either parse or raise the project's ``InputError``, nothing else.

The edge-list cases (BOM, delimiters, headers, GML, directed and empty GraphML) test
``model/networks.py``'s readers.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spiral.experiments import cli
from spiral.model.errors import InputError
from spiral.model.params import PARAMS, parse_assignment, validate_value

# lines a command prints before it finds the fault (its plan); everything else is the error
ANNOUNCEMENT = re.compile(r"^spiral (run|sweep|sensitivity|validate|charts): (scenario |no folder)")

SCENARIO = """name = "hostile"
description = "a small scenario"
seed = 3

[params]
n_citizens = 200
ticks = 14
"""

SWEEP = """name = "hostile-sweep"
scenario = "zhima-spiral"
design = "grid"
replicates = 1
seed = 5

[fixed]
n_citizens = 120
ticks = 12

[parameters]
fear_mean = { low = 0.2, high = 0.8, steps = 2 }
"""

SENSITIVITY = SWEEP.replace('design = "grid"', 'design = "morris"\nsamples = 2').replace(
    "{ low = 0.2, high = 0.8, steps = 2 }", "{ low = 0.2, high = 0.8 }")

EDGES_OK = "".join(f"p{i},p{(i + k) % 30}\n" for i in range(30) for k in (1, 2))


# --- helpers -----------------------------------------------------------------------------------
def snapshot(root: Path) -> dict[str, str]:
    """Every path under ``root`` with a hash of each file's bytes."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        out[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    return out


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def scenario(folder: Path, params: str = "", extra: str = "", name: str = "s.toml") -> Path:
    return write(folder, name, SCENARIO + params + "\n" + extra)


def sweep(folder: Path, old: str = "", new: str = "", name: str = "sweep.toml",
          text: str = SWEEP) -> Path:
    return write(folder, name, text.replace(old, new) if old else text)


def network_run(path: Path) -> list[str]:
    return ["run", "--set", "network=file", "--set", f"network_file={path}", "--ticks", "6",
            "--workers", "1"]


def fake_output(folder: Path, kind: str, manifest: str = "manifest.json", **fields) -> Path:
    """A folder that looks like a previous output of ours (manifest with kind and files)."""
    folder.mkdir(parents=True)
    write(folder, "table.csv", "a,b\n1,2\n")
    data = {"format_version": 2, "kind": kind, "files": ["table.csv", manifest], **fields}
    write(folder, manifest, json.dumps(data))
    return folder


def user_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    write(folder, "notes.md", "my own notes\n")
    write(folder, "data.csv", "x\n1\n")
    return folder


def tipping_sweep(folder: Path) -> Path:
    """A small sweep folder the tipping chart can draw (summary.csv only)."""
    rows = ["point,fear_mean,network_weight,measure,n,mean,sd,ci_low,ci_high"]
    for k, (f, w) in enumerate((f, w) for f in (0.1, 0.9) for w in (0.0, 0.5)):
        rows.append(f"{k},{f},{w},ties_lost_share,2,{w},0.0,{w},{w}")
    folder.mkdir(parents=True)
    write(folder, "summary.csv", "\n".join(rows) + "\n")
    return folder


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """A small results folder of ``spiral run`` (written once for the chart cases)."""
    out = tmp_path_factory.mktemp("run") / "small"
    assert cli.main(["run", "--set", "n_citizens=200", "--ticks", "14", "--seed", "3",
                     "--no-figures", "--workers", "1", "--out", str(out)]) == 0
    return out


def damaged_run(run_folder: Path, inp: Path, damage: Callable[[Path], None]) -> Path:
    folder = inp / "run"
    shutil.copytree(run_folder, folder)
    damage(folder)
    return folder


def truncate(path: Path, *, keep: float = 0.5, at_line: bool = False) -> None:
    data = path.read_bytes()
    if at_line:
        lines = data.splitlines(keepends=True)
        path.write_bytes(b"".join(lines[:max(2, len(lines) // 2)]))
    else:
        path.write_bytes(data[:int(len(data) * keep)].rstrip(b"\n") + b"7")


# --- the cases ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One hostile input: the arguments it builds (in ``inp``) and the words its line holds."""

    build: Callable[..., list[str]]
    words: tuple[str, ...]
    needs_run: bool = False


def out_arg(ctx) -> list[str]:
    return ["--out", str(ctx["out"])]


CASES: dict[str, Case] = {
    # ---- output folders: data loss and faults (every command that writes)
    "run --out a folder of the user's files": Case(
        lambda i, c: ["run", "--out", str(user_folder(i / "mydata"))], ("mydata", "not empty")),
    "run --out a previous run without --overwrite": Case(
        lambda i, c: ["run", "--out", str(fake_output(i / "prev", "run"))],
        ("prev", "--overwrite")),
    "run --out a previous sweep": Case(
        lambda i, c: ["run", "--out", str(fake_output(i / "sw", "sweep"))], ("sw", "not empty")),
    "run --out naming a file": Case(
        lambda i, c: ["run", "--out", str(write(i, "taken.txt", "x"))], ("taken.txt", "file")),
    "run --out below a file": Case(
        lambda i, c: ["run", "--out", str(write(i, "taken.txt", "x") / "deeper")],
        ("taken.txt", "is a file")),
    "run --out .": Case(lambda i, c: ["run", "--out", "."], (".", "current folder")),
    "run --out ..": Case(lambda i, c: ["run", "--out", ".."], ("..", "current folder")),
    "run with a file called results in the working folder": Case(
        lambda i, c: (write(c["work"], "results", "not a folder"), ["run"])[1],
        ("results", "is a file")),
    "sweep --out a folder of the user's files": Case(
        lambda i, c: ["sweep", str(sweep(i)), "--out", str(user_folder(i / "mydata"))],
        ("mydata", "not a sweep folder")),
    "sweep --out naming a file": Case(
        lambda i, c: ["sweep", str(sweep(i)), "--out", str(write(i, "taken.csv", "a\n"))],
        ("taken.csv", "is a file")),
    "sensitivity --out a folder of the user's files": Case(
        lambda i, c: ["sensitivity", str(sweep(i, text=SENSITIVITY)), "--out",
                      str(user_folder(i / "mydata"))], ("mydata", "not a sensitivity")),
    "sensitivity --overwrite on a folder of the user's files": Case(
        lambda i, c: ["sensitivity", str(sweep(i, text=SENSITIVITY)), "--overwrite", "--out",
                      str(user_folder(i / "mydata"))], ("mydata", "not a sensitivity")),
    "validate --out a folder of the user's files": Case(
        lambda i, c: ["validate", "--out", str(user_folder(i / "mydata"))], ("mydata",)),
    "validate --overwrite on a previous run": Case(
        lambda i, c: ["validate", "--overwrite", "--out", str(fake_output(i / "prev", "run"))],
        ("prev", "not a previous validation")),
    "charts --out a folder of the user's files": Case(
        lambda i, c: ["charts", str(tipping_sweep(i / "sw")), "--out",
                      str(user_folder(i / "mydata"))], ("mydata", "not empty")),
    "charts --overwrite on a folder of the user's files": Case(
        lambda i, c: ["charts", str(tipping_sweep(i / "sw")), "--overwrite", "--out",
                      str(user_folder(i / "mydata"))], ("mydata", "not a previous charts")),
    "charts --out naming a file": Case(
        lambda i, c: ["charts", str(tipping_sweep(i / "sw")), "--out",
                      str(write(i, "taken.png", b"\x89PNG"))], ("taken.png", "file")),
    "reproduce --keep a folder of the user's files": Case(
        lambda i, c: ["reproduce", str(fake_output(i / "sw", "sweep", "sweep.json")), "--keep",
                      str(user_folder(i / "mydata"))], ("mydata", "not empty")),
    # ---- numbers on the command line
    "--set n_citizens=inf": Case(lambda i, c: ["run", "--set", "n_citizens=inf", *out_arg(c)],
                                 ("n_citizens", "inf", "finite")),
    "--set n_citizens=-inf": Case(lambda i, c: ["run", "--set", "n_citizens=-inf", *out_arg(c)],
                                  ("n_citizens", "-inf")),
    "--set fear_mean=nan": Case(lambda i, c: ["run", "--set", "fear_mean=nan", *out_arg(c)],
                                ("fear_mean", "nan")),
    "--set ticks=1e309": Case(lambda i, c: ["run", "--set", "ticks=1e309", *out_arg(c)],
                              ("ticks", "finite")),
    "--ticks 1e309": Case(lambda i, c: ["run", "--ticks", "1e309", *out_arg(c)],
                          ("ticks", "finite")),
    "--set n_citizens=1e400": Case(lambda i, c: ["run", "--set", "n_citizens=1e400", *out_arg(c)],
                                   ("n_citizens", "finite")),
    "--set n_citizens with 40 digits": Case(
        lambda i, c: ["run", "--set", "n_citizens=" + "9" * 40, *out_arg(c)], ("n_citizens",)),
    "--set n_citizens=2.5": Case(lambda i, c: ["run", "--set", "n_citizens=2.5", *out_arg(c)],
                                 ("n_citizens", "whole number")),
    "--set n_citizens=-5": Case(lambda i, c: ["run", "--set", "n_citizens=-5", *out_arg(c)],
                                ("n_citizens", "-5", "out of range")),
    "--set fear_mean=1.5": Case(lambda i, c: ["run", "--set", "fear_mean=1.5", *out_arg(c)],
                                ("fear_mean", "1.5", "0 to 1")),
    "--set n_citizens=lots": Case(lambda i, c: ["run", "--set", "n_citizens=lots", *out_arg(c)],
                                  ("n_citizens", "lots")),
    "--set n_citizens= (empty)": Case(lambda i, c: ["run", "--set", "n_citizens=", *out_arg(c)],
                                      ("n_citizens",)),
    "--set without =": Case(lambda i, c: ["run", "--set", "n_citizens", *out_arg(c)],
                            ("NAME=VALUE", "n_citizens")),
    "--set unknown parameter": Case(lambda i, c: ["run", "--set", "fear_mena=0.3", *out_arg(c)],
                                    ("fear_mena", "fear_mean")),
    "--set network=nowhere": Case(lambda i, c: ["run", "--set", "network=nowhere", *out_arg(c)],
                                  ("network", "nowhere", "erdos_renyi")),
    "--seed -1": Case(lambda i, c: ["run", "--seed", "-1", *out_arg(c)], ("--seed", "-1")),
    "--seed 1e30": Case(lambda i, c: ["run", "--seed", "1e30", *out_arg(c)], ("--seed", "1e30")),
    "--seed above 2**63": Case(lambda i, c: ["run", "--seed", str(2**64), *out_arg(c)],
                               ("--seed",)),
    "n_citizens=2 and mean_degree=1 builds no ties": Case(
        lambda i, c: ["run", "--set", "n_citizens=2", "--set", "mean_degree=1", "--workers", "1",
                      *out_arg(c)], ("n_citizens", "2")),
    "mean_degree above the population": Case(
        lambda i, c: ["run", "--set", "n_citizens=100", "--set", "mean_degree=500",
                      "--workers", "1", *out_arg(c)], ("mean_degree", "500", "n_citizens")),
    "a network that needs far more memory than there is": Case(
        lambda i, c: ["run", "--set", "n_citizens=5000000", "--set", "mean_degree=1000",
                      "--set", "network=erdos_renyi", "--workers", "1", *out_arg(c)],
        ("n_citizens", "memory")),
    "--driver elsewhere": Case(lambda i, c: ["run", "--driver", "elsewhere", *out_arg(c)],
                               ("driver", "elsewhere")),
    "unknown scenario": Case(lambda i, c: ["run", "no-such-scenario", *out_arg(c)],
                             ("unknown scenario", "no-such-scenario")),
    # ---- TOML scenario files
    "scenario n_citizens = inf": Case(
        lambda i, c: ["run", str(write(i, "t.toml", SCENARIO.replace("n_citizens = 200",
                                                                     "n_citizens = inf"))),
                      *out_arg(c)], ("t.toml:6", "n_citizens", "inf")),
    "scenario fear_mean = nan": Case(
        lambda i, c: ["run", str(scenario(i, "fear_mean = nan")), *out_arg(c)],
        ("s.toml:", "fear_mean", "nan")),
    "scenario ticks = 1e309": Case(
        lambda i, c: ["run", str(write(i, "t.toml", SCENARIO.replace("ticks = 14",
                                                                     "ticks = 1e309"))),
                      *out_arg(c)], ("t.toml:", "ticks", "inf")),
    "scenario fear_mean = \"high\"": Case(
        lambda i, c: ["run", str(scenario(i, 'fear_mean = "high"')), *out_arg(c)],
        ("s.toml:", "fear_mean", "high")),
    "scenario not UTF-8": Case(
        lambda i, c: ["run", str(write(i, "latin1.toml",
                                       SCENARIO.replace("small", "caf\xe9").encode("latin-1"))),
                      *out_arg(c)], ("latin1.toml", "not UTF-8", "0xe9")),
    "scenario TOML syntax": Case(
        lambda i, c: ["run", str(scenario(i, "fear_mean = = 0.5")), *out_arg(c)],
        ("s.toml:8", "invalid TOML")),
    "scenario unknown key": Case(
        lambda i, c: ["run", str(scenario(i, extra="parms = 1")), *out_arg(c)],
        ("s.toml:", "parms")),
    "scenario unknown parameter": Case(
        lambda i, c: ["run", str(scenario(i, "fear_mena = 0.5")), *out_arg(c)],
        ("s.toml:", "fear_mena")),
    "scenario seed = -3": Case(
        lambda i, c: ["run", str(write(i, "t.toml", SCENARIO.replace("seed = 3", "seed = -3"))),
                      *out_arg(c)], ("t.toml:3", "seed", "-3")),
    "scenario is a folder": Case(
        lambda i, c: ["run", str((i / "dir.toml").mkdir() or i / "dir.toml"), *out_arg(c)],
        ("dir.toml", "folder")),
    "scenario file missing": Case(
        lambda i, c: ["run", str(i / "missing.toml"), *out_arg(c)],
        ("missing.toml", "not found")),
    "scripted listing citizen = -1": Case(
        lambda i, c: ["run", str(scenario(i, extra="[[listings]]\ncitizen = -1\ntick = 2")),
                      *out_arg(c)], ("s.toml", "citizen", "-1")),
    "scripted listing after the last month": Case(
        lambda i, c: ["run", str(scenario(i, extra="[[listings]]\ncitizen = 0\ntick = 500")),
                      "--workers", "1", *out_arg(c)], ("s.toml", "tick", "500")),
    "scripted listing of a citizen who does not exist": Case(
        lambda i, c: ["run", str(scenario(i, extra="[[listings]]\ncitizen = 5000\ntick = 2")),
                      "--workers", "1", *out_arg(c)], ("citizen", "5000")),
    "scenario network file missing": Case(
        lambda i, c: ["run", str(scenario(i, f'network = "file"\nnetwork_file = '
                                                f'"{i / "nowhere.csv"}"')), "--workers", "1",
                      *out_arg(c)], ("nowhere.csv",)),
    # ---- sweep files
    "sweep steps = 100000000": Case(
        lambda i, c: ["sweep", str(sweep(i, "steps = 2", "steps = 100000000")), *out_arg(c)],
        ("sweep.toml:", "steps", "100,000,000")),
    "sweep high = inf": Case(
        lambda i, c: ["sweep", str(sweep(i, "high = 0.8", "high = inf")), *out_arg(c)],
        ("sweep.toml:", "fear_mean", "inf")),
    "sweep low = -inf": Case(
        lambda i, c: ["sweep", str(sweep(i, "low = 0.2", "low = -inf")), *out_arg(c)],
        ("sweep.toml:", "fear_mean", "-inf")),
    "sweep values = [nan]": Case(
        lambda i, c: ["sweep", str(sweep(i, "{ low = 0.2, high = 0.8, steps = 2 }",
                                         "{ values = [0.5, nan] }")), *out_arg(c)],
        ("sweep.toml:", "fear_mean", "nan")),
    "sweep [fixed] n_citizens = inf": Case(
        lambda i, c: ["sweep", str(sweep(i, "n_citizens = 120", "n_citizens = inf")),
                      *out_arg(c)], ("sweep.toml:", "n_citizens", "inf")),
    "sweep ticks = 1e309": Case(
        lambda i, c: ["sweep", str(sweep(i, "ticks = 12", "ticks = 1e309")), *out_arg(c)],
        ("sweep.toml:", "ticks")),
    "sweep replicates = 10**12": Case(
        lambda i, c: ["sweep", str(sweep(i, "replicates = 1", "replicates = 1000000000000")),
                      *out_arg(c)], ("sweep.toml:", "runs", "limit")),
    "sweep samples = 10**9": Case(
        lambda i, c: ["sweep", str(sweep(i, 'design = "grid"', 'design = "latin"\nsamples = '
                                         '1000000000', text=SENSITIVITY.replace(
                                             'design = "morris"\nsamples = 2',
                                             'design = "grid"'))), *out_arg(c)],
        ("sweep.toml:", "points", "limit")),
    "sweep morris_levels = 10**9": Case(
        lambda i, c: ["sweep", str(sweep(i, "samples = 2", "samples = 2\nmorris_levels = "
                                         "1000000000", text=SENSITIVITY)), *out_arg(c)],
        ("sweep.toml:", "morris_levels")),
    "sweep not UTF-8": Case(
        lambda i, c: ["sweep", str(write(i, "s.toml", SWEEP.replace(
            "hostile-sweep", "caf\xe9").encode("latin-1"))), *out_arg(c)],
        ("s.toml", "not UTF-8")),
    "sweep TOML syntax": Case(
        lambda i, c: ["sweep", str(sweep(i, "seed = 5", "seed = = 5")), *out_arg(c)],
        ("sweep.toml:5", "invalid TOML")),
    "sweep unknown design": Case(
        lambda i, c: ["sweep", str(sweep(i, '"grid"', '"gird"')), *out_arg(c)],
        ("sweep.toml:3", "gird", "grid")),
    "sweep seed = -1": Case(
        lambda i, c: ["sweep", str(sweep(i, "seed = 5", "seed = -1")), *out_arg(c)],
        ("sweep.toml:5", "seed")),
    "sweep --workers 0": Case(
        lambda i, c: ["sweep", str(sweep(i)), "--workers", "0", *out_arg(c)], ("--workers", "0")),
    "sweep --save nosuch": Case(
        lambda i, c: ["sweep", str(sweep(i)), "--save", "nosuch", *out_arg(c)], ("nosuch",)),
    "sweep --scheduler malformed (default output folder)": Case(
        lambda i, c: ["sweep", str(sweep(i)), "--scheduler", "garbage::"],
        ("--scheduler", "garbage::")),
    "sweep --scheduler unreachable": Case(
        lambda i, c: ["sweep", str(sweep(i)), "--scheduler", "tcp://127.0.0.1:9", *out_arg(c)],
        ("--scheduler", "127.0.0.1:9", "no Dask scheduler")),
    "sweep --resume a corrupt sweep.json": Case(
        lambda i, c: ["sweep", str(sweep(i)), "--resume", "--out", str(write(
            i / "old", "sweep.json", "{ corrupt").parent)], ("old", "not a sweep folder")),
    "sweep --resume a folder that is not a sweep": Case(
        lambda i, c: ["sweep", str(sweep(i)), "--resume", "--out",
                      str(user_folder(i / "mine"))], ("mine", "not a sweep folder")),
    "sweep --resume a run folder": Case(
        lambda i, c: ["sweep", str(sweep(i)), "--resume", "--out",
                      str(fake_output(i / "prev", "run"))], ("prev", "not a sweep folder")),
    "sweep --resume another sweep's folder": Case(
        lambda i, c: ["sweep", str(sweep(i)), "--resume", "--out", str(fake_output(
            i / "other", "sweep", "sweep.json", fingerprint="0" * 64, name="other"))],
        ("other", "different sweep")),
    "sensitivity on a list of values": Case(
        lambda i, c: ["sensitivity", str(sweep(i, "{ low = 0.2, high = 0.8, steps = 2 }",
                                               "{ values = [0.2, 0.8] }")), *out_arg(c)],
        ("fear_mean", "low")),
    # ---- edge lists and GraphML files (model/networks.py)
    "edge list missing": Case(lambda i, c: [*network_run(i / "nope.csv"), *out_arg(c)],
                              ("nope.csv",)),
    "edge list with one name on a line": Case(
        lambda i, c: [*network_run(write(i, "f.csv", "source,target\nann,bob\nbob\ncarl,ann\n")),
                      *out_arg(c)], ("f.csv:3",)),
    "semicolon edge list, bad line 5": Case(
        lambda i, c: [*network_run(write(i, "semi.csv", "a;b\nb;c\nc;d\nd;e\ne\nf;a\n")),
                      *out_arg(c)], ("semi.csv:5",)),
    "edge list without ties": Case(
        lambda i, c: [*network_run(write(i, "none.csv", "source,target\n")), *out_arg(c)],
        ("none.csv",)),
    "edge list not UTF-8": Case(
        lambda i, c: [*network_run(write(i, "bin.csv", b"a,b\n\xff\xfe,\x80\n")), *out_arg(c)],
        ("bin.csv",)),
    "GML given as an edge list": Case(
        lambda i, c: [*network_run(write(i, "g.csv", "graph [\n  node [\n    id 0\n  ]\n"
                                         "  node [\n    id 1\n  ]\n  edge [\n    source 0\n"
                                         "    target 1\n  ]\n]\n")), *out_arg(c)],
        ("g.csv", "GML")),
    "directed GraphML": Case(
        lambda i, c: [*network_run(write(i, "d.graphml", GRAPHML.format(
            directed="directed", edges=GRAPHML_EDGES))), *out_arg(c)], ("d.graphml", "directed")),
    "GraphML without edges": Case(
        lambda i, c: [*network_run(write(i, "e.graphml", GRAPHML.format(
            directed="undirected", edges=""))), *out_arg(c)], ("e.graphml",)),
    "GraphML that is not XML": Case(
        lambda i, c: [*network_run(write(i, "x.graphml", "<graphml><graph>")), *out_arg(c)],
        ("x.graphml",)),
    # ---- chart folders
    "charts on a folder that is not a run": Case(
        lambda i, c: ["charts", str(user_folder(i / "mine"))], ("mine", "not a results folder")),
    "charts on an empty folder": Case(
        lambda i, c: ["charts", str((i / "empty").mkdir() or i / "empty")], ("empty", "empty")),
    "charts on a missing folder": Case(
        lambda i, c: ["charts", str(i / "nowhere")], ("nowhere", "no such folder")),
    "charts on a run missing a table": Case(
        lambda i, c: ["charts", str(damaged_run(c["run"], i, lambda f: [
            (f / n).unlink() for n in ("episodes.csv", "episodes.parquet")]))],
        ("run", "episodes.csv"), needs_run=True),
    "charts on a run with a corrupt manifest": Case(
        lambda i, c: ["charts", str(damaged_run(c["run"], i, lambda f: write(
            f, "manifest.json", '{"kind": "run", "params": ')))],
        ("manifest.json:1", "damaged"), needs_run=True),
    "charts on a run with a truncated episodes.csv": Case(
        lambda i, c: ["charts", str(damaged_run(c["run"], i, lambda f: truncate(
            f / "episodes.csv")))], ("episodes.csv", "truncated"), needs_run=True),
    "charts on a run with episodes.csv cut at a line": Case(
        lambda i, c: ["charts", str(damaged_run(c["run"], i, lambda f: truncate(
            f / "episodes.csv", at_line=True)))], ("episodes.csv", "episodes.parquet"),
        needs_run=True),
    "charts on a run with an empty timeseries.csv": Case(
        lambda i, c: ["charts", str(damaged_run(c["run"], i, lambda f: write(
            f, "timeseries.csv", "")))], ("timeseries.csv", "empty"), needs_run=True),
    "charts on an empty runs.csv": Case(
        lambda i, c: ["charts", str(write(i / "sw", "runs.csv", "").parent)],
        ("runs.csv", "empty")),
    "charts on a runs.csv with a header only": Case(
        lambda i, c: ["charts", str(write(i / "sw", "runs.csv", "point,replicate,seed\n").parent)],
        ("runs.csv", "no rows")),
    "charts on a sweep.json that is damaged": Case(
        lambda i, c: ["charts", str(write(i / "sw", "sweep.json", "{").parent)],
        ("sweep.json:1", "damaged")),
    "charts on a sweep that does not vary fear and network weight": Case(
        lambda i, c: ["charts", str(write(i / "sw", "summary.csv",
                                          "point,x,measure,n,mean\n0,1,m,1,0.5\n").parent)],
        ("summary.csv", "fear_mean", "network_weight")),
    "charts on a validation folder": Case(
        lambda i, c: ["charts", str(fake_output(i / "val", "validation"))],
        ("val", "validation")),
    "charts --format gif": Case(
        lambda i, c: ["charts", str(tipping_sweep(i / "sw")), "--format", "png,gif"],
        ("--format", "gif")),
    "charts --sweep missing": Case(
        lambda i, c: ["charts", str(tipping_sweep(i / "sw")), "--sweep", str(i / "nowhere")],
        ("--sweep", "nowhere")),
    # ---- reproduce
    "reproduce a folder that is not ours": Case(
        lambda i, c: ["reproduce", str(user_folder(i / "mine"))], ("mine", "no manifest")),
    "reproduce a damaged manifest": Case(
        lambda i, c: ["reproduce", str(write(i / "r", "manifest.json", "[1, 2").parent)],
        ("manifest.json", "damaged")),
    "reproduce a validation folder": Case(
        lambda i, c: ["reproduce", str(fake_output(i / "val", "validation"))],
        ("validation", "cannot be reproduced")),
}

GRAPHML = """<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <graph id="G" edgedefault="{directed}">
    <node id="a"/><node id="b"/><node id="c"/>
{edges}  </graph>
</graphml>
"""
GRAPHML_EDGES = '    <edge source="a" target="b"/>\n    <edge source="b" target="c"/>\n'


# cases that fail until code outside experiments/ (sweeps, charts, common, cli) is changed
NOT_YET: dict[str, str] = {}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(
    reason=NOT_YET[n], strict=False)) if n in NOT_YET else n for n in CASES])
def test_hostile_input_is_one_line_exit_2_and_writes_nothing(name, tmp_path, capsys,
                                                            monkeypatch, request):
    case = CASES[name]
    inp, work = tmp_path / "in", tmp_path / "work"
    inp.mkdir()
    work.mkdir()
    monkeypatch.chdir(work)
    ctx = {"out": tmp_path / "out", "work": work}
    if case.needs_run:
        ctx["run"] = request.getfixturevalue("run_folder")
    argv = case.build(inp, ctx)
    before = snapshot(tmp_path)
    status = cli.main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = [line for line in err.strip().splitlines() if not ANNOUNCEMENT.match(line)]
    assert status == 2, (status, err)
    assert len(lines) == 1 and ": error: " in lines[0], err
    for word in case.words:
        assert word in lines[0], (word, lines[0])
    assert snapshot(tmp_path) == before, "something was written or changed"


def test_the_battery_is_big_enough():
    assert len(CASES) >= 60


# --- inputs that are not errors but must never invent citizens ------------------------------
NEVER_INVENT = {
    "UTF-8 byte order mark": "\ufeffsource,target\n" + EDGES_OK,
    "tab after space-separated ids": "".join(f"{i} {(i + 1) % 30}\t\n" for i in range(30)),
    "unrecognised header from_id,to_id": "from_id,to_id\n" + "".join(
        f"{i},{(i + 1) % 30}\n" for i in range(30)),
}


@pytest.mark.parametrize("name", list(NEVER_INVENT))
def test_edge_lists_never_invent_citizens(name, tmp_path, capsys):
    """A byte order mark, a stray tab or an unknown header: refused in one line, or read with
    exactly the 30 citizens of the file.
    """
    from spiral.model import networks
    from spiral.model.params import Params

    path = write(tmp_path, "friends.csv", NEVER_INVENT[name])
    params = Params(network="file", network_file=str(path))
    try:
        edges = networks.build_edges(params, None)
    except InputError as exc:
        assert "friends.csv" in str(exc) and "\n" not in str(exc)
        return
    assert edges.n == 30, f"{edges.n} citizens from a file of 30"


# --- security ----------------------------------------------------------------------------------
def test_names_cannot_send_outputs_outside_results(tmp_path, monkeypatch, capsys):
    """The output folder built from a scenario's or sweep's name stays inside results/."""
    from spiral.experiments.common.outputs import default_out_dir
    from spiral.experiments.runs.results import default_run_dir
    from spiral.experiments.runs.scenario import load_scenario

    work = tmp_path / "deep" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    hostile = ("../../../x", "/etc/passwd", "..", "a/../../b", "x\x00y", "~root", ".hidden",
               "C:\\Windows", "名前/../..")
    for name in hostile:
        for kind in ("sweep", "sensitivity", "validate"):
            out = default_out_dir(kind, name)
            assert out.parent == Path("results") and not out.name.startswith("."), out
        sc = load_scenario("zhima-spiral")
        out = default_run_dir(type(sc)(**{**vars(sc), "name": name}), 7)
        assert out.parent == Path("results") and "/" not in out.name and ".." not in out.name
    text = SWEEP.replace('"hostile-sweep"', '"../../../escaped"')
    assert cli.main(["sweep", str(sweep(work, text=text)), "--quiet"]) == 0
    capsys.readouterr()
    (made,) = (work / "results").iterdir()
    assert made.name.startswith("sweep-escaped-")
    assert not (tmp_path / "escaped").exists() and not list(tmp_path.glob("sweep-*"))


def test_params_piped_into_head_ends_quietly(tmp_path):
    """`spiral params | head`: no BrokenPipeError traceback, status 141 (SIGPIPE)."""
    for args in (["params"], ["params", "--format", "json"], ["scenarios"]):
        proc = subprocess.run(f"{sys.executable} -m spiral.experiments.cli {' '.join(args)} "
                              "| head -c 1 > /dev/null; echo ${PIPESTATUS[0]}",
                              shell=True, executable="/bin/bash", capture_output=True,
                              text=True, timeout=120, check=False, cwd=tmp_path)
        assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
        assert proc.stdout.strip() in ("0", "141"), proc.stdout


def test_console_has_no_traceback(tmp_path):
    """A few cases as the console command: exit 2, one line, nothing written."""
    for args in (["run", "--set", "n_citizens=inf"], ["run", "--ticks", "1e309"],
                 ["sweep", str(sweep(tmp_path, "high = 0.8", "high = inf"))],
                 ["charts", str(tmp_path / "nowhere")], ["run", "--bogus-option"]):
        proc = subprocess.run([sys.executable, "-m", "spiral.experiments.cli", *args, "--out",
                               str(tmp_path / "out")], capture_output=True, text=True,
                              timeout=120, check=False, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert not (tmp_path / "out").exists() and not (tmp_path / "results").exists()


# --- fuzzing the parsers -----------------------------------------------------------------------
NAMES = sorted(PARAMS)
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["inf", "-inf", "nan", "1e309", "-1e309", "0x10", "1_000", " 5 ", "",
                     "true", "TRUE", "1e-400", "\u0663", "\uff11\uff12", "5.", ".5", "+3", "--1"]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(),
                                                         max_size=2))


def _valid(name: str, value) -> bool:
    import math

    p = PARAMS[name]
    if p.kind == "bool":
        return isinstance(value, bool)
    if p.kind in ("choice", "str"):
        return isinstance(value, str) and (p.kind == "str" or value in p.choices)
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return False
    if p.kind == "int" and not isinstance(value, int):
        return False
    return (p.low is None or value >= p.low) and (p.high is None or value <= p.high)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(NAMES), value=VALUES)
def test_fuzz_validate_value_parses_or_raises_input_error(name, value):
    try:
        parsed = validate_value(name, value)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert _valid(name, parsed), (name, value, parsed)


@settings(max_examples=400, deadline=None)
@given(name=st.one_of(st.sampled_from(NAMES), st.text(max_size=12)),
       raw=st.one_of(st.text(max_size=25), st.floats().map(repr),
                     st.integers(min_value=-(2**70), max_value=2**70).map(str)))
def test_fuzz_set_assignment_parses_or_raises_input_error(name, raw):
    text = f"{name}={raw}"
    try:
        key, parsed = parse_assignment(text)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert key in PARAMS and _valid(key, parsed), (text, parsed)


@settings(max_examples=200, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.one_of(
    st.binary(max_size=200),
    st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(
        ["inf", "nan", "-inf", "1e309", "0", "-1", "1.5", "2", '"x"', "true", "[1]", "{a=1}",
         "9999999999999999999", "1e-300", '"watts_strogatz"'])), max_size=4).map(
        lambda pairs: "[params]\n" + "".join(f"{k} = {v}\n" for k, v in pairs))))
def test_fuzz_scenario_files_load_or_raise_input_error(body, tmp_path):
    from spiral.experiments.runs.scenario import load_scenario

    path = tmp_path / "fuzz.toml"
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    try:
        sc = load_scenario(path)
    except InputError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)
        return
    for key, value in sc.params.items():
        assert _valid(key, value), (key, value)


@settings(max_examples=150, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.one_of(
    st.binary(max_size=300),
    st.lists(st.tuples(st.text(alphabet="ab01 ,;\t#\"\ufeff", max_size=6),
                       st.text(alphabet="ab01 ,;\t#\"", max_size=6)), max_size=8).map(
        lambda rows: "".join(f"{a},{b}\n" for a, b in rows))))
def test_fuzz_edge_lists_read_or_raise_input_error(body, tmp_path):
    from spiral.model import networks
    from spiral.model.params import Params

    path = tmp_path / "fuzz.csv"
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    try:
        edges = networks.build_edges(Params(network="file", network_file=str(path)), None)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert edges.n >= 2 and edges.u.size >= 1
    assert (edges.u < edges.v).all() and edges.v.max() < edges.n
