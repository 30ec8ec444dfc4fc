"""Running a sweep: :func:`run_sweep` plans the runs, executes them and combines the tables.

Every run of design point ``p``, replicate ``r`` gets the seed ``run_seed(sweep seed, p, r)``,
so results never depend on worker count or order. Runs go to this process, a local process
pool (``workers``) or a Dask cluster (``scheduler``, ``client``)::

    from spiral.experiments import run_sweep

    if __name__ == "__main__":     # worker processes re-import the script
        result = run_sweep("experiments/sweeps/scar-wrongful-oversight-small.toml",
                           "results/scar", workers=2)
        print(result.summary)

A run that raises is recorded as failed and the sweep goes on (:attr:`SweepResult.failed`
counts them; ``--resume`` retries them). Ctrl-C or SIGTERM stops the workers and raises
:class:`SweepInterrupted`, which says how many runs are saved. The folder is locked while the
sweep writes it.

The parts: :mod:`~spiral.experiments.sweeps.spec` (the sweep file and its design points),
:mod:`~spiral.experiments.sweeps.executors` (running), :mod:`~spiral.experiments.sweeps.store`
(the folder, records and resume), :mod:`~spiral.experiments.sweeps.summary` (the tables) and
:mod:`~spiral.experiments.sweeps.command` (``spiral sweep``).
"""

from __future__ import annotations

import contextlib
import math
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spiral.experiments.common.fsops import fs_error
from spiral.experiments.common.outputs import default_out_dir
from spiral.experiments.sweeps.cluster import (
    check_address,
    check_cluster,
    connect,
    run_dask,
    start_cluster,
)
from spiral.experiments.sweeps.executors import (
    RunTask,
    batches,
    check_main_guard,
    run_local,
    run_pool,
)
from spiral.experiments.sweeps.records import (
    RecordLog,
    finished_runs,
    is_done,
    merge_record,
    save_record,
)
from spiral.experiments.sweeps.spec import (
    SweepError,
    SweepSpec,
    check_points,
    load_sweep,
    sweep_from_dict,
)
from spiral.experiments.sweeps.store import fingerprint, finish_manifest, prepare_out
from spiral.experiments.sweeps.summary import combine

BATCH_CITIZENS = 2**17  # default batch: replicates of a point up to about this many citizens
MAX_BATCH = 64  # most replicates in one batched engine
# load_sweep, sweep_from_dict and SweepError are also importable from here
__all__ = ["SweepError", "SweepInterrupted", "SweepResult", "SweepSpec", "load_sweep", "plan",
           "run_sweep", "sweep_from_dict"]


@dataclass
class SweepResult:
    """A sweep after this call: its folder and tables.

    Attributes:
        out: The sweep folder.
        spec: The sweep.
        runs: One row per finished run (``runs.csv``).
        summary: One row per design point and measure (``summary.csv``).
        ran: Runs this call made (finished or failed).
        skipped: Runs finished before this call (kept).
        elapsed_s: Wall time of this call's runs.
        failures: One row per failed run (``failed.csv``; empty if none).
    """

    out: Path
    spec: SweepSpec
    runs: Any
    summary: Any
    ran: int
    skipped: int
    elapsed_s: float
    failures: Any = None

    @property
    def failed(self) -> int:
        """Runs of the sweep that failed (recorded, retried by ``--resume``)."""
        return 0 if self.failures is None else len(self.failures)

    @property
    def runs_per_second(self) -> float:
        """Runs finished by this call per second of wall time."""
        return self.ran / self.elapsed_s if self.elapsed_s > 0 else math.nan


class SweepInterrupted(KeyboardInterrupt):
    """A sweep stopped by Ctrl-C or SIGTERM; its finished runs are saved.

    Attributes:
        out: The sweep folder.
        saved: Finished runs saved there.
        total: Runs of the sweep.
    """

    def __init__(self, out: Path, saved: int, total: int) -> None:
        super().__init__(f"{saved} of {total} runs are saved in {out}")
        self.out, self.saved, self.total = out, saved, total


