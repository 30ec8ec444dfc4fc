"""The shape of the charts and measures code: small modules, one palette, one spiral measure.

Source checks, cheap enough to run on every change: no module of ``experiments/charts/`` or
``experiments/measures/`` above 400 lines; no colour of the palette written out anywhere but
in ``charts/palette.py`` (charts, run figure and dashboard import it); no library module
choosing a matplotlib backend (the command line may) or using pyplot; one definition of the
spiral's percentiles.
"""

from __future__ import annotations

import re
from pathlib import Path

from spiral.experiments.charts import palette

ROOT = Path(__file__).resolve().parents[3]
EXPERIMENTS = ROOT / "experiments"
CHARTS = sorted((EXPERIMENTS / "charts").glob("*.py"))
MEASURES = sorted((EXPERIMENTS / "measures").glob("*.py"))
DASHBOARD_APP = EXPERIMENTS / "dashboard" / "app.py"
DASHBOARD = sorted((EXPERIMENTS / "dashboard").glob("*.py"))  # the dashboard is being split
MAX_LINES = 400


def test_no_module_above_400_lines():
    long = {p.relative_to(ROOT).as_posix(): n for p in [*CHARTS, *MEASURES]
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long


def test_palette_colours_are_written_only_in_the_palette():
    colours = {c.lower() for c in palette.OKABE_ITO.values()} | {palette.NEUTRAL.lower()}
    for path in [*CHARTS, *DASHBOARD]:
        if path.name == "palette.py":
            continue
        literals = {c.lower() for c in re.findall(r"#[0-9A-Fa-f]{6}\b", path.read_text())}
        assert not literals & colours, (path.name, sorted(literals & colours))
    for user in ("draw.py", "draw_more.py", "vega.py", "run_figure.py"):
        assert "from spiral.experiments.charts.palette import" in \
            (EXPERIMENTS / "charts" / user).read_text(), user
    assert any("from spiral.experiments.charts.palette import" in p.read_text()
               for p in DASHBOARD)


def test_the_dashboard_uses_the_palette_grade_colours():
    source = DASHBOARD_APP.read_text()
    assert "GRADE_COLOURS = " not in source  # imported, not redefined


def test_library_code_never_touches_the_backend_or_pyplot():
    for path in [*CHARTS, *MEASURES, DASHBOARD_APP]:
        source = path.read_text()
        if path.name != "command.py":  # only the command line may choose a backend
            assert "matplotlib.use(" not in source, path.name
        assert not re.search(r"import matplotlib\.pyplot|from matplotlib import pyplot",
                             source), path.name
        assert "plt." not in source, path.name


def test_one_definition_of_the_spiral_percentiles():
    definitions = []
    for path in EXPERIMENTS.rglob("*.py"):
        for name in re.findall(r"^def (spiral_bands|spiral_trajectory|percentiles_since_listing)"
                               r"\b", path.read_text(), flags=re.MULTILINE):
            definitions.append((path.relative_to(EXPERIMENTS).as_posix(), name))
    assert definitions == [("measures/bands.py", "percentiles_since_listing")]
