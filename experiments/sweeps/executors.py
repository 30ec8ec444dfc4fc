"""Executors of a sweep's runs: in this process, a local process pool, or a Dask cluster.

:func:`execute_run` runs one :class:`RunTask` (picklable) in a worker and returns its record
and tables. A run that raises does not stop the sweep: its record says ``"status":
"failed"`` with the error's type and message (as EMA Workbench treats a failing case), and
``--resume`` runs it again. ``finished(record, tables)`` is called in the calling process as
each run completes, so the process that owns the output folder writes every record.

The local pool (:func:`run_pool`) gives each worker one run at a time over its own pipe, so
it knows which run a worker was doing when it died (``kill -9``, out of memory): that run is
retried once on a new worker, and recorded as failed if that one dies too. Workers die with
the main process (``PR_SET_PDEATHSIG`` on Linux, else a thread polling the parent) and ignore
Ctrl-C, which the main process handles. They are started with ``spawn``, which re-imports
the caller's script: :func:`check_main_guard` asks for ``if __name__ == "__main__":`` in one
line.
"""

from __future__ import annotations

import ast
import contextlib
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass
from typing import Any

from spiral.experiments.common.manifest import seed_text
from spiral.experiments.sweeps.spec import SweepError

MAIN_GUARD_HELP = ("run_sweep(..., workers > 1) is called at the top level of the script "
                   "{script}: worker processes re-import that script, so put the call under "
                   "'if __name__ == \"__main__\":' (see docs/sweeps.md)")
WORKER_DIED = "WorkerDied"
CONNECT_TIMEOUT_S = 5
_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)"
                      r":(?P<port>\d{1,5})/?$")
_PR_SET_PDEATHSIG = 1


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


def execute_run(task: RunTask) -> tuple[dict, dict | None]:
    """Run one sweep run (in a worker); return its record and any tables asked for.

    An exception of the run (an impossible design point, a missing network file, a bug) is
    caught and returned as a failed record (:func:`failed_record`), never raised.
    """
    from spiral.experiments.runs.runner import run_scenario

    start = time.perf_counter()
    try:
        scenario = task.scenario.with_changes(**task.changes)
        monthly = bool(task.save) and "timeseries" in task.save
        result = run_scenario(scenario, seed=task.seed, paired=task.paired, collect=monthly)
        tables = None
        if task.save:
            all_tables = result.tables()
            tables = {name: all_tables[name] for name in task.save}
    except Exception as exc:  # recorded as a failed run
        return failed_record(task, exc, elapsed=time.perf_counter() - start), None
    record = {**task.identity(), "status": "ok", "params": dict(task.changes),
              "measures": result.summary, "elapsed_s": round(time.perf_counter() - start, 4)}
    return record, tables


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
def run_local(tasks: list[RunTask], finished, notify=None) -> None:
    """Run the tasks one after the other in this process."""
    for task in tasks:
        finished(*execute_run(task))


def run_pool(tasks: list[RunTask], finished, workers: int, notify=None) -> None:
    """Run the tasks on ``workers`` local ``spawn`` processes, one run per worker at a time.

    A worker that dies (killed, out of memory) is replaced; the run it was doing is retried
    once and recorded as failed (``WorkerDied``) if its worker dies again. On any exception
    here (Ctrl-C included) every worker is stopped before it propagates.

    Args:
        tasks: The runs.
        finished: ``finished(record, tables)``, called here as each run completes.
        workers: Number of worker processes.
        notify: ``notify(text)`` for a line to show the user (a worker died).
    """
    from multiprocessing.connection import wait

    check_main_guard()
    context = multiprocessing.get_context("spawn")
    queue = deque(tasks)
    deaths: dict[str, int] = {}
    pool: list[_Worker] = []
    try:
        pool = [_Worker(context) for _ in range(min(workers, len(queue)))]
        while True:
            for worker in pool:
                if worker.task is None and queue:
                    worker.give(queue.popleft())
            busy = [w for w in pool if w.task is not None]
            if not busy:
                break
            wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
            for k, worker in enumerate(pool):
                if worker.task is None:
                    continue
                outcome = worker.collect()
                if outcome is None:
                    continue  # still running
                if outcome != "died":
                    finished(*outcome)
                    continue
                task, code = worker.task, worker.process.exitcode
                worker.stop()
                deaths[task.key] = deaths.get(task.key, 0) + 1
                if deaths[task.key] >= 2:
                    finished(failed_record(task, f"its worker process died twice (exit code "
                                                 f"{code}): killed, or out of memory?",
                                           kind=WORKER_DIED), None)
                else:
                    queue.appendleft(task)
                    if notify:
                        notify(f"a worker process died (exit code {code}) during run "
                               f"{task.key}; running it again on a new worker")
                pool[k] = _Worker(context)
    finally:
        for worker in pool:
            worker.stop()