def plan(spec: SweepSpec) -> tuple[list[dict], list[RunTask]]:
    """Design points and the run tasks (points x replicates) with their seeds."""
    from spiral.model.streams import run_seed

    points = check_points(spec)
    tasks = [RunTask(spec.scenario, changes, point, rep, run_seed(spec.seed, point, rep),
                     spec.paired, spec.save, spec.seed)
             for point, changes in enumerate(points) for rep in range(spec.replicates)]
    return points, tasks


def run_sweep(spec: SweepSpec | str | Path, out: str | Path | None = None, *, workers: int = 1,
              scheduler: str | None = None, client=None, resume: bool = False,
              show_progress: bool = True, allow_version_change: bool = False,
              on_ready=None, cluster: str | None = None, jobs: int = 1,
              cluster_options: dict | None = None, batch: int | None = None) -> SweepResult:
    """Run a sweep, writing each run's record as it finishes, then the combined tables.

    Args:
        spec: A :class:`SweepSpec` or the path of a sweep file.
        out: Output folder (default ``results/sweep-<name>-<UTC time>``).
        workers: Local worker processes (1 runs in this process). A script that asks for
            more must call this under ``if __name__ == "__main__":``.
        scheduler: Address of a Dask scheduler (``tcp://host:8786``); overrides ``workers``.
        client: An existing ``distributed.Client`` (overrides ``scheduler`` and ``workers``).
        cluster: ``"slurm"``: start a dask-jobqueue ``SLURMCluster`` of ``jobs`` batch jobs
            (one worker each, this Python) for this sweep and stop it at the end; overrides
            ``workers``. Its job logs go to ``OUT/logs/``.
        jobs: Batch jobs (workers) of ``cluster``.
        cluster_options: Keyword arguments for the cluster class (``queue``, ``account``,
            ``memory``, ``walltime``, ``job_extra_directives``...; see
            :func:`~spiral.experiments.sweeps.cluster.parse_cluster_options`).
        resume: Continue a sweep in a non-empty ``out``: finished runs are kept, the others
            (failed ones included) run.
        show_progress: Show a progress bar (runs done/total, ETA) on stderr.
        allow_version_change: Resume a sweep started by other code (version, git describe,
            random-number scheme or parameter table).
        on_ready: Called with no arguments once the folder is ready, before the first run
            (``spiral sweep`` prints its plan then, so a refusal is its only line).
        batch: Replicates of a design point run together as one batched engine, at most
            this many (1: one run at a time). Default: as many as make about
            ``BATCH_CITIZENS`` citizens (at most ``MAX_BATCH``), but never so many that a
            worker would be left without work. Results do not depend on it.

    Returns:
        The result; runs that raised are in ``failures`` (the sweep went on without them).

    Raises:
        SweepError: Bad sweep file, non-empty ``out`` without ``resume``, ``out`` holding
            another sweep, something that is not a sweep, or a sweep of other code, ``out``
            locked by another process, a malformed or unreachable scheduler (checked before
            anything is written), or ``workers > 1`` called from a script's top level
            without the main guard.
        SweepInterrupted: Ctrl-C or SIGTERM; the finished runs are saved.
    """
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise SweepError(f"--workers = {workers} must be a whole number >= 1")
    if batch is not None and (not isinstance(batch, int) or isinstance(batch, bool)
                              or not 1 <= batch <= MAX_BATCH):
        raise SweepError(f"--batch = {batch} must be a whole number from 1 to {MAX_BATCH}")
    if cluster is not None and (client is not None or scheduler is not None):
        raise SweepError("give either --cluster or --scheduler, not both")
    local_pool = client is None and scheduler is None and cluster is None and workers > 1
    if local_pool:
        check_main_guard()  # before anything is written
    if client is None and scheduler is not None:
        check_address(scheduler)
    if cluster is not None:
        check_cluster(cluster, jobs)
    if not isinstance(spec, SweepSpec):
        spec = load_sweep(spec)
    out = Path(out) if out is not None else default_out_dir("sweep", spec.name)
    points, tasks = plan(spec)
    own = connect(scheduler) if client is None and scheduler is not None else None
    try:
        _, lock, records = prepare_out(out, spec, tasks, points, resume=resume,
                                       allow_version_change=allow_version_change)
        slurm = None
        try:
            if cluster is not None:
                (out / "logs").mkdir(exist_ok=True)
                slurm, own = start_cluster(cluster, jobs, cluster_options,
                                           log_directory=(out / "logs").resolve())
            if on_ready is not None:
                on_ready()
            return _execute(spec, out, tasks, records, workers=workers, client=client or own,
                            show_progress=show_progress,
                            parallel=jobs if cluster is not None else workers, batch=batch)
        finally:
            if own is not None:
                own.close()
                own = None
            if slurm is not None:
                slurm.close()
            lock.release()
    finally:
        if own is not None:
            own.close()


