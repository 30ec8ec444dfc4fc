"""The words of each newsroom chart: headline, subtitle, source line and alt text.

Each ``*_words`` function takes the chart's table (as written to its CSV) and the source line,
and returns ``(words, alt)``: ``words`` holds ``title``, ``subtitle`` and ``source`` for
:func:`spiral.experiments.charts.style.decorate`; ``alt`` is the alt text for screen readers,
stating the numbers a sighted reader takes from the chart. Nothing here draws.
"""

from __future__ import annotations

import json
from pathlib import Path

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


def run_source(manifest: dict, *, replicates: int = 1, extra: str = "") -> str:
    """The source line of a chart drawn from one run."""
    version = manifest.get("versions", {}).get("blacklist-spiral") or model_version()
    params = manifest.get("params", {})
    n = params.get("n_citizens")
    people = f", {n:,} citizens" if isinstance(n, int) else ""
    return (f"Source: blacklist-spiral model v{version}, scenario {manifest.get('scenario', '?')}"
            f", seed {manifest.get('seed', '?')}, {replicates} replicate"
            f"{'s' if replicates != 1 else ''}{people}{extra}")


def sweep_source(folder: Path, grid) -> str:
    """The source line of a heatmap drawn from a sweep folder (its ``sweep.json`` if any)."""
    meta = {}
    if (folder / "sweep.json").is_file():
        try:
            meta = json.loads((folder / "sweep.json").read_text())
        except (OSError, ValueError):
            meta = {}
    runs = int(grid["runs"].min()) if len(grid) else 0
    scenario = meta.get("scenario") or meta.get("base_scenario") or "?"
    seed = meta.get("seed", "?")
    return (f"Source: blacklist-spiral model v{model_version()}, sweep {folder.name}, scenario "
            f"{scenario}, seed {seed}, {runs}+ replicates per cell")


# --- words of each chart ---------------------------------------------------------------------
def _at(bands, name, metric, month, column="median"):
    sel = bands[(bands["variant"] == name) & (bands["metric"] == metric)
                & (bands["months_since_listing"] == month)]
    return float(sel[column].iloc[0]) if len(sel) else float("nan")


def spiral_words(bands, episodes, source):
    """Words of "The spiral" from its bands and the number of listing episodes."""
    horizon = 12 if (bands["months_since_listing"] == 12).any() else int(
        bands["months_since_listing"].max())
    before = _at(bands, "feedback", "score", -1)
    with_fb = _at(bands, "feedback", "score", horizon)
    without = _at(bands, "counterfactual", "score", horizon)
    friends_before = _at(bands, "feedback", "contacts", -1)
    friends_after = _at(bands, "feedback", "contacts", horizon)
    words = {"title": "Blacklisted, then dropped: the score keeps falling",
             "subtitle": f"Median of {episodes} blacklisted citizens by month since listing; "
                         "bands: middle 50% and 90%",
             "source": source}
    alt = (f"Two line charts of {episodes} blacklisted citizens. Left: median credit score "
           f"falls from {before:.0f} the month before listing to {with_fb:.0f} after "
           f"{horizon} months when the score reads friends, against {without:.0f} for the same "
           f"citizens when it ignores friends. Right: their median number of friends drops "
           f"from {friends_before:.0f} to {friends_after:.0f}.")
    return words, alt


def ego_words(ego, source):
    """Words of "Who drops you" from the ego network of one listed citizen."""
    table = ego.table
    first_m, last_m = table["months_since_listing"].min(), table["months_since_listing"].max()
    kept0 = int(((table["months_since_listing"] == first_m) & (table["tie"] == "kept")).sum())
    kept1 = int(((table["months_since_listing"] == last_m) & (table["tie"] == "kept")).sum())
    grade_note = ("friends coloured by their grade that month" if ego.grades_from == "tracked"
                  else "friends coloured by their grade at the end of the run")
    words = {"title": "Who drops you: friends walk away after a blacklisting",
             "subtitle": f"Citizen {ego.ego}'s friends, months after the listing (a typical "
                         "case)",
             "source": source}
    alt = (f"Five small network diagrams of citizen {ego.ego}, blacklisted in month "
           f"{ego.listing_tick}, at the centre with friends around. {kept0} ties at month "
           f"{first_m}, {kept1} at month {last_m}; cut ties shown faded; {grade_note}.")
    return words, alt


