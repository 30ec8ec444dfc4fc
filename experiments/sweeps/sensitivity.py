"""Sensitivity analysis: ``spiral sensitivity FILE.toml``, Sobol indices and Morris screening.

The sweep file's ``[parameters]`` give each parameter's range (``low``/``high``). The command
runs the Sobol (Saltelli) design and the Morris design over those ranges as ordinary sweeps
(in ``OUT/sobol/`` and ``OUT/morris/``, so ``--resume``, ``--workers`` and ``--scheduler`` work
the same way), averages each design point's replicates, and analyses the chosen measures with
SALib::

    OUT/manifest.json        kind "sensitivity", options, versions, the files written
    OUT/sobol_indices.csv    measure, parameter, S1, S1_conf, ST, ST_conf (95% intervals),
                             points, replicate_noise_share, flags, samples_for_0.1
    OUT/morris_indices.csv   measure, parameter, mu, mu_star, mu_star_conf, sigma, points,
                             replicate_noise_share, flags
    OUT/sensitivity_sobol.png/.svg, OUT/sensitivity_morris.png/.svg   bar charts

A non-empty ``--out`` must be a previous analysis (its ``manifest.json``): ``--resume``
continues it, ``--overwrite`` replaces the files it wrote (and keeps any others).

Options in the sweep file::

    [sensitivity]
    measures = ["score_loss_12m__spiral", "isolated_share__spiral"]   # columns of runs.csv
    methods = ["sobol", "morris"]
    sobol_samples = 64          # Saltelli base sample (power of 2; default: samples)
    morris_trajectories = 20

How the indices are computed and read (no imputation of missing values, the replicate-noise
share, the flags of indices that cannot be trusted, the base samples that would narrow the
intervals): :mod:`spiral.experiments.sweeps.indices`.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace
from pathlib import Path

from spiral.experiments.common.manifest import base_manifest
from spiral.experiments.common.outputs import (
    default_out_dir,
    prepare_in_place,
    recorded_files,
    remove_recorded,
)
from spiral.experiments.sweeps.indices import (
    bar_chart,
    morris_indices,
    point_means,
    replicate_noise,
    sobol_indices,
)
from spiral.experiments.sweeps.records import write_atomic, write_frame_atomic
from spiral.experiments.sweeps.spec import SweepError, SweepSpec, load_sweep
from spiral.experiments.sweeps.store import sweep_files
from spiral.experiments.sweeps.sweep import run_sweep
from spiral.model.errors import InputError

KIND = "sensitivity"
MANIFEST = "manifest.json"

METHODS = ("sobol", "morris")
SENSITIVITY_KEYS = ("measures", "methods", "sobol_samples", "morris_trajectories")
DEFAULT_MEASURES = ("score_loss_12m__spiral", "contact_loss_12m__spiral",
                    "isolated_share__spiral", "ties_lost_share__spiral")
DEFAULT_MORRIS_TRAJECTORIES = 10
DEFAULT_SOBOL_SAMPLES = 32


def _where(spec: SweepSpec) -> str:
    return str(spec.path or "<sweep>")


def sensitivity_options(spec: SweepSpec) -> dict:
    """Validated ``[sensitivity]`` options with defaults filled in.

    Raises:
        SweepError: Unknown key, unknown method, a parameter without ``low``/``high``, or a
            Sobol sample size that is not a power of 2.
    """
    raw = dict(spec.sensitivity)
    for key in raw:
        if key not in SENSITIVITY_KEYS:
            raise SweepError(f"{_where(spec)}: [sensitivity] unknown key {key!r}; expected "
                             f"{', '.join(SENSITIVITY_KEYS)}")
    for factor in spec.factors:
        if factor.low is None:
            raise SweepError(f"{_where(spec)}: [parameters] {factor.name}: sensitivity analysis "
                             "needs a numeric range { low = ..., high = ... }")
    methods = raw.get("methods", list(METHODS))
    if not isinstance(methods, list) or not methods or any(m not in METHODS for m in methods):
        raise SweepError(f"{_where(spec)}: [sensitivity] methods = {methods!r} must be a list "
                         f"from {', '.join(METHODS)}")
    measures = raw.get("measures", list(DEFAULT_MEASURES))
    if not isinstance(measures, list) or not measures or \
            not all(isinstance(m, str) for m in measures):
        raise SweepError(f"{_where(spec)}: [sensitivity] measures = {measures!r} must be a "
                         "list of measure names (columns of runs.csv)")
    for measure in measures:
        _check_measure(spec, measure)
    sobol_samples = raw.get("sobol_samples",
                            spec.samples if spec.design == "sobol" else DEFAULT_SOBOL_SAMPLES)
    if not isinstance(sobol_samples, int) or sobol_samples < 2 or \
            sobol_samples & (sobol_samples - 1):
        raise SweepError(f"{_where(spec)}: [sensitivity] sobol_samples = {sobol_samples!r} "
                         "must be a power of 2 (e.g. 32, 64, 128)")
    trajectories = raw.get("morris_trajectories",
                           spec.samples if spec.design == "morris" else
                           DEFAULT_MORRIS_TRAJECTORIES)
    if not isinstance(trajectories, int) or trajectories < 2:
        raise SweepError(f"{_where(spec)}: [sensitivity] morris_trajectories = "
                         f"{trajectories!r} must be a whole number >= 2")
    return {"methods": methods, "measures": measures, "sobol_samples": sobol_samples,
            "morris_trajectories": trajectories}


def _check_measure(spec: SweepSpec, key: str) -> None:
    """A measure key must be MEASURE__LABEL of a declared measure and a variant the sweep runs."""
    from spiral.experiments.measures.registry import BY_NAME, split_key

    try:
        _, label = split_key(key)
    except KeyError:
        import difflib

        names = [f"{m}__{v}" for m in BY_NAME for v in spec.scenario.variant_names]
        close = difflib.get_close_matches(key, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise SweepError(f"{_where(spec)}: [sensitivity] measure {key!r} is not MEASURE__VARIANT "
                         f"of a declared measure (docs/measures.md){hint}") from None
    variants = set(spec.scenario.variant_names)
    parts = set(label.split("-")) if "-" in label and not label.startswith(
        ("shapley-", "main-", "interaction-", "ladder-")) else {label}
    if label.startswith(("shapley-", "main-", "interaction-", "ladder-")):
        parts = {"penalty", "spiral"}
    missing = parts - variants
    if missing:
        raise SweepError(f"{_where(spec)}: [sensitivity] measure {key!r} needs variant "
                         f"{sorted(missing)[0]!r}, which this sweep does not run (it runs "
                         f"{', '.join(spec.scenario.variant_names)})")


def design_for(spec: SweepSpec, method: str, options: dict) -> SweepSpec:
    """The sweep that feeds one method: the same parameters, that method's design."""
    samples = options["sobol_samples"] if method == "sobol" else options["morris_trajectories"]
    return replace(spec.with_design(method, samples), name=f"{spec.name}-{method}")


