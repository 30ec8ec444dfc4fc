"""``spiral charts``: every chart from a small run, its numbers, its index and its images."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from spiral.experiments.charts import book as charts
from spiral.experiments.charts import data as charts_data
from spiral.experiments.charts import ensemble
from spiral.experiments.cli import main as cli_main
from spiral.experiments.runs.runner import run_scenario, write_results
from spiral.experiments.runs.scenario import load_scenario

CHART_IDS = ("spiral", "where-the-loss-comes-from", "reported-weight", "who-drops-you",
             "guilt-by-association", "the-scar", "grades-over-time", "the-real-list",
             "tipping-point")
TINY_GRID = {"fear": (0.2, 0.8), "weight": (0.0, 0.8), "citizens": 150, "months": 24,
             "replicates": 1}
# the charts compare the run's main and baseline variants (the one-replicate stories relabel
# them feedback/counterfactual)
AS_CHARTED = {"feedback": "spiral", "counterfactual": "penalty"}
REPORTED = {"citizens": 150, "months": 24, "replicates": 1}


def run_rows(table: pd.DataFrame, charted: str) -> pd.DataFrame:
    """Rows of a results-folder table (replicate 0) behind the chart's variant ``charted``."""
    return table[(table["replicate"] == 0) & (table["variant"] == AS_CHARTED[charted])]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    scenario = load_scenario("zhima-spiral").with_changes(n_citizens=400, ticks=40,
                                                          cohort_share=0.05, cohort_tick=6)
    result = run_scenario(scenario, seed=5, track=range(400))
    return write_results(result, tmp_path_factory.mktemp("run") / "small", figures=False)


@pytest.fixture(scope="module")
def book(run_dir):
    return charts.make_charts(run_dir, run_dir / "charts", formats=("png", "svg"),
                              grid=TINY_GRID, reported_run=REPORTED, layouts=("desktop",))


