"""``spiral sweep FILE.toml``: run a parameter sweep (grid, Latin hypercube, Sobol, Morris).

    spiral sweep FILE.toml [--out DIR] [--workers N | --scheduler ADDRESS] [--resume]
                 [--save TABLES] [--quiet]

Prints the plan, runs it (see :func:`spiral.experiments.sweeps.sweep.run_sweep`) and the means
of the file's ``show`` measures per design point. A bad file, a non-empty ``--out`` that is
not this sweep's, or one without ``--resume``, ends with one line and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from spiral.experiments.sweeps.spec import TABLES, SweepError, check_points, load_sweep


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``spiral sweep``."""
    parser.add_argument("file", type=Path, help="sweep file (.toml); see docs/sweeps.md")
    parser.add_argument("--out", type=Path, help="output folder (default: "
                        "results/sweep-<name>-<time>)")
    parser.add_argument("--workers", type=int, default=1,
                        help="local worker processes (default 1)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786")
    parser.add_argument("--resume", action="store_true",
                        help="continue the sweep in --out: keep finished runs, run the rest")
    parser.add_argument("--save", default="", metavar="TABLES",
                        help="also keep per-run tables, comma-separated: "
                        f"{', '.join(TABLES)} (large)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def main(args) -> int:
    """Run ``spiral sweep``."""
    from spiral.experiments.sweeps.sweep import run_sweep

    spec = load_sweep(args.file)
    if args.save:
        extra = [s.strip() for s in args.save.split(",") if s.strip()]
        bad = [s for s in extra if s not in TABLES]
        if bad:
            raise SweepError(f"--save {bad[0]!r} is not a table; expected {', '.join(TABLES)}")
        spec = replace(spec, save=tuple(dict.fromkeys([*spec.save, *extra])))
    n_points = len(check_points(spec))
    where = "Dask " + args.scheduler if args.scheduler else f"{args.workers} worker(s)"
    print(f"spiral sweep: {spec.name}, {spec.design} design, {n_points} points x "
          f"{spec.replicates} replicates = {n_points * spec.replicates} runs, {where}",
          file=sys.stderr)
    result = run_sweep(spec, args.out, workers=args.workers, scheduler=args.scheduler,
                       resume=args.resume, progress=not args.quiet)
    print(f"results: {result.out}")
    rate = f"; {result.runs_per_second:.2f} runs/s" if result.ran else ""
    print(f"runs: {len(result.runs)} ({result.ran} run now, {result.skipped} already done)"
          f"{rate}")
    print_headline(result)
    return 0


def print_headline(result) -> None:
    """Print the means of the ``show`` measures per design point (up to 40 points)."""
    summary = result.summary
    headline = [m for m in result.spec.show if m in set(summary["measure"])]
    if not headline or len(result.runs["point"].unique()) > 40:
        return
    table = summary[summary["measure"].isin(headline)]
    wide = table.pivot(index=["point", *result.spec.names], columns="measure", values="mean")
    print("means over replicates (95% intervals in summary.csv):")
    print(wide[headline].round(3).to_string())
