"""``spiral reproduce DIR``: rerun a results folder from its manifest; compare the data files.

    spiral reproduce DIR [--workers N] [--keep RERUN_DIR]

``DIR`` is a folder written by ``spiral run`` (``manifest.json`` of kind ``run``), ``spiral
sweep`` (``sweep.json``) or ``spiral sensitivity`` (``manifest.json`` of kind
``sensitivity``). The run is rebuilt from what the folder records, not from the files it came
from: the run's parameters, variants, seeds and replicates (its scenario file, or bundled
scenario, gives the variants' definitions, checked against the manifest); a sweep's copy of
its sweep file (``sweep.toml``), its base parameters, listings, saved tables and seeds (the
plan's fingerprint is checked against the recorded one); a sensitivity analysis's sweep file
copy, options and methods. It is rerun into a temporary folder (or ``--keep``), and every
data file (CSV and Parquet; not figures, charts or per-run records, which hold timings) is
compared byte for byte with the original. The report names the files that differ and the
installed package versions that differ from the manifest's ``versions``.

Exit status: 0 when every data file is byte-identical, 1 when one differs (or is missing on
one side), 2 on bad input (not a results folder of ours, a damaged manifest, a scenario that
cannot be found).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from spiral.experiments.common.manifest import package_versions
from spiral.experiments.common.outputs import read_manifest
from spiral.model.errors import InputError

DATA_SUFFIXES = (".csv", ".parquet")
SKIPPED_FOLDERS = ("figures", "charts", "runs")  # images, charts, per-run records (timings)
KINDS = ("run", "sweep", "sensitivity")
EXIT_DIFFERENT = 1


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``spiral reproduce``."""
    parser.add_argument("folder", type=Path, help="results folder of spiral run, spiral sweep "
                        "or spiral sensitivity")
    parser.add_argument("--workers", type=int, default=1,
                        help="local worker processes for a sweep (results do not depend on it)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="write the rerun to DIR (new or empty) and keep it (default: a "
                        "temporary folder, removed)")


def main(args) -> int:
    """Run ``spiral reproduce``: 0 identical, 1 different, 2 bad input."""
    folder = Path(args.folder)
    kind, manifest = read_folder(folder)
    if args.workers < 1:
        raise InputError(f"--workers = {args.workers} must be a whole number >= 1")
    if args.keep is not None and args.keep.exists() and any(args.keep.iterdir()):
        raise InputError(f"--keep {args.keep}: is not empty; give a new or empty folder")
    print(f"spiral reproduce: rerunning the {kind} in {folder}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="spiral-reproduce-") as tmp:
        target = args.keep if args.keep is not None else Path(tmp) / "rerun"
        notes = RERUN[kind](folder, manifest, target, workers=args.workers)
        same, different = compare(folder, target)
    versions = version_changes(manifest.get("versions"))
    for note in notes:
        print(f"note: {note}")
    print(f"identical: {len(same)} data file(s)")
    if different:
        print(f"differ: {len(different)} data file(s): " + "; ".join(different))
    if versions:
        print("versions that differ from the manifest's: " + ", ".join(versions))
    print("result: every data file is byte-identical" if not different else
          "result: NOT identical")
    return EXIT_DIFFERENT if different else 0


# --- reading the folder --------------------------------------------------------------------
def read_folder(folder: Path) -> tuple[str, dict]:
    """The kind of results folder and its manifest.

    Raises:
        InputError: No such folder, no manifest of ours, a damaged manifest, another kind.
    """
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder")
    for name in ("manifest.json", "sweep.json"):
        path = folder / name
        if not path.is_file():
            continue
        manifest = read_manifest(folder, name)
        if manifest is None:
            raise InputError(f"{path}: the manifest is damaged (not a JSON object)")
        kind = manifest.get("kind")
        if kind in KINDS:
            return kind, manifest
        raise InputError(f"{path}: kind {kind!r} cannot be reproduced; expected a folder of "
                         "spiral run, spiral sweep or spiral sensitivity")
    raise InputError(f"{folder}: no manifest.json or sweep.json: not a results folder of "
                     "spiral run, spiral sweep or spiral sensitivity")


def _field(manifest: dict, key: str, where: Path):
    if key not in manifest:
        raise InputError(f"{where}: the manifest has no {key!r}; it cannot be rerun")
    return manifest[key]


# --- rerunning -----------------------------------------------------------------------------
def rerun_run(folder: Path, manifest: dict, target: Path, *, workers: int = 1) -> list[str]:
    """Rerun a ``spiral run`` folder into ``target``; notes on what could not be matched."""
    from spiral.experiments.runs.results import write_results
    from spiral.experiments.runs.scenario import load_scenario
    from spiral.model.params import PARAMS

    where = folder / "manifest.json"
    notes = []
    source = manifest.get("scenario_file")
    if not (source and Path(source).is_file()):
        if source:
            notes.append(f"the scenario file {source} is gone; using the bundled scenario "
                         f"{manifest.get('scenario')!r}")
        source = _field(manifest, "scenario", where)
    scenario = load_scenario(source)
    params = {k: v for k, v in _field(manifest, "params", where).items() if k in PARAMS}
    scenario = scenario.with_changes(**params)
    seed = int(_field(manifest, "seed", where))
    variants = (manifest.get("variants") or {}).get("run")
    if variants and hasattr(scenario, "with_variants"):
        scenario = scenario.with_variants([v["name"] for v in variants])
        now = [{"name": v.name, "changes": v.changes, "listings": v.listings}
               for v in scenario.variants]
        if json.loads(json.dumps(now, default=str)) != variants:
            notes.append("the scenario's variants are not those the manifest records (the "
                         "scenario file changed?)")
    replicates = manifest.get("replicates")
    try:
        from spiral.experiments.runs.replicates import run_replicates
    except ImportError:  # pragma: no cover - a version without replicates
        run_replicates = None
    if run_replicates is None or not isinstance(replicates, list):
        from spiral.experiments.runs.runner import run_scenario

        result = run_scenario(scenario, seed=seed, driver=manifest.get("driver", "engine"))
    else:
        numbers = [r.get("replicate", k) for k, r in enumerate(replicates)]
        only = numbers[0] if len(numbers) == 1 and numbers[0] != 0 else None
        result = run_replicates(scenario, seed=seed, replicates=max(len(numbers), 1),
                                only=only, fixed_network=bool(manifest.get("fixed_network")),
                                driver=manifest.get("driver", "engine"))
    write_results(result, target, figures=False)
    return notes


def _sweep_spec(copy: Path, manifest: dict, where: Path):
    """A sweep rebuilt from its file's copy and the manifest's base parameters and listings."""
    from spiral.experiments.common.tomlfile import read_toml
    from spiral.experiments.sweeps.spec import SweepError, sweep_from_dict

    data, text = read_toml(copy)
    original = manifest.get("sweep_file")
    ref = data.get("scenario")
    if isinstance(ref, str) and ref.endswith(".toml") and not Path(ref).is_absolute():
        for base in ([Path(original).parent] if original else []) + [copy.parent]:
            if (base / ref).is_file():
                data = {**data, "scenario": str(base / ref)}
                break
    try:
        spec = sweep_from_dict(data, path=Path(original) if original else copy, text=text)
    except SweepError as exc:
        raise InputError(f"{copy}: the sweep cannot be rebuilt: {exc}") from None
    base = manifest.get("base_params")
    if isinstance(base, dict):
        from spiral.model.params import PARAMS

        spec = replace(spec, scenario=spec.scenario.with_changes(
            **{k: v for k, v in base.items() if k in PARAMS}))
    if isinstance(manifest.get("save"), list):
        spec = replace(spec, save=tuple(manifest["save"]))
    return spec


def rerun_sweep(folder: Path, manifest: dict, target: Path, *, workers: int = 1) -> list[str]:
    """Rerun a sweep folder into ``target``; a note if the plan's fingerprint differs."""
    from spiral.experiments.sweeps.store import fingerprint
    from spiral.experiments.sweeps.sweep import plan, run_sweep

    copy = folder / "sweep.toml"
    if not copy.is_file():
        raise InputError(f"{folder}: no sweep.toml (the sweep file's copy); it cannot be rerun")
    spec = _sweep_spec(copy, manifest, folder / "sweep.json")
    notes = []
    if fingerprint(spec, plan(spec)[1]) != manifest.get("fingerprint"):
        notes.append("the rebuilt plan differs from the recorded one (its fingerprint): the "
                     "scenario or the code's parameters changed")
    run_sweep(spec, target, workers=workers, show_progress=False)
    return notes


def rerun_sensitivity(folder: Path, manifest: dict, target: Path, *, workers: int = 1
                      ) -> list[str]:
    """Rerun a sensitivity analysis into ``target`` from its first sweep's file copy."""
    from spiral.experiments.sweeps.sensitivity import run_sensitivity

    methods = [m for m in manifest.get("methods") or [] if isinstance(m, str)]
    if not methods:
        raise InputError(f"{folder / 'manifest.json'}: the manifest names no methods")
    sub = folder / methods[0]
    sub_manifest = read_manifest(sub, "sweep.json") or {}
    if not (sub / "sweep.toml").is_file():
        raise InputError(f"{sub}: no sweep.toml (the sweep file's copy); it cannot be rerun")
    spec = _sweep_spec(sub / "sweep.toml", {**sub_manifest, "save": None},
                       sub / "sweep.json")
    run_sensitivity(spec, target, workers=workers, show_progress=False, methods=methods)
    return []


RERUN = {"run": rerun_run, "sweep": rerun_sweep, "sensitivity": rerun_sensitivity}


# --- comparing -----------------------------------------------------------------------------
def data_files(folder: Path) -> set[str]:
    """Relative paths of the data files (CSV, Parquet) of a results folder."""
    out = set()
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if path.is_file() and path.suffix in DATA_SUFFIXES and not any(
                part in SKIPPED_FOLDERS or part.startswith(".") for part in rel.parts[:-1]) \
                and not rel.name.startswith("."):
            out.add(rel.as_posix())
    return out


def compare(original: Path, rerun: Path) -> tuple[list[str], list[str]]:
    """Data files byte-identical in both folders, and those that differ (with why)."""
    ours, theirs = data_files(original), data_files(rerun)
    same, different = [], []
    for rel in sorted(ours | theirs):
        if rel not in theirs:
            different.append(f"{rel} (not written by the rerun)")
        elif rel not in ours:
            different.append(f"{rel} (only in the rerun)")
        elif (original / rel).read_bytes() == (rerun / rel).read_bytes():
            same.append(rel)
        else:
            different.append(rel + _same_values(original / rel, rerun / rel))
    return same, different


def _same_values(a: Path, b: Path) -> str:
    """`` (same values; the file's metadata differs)`` for Parquet files with equal tables."""
    if a.suffix != ".parquet":
        return ""
    try:
        import pyarrow.parquet as pq

        if pq.read_table(a).equals(pq.read_table(b)):
            return " (same values; the Parquet metadata differs)"
    except Exception:  # an unreadable file just differs
        return ""
    return ""


def version_changes(recorded) -> list[str]:
    """Installed versions that differ from a manifest's ``versions`` (``name here (then)``)."""
    if not isinstance(recorded, dict):
        return ["the manifest records no versions"]
    now = package_versions()
    return [f"{name} {now.get(name, 'not recorded here')} (manifest: {then})"
            for name, then in sorted(recorded.items()) if now.get(name) != then]
