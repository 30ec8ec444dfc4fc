"""The chart book: every newsroom chart of a run folder, with its data, words and index.

:func:`make_charts` draws "The spiral", "Who drops you", "Guilt by association", "The scar",
"Grades over time" and "The tipping point" from a results folder of ``spiral run``, plus an
animated GIF of the friends dropping one listed citizen; :func:`tipping_chart` draws the
heatmap alone from a sweep folder. Each chart comes as a 300 dpi PNG and an SVG (PDF on
request), a CSV of the numbers plotted with the identifiers and counts behind them (columns
listed in docs/charts.md) and an alt text, indexed in ``charts.json`` and ``charts.md``
(:class:`ChartBook`).

Where the folder lacks what a chart needs, a companion run fills in and the chart's source
line says so (:mod:`spiral.experiments.charts.companions`). The numbers come from
:mod:`spiral.experiments.charts.data` and :mod:`spiral.experiments.measures`, the pictures from
:mod:`spiral.experiments.charts.draw`, the words from :mod:`spiral.experiments.charts.words`.

Drawing happens on :class:`matplotlib.figure.Figure` objects inside
:func:`matplotlib.rc_context`: the user's backend, rcParams and pyplot figures are left as they
were. The command line (``spiral charts``) is :mod:`spiral.experiments.charts.command`.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
from spiral.experiments.charts import companions, draw
from spiral.experiments.charts import data as cd
from spiral.experiments.charts.style import STYLES, rc, save
from spiral.experiments.charts.words import (
    MEASURE_LABELS,
    association_words,
    ego_words,
    grades_words,
    run_source,
    scar_words,
    spiral_words,
    sweep_source,
    tipping_words,
)
from spiral.experiments.measures import MIN_EPISODES, percentiles_since_listing
from spiral.model.errors import InputError

SPIRAL_METRICS = ("score", "contacts")  # the newsroom spiral shows where the listed stand


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
        self.style = STYLES[self.style_name]
        self.out.mkdir(parents=True, exist_ok=True)

    def add(self, chart_id: str, fig, data, *, words: dict, alt: str, note: str = "") -> dict:
        """Save a chart, its CSV and its index entry."""
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
        """The heatmap of a fear x network-weight sweep.

        Raises:
            InputError: The folder has no usable sweep table, axis column or measure.
        """
        try:
            grid, chosen = cd.tipping_grid(sweep, measure=measure)
        except cd.ChartDataError as exc:
            raise InputError(str(exc)) from None
        words, alt = tipping_words(grid, measure=chosen, axes_names=cd.TIPPING_AXES,
                                   source=source or sweep_source(sweep, grid))
        with matplotlib.rc_context(rc(self.style)):
            fig = draw.draw_tipping(grid, words, self.style, axes_names=cd.TIPPING_AXES,
                                    measure_label=MEASURE_LABELS.get(chosen, chosen))
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

    Returns:
        The book: its entries, notes and animation as written to ``charts.json``.
    """
    book = ChartBook(out, tuple(formats), style)
    with matplotlib.rc_context(rc(STYLES[style])):
        _draw_all(book, folder, sweep=sweep, measure=measure, animation=animation, grid=grid)
    book.write_index()
    return book


def tipping_chart(sweep: Path, out: Path, *, formats=("png", "svg"), style: str = "web",
                  measure: str | None = None) -> ChartBook:
    """Draw "The tipping point" alone from a sweep folder into ``out`` and write the index.

    Args:
        sweep: Sweep folder (``summary.csv`` or ``runs.csv`` varying ``fear_mean`` and
            ``network_weight``).
        out: Output folder.
        formats: Image formats.
        style: ``web`` or ``print``.
        measure: The sweep measure of the heatmap (default: the first of
            :data:`spiral.experiments.charts.data.TIPPING_MEASURES` the sweep has).

    Returns:
        The book of one chart.

    Raises:
        InputError: The folder has no usable sweep table, axis column or measure.
    """
    book = ChartBook(out, tuple(formats), style)
    book.tipping_point(sweep, measure=measure)
    book.write_index()
    return book


def _draw_all(book: ChartBook, folder: Path, *, sweep, measure, animation, grid) -> None:
    out = book.out
    tables = cd.read_run(folder)
    manifest = _manifest(folder)
    source = run_source(manifest)
    listed = tables["episodes"]
    # --- the spiral
    bands = percentiles_since_listing(listed, metrics=SPIRAL_METRICS)
    episodes = int(listed[["citizen", "listing_tick"]].drop_duplicates().shape[0] /
                   max(listed["variant"].nunique(), 1)) if len(listed) else 0
    if bands.empty:
        book.skip("spiral", f"fewer than {MIN_EPISODES} listing episodes in {folder}")
    else:
        words, alt = spiral_words(bands, episodes, source)
        book.add("spiral", draw.draw_spiral(bands, words, book.style), bands, words=words, alt=alt)
    # --- who drops you (and the animation)
    try:
        ego_id, ego_tick = cd.pick_ego(listed)
        ego = cd.ego_network(tables, ego_id, ego_tick)
        words, alt = ego_words(ego, source)
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
    words, alt = association_words(assoc, source)
    book.add("guilt-by-association", draw.draw_association(assoc, words, book.style), assoc,
             words=words, alt=alt)
    # --- the scar
    try:
        case, scar_source, scar_note = companions.scar_case(tables, manifest)
        words, alt = scar_words(case, scar_source)
        book.add("the-scar", draw.draw_scar(case, words, book.style), case.table, words=words,
                 alt=alt, note=scar_note)
    except cd.ChartDataError as exc:
        book.skip("the-scar", str(exc))
    # --- grades over time
    shares = cd.grade_shares(tables["timeseries"])
    cohort = manifest.get("params", {}).get("cohort_share", 0)
    words, alt = grades_words(shares, source)
    book.add("grades-over-time", draw.draw_grades(
        shares, words, book.style,
        listing_month=manifest["params"]["cohort_tick"] if cohort else None),
        shares, words=words, alt=alt)
    # --- the tipping point
    if sweep is not None:
        book.tipping_point(sweep, measure=measure)
    else:
        grid_dir = out / ".grid"
        grid_source = companions.built_in_grid(grid_dir, **(grid or {}))
        book.tipping_point(grid_dir, measure="never_listed_grade_D_share__spiral", source=grid_source,
                           note="built-in grid (no sweep folder given): small town, few "
                                "replicates; pass --sweep DIR for a full sweep")
        shutil.rmtree(grid_dir, ignore_errors=True)


def _manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    if not path.is_file():
        return {"scenario": folder.name, "params": {}}
    return json.loads(path.read_text())


def _animate(book: ChartBook, ego, source: str) -> None:
    path = book.out / "spiral-animation.gif"
    draw.animate_ego(ego, path, style=book.style, source=source)
    files = {"gif": path.name}
    if shutil.which("ffmpeg"):
        mp4 = book.out / "spiral-animation.mp4"
        draw.animate_ego(ego, mp4, style=book.style, source=source, writer="ffmpeg")
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
