"""Newsroom charts of the blacklist spiral from a run or sweep folder (`spiral charts`).

    spiral charts [RUN_DIR | SWEEP_DIR] [--out DIR] [--overwrite] [--format png,svg,pdf]
                  [--style print|web]

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

The folder is checked before anything is drawn (:func:`check_folder`): a folder that is not a
run or a sweep, an empty one, a run missing a table, a damaged manifest, an empty or truncated
table end the command with one line and exit status 2. The charts are written under a
temporary name and renamed when complete (``OneShotOutput``, kind ``charts``, with its own
``manifest.json``): a failure leaves no half-written ``charts/`` folder, a non-empty ``--out``
that is not a previous charts output is refused, and a previous one is replaced only with
``--overwrite`` (files you added there are kept). The charts draw on their own figures and
never need a matplotlib backend, so this command chooses none.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

KIND = "charts"
RUN_TABLES = ("timeseries", "episodes", "citizens")
NEVER_EMPTY = ("timeseries", "citizens")  # a run always has rows there (listed may have none)
OPTIONAL_TABLES = ("events", "initial_ties", "tracked")
SWEEP_TABLES = ("summary.csv", "runs.csv")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the command's options."""
    parser.add_argument("folder", nargs="?", type=Path,
                        help="results folder of 'spiral run' or a sweep folder (default: run "
                             "the default scenario first)")
    parser.add_argument("--out", type=Path, help="where to write the charts (default: "
                        "FOLDER/charts)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace previous charts in --out (only the files they wrote)")
    parser.add_argument("--format", default="png,svg",
                        help="comma-separated image formats: png, svg, pdf (default: png,svg)")
    parser.add_argument("--style", choices=("web", "print"), default="web",
                        help="web: 6 in wide, large type; print: 7 in, two newspaper columns")
    parser.add_argument("--sweep", type=Path, help="sweep folder for the tipping-point "
                        "heatmap (default: a small built-in grid)")
    parser.add_argument("--measure", help="sweep measure of the heatmap (default: the first "
                        "of never_listed_grade_D_share, final_share_D, ties_lost_share)")
    parser.add_argument("--no-animation", action="store_true", help="skip the animated GIF")
    parser.add_argument("--layout", default="desktop,mobile",
                        help="desktop, mobile (375 px wide, panels stacked, text 12 px or more) "
                             "or both, comma-separated (default: desktop,mobile)")
    parser.add_argument("--extreme", action="store_true",
                        help="individual stories show the most extreme case (labelled) "
                             "instead of the typical one")
    parser.add_argument("--replicates", type=int, default=10,
                        help="replicates of the default run when no folder is given "
                             "(default 10, the fewest for an interval claim)")


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
    from spiral.experiments.charts.companions import run_default
    from spiral.experiments.common.outputs import check_target
    from spiral.model.errors import InputError

    formats = parse_formats(args.format)
    layouts = tuple(dict.fromkeys(x.strip() for x in args.layout.split(",") if x.strip()))
    if not layouts or set(layouts) - {"desktop", "mobile"}:
        raise InputError(f"--layout = {args.layout!r} is not valid: expected desktop, mobile "
                         "or both")
    args.layouts = layouts
    folder, sweep = args.folder, args.sweep
    if folder is not None and not folder.is_dir():
        raise InputError(f"{folder}: no such folder (give a results folder of 'spiral run' or "
                         "a sweep folder)")
    if sweep is not None:
        if not sweep.is_dir():
            raise InputError(f"--sweep {sweep}: no such folder")
        if check_folder(sweep) != "sweep":
            raise InputError(f"--sweep {sweep}: not a sweep folder (no summary.csv or runs.csv)")
    kind = check_folder(folder) if folder is not None else "run"
    if folder is not None:
        check_target(args.out or folder / "charts", KIND, overwrite=args.overwrite)
    else:
        folder = run_default(args.replicates)
    out = args.out or folder / "charts"
    book = _draw(kind, folder, out, formats, args)
    for note in book.notes:
        print(f"note: {note}", file=sys.stderr)
    count = len(book.entries)
    print(f"charts: {out} ({count} chart{'s' if count != 1 else ''}"
          f"{', animation' if book.animation else ''})")
    return 0


