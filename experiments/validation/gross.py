"""Gross, Dommar D'Lima & Blasius (2006) as a configuration of the blacklist spiral model.

Stigma is a contagion with recovery (``stigma_rule = "contagion"``): each month every tie
from a marked to an unmarked citizen passes the stigma with probability ``stigma_spread``; a
stigmatised citizen loses it with probability ``stigma_fade``; an unmarked citizen drops a
stigmatised friend with probability ``unfriend_rate`` (``fear_mean = 1``, so every fear is 1)
and befriends a random unmarked citizen instead (``rewire = "random"``). Nobody is listed and
scores play no part. This is the SIS model on an adaptive network with infection p,
recovery r and rewiring w.

Time step. The paper's rates are per unit of continuous time; one tick of the engine lasts
``dt`` units and each rate becomes the per-tick probability ``1 - exp(-rate * dt)`` (about
``rate * dt``). ``dt`` is chosen per rewiring rate so that every per-tick probability stays
small: ``dt = 0.1 / max(w, 5 r)`` (w = 0.2: dt = 0.5; w = 0.04: dt = 2.5; w = 0: dt = 10).
Within a tick spreading and fading are synchronous, then rewiring (see docs/ODD.md).

Conserved ties. Gross et al. rewire every dropped S-I tie to a random susceptible, so the
number of ties is conserved. The model's random rewiring draws ``rewire_attempts`` candidates
among the unmarked citizens and takes the first that is not already a friend, so a
replacement fails only when the dropper is already friends with every candidate drawn; the
share of ties lost is reported (it stays near 0).

Example:
    >>> run = gross_run(n=300, mean_degree=10, spread=0.02, fade=0.002, rewiring=0.0,
    ...                 start_share=0.1, duration=50, seed=1)
    >>> 0.0 <= run.final_prevalence <= 1.0
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from spiral.model.engine import ArrayEngine
from spiral.model.params import Params

# the table's maximum: a failed replacement is rare unless nearly all are marked
REWIRE_ATTEMPTS = 100


def time_step(rewiring: float, fade: float) -> float:
    """Length of one tick in the paper's time units (see the module docstring)."""
    return 0.1 / max(rewiring, 5.0 * fade)


def per_tick(rate: float, dt: float) -> float:
    """Probability of at least one event of a Poisson process of this rate within dt."""
    return -math.expm1(-rate * dt)


def gross_params(*, n: int, mean_degree: float, spread: float, fade: float, rewiring: float,
                 start_share: float, dt: float) -> Params:
    """The model's parameters for the adaptive SIS configuration."""
    return Params(
        n_citizens=n, network="erdos_renyi", mean_degree=mean_degree,
        listing_rate=0.0, wrongful_rate=0.0, network_weight=0.0,
        stigma_rule="contagion", stigma_spread=per_tick(spread, dt),
        stigma_fade=per_tick(fade, dt), initial_stigma_share=start_share,
        unfriend_rule="listed" if rewiring > 0 else "none",
        unfriend_rate=per_tick(rewiring, dt), fear_mean=1.0,
        rewire="random", rewire_attempts=REWIRE_ATTEMPTS)


@dataclass
class GrossRun:
    """Outcome of one run.

    Attributes:
        spread, fade, rewiring: The rates p, r, w (per unit time).
        start_share: Stigmatised share at the start.
        final_prevalence: Stigmatised share at the end.
        times: Sample times (paper's units).
        prevalence: Stigmatised share at those times.
        ties_lost_share: Share of the starting ties lost by the end (0 when ties are conserved).
        dt: Length of a tick.
        ticks: Ticks simulated.
    """

    spread: float
    fade: float
    rewiring: float
    start_share: float
    final_prevalence: float
    times: np.ndarray
    prevalence: np.ndarray
    ties_lost_share: float
    dt: float
    ticks: int


def gross_run(*, n: int, mean_degree: float, spread: float, fade: float, rewiring: float,
              start_share: float, duration: float, seed: int, samples: int = 50) -> GrossRun:
    """Run the adaptive SIS configuration for ``duration`` time units.

    Stops early when the stigma dies out (absorbing state).
    """
    dt = time_step(rewiring, fade)
    params = gross_params(n=n, mean_degree=mean_degree, spread=spread, fade=fade,
                          rewiring=rewiring, start_share=start_share, dt=dt)
    engine = ArrayEngine(params, seed=seed, collect=False)
    ties_start = engine.ties.n_ties
    ticks = max(1, int(round(duration / dt)))
    every = max(1, ticks // samples)
    times, prevalence = [0.0], [float(engine.stigmatised.mean())]
    for tick in range(1, ticks + 1):
        engine.step()
        if tick % every == 0 or tick == ticks:
            times.append(tick * dt)
            prevalence.append(float(engine.stigmatised.mean()))
        if not engine.stigmatised.any():
            times.append(ticks * dt)
            prevalence.append(0.0)
            break
    lost = (ties_start - engine.ties.n_ties) / max(ties_start, 1)
    return GrossRun(spread, fade, rewiring, start_share, prevalence[-1], np.array(times),
                    np.array(prevalence), float(lost), dt, tick)