def batch_size(spec: SweepSpec, pending: list[RunTask], *, parallel: int,
               batch: int | None = None):
    """``size_of(task)``: how many replicates of the task's design point to batch.

    ``batch`` caps it; by default about ``BATCH_CITIZENS`` citizens per batch, at most
    ``MAX_BATCH`` runs, and no more than the pending runs shared among ``parallel`` workers.
    """
    fair = max(1, math.ceil(len(pending) / max(parallel, 1)))
    sizes: dict[int, int] = {}

    def size_of(task: RunTask) -> int:
        if task.point not in sizes:
            if batch is not None:
                sizes[task.point] = min(batch, fair)
            else:
                try:
                    n = spec.scenario.with_changes(**task.changes).params.n_citizens
                except Exception:  # an impossible point: its runs fail one by one
                    n = BATCH_CITIZENS
                sizes[task.point] = max(1, min(MAX_BATCH, BATCH_CITIZENS // max(n, 1), fair))
        return sizes[task.point]

    return size_of


def _execute(spec: SweepSpec, out: Path, tasks: list[RunTask], records: dict, *,
             workers: int, client, show_progress: bool, parallel: int = 1,
             batch: int | None = None) -> SweepResult:
    records = dict(records)
    pending = [t for t in tasks if not is_done(records.get(t.key))]
    if client is not None and parallel <= 1:
        with contextlib.suppress(Exception):
            parallel = max(1, len(client.scheduler_info()["workers"]))
    items = batches(pending, batch_size(spec, pending, parallel=parallel, batch=batch))
    start = time.perf_counter()
    bar = _progress(len(tasks), len(tasks) - len(pending), spec.name, enabled=show_progress)
    log = RecordLog(out)

    def finished(record: dict, tables: dict | None) -> None:
        save_record(out, record, tables, log)
        merge_record(records, record)
        bar.update(1)

    def notify(text: str) -> None:
        bar.write(f"spiral sweep: {text}", file=sys.stderr)

    try:
        with _terminate_as_interrupt():
            if pending and client is not None:
                prefix = "spiral-" + fingerprint(spec, tasks)[:16]
                run_dask(items, finished, client=client, prefix=prefix, notify=notify)
            elif pending and workers == 1:
                run_local(items, finished)
            elif pending:
                run_pool(items, finished, workers, notify=notify)
        log.close()
        elapsed = time.perf_counter() - start
        runs, summary, failures = combine(out, spec.names, records=records.values())
        finish_manifest(out, ran=len(pending), elapsed=elapsed, failed=len(failures))
    except KeyboardInterrupt:
        with contextlib.suppress(OSError):
            log.close()
        saved = sum(is_done(r) for r in finished_runs(out).values())
        raise SweepInterrupted(out, saved, len(tasks)) from None
    except OSError as exc:
        elsewhere = exc.filename and Path(out) not in Path(str(exc.filename)).parents
        simple = None if elsewhere else fs_error(out, exc)
        if simple is None:
            raise
        raise SweepError(f"{simple}; the finished runs are kept: free the space or fix the "
                         "folder, then run again with --resume") from None
    finally:
        with contextlib.suppress(OSError):
            log.close()
        bar.close()
    return SweepResult(out, spec, runs, summary, len(pending), len(tasks) - len(pending),
                       elapsed, failures)


@contextlib.contextmanager
def _terminate_as_interrupt():
    """SIGTERM raises KeyboardInterrupt meanwhile (main thread only), so workers are stopped."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _progress(total: int, initial: int, name: str, *, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=f"sweep {name}", unit="run",
                file=sys.stderr, disable=not enabled, dynamic_ncols=True)