def _draw(kind: str, folder: Path, out: Path, formats, args):
    """Draw into a temporary folder renamed to ``out`` when complete; data faults as one line."""
    import pandas as pd
    from spiral.experiments.charts.book import make_charts, tipping_chart
    from spiral.experiments.charts.data import ChartDataError
    from spiral.experiments.common.manifest import base_manifest
    from spiral.experiments.common.outputs import OneShotOutput
    from spiral.model.errors import InputError

    try:
        with OneShotOutput(out, KIND, overwrite=args.overwrite) as target:
            if kind == "sweep":
                book = tipping_chart(folder, target.path, formats=formats, style=args.style,
                                     measure=args.measure, layouts=args.layouts)
            else:
                book = make_charts(folder, target.path, formats=formats, style=args.style,
                                   sweep=args.sweep, measure=args.measure,
                                   animation=not args.no_animation, layouts=args.layouts,
                                   extreme=args.extreme)
            target.write_manifest(base_manifest(
                KIND, source_folder=str(folder), source_kind=kind,
                sweep=str(args.sweep) if args.sweep else None, formats=list(formats),
                style=args.style, measure=args.measure,
                charts=[entry["id"] for entry in book.entries], notes=book.notes))
    except ChartDataError as exc:
        raise InputError(str(exc)) from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{folder}: a table cannot be read ({_first_line(exc)})") from None
    except KeyError as exc:
        raise InputError(f"{folder}: a table lacks the column {exc}: not a results folder of "
                         "this version of 'spiral run'") from None
    return book


# --- checking the folder before drawing ------------------------------------------------------
def check_folder(folder: Path) -> str:
    """What ``folder`` holds, ``"run"`` or ``"sweep"``, after checking what the charts read.

    Raises:
        InputError: The folder is empty, holds neither a run nor a sweep, has a damaged
            manifest, lacks a table, or has an empty or truncated table.
    """
    from spiral.model.errors import InputError

    try:
        names = {p.name for p in folder.iterdir()}
    except OSError as exc:
        raise InputError(f"{folder}: cannot read the folder ({exc.strerror or exc})") from None
    if not names:
        raise InputError(f"{folder}: is empty; give a results folder of 'spiral run' or a "
                         "sweep folder")
    manifests = [n for n in ("manifest.json", "sweep.json") if n in names]
    kinds = {_manifest_kind(folder / n) for n in manifests}
    listed = "episodes.csv" in names or "episodes.parquet" in names
    sweep = "run" not in kinds and ("sweep" in kinds or (
        not kinds and not listed and any(n in names for n in SWEEP_TABLES)))
    if sweep:
        tables = [folder / n for n in SWEEP_TABLES if n in names]
        if not tables:
            raise InputError(f"{folder}: a sweep folder without summary.csv or runs.csv (the "
                             "sweep has not finished: resume it first)")
        for path in tables:
            check_csv(path, need_rows=True)
        return "sweep"
    if kinds - {"run"}:
        raise InputError(f"{folder}: holds a {sorted(kinds - {'run'})[0]} output, not a run or "
                         "a sweep")
    missing = [t for t in RUN_TABLES if f"{t}.csv" not in names and f"{t}.parquet" not in names]
    if missing:
        what = "is not a results folder of 'spiral run' or a sweep folder" if len(missing) == \
            len(RUN_TABLES) else "is a run missing a table"
        raise InputError(f"{folder}: {what} (no {', '.join(f'{t}.csv' for t in missing)})")
    for table in (*RUN_TABLES, *OPTIONAL_TABLES):
        if f"{table}.csv" in names:
            check_csv(folder / f"{table}.csv", folder / f"{table}.parquet",
                      need_rows=table in NEVER_EMPTY)
    return "run"


def _manifest_kind(path: Path) -> str:
    """The ``kind`` of a manifest; a damaged one is an error naming the file and line."""
    from spiral.model.errors import InputError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: the manifest is damaged (not valid JSON: "
                         f"{exc.msg})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: the manifest cannot be read ({_first_line(exc)})") from None
    if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
        raise InputError(f"{path}: the manifest is damaged (no 'kind' of output)")
    return data["kind"]


def check_csv(path: Path, parquet: Path | None = None, *, need_rows: bool = False) -> None:
    """Refuse an empty or truncated CSV table (a damaged file gives charts of partial data).

    Truncated: the last line is cut (no final newline, or fewer fields than the header), or
    the Parquet copy written with it has another number of rows. With ``need_rows``, a
    header without rows is refused too.

    Raises:
        InputError: One line naming the file (and line) and what is wrong.
    """
    import csv

    from spiral.model.errors import InputError

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    lines = data.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(f"{path}: is empty (not even a header line)")
    if need_rows and len(lines) < 2:
        raise InputError(f"{path}: has a header but no rows")
    if not data.endswith(b"\n"):
        raise InputError(f"{path}:{len(lines)}: the file is truncated (its last line is cut)")
    try:
        header, last = (next(csv.reader([line.decode("utf-8")])) for line in (lines[0],
                                                                              lines[-1]))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; the file is damaged") from None
    if len(last) != len(header):
        raise InputError(f"{path}:{len(lines)}: {len(last)} fields where the header has "
                         f"{len(header)}: the file is truncated or damaged")
    if parquet is not None and parquet.is_file():
        rows = _parquet_rows(parquet)
        if rows is not None and rows != len(lines) - 1:
            raise InputError(f"{path}: {len(lines) - 1:,} rows, but {parquet.name} written "
                             f"with it has {rows:,}: the file is truncated or damaged")


def _parquet_rows(path: Path) -> int | None:
    try:
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    except Exception:  # an unreadable Parquet copy is not what is checked here
        return None


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]
