"""Generate the parameter-dependent sections of docs/ODD.md from the parameter table.

The ODD document (Grimm et al. 2020) is written by hand except for the sections between
``<!-- BEGIN GENERATED: name -->`` and ``<!-- END GENERATED: name -->`` markers, which this
module rewrites from :data:`spiral.model.params.PARAMS`, so the documented parameters cannot
drift from the code. ``python -m spiral.experiments.tools.odd`` rewrites docs/ODD.md in place;
``--check`` exits with status 1 if the file is out of date.

Example:
    >>> marker = "GENERATED: parameter-count -->"
    >>> text = f"a\\n<!-- BEGIN {marker}\\nold\\n<!-- END {marker}\\n"
    >>> "old" in render(text)
    False
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from spiral.model.params import GROUPS, PARAMS

ODD_PATH = Path(__file__).resolve().parents[2] / "docs" / "ODD.md"
_BLOCK = re.compile(r"(<!-- BEGIN GENERATED: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)"
                    r"(<!-- END GENERATED: (?P=name) -->)", re.DOTALL)

GROUP_TITLES = {
    "network": "Population and friendship network",
    "behaviour": "Behaviour (Suining ledger)",
    "score": "Score and grades",
    "court": "Court blacklist",
    "unfriending": "Hearing, unfriending and rewiring",
    "stigma": "Stigma contagion (validation configurations)",
    "run": "Run",
}


def _cell(text: str) -> str:
    return str(text).replace("|", "/").replace("\n", " ")


def parameter_tables() -> str:
    """One Markdown table per parameter group.

    Columns: name, default, unit, valid values, meaning, source.
    """
    parts = []
    for group in GROUPS:
        parts.append(f"#### {GROUP_TITLES.get(group, group)} (`{group}`)\n")
        parts.append("| parameter | default | unit | valid values | meaning | source |")
        parts.append("|---|---|---|---|---|---|")
        for p in (q for q in PARAMS.values() if q.group == group):
            default = f"`{p.default!r}`" if p.default != "" else "`''`"
            parts.append(f"| `{p.name}` | {default} | {_cell(p.unit)} | {_cell(p.allowed)} | "
                         f"{_cell(p.doc)} | {_cell(p.source)} |")
        parts.append("")
    return "\n".join(parts)


def parameter_count() -> str:
    """Sentence with the number of parameters and of sourced defaults."""
    sourced = sum(1 for p in PARAMS.values() if p.source != "assumption")
    return (f"The model has {len(PARAMS)} parameters in {len(GROUPS)} groups; {sourced} defaults "
            f"come from a cited source, the other {len(PARAMS) - sourced} are assumptions.\n")


GENERATORS = {"parameter-tables": parameter_tables, "parameter-count": parameter_count}


def render(text: str) -> str:
    """``text`` with every generated block rewritten from the parameter table."""
    def replace(match: re.Match) -> str:
        name = match.group("name")
        if name not in GENERATORS:
            raise KeyError(f"docs/ODD.md: unknown generated section {name!r}; known: "
                           f"{', '.join(GENERATORS)}")
        body = GENERATORS[name]()
        if not body.endswith("\n"):
            body += "\n"
        return match.group(1) + body + match.group(4)
    return _BLOCK.sub(replace, text)


def main(argv: list[str] | None = None) -> int:
    """Rewrite docs/ODD.md (or with ``--check`` report whether it is up to date)."""
    parser = argparse.ArgumentParser(prog="python -m spiral.experiments.tools.odd",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if ODD.md is out of date")
    parser.add_argument("--path", type=Path, default=ODD_PATH, help="the ODD file")
    args = parser.parse_args(argv)
    text = args.path.read_text(encoding="utf-8")
    new = render(text)
    if args.check:
        if new != text:
            print(f"{args.path} is out of date: run python -m spiral.experiments.tools.odd",
                  file=sys.stderr)
            return 1
        return 0
    if new != text:
        args.path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
