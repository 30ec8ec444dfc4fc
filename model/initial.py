"""Initial state shared by both drivers: citizens' starting values and scripted listings.

Both the Mesa driver and the array engine call :func:`initial_state` with the run's
``citizens`` stream, so they start from identical citizens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from spiral.model import rules
from spiral.model.errors import InputError


@dataclass(frozen=True)
class ScriptedListing:
    """A listing the experiment imposes: list ``citizen`` at month ``tick``.

    Attributes:
        citizen: Citizen index (0..n-1).
        tick: Month of the listing (>= 1).
        wrongful: Whether the listing is an error (then only oversight removes it).
    """

    citizen: int
    tick: int
    wrongful: bool = False


@dataclass
class InitialState:
    """Starting values of every citizen (arrays of length n)."""

    history: np.ndarray
    fear: np.ndarray
    stigmatised: np.ndarray
    cohort: list[ScriptedListing]
    stigma: np.ndarray  # stigma propensity (channel S of the 'channels' rule)


def draw_trait(mean: float, concentration: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """A heterogeneous trait in [0, 1] (fear, stigma propensity): Beta with this mean."""
    if mean <= 0.0:
        return np.zeros(n)
    if mean >= 1.0:
        return np.ones(n)
    a, b = rules.fear_beta_shape(mean, concentration)
    return rng.beta(a, b, size=n)


def draw_fear(p, n: int, rng: np.random.Generator) -> np.ndarray:
    """Heterogeneous fear in [0, 1]: Beta distributed with mean ``fear_mean``."""
    return draw_trait(p.fear_mean, p.fear_concentration, n, rng)


def initial_state(p, n: int, rng: np.random.Generator) -> InitialState:
    """Draw the citizens' starting values from the ``citizens`` stream.

    Draw order (fixed, part of the model's definition): credit history, fear, initially
    stigmatised citizens, the scripted cohort, stigma propensity.
    """
    history = np.clip(np.rint(rng.normal(p.history_mean, p.history_sd, size=n)),
                      rules.SCORE_MIN, rules.SCORE_MAX)
    fear = draw_fear(p, n, rng)
    stigmatised = np.zeros(n, dtype=bool)
    n_stigma = int(round(p.initial_stigma_share * n))
    if n_stigma:
        stigmatised[rng.choice(n, size=min(n_stigma, n), replace=False)] = True
    cohort = []
    n_cohort = int(round(p.cohort_share * n))
    if n_cohort:
        members = np.sort(rng.choice(n, size=min(n_cohort, n), replace=False))
        cohort = [ScriptedListing(int(c), p.cohort_tick, p.cohort_wrongful) for c in members]
    stigma = draw_trait(p.stigma_mean, p.stigma_concentration, n, rng)
    return InitialState(history, fear, stigmatised, cohort, stigma)


def listings_by_tick(listings, n: int, *, ticks: int | None = None
                     ) -> dict[int, list[ScriptedListing]]:
    """Group scripted listings by month, checking citizens and months are in range.

    Raises:
        InputError: A listing names a citizen outside 0..n-1, a month before 1 or (with
            ``ticks``) after the last month, where it would never be applied.
    """
    out: dict[int, list[ScriptedListing]] = {}
    for item in listings:
        if not 0 <= item.citizen < n:
            raise InputError(f"scripted listing of citizen {item.citizen}: citizens are "
                             f"numbered 0 to {n - 1}")
        if item.tick < 1:
            raise InputError(f"scripted listing at tick {item.tick}: listings start at tick 1")
        if ticks is not None and item.tick > ticks:
            raise InputError(f"scripted listing of citizen {item.citizen} at tick {item.tick} "
                             f"falls after the last month (ticks = {ticks}): it would never "
                             "be applied")
        out.setdefault(item.tick, []).append(item)
    return out
