"""The sweep folder: run records, the manifest, resuming, extending, atomic writes.

A sweep writes in place, as it goes, so that it can be resumed::

    OUT/sweep.json            manifest: kind "sweep", sweep file, design, seeds, versions, timings
    OUT/sweep.toml            copy of the sweep file (the latest, if the sweep was extended)
    OUT/points.csv            one row per design point: its parameter values
    OUT/records/records-0000.jsonl   the run store: one JSON line per finished or failed run
    OUT/tables/p000000-r0000/*.parquet   per-tick / per-citizen tables, only if asked (save)
    OUT/runs.csv, runs.parquet      one row per finished run (see :mod:`.summary`)
    OUT/failed.csv            one row per failed run (only if some failed)
    OUT/summary.csv           one row per design point and measure

The run store (:class:`RecordLog`) is a few append-only files, written only by the process
that holds the folder's lock (workers send their records to it): each record is one line,
flushed and fsynced before the next run is counted, so a record is durable once written; a
file is rolled over at :data:`ROLL_BYTES`, so 100,000 runs make one or two files, not
100,000. A kill can leave a torn last line: readers ignore it, and a resume (under the lock)
cuts it off before appending. A run recorded twice (a retry after a failure) counts once:
the latest successful record wins, else the latest failed one (:func:`finished_runs`).

A run counts as done once it has a record with ``"status": "ok"``, so a resume after a kill
at any moment reruns exactly the unfinished and the failed runs and loses or duplicates
nothing. Each record names its run: the triplet (``sweep_seed``, ``point``, ``replicate``),
its ``seed`` and ``seed_text``. Folders of earlier versions (one ``runs/p*-r*.json`` file per
run) are still read and resumed; their new runs go to the store.

:func:`prepare_out` applies the ``--out`` rule under a lock on the folder (one process at a
time): a non-empty folder must be this sweep's (its ``sweep.json``, its fingerprint and its
records' seeds and parameters), is continued only with ``resume``, and only by the same code
(:func:`code_fingerprint`) unless ``allow_version_change``. The fingerprint covers what must
not change (scenario, fixed parameters, variants, listings, pairing, saved tables, the sweep
seed and the seed rule), not the number of design points or replicates: a sweep file with more
replicates or more points resumes as an extension, and only the new runs run, provided every
recorded run is still planned with the same seed and parameters.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from spiral.experiments.common.manifest import base_manifest, git_describe, project_version
from spiral.experiments.common.outputs import fs_error, lock_in_place
from spiral.experiments.sweeps.records import (
    COMBINED,
    RECORD_NAME,
    RECORDS,
    check_records,
    finished_runs,
    log_files,
    write_atomic,
    write_frame_atomic,
)
from spiral.experiments.sweeps.spec import SweepError, SweepSpec
from spiral.model.errors import InputError

KIND = "sweep"
MANIFEST = "sweep.json"
STORE_VERSION = 2  # 1: runs/<key>.json per run; 2: records/records-NNNN.jsonl
SEED_RULE = "run seed = spiral.model.streams.run_seed(sweep_seed, point, replicate)"


def sweep_files(out: Path) -> list[str]:
    """Relative paths of the files a sweep wrote in ``out`` (recognised by name)."""
    names = [n for n in (MANIFEST, "sweep.toml", "points.csv", *COMBINED) if (out / n).is_file()]
    if (out / "runs").is_dir():
        names += [f"runs/{p.name}" for p in sorted((out / "runs").iterdir())
                  if RECORD_NAME.match(p.name)]
    names += [f"{RECORDS}/{p.name}" for p in log_files(out)]
    if (out / "tables").is_dir():
        names += [f"tables/{d.name}/{f.name}" for d in sorted((out / "tables").iterdir())
                  if RECORD_NAME.match(d.name + ".json") and d.is_dir()
                  for f in sorted(d.glob("*.parquet"))]
    return names


# --- manifest and folder -------------------------------------------------------------------
def code_fingerprint() -> dict:
    """What identifies the code that makes the runs.

    The package version, ``git describe`` (None outside a checkout), the random-number
    scheme's version (:data:`spiral.model.draws.SCHEME_VERSION`) and a hash of the parameter
    table (names, kinds, defaults, ranges, choices): the version number alone rarely changes.
    """
    from spiral.model.draws import SCHEME_VERSION
    from spiral.model.params import PARAMS

    table = [[p.name, p.kind, p.default, p.low, p.high, list(p.choices or ())]
             for p in PARAMS.values()]
    digest = hashlib.sha256(json.dumps(table, default=str).encode()).hexdigest()[:16]
    return {"version": project_version(), "git_describe": git_describe(),
            "draws_scheme": SCHEME_VERSION, "params_table": digest}


def fingerprint(spec: SweepSpec, tasks=None) -> str:
    """Hash of what must not change while a sweep is resumed or extended.

    The scenario and its parameters (the file's ``[fixed]`` included), the variants, scripted
    listings and counterfactual, pairing, the saved tables, the design kind and the varied
    parameters' names, the sweep seed and the seed rule. Not the number of design points or
    replicates (a sweep may grow: :func:`check_records` checks that every recorded run is
    still planned with the same seed and parameters), nor the code (:func:`code_fingerprint`,
    checked separately so that ``--allow-version-change`` can accept it).
    ``tasks`` is accepted for compatibility and not used.
    """
    variants = [vars(v) for v in getattr(spec.scenario, "variants", ())]
    content = {"store": STORE_VERSION, "scenario": spec.scenario.name,
               "params": spec.scenario.params.to_dict(), "paired": spec.paired,
               "variants": variants, "save": list(spec.save),
               "listings": [vars(x) for x in spec.scenario.listings],
               "counterfactual": spec.scenario.counterfactual, "design": spec.design,
               "factors": spec.names, "sweep_seed": spec.seed, "seed_rule": SEED_RULE}
    blob = json.dumps(content, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def legacy_fingerprint(spec: SweepSpec, tasks) -> str:
    """The fingerprint of sweep folders of store version 1 (every run's seed and changes)."""
    variants = [vars(v) for v in getattr(spec.scenario, "variants", ())]
    content = {"params": spec.scenario.params.to_dict(), "paired": spec.paired,
               "variants": variants,
               "save": list(spec.save), "listings": [vars(x) for x in spec.scenario.listings],
               "counterfactual": spec.scenario.counterfactual,
               "runs": [[t.point, t.replicate, t.seed, t.changes] for t in tasks]}
    blob = json.dumps(content, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def sweep_manifest(spec: SweepSpec, tasks, points: list[dict]) -> dict:
    """The sweep's manifest: what runs, with which seeds, code and versions."""
    return base_manifest(
        KIND,
        name=spec.name,
        description=spec.description,
        sweep_file=str(spec.path) if spec.path else None,
        scenario=spec.scenario.name,
        base_params=spec.scenario.params.to_dict(),
        scripted_listings=[vars(item) for item in spec.scenario.listings],
        paired=spec.paired,
        counterfactual_changes=spec.scenario.counterfactual if spec.paired else None,
        design=spec.design,
        samples=spec.samples,
        morris_levels=spec.morris_levels if spec.design == "morris" else None,
        factors=[{k: v for k, v in vars(f).items() if v is not None} for f in spec.factors],
        replicates=spec.replicates,
        sweep_seed=spec.seed,
        seed_rule=SEED_RULE,
        store_version=STORE_VERSION,
        n_points=len(points),
        n_runs=len(tasks),
        save=list(spec.save),
        fingerprint=fingerprint(spec, tasks),
        code=code_fingerprint(),
        runs=[{"point": t.point, "replicate": t.replicate, "seed": t.seed} for t in tasks])


def code_changes(previous: dict | None, now: dict) -> list[str]:
    """What differs between a manifest's ``code`` and ``now`` (:func:`code_fingerprint`)."""
    if not isinstance(previous, dict):
        return ["the sweep was started by a version that recorded no code fingerprint"]
    names = {"version": "version", "git_describe": "git describe",
             "draws_scheme": "random-number scheme", "params_table": "parameter table"}
    return [f"{label} {previous.get(key)} -> {now.get(key)}" for key, label in names.items()
            if previous.get(key) != now.get(key)]


def prepare_out(out: Path, spec: SweepSpec, tasks, points, *, resume: bool,
                allow_version_change: bool = False):
    """Make ``out`` ready under a lock: a new sweep folder, or this sweep's folder to resume.

    A resume with a larger sweep file (more replicates or design points, everything in
    :func:`fingerprint` unchanged, every recorded run still planned alike) extends the sweep:
    the manifest, ``sweep.toml`` and ``points.csv`` describe the larger sweep and the
    extension is noted in the manifest (``extensions``).

    Returns:
        ``"fresh"``, ``"resume"`` or ``"extend"``; the held :class:`~spiral.experiments.
        common.fsops.FolderLock` (the caller releases it); the runs recorded so far
        (:func:`finished_runs`, by key).

    Raises:
        SweepError: ``out`` is a file, a non-empty folder that is not a sweep, this or another
            sweep without ``resume``, another sweep (a different fingerprint or records of
            other runs), the same sweep made by other code (without ``allow_version_change``),
            locked by another process, or cannot be written.
    """
    import pandas as pd

    fresh = sweep_manifest(spec, tasks, points)
    try:
        mode, previous, lock = lock_in_place(out, KIND, manifest_name=MANIFEST, resume=resume)
    except InputError as exc:
        raise exc if isinstance(exc, SweepError) else SweepError(str(exc)) from None
    records: dict[str, dict] = {}
    try:
        if mode == "resume":
            legacy = previous.get("store_version") is None
            same = (previous.get("fingerprint") == legacy_fingerprint(spec, tasks)) if legacy \
                else previous.get("fingerprint") == fresh["fingerprint"]
            if not same:
                grow = " (a sweep made by an earlier version can be resumed, not extended)" \
                    if legacy else ""
                raise SweepError(f"{out} holds a different sweep ({previous.get('name')!r}, "
                                 f"{previous.get('n_runs')} runs): the sweep file or the "
                                 f"code's parameters changed{grow}; use another --out")
            changes = code_changes(previous.get("code"), fresh["code"])
            if changes and not allow_version_change:
                raise SweepError(f"{out}: the code changed since the sweep started "
                                 f"({'; '.join(changes)}): old and new runs would mix; use "
                                 "another --out, or add --allow-version-change")
            records = finished_runs(out, clean=True)
            check_records(out, records, tasks)
            for leftover in (out / "tables").glob(".*"):
                shutil.rmtree(leftover, ignore_errors=True)
            manifest = dict(previous)
            if changes:
                manifest.setdefault("code_changes", []).append(
                    {"from": previous.get("code"), "to": fresh["code"]})
                manifest["code"] = fresh["code"]
            if legacy:
                manifest.update(fingerprint=fresh["fingerprint"], store_version=STORE_VERSION,
                                store_upgraded_from=1)
            if previous.get("runs") != fresh["runs"]:
                mode = "extend"
                manifest.setdefault("extensions", []).append(
                    {"utc": datetime.now(UTC).isoformat(timespec="seconds"),
                     "runs_before": previous.get("n_runs"), "runs_after": fresh["n_runs"],
                     "points_before": previous.get("n_points"),
                     "points_after": fresh["n_points"]})
                for key in ("sweep_file", "design", "samples", "morris_levels", "factors",
                            "replicates", "n_points", "n_runs", "runs", "description"):
                    manifest[key] = fresh[key]
                manifest["complete"] = False
            if manifest != previous:
                write_atomic(out / MANIFEST, json.dumps(manifest, indent=2, default=str) + "\n")
        else:
            write_atomic(out / MANIFEST, json.dumps(fresh, indent=2, default=str) + "\n")
        (out / RECORDS).mkdir(exist_ok=True)
        if spec.text and (mode == "extend" or not (out / "sweep.toml").is_file()):
            write_atomic(out / "sweep.toml", spec.text)
        if mode == "extend" or not (out / "points.csv").is_file():
            table = pd.DataFrame([{"point": k, **changes} for k, changes in enumerate(points)])
            write_frame_atomic(table, out / "points.csv")
    except BaseException as exc:
        lock.release()
        if mode == "fresh":
            with contextlib.suppress(OSError):
                (out / RECORDS).rmdir()
            with contextlib.suppress(OSError):
                out.rmdir()  # nothing written: leave no empty folder behind
        simple = fs_error(out, exc) if isinstance(exc, OSError) else None
        if simple is None:
            raise
        raise SweepError(str(simple)) from None
    return mode, lock, records


def finish_manifest(out: Path, *, ran: int, elapsed: float, failed: int = 0) -> None:
    """Add this session's timings to ``sweep.json``; complete when no run failed."""
    path = out / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    sessions = manifest.setdefault("sessions", [])
    sessions.append({"finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
                     "runs": ran, "failed": failed, "elapsed_s": round(elapsed, 3),
                     "runs_per_second": round(ran / elapsed, 4) if elapsed > 0 else None})
    manifest["complete"] = failed == 0
    manifest["failed"] = failed
    write_atomic(path, json.dumps(manifest, indent=2, default=str) + "\n")
