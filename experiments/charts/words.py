"""The words of each newsroom chart: headline, subtitle, source line and alt text.

Each ``*_words`` function takes the chart's table (as written to its CSV) and the source line,
and returns ``(words, alt)``: ``words`` holds ``title``, ``subtitle`` and ``source`` for
:func:`spiral.experiments.charts.style.decorate`; ``alt`` is the alt text for screen readers,
stating the numbers a sighted reader takes from the chart. Nothing here draws.
"""

from __future__ import annotations

import json
from pathlib import Path

LICENCE = "Charts and data CC BY 4.0"
REAL_AND_ASSUMED = (
    "Real: the court list of dishonest judgment debtors exists since 2013 and its published "
    "counts (court_list.csv, each with its source); Suining's 2010 points-and-grades pilot "
    "(1,000 starting points, grades A-D); Zhima Credit's score bands; the reported weight of "
    "friends in Zhima's score (about 5%, unofficial). Assumed: everything the model adds - "
    "the town, its friendship network, how often friends hear of a listing, how readily they "
    "shun or fear, the score's weight on friends (0.3 by default), the penalty. Every chart "
    "of the model is a simulation of what these assumptions imply, not a measurement.")
MEASURE_LABELS = {
    "never_listed_grade_D_share__spiral": "Share of never-listed citizens in grade D",
    "final_share_D__spiral": "Share of all citizens in grade D at the end",
    "ties_lost_share__spiral": "Share of friendships lost",
    "score_loss_12m__spiral": "Points a listing costs 12 months on (against no listing)"}


# --- source lines ----------------------------------------------------------------------------
def model_version() -> str:
    """The installed version of the project."""
    from importlib import metadata

    try:
        return metadata.version("blacklist-spiral")
    except metadata.PackageNotFoundError:
        return "dev"


def reproduce(manifest: dict, replicates: int) -> str:
    """The command that reproduces a run folder and its charts."""
    seed = manifest.get("seed_text") or manifest.get("seed", "?")
    variants = manifest.get("variants", {})
    names = [v.get("name") for v in variants.get("run", [])] if isinstance(variants, dict) \
        else []
    only = f" --variants {','.join(names)}" if names and "no_denied" not in names else ""
    return (f"spiral run {manifest.get('scenario', '?')} --seed {seed} --replicates "
            f"{replicates}{only} --out RUN && spiral charts RUN")


def run_source(manifest: dict, *, replicates: int = 1, extra: str = "") -> str:
    """The source line of a chart drawn from a run: model, scenario, seed, replicates, size,
    licence and the command that reproduces it.
    """
    version = manifest.get("versions", {}).get("blacklist-spiral") or model_version()
    params = manifest.get("params", {})
    n = params.get("n_citizens")
    people = f", {n:,} citizens" if isinstance(n, int) else ""
    seed = manifest.get("seed_text") or manifest.get("seed", "?")
    return (f"Source: blacklist-spiral model v{version} (simulation), scenario "
            f"{manifest.get('scenario', '?')}, seed {seed}, {replicates} replicate"
            f"{'s' if replicates != 1 else ''}{people}{extra}. {LICENCE}. Reproduce: "
            f"{reproduce(manifest, replicates)}")


def sweep_source(folder: Path, grid) -> str:
    """The source line of a heatmap drawn from a sweep folder (seed from its ``sweep.json``:
    ``sweep_seed``/``seed_text``; else from ``runs.csv``).
    """
    meta = {}
    if (folder / "sweep.json").is_file():
        try:
            meta = json.loads((folder / "sweep.json").read_text())
        except (OSError, ValueError):
            meta = {}
    runs = int(grid["runs"].min()) if len(grid) else 0
    scenario = meta.get("scenario") or meta.get("base_scenario") or "?"
    seed = (meta.get("sweep_seed_text") or meta.get("seed_text") or meta.get("sweep_seed")
            or meta.get("seed"))
    if seed is None and (folder / "runs.csv").is_file():
        import pandas as pd

        head = pd.read_csv(folder / "runs.csv", nrows=1)
        for column in ("seed_text", "seed"):
            if column in head.columns:
                seed = f"of the first run {head[column].iloc[0]}"
                break
    seed = "not recorded" if seed is None else seed
    return (f"Source: blacklist-spiral model v{model_version()} (simulation), sweep "
            f"{folder.name}, scenario {scenario}, seed {seed}, {runs}+ replicates per cell. "
            f"{LICENCE}. Reproduce: spiral sweep (see {folder.name}/sweep.json) && spiral "
            f"charts {folder.name}")


def tipping_words(grid, *, measure: str, axes_names: tuple[str, str], source: str):
    """Words of "The tipping point": the heatmap of a measure over two parameters."""
    label = MEASURE_LABELS.get(measure, measure)
    x, y = axes_names
    hot = grid.sort_values("mean").iloc[-1]
    cold = grid.sort_values("mean").iloc[0]
    span = float(hot["mean"] - cold["mean"])
    if span > 0 and hot[x] >= cold[x] and hot[y] >= cold[y]:
        title = (f"More fear and a heavier weight on friends: {label[0].lower() + label[1:]} from "
                 f"{cold['mean']:.2f} to {hot['mean']:.2f}")
    else:
        title = f"{label}: from {cold['mean']:.2f} to {hot['mean']:.2f} across the grid"
    words = {"title": title,
             "subtitle": f"Simulated. {label}, by citizens' fear and the score's weight on "
                         "friends; dashed: the reported Zhima weight of about 5% (unofficial; "
                         "a reported weight is not the model's weight, since scores here feed "
                         "friends' scores)",
             "source": source}
    alt = (f"Heatmap of {label.lower()} over fear (x axis, {grid[x].min():g} to "
           f"{grid[x].max():g}) and the weight of friends in the score (y axis, "
           f"{grid[y].min():g} to {grid[y].max():g}). Lowest {cold['mean']:.2f} at fear "
           f"{cold[x]:g}, weight {cold[y]:g}; highest {hot['mean']:.2f} at fear {hot[x]:g}, "
           f"weight {hot[y]:g}.")
    return words, alt
