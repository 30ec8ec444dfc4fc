"""Newsroom charts of the blacklist spiral from a run or sweep folder (`spiral charts`).

    spiral charts [RUN_DIR | SWEEP_DIR] [--out DIR] [--format png,svg,pdf] [--style print|web]

With no folder it runs the default scenario first (and writes its results folder). From a run
folder it draws "The spiral", "Who drops you", "Guilt by association", "The scar", "Grades
over time" and "The tipping point", plus an animated GIF of the friends dropping one listed
citizen. Each chart comes as a 300 dpi PNG and an SVG (PDF on request), a CSV of exactly the
plotted numbers and an alt text, indexed in ``charts.json`` and ``charts.md``.

Where the folder lacks what a chart needs, a small companion run fills in and the chart's
source line says so: "The scar" runs the ``wrongful-listing`` scenario with tracked citizens
unless the folder has a corrected wrongful listing with tracking; "The tipping point" reads a
sweep folder (``--sweep DIR``, or the folder given) and otherwise runs a small built-in
fear x network-weight grid of the ``guilt-by-association`` scenario.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

TRACK_ALL_LIMIT = 5000  # citizens: when charts runs a scenario itself it tracks everyone
GRID_SCENARIO = "guilt-by-association"
GRID_FEAR = (0.1, 0.3, 0.5, 0.7, 0.9)
GRID_WEIGHT = (0.0, 0.2, 0.4, 0.6, 0.8)
GRID_CITIZENS = 400
GRID_MONTHS = 48
GRID_REPLICATES = 2
GRID_SEED = 2024
SCAR_SCENARIO = "wrongful-listing"
MEASURE_LABELS = {
    "never_listed_grade_D_share": "Share of never-listed citizens in grade D",
    "final_share_D": "Share of all citizens in grade D at the end",
    "ties_lost_share": "Share of friendships lost",
    "amplification_12m": "Score loss with feedback / without (12 months)"}


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the command's options."""
    parser.add_argument("folder", nargs="?", type=Path,
                        help="results folder of 'spiral run' or a sweep folder (default: run "
                             "the default scenario first)")
    parser.add_argument("--out", type=Path, help="where to write the charts (default: "
                        "FOLDER/charts)")
    parser.add_argument("--format", default="png,svg",
                        help="comma-separated image formats: png, svg, pdf (default: png,svg)")
    parser.add_argument("--style", choices=("web", "print"), default="web",
                        help="web: 6 in wide, large type; print: 7 in, two newspaper columns")
    parser.add_argument("--sweep", type=Path, help="sweep folder for the tipping-point "
                        "heatmap (default: a small built-in grid)")
    parser.add_argument("--measure", help="sweep measure of the heatmap (default: the first "
                        "of never_listed_grade_D_share, final_share_D, ties_lost_share)")
    parser.add_argument("--no-animation", action="store_true", help="skip the animated GIF")


def parse_formats(text: str) -> tuple[str, ...]:
    """The ``--format`` list, validated.

    Raises:
        InputError: An unknown format.
    """
    from spiral.experiments.charts.style import FORMATS
    from spiral.model.errors import InputError

    formats = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise InputError(f"--format = {text!r} is not valid: expected a comma-separated list "
                         f"of {', '.join(FORMATS)}")
    return formats


def main(args) -> int:
    """Run the command."""
    from spiral.model.errors import InputError

    formats = parse_formats(args.format)
    folder = args.folder
    sweep = args.sweep
    if folder is not None and not folder.is_dir():
        raise InputError(f"{folder}: no such folder (give a results folder of 'spiral run' or "
                         "a sweep folder)")
    if sweep is not None and not sweep.is_dir():
        raise InputError(f"--sweep {sweep}: no such folder")
    if folder is not None and _is_sweep(folder) and not (folder / "listed.csv").exists():
        import matplotlib.pyplot as plt
        from spiral.experiments.charts.style import STYLES, rc

        out = args.out or folder / "charts"
        book = ChartBook(out, formats, args.style)
        with plt.rc_context(rc(STYLES[args.style])):
            book.tipping_point(folder, measure=args.measure)
        book.write_index()
        print(f"charts: {out} ({len(book.entries)} chart)")
        return 0
    if folder is None:
        folder = run_default()
    out = args.out or folder / "charts"
    book = make_charts(folder, out, formats=formats, style=args.style, sweep=sweep,
                       measure=args.measure, animation=not args.no_animation)
    for note in book.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"charts: {out} ({len(book.entries)} charts"
          f"{', animation' if book.animation else ''})")
    return 0


