"""``spiral run``: run a scenario's variants, with replicates, and write a results folder.

    spiral run [SCENARIO | FILE.toml] [--set NAME=VALUE ...] [--seed N] [--ticks N]
               [--replicates N] [--workers W] [--fixed-network] [--replicate K]
               [--variants a,b,...] [--out DIR] [--overwrite] [--driver engine|mesa]
               [--no-figures]

Prints the headline: what a listing costs the listed 12 months on in the main variant and in
the baseline, against the unlisted twin, with 95% intervals over replicates.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spiral.model.errors import InputError
from spiral.model.params import parse_assignment

DEFAULT_REPLICATES = 3  # keeps the default `spiral run` to about 15 s on 2 cores


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``spiral run``."""
    parser.add_argument("scenario", nargs="?", default="zhima-spiral",
                        help="bundled scenario name or path to a scenario .toml file")
    parser.add_argument("--set", dest="assignments", action="append", default=[],
                        metavar="NAME=VALUE", help="change a parameter (repeatable); see "
                        "'spiral params'")
    parser.add_argument("--seed", help="seed of replicate 0 (default: the scenario's)")
    parser.add_argument("--ticks", help="months to simulate (same as --set ticks=N)")
    parser.add_argument("--replicates", default=str(DEFAULT_REPLICATES),
                        help=f"replicates (default {DEFAULT_REPLICATES}); replicate k uses the "
                        "seed derived from (seed, k)")
    parser.add_argument("--workers", default="2", help="worker processes for the replicates "
                        "(default 2; results do not depend on it)")
    parser.add_argument("--fixed-network", action="store_true",
                        help="every replicate on the network of replicate 0")
    parser.add_argument("--replicate", metavar="K",
                        help="run only replicate K (reproduces it exactly)")
    parser.add_argument("--variants", metavar="A,B,...",
                        help="run only these variants of the scenario (default: all)")
    parser.add_argument("--out", type=Path, help="results folder (default: results/<run-id>); "
                        "a non-empty folder is refused unless it holds a previous run and "
                        "--overwrite is given")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a previous run in --out (only the files it wrote; files "
                        "you added there are kept)")
    parser.add_argument("--driver", default="engine",
                        help="engine (array engine, fast, default) or mesa (Mesa agents, the "
                        "same trajectory)")
    parser.add_argument("--track", metavar="WHO", default="",
                        help="citizens followed month by month in every variant (tracked.csv): "
                        "'all' or comma-separated indices")
    parser.add_argument("--no-figures", action="store_true", help="skip the spiral figure")


def _tracked(text: str, n: int):
    """The citizens ``--track`` names: ``all`` or comma-separated indices (checked)."""
    if not text:
        return ()
    if text.strip() == "all":
        return range(n)
    try:
        track = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise InputError(f"--track = {text!r} is not valid: expected 'all' or citizen indices "
                         "like 3,17,42") from None
    bad = [c for c in track if not 0 <= c < n]
    if bad:
        raise InputError(f"--track = {text!r}: citizen {bad[0]} does not exist (citizens are "
                         f"0 to {n - 1})")
    return track


def _whole(flag: str, text, low: int, high: int) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise InputError(f"{flag} = {text!r} is not valid: expected a whole number from {low} "
                         f"to {high}") from None
    if not low <= value <= high:
        raise InputError(f"{flag} = {value} is out of range: allowed {low} to {high}")
    return value