def test_the_charts_compare_the_manifests_main_and_baseline_variants(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["variants"]["main"] == AS_CHARTED["feedback"]
    assert manifest["variants"]["baseline"] == AS_CHARTED["counterfactual"]
    ens = ensemble.read_ensemble(run_dir)
    assert (ens.main, ens.baseline) == ("spiral", "penalty")
    assert {"spiral", "penalty"} <= set(ens.tables["episodes"]["variant"])
    assert "replicate" in ens.tables["episodes"].columns
    tables = ens.slice()
    for name in ("episodes", "citizens", "timeseries", "events", "tracked"):
        assert set(tables[name]["variant"]) <= {"feedback", "counterfactual"}, name
        assert "replicate" not in tables[name].columns


def test_every_chart_is_written_with_data_and_alt_text(book):
    index = json.loads((book.out / "charts.json").read_text())
    assert [e["id"] for e in index["charts"]] == list(CHART_IDS)
    for entry in index["charts"]:
        for kind in ("png", "svg", "csv"):
            path = book.out / entry["files"][kind]
            assert path.is_file() and path.stat().st_size > 0, path
        assert len(entry["alt_text"]) > 40 and entry["title"] and entry["subtitle"]
        assert entry["source"].startswith("Source: blacklist-spiral model v") or \
            entry["id"] == "the-real-list"
    gif = book.out / index["animation"]["files"]["gif"]
    assert gif.stat().st_size > 1000 and gif.read_bytes()[:6] in (b"GIF89a", b"GIF87a")
    md = (book.out / "charts.md").read_text()
    assert all(e["alt_text"] in md for e in index["charts"])


def test_svg_keeps_the_title_as_text(book):
    index = json.loads((book.out / "charts.json").read_text())
    for entry in index["charts"]:
        svg = html.unescape((book.out / entry["files"]["svg"]).read_text())
        first_words = " ".join(entry["title"].split()[:3])
        assert first_words in svg, entry["id"]


def test_source_line_names_scenario_seed_and_replicates(book):
    spiral = json.loads((book.out / "charts.json").read_text())["charts"][0]
    assert "scenario zhima-spiral" in spiral["source"] and "seed 5" in spiral["source"]
    assert "1 replicate," in spiral["source"] and "CC BY 4.0" in spiral["source"]


def test_spiral_csv_matches_the_listed_table(book, run_dir):
    plotted = pd.read_csv(book.out / "spiral.csv")
    listed = pd.read_csv(run_dir / "episodes.csv")
    for variant in ("feedback", "counterfactual"):
        for month in (-1, 0, 6, 12):
            rows = run_rows(listed, variant)
            rows = rows[rows["months_since_listing"] == month]
            for metric in ("score", "contacts"):
                got = plotted[(plotted["variant"] == AS_CHARTED[variant])
                              & (plotted["metric"] == metric)
                              & (plotted["months_since_listing"] == month)].iloc[0]
                assert got["episodes"] == len(rows) and got["replicates"] == 1
                assert got["median"] == pytest.approx(np.median(rows[metric]))


def test_association_csv_matches_the_citizens_table(book, run_dir):
    plotted = pd.read_csv(book.out / "guilt-by-association.csv")
    citizens = pd.read_csv(run_dir / "citizens.csv")
    fb = run_rows(citizens, "feedback")
    fb = fb[~fb["ever_listed"]]
    friends = fb[fb["friend_of_listed"]]
    row = plotted[(plotted["variant"] == "spiral")
                  & (plotted["group"] == "friends of the blacklisted")].iloc[0]
    assert row["citizens"] == len(friends) > 0
    assert row["mean_score_change"] == pytest.approx(
        (friends["final_score"] - friends["initial_score"]).mean())
    assert row["mean_contact_change"] == pytest.approx(
        (friends["final_contacts"] - friends["initial_contacts"]).mean())
    assert plotted.groupby("variant")["citizens"].sum().eq(len(fb)).all()


def test_grades_csv_matches_the_timeseries(book, run_dir):
    plotted = pd.read_csv(book.out / "grades-over-time.csv")
    ts = pd.read_csv(run_dir / "timeseries.csv")
    for variant in ("feedback", "counterfactual"):
        mine = plotted[plotted["variant"] == AS_CHARTED[variant]].sort_values("month")
        rows = run_rows(ts, variant)
        assert mine["month"].tolist() == rows["tick"].tolist()
        assert np.allclose(mine["grade_D_percent"], rows["share_D"] * 100)


def test_ego_network_rebuilt_from_ties_and_events(run_dir):
    tables = ensemble.read_ensemble(run_dir).slice()
    last = int(tables["timeseries"]["tick"].max())
    ties = charts_data.ties_at(tables["initial_ties"], tables["events"], last)
    degree = np.zeros(400, dtype=int)
    for u, v in ties:
        degree[u] += 1
        degree[v] += 1
    final = tables["citizens"].query("variant == 'feedback'").sort_values("citizen")
    assert (degree == final["final_contacts"].to_numpy()).all()
    assert len(ties) < len(tables["initial_ties"])  # ties were cut


def test_ties_at_applies_each_phase_removals_before_additions():
    initial = pd.DataFrame({"u": [0, 1, 2], "v": [1, 2, 3]})
    events = pd.DataFrame([(1, "cut", 0, 1), (1, "rewire", 0, 2), (1, "listing", 1, -1),
                           (2, "reconnect", 1, 0),
                           (3, "lapse", 2, 3), (3, "closure", 3, 1),
                           (4, "cut", 0, 1), (4, "reconnect", 0, 1)],
                          columns=["tick", "event", "citizen", "other"])
    assert charts_data.ties_at(initial, events, 0) == {(0, 1), (1, 2), (2, 3)}
    assert charts_data.ties_at(initial, events, 1) == {(1, 2), (2, 3), (0, 2)}
    assert charts_data.ties_at(initial, events, 2) == {(0, 1), (1, 2), (2, 3), (0, 2)}
    assert charts_data.ties_at(initial, events, 3) == {(0, 1), (1, 2), (0, 2), (1, 3)}
    # cut by unfriending, then restored later in the same month
    assert charts_data.ties_at(initial, events, 4) == charts_data.ties_at(initial, events, 3)


def test_who_drops_you_csv_counts_kept_ties(book, run_dir):
    plotted = pd.read_csv(book.out / "who-drops-you.csv")
    tables = ensemble.read_ensemble(run_dir).slice()
    ego = int(plotted.loc[plotted["role"] == "blacklisted", "citizen"].iloc[0])
    for month, group in plotted.groupby("month"):
        ties = charts_data.ties_at(tables["initial_ties"], tables["events"], int(month))
        friends = {v if u == ego else u for u, v in ties if ego in (u, v)}
        assert set(group.loc[group["tie"] == "kept", "citizen"]) == friends
    tracked = tables["tracked"].query("variant == 'feedback'")
    sample = plotted[plotted["role"] == "friend"].iloc[0]
    expected = tracked[(tracked["citizen"] == sample["citizen"])
                       & (tracked["tick"] == sample["month"])]["grade"].iloc[0]
    assert sample["grade"] == expected


def test_scar_compares_a_corrected_wrongful_listing_with_a_never_listed_twin(book):
    scar = pd.read_csv(book.out / "the-scar.csv")
    me = scar[scar["role"] == "wrongfully listed"]
    twin = scar[scar["role"] == "never-listed twin"]
    assert me["listed"].any() and not me["listed"].iloc[-1]
    assert not twin["listed"].any()
    assert len(me) == len(twin)
    note = next(e for e in json.loads((book.out / "charts.json").read_text())["charts"]
                if e["id"] == "the-scar")["note"]
    assert "companion run" in note


def test_spiral_image_is_not_blank(book):
    from PIL import Image

    image = np.asarray(Image.open(book.out / "spiral.png").convert("RGB")).astype(int)
    assert image.shape[1] >= 1500  # 300 dpi at 6 inches
    inked = (image.sum(axis=2) < 600).mean()
    assert inked > 0.05
    vermillion = ((abs(image[..., 0] - 0xD5) < 12) & (abs(image[..., 1] - 0x5E) < 12)
                  & (abs(image[..., 2] - 0x00) < 12)).sum()
    blue = ((abs(image[..., 0] - 0x00) < 12) & (abs(image[..., 1] - 0x72) < 12)
            & (abs(image[..., 2] - 0xB2) < 12)).sum()
    assert vermillion > 500 and blue > 500


def test_tipping_point_from_a_sweep_folder(tmp_path):
    points = [(f, w) for f in (0.1, 0.9) for w in (0.0, 0.5)]
    rows = []
    for k, (f, w) in enumerate(points):
        for measure, value in (("never_listed_grade_D_share", f * w), ("ties_lost_share", w)):
            rows.append({"point": k, "fear_mean": f, "network_weight": w, "measure": measure,
                         "n": 3, "mean": value, "sd": 0.0, "ci_low": value, "ci_high": value})
    pd.DataFrame(rows).to_csv(tmp_path / "summary.csv", index=False)
    assert cli_main(["charts", str(tmp_path), "--out", str(tmp_path / "out"),
                     "--format", "svg,pdf"]) == 0
    plotted = pd.read_csv(tmp_path / "out" / "tipping-point.csv")
    assert set(plotted["measure"]) == {"never_listed_grade_D_share"}
    top = plotted[(plotted["fear_mean"] == 0.9) & (plotted["network_weight"] == 0.5)]
    assert top["mean"].iloc[0] == pytest.approx(0.45) and top["runs"].iloc[0] == 3
    assert (tmp_path / "out" / "tipping-point.pdf").stat().st_size > 0
    grid, chosen = charts_data.tipping_grid(tmp_path, measure="ties_lost_share")
    assert chosen == "ties_lost_share" and sorted(grid["mean"]) == [0, 0, 0.5, 0.5]


def test_bad_input_is_one_line_and_status_2(tmp_path, capsys):
    assert cli_main(["charts", str(tmp_path / "nowhere")]) == 2
    assert cli_main(["charts", str(tmp_path), "--format", "png,gif"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "png, svg, pdf" in err[1]


def _documented_csv_columns() -> dict[str, dict[str, set[str]]]:
    """The table "What each CSV holds" of docs/charts.md: file -> kind -> column names."""
    docs = Path(__file__).resolve().parents[3] / "docs" / "charts.md"
    table = {}
    for line in docs.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not re.fullmatch(r"`[a-z-]+\.csv`", cells[0]):
            continue
        kinds = {}
        for kind, cell in zip(("identifiers", "plotted", "context"), cells[1:], strict=True):
            # a column is named in backticks at the start of the cell or after a comma or
            # semicolon; backticked words in brackets are a column's values
            cell = re.sub(r"\([^)]*\)", "", cell)
            kinds[kind] = set(re.findall(r"(?:^|[,;] )`([a-z_A-Z0-9]+)`", cell))
        table[cells[0].strip("`")] = kinds
    return table


def test_csv_columns_are_those_documented(book):
    documented = _documented_csv_columns()
    assert set(documented) == {f"{c}.csv" for c in CHART_IDS}
    for name, kinds in documented.items():
        header = list(pd.read_csv(book.out / name, nrows=0).columns)
        named = [c for cols in kinds.values() for c in cols]
        assert len(named) == len(set(named)), name  # each column of one kind only
        assert set(header) == set(named), name
        assert len(header) == len(set(header)), name
