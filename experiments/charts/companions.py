"""The runs `spiral charts` makes itself when a folder lacks what a chart needs.

* :func:`run_default`: no folder given: the default scenario, tracking every citizen;
* :func:`built_in_grid`: no sweep folder for "The tipping point": a small fear x
  network-weight grid of the ``guilt-by-association`` scenario, written as a sweep's
  ``runs.csv``;
* :func:`scar_case`: no corrected wrongful listing with tracked citizens for "The scar": a
  companion run of the ``wrongful-listing`` scenario.

Each returns what the chart needs together with a source line (and a note) saying where the
numbers come from.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from spiral.experiments.charts import data as cd
from spiral.experiments.charts.words import model_version, run_source

TRACK_ALL_LIMIT = 5000  # citizens: when charts runs a scenario itself it tracks everyone
GRID_SCENARIO = "guilt-by-association"
GRID_FEAR = (0.1, 0.3, 0.5, 0.7, 0.9)
GRID_WEIGHT = (0.0, 0.2, 0.4, 0.6, 0.8)
GRID_CITIZENS = 400
GRID_MONTHS = 48
GRID_REPLICATES = 2
GRID_SEED = 2024
SCAR_SCENARIO = "wrongful-listing"


def run_default() -> Path:
    """Run the default scenario (tracking everyone) and write its results folder."""
    from spiral.experiments.runs.results import default_run_dir, write_results
    from spiral.experiments.runs.runner import run_scenario
    from spiral.experiments.runs.scenario import DEFAULT_SCENARIO, load_scenario

    scenario = load_scenario(DEFAULT_SCENARIO)
    track = range(scenario.params.n_citizens) if scenario.params.n_citizens <= TRACK_ALL_LIMIT \
        else ()
    print(f"spiral charts: no folder given; running {scenario.name} (seed {scenario.seed})",
          file=sys.stderr)
    result = run_scenario(scenario, track=track)
    return write_results(result, default_run_dir(scenario, scenario.seed))


def built_in_grid(folder: Path, *, fear=GRID_FEAR, weight=GRID_WEIGHT, citizens=GRID_CITIZENS,
                  months=GRID_MONTHS, replicates=GRID_REPLICATES, seed=GRID_SEED) -> str:
    """Run a small fear x network-weight grid and write it as a sweep's ``runs.csv``.

    Returns:
        The source line of the heatmap.
    """
    from spiral.experiments.runs.runner import run_scenario
    from spiral.experiments.runs.scenario import load_scenario
    from spiral.model.streams import run_seed

    base = load_scenario(GRID_SCENARIO).with_changes(n_citizens=citizens, ticks=months)
    rows = []
    point = 0
    for f in fear:
        for w in weight:
            for r in range(replicates):
                s = run_seed(seed, point, r)
                result = run_scenario(base.with_changes(fear_mean=f, network_weight=w), seed=s,
                                      paired=False)
                rows.append({"point": point, "replicate": r, "seed": s, "fear_mean": f,
                             "network_weight": w, **{k: v for k, v in result.summary.items()
                                                      if isinstance(v, int | float)}})
            point += 1
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(folder / "runs.csv", index=False)
    return (f"Source: blacklist-spiral model v{model_version()}, built-in grid of scenario "
            f"{GRID_SCENARIO} ({citizens:,} citizens, {months} months), seed {seed}, "
            f"{replicates} replicate{'s' if replicates != 1 else ''} per cell")


def scar_case(tables: dict[str, pd.DataFrame], manifest: dict) -> tuple[cd.ScarCase, str, str]:
    """The scar case from the folder's tables, else from a companion run of the wrongful scenario.

    Returns:
        (case, source line, note): the note is empty when the folder had a case.

    Raises:
        ChartDataError: Not even the companion run has a case.
    """
    try:
        return cd.pick_scar_case(tables), run_source(manifest), ""
    except cd.ChartDataError as exc:
        reason = str(exc)
    from spiral.experiments.runs.results import manifest as make_manifest
    from spiral.experiments.runs.runner import run_scenario
    from spiral.experiments.runs.scenario import load_scenario

    scenario = load_scenario(SCAR_SCENARIO)
    result = run_scenario(scenario, paired=False, track=range(scenario.params.n_citizens))
    companion = cd.compared_pair(result.tables(), main=scenario.main_variant)
    case = cd.pick_scar_case(companion)
    meta = make_manifest(result)
    return (case, run_source(meta, extra=" (companion run)"),
            f"from a companion run of scenario {SCAR_SCENARIO} with tracked citizens, because "
            f"the folder has none to show ({reason})")
