"""The ``spiral`` command line.

``spiral params`` and ``spiral scenarios`` live here. Other commands (``spiral run`` in
:mod:`spiral.experiments.runs.command`, sweeps, charts, ...) live in their own modules, each
with ``configure(parser)`` and ``main(args) -> int``, and are listed in :data:`COMMANDS`;
their heavy imports happen only when the command runs.

Any :class:`~spiral.model.errors.InputError` (a bad parameter, scenario, network file or
sweep file), a usage error and a file-system fault (full disk, read-only file system,
permission denied) end the command with one line on stderr and exit status 2. Output piped
into a program that stops reading (``spiral params | head``) ends quietly with status 141
(128 + SIGPIPE, as a Unix tool killed by SIGPIPE), never with a ``BrokenPipeError``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import signal
import sys
import textwrap
import threading

from spiral.model.errors import InputError
from spiral.model.params import GROUPS, PARAMS

EXIT_INPUT = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE

# (command, module, one-line help): modules with configure(parser) and main(args).
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("run", "spiral.experiments.runs.command", "run a scenario's variants (with replicates)"),
    ("sweep", "spiral.experiments.sweeps.command", "run a parameter sweep (grid, Latin hypercube, Sobol)"),
    ("sensitivity", "spiral.experiments.sweeps.sensitivity", "Sobol and Morris sensitivity analysis"),
    ("bench", "spiral.experiments.tools.bench", "benchmark the array engine and the Mesa driver"),
    ("charts", "spiral.experiments.charts.command", "newsroom charts from a run or sweep folder"),
    ("explore", "spiral.experiments.dashboard.command", "open the browser dashboard (one person's story)"),
    ("validate", "spiral.experiments.validation.command", "reproduce published results (Watts, Gross)"),
    ("reproduce", "spiral.experiments.runs.reproduce", "rerun a results folder, compare data files"),
    ("calibrate", "spiral.experiments.calibration.command", "ABC-SMC calibration against observed targets"),
)


class _Parser(argparse.ArgumentParser):
    """argparse with exit status 2 and one line on usage errors (no usage block)."""

    def error(self, message: str):
        """Print ``PROG: error: MESSAGE (see PROG --help)`` and exit with status 2."""
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


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
    """Entry point of the ``spiral`` console command; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors (one line), --help, --version
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C interrupts every command (and a sweep says how to resume), even when the
        # process was started with SIGINT ignored, as non-interactive shells start
        # background jobs
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        status = int(args.handler(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
        return status
    except InputError as exc:
        _say(f"spiral {args.command}: error: {exc}")
        return EXIT_INPUT
    except BrokenPipeError:
        if not _stdout_closed():
            raise
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        _say(f"spiral {args.command}: interrupted")
        return 130
    except OSError as exc:  # a file-system fault no command turned into an InputError
        from spiral.experiments.common.fsops import CAUSES

        if exc.errno not in CAUSES:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        _say(f"spiral {args.command}: error: {where}{CAUSES[exc.errno]}")
        return EXIT_INPUT


def _say(line: str) -> None:
    with contextlib.suppress(OSError):  # stderr closed as well
        print(line, file=sys.stderr)


def _stdout_closed() -> bool:
    """Whether nobody reads standard output any more (a pipe whose reader has gone)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(event & (select.POLLERR | select.POLLHUP) for _, event in poller.poll(0))
    except (AttributeError, OSError, ValueError):
        return True


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's final flush cannot fail."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


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