class _Worker:
    """One worker process of :func:`run_pool` with its pipe and the run it is doing."""

    def __init__(self, context) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, os.getpid()),
                                       name="spiral-sweep-worker", daemon=True)
        self.process.start()
        child.close()
        self.task: RunTask | None = None

    def give(self, task: RunTask) -> None:
        self.task = task
        with contextlib.suppress(OSError):  # a dead worker: collect() says so
            self.conn.send(task)

    def collect(self):
        """The run's (record, tables) if it finished, ``"died"``, or None while it runs."""
        try:
            if self.conn.poll():
                result = self.conn.recv()
                self.task = None
                return result
        except (EOFError, OSError):
            return "died"
        return "died" if not self.process.is_alive() else None

    def stop(self) -> None:
        """Stop the worker: politely when idle, at once when it is running a run."""
        if self.process.is_alive():
            if self.task is None:
                with contextlib.suppress(OSError):
                    self.conn.send(None)
                self.process.join(2)
            if self.process.is_alive():
                self.process.terminate()
                self.process.join(2)
            if self.process.is_alive():  # pragma: no cover - ignored SIGTERM
                self.process.kill()
                self.process.join(2)
        self.conn.close()


def _worker_main(conn, parent: int) -> None:
    """A pool worker: run the tasks sent over ``conn`` until told to stop or orphaned."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        result = execute_run(task)
        try:
            conn.send(result)
        except (EOFError, OSError):
            return
        except Exception as exc:  # e.g. a table that cannot be pickled
            conn.send((failed_record(task, exc), None))


def die_with_parent(parent: int, *, poll_s: float = 0.5) -> None:
    """Make this process exit when ``parent`` (its parent process) dies.

    On Linux the kernel sends SIGKILL at the parent's death (``prctl(PR_SET_PDEATHSIG)``);
    everywhere a daemon thread checks the parent every ``poll_s`` seconds and exits.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl
            pass
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(poll_s)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="spiral-parent-watch", daemon=True).start()


# --- Dask -----------------------------------------------------------------------------------
def check_address(scheduler: str) -> None:
    """Refuse a malformed ``--scheduler`` address (before anything is written).

    Raises:
        SweepError: Not ``[tcp://]HOST:PORT`` (or tls, ws, wss, ucx) with a port 1-65535.
    """
    match = _ADDRESS.match(str(scheduler).strip())
    if not match or not 0 < int(match.group("port")) < 65536:
        raise SweepError(f"--scheduler {scheduler!r} is not a Dask scheduler address; expected "
                         "tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786")


def connect(scheduler: str, *, timeout_s: float = CONNECT_TIMEOUT_S):
    """A ``distributed.Client`` of the scheduler at ``scheduler``, within ``timeout_s``.

    Raises:
        SweepError: A malformed address, or no scheduler answering there in time.
    """
    check_address(scheduler)
    from distributed import Client

    try:
        return Client(scheduler, timeout=f"{timeout_s}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise SweepError(f"--scheduler {scheduler}: no Dask scheduler answered within "
                         f"{timeout_s:g} s ({str(exc).splitlines()[0] if str(exc) else exc!r})"
                         ) from None


def run_dask(tasks: list[RunTask], finished, *, client, prefix: str = "spiral-run",
             notify=None) -> None:
    """Run the tasks on a Dask cluster through ``client``.

    A run whose worker was lost (Dask retries it on other workers first) is recorded as
    failed; a cluster whose workers cannot import the project stops the sweep with one line.
    """
    from distributed import as_completed

    by_key = {f"{prefix}-{task.key}": task for task in tasks}
    futures = [client.submit(execute_run, task, key=key, pure=False)
               for key, task in by_key.items()]
    try:
        for future in as_completed(futures):
            try:
                record, tables = future.result()
            except ModuleNotFoundError as exc:
                raise SweepError(f"a Dask worker cannot import {exc.name!r}: install the "
                                 "project in the workers' environment (pip install -e .)"
                                 ) from None
            except Exception as exc:  # e.g. KilledWorker: recorded
                record, tables = failed_record(by_key[future.key], exc, kind=WORKER_DIED
                                               if "KilledWorker" in type(exc).__name__
                                               else None), None
            finished(record, tables)
            future.release()
    finally:
        client.cancel([f for f in futures if not f.done()])