def main(args) -> int:
    """Run ``spiral run``."""
    from spiral.experiments.common.outputs import check_target
    from spiral.experiments.runs.replicates import (
        FEW_REPLICATES,
        MAX_REPLICATES,
        check_replicates,
        run_replicates,
    )
    from spiral.experiments.runs.results import KIND, default_run_dir, write_results
    from spiral.experiments.runs.runner import DRIVERS
    from spiral.experiments.runs.scenario import load_scenario

    replicates = check_replicates(args.replicates)
    workers = _whole("--workers", args.workers, 1, 256)
    only = None if args.replicate is None else _whole("--replicate", args.replicate, 0,
                                                       MAX_REPLICATES - 1)
    if args.driver not in DRIVERS:
        raise InputError(f"--driver = {args.driver!r} is not valid: expected one of "
                         f"{', '.join(DRIVERS)}")
    scenario = load_scenario(args.scenario)
    changes = dict(parse_assignment(text) for text in args.assignments)
    if args.ticks is not None:
        changes.update([parse_assignment(f"ticks={args.ticks}")])
    if changes:
        scenario = scenario.with_changes(**changes)
    if args.variants:
        try:
            scenario = scenario.with_variants([v.strip() for v in args.variants.split(",")
                                               if v.strip()])
        except InputError as exc:
            raise InputError(f"--variants = {args.variants!r}: {exc}") from None
    seed = scenario.seed if args.seed is None else _whole("--seed", args.seed, 0, 2**63 - 1)
    out = args.out or default_run_dir(scenario, seed)
    check_target(out, KIND, overwrite=args.overwrite)
    notes, n = preflight(scenario, seed)
    track = _tracked(args.track, n)
    p = scenario.params
    count = 1 if only is not None else replicates
    print(f"spiral run: scenario {scenario.name}, {p.n_citizens:,} citizens, {p.ticks} months, "
          f"seed {seed}, {count} replicate(s) x {len(scenario.variants)} variants "
          f"({', '.join(scenario.variant_names)}), {args.driver}", file=sys.stderr)
    runs = run_replicates(scenario, seed=seed, replicates=replicates, workers=workers,
                          fixed_network=args.fixed_network, only=only, driver=args.driver,
                          track=track)
    write_results(runs, out, figures=not args.no_figures, overwrite=args.overwrite)
    print(f"results: {out}")
    print(headline(runs.summary, scenario.main_variant, scenario.baseline_variant))
    for note in notes:
        print(f"note: {note}")
    if count < FEW_REPLICATES:
        print(f"note: {count} replicate(s); intervals over fewer than {FEW_REPLICATES} "
              "replicates are rough (use --replicates 10 or more for a finding)")
    return 0


def preflight(scenario, seed: int) -> tuple[list[str], int]:
    """Fail now, in one line, on what would only fail once the run has started.

    Builds replicate 0's network (the generator's own checks: sizes, memory, files) and
    checks the scripted listings against it and against the run's length.

    Returns:
        Notes worth printing (e.g. a cohort that falls after the last month), and the number
        of citizens of replicate 0's network.

    Raises:
        InputError: A network that cannot be built or read, a scripted listing of a citizen
            who does not exist or after the last month.
    """
    from spiral.model.initial import listings_by_tick
    from spiral.model.networks import build_edges
    from spiral.model.streams import make_streams

    p = scenario.params
    n = build_edges(p, make_streams(seed)["network"]).n
    listings_by_tick(scenario.listings, n, ticks=p.ticks)
    notes = []
    if p.cohort_share > 0 and p.cohort_tick > p.ticks:
        notes.append(f"the cohort of month {p.cohort_tick} (cohort_tick) falls after the last "
                     f"month ({p.ticks}): it is never listed")
    return notes, n


def _row(summary, measure: str, label: str):
    rows = summary[(summary["measure"] == measure) & (summary["variant"] == label)]
    return None if rows.empty else rows.iloc[0]


def _value(row, digits: int, scale: float = 1.0) -> str:
    if row is None or row["n"] == 0:
        return "n/a"
    text = f"{row['mean'] * scale:.{digits}f}"
    if row["n"] > 1:
        text += f" [{row['ci_low'] * scale:.{digits}f}, {row['ci_high'] * scale:.{digits}f}]"
    return text


def headline(summary, main: str, baseline: str) -> str:
    """The lines ``spiral run`` prints, computed from the summary table."""
    lines = []
    for name in dict.fromkeys((main, baseline)):
        score = _row(summary, "score_loss_12m", name)
        contacts = _row(summary, "contact_loss_12m", name)
        lines.append(f"{name}: 12 months after listing, the listed have {_value(score, 1)} "
                     f"points and {_value(contacts, 1, 100)}% of contacts less than in the "
                     "unlisted twin")
    extra = _row(summary, "score_loss_12m", f"{main}-{baseline}")
    if extra is not None and main != baseline:
        lines.append(f"{main} - {baseline}: {_value(extra, 1)} points (95% interval over "
                     "replicates)")
    return "\n".join(lines)
