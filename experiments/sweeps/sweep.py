"""Running a sweep: :func:`run_sweep` plans the runs, executes them and combines the tables.

Every run of design point ``p``, replicate ``r`` gets the seed ``run_seed(sweep seed, p, r)``,
so results never depend on worker count or order. Runs go to this process, a local process
pool (``workers``) or a Dask cluster (``scheduler``, ``client``)::

    from spiral.experiments import run_sweep

    if __name__ == "__main__":     # worker processes re-import the script
        result = run_sweep("experiments/sweeps/scar-wrongful-oversight-small.toml",
                           "results/scar", workers=2)
        print(result.summary)

The parts: :mod:`~spiral.experiments.sweeps.spec` (the sweep file and its design points),
:mod:`~spiral.experiments.sweeps.executors` (running), :mod:`~spiral.experiments.sweeps.store`
(the folder, records and resume), :mod:`~spiral.experiments.sweeps.summary` (the tables) and
:mod:`~spiral.experiments.sweeps.command` (``spiral sweep``).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spiral.experiments.common.fsops import fs_error
from spiral.experiments.common.outputs import default_out_dir
from spiral.experiments.sweeps.executors import (
    RunTask,
    check_main_guard,
    run_dask,
    run_local,
    run_pool,
)
from spiral.experiments.sweeps.spec import (
    SweepError,
    SweepSpec,
    check_points,
    load_sweep,
    sweep_from_dict,
)
from spiral.experiments.sweeps.store import (
    fingerprint,
    finish_manifest,
    finished_runs,
    prepare_out,
    save_record,
)
from spiral.experiments.sweeps.summary import combine

# load_sweep, sweep_from_dict and SweepError are also importable from here
__all__ = ["SweepError", "SweepResult", "SweepSpec", "load_sweep", "plan", "run_sweep",
           "sweep_from_dict"]


@dataclass
class SweepResult:
    """A finished sweep: its folder and tables."""

    out: Path
    spec: SweepSpec
    runs: Any
    summary: Any
    ran: int
    skipped: int
    elapsed_s: float

    @property
    def runs_per_second(self) -> float:
        """Runs finished by this call per second of wall time."""
        return self.ran / self.elapsed_s if self.elapsed_s > 0 else math.nan


def plan(spec: SweepSpec) -> tuple[list[dict], list[RunTask]]:
    """Design points and the run tasks (points x replicates) with their seeds."""
    from spiral.model.streams import run_seed

    points = check_points(spec)
    tasks = [RunTask(spec.scenario, changes, point, rep, run_seed(spec.seed, point, rep),
                     spec.paired, spec.save)
             for point, changes in enumerate(points) for rep in range(spec.replicates)]
    return points, tasks


def run_sweep(spec: SweepSpec | str | Path, out: str | Path | None = None, *, workers: int = 1,
              scheduler: str | None = None, client=None, resume: bool = False,
              progress: bool = True) -> SweepResult:
    """Run a sweep, writing each run's record as it finishes, then the combined tables.

    Args:
        spec: A :class:`SweepSpec` or the path of a sweep file.
        out: Output folder (default ``results/sweep-<name>-<UTC time>``).
        workers: Local worker processes (1 runs in this process). A script that asks for
            more must call this under ``if __name__ == "__main__":``.
        scheduler: Address of a Dask scheduler (``tcp://host:8786``); overrides ``workers``.
        client: An existing ``distributed.Client`` (overrides ``scheduler`` and ``workers``).
        resume: Continue a sweep in a non-empty ``out``: finished runs are kept, the others run.
        progress: Show a progress bar (runs done/total, ETA) on stderr.

    Raises:
        SweepError: Bad sweep file, non-empty ``out`` without ``resume``, ``out`` holding
            another sweep or something that is not a sweep, an unreachable scheduler, or
            ``workers > 1`` called from a script's top level without the main guard.
    """
    if not isinstance(workers, int) or workers < 1:
        raise SweepError(f"--workers = {workers} must be at least 1")
    local_pool = client is None and scheduler is None and workers > 1
    if local_pool:
        check_main_guard()  # before anything is written
    if not isinstance(spec, SweepSpec):
        spec = load_sweep(spec)
    out = Path(out) if out is not None else default_out_dir("sweep", spec.name)
    points, tasks = plan(spec)
    prepare_out(out, spec, tasks, points, resume=resume)
    done = finished_runs(out)
    pending = [t for t in tasks if t.key not in done]
    start = time.perf_counter()
    bar = _progress(len(tasks), len(tasks) - len(pending), spec.name, enabled=progress)

    def finished(record: dict, tables: dict | None) -> None:
        save_record(out, record, tables)
        bar.update(1)

    try:
        if pending:
            if client is not None or scheduler is not None:
                prefix = "spiral-" + fingerprint(spec, tasks)[:16]
                run_dask(pending, finished, client=client, scheduler=scheduler, prefix=prefix)
            elif workers == 1:
                run_local(pending, finished)
            else:
                run_pool(pending, finished, workers)
        elapsed = time.perf_counter() - start
        runs, summary = combine(out, spec.names)
        finish_manifest(out, ran=len(pending), elapsed=elapsed)
    except OSError as exc:
        elsewhere = exc.filename and Path(out) not in Path(str(exc.filename)).parents
        simple = None if elsewhere else fs_error(out, exc)
        if simple is None:
            raise
        raise SweepError(f"{simple}; the finished runs are kept: free the space or fix the "
                         "folder, then run again with --resume") from None
    finally:
        bar.close()
    return SweepResult(out, spec, runs, summary, len(pending), len(tasks) - len(pending), elapsed)


def _progress(total: int, initial: int, name: str, *, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=f"sweep {name}", unit="run",
                file=sys.stderr, disable=not enabled, dynamic_ncols=True)
