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
from spiral.experiments.charts.words import LICENCE, model_version, run_source

TRACK_ALL_LIMIT = 5000  # citizens: when charts runs a scenario itself it tracks everyone
GRID_SCENARIO = "guilt-by-association"
GRID_FEAR = (0.1, 0.3, 0.5, 0.7, 0.9)
GRID_WEIGHT = (0.0, 0.05, 0.2, 0.4, 0.6, 0.8)  # 0.05: the reported Zhima weight
GRID_CITIZENS = 400
GRID_MONTHS = 48
GRID_REPLICATES = 2
GRID_SEED = 2024
SCAR_SCENARIO = "wrongful-listing"


DEFAULT_REPLICATES = 10
DEFAULT_VARIANTS = ("unlisted", "penalty", "stigma", "network", "chain", "fear", "spiral")


def run_default(replicates: int = DEFAULT_REPLICATES) -> Path:
    """Run the default scenario (the ladder of variants the charts use, ``replicates``
    replicates, every citizen tracked) and write its results folder.
    """
    from spiral.experiments.runs.replicates import run_replicates
    from spiral.experiments.runs.results import default_run_dir, write_results
    from spiral.experiments.runs.scenario import DEFAULT_SCENARIO, load_scenario

    scenario = load_scenario(DEFAULT_SCENARIO).with_variants(list(DEFAULT_VARIANTS))
    n = scenario.params.n_citizens
    track = range(n) if n <= TRACK_ALL_LIMIT else ()
    print(f"spiral charts: no folder given; running {scenario.name} (seed {scenario.seed}, "
          f"{replicates} replicates, variants {','.join(DEFAULT_VARIANTS)})", file=sys.stderr)
    runs = run_replicates(scenario, seed=scenario.seed, replicates=replicates, track=track)
    return write_results(runs, default_run_dir(scenario, scenario.seed), figures=False)


def reported_weight(ens, weight: float, *, citizens: int | None = None,
                    months: int | None = None, replicates: int | None = None
                    ) -> tuple[pd.DataFrame, str]:
    """The loop's extra 12-month loss at the folder's network weight and at ``weight``.

    The folder's number comes from its ``summary.csv``; the other from a companion run of the
    same scenario and seed at ``network_weight = weight`` (variants unlisted, penalty, spiral;
    as many replicates as the folder, at most 10).

    Returns:
        (table: network_weight, n, mean, sd, ci_low, ci_high), source line.
    """
    from spiral.experiments.charts.ensemble import interval, measure
    from spiral.experiments.runs.replicates import run_replicates
    from spiral.experiments.runs.scenario import load_scenario

    m = ens.manifest
    try:
        scenario = load_scenario(m.get("scenario_file") or m.get("scenario"))
    except Exception as exc:  # a folder whose scenario is gone cannot be rerun
        raise cd.ChartDataError(f"no companion run at weight {weight}: {exc}") from None
    from spiral.model.params import PARAMS

    params = {k: v for k, v in m.get("params", {}).items() if k in PARAMS}
    changes = {**params, "network_weight": weight}
    if citizens:
        changes["n_citizens"] = citizens
    if months:
        changes["ticks"] = months
    scenario = scenario.with_changes(**changes).with_variants(["unlisted", "penalty", "spiral"])
    n = replicates or min(ens.replicates, 10)
    seed = int(m.get("seed", 0))
    runs = run_replicates(scenario, seed=seed, replicates=n)
    values = [r.summary.get("score_loss_12m__spiral-penalty") for r in runs.results]
    default = float(m.get("params", {}).get("network_weight", 0.3))
    rows = [{"network_weight": weight, **interval(values)},
            {"network_weight": default, **measure(ens, "score_loss_12m",
                                                  f"{ens.main}-{ens.baseline}")}]
    size = f"{scenario.params.n_citizens:,} citizens, {scenario.params.ticks} months"
    source = (run_source(m, replicates=ens.replicates) + f"; companion run at network_weight "
              f"{weight:g} ({n} replicates, {size}, same seed)")
    return pd.DataFrame(rows)[["network_weight", "n", "mean", "sd", "ci_low", "ci_high"]], source


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
    return (f"Source: blacklist-spiral model v{model_version()} (simulation), built-in grid of "
            f"scenario {GRID_SCENARIO} ({citizens:,} citizens, {months} months, a smaller town "
            f"than the default), seed {seed}, {replicates} replicate"
            f"{'s' if replicates != 1 else ''} per cell. {LICENCE}. Reproduce: spiral charts "
            "RUN (built-in grid)")


def scar_case(tables: dict[str, pd.DataFrame], manifest: dict, *, extreme: bool = False
              ) -> tuple[cd.ScarCase, str, str]:
    """The scar case from the folder's tables, else from a companion run of the wrongful scenario.

    Returns:
        (case, source line, note): the note is empty when the folder had a case.

    Raises:
        ChartDataError: Not even the companion run has a case.
    """
    try:
        replicates = len(manifest.get("replicates", [])) or 1
        return (cd.pick_scar_case(tables, extreme=extreme),
                run_source(manifest, replicates=replicates) + " (replicate 0)", "")
    except cd.ChartDataError as exc:
        reason = str(exc)
    from spiral.experiments.runs.results import manifest as make_manifest
    from spiral.experiments.runs.runner import run_scenario
    from spiral.experiments.runs.scenario import load_scenario

    scenario = load_scenario(SCAR_SCENARIO)
    result = run_scenario(scenario, paired=False, track=range(scenario.params.n_citizens))
    companion = cd.compared_pair(result.tables(), main=scenario.main_variant)
    case = cd.pick_scar_case(companion, extreme=extreme)
    meta = make_manifest(result)
    return (case, run_source(meta, extra=" (companion run)"),
            f"from a companion run of scenario {SCAR_SCENARIO} with tracked citizens, because "
            f"the folder has none to show ({reason})")