def run_sensitivity(spec: SweepSpec | str | Path, out: str | Path | None = None, *,
                    workers: int = 1, scheduler: str | None = None, resume: bool = False,
                    overwrite: bool = False, show_progress: bool = True,
                    methods: list[str] | None = None) -> tuple[Path, dict]:
    """Run the sweeps a sensitivity analysis needs and compute the indices.

    Args:
        spec: A sweep (or the path of a sweep file) whose parameters are ranges.
        out: Output folder (default ``results/sensitivity-<name>-<UTC time>``).
        workers: Local worker processes.
        scheduler: Address of a Dask scheduler.
        resume: Continue a previous analysis in ``out``.
        overwrite: Replace a previous analysis in ``out`` (only the files it wrote).
        show_progress: Show progress bars.
        methods: ``sobol`` and/or ``morris`` (default: the file's, else both).

    Returns:
        The output folder and ``{"sobol": DataFrame, "morris": DataFrame}`` for the methods
        run.

    Raises:
        SweepError: Bad options, or an ``out`` that is not empty and not a previous analysis
            (or one, without ``resume`` or ``overwrite``).
    """
    if not isinstance(spec, SweepSpec):
        spec = load_sweep(spec)
    options = sensitivity_options(spec)
    methods = methods or options["methods"]
    out = Path(out) if out is not None else default_out_dir("sensitivity", spec.name)
    designs = {method: design_for(spec, method, options) for method in methods}
    for design in designs.values():
        design.points()  # a bad design fails here, before any run
    try:
        mode, previous = prepare_in_place(out, KIND, manifest_name=MANIFEST, resume=resume,
                                          overwrite=overwrite,
                                          what="sensitivity analysis")
    except InputError as exc:
        raise exc if isinstance(exc, SweepError) else SweepError(str(exc)) from None
    if mode == "overwrite":
        ours = written_files(out, previous)
        _refuse_foreign_files_in_sweeps(out, previous, set(ours))
        remove_recorded(out, ours)
    sweeps = sorted({*(previous or {}).get("sweeps", []), *methods}) if mode == "resume" \
        else sorted(methods)
    from importlib import metadata

    manifest = base_manifest(KIND, name=spec.name, sweep_file=str(spec.path) if spec.path
                             else None, options=options, methods=list(methods), sweeps=sweeps,
                             salib_version=metadata.version("SALib"), complete=False)
    _write_manifest(out, manifest)
    results = {}
    for method, design in designs.items():
        sweep = run_sweep(design, out / method, workers=workers, scheduler=scheduler,
                          resume=resume, show_progress=show_progress)
        if sweep.failed:
            raise SweepError(f"{out / method}: {sweep.failed} run(s) of the {method} design "
                             "failed (see failed.csv); indices need every design point: fix "
                             "the cause and rerun with --resume")
        means = point_means(sweep.runs, options["measures"])
        noise = replicate_noise(sweep.runs, options["measures"])
        if method == "sobol":
            table = sobol_indices(design, means, options["measures"], noise)
            bars = (("S1", "S1_conf", "first-order S1"), ("ST", "ST_conf", "total ST"))
            title = f"Sobol indices, {spec.name} (95% intervals)"
        else:
            table = morris_indices(design, design.points(), means, options["measures"], noise)
            bars = (("mu_star", "mu_star_conf", "mu* (mean |effect|)"),)
            title = f"Morris screening, {spec.name} (95% intervals)"
        write_frame_atomic(table, out / f"{method}_indices.csv")
        bar_chart(table, out / f"sensitivity_{method}", bars=bars, title=title)
        results[method] = table
    _write_manifest(out, {**manifest, "complete": True})
    return out, results


