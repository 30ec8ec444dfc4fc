"""Cluster executors of a sweep: a Dask scheduler, or a batch scheduler through dask-jobqueue.

:func:`connect` reaches a Dask scheduler (a malformed address or an unreachable scheduler is
one line, after a short timeout); :func:`run_dask` sends the runs there and gets their records
back in the calling process; :func:`start_cluster` starts a SLURM cluster (dask-jobqueue's
``SLURMCluster``) whose jobs run this Python, with options from ``--cluster-option``.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from spiral.experiments.sweeps.executors import WORKER_DIED
from spiral.experiments.sweeps.spec import SweepError
from spiral.experiments.sweeps.tasks import RunBatch, RunTask, execute_in_worker, failed_record, tasks_of

CONNECT_TIMEOUT_S = 5
_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)"
                      r":(?P<port>\d{1,5})/?$")


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


def run_dask(tasks: list[RunTask | RunBatch], finished, *, client, prefix: str = "spiral-run",
             notify=None) -> None:
    """Run the tasks and batches on a Dask cluster through ``client``.

    A run whose worker was lost (Dask retries it on other workers first) is recorded as
    failed; a cluster whose workers cannot import the project stops the sweep with one line.
    """
    from distributed import as_completed

    by_key = {f"{prefix}-{task.key}": task for task in tasks}
    futures = [client.submit(execute_in_worker, task, key=key, pure=False)
               for key, task in by_key.items()]
    try:
        for future in as_completed(futures):
            try:
                outcomes = future.result()
            except ModuleNotFoundError as exc:
                raise SweepError(f"a Dask worker cannot import {exc.name!r}: install the "
                                 "project in the workers' environment (pip install -e .)"
                                 ) from None
            except Exception as exc:  # e.g. KilledWorker: recorded
                kind = WORKER_DIED if "KilledWorker" in type(exc).__name__ else None
                outcomes = [(failed_record(run, exc, kind=kind), None)
                            for run in tasks_of(by_key[future.key])]
            for record, tables in outcomes:
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


def add_cluster_arguments(parser) -> None:
    """The ``--cluster``, ``--jobs`` and ``--cluster-option`` options of a command.

    ``spiral sweep`` and ``spiral calibrate`` take them alike; read them back with
    :func:`cluster_arguments`.
    """
    parser.add_argument("--cluster", choices=CLUSTERS,
                        help="submit the workers as batch jobs through dask-jobqueue "
                        "(needs sbatch here and dask-jobqueue installed)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="with --cluster: batch jobs, one worker each (default 1)")
    parser.add_argument("--cluster-option", action="append", default=[], metavar="KEY=VALUE",
                        help="with --cluster: an option of dask-jobqueue's SLURMCluster, e.g. "
                        "queue=short, account=abc, memory=4GB, walltime=02:00:00, "
                        "job_extra_directives=--qos=low (repeatable)")


def cluster_arguments(args) -> tuple[str | None, int, dict]:
    """``--cluster``, ``--jobs`` and the parsed ``--cluster-option`` words of a command.

    Returns:
        The cluster kind (None: no ``--cluster``), the number of jobs and the options of the
        cluster class (:func:`parse_cluster_options`).

    Raises:
        SweepError: ``--jobs`` or ``--cluster-option`` without ``--cluster``, ``--cluster``
            with ``--scheduler``, or a malformed ``--cluster-option``.
    """
    cluster = getattr(args, "cluster", None)
    items = getattr(args, "cluster_option", None)
    jobs = getattr(args, "jobs", 1)
    if cluster is None and (items or jobs != 1):
        raise SweepError("--jobs and --cluster-option need --cluster slurm")
    if cluster is not None and getattr(args, "scheduler", None):
        raise SweepError("give either --cluster or --scheduler, not both")
    return cluster, jobs, parse_cluster_options(items)


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


def slurm_unavailable() -> str | None:
    """Why a SLURM job cannot start here now (no ``sinfo``, no dask-jobqueue, no idle node),
    or None if it can; used to skip the real-cluster tests on machines without SLURM.
    """
    import shutil
    import subprocess

    if shutil.which("sinfo") is None:
        return "no sinfo: no SLURM here (run .ci/slurm-test.sh, which sets one up)"
    try:
        import dask_jobqueue  # noqa: F401
    except ImportError:
        return "dask-jobqueue is not installed (pip install -e '.[cluster]')"
    done = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True,
                          timeout=20, check=False)
    if done.returncode != 0 or not {"idle", "mix"} & set(done.stdout.split()):
        return f"SLURM has no idle node (sinfo: {done.stdout.strip() or done.stderr.strip()})"
    return None


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
