"""The `spiral` command: reproducible runs, complete results folders, one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from spiral.experiments.cli import main
from spiral.experiments.runs import results, runner
from spiral.experiments.runs.scenario import load_scenario
from spiral.model.params import PARAMS

SMALL = ["--set", "n_citizens=300", "--ticks", "24"]
DATA_FILES = ("timeseries.csv", "episodes.csv", "events.csv", "citizens.csv", "initial_ties.csv",
              "summary.json", "figures/spiral.csv")


def test_same_seed_gives_identical_data_files(tmp_path):
    for name in ("A", "B"):
        assert main(["run", "--seed", "7", *SMALL, "--out", str(tmp_path / name)]) == 0
    for f in DATA_FILES:
        assert (tmp_path / "A" / f).read_bytes() == (tmp_path / "B" / f).read_bytes(), f
    for f in ("timeseries", "episodes", "events", "citizens"):
        assert pd.read_parquet(tmp_path / "A" / f"{f}.parquet").equals(
            pd.read_parquet(tmp_path / "B" / f"{f}.parquet"))


def test_results_folder_is_complete_and_described(tmp_path):
    out = tmp_path / "run"
    assert main(["run", *SMALL, "--seed", "3", "--out", str(out)]) == 0
    for f in (*DATA_FILES, "manifest.json", "figures/spiral.png", "figures/spiral.svg"):
        assert (out / f).stat().st_size > 0, f
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["params"]["n_citizens"] == 300
    assert manifest["params"]["ticks"] == 24 and manifest["scenario"] == "zhima-spiral"
    assert {"numpy", "mesa", "python"} <= set(manifest["versions"])
    variants = manifest["variants"]
    assert (variants["main"], variants["baseline"]) == ("spiral", "penalty")
    changes = {v["name"]: v["changes"] for v in variants["run"]}
    assert changes["penalty"] == {"stigma_strength": 0.0, "network_weight": 0.0,
                                  "fear_strength": 0.0}
    assert [r["network"]["citizens"] for r in manifest["replicates"]] == [300] * 3
    episodes = pd.read_csv(out / "episodes.csv")
    assert set(episodes["variant"]) == set(changes) - {"unlisted"}
    summary = json.loads((out / "summary.json").read_text())
    measures = summary["per_replicate"][0]["measures"]
    assert "score_loss_12m__spiral-penalty" in measures and "isolated_share__spiral" in measures


@pytest.mark.parametrize("args, words", [
    (["--set", "nonexistent_param=1"], ["nonexistent_param", "unknown parameter"]),
    (["--set", "hearing_prob=1.5"], ["hearing_prob", "1.5", "0 to 1"]),
    (["--set", "n_citizens=lots"], ["n_citizens", "lots"]),
    (["--set", "rewire=sideways"], ["rewire", "sideways", "friend_of_friend"]),
    (["no-such-scenario"], ["unknown scenario", "zhima-spiral"]),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, args, words):
    out = tmp_path / "never"
    assert main(["run", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    for word in words:
        assert word in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_malformed_scenario_file_names_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[params]\nfear_mean = 0.5\nnetwork_weight = = 2\n')
    assert main(["run", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "bad.toml:4: invalid TOML" in err and len(err.strip().splitlines()) == 1
    bad.write_text('name = "x"\n[params]\nfear_mean = 0.5\nnetwork_weight = 2.0\n')
    assert main(["run", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "bad.toml:4" in err and "network_weight" in err and "0 to 1" in err
    bad.write_text('name = "x"\nparms = {}\n')
    assert main(["run", str(bad)]) == 2
    assert "bad.toml:2" in capsys.readouterr().err


def test_broken_edge_list_names_file_and_line(tmp_path, capsys):
    edges = tmp_path / "friends.csv"
    edges.write_text("source,target\nann,bob\nbob\ncarl,ann\n")
    assert main(["run", "--set", "network=file", "--set", f"network_file={edges}",
                 "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "friends.csv:3" in err and "two node names" in err
    assert not (tmp_path / "o").exists()


def test_real_edge_list_runs_and_keeps_names(tmp_path):
    edges = tmp_path / "friends.tsv"
    lines = ["# a tiny village", "from\tto"]
    names = [f"p{i}" for i in range(30)]
    lines += [f"{names[i]}\t{names[(i + k) % 30]}" for i in range(30) for k in (1, 2, 3)]
    edges.write_text("\n".join(lines) + "\n")
    out = tmp_path / "o"
    assert main(["run", "--set", "network=file", "--set", f"network_file={edges}",
                 "--ticks", "6", "--out", str(out)]) == 0
    citizens = pd.read_csv(out / "citizens.csv")
    assert citizens["label"].iloc[:30].tolist() == names
    assert len(pd.read_csv(out / "initial_ties.csv")) == 90


def test_a_failed_write_leaves_no_half_written_folder(tmp_path, monkeypatch):
    result = runner.run_scenario(load_scenario("zhima-spiral").with_changes(
        n_citizens=200, ticks=6), seed=1)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("spiral.experiments.charts.run_figure.spiral_figure", broken)
    with pytest.raises(OSError):
        results.write_results(result, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_params_and_scenarios_commands_list_everything(capsys):
    assert main(["params"]) == 0
    text = capsys.readouterr().out
    assert all(name in text for name in PARAMS)
    assert main(["params", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} == set(PARAMS)
    assert main(["scenarios"]) == 0
    text = capsys.readouterr().out
    for name in ("zhima-spiral", "suining-2010", "no-feedback", "wrongful-listing", "oversight",
                 "guilt-by-association", "suining-scale"):
        assert name in text


def test_console_errors_have_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "spiral.experiments.cli", "run", "--set",
                           "fear_mean=2", "--out", str(tmp_path / "x")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert "fear_mean" in proc.stderr and not Path(tmp_path / "x").exists()
