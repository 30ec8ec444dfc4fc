"""Executors of a sweep's runs: in this process, a local process pool, or a Dask cluster.

Each executor takes tasks and batches (:mod:`spiral.experiments.sweeps.tasks`), has a worker
run them with :func:`~spiral.experiments.sweeps.tasks.execute`, and calls ``finished(record,
tables)`` in the calling process as each run completes, so the process that owns the output
folder writes every record.

The local pool (:func:`run_pool`) gives each worker one task or batch at a time over its own
pipe, so it knows which runs a worker was doing when it died (``kill -9``, out of memory):
they are retried once on a new worker, and recorded as failed if that one dies too.
Workers die with the main process (``PR_SET_PDEATHSIG`` on Linux, else a thread polling the
parent) and ignore Ctrl-C, which the main process handles. They are started with ``spawn``,
which re-imports the caller's script: :func:`check_main_guard` asks for ``if __name__ ==
"__main__":`` in one line.
"""

from __future__ import annotations

import ast
import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque

from spiral.experiments.sweeps.spec import SweepError
from spiral.experiments.sweeps.tasks import (  # noqa: F401 - re-exported
    RunBatch,
    RunTask,
    batches,
    execute,
    execute_in_worker,
    execute_run,
    failed_record,
    tasks_of,
)

MAIN_GUARD_HELP = ("run_sweep(..., workers > 1) is called at the top level of the script "
                   "{script}: worker processes re-import that script, so put the call under "
                   "'if __name__ == \"__main__\":' (see docs/sweeps.md)")
WORKER_DIED = "WorkerDied"
_PR_SET_PDEATHSIG = 1


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
    for item in tasks:
        for outcome in execute(item):
            finished(*outcome)


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
                    for record, tables in outcome:
                        finished(record, tables)
                    continue
                task, code = worker.task, worker.process.exitcode
                worker.stop()
                deaths[task.key] = deaths.get(task.key, 0) + 1
                if deaths[task.key] >= 2:
                    for run in tasks_of(task):
                        finished(failed_record(run, f"its worker process died twice (exit "
                                                    f"code {code}): killed, or out of memory?",
                                               kind=WORKER_DIED), None)
                else:
                    queue.appendleft(task)
                    if notify:
                        notify(f"a worker process died (exit code {code}) during run "
                               f"{task.key}; running it again on a new worker")
                pool[k] = _Worker(context)
    finally:
        for worker in pool:  # idle workers all leave at once, then each is waited for
            worker.ask_to_stop()
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
        self.asked_to_stop = False

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

    def ask_to_stop(self) -> None:
        """Tell an idle worker to leave (without waiting for it)."""
        if self.task is None and not self.asked_to_stop and self.process.is_alive():
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.asked_to_stop = True

    def stop(self) -> None:
        """Stop the worker: politely when idle, at once when it is running a run."""
        if self.process.is_alive():
            if self.task is None:
                self.ask_to_stop()
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
        if task is None:  # done: leave at once (every result is sent; nothing to clean up)
            conn.close()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        result = execute_in_worker(task)
        try:
            conn.send(result)
        except (EOFError, OSError):
            return
        except Exception as exc:  # e.g. a table that cannot be pickled
            conn.send([(failed_record(run, exc), None) for run in tasks_of(task)])


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
