"""`spiral charts` on a run with replicates and on a sweep: every format and layout, readable
on a phone, identical words everywhere, deterministic files, HTML that draws offline.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from spiral.experiments.charts import book as charts
from spiral.experiments.charts import vega
from spiral.experiments.cli import main as cli_main
from spiral.experiments.runs.replicates import run_replicates
from spiral.experiments.runs.results import write_results
from spiral.experiments.runs.scenario import load_scenario

CHART_IDS = {"spiral", "where-the-loss-comes-from", "reported-weight", "who-drops-you",
             "guilt-by-association", "the-scar", "grades-over-time", "the-real-list",
             "tipping-point"}
TINY_GRID = {"fear": (0.2, 0.8), "weight": (0.0, 0.05, 0.8), "citizens": 120, "months": 24,
             "replicates": 1}
SMALL_REPORTED = {"citizens": 200, "months": 30, "replicates": 2}
LADDER = ["unlisted", "penalty", "stigma", "network", "chain", "fear", "spiral"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    scenario = load_scenario("zhima-spiral").with_changes(
        n_citizens=300, ticks=40, cohort_share=0.05, cohort_tick=6).with_variants(LADDER)
    runs = run_replicates(scenario, seed=5, replicates=3, track=range(300))
    return write_results(runs, tmp_path_factory.mktemp("run") / "small", figures=False)


@pytest.fixture(scope="module")
def book(run_dir):
    return charts.make_charts(run_dir, run_dir / "charts", formats=("png", "svg", "pdf"),
                              grid=TINY_GRID, reported_run=SMALL_REPORTED)


def _svg_text(path: Path) -> str:
    texts = re.findall(r"<text[^>]*>(.*?)</text>", path.read_text(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", t)) for t in texts)


def _norm(text: str) -> str:
    return " ".join(text.split())


def test_every_chart_in_every_format_and_layout(book):
    index = json.loads((book.out / "charts.json").read_text())
    assert {e["id"] for e in index["charts"]} == CHART_IDS, index["notes"]
    for entry in index["charts"]:
        for kind in ("png", "svg", "pdf", "html", "png_mobile", "svg_mobile", "pdf_mobile",
                     "html_mobile", "csv"):
            path = book.out / entry["files"][kind]
            assert path.is_file() and path.stat().st_size > 0, (entry["id"], kind)
        assert entry["source"].count("CC BY 4.0") == 1 and "Reproduce:" in entry["source"]
        if entry["id"] != "the-real-list":
            assert entry["subtitle"].startswith("Simulated"), entry["id"]
    assert "what_is_real_what_is_assumed" in index
    assert (book.out / index["animation"]["files"]["gif"]).stat().st_size > 1000


def test_few_replicates_are_said_and_claim_no_interval(book):
    index = json.loads((book.out / "charts.json").read_text())
    spiral = next(e for e in index["charts"] if e["id"] == "spiral")
    assert "3 replicates" in spiral["source"]
    assert "too few for a 95% interval" in spiral["subtitle"]


def test_png_svg_and_html_carry_identical_words(book):
    index = json.loads((book.out / "charts.json").read_text())
    for entry in index["charts"]:
        for svg in (entry["files"]["svg"], entry["files"]["svg_mobile"]):
            text = _norm(_svg_text(book.out / svg))
            for key in ("title", "subtitle", "source"):
                assert _norm(entry[key]) in text, (entry["id"], key)
        for page, layout in ((entry["files"]["html"], "desktop"),
                             (entry["files"]["html_mobile"], "mobile")):
            text = (book.out / page).read_text()
            width = vega._sizes(layout)["wrap"]
            for key, wrap in (("title", width - 6), ("subtitle", width), ("source", width)):
                lines = vega._lines(entry[key], wrap)
                assert _norm(" ".join(lines)) == _norm(entry[key])
                assert all(json.dumps(line) in text for line in lines), (entry["id"], key)


def test_no_text_below_12_px_on_a_phone(book):
    for path in sorted(book.out.glob("*.mobile.svg")):
        source = path.read_text()
        width = float(re.search(r'<svg[^>]*\swidth="([0-9.]+)pt"', source).group(1))
        sizes = [float(s) for s in re.findall(r"font-size:\s*([0-9.]+)px", source)]
        assert sizes, path.name
        assert min(sizes) * 375 / width >= 12 - 1e-9, (path.name, min(sizes), width)


def test_the_html_is_self_contained(book):
    for path in sorted(book.out.glob("*.html")):
        text = path.read_text()
        assert "cdn.jsdelivr" not in text and "<script src=" not in text, path.name
        assert "vegaEmbed" in text


def test_the_same_seed_gives_byte_identical_svg_html_and_pdf(book, run_dir, tmp_path):
    again = charts.make_charts(run_dir, tmp_path / "again", formats=("svg", "pdf"),
                               grid=TINY_GRID, reported_run=SMALL_REPORTED, animation=False)
    compared = 0
    for entry in again.entries:
        for kind in ("svg", "pdf", "html", "svg_mobile", "pdf_mobile", "html_mobile"):
            name = entry["files"][kind]
            assert (tmp_path / "again" / name).read_bytes() == \
                (book.out / name).read_bytes(), name
            compared += 1
    assert compared == 6 * len(CHART_IDS)


def test_sweep_folder_gives_the_heatmap_in_every_format(tmp_path):
    import pandas as pd

    rows = [{"point": k, "replicate": r, "seed": 7 + r, "seed_text": str(7 + r),
             "fear_mean": f, "network_weight": w, "never_listed_grade_D_share__spiral": f * w}
            for k, (f, w) in enumerate((f, w) for f in (0.1, 0.9) for w in (0.0, 0.5))
            for r in range(2)]
    pd.DataFrame(rows).to_csv(tmp_path / "runs.csv", index=False)
    (tmp_path / "sweep.json").write_text(json.dumps({"kind": "sweep", "scenario": "x",
                                                     "sweep_seed": 7, "seed_text": "7"}))
    assert cli_main(["charts", str(tmp_path), "--out", str(tmp_path / "out"), "--format",
                     "png,svg,pdf"]) == 0
    index = json.loads((tmp_path / "out" / "charts.json").read_text())
    entry = index["charts"][0]
    assert "seed ?" not in entry["source"] and "seed 7" in entry["source"]
    for kind in ("png", "svg", "pdf", "html", "png_mobile", "svg_mobile", "pdf_mobile",
                 "html_mobile", "csv"):
        assert (tmp_path / "out" / entry["files"][kind]).is_file(), kind


CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.mark.browser
def test_every_html_chart_draws_offline_in_chromium(book):
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (Debian chromium) on this machine")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            blocked = []

            def route(r):
                if r.request.url.startswith("file:"):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            for path in sorted(book.out.glob("*.html")):
                page.goto(path.resolve().as_uri())
                page.wait_for_selector(".vega-embed svg .mark-rect, .vega-embed svg "
                                       ".mark-line, .vega-embed svg .mark-area, "
                                       ".vega-embed svg .mark-symbol, .vega-embed canvas",
                                       state="attached", timeout=20000)
                marks = page.eval_on_selector_all(
                    ".vega-embed svg path, .vega-embed svg rect", "els => els.length")
                assert marks > 5, path.name
            assert not blocked, blocked[:3]
        finally:
            browser.close()
