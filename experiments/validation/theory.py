"""Analytic results of the two canonical models, for comparison with the simulations.

Watts (2002), "A simple model of global cascades on random networks", PNAS 99:5766: on a
random graph with degree distribution ``p_k`` and a uniform threshold ``phi``, a node of
degree ``k`` is *vulnerable* (one marked friend is enough) when ``1 >= phi * k``. Global
cascades are possible where the vulnerable nodes percolate, the cascade condition

    sum_k k (k - 1) rho_k p_k > z,    rho_k = 1 if 1 >= phi k else 0,

which for Erdos-Renyi graphs (Poisson ``p_k``) holds inside a window ``z_low < z < z_high``.
The chance that one random seed triggers a global cascade is the share of citizens that have
a friend in the giant vulnerable cluster (the extended vulnerable cluster, tree approximation)
and the size of a global cascade follows from the threshold model's tree recursion
(Gleeson & Cahalane 2007, PRE 75:056103, with a vanishing seed).

Gross, Dommar D'Lima & Blasius (2006), "Epidemic dynamics on an adaptive network", PRL
96:208701: their pair approximation of SIS dynamics (infection p per S-I tie, recovery r,
rewiring w of S-I ties by the susceptible end) gives the invasion threshold
``p_inv = (r + w) / <k>`` and, for ``w > r``, a persistence threshold ``p_per < p_inv``:
between the two the disease-free and the endemic state are both stable (bistability).

Example:
    >>> round(invasion_threshold(spread_fade=0.002, rewiring=0.0, mean_degree=20), 6)
    0.0001
    >>> low, high = cascade_window(0.18)
    >>> 1.0 < low < 1.1 < 6.0 < high < 8.0
    True
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

# --- Watts (2002) -----------------------------------------------------------------------------


def poisson_pmf(z: float, k_max: int) -> np.ndarray:
    """Poisson degree distribution p_0..p_k_max of an Erdos-Renyi graph of mean degree z."""
    return stats.poisson.pmf(np.arange(k_max + 1), z)


def _k_max(z: float) -> int:
    return int(z + 12 * math.sqrt(z + 1) + 20)


def vulnerable(degrees: np.ndarray, phi: float) -> np.ndarray:
    """Whether a citizen of each degree is vulnerable: one marked friend reaches phi.

    Uses the engine's comparison (``marked >= phi * degree`` with one marked friend).
    """
    degrees = np.asarray(degrees)
    return (degrees > 0) & (phi * degrees <= 1.0)


def cascade_condition(z: float, phi: float) -> float:
    """Watts's cascade condition minus z: ``sum_k k(k-1) rho_k p_k - z`` (> 0: cascades)."""
    k = np.arange(_k_max(z) + 1)
    pk = poisson_pmf(z, k[-1])
    return float(np.sum(k * (k - 1) * vulnerable(k, phi) * pk) - z)


def cascade_window(phi: float) -> tuple[float, float]:
    """Lower and upper edge in mean degree z of the cascade window (Poisson degrees)."""
    zs = np.linspace(0.05, 40.0, 4000)
    values = np.array([cascade_condition(z, phi) for z in zs])
    inside = np.flatnonzero(values > 0)
    if inside.size == 0:
        return (math.nan, math.nan)
    first, last = inside[0], inside[-1]
    low = optimize.brentq(cascade_condition, zs[first - 1], zs[first], args=(phi,))
    high = optimize.brentq(cascade_condition, zs[last], zs[last + 1], args=(phi,))
    return (float(low), float(high))


def cascade_frequency(z: float, phi: float) -> float:
    """Chance that one random seed triggers a global cascade (tree approximation).

    The seed needs a friend in the giant vulnerable cluster. ``u`` is the chance that a tie
    does not lead into that cluster: ``u = 1 - sum_k q_k rho_k (1 - u^(k-1))`` with the excess
    degree distribution ``q_k = k p_k / z``; the answer is ``1 - G0(u) = 1 - sum_k p_k u^k``.
    """
    if z <= 0:
        return 0.0
    k = np.arange(_k_max(z) + 1)
    pk = poisson_pmf(z, k[-1])
    qk = k * pk / z
    rho = vulnerable(k, phi)

    def lead(u: float) -> float:
        return float(np.sum(qk * rho * (1.0 - u ** np.maximum(k - 1, 0))))

    u = 0.0
    for _ in range(20_000):
        new = 1.0 - lead(u)
        if abs(new - u) < 1e-13:
            break
        u = new
    return float(max(0.0, 1.0 - np.sum(pk * u ** k)))


