"""Regenerate the measure codebook of docs/measures.md from the measure registry.

python -m spiral.experiments.tools.codebook           # rewrite the generated table
python -m spiral.experiments.tools.codebook --check   # exit 1 if the docs drifted
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spiral.experiments.measures.registry import render

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "measures.md"


def main(argv: list[str] | None = None) -> int:
    """Regenerate docs/measures.md's table, or check it (``--check``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/measures.md drifted")
    args = parser.parse_args(argv)
    text = DOC_PATH.read_text(encoding="utf-8")
    new = render(text)
    if args.check:
        if new != text:
            print(f"{DOC_PATH}: out of date; run python -m spiral.experiments.tools.codebook",
                  file=sys.stderr)
            return 1
        return 0
    DOC_PATH.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
