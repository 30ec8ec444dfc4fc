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
from spiral.experiments.charts import claims, companions, draw, draw_more, stories, vega
from spiral.experiments.charts import data as cd
from spiral.experiments.charts import ensemble as en
from spiral.experiments.charts.style import STYLES, rc, save
from spiral.experiments.charts.words import (
    MEASURE_LABELS,
    REAL_AND_ASSUMED,
    run_source,
    sweep_source,
    tipping_words,
)
from spiral.model.errors import InputError

SPIRAL_METRICS = ("score", "contacts")  # the newsroom spiral shows where the listed stand
REPORTED_WEIGHT = 0.05  # Zhima's weight on friends as reported (unofficial; params.py)
LICENCE = "CC BY 4.0"


@dataclass
class ChartBook:
    """Writes charts with their data and alt texts, and the index of them all."""

    out: Path
    formats: tuple[str, ...]
    style_name: str = "web"
    layouts: tuple[str, ...] = ("desktop", "mobile")
    entries: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    animation: dict | None = None

    def __post_init__(self) -> None:
        self.style = STYLES[self.style_name]
        self.out.mkdir(parents=True, exist_ok=True)

    def add(self, chart_id: str, draw_fn, data, *, words: dict, alt: str, note: str = "",
            html: dict | None = None) -> dict:
        """Save a chart in every layout (images, HTML), its CSV and its index entry.

        ``draw_fn(style)`` draws the figure in a style; the HTML comes from
        :func:`spiral.experiments.charts.vega.chart_for` with the same words.
        """
        files: dict[str, str] = {}
        for layout in self.layouts:
            style = STYLES["mobile"] if layout == "mobile" else self.style
            suffix = ".mobile" if layout == "mobile" else ""
            with matplotlib.rc_context(rc(style)):
                fig = draw_fn(style)
            saved = save(fig, self.out / f"{chart_id}{suffix}", self.formats, style)
            files |= {f"{k}{suffix.replace('.', '_')}": v for k, v in saved.items()}
            chart = vega.chart_for(chart_id, data, words, layout, **(html or {}))
            files[f"html{suffix.replace('.', '_')}"] = vega.save_html(
                chart, self.out / f"{chart_id}{suffix}.html")
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

        def draw_fn(style):
            fig = draw.draw_tipping(grid, words, style, axes_names=cd.TIPPING_AXES,
                                    measure_label=MEASURE_LABELS.get(chosen, chosen))
            draw_more.mark_reported_weight(fig, grid, style, reported=REPORTED_WEIGHT)
            return fig

        self.add("tipping-point", draw_fn, grid, words=words, alt=alt, note=note)

    def write_index(self) -> None:
        """``charts.json`` and ``charts.md``: every chart with its files and alt text."""
        index = {"charts": self.entries, "animation": self.animation, "notes": self.notes,
                 "style": self.style_name, "formats": list(self.formats),
                 "layouts": list(self.layouts), "licence": LICENCE,
                 "what_is_real_what_is_assumed": REAL_AND_ASSUMED}
        (self.out / "charts.json").write_text(json.dumps(index, indent=2) + "\n")
        lines = ["# Charts", "", "## What is real, what is assumed", "", REAL_AND_ASSUMED, "",
                 f"Licence of charts and data: {LICENCE}.", ""]
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
                grid: dict | None = None, layouts=("desktop", "mobile"), extreme: bool = False,
                reported_run: dict | None = None) -> ChartBook:
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
        layouts: ``desktop`` and/or ``mobile`` (375 px, panels stacked, text 12 px or more).
        extreme: Individual stories show the extreme case (labelled) instead of a typical one.
        reported_run: Overrides of the companion run at the reported weight (``citizens``,
            ``months``, ``replicates``), for quick tests.

    Returns:
        The book: its entries, notes and animation as written to ``charts.json``.
    """
    book = ChartBook(out, tuple(formats), style, tuple(layouts))
    with matplotlib.rc_context(rc(STYLES[style])):
        _draw_all(book, folder, sweep=sweep, measure=measure, animation=animation, grid=grid,
                  extreme=extreme, reported_run=reported_run)
    book.write_index()
    return book


def tipping_chart(sweep: Path, out: Path, *, formats=("png", "svg"), style: str = "web",
                  measure: str | None = None, layouts=("desktop", "mobile")) -> ChartBook:
    """Draw "The tipping point" alone from a sweep folder into ``out`` and write the index.

    Args:
        sweep: Sweep folder (``summary.csv`` or ``runs.csv`` varying ``fear_mean`` and
            ``network_weight``).
        out: Output folder.
        formats: Image formats.
        style: ``web`` or ``print``.
        measure: The sweep measure of the heatmap (default: the first of
            :data:`spiral.experiments.charts.data.TIPPING_MEASURES` the sweep has).
        layouts: ``desktop`` and/or ``mobile``.

    Returns:
        The book of one chart.

    Raises:
        InputError: The folder has no usable sweep table, axis column or measure.
    """
    book = ChartBook(out, tuple(formats), style, tuple(layouts))
    book.tipping_point(sweep, measure=measure)
    book.write_index()
    return book


def _draw_all(book: ChartBook, folder: Path, *, sweep, measure, animation, grid, extreme,
              reported_run) -> None:
    ens = en.read_ensemble(folder)
    main, base = ens.main, ens.baseline
    source = run_source(ens.manifest, replicates=ens.replicates)
    common = {"main": main, "baseline": base, "replicates": ens.replicates,
              "enough": ens.interval_ok}
    labels = {main: claims.short(main), base: claims.short(base)}
    html = {"main": main, "baseline": base}
    # --- the spiral
    bands = en.replicate_medians(ens)
    if bands.empty:
        book.skip("spiral", f"no listing episodes in {folder}")
    else:
        gap = en.measure(ens, "score_loss_12m", f"{main}-{base}")
        episodes = int(en.episode_counts(ens).median())
        words, alt = claims.spiral_words(bands, gap=gap, episodes=episodes, source=source,
                                         **common)
        book.add("spiral", lambda st: draw.draw_spiral(bands, words, st, main=main,
                                                       baseline=base, labels=labels),
                 bands, words=words, alt=alt, html=html)
    # --- where the extra loss comes from
    parts = _decomposition(ens)
    if parts is not None:
        words, alt = stories.decomposition_words(parts, source=source, **common)
        book.add("where-the-loss-comes-from",
                 lambda st: draw_more.draw_decomposition(parts, words, st), parts, words=words,
                 alt=alt)
    else:
        book.skip("where-the-loss-comes-from", "the run lacks the ladder of variants "
                  "(stigma, network, chain, fear) behind the Shapley split")
    # --- at the reported weight
    try:
        weights, w_source = companions.reported_weight(ens, REPORTED_WEIGHT,
                                                       **(reported_run or {}))
        words, alt = stories.weight_words(
            weights, reported=REPORTED_WEIGHT, source=w_source,
            default=float(ens.manifest.get("params", {}).get("network_weight", 0.3)),
            replicates=int(weights["n"].min()),
            enough=int(weights["n"].min()) >= en.MIN_REPLICATES)
        book.add("reported-weight", lambda st: draw_more.draw_weight(
            weights, words, st, reported=REPORTED_WEIGHT), weights, words=words, alt=alt)
    except cd.ChartDataError as exc:
        book.skip("reported-weight", str(exc))
    # --- who drops you (and the animation)
    try:
        ego_id, ego_tick, facts = en.typical_ego(ens, extreme=extreme)
        tables = ens.slice(facts["replicate"])
        ego = cd.ego_network(tables, ego_id, ego_tick)
        words, alt = stories.ego_words(ego, facts, source)
        book.add("who-drops-you", lambda st: draw.draw_ego(ego, words, st), ego.table,
                 words=words, alt=alt, note="" if ego.grades_from == "tracked" else
                 "friends coloured by their grade at the end of the run (no tracked data: "
                 "run with --track)")
        if animation:
            last = int(tables["episodes"]["tick"].max())
            anim_months = tuple(range(-1, min(25, last - ego_tick + 1)))
            anim = cd.ego_network(tables, ego_id, ego_tick, months=anim_months)
            _animate(book, anim, source, words["title"])
    except cd.ChartDataError as exc:
        book.skip("who-drops-you", str(exc))
    # --- guilt by association
    assoc = en.association(ens)
    words, alt = claims.association_words(assoc, gap=ens.extra["association_gap"],
                                          source=source, **common)
    book.add("guilt-by-association", lambda st: draw.draw_association(
        assoc, words, st, main=main, baseline=base, labels=labels), assoc, words=words,
        alt=alt, html=html)
    # --- the scar
    try:
        case, scar_source, scar_note = companions.scar_case(ens.slice(), ens.manifest,
                                                            extreme=extreme)
        words, alt = stories.scar_words(case, scar_source)
        book.add("the-scar", lambda st: draw.draw_scar(case, words, st), case.table,
                 words=words, alt=alt, note=scar_note)
    except cd.ChartDataError as exc:
        book.skip("the-scar", str(exc))
    # --- grades over time
    shares = en.grade_d(ens)
    params = ens.manifest.get("params", {})
    words, alt = claims.grades_words(shares, gap=ens.extra["grade_d_gap"], source=source,
                                     **common)
    book.add("grades-over-time", lambda st: draw.draw_grades(
        shares, words, st, main=main, baseline=base, labels=labels,
        listing_month=params.get("cohort_tick") if params.get("cohort_share") else None),
        shares, words=words, alt=alt, html=html)
    # --- the real list
    court_chart(book)
    # --- the tipping point
    if sweep is not None:
        book.tipping_point(sweep, measure=measure)
    else:
        grid_dir = book.out / ".grid"
        grid_source = companions.built_in_grid(grid_dir, **(grid or {}))
        book.tipping_point(grid_dir, measure="never_listed_grade_D_share__spiral",
                           source=grid_source, note="built-in grid (no sweep folder given): "
                           "small town, few replicates; pass --sweep DIR for a full sweep")
        shutil.rmtree(grid_dir, ignore_errors=True)


def court_chart(book: ChartBook) -> None:
    """"The real list": published counts of the court list (experiments/data/court_list.csv)."""
    from importlib import resources

    import pandas as pd

    path = resources.files("spiral.experiments") / "data" / "court_list.csv"
    table = pd.read_csv(path, dtype={"as_of": str, "published": str})
    publishers = ", ".join(dict.fromkeys(table["publisher"].str.split(" \\(").str[0]))
    source = (f"Sources: {publishers} (every number with its citation in court_list.csv). "
              f"Compiled by blacklist-spiral; {LICENCE}. Reproduce: spiral charts")
    words, alt = stories.court_words(table, source)
    book.add("the-real-list", lambda st: draw_more.draw_court(table, words, st), table,
             words=words, alt=alt)


def _decomposition(ens):
    import pandas as pd

    main, base = ens.main, ens.baseline
    rows = []
    for part in ("shapley-S", "shapley-N", "shapley-F"):
        iv = en.measure(ens, "score_loss_12m", part)
        if iv["n"] == 0:
            return None
        rows.append({"part": part, **iv})
    mains = [en.per_replicate(ens, "score_loss_12m", f"main-{c}") for c in "SNF"]
    total = en.per_replicate(ens, "score_loss_12m", f"{main}-{base}")
    if all(len(m) for m in mains) and len(total):
        rows.append({"part": "interaction", **en.interval(total - sum(mains))})
    rows.append({"part": "total", **en.measure(ens, "score_loss_12m", f"{main}-{base}")})
    return pd.DataFrame(rows)[["part", "n", "mean", "sd", "ci_low", "ci_high"]]


def _animate(book: ChartBook, ego, source: str, title: str) -> None:
    path = book.out / "spiral-animation.gif"
    draw.animate_ego(ego, path, style=book.style, source=source, title=title)
    files = {"gif": path.name}
    first = ego.table[ego.table["months_since_listing"] == ego.table[
        "months_since_listing"].min()]
    last = ego.table[ego.table["months_since_listing"] == ego.table[
        "months_since_listing"].max()]
    book.animation = {"files": files, "alt_text": (
        f"Animation, simulated, one frame per month: citizen {ego.ego} is blacklisted in month "
        f"{ego.listing_tick}; of {int((first['tie'] == 'kept').sum())} friends the month "
        f"before, {int((last['tie'] == 'kept').sum())} remain "
        f"{int(last['months_since_listing'].iloc[0])} months later."), "source": source}
