"""Charts leave matplotlib as they found it: backend, rcParams and the user's pyplot figures.

Run in a fresh interpreter, like a notebook whose user chose a backend and a font size and has
a figure open: the run figure, the whole chart book and the tipping-point chart alone must not
switch the backend, change an rcParam, import pyplot, or open or close a pyplot figure.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import sys
    import tempfile
    from pathlib import Path

    import matplotlib

    matplotlib.use("pdf")                       # the user's own choice
    matplotlib.rcParams["font.size"] = 17.0     # and their own style
    matplotlib.rcParams["lines.linewidth"] = 3.5
    backend = matplotlib.get_backend()
    before = dict(matplotlib.rcParams)

    from spiral.experiments.charts.book import make_charts, tipping_chart
    from spiral.experiments.charts.run_figure import spiral_figure
    from spiral.experiments.runs.runner import run_scenario, write_results
    from spiral.experiments.runs.scenario import load_scenario

    def unchanged(where):
        assert matplotlib.get_backend() == backend, (where, matplotlib.get_backend())
        after = dict(matplotlib.rcParams)
        changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        assert not changed, (where, changed)

    tmp = Path(tempfile.mkdtemp())
    scenario = load_scenario("zhima-spiral").with_changes(n_citizens=300, ticks=30,
                                                          cohort_share=0.05, cohort_tick=4)
    result = run_scenario(scenario, seed=2, track=range(300))
    run_dir = write_results(result, tmp / "run", figures=True)   # draws the run figure
    assert (run_dir / "figures" / "spiral.png").is_file()
    unchanged("run figure")
    grid = {"fear": (0.2, 0.8), "weight": (0.0, 0.8), "citizens": 100, "months": 12,
            "replicates": 1}
    book = make_charts(run_dir, tmp / "charts", formats=("png", "svg"), grid=grid,
                       reported_run={"citizens": 100, "months": 24, "replicates": 1})
    assert len(book.entries) >= 8 and book.animation, book.notes
    unchanged("make_charts")
    assert "matplotlib.pyplot" not in sys.modules  # never needed

    import matplotlib.pyplot as plt

    mine = plt.figure()                         # the user's open figure
    spiral_figure(result.tables()["episodes"], tmp / "again" / "spiral")
    (tmp / "sweep").mkdir()
    (tmp / "charts" / "tipping-point.csv").rename(tmp / "sweep" / "summary.csv")
    tipping_chart(tmp / "sweep", tmp / "tipping", formats=("png",), layouts=("desktop",))
    assert plt.get_fignums() == [mine.number], plt.get_fignums()
    unchanged("with pyplot in use")
    print("ok")
""")


def test_charts_change_no_global_matplotlib_state(tmp_path):
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")
