"""When the compiled kernels of the array engine share the work between threads.

A kernel over ``size`` items (citizens, ties, queries, draws) runs on every thread numba is
allowed (``NUMBA_NUM_THREADS``, by default one per core) from :data:`PARALLEL_FROM` items
on, and on one thread below: starting the threads costs tens of microseconds. Each item's
result is computed alone, so the results are the same bits either way; only the time
differs. Sweep workers run their kernels on one thread (:func:`one_thread`): a sweep already
keeps every core busy with one worker each.
"""

from __future__ import annotations

import numba

PARALLEL_FROM = 1 << 14  # items: 16,384


def parallel(size: int) -> bool:
    """Whether a kernel over ``size`` items should use several threads (never when this
    thread may use only one: then no parallel region is started at all, so callers in
    several threads of one process never meet in numba's threading layer).
    """
    return size >= PARALLEL_FROM and numba.get_num_threads() > 1


def one_thread() -> None:
    """Run this thread's kernels on one thread from now on (numba's setting is per thread)."""
    numba.set_num_threads(1)