def _is_sweep(folder: Path) -> bool:
    return any((folder / n).is_file() for n in ("summary.csv", "runs.csv", "sweep.json"))


def run_default() -> Path:
    """Run the default scenario (tracking everyone) and write its results folder."""
    from spiral.experiments.runs.runner import default_out_dir, run_scenario, write_results
    from spiral.experiments.runs.scenario import DEFAULT_SCENARIO, load_scenario

    scenario = load_scenario(DEFAULT_SCENARIO)
    track = range(scenario.params.n_citizens) if scenario.params.n_citizens <= TRACK_ALL_LIMIT \
        else ()
    print(f"spiral charts: no folder given; running {scenario.name} (seed {scenario.seed})",
          file=sys.stderr)
    result = run_scenario(scenario, track=track)
    return write_results(result, default_out_dir(scenario, scenario.seed))


# --- the chart book -----------------------------------------------------------------------------
@dataclass
class ChartBook:
    """Writes charts with their data and alt texts, and the index of them all."""

    out: Path
    formats: tuple[str, ...]
    style_name: str = "web"
    entries: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    animation: dict | None = None

    def __post_init__(self) -> None:
        import matplotlib

        matplotlib.use("Agg")
        from spiral.experiments.charts.style import STYLES

        self.style = STYLES[self.style_name]
        self.out.mkdir(parents=True, exist_ok=True)

    def add(self, chart_id: str, fig, data, *, words: dict, alt: str, note: str = "") -> dict:
        """Save a chart, its CSV and its index entry."""
        from spiral.experiments.charts.style import save

        files = save(fig, self.out / chart_id, self.formats, self.style)
        data.to_csv(self.out / f"{chart_id}.csv", index=False)
        files["csv"] = f"{chart_id}.csv"
        entry = {"id": chart_id, "title": words["title"], "subtitle": words["subtitle"],
                 "source": words["source"], "alt_text": alt, "files": files}
        if note:
            entry["note"] = note
        self.entries.append(entry)
        return entry

    def skip(self, chart_id: str, reason: str) -> None:
        """Record a chart that could not be drawn (listed in the index's notes)."""
        self.notes.append(f"{chart_id}: skipped: {reason}")

    def tipping_point(self, sweep: Path, *, measure: str | None = None, source: str = "",
                      note: str = "") -> None:
        """The heatmap of a fear x network-weight sweep."""
        from spiral.experiments.charts.data import TIPPING_AXES, ChartDataError, tipping_grid
        from spiral.experiments.charts.draw import draw_tipping

        try:
            grid, chosen = tipping_grid(sweep, measure=measure)
        except ChartDataError as exc:
            from spiral.model.errors import InputError

            raise InputError(str(exc)) from None
        label = MEASURE_LABELS.get(chosen, chosen)
        x, y = TIPPING_AXES
        hot = grid.sort_values("mean").iloc[-1]
        cold = grid.sort_values("mean").iloc[0]
        words = {"title": "Fear and a friend-reading score tip a town into a cascade",
                 "subtitle": f"{label}, by citizens' fear and the score's weight on friends",
                 "source": source or _sweep_source(sweep, grid)}
        fig = draw_tipping(grid, words, self.style, axes_names=TIPPING_AXES, measure_label=label)
        alt = (f"Heatmap of {label.lower()} over fear (x axis, {grid[x].min():g} to "
               f"{grid[x].max():g}) and the weight of friends in the score (y axis, "
               f"{grid[y].min():g} to {grid[y].max():g}). Lowest {cold['mean']:.2f} at fear "
               f"{cold[x]:g}, weight {cold[y]:g}; highest {hot['mean']:.2f} at fear {hot[x]:g}, "
               f"weight {hot[y]:g}.")
        self.add("tipping-point", fig, grid, words=words, alt=alt, note=note)

    def write_index(self) -> None:
        """``charts.json`` and ``charts.md``: every chart with its files and alt text."""
        index = {"charts": self.entries, "animation": self.animation, "notes": self.notes,
                 "style": self.style_name, "formats": list(self.formats)}
        (self.out / "charts.json").write_text(json.dumps(index, indent=2) + "\n")
        lines = ["# Charts", ""]
        for e in self.entries:
            lines += [f"## {e['title']}", "", f"*{e['subtitle']}*", "",
                      f"![{e['alt_text']}]({e['files'].get('png') or e['files'].get('svg')})", "",
                      f"Alt text: {e['alt_text']}", "",
                      "Files: " + ", ".join(f"[{k}]({v})" for k, v in e["files"].items()), "",
                      f"{e['source']}", ""]
            if e.get("note"):
                lines += [f"Note: {e['note']}", ""]
        if self.animation:
            lines += ["## Animation", "", f"![{self.animation['alt_text']}]"
                      f"({self.animation['files']['gif']})", "",
                      f"Alt text: {self.animation['alt_text']}", ""]
        if self.notes:
            lines += ["## Notes", ""] + [f"- {n}" for n in self.notes] + [""]
        (self.out / "charts.md").write_text("\n".join(lines))


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


