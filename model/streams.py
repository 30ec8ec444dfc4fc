"""Random number streams: one numpy Generator per process, all derived from the run's seed.

A run's seed is split by :class:`numpy.random.SeedSequence` into one independent stream per
process of the model. Because each process draws only from its own stream, a paired
counterfactual run (same seed, network term or unfriending switched off) sees exactly the same
deeds, listings and hearing draws, even though it draws fewer numbers for unfriending.

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
    "behaviour",    # deeds and offences
    "court",        # listings and delistings
    "hearing",      # friends hearing of listings
    "stigma",       # stigma contagion and fading
    "unfriending",  # dropping risky friends
    "rewiring",     # replacing dropped ties
)


def make_streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent Generator per process, derived from ``seed``.

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
