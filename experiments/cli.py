"""The ``spiral`` command line.

``spiral run``, ``spiral params`` and ``spiral scenarios`` live here. Other commands live in
their own modules, each with ``configure(parser)`` and ``main(args) -> int``, and are listed
in :data:`COMMANDS`; their heavy imports happen only when the command runs.

Any :class:`~spiral.model.errors.InputError` (a bad parameter, scenario, network file or
sweep file) ends the command with one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import textwrap
from pathlib import Path

from spiral.model.errors import InputError
from spiral.model.params import GROUPS, PARAMS, parse_assignment

# (command, module, one-line help): modules with configure(parser) and main(args).
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("sweep", "spiral.experiments.sweeps.command", "run a parameter sweep (grid, Latin hypercube, Sobol)"),
    ("sensitivity", "spiral.experiments.sweeps.sensitivity", "Sobol and Morris sensitivity analysis"),
    ("bench", "spiral.experiments.tools.bench", "benchmark the array engine and the Mesa driver"),
    ("charts", "spiral.experiments.charts.command", "newsroom charts from a run or sweep folder"),
    ("explore", "spiral.experiments.dashboard.command", "open the browser dashboard (Mesa SolaraViz)"),
    ("validate", "spiral.experiments.validation.command", "reproduce published results (Watts, Gross)"),
)


class _Parser(argparse.ArgumentParser):
    """argparse with exit status 2 and one line on usage errors (its default)."""


def installed_version() -> str:
    """The installed version of blacklist-spiral (its one source is pyproject.toml)."""
    from importlib import metadata

    try:
        return metadata.version("blacklist-spiral")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every available subcommand."""
    parser = _Parser(prog="spiral", description="Blacklist spiral: an agent-based model of "
                     "blacklist contagion through social networks.")
    parser.add_argument("--version", action="version", version=installed_version(),
                        help="print the installed version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    run = sub.add_parser("run", help="run a scenario and its paired counterfactual",
                         description="Run a scenario (default: zhima-spiral) with the paired "
                         "counterfactual and write a results folder.")
    run.add_argument("scenario", nargs="?", default="zhima-spiral",
                     help="bundled scenario name or path to a scenario .toml file")
    run.add_argument("--set", dest="assignments", action="append", default=[],
                     metavar="NAME=VALUE", help="change a parameter (repeatable); see "
                     "'spiral params'")
    run.add_argument("--seed", type=int, help="the run's seed (default: the scenario's)")
    run.add_argument("--ticks", type=int, help="months to simulate (same as --set ticks=N)")
    run.add_argument("--out", type=Path, help="results folder (default: results/<run-id>); "
                     "a non-empty folder is refused unless it holds a previous run and "
                     "--overwrite is given")
    run.add_argument("--overwrite", action="store_true",
                     help="replace a previous run in --out (only the files it wrote; files you "
                     "added there are kept)")
    run.add_argument("--driver", choices=("engine", "mesa"), default="engine",
                     help="array engine (fast, default) or Mesa agents (same trajectory)")
    run.add_argument("--no-counterfactual", action="store_true",
                     help="skip the paired run without network feedback")
    run.add_argument("--no-figures", action="store_true", help="skip the spiral figure")
    run.set_defaults(handler=_run)

    params = sub.add_parser("params", help="list every parameter (default, unit, range, doc)")
    params.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    params.set_defaults(handler=_params)

    scen = sub.add_parser("scenarios", help="list the bundled scenarios")
    scen.set_defaults(handler=_scenarios)

    for name, module_name, help_text in COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # command not part of this installation
            raise
        p = sub.add_parser(name, help=help_text, description=(module.__doc__ or "").split("\n")[0])
        module.configure(p)
        p.set_defaults(handler=module.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``spiral`` console command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except InputError as exc:
        print(f"spiral {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"spiral {args.command}: interrupted", file=sys.stderr)
        return 130


# --- spiral run ------------------------------------------------------------------------------
def _run(args) -> int:
    from spiral.experiments.common.outputs import check_target
    from spiral.experiments.runs.results import KIND, default_run_dir
    from spiral.experiments.runs.runner import run
    from spiral.experiments.runs.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    changes = dict(parse_assignment(text) for text in args.assignments)
    if args.ticks is not None:
        changes["ticks"] = args.ticks
    if changes:
        scenario = scenario.with_changes(**changes)
    seed = scenario.seed if args.seed is None else args.seed
    if seed < 0:
        raise InputError(f"--seed = {seed} must be a whole number >= 0")
    out = args.out or default_run_dir(scenario, seed)
    check_target(out, KIND, overwrite=args.overwrite)
    p = scenario.params
    print(f"spiral run: scenario {scenario.name}, {p.n_citizens:,} citizens, {p.ticks} months, "
          f"seed {seed}, {args.driver}", file=sys.stderr)
    with _progress_bar(p.n_citizens * p.ticks) as progress:
        result = run(scenario, seed=seed, out=out, figures=not args.no_figures,
                     overwrite=args.overwrite, driver=args.driver,
                     paired=not args.no_counterfactual, progress=progress)
    s = result.summary
    lines = [f"results: {out}"]
    if "amplification_12m" in s:
        lines.append(f"score loss of the listed after 12 months: {_fmt(s['score_loss_12m'])} "
                     f"points with feedback, {_fmt(s['score_loss_12m_counterfactual'])} without "
                     f"(amplification {_fmt(s['amplification_12m'], 2)})")
    lines.append(f"listed citizens left without contacts: {_fmt(s['isolated_share'], 3)}; "
                 f"ties lost: {_fmt(s['ties_lost_share'], 3)}")
    print("\n".join(lines))
    return 0


def _fmt(value, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


class _progress_bar:  # noqa: N801 - used as a context manager like a function
    """A tqdm bar per variant on long runs (more than a million citizen-months)."""

    def __init__(self, work: int) -> None:
        self.enabled = work >= 1_000_000
        self.bars: dict = {}

    def __enter__(self):
        if not self.enabled:
            return None

        def update(label, done, total):
            from tqdm import tqdm

            bar = self.bars.get(label)
            if bar is None:
                bar = self.bars[label] = tqdm(total=total, desc=label, unit="month",
                                              file=sys.stderr, leave=False)
            bar.update(done - bar.n)
        return update

    def __exit__(self, *exc) -> None:
        for bar in self.bars.values():
            bar.close()


# --- spiral params / scenarios -----------------------------------------------------------
def _params(args) -> int:
    rows = list(PARAMS.values())
    if args.format == "json":
        print(json.dumps([{"name": p.name, "default": p.default, "unit": p.unit,
                           "kind": p.kind, "low": p.low, "high": p.high,
                           "choices": list(p.choices) if p.choices else None, "doc": p.doc,
                           "source": p.source, "group": p.group} for p in rows], indent=2))
        return 0
    if args.format == "markdown":
        print(params_markdown())
        return 0
    for group in GROUPS:
        print(f"[{group}]")
        for p in (q for q in rows if q.group == group):
            unit = f" {p.unit}" if p.unit else ""
            print(f"  {p.name} = {p.default!r}{unit}   ({p.allowed})")
            for line in textwrap.wrap(f"{p.doc} [{p.source}]", 88):
                print(f"      {line}")
    return 0


def params_markdown() -> str:
    """The parameter table as Markdown (used by the docs)."""
    lines = ["| name | default | unit | valid values | description | source |",
             "|---|---|---|---|---|---|"]
    for p in PARAMS.values():
        lines.append(f"| `{p.name}` | `{p.default!r}` | {p.unit} | {p.allowed} | {p.doc} | "
                     f"{p.source} |")
    return "\n".join(lines)


def _scenarios(args) -> int:
    from spiral.experiments.runs.scenario import available, load_scenario

    for name in available():
        sc = load_scenario(name)
        print(f"{name}  ({sc.params.n_citizens:,} citizens, {sc.params.ticks} months)")
        for line in textwrap.wrap(sc.description, 88):
            print(f"    {line}")
        print()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
