"""Executors of a sweep's runs: in this process, a local process pool, or a Dask cluster.

A :class:`RunTask` holds everything one run needs (picklable); :func:`execute_run` runs it in
a worker and returns its record and any tables asked for. The executors call
``finished(record, tables)`` in the calling process as each run completes, so the records are
written by the process that owns the output folder (workers need no shared disk).

Local pools use the ``spawn`` start method: each worker imports the caller's main module
afresh, so a script that calls :func:`~spiral.experiments.sweeps.sweep.run_sweep` with
``workers > 1`` must do so under ``if __name__ == "__main__":``. :func:`check_main_guard`
finds a call without the guard and says so in one line, instead of a ``BrokenProcessPool``.
"""

from __future__ import annotations

import ast
import multiprocessing
import sys
import time
from dataclasses import dataclass
from typing import Any

from spiral.experiments.sweeps.spec import SweepError

MAIN_GUARD_HELP = ("run_sweep(..., workers > 1) is called at the top level of the script "
                   "{script}: worker processes re-import that script, so put the call under "
                   "'if __name__ == \"__main__\":' (see docs/sweeps.md)")


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run (picklable)."""

    scenario: Any
    changes: dict
    point: int
    replicate: int
    seed: int
    paired: bool = True
    save: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """File stem of the run's record: ``p<point>-r<replicate>``."""
        return f"p{self.point:06d}-r{self.replicate:04d}"


def execute_run(task: RunTask) -> tuple[dict, dict | None]:
    """Run one sweep run (in a worker); return its record and any tables asked for."""
    from spiral.experiments.runs.runner import run_scenario

    start = time.perf_counter()
    scenario = task.scenario.with_changes(**task.changes)
    monthly = bool(task.save) and "timeseries" in task.save
    result = run_scenario(scenario, seed=task.seed, paired=task.paired, collect=monthly)
    record = {"point": task.point, "replicate": task.replicate, "seed": task.seed,
              "params": dict(task.changes), "measures": result.summary,
              "elapsed_s": round(time.perf_counter() - start, 4)}
    tables = None
    if task.save:
        all_tables = result.tables()
        tables = {name: all_tables[name] for name in task.save}
    return record, tables


# --- the main guard ------------------------------------------------------------------------
def check_main_guard() -> None:
    """Refuse to start a process pool from a script's unguarded top level.

    Two cases, one message: in a ``spawn`` worker that is re-importing the main script (the
    call would start a pool from inside a worker), and in the parent when the call comes from
    the main script's top level outside an ``if __name__ == "__main__":`` block (every worker
    would run it again on import).

    Raises:
        SweepError: One line explaining the main guard.
    """
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    if multiprocessing.parent_process() is not None and _called_from_module("__mp_main__"):
        raise SweepError(MAIN_GUARD_HELP.format(script=script or "__main__"))
    if not script or main is None:
        return  # interactive session, notebook, python -c: workers do not rerun it
    frame = _module_frame(vars(main))
    if frame is not None and not _guarded(script, frame.f_lineno):
        raise SweepError(MAIN_GUARD_HELP.format(script=script))


def _called_from_module(name: str) -> bool:
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == name:
            return True
        frame = frame.f_back
    return False


def _module_frame(namespace: dict):
    """The frame running the top level of the module with this namespace, if on the stack."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals is namespace:
            return frame
        frame = frame.f_back
    return None


def _guarded(script: str, line: int) -> bool:
    """Whether ``line`` of ``script`` lies in the body of an ``if __name__ == "__main__":``."""
    try:
        with open(script, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return True  # cannot tell: let the pool start
    nodes = list(tree.body)
    while nodes:
        node = nodes.pop()
        if not (node.lineno <= line <= (node.end_lineno or node.lineno)):
            continue
        if isinstance(node, ast.If) and _is_main_test(node.test) and any(
                child.lineno <= line <= (child.end_lineno or child.lineno)
                for child in node.body):
            return True
        nodes.extend(child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt))
    return False


def _is_main_test(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    texts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(texts) == 1


# --- executors -----------------------------------------------------------------------------
def run_local(tasks: list[RunTask], finished) -> None:
    """Run the tasks one after the other in this process."""
    for task in tasks:
        finished(*execute_run(task))


def run_pool(tasks: list[RunTask], finished, workers: int) -> None:
    """Run the tasks on a local ``spawn`` process pool, a bounded number in flight."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    check_main_guard()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        queue = iter(tasks)
        running = set()
        try:
            for task in queue:  # keep a bounded number of runs in flight
                running.add(pool.submit(execute_run, task))
                if len(running) >= 2 * workers:
                    break
            while running:
                ready, running = wait(running, return_when=FIRST_COMPLETED)
                for future in ready:
                    finished(*future.result())
                    task = next(queue, None)
                    if task is not None:
                        running.add(pool.submit(execute_run, task))
        except BaseException:
            for future in running:
                future.cancel()
            raise


def run_dask(tasks: list[RunTask], finished, *, client=None, scheduler=None,
             prefix: str = "spiral-run") -> None:
    """Run the tasks on a Dask cluster (an existing ``client`` or a ``scheduler`` address)."""
    from distributed import Client, as_completed

    own = client is None
    if own:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise SweepError(f"--scheduler {scheduler}: cannot reach a Dask scheduler there "
                             f"({exc})") from None
    try:
        futures = [client.submit(execute_run, task, key=f"{prefix}-{task.key}",
                                 pure=False) for task in tasks]
        for future in as_completed(futures):
            try:
                record, tables = future.result()
            except ModuleNotFoundError as exc:
                raise RuntimeError(f"a Dask worker cannot import {exc.name!r}: install the "
                                   "project in the workers' environment (pip install -e .)"
                                   ) from exc
            finished(record, tables)
            future.release()
    finally:
        if own:
            client.close()
