"""``spiral sweep FILE.toml``: run a parameter sweep (grid, Latin hypercube, Sobol, Morris).

    spiral sweep FILE.toml [--out DIR] [--workers N | --scheduler ADDRESS |
                 --cluster slurm [--jobs N] [--cluster-option KEY=VALUE ...]] [--resume]
                 [--batch N] [--allow-version-change] [--save TABLES] [--quiet]

Prints the plan, runs it (see :func:`spiral.experiments.sweeps.sweep.run_sweep`) and the means
of the file's ``show`` measures per design point. Exit status:

* 0: every run finished;
* 2: bad input (a bad file, a non-empty ``--out`` that is not this sweep's, or one without
  ``--resume``, a folder another process is writing, a malformed or unreachable scheduler):
  one line, nothing written;
* 3: the sweep went through but some runs failed: they are listed in ``OUT/failed.csv`` with
  their errors, and ``--resume`` runs them again;
* 130: interrupted (Ctrl-C, SIGTERM): the finished runs are saved and the line printed says
  how to resume.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import replace
from pathlib import Path

from spiral.experiments.sweeps.cluster import add_cluster_arguments
from spiral.experiments.sweeps.spec import TABLES, SweepError, check_points, load_sweep

EXIT_FAILED_RUNS = 3
EXIT_INTERRUPTED = 130


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``spiral sweep``."""
    parser.add_argument("file", type=Path, help="sweep file (.toml); see docs/sweeps.md")
    parser.add_argument("--out", type=Path, help="output folder (default: "
                        "results/sweep-<name>-<time>)")
    parser.add_argument("--workers", type=int, default=1,
                        help="local worker processes (default 1)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786")
    add_cluster_arguments(parser)
    from spiral.experiments.sweeps.sweep import BATCH_CITIZENS, MAX_BATCH

    parser.add_argument("--batch", type=int, default=None, metavar="N",
                        help="replicates of a design point run as one batched engine, at most "
                        f"N (1 to {MAX_BATCH}; 1: one run at a time; default: automatic, about "
                        f"{BATCH_CITIZENS:,} citizens a batch); results do not depend on it")
    parser.add_argument("--resume", action="store_true",
                        help="continue the sweep in --out: keep finished runs, run the rest "
                        "(failed runs included)")
    parser.add_argument("--allow-version-change", action="store_true",
                        help="with --resume: continue a sweep started by other code (another "
                        "version, commit, random-number scheme or parameter table)")
    parser.add_argument("--save", default="", metavar="TABLES",
                        help="also keep per-run tables, comma-separated: "
                        f"{', '.join(TABLES)} (large)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def main(args) -> int:
    """Run ``spiral sweep``; the exit status is described in the module docstring."""
    from spiral.experiments.common.outputs import default_out_dir
    from spiral.experiments.sweeps.cluster import cluster_arguments
    from spiral.experiments.sweeps.sweep import SweepInterrupted, run_sweep

    spec = load_sweep(args.file)
    if args.save:
        extra = [s.strip() for s in args.save.split(",") if s.strip()]
        bad = [s for s in extra if s not in TABLES]
        if bad:
            raise SweepError(f"--save {bad[0]!r} is not a table; expected {', '.join(TABLES)}")
        spec = replace(spec, save=tuple(dict.fromkeys([*spec.save, *extra])))
    if args.workers < 1:
        raise SweepError(f"--workers = {args.workers} must be a whole number >= 1")
    cluster, jobs, options = cluster_arguments(args)
    n_points = len(check_points(spec))
    out = args.out or default_out_dir("sweep", spec.name)
    where = "Dask " + args.scheduler if args.scheduler else \
        f"SLURM, {jobs} job(s)" if cluster else f"{args.workers} worker(s)"

    def announce() -> None:  # once the folder is ready: a refusal is the only line
        print(f"spiral sweep: {spec.name}, {spec.design} design, {n_points} points x "
              f"{spec.replicates} replicates = {n_points * spec.replicates} runs, {where}",
              file=sys.stderr)

    try:
        result = run_sweep(spec, out, workers=args.workers, scheduler=args.scheduler,
                           resume=args.resume, show_progress=not args.quiet,
                           allow_version_change=args.allow_version_change, on_ready=announce,
                           cluster=cluster, jobs=jobs, cluster_options=options,
                           batch=args.batch)
    except SweepInterrupted as stop:
        print(f"spiral sweep: interrupted: {stop.saved} of {stop.total} runs are saved in "
              f"{stop.out}; continue with: {resume_command(args, stop.out)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"results: {result.out}")
    rate = f"; {result.runs_per_second:.2f} runs/s" if result.ran else ""
    print(f"runs: {len(result.runs)} ({result.ran} run now, {result.skipped} already done)"
          f"{rate}")
    print_headline(result)
    if result.failed:
        print(f"spiral sweep: {result.failed} of {len(result.runs) + result.failed} runs "
              f"failed ({describe_failures(result.failures)}); they are listed with their "
              f"errors in {result.out / 'failed.csv'}; run them again with: "
              f"{resume_command(args, result.out)}", file=sys.stderr)
        return EXIT_FAILED_RUNS
    return 0


def resume_command(args, out: Path) -> str:
    """The exact command that continues this sweep in ``out``."""
    words = ["spiral", "sweep", str(args.file), "--out", str(out), "--resume"]
    if args.scheduler:
        words += ["--scheduler", args.scheduler]
    elif getattr(args, "cluster", None):
        words += ["--cluster", args.cluster, "--jobs", str(args.jobs)]
        for option in args.cluster_option:
            words += ["--cluster-option", option]
    elif args.workers > 1:
        words += ["--workers", str(args.workers)]
    if args.save:
        words += ["--save", args.save]
    if args.allow_version_change:
        words.append("--allow-version-change")
    if args.quiet:
        words.append("--quiet")
    return shlex.join(words)


def describe_failures(failures, limit: int = 2) -> str:
    """The commonest errors of the failed runs, e.g. ``3 x ParameterError: ...``."""
    counts = failures.groupby(["error_type", "error_message"], dropna=False, sort=False).size()
    counts = counts.sort_values(ascending=False, kind="stable")
    parts = [f"{n} x {kind}: {_first_line(message)}"
             for (kind, message), n in counts.head(limit).items()]
    more = len(counts) - limit
    return "; ".join(parts) + (f"; and {more} other error(s)" if more > 0 else "")


def _first_line(text, width: int = 160) -> str:
    line = (str(text).splitlines() or [""])[0]
    return line if len(line) <= width else line[:width - 3] + "..."


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
