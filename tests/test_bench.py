"""``spiral bench``: runs end to end on tiny sizes, reports every figure, judges targets."""

import json

import pytest
from spiral.experiments.cli import main as cli_main
from spiral.experiments.tools import bench


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    status = cli_main(["bench", "--quick", "--sizes", "300,1000", "--json", str(out)])
    assert status == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_quick_bench_reports_every_figure(quick_report, capsys):
    report = quick_report
    assert [row["n"] for row in report["engine"]] == [300, 1000]
    for row in report["engine"]:
        for key in ("build_s", "setup_s", "tick_s", "tick_engine_only_s", "tick_one_thread_s",
                    "spmv_s",
                    "tick_over_spmv", "peak_rss_mb", "us_per_agent_tick"):
            assert row[key] > 0, key
        assert row["tick_over_spmv"] == pytest.approx(row["tick_s"] / row["spmv_s"], rel=0.01)
        assert 20 < row["peak_rss_mb"] < 2000, "a fresh process: its own memory, in MB"
    assert [row["n"] for row in report["mesa"]] == [300, 1000]
    for row in report["mesa"]:
        assert row["identical_trajectories"], "same seed: Mesa and the engine agree"
        assert row["mesa_over_engine"] == pytest.approx(
            row["mesa_tick_s"] / row["engine_tick_s"], rel=0.02)
        assert row["mesa_over_engine"] > 1
    sweep = report["sweep"]
    assert sweep["runs_measured"] == 2 and sweep["workers"] == 2 and sweep["extrapolated"]
    assert sweep["extrapolated_s"] == pytest.approx(sweep["s_per_run"] * 1000, rel=0.01)
    assert report["full_run"] is None, "--quick skips the 1.1 million citizen run"
    assert {"tick_over_spmv", "engine_only_over_spmv", "mesa_over_engine",
            "sweep_1000_runs_s"} <= set(report["targets"])
    assert report["machine"]["cpus"] >= 1 and report["machine"]["load_average_start"]


def test_report_table_lists_sizes_and_targets(quick_report):
    text = bench.format_report(quick_report)
    assert "Array engine" in text and "Mesa driver vs array engine" in text
    assert "     1,000" in text and "Targets" in text and "extrapolated" in text


def test_targets_are_judged_in_the_right_direction():
    report = {"engine": [{"n": 10, "tick_over_spmv": 3.0, "engine_only_over_spmv": 5.0}],
              "mesa": [{"n": 10, "mesa_over_engine": 299.0}],
              "sweep": {"extrapolated_s": 250.0, "n": 10, "ticks": 1, "workers": 2,
                        "runs_measured": 2},
              "full_run": {"wall_s": 31.0, "peak_rss_mb": 1000.0}}
    targets = bench.check_targets(report)
    assert targets["tick_over_spmv"]["met"] and not targets["engine_only_over_spmv"]["met"]
    assert not targets["mesa_over_engine"]["met"], "higher is better: 299 < 300"
    assert targets["sweep_1000_runs_s"]["met"]
    assert not targets["full_run_wall_s"]["met"] and targets["full_run_peak_rss_mb"]["met"]


def test_bad_options_end_with_one_line_and_status_2(capsys):
    assert cli_main(["bench", "--quick", "--ticks", "0"]) == 2
    assert "--ticks = 0" in capsys.readouterr().err
    assert cli_main(["bench", "--sizes", "ten"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--sizes" in err and "ten" in err