def written_files(out: Path, manifest: dict | None) -> list[str]:
    """Every file a previous analysis in ``out`` wrote: its own and its sweeps'."""
    manifest = manifest or {}
    files = recorded_files(manifest)
    for name in manifest.get("sweeps", []):
        if isinstance(name, str) and name in METHODS:
            files += [f"{name}/{f}" for f in sweep_files(out / name)]
    return sorted(set(files))


def _refuse_foreign_files_in_sweeps(out: Path, manifest: dict, ours: set[str]) -> None:
    """Refuse to rerun a sweep in a folder that holds files the analysis did not write."""
    for name in manifest.get("sweeps", []):
        folder = out / str(name)
        if str(name) not in METHODS or not folder.is_dir():
            continue
        foreign = sorted(p.relative_to(out).as_posix() for p in folder.rglob("*")
                         if p.is_file() and p.relative_to(out).as_posix() not in ours)
        if foreign:
            raise SweepError(f"--out {out}: --overwrite would rerun the {name} sweep next to "
                             f"{foreign[0]}, which the previous analysis did not write; move "
                             "it away first (nothing was changed)")


def _write_manifest(out: Path, manifest: dict) -> None:
    """Write the manifest with the list of files written so far."""
    own = [MANIFEST, *(f"{m}_indices.csv" for m in METHODS),
           *(f"sensitivity_{m}{s}" for m in METHODS for s in (".png", ".svg"))]
    files = [f for f in own if (out / f).is_file() or f == MANIFEST]
    files += [f"{m}/{f}" for m in manifest.get("sweeps", []) for f in sweep_files(out / m)]
    write_atomic(out / MANIFEST, json.dumps({**manifest, "files": files}, indent=2,
                                            default=str) + "\n")


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``spiral sensitivity``."""
    parser.add_argument("file", type=Path, help="sweep file with [parameters] ranges "
                        "(low/high) and optional [sensitivity] options")
    parser.add_argument("--out", type=Path, help="output folder (default: "
                        "results/sensitivity-<name>-<time>)")
    parser.add_argument("--method", choices=(*METHODS, "both"), default=None,
                        help="sobol, morris or both (default: the file's methods, else both)")
    parser.add_argument("--workers", type=int, default=1, help="local worker processes")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address")
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted analysis in --out")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a previous analysis in --out (only the files it wrote; "
                        "files you added there are kept)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def main(args) -> int:
    """Run ``spiral sensitivity``."""
    spec = load_sweep(args.file)
    methods = {None: None, "both": list(METHODS)}.get(args.method, [args.method])
    out, results = run_sensitivity(spec, args.out, workers=args.workers,
                                   scheduler=args.scheduler, resume=args.resume,
                                   overwrite=args.overwrite, show_progress=not args.quiet,
                                   methods=methods)
    for method, table in results.items():
        print(f"\n{method} indices (with 95% interval half-widths):")
        if table.empty:
            print("  no measure had values")
            continue
        shown = table.drop(columns=["points"]).copy()
        for column in shown.columns:
            if shown[column].dtype.kind == "f":
                shown[column] = shown[column].map(lambda v: "nan" if math.isnan(v)
                                                  else f"{v:.3f}")
        print(shown.to_string(index=False))
    print(f"\nresults: {out}")
    return 0