def cascade_size(z: float, phi: float, *, seed_share: float = 1e-7) -> float:
    """Share of citizens a global cascade reaches (tree recursion, vanishing seed).

    ``q`` is the chance that a friend reached over a tie is marked:
    ``q = rho0 + (1 - rho0) sum_k q_k sum_m Bin(m; k-1, q) [m >= phi k]`` and the final share is
    ``rho0 + (1 - rho0) sum_k p_k sum_m Bin(m; k, q) [m >= phi k]`` (Gleeson & Cahalane 2007).
    """
    if z <= 0:
        return 0.0
    k_max = _k_max(z)
    k = np.arange(k_max + 1)
    pk = poisson_pmf(z, k_max)
    qk = k * pk / z
    m = np.arange(k_max + 1)
    adopts = ((m[None, :] >= phi * k[:, None]) & (m[None, :] <= k[:, None])
              & (k[:, None] > 0))  # [k, m]; isolated citizens never adopt

    def reached(q: float, trials: np.ndarray) -> np.ndarray:
        prob = stats.binom.pmf(m[None, :], np.maximum(trials, 0)[:, None], q)
        return np.sum(np.where(adopts & (m[None, :] <= trials[:, None]), prob, 0.0), axis=1)

    q = seed_share
    for _ in range(5_000):
        new = seed_share + (1 - seed_share) * float(np.sum(qk * reached(q, k - 1)))
        if abs(new - q) < 1e-12:
            break
        q = new
    return float(seed_share + (1 - seed_share) * np.sum(pk * reached(q, k)))


# --- Gross, Dommar D'Lima & Blasius (2006) ----------------------------------------------------


def invasion_threshold(*, spread_fade: float, rewiring: float, mean_degree: float) -> float:
    """Pair-approximation invasion threshold ``p_inv = (r + w) / <k>``.

    Args:
        spread_fade: Recovery (stigma fade) rate r.
        rewiring: Rewiring rate w of S-I ties.
        mean_degree: Mean degree <k> (conserved by rewiring).
    """
    return (spread_fade + rewiring) / mean_degree


def endemic_spread(prevalence, *, fade: float, rewiring: float, mean_degree: float):
    """Spread rate p at which the pair approximation has an endemic state of this prevalence.

    From the steady state of Gross et al.'s equations (``l_SI = r i / p``,
    ``l_SS = (r + w) s / (2p)``, ``l_II = (r i / 2)(r i / (p s) + 1)``, links conserved):
    ``p = [(r + w)(1 - i) + 2 r i + r^2 i^2 / (1 - i)] / (<k> - r i)``.
    """
    i = np.asarray(prevalence, dtype=float)
    r, w, k = fade, rewiring, mean_degree
    return ((r + w) * (1 - i) + 2 * r * i + r * r * i * i / (1 - i)) / (k - r * i)


def persistence_threshold(*, fade: float, rewiring: float, mean_degree: float) -> float:
    """Lowest p at which an endemic state exists (saddle-node of the pair approximation)."""
    i = np.linspace(0.0, 1.0, 200_001)[:-1]
    return float(np.min(endemic_spread(i, fade=fade, rewiring=rewiring,
                                       mean_degree=mean_degree)))


def endemic_branches(spread: float, *, fade: float, rewiring: float, mean_degree: float
                     ) -> tuple[float | None, float | None]:
    """Unstable (threshold) and stable endemic prevalence at spread rate p, if they exist.

    The branch where ``p(i)`` decreases is the unstable saddle separating the basins of the
    disease-free and the endemic state; the branch where it increases is the stable endemic
    state.
    """
    i = np.linspace(0.0, 1.0, 200_001)[:-1]
    p_of_i = endemic_spread(i, fade=fade, rewiring=rewiring, mean_degree=mean_degree)
    crossing = np.flatnonzero(np.diff(np.sign(p_of_i - spread)) != 0)
    unstable = stable = None
    for c in crossing:
        if p_of_i[c + 1] < p_of_i[c]:
            unstable = float(i[c])
        else:
            stable = float(i[c])
    return unstable, stable


# --- sampling tolerances -----------------------------------------------------------------------


def wilson_interval(successes: int, trials: int, *, z: float = 2.576) -> tuple[float, float]:
    """Wilson score interval of a binomial share (default 99%)."""
    if trials == 0:
        return (0.0, 1.0)
    share = successes / trials
    denom = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denom
    half = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return (low, high)