def _sweep_source(folder: Path, grid) -> str:
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


# --- the whole set ------------------------------------------------------------------------
def make_charts(folder: Path, out: Path, *, formats=("png", "svg"), style: str = "web",
                sweep: Path | None = None, measure: str | None = None, animation: bool = True,
                grid: dict | None = None) -> ChartBook:
    """Draw every chart of a run folder into ``out`` and write the index.

    Args:
        folder: Results folder of ``spiral run``.
        out: Output folder.
        formats: Image formats.
        style: ``web`` or ``print``.
        sweep: Sweep folder for the tipping point (None: run the built-in grid).
        measure: The sweep measure of the heatmap.
        animation: Also write the GIF.
        grid: Overrides of the built-in grid (``fear``, ``weight``, ``citizens``, ``months``,
            ``replicates``), for quick tests.
    """
    import matplotlib.pyplot as plt
    from spiral.experiments.charts.style import STYLES, rc

    book = ChartBook(out, tuple(formats), style)
    with plt.rc_context(rc(STYLES[style])):
        _draw_all(book, folder, sweep=sweep, measure=measure, animation=animation, grid=grid)
    book.write_index()
    return book


def _draw_all(book: ChartBook, folder: Path, *, sweep, measure, animation, grid) -> None:
    from spiral.experiments.charts import data as cd
    from spiral.experiments.charts import draw

    out = book.out
    tables = cd.read_run(folder)
    manifest = _manifest(folder)
    source = run_source(manifest)
    listed = tables["listed"]
    # --- the spiral
    bands = cd.spiral_bands(listed)
    episodes = int(listed[["citizen", "listing_tick"]].drop_duplicates().shape[0] /
                   max(listed["variant"].nunique(), 1)) if len(listed) else 0
    if bands.empty:
        book.skip("spiral", f"fewer than {cd.MIN_EPISODES} listing episodes in {folder}")
    else:
        words, alt = _spiral_words(bands, episodes, source)
        book.add("spiral", draw.draw_spiral(bands, words, book.style), bands, words=words, alt=alt)
    # --- who drops you (and the animation)
    try:
        ego_id, ego_tick = cd.pick_ego(listed)
        ego = cd.ego_network(tables, ego_id, ego_tick)
        words, alt = _ego_words(ego, source)
        book.add("who-drops-you", draw.draw_ego(ego, words, book.style), ego.table, words=words,
                 alt=alt, note="" if ego.grades_from == "tracked" else
                 "friends coloured by their grade at the end of the run (no tracked data)")
        if animation:
            anim_months = tuple(range(-1, min(25, int(listed["tick"].max()) - ego_tick + 1)))
            anim = cd.ego_network(tables, ego_id, ego_tick, months=anim_months)
            _animate(book, anim, source)
    except cd.ChartDataError as exc:
        book.skip("who-drops-you", str(exc))
    # --- guilt by association
    assoc = cd.association(tables["citizens"])
    words, alt = _association_words(assoc, source)
    book.add("guilt-by-association", draw.draw_association(assoc, words, book.style), assoc,
             words=words, alt=alt)
    # --- the scar
    try:
        case, scar_source, scar_note = _scar_case(tables, manifest)
        words, alt = _scar_words(case, scar_source)
        book.add("the-scar", draw.draw_scar(case, words, book.style), case.table, words=words,
                 alt=alt, note=scar_note)
    except cd.ChartDataError as exc:
        book.skip("the-scar", str(exc))
    # --- grades over time
    shares = cd.grade_shares(tables["timeseries"])
    cohort = manifest.get("params", {}).get("cohort_share", 0)
    words, alt = _grades_words(shares, source)
    book.add("grades-over-time", draw.draw_grades(
        shares, words, book.style,
        listing_month=manifest["params"]["cohort_tick"] if cohort else None),
        shares, words=words, alt=alt)
    # --- the tipping point
    if sweep is not None:
        book.tipping_point(sweep, measure=measure)
    else:
        grid_dir = out / ".grid"
        grid_source = built_in_grid(grid_dir, **(grid or {}))
        book.tipping_point(grid_dir, measure="never_listed_grade_D_share", source=grid_source,
                           note="built-in grid (no sweep folder given): small town, few "
                                "replicates; pass --sweep DIR for a full sweep")
        shutil.rmtree(grid_dir, ignore_errors=True)