def association_words(assoc, source):
    """Words of "Guilt by association" from its table of groups."""
    fb = assoc[assoc["variant"] == "feedback"].set_index("group")
    friends, others = fb.loc["friends of the blacklisted"], fb.loc["everyone else"]
    words = {"title": "Guilt by association: friends of the blacklisted fall behind",
             "subtitle": "Never-listed citizens by closeness to someone blacklisted, start to "
                         "end of the run",
             "source": source}
    alt = (f"Bar charts comparing never-listed citizens. With a score that reads friends, "
           f"friends of the blacklisted ({int(friends['citizens'])} people) changed their score "
           f"by {friends['mean_score_change']:+.1f} points on average and their friends by "
           f"{friends['mean_contact_change']:+.1f}, against "
           f"{others['mean_score_change']:+.1f} points and "
           f"{others['mean_contact_change']:+.1f} friends for everyone else; a second bar per "
           "group shows the same town when the score ignores friends.")
    return words, alt


def scar_words(case, source):
    """Words of "The scar" from the wrongfully listed citizen and their twin."""
    t = case.table
    me = t[t["role"] == "wrongfully listed"].set_index("month")
    twin = t[t["role"] == "never-listed twin"].set_index("month")
    before = case.listing_tick - 1
    end = int(me.index.max())
    after12 = min(case.delisting_tick + 12, end)
    words = {"title": "Listed by mistake: the damage outlasts the correction",
             "subtitle": f"A wrongly blacklisted citizen against a never-listed twin; "
                         f"{case.delisting_tick - case.listing_tick} months on the list",
             "source": source}
    alt = (f"Two line charts over months. Citizen {case.citizen} is wrongly listed in month "
           f"{case.listing_tick} and corrected in month {case.delisting_tick}. Score: "
           f"{me.at[before, 'score']:.0f} before, {me.at[after12, 'score']:.0f} twelve months "
           f"after the correction, against {twin.at[after12, 'score']:.0f} for the twin "
           f"(citizen {case.twin}). Friends: {me.at[before, 'contacts']} before, "
           f"{me.at[after12, 'contacts']} after, against {twin.at[after12, 'contacts']} for the "
           "twin.")
    return words, alt


def grades_words(shares, source):
    """Words of "Grades over time" from the monthly grade shares."""
    first, last = shares.iloc[0], shares.iloc[-1]
    words = {"title": "Grades over time: how the town's A-D mix shifts",
             "subtitle": "Share of citizens in each grade, month by month (score reads "
                         "friends)",
             "source": source}
    alt = ("Stacked area chart of grades A to D over "
           f"{int(last['month'])} months. At the start: A {first['grade_A_percent']:.0f}%, "
           f"B {first['grade_B_percent']:.0f}%, C {first['grade_C_percent']:.0f}%, "
           f"D {first['grade_D_percent']:.0f}%. At the end: A {last['grade_A_percent']:.0f}%, "
           f"B {last['grade_B_percent']:.0f}%, C {last['grade_C_percent']:.0f}%, "
           f"D {last['grade_D_percent']:.0f}%.")
    return words, alt


def tipping_words(grid, *, measure: str, axes_names: tuple[str, str], source: str):
    """Words of "The tipping point": the heatmap of a measure over two parameters."""
    label = MEASURE_LABELS.get(measure, measure)
    x, y = axes_names
    hot = grid.sort_values("mean").iloc[-1]
    cold = grid.sort_values("mean").iloc[0]
    words = {"title": "Fear and a friend-reading score tip a town into a cascade",
             "subtitle": f"{label}, by citizens' fear and the score's weight on friends",
             "source": source}
    alt = (f"Heatmap of {label.lower()} over fear (x axis, {grid[x].min():g} to "
           f"{grid[x].max():g}) and the weight of friends in the score (y axis, "
           f"{grid[y].min():g} to {grid[y].max():g}). Lowest {cold['mean']:.2f} at fear "
           f"{cold[x]:g}, weight {cold[y]:g}; highest {hot['mean']:.2f} at fear {hot[x]:g}, "
           f"weight {hot[y]:g}.")
    return words, alt
