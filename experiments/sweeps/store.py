"""The sweep folder: run records, the manifest, resuming, atomic writes.

A sweep writes in place, as it goes, so that it can be resumed::

    OUT/sweep.json            manifest: kind "sweep", sweep file, design, seeds, versions, timings
    OUT/sweep.toml            copy of the sweep file
    OUT/points.csv            one row per design point: its parameter values
    OUT/runs/p000000-r0000.json   one record per finished or failed run (written atomically)
    OUT/tables/p000000-r0000/*.parquet   per-tick / per-citizen tables, only if asked (save)
    OUT/runs.csv, runs.parquet      one row per finished run (see :mod:`.summary`)
    OUT/failed.csv            one row per failed run (only if some failed)
    OUT/summary.csv           one row per design point and measure

A run counts as done once its record exists with ``"status": "ok"`` (:func:`finished_runs`),
so a resume after a kill at any moment reruns exactly the unfinished and the failed runs and
loses or duplicates nothing. Each record names its run: the triplet (``sweep_seed``,
``point``, ``replicate``), its ``seed`` and ``seed_text``.

:func:`prepare_out` applies the ``--out`` rule under a lock on the folder (one process at a
time): a non-empty folder must be this sweep's (its ``sweep.json``, its fingerprint and its
records' seeds), is continued only with ``resume``, and only by the same code
(:func:`code_fingerprint`) unless ``allow_version_change``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

from spiral.experiments.common.manifest import base_manifest, git_describe, project_version
from spiral.experiments.common.outputs import fs_error, lock_in_place
from spiral.experiments.sweeps.spec import SweepError, SweepSpec
from spiral.model.errors import InputError

KIND = "sweep"
MANIFEST = "sweep.json"
RECORD_NAME = re.compile(r"^p(\d{6})-r(\d{4})\.json$")
COMBINED = ("runs.csv", "runs.parquet", "summary.csv", "failed.csv")


def record_key(point: int, replicate: int) -> str:
    """File stem of a run's record: ``p<point>-r<replicate>``."""
    return f"p{point:06d}-r{replicate:04d}"


# --- atomic writes -------------------------------------------------------------------------
def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file, fsync and ``os.replace``."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_frame_atomic(frame, path: Path) -> None:
    """Write a DataFrame to ``path`` (CSV or Parquet by suffix) via a temporary file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        if path.suffix == ".csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --- records -------------------------------------------------------------------------------
def finished_runs(out: Path, *, clean: bool = False) -> dict[str, dict]:
    """Every run record in a sweep folder (finished and failed), by key.

    With ``clean`` (only under the folder's lock), leftovers of interrupted writes and
    unreadable records are removed, so those runs run again.
    """
    runs = out / "runs"
    done: dict[str, dict] = {}
    if not runs.is_dir():
        return done
    for entry in sorted(runs.iterdir()):
        if entry.name.startswith("."):
            if clean:
                entry.unlink(missing_ok=True)  # a write interrupted by a kill
            continue
        if RECORD_NAME.match(entry.name):
            try:
                record = json.loads(entry.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                record = None
            if isinstance(record, dict):
                done[entry.stem] = record
            elif clean:
                entry.unlink(missing_ok=True)
    return done


def is_done(record: dict | None) -> bool:
    """Whether a record is of a finished run (records of earlier versions have no status)."""
    return record is not None and record.get("status", "ok") == "ok"


def check_records(out: Path, records: dict[str, dict], tasks) -> None:
    """Refuse records that are not runs of this plan (another sweep's, copied in).

    Raises:
        SweepError: A record whose run is not planned or whose seed differs from the plan's.
    """
    planned = {t.key: t for t in tasks}
    for key, record in records.items():
        task = planned.get(key)
        seed = record.get("seed")
        if task is None or seed != task.seed or record.get("sweep_seed", task.sweep_seed) \
                != task.sweep_seed:
            why = "is not a run of this sweep" if task is None else \
                f"has seed {seed}, but this sweep's run {key} has seed {task.seed}"
            raise SweepError(f"--out {out}: the record of run {key} {why}: the folder holds "
                             "another sweep's runs; use another --out")


def save_record(out: Path, record: dict, tables: dict | None) -> None:
    """Store one finished run: its tables (if any), then its record (which marks it done)."""
    key = record_key(record["point"], record["replicate"])
    if tables:
        save_tables(out, key, tables)
    write_atomic(out / "runs" / f"{key}.json", json.dumps(record, indent=1) + "\n")


def save_tables(out: Path, key: str, tables: dict) -> None:
    """Write a run's tables as Parquet into ``tables/KEY/`` (temporary folder, then rename)."""
    final = out / "tables" / key
    tmp = out / "tables" / f".{key}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, frame in tables.items():
        frame.to_parquet(tmp / f"{name}.parquet", index=False)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)


def sweep_files(out: Path) -> list[str]:
    """Relative paths of the files a sweep wrote in ``out`` (recognised by name)."""
    names = [n for n in (MANIFEST, "sweep.toml", "points.csv", *COMBINED) if (out / n).is_file()]
    if (out / "runs").is_dir():
        names += [f"runs/{p.name}" for p in sorted((out / "runs").iterdir())
                  if RECORD_NAME.match(p.name)]
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


def fingerprint(spec: SweepSpec, tasks) -> str:
    """Hash of what determines the runs: parameters, variants, listings, pairing, saving, seeds."""
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
        seed_rule="run seed = spiral.model.streams.run_seed(sweep_seed, point, replicate)",
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

    Returns:
        ``"fresh"`` or ``"resume"``, and the held :class:`~spiral.experiments.common.fsops.
        FolderLock` (the caller releases it).

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
    try:
        if mode == "resume":
            if previous.get("fingerprint") != fresh["fingerprint"]:
                raise SweepError(f"{out} holds a different sweep ({previous.get('name')!r}, "
                                 f"{previous.get('n_runs')} runs): the sweep file or the "
                                 "code's parameters changed; use another --out")
            changes = code_changes(previous.get("code"), fresh["code"])
            if changes and not allow_version_change:
                raise SweepError(f"{out}: the code changed since the sweep started "
                                 f"({'; '.join(changes)}): old and new runs would mix; use "
                                 "another --out, or add --allow-version-change")
            check_records(out, finished_runs(out, clean=True), tasks)
            for leftover in (out / "tables").glob(".*"):
                shutil.rmtree(leftover, ignore_errors=True)
            if changes:
                previous.setdefault("code_changes", []).append(
                    {"from": previous.get("code"), "to": fresh["code"]})
                previous["code"] = fresh["code"]
                write_atomic(out / MANIFEST, json.dumps(previous, indent=2, default=str) + "\n")
        else:
            write_atomic(out / MANIFEST, json.dumps(fresh, indent=2, default=str) + "\n")
        (out / "runs").mkdir(exist_ok=True)
        if spec.text and not (out / "sweep.toml").is_file():
            write_atomic(out / "sweep.toml", spec.text)
        if not (out / "points.csv").is_file():
            table = pd.DataFrame([{"point": k, **changes} for k, changes in enumerate(points)])
            write_frame_atomic(table, out / "points.csv")
    except BaseException as exc:
        lock.release()
        if mode == "fresh":
            with contextlib.suppress(OSError):
                out.rmdir()  # nothing written: leave no empty folder behind
        simple = fs_error(out, exc) if isinstance(exc, OSError) else None
        if simple is None:
            raise
        raise SweepError(str(simple)) from None
    return mode, lock


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
