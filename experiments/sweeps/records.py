"""The run records of a sweep: a few append-only files, read back for resume and summaries.

:class:`RecordLog` appends one JSON line per finished or failed run, flushed and fsynced
before the next run is counted (a record is durable once written), rolling over to a new file
beyond :data:`ROLL_BYTES`. :func:`finished_runs` reads every record back (also the one-file-
per-run folders of earlier versions), ignoring a torn last line and counting a run recorded
twice once: the latest success wins, else the latest failure. :func:`check_records` checks
that recorded runs are still planned with the same seed and parameters.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from pathlib import Path

from spiral.experiments.sweeps.spec import SweepError

RECORD_NAME = re.compile(r"^p(\d{6})-r(\d{4})\.json$")  # one file per run (before store 2)
RECORDS = "records"
LOG_NAME = re.compile(r"^records-(\d{4})\.jsonl$")
ROLL_BYTES = 1 << 30  # a store file is closed and a new one begun beyond 1 GiB
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
