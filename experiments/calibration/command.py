"""``spiral calibrate``: ABC-SMC calibration of model parameters against observed targets.

    spiral calibrate FILE.toml [--out DIR] [--workers N | --scheduler ADDRESS |
                     --cluster slurm [--jobs N] [--cluster-option KEY=VALUE ...]] [--resume]

The calibration file (docs/calibration.md) names a scenario, the priors, the observed
targets and the ABC-SMC settings. The output folder holds ``history.db`` (pyabc's SQLite
history, written a generation at a time), ``posterior.parquet``, ``summary.csv`` and
``summary.json``, ``predictive.csv``, ``figures/`` and ``manifest.json``. A killed
calibration continues from its last complete generation with ``--resume``. ``--scheduler``
and ``--cluster`` simulate the particles on a Dask cluster (pyabc's Dask sampler), as
``spiral sweep`` runs its runs (docs/sweeps.md); a cluster started here is closed at the end.

Bad input (the file, an unknown parameter or measure, a prior outside the parameter's range,
a target without a finite value or a scale, a CSV without the named column, an ``--out``
that is not ours, a malformed scheduler address or cluster option, ``--jobs`` without
``--cluster``) is one line, exit status 2, and nothing is written.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import time
from pathlib import Path

from spiral.experiments.calibration.spec import CalibrationError, load_calibration
from spiral.experiments.sweeps.cluster import add_cluster_arguments

KIND = "calibration"
MANIFEST = "manifest.json"


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of ``spiral calibrate``."""
    parser.add_argument("file", type=Path, help="calibration file (.toml); see docs/calibration.md")
    parser.add_argument("--out", type=Path, help="output folder (default: "
                        "results/calibration-NAME-TIME)")
    parser.add_argument("--workers", type=int, default=1,
                        help="local processes that simulate particles (pyabc multicore sampler)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="simulate on a Dask cluster, e.g. tcp://10.0.0.5:8786")
    add_cluster_arguments(parser)
    parser.add_argument("--resume", action="store_true",
                        help="continue the calibration in --out from its last complete generation")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def main(args) -> int:
    """Run ``spiral calibrate``."""
    import matplotlib

    matplotlib.use("Agg")
    from spiral.experiments.calibration.abc import HISTORY, _pyabc, make_sampler, run_abc
    from spiral.experiments.calibration.model import Distance, Simulator
    from spiral.experiments.calibration.outputs import write_outputs
    from spiral.experiments.common.manifest import base_manifest
    from spiral.experiments.common.outputs import default_out_dir, lock_in_place
    from spiral.experiments.sweeps.cluster import (
        check_address,
        check_cluster,
        cluster_arguments,
        connect,
        start_cluster,
    )

    spec = load_calibration(args.file)
    if args.workers < 1:
        raise CalibrationError(f"--workers = {args.workers} must be a whole number >= 1")
    if args.resume and args.out is None:
        raise CalibrationError("--resume needs --out DIR, the folder of the calibration to continue")
    cluster, jobs, options = cluster_arguments(args)
    _pyabc()  # installed? (one line if not, before anything is written)
    client = batch = None
    if args.scheduler:
        check_address(args.scheduler)
    if cluster is not None:
        check_cluster(cluster, jobs)
    out = args.out or default_out_dir(KIND, spec.name)
    mode, previous, lock = lock_in_place(out, KIND, manifest_name=MANIFEST, resume=args.resume,
                                         what="calibration")
    say = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr))
    try:
        db = Path(out) / HISTORY
        if mode == "resume":
            _check_resume(previous, spec, db)
        if args.scheduler:
            client = connect(args.scheduler)
        elif cluster is not None:
            logs = (Path(out) / "logs").resolve()  # dask-jobqueue makes it
            try:
                batch, client = start_cluster(cluster, jobs, {"job_name": "spiral-calibrate",
                                                              **options}, log_directory=logs)
            except BaseException:
                with contextlib.suppress(OSError):
                    logs.rmdir()  # if empty: a refused start leaves the folder as it was
                raise
        started = time.perf_counter()
        manifest = base_manifest(KIND, name=spec.name, calibration_file=str(args.file),
                                 calibration_text=spec.text, seed=spec.seed,
                                 scenario=spec.scenario.name, status="running",
                                 sampler=_sampler_name(args, cluster, jobs),
                                 honest_rule="each particle: one realisation compared with the "
                                 "observation (replicates > 1: pseudo-marginal, never averaged)")
        if mode == "resume":
            manifest["resumed"] = [*previous.get("resumed", []), manifest["created_utc"]]
            manifest["timings"] = previous.get("timings", {})
        _write_manifest(Path(out), manifest)
        shutil.copyfile(args.file, Path(out) / "calibration.toml")
        simulator = Simulator(spec)
        say(f"spiral calibrate: {spec.name}: {', '.join(p.name for p in spec.priors)} from "
            f"{len(spec.observed)} observed statistic(s), {spec.population_size} particles x at "
            f"most {spec.generations} generations, {manifest['sampler']}, in {out}")
        resume = mode == "resume" and db.exists() and db.stat().st_size > 0
        run = run_abc(simulator, Distance(spec.scales, spec.p), spec.priors, spec.observed,
                      db=db, population_size=spec.population_size, generations=spec.generations,
                      final_epsilon=spec.final_epsilon, epsilons=spec.epsilons,
                      sampler=make_sampler(args.workers, client), resume=resume, say=say,
                      seed=spec.seed + (len(manifest.get("resumed", [])) * 7919))
        if not run.generations:
            raise CalibrationError(f"{out}: the history holds no complete generation")
        timings = write_outputs(Path(out), run, simulator, spec)
        manifest.update(status="complete", stop=run.stop,
                        generations=[vars(g) for g in run.generations],
                        resumed_from_generation=run.resumed_from,
                        timings={**manifest.get("timings", {}), "abc_s": run.seconds, **timings,
                                 "total_s": time.perf_counter() - started})
        _write_manifest(Path(out), manifest)
        say(f"spiral calibrate: done ({run.stop}); posterior in {out}/summary.csv")
        print(Path(out, "summary.csv").read_text(encoding="utf-8"), end="")
    finally:
        try:
            if client is not None:
                client.close()
            if batch is not None:
                batch.close()  # cancels the batch jobs
        finally:
            if lock is not None:
                lock.release()
    return 0


def _sampler_name(args, cluster: str | None, jobs: int) -> str:
    """Where the particles are simulated, for the manifest and the first progress line."""
    if args.scheduler:
        return "dask " + args.scheduler
    if cluster is not None:
        return f"dask {cluster} ({jobs} job{'' if jobs == 1 else 's'})"
    return f"{args.workers} local process(es)"


def _check_resume(previous: dict, spec, db: Path) -> None:
    """Refuse to continue a calibration of another file (or one that never started)."""
    if previous.get("calibration_text") != spec.text:
        raise CalibrationError(f"{db.parent}: holds a calibration of another file (the "
                               "calibration file changed); choose another --out")


def _write_manifest(folder: Path, manifest: dict) -> None:
    import json

    from spiral.experiments.common.fsops import LOCK, files_under

    files = sorted({*files_under(folder), MANIFEST} - {LOCK, "history.db-journal"})
    text = json.dumps({**manifest, "files": files}, indent=2, default=str) + "\n"
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(folder / MANIFEST)
