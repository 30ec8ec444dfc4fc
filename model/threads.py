"""When the compiled kernels of the array engine share the work between threads.

A kernel over ``size`` items (citizens, ties, draws) runs on every core numba is allowed
(``NUMBA_NUM_THREADS``, by default all) from :data:`PARALLEL_FROM` items on, and on one
thread below. Each item's result is computed alone, so the results are the same bits either
way; only the time differs. Small runs stay on one thread, so that sweep workers (one per
core) do not compete for the cores.
"""

from __future__ import annotations

PARALLEL_FROM = 1 << 18  # about a quarter of a million items


def parallel(size: int) -> bool:
    """Whether a kernel over ``size`` items should use several threads."""
    return size >= PARALLEL_FROM
