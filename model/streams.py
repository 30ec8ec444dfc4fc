"""Seeds and the set-up streams of a run.

A run is identified by its seed, a non-negative integer; a sweep's runs by (sweep seed,
design point, replicate), from which :func:`run_seed` derives the run's seed. From the seed:

* the month-by-month decisions use keyed draws (:mod:`spiral.model.draws`), and
* setting the run up uses numpy Generators split off by :class:`numpy.random.SeedSequence`:
  one to build the friendship network, one for the citizens' starting values. Variants of a
  run share both (same network, same citizens).

Both drivers take the seed the way :class:`mesa.Model` does: ``rng=`` an int, a
:class:`numpy.random.Generator` (the seed is drawn from it) or None (a fresh seed from the
operating system's entropy), and report it as ``.seed``.

Example:
    >>> streams = make_streams(7)
    >>> sorted(streams) == sorted(STREAM_NAMES)
    True
"""

from __future__ import annotations

import numpy as np

STREAM_NAMES: tuple[str, ...] = (
    "network",      # building the friendship network
    "citizens",     # initial state: history scores, fear, initial stigma, scripted cohort
)
MAX_SEED = 2**63 - 1  # seeds are non-negative 63-bit integers


def make_streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent Generator per set-up step, derived from ``seed``.

    Args:
        seed: The run's seed, a non-negative integer.

    Returns:
        Mapping of stream name to Generator, in :data:`STREAM_NAMES` order.
    """
    children = np.random.SeedSequence(int(seed)).spawn(len(STREAM_NAMES))
    return {name: np.random.Generator(np.random.PCG64(child))
            for name, child in zip(STREAM_NAMES, children, strict=True)}


def run_seed(sweep_seed: int, point: int, replicate: int) -> int:
    """The seed of one run of a sweep, from (sweep seed, design point, replicate).

    It depends only on these three numbers, never on worker count or order, and is an
    ordinary integer: ``spiral run --seed`` with it reproduces that run alone.
    """
    seq = np.random.SeedSequence(int(sweep_seed), spawn_key=(int(point), int(replicate)))
    return int(seq.generate_state(1, np.uint64)[0] >> np.uint64(1))


def replicate_seed(seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate`` of a run of ``seed``: the seed itself for 0.

    Replicate k >= 1 gets a seed derived from (seed, k) by SeedSequence, independent of how
    many replicates run or in which order.
    """
    if replicate == 0:
        return int(seed)
    seq = np.random.SeedSequence(int(seed), spawn_key=(int(replicate),))
    return int(seq.generate_state(1, np.uint64)[0] >> np.uint64(1))


def resolve_seed(rng=None, seed=None) -> int:
    """The run's seed from ``rng`` (int, Generator or None) or ``seed`` (int), as Mesa takes them.

    Raises:
        ValueError: Both given, or a seed outside 0..2**63 - 1.
        TypeError: ``rng`` of another type.
    """
    if rng is not None and seed is not None:
        raise ValueError("pass either rng or seed, not both")
    value = seed if rng is None else rng
    if value is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
    if isinstance(value, np.random.Generator):
        return int(value.integers(0, MAX_SEED, endpoint=True))
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"rng must be None, an int or a numpy Generator, not {type(value).__name__}")
    if not 0 <= int(value) <= MAX_SEED:
        raise ValueError(f"seed = {int(value)} is out of range: allowed 0 to 2**63 - 1")
    return int(value)
