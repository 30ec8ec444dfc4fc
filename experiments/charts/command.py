"""Newsroom charts of the blacklist spiral from a run or sweep folder (`spiral charts`).

    spiral charts [RUN_DIR | SWEEP_DIR] [--out DIR] [--format png,svg,pdf] [--style print|web]

With no folder it runs the default scenario first (and writes its results folder). From a run
folder it draws "The spiral", "Who drops you", "Guilt by association", "The scar", "Grades
over time" and "The tipping point", plus an animated GIF of the friends dropping one listed
citizen (:func:`spiral.experiments.charts.book.make_charts`); from a sweep folder, "The
tipping point" alone. Each chart comes as a 300 dpi PNG and an SVG (PDF on request), a CSV of
the numbers plotted with the identifiers and counts behind them, and an alt text, indexed in
``charts.json`` and ``charts.md``.

Where the folder lacks what a chart needs, a small companion run fills in and the chart's
source line says so: "The scar" runs the ``wrongful-listing`` scenario with tracked citizens
unless the folder has a corrected wrongful listing with tracking; "The tipping point" reads a
sweep folder (``--sweep DIR``, or the folder given) and otherwise runs a small built-in
fear x network-weight grid of the ``guilt-by-association`` scenario.

The charts draw on their own figures and never need a matplotlib backend, so this command
chooses none.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


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
    from spiral.experiments.charts.book import make_charts, tipping_chart
    from spiral.experiments.charts.companions import run_default
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
        out = args.out or folder / "charts"
        book = tipping_chart(folder, out, formats=formats, style=args.style,
                             measure=args.measure)
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
