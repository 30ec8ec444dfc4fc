"""What one sweep run is, and how a worker runs it: :class:`RunTask`, :class:`RunBatch`.

:func:`execute` runs a task (one run) or a batch (replicates of one design point as one
batched engine) in a worker and returns each run's record and tables. A run that raises does
not stop the sweep: its record says ``"status": "failed"`` with the error's type and message
(as EMA Workbench treats a failing case), and ``--resume`` runs it again. The executors
(:mod:`spiral.experiments.sweeps.executors`, :mod:`spiral.experiments.sweeps.cluster`) only
move tasks and results.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from typing import Any

from spiral.experiments.common.manifest import seed_text
from spiral.model.threads import one_thread


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run (picklable).

    The run is named by the triplet (``sweep_seed``, ``point``, ``replicate``); its ``seed``
    is ``run_seed(sweep_seed, point, replicate)``.
    """

    scenario: Any
    changes: dict
    point: int
    replicate: int
    seed: int
    paired: bool = True
    save: tuple[str, ...] = ()
    sweep_seed: int = 0

    @property
    def key(self) -> str:
        """File stem of the run's record: ``p<point>-r<replicate>``."""
        return f"p{self.point:06d}-r{self.replicate:04d}"

    def identity(self) -> dict:
        """What names the run in its record: the triplet, its seed, the seed as text."""
        return {"sweep_seed": self.sweep_seed, "point": self.point,
                "replicate": self.replicate, "seed": self.seed, "seed_text": seed_text(self.seed)}


@dataclass(frozen=True)
class RunBatch:
    """Replicates of one design point, run as one batched engine in one worker.

    Each run's record and tables are those it gets alone (:mod:`spiral.model.batch`); only
    the time differs. A batch is retried and, if its worker dies twice, recorded as failed as
    a whole.
    """

    tasks: tuple[RunTask, ...]

    @property
    def key(self) -> str:
        """The keys of its first and last run."""
        first, last = self.tasks[0].key, self.tasks[-1].key
        return first if first == last else f"{first}..{last}"


def tasks_of(item: RunTask | RunBatch) -> tuple[RunTask, ...]:
    """The runs of a task or a batch."""
    return item.tasks if isinstance(item, RunBatch) else (item,)


def batches(tasks: list[RunTask], size_of) -> list[RunTask | RunBatch]:
    """Consecutive runs of the same design point grouped in batches of ``size_of(task)``.

    A batch of one stays a plain :class:`RunTask`. Which runs share a batch changes only the
    time, never a result.
    """
    out: list[RunTask | RunBatch] = []
    group: list[RunTask] = []
    for task in [*tasks, None]:
        if group and (task is None or task.point != group[0].point
                      or len(group) >= size_of(group[0])):
            out.append(group[0] if len(group) == 1 else RunBatch(tuple(group)))
            group = []
        if task is not None:
            group.append(task)
    return out


def execute(item: RunTask | RunBatch) -> list[tuple[dict, dict | None]]:
    """Run a task or a batch (in a worker): each run's (record, tables)."""
    if isinstance(item, RunTask):
        return [execute_run(item)]
    return execute_batch(item)


def execute_in_worker(item: RunTask | RunBatch) -> list[tuple[dict, dict | None]]:
    """:func:`execute` in a sweep worker (a pool process, a Dask worker): the engine's
    kernels run on one thread there, as a sweep keeps every core busy with a worker each.
    """
    one_thread()
    return execute(item)


def execute_run(task: RunTask) -> tuple[dict, dict | None]:
    """Run one sweep run (in a worker); return its record and any tables asked for.

    An exception of the run (an impossible design point, a missing network file, a bug) is
    caught and returned as a failed record (:func:`failed_record`), never raised.
    """
    from spiral.experiments.runs.runner import run_scenario

    start = time.perf_counter()
    try:
        scenario = task.scenario.with_changes(**task.changes)
        result = run_scenario(scenario, seed=task.seed, paired=task.paired,
                              collect=_monthly(task))
        tables = _tables(task, result)
    except Exception as exc:  # recorded as a failed run
        return failed_record(task, exc, elapsed=time.perf_counter() - start), None
    return _ok_record(task, result, time.perf_counter() - start), tables


def execute_batch(batch: RunBatch) -> list[tuple[dict, dict | None]]:
    """Run a batch of replicates as one batched engine; each run's (record, tables).

    If the batch raises, its runs are run one by one, so each failure is recorded with its
    own run (the others keep their results).
    """
    from spiral.experiments.runs.runner import run_scenario

    first = batch.tasks[0]
    start = time.perf_counter()
    try:
        scenario = first.scenario.with_changes(**first.changes)
        results = run_scenario(scenario, seeds=[t.seed for t in batch.tasks],
                               paired=first.paired, collect=_monthly(first),
                               replicate=first.replicate)
        tables = [_tables(task, result) for task, result in zip(batch.tasks, results,
                                                                  strict=True)]
    except Exception:  # find which runs fail, one by one
        return [execute_run(task) for task in batch.tasks]
    share = (time.perf_counter() - start) / len(batch.tasks)
    return [(_ok_record(task, result, share), table)
            for task, result, table in zip(batch.tasks, results, tables, strict=True)]


def _monthly(task: RunTask) -> bool:
    return bool(task.save) and "timeseries" in task.save


def _tables(task: RunTask, result) -> dict | None:
    if not task.save:
        return None
    all_tables = result.tables()
    return {name: all_tables[name] for name in task.save}


def _ok_record(task: RunTask, result, elapsed: float) -> dict:
    return {**task.identity(), "status": "ok", "params": dict(task.changes),
            "measures": result.summary, "elapsed_s": round(elapsed, 4)}


def failed_record(task: RunTask, error: BaseException | str, *, kind: str | None = None,
                  elapsed: float | None = None) -> dict:
    """A failed run's record: identity, ``status`` failed, the error's type, message, traceback.

    ``error`` is the exception or a message; ``kind`` overrides the exception's class name.
    """
    if isinstance(error, BaseException):
        kind = kind or type(error).__name__
        message = str(error) or kind
        trace = "".join(traceback.format_exception(error)[-12:])
    else:
        message, trace = str(error), None
    return {**task.identity(), "status": "failed", "params": dict(task.changes), "measures": {},
            "error": {"type": kind or "Error", "message": message, "traceback": trace},
            "elapsed_s": round(elapsed, 4) if elapsed is not None else None}