def _manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    if not path.is_file():
        return {"scenario": folder.name, "params": {}}
    return json.loads(path.read_text())


def _animate(book: ChartBook, ego, source: str) -> None:
    from spiral.experiments.charts.draw import animate_ego

    path = book.out / "spiral-animation.gif"
    animate_ego(ego, path, style=book.style, source=source)
    files = {"gif": path.name}
    if shutil.which("ffmpeg"):
        mp4 = book.out / "spiral-animation.mp4"
        animate_ego(ego, mp4, style=book.style, source=source, writer="ffmpeg")
        files["mp4"] = mp4.name
    else:
        book.notes.append("animation: no MP4 (ffmpeg not found); GIF only")
    first = ego.table[ego.table["months_since_listing"] == ego.table[
        "months_since_listing"].min()]
    last = ego.table[ego.table["months_since_listing"] == ego.table[
        "months_since_listing"].max()]
    book.animation = {"files": files, "alt_text": (
        f"Animation, one frame per month: citizen {ego.ego} is blacklisted in month "
        f"{ego.listing_tick}; of {int((first['tie'] == 'kept').sum())} friends, "
        f"{int((last['tie'] == 'kept').sum())} remain "
        f"{int(last['months_since_listing'].iloc[0])} months later."), "source": source}


def built_in_grid(folder: Path, *, fear=GRID_FEAR, weight=GRID_WEIGHT, citizens=GRID_CITIZENS,
                  months=GRID_MONTHS, replicates=GRID_REPLICATES, seed=GRID_SEED) -> str:
    """Run a small fear x network-weight grid and write it as a sweep's ``runs.csv``.

    Returns:
        The source line of the heatmap.
    """
    import pandas as pd
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


def _scar_case(tables, manifest):
    """The scar case from the folder, else from a companion run of the wrongful scenario."""
    from spiral.experiments.charts import data as cd

    try:
        return cd.pick_scar_case(tables), run_source(manifest), ""
    except cd.ChartDataError as exc:
        reason = str(exc)
    from spiral.experiments.runs.runner import manifest as make_manifest
    from spiral.experiments.runs.runner import run_scenario
    from spiral.experiments.runs.scenario import load_scenario

    scenario = load_scenario(SCAR_SCENARIO)
    result = run_scenario(scenario, paired=False, track=range(scenario.params.n_citizens))
    companion = {k: v.copy() for k, v in result.tables().items()}
    case = cd.pick_scar_case(companion)
    meta = make_manifest(result)
    return (case, run_source(meta, extra=" (companion run)"),
            f"from a companion run of scenario {SCAR_SCENARIO} with tracked citizens, because "
            f"the folder has none to show ({reason})")


# --- words ----------------------------------------------------------------------------------------
def _at(bands, name, metric, month, column="median"):
    sel = bands[(bands["variant"] == name) & (bands["metric"] == metric)
                & (bands["months_since_listing"] == month)]
    return float(sel[column].iloc[0]) if len(sel) else float("nan")


def _spiral_words(bands, episodes, source):
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


def _ego_words(ego, source):
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


def _association_words(assoc, source):
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


def _scar_words(case, source):
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


def _grades_words(shares, source):
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
