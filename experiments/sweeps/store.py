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
RECORD_NAME = re.compile(r"^p(\d{6})-r(\d{4})\.json$")  # one file per run (before store 2)
COMBINED = ("runs.csv", "runs.parquet", "summary.csv", "failed.csv")
RECORDS = "records"
LOG_NAME = re.compile(r"^records-(\d{4})\.jsonl$")
ROLL_BYTES = 1 << 30  # a store file is closed and a new one begun beyond 1 GiB
STORE_VERSION = 2  # 1: runs/<key>.json per run; 2: records/records-NNNN.jsonl
SEED_RULE = "run seed = spiral.model.streams.run_seed(sweep_seed, point, replicate)"


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
class RecordLog:
    """The append-only run store of a sweep folder: ``records/records-NNNN.jsonl``.

    Only the process holding the folder's lock appends. Each :meth:`append` writes one line
    and flushes and fsyncs it (``sync=False`` leaves the fsync to :meth:`close`, for bulk
    imports), so a record is durable when the call returns. A file beyond
    :data:`ROLL_BYTES` is left as it is and the next record begins a new one.
    """

    def __init__(self, out: Path, *, roll_bytes: int = ROLL_BYTES) -> None:
        self.folder = Path(out) / RECORDS
        self.roll_bytes = roll_bytes
        self._handle = None
        self._size = 0
        self._index = -1

    def _open(self, *, roll: bool) -> None:
        self.folder.mkdir(exist_ok=True)
        if self._index < 0:
            files = log_files(self.folder.parent)
            self._index = int(LOG_NAME.match(files[-1].name).group(1)) if files else 0
        elif roll:
            self._index += 1
        path = self.folder / f"records-{self._index:04d}.jsonl"
        new = not path.exists()
        self._handle = open(path, "r+b" if not new else "w+b")  # noqa: SIM115 - kept open
        size = self._handle.seek(0, os.SEEK_END)
        if size:  # a torn last line (a kill, a full disk) is cut off before appending
            tail = min(size, 1 << 20)
            self._handle.seek(size - tail)
            chunk = self._handle.read(tail)
            if not chunk.endswith(b"\n"):
                cut = chunk.rfind(b"\n")
                size = size - tail + cut + 1 if cut >= 0 else (0 if tail == size else size)
                self._handle.truncate(size)
            self._handle.seek(size)
        self._size = size
        if new:
            _fsync_dir(self.folder)  # the new file's name is durable too

    def append(self, record: dict, *, sync: bool = True) -> None:
        """Write one record as one line (and fsync it unless ``sync`` is false)."""
        line = (json.dumps(record, separators=(",", ":"), default=str) + "\n").encode()
        if self._handle is None or self._size >= self.roll_bytes:
            roll = self._handle is not None
            self.close()
            self._open(roll=roll)
        try:
            self._handle.write(line)
            self._handle.flush()
            if sync:
                os.fsync(self._handle.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                self._handle.close()  # the next append reopens and cuts a torn line
            self._handle = None
            raise
        self._size += len(line)

    def close(self) -> None:
        """Flush, fsync and close the current file."""
        if self._handle is not None:
            try:
                self._handle.flush()
                os.fsync(self._handle.fileno())
            finally:
                self._handle.close()
                self._handle = None

    def __enter__(self) -> RecordLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def log_files(out: Path) -> list[Path]:
    """The store's files in a sweep folder, oldest first."""
    folder = Path(out) / RECORDS
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if LOG_NAME.match(p.name))


def merge_record(done: dict[str, dict], record) -> None:
    """Add a record: the latest successful one wins, else the latest failed one."""
    if not isinstance(record, dict):
        return
    try:
        key = record_key(int(record["point"]), int(record["replicate"]))
    except (KeyError, TypeError, ValueError):
        return
    if is_done(record) or not is_done(done.get(key)):
        done[key] = record


def read_log(path: Path, done: dict[str, dict], *, clean: bool = False) -> int:
    """Merge the records of one store file into ``done``; the number of lines ignored.

    A last line without its newline (a write cut by a kill) and any line that is not a JSON
    object are ignored; with ``clean`` (only under the folder's lock) a torn last line is cut
    off, so the next record starts on a line of its own.
    """
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    ignored = 0
    if end < len(data):
        ignored += 1
        if clean:
            with open(path, "r+b") as handle:
                handle.truncate(end)
                handle.flush()
                os.fsync(handle.fileno())
    loads = json.loads
    for line in data[:end].splitlines():
        if not line.strip():
            continue
        try:
            record = loads(line)
        except ValueError:
            ignored += 1
            continue
        merge_record(done, record)
    return ignored


def finished_runs(out: Path, *, clean: bool = False) -> dict[str, dict]:
    """Every run recorded in a sweep folder (finished and failed), by key, one per run.

    Records of earlier versions (``runs/<key>.json``) are read first, then the store's files
    in order; a run recorded more than once counts once (:func:`merge_record`). With ``clean``
    (only under the folder's lock), leftovers of interrupted writes are removed and a torn
    last line is cut off, so those runs run again.
    """
    out = Path(out)
    done: dict[str, dict] = {}
    runs = out / "runs"
    if runs.is_dir():
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
                    merge_record(done, record)
                elif clean:
                    entry.unlink(missing_ok=True)
    for path in log_files(out):
        read_log(path, done, clean=clean)
    return done


def is_done(record: dict | None) -> bool:
    """Whether a record is of a finished run (records of earlier versions have no status)."""
    return record is not None and record.get("status", "ok") == "ok"


def check_records(out: Path, records: dict[str, dict], tasks) -> None:
    """Refuse records that are not runs of this plan (another sweep's, or a changed design).

    Every recorded run must still be planned, with the same seed, sweep seed and parameters:
    a sweep may grow (more points or replicates), never change or drop a run it made.

    Raises:
        SweepError: A record whose run is not planned, or whose seed or parameters differ.
    """
    planned = {t.key: t for t in tasks}
    for key, record in records.items():
        task = planned.get(key)
        seed = record.get("seed")
        why = None
        if task is None:
            why = "is not a run of this sweep (a sweep can gain design points and replicates, " \
                  "not lose them)"
        elif seed != task.seed or record.get("sweep_seed", task.sweep_seed) != task.sweep_seed:
            why = f"has seed {seed}, but this sweep's run {key} has seed {task.seed}"
        elif "params" in record and not _same_params(record["params"], task.changes):
            why = (f"has parameters {_short(record['params'])}, but this sweep's run {key} has "
                   f"{_short(task.changes)} (the design points changed, not only grew)")
        if why:
            raise SweepError(f"--out {out}: the record of run {key} {why}: the folder holds "
                             "another sweep's runs; use another --out")


def _same_params(recorded: dict, planned: dict) -> bool:
    if not isinstance(recorded, dict) or set(recorded) != set(planned):
        return False
    return all(recorded[k] == planned[k] or json.dumps(recorded[k], default=str)
               == json.dumps(planned[k], default=str) for k in planned)


def _short(params) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in dict(params).items())
    return text if len(text) <= 120 else text[:117] + "..."


def save_record(out: Path, record: dict, tables: dict | None, log: RecordLog | None = None
                ) -> None:
    """Store one finished run: its tables (if any), then its record (which marks it done).

    ``log`` is the open store (:class:`RecordLog`); without it a store is opened and closed
    for this record.
    """
    key = record_key(record["point"], record["replicate"])
    if tables:
        save_tables(out, key, tables)
    if log is not None:
        log.append(record)
        return
    with RecordLog(out) as own:
        own.append(record)


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