# --- batch schedulers (dask-jobqueue) ----------------------------------------------------------
CLUSTERS = ("slurm",)
LIST_OPTIONS = ("job_extra_directives", "job_script_prologue", "worker_extra_args",
                "job_directives_skip")
CLUSTER_DEFAULTS = {"cores": 1, "processes": 1, "memory": "2GB", "walltime": "01:00:00",
                    "job_name": "spiral-sweep", "death_timeout": 60}


def parse_cluster_options(items) -> dict:
    """``--cluster-option KEY=VALUE`` words as keyword arguments of the cluster class.

    Whole numbers become ints, ``true``/``false`` booleans, anything else stays text; the
    list options (``job_extra_directives``, ``job_script_prologue``, ``worker_extra_args``,
    ``job_directives_skip``) collect every value given, e.g.
    ``--cluster-option job_extra_directives=--qos=short``.

    Raises:
        SweepError: A word without ``=`` or with an empty key.
    """
    options: dict[str, Any] = {}
    for item in items or ():
        key, sep, value = str(item).partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key.isidentifier():
            raise SweepError(f"--cluster-option {item!r} is not KEY=VALUE, e.g. "
                             "--cluster-option queue=short or --cluster-option memory=4GB")
        if key in LIST_OPTIONS:
            options.setdefault(key, []).append(value)
            continue
        if re.fullmatch(r"-?\d+", value.strip()):
            options[key] = int(value)
        elif value.strip().lower() in ("true", "false"):
            options[key] = value.strip().lower() == "true"
        else:
            options[key] = value
    return options


def check_cluster(kind: str, jobs: int) -> None:
    """Refuse an unknown ``--cluster``, a bad ``--jobs``, or a machine that cannot submit jobs.

    Checked before anything is written.

    Raises:
        SweepError: One line saying what is missing (dask-jobqueue, ``sbatch``).
    """
    if kind not in CLUSTERS:
        raise SweepError(f"--cluster {kind!r} is not supported; expected one of "
                         f"{', '.join(CLUSTERS)} (or --scheduler ADDRESS for a running Dask "
                         "cluster)")
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise SweepError(f"--jobs = {jobs} must be a whole number >= 1")
    try:
        import dask_jobqueue  # noqa: F401
    except ImportError:
        raise SweepError("--cluster slurm needs dask-jobqueue: pip install dask-jobqueue (or "
                         "pip install -e '.[cluster]')") from None
    import shutil

    if shutil.which("sbatch") is None:
        raise SweepError("--cluster slurm: no sbatch command here: run the sweep on a SLURM "
                         "login node (or see docs/sweeps.md for job arrays)")


def start_cluster(kind: str, jobs: int, options: dict | None = None, *, log_directory=None):
    """Start a dask-jobqueue cluster of ``jobs`` batch jobs and a client of it.

    Each job runs one Dask worker with this process's Python (``python=sys.executable``: the
    jobs need the same environment, with the project installed, on a shared file system).
    ``options`` override :data:`CLUSTER_DEFAULTS` and reach ``SLURMCluster`` as they are
    (``queue``, ``account``, ``memory``, ``walltime``, ``job_extra_directives`` ...).

    Returns:
        The cluster and a ``distributed.Client`` of it (the caller closes both; closing the
        cluster cancels its jobs, and workers whose scheduler is gone exit after
        ``death_timeout`` seconds).

    Raises:
        SweepError: An option the cluster class does not take, or a failed submission.
    """
    check_cluster(kind, jobs)
    from dask_jobqueue import SLURMCluster
    from distributed import Client

    kwargs = {**CLUSTER_DEFAULTS, "python": sys.executable,
              "scheduler_options": {"dashboard_address": ":0"}, **(options or {})}
    if log_directory is not None and "log_directory" not in kwargs:
        kwargs["log_directory"] = str(log_directory)
    try:
        cluster = SLURMCluster(**kwargs)
    except (TypeError, ValueError) as exc:
        raise SweepError(f"--cluster-option: {str(exc).splitlines()[0]}") from None
    try:
        cluster.scale(jobs=jobs)
        client = Client(cluster)
    except Exception as exc:
        cluster.close()
        raise SweepError(f"--cluster {kind}: the jobs could not be submitted "
                         f"({str(exc).splitlines()[0] if str(exc) else exc!r})") from None
    return cluster, client
