"""Checksums of the data files of fixed-seed runs: the record that results did not change.

Two cases, each a ``spiral`` command run into a temporary folder:

* ``run``: ``spiral run --seed 7 --ticks 24 --no-figures`` (the default scenario): every CSV
  table and ``summary.json``;
* ``sweep``: ``spiral sweep scar-wrongful-oversight-small.toml --workers 1`` (a bundled sweep
  file): ``points.csv``, ``runs.csv`` and ``summary.csv``.

The SHA-256 of each file is recorded in ``tests/data/checksums.json``; ``tests/test_regression.py``
reruns both cases and compares. When a change alters results on purpose, regenerate the record
with the one command below (never edit the file by hand) and say so in CHANGELOG.md::

    python -m spiral.experiments.tools.checksums           # rerun both cases and compare
    python -m spiral.experiments.tools.checksums --write   # rerun both cases and record

Manifests, Parquet files (whose metadata name library versions) and per-run records (which hold
timings) are not compared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

RECORD_PATH = Path(__file__).resolve().parents[2] / "tests" / "data" / "checksums.json"
REGENERATE = "python -m spiral.experiments.tools.checksums --write"
SWEEP_FILE = "scar-wrongful-oversight-small.toml"


@dataclass(frozen=True)
class Case:
    """One fixed-seed command and the data files of its output folder that are compared.

    Attributes:
        name: Key of the case in the record.
        args: The ``spiral`` arguments, without ``--out``; ``{sweeps}`` stands for the folder
            of the bundled sweep files.
        patterns: Glob patterns, relative to the output folder, of the compared files.
    """

    name: str
    args: tuple[str, ...]
    patterns: tuple[str, ...]

    def command(self) -> list[str]:
        """The arguments as recorded (with ``{sweeps}`` unresolved), for the record."""
        return ["spiral", *self.args, "--out", "OUT"]

    def files(self, out: Path) -> dict[str, str]:
        """SHA-256 of every compared file in ``out``, by path relative to ``out``."""
        paths = sorted({p for pattern in self.patterns for p in out.glob(pattern) if p.is_file()})
        return {p.relative_to(out).as_posix(): sha256(p) for p in paths}


CASES = (
    Case("run", ("run", "--seed", "7", "--ticks", "24", "--no-figures"),
         ("*.csv", "summary.json")),
    Case("sweep", ("sweep", "{sweeps}/" + SWEEP_FILE, "--workers", "1"),
         ("points.csv", "runs.csv", "summary.csv")),
)


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_case(case: Case, workdir: Path) -> dict[str, str]:
    """Run one case with this interpreter's ``spiral`` in ``workdir``; checksums of its files.

    Raises:
        RuntimeError: The command failed (its output is in the message).
    """
    sweeps = Path(str(resources.files("spiral.experiments.sweeps")))
    out = workdir / case.name
    args = [arg.replace("{sweeps}", str(sweeps)) for arg in case.args]
    proc = subprocess.run([sys.executable, "-m", "spiral.experiments.cli", *args, "--out", str(out)],
                          cwd=workdir, capture_output=True, text=True, timeout=1800, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"spiral {' '.join(args)} exited with {proc.returncode}:\n"
                           f"{proc.stdout}{proc.stderr}")
    return case.files(out)


def current() -> dict:
    """Rerun every case in a temporary folder: the record as it would be written now."""
    with tempfile.TemporaryDirectory(prefix="spiral-checksums-") as tmp:
        cases = {case.name: {"command": case.command(), "files": run_case(case, Path(tmp))}
                 for case in CASES}
    return {"regenerate": REGENERATE,
            "note": "SHA-256 of the data files of fixed-seed runs; written by the command in "
                    "'regenerate', never by hand.",
            "cases": cases}


def compare(recorded: dict, now: dict) -> list[str]:
    """Differences between a recorded and a fresh record, one line each (empty if none)."""
    problems = []
    rec_cases, now_cases = recorded.get("cases", {}), now.get("cases", {})
    for name in sorted(set(rec_cases) | set(now_cases)):
        if name not in now_cases:
            problems.append(f"{name}: recorded case no longer run")
            continue
        if name not in rec_cases:
            problems.append(f"{name}: case not recorded")
            continue
        rec, new = rec_cases[name], now_cases[name]
        if rec.get("command") != new.get("command"):
            problems.append(f"{name}: command changed from {rec.get('command')} to "
                            f"{new.get('command')}")
        rec_files, new_files = rec.get("files", {}), new.get("files", {})
        for file in sorted(set(rec_files) | set(new_files)):
            if file not in new_files:
                problems.append(f"{name}/{file}: recorded but not written")
            elif file not in rec_files:
                problems.append(f"{name}/{file}: written but not recorded")
            elif rec_files[file] != new_files[file]:
                problems.append(f"{name}/{file}: checksum {new_files[file][:12]}... differs from "
                                f"the recorded {rec_files[file][:12]}...")
    return problems


def check(path: Path = RECORD_PATH) -> list[str]:
    """Rerun the cases and compare with the record at ``path``; the differences."""
    if not path.is_file():
        return [f"{path}: no record (run from a source checkout, or pass --path)"]
    return compare(json.loads(path.read_text(encoding="utf-8")), current())


def write(path: Path = RECORD_PATH) -> dict:
    """Rerun the cases and write their checksums to ``path``; the new record."""
    record = current()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


def main(argv: list[str] | None = None) -> int:
    """Compare the fixed-seed runs with the record (exit 1 on a difference) or ``--write`` it."""
    parser = argparse.ArgumentParser(prog="python -m spiral.experiments.tools.checksums",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true",
                        help="record the current checksums (when results change on purpose)")
    parser.add_argument("--path", type=Path, default=RECORD_PATH, help="the record (JSON)")
    args = parser.parse_args(argv)
    try:
        if args.write:
            record = write(args.path)
            count = sum(len(case["files"]) for case in record["cases"].values())
            print(f"wrote {count} checksums to {args.path}")
            return 0
        problems = check(args.path)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 2
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(f"results differ from {args.path}; if the change is on purpose, run: {REGENERATE}",
              file=sys.stderr)
        return 1
    print(f"all data files match {args.path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
