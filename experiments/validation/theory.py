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
``p_inv = (r + w) / <k>`` and, for ``w > r (<k> + 1) / (<k> - 1)``, a persistence threshold
``p_per < p_inv``: between the two the disease-free and the endemic state are both stable
(bistability). The steady states solve ``(w - p) s^2 - p (<k> - 1) s + r = 0`` for the
susceptible share ``s``; the derivation is in docs/ODD.md, section 8.

Example:
    >>> round(invasion_threshold(fade=0.002, rewiring=0.0, mean_degree=20), 6)
    0.0001
    >>> saddle, stable = endemic_branches(0.00505, fade=0.002, rewiring=0.2, mean_degree=20)
    >>> round(saddle, 3), round(stable, 3)
    (0.53, 0.978)
    >>> low, high = cascade_window(0.18)
    >>> 1.0 < low < 1.1 and 5.5 < high < 6.0
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
#
# State of the pair approximation: the infected (stigmatised) share i and the numbers of
# I-I, S-I and S-S ties per citizen, l_II + l_SI + l_SS = <k> / 2. The derivation is in
# docs/ODD.md, section 8.

STATE = ("i", "l_II", "l_SI", "l_SS")


def moment_equations(state, *, spread: float, fade: float, rewiring: float) -> np.ndarray:
    """Time derivatives of ``(i, l_II, l_SI, l_SS)`` under the pair approximation.

    With ``s = 1 - i``, an S citizen has on average ``l_SI / s`` infected and ``2 l_SS / s``
    susceptible friends (the closure: triples ``l_abc = l_ab l_bc / b``, where an S-S tie has
    two S ends), so::

        di/dt    = p l_SI - r i
        dl_II/dt = p l_SI (1 + l_SI / s) - 2 r l_II
        dl_SS/dt = (r + w) l_SI - 2 p l_SI l_SS / s
        dl_SI/dt = -(dl_II/dt + dl_SS/dt)          (rewiring conserves ties)

    Args:
        state: ``(i, l_II, l_SI, l_SS)`` (an array of four; extra trailing axes allowed).
        spread: Infection rate p per S-I tie.
        fade: Recovery rate r.
        rewiring: Rewiring rate w per S-I tie (by the S end, to a random S citizen).
    """
    i, l_ii, l_si, l_ss = np.asarray(state, dtype=float)
    s = 1.0 - i
    p, r, w = spread, fade, rewiring
    d_i = p * l_si - r * i
    d_ii = p * l_si * (1.0 + l_si / s) - 2.0 * r * l_ii
    d_ss = (r + w) * l_si - 2.0 * p * l_si * l_ss / s
    return np.array([d_i, d_ii, -(d_ii + d_ss), d_ss])


def random_start(start_share: float, mean_degree: float) -> np.ndarray:
    """``(i, l_II, l_SI, l_SS)`` of a random network with a random share ``i0`` infected."""
    i0, k = start_share, mean_degree
    return np.array([i0, k / 2 * i0 * i0, k * i0 * (1 - i0), k / 2 * (1 - i0) ** 2])


def steady_links(prevalence, *, spread: float, fade: float, rewiring: float):
    """Tie densities ``(l_II, l_SI, l_SS)`` of a steady state with this prevalence.

    From the moment equations with zero derivatives:
    ``l_SI = r i / p``, ``l_II = (i / 2)(1 + r i / (p s))``, ``l_SS = (r + w) s / (2 p)``.
    """
    i = np.asarray(prevalence, dtype=float)
    s = 1.0 - i
    p, r, w = spread, fade, rewiring
    return (i / 2 * (1 + r * i / (p * s)), r * i / p, (r + w) * s / (2 * p))


def endemic_spread(prevalence, *, fade: float, rewiring: float, mean_degree: float):
    """Spread rate p at which the pair approximation has a steady state of this prevalence.

    Adding the steady tie densities (:func:`steady_links`) and requiring
    ``l_II + l_SI + l_SS = <k> / 2`` gives
    ``p = [(r + w)(1 - i) + 2 r i + r i^2 / (1 - i)] / (<k> - i)``, which simplifies to
    ``p = [r + w (1 - i)^2] / [(1 - i)(<k> - i)]``.
    """
    i = np.asarray(prevalence, dtype=float)
    r, w, k = fade, rewiring, mean_degree
    return (r + w * (1 - i) ** 2) / ((1 - i) * (k - i))


def invasion_threshold(*, fade: float | None = None, rewiring: float, mean_degree: float,
                       spread_fade: float | None = None) -> float:
    """Pair-approximation invasion threshold ``p_inv = (r + w) / <k>``.

    The disease-free state loses stability there (the steady state at ``i -> 0``).

    Args:
        fade: Recovery (stigma fade) rate r.
        rewiring: Rewiring rate w of S-I ties.
        mean_degree: Mean degree <k> (conserved by rewiring).
        spread_fade: Older name of ``fade`` (accepted for existing callers).
    """
    r = fade if fade is not None else spread_fade
    if r is None:
        raise TypeError("invasion_threshold() needs fade=")
    return (r + rewiring) / mean_degree


def _fold(fade: float, rewiring: float, mean_degree: float) -> tuple[float, float]:
    """Spread rate and susceptible share at the saddle-node of the endemic branch.

    The steady states solve ``(w - p) s^2 - p (<k> - 1) s + r = 0``; two coincide where the
    discriminant ``p^2 (<k> - 1)^2 - 4 r (w - p)`` vanishes.
    """
    r, w, m = fade, rewiring, mean_degree - 1.0
    p_fold = 2.0 * (math.sqrt(r * r + r * w * m * m) - r) / (m * m)
    s_fold = p_fold * m / (2.0 * (w - p_fold)) if w > p_fold else math.inf
    return p_fold, s_fold


def persistence_threshold(*, fade: float, rewiring: float, mean_degree: float) -> float:
    """Lowest spread rate at which an endemic state exists.

    Where the endemic branch bends back (``w > r (<k> + 1) / (<k> - 1)``) this is its
    saddle-node, ``p_per = 2 [sqrt(r^2 + r w (<k> - 1)^2) - r] / (<k> - 1)^2``, below the
    invasion threshold (bistability between the two); otherwise it is the invasion threshold.
    """
    p_inv = invasion_threshold(fade=fade, rewiring=rewiring, mean_degree=mean_degree)
    p_fold, s_fold = _fold(fade, rewiring, mean_degree)
    return p_fold if s_fold < 1.0 else p_inv


def endemic_branches(spread: float, *, fade: float, rewiring: float, mean_degree: float
                     ) -> tuple[float | None, float | None]:
    """Saddle and stable endemic prevalence at spread rate p (None where absent).

    The steady states are the roots in ``0 < s < 1`` of
    ``(w - p) s^2 - p (<k> - 1) s + r = 0`` (:func:`endemic_spread` solved for ``s = 1 - i``).
    The root with fewer susceptibles is the stable endemic state; the other, present only
    between the persistence and the invasion threshold, is the saddle separating its basin
    from the disease-free state's (tests/experiments/validation check both against the
    Jacobian of :func:`moment_equations` and against a numerical integration).
    """
    r, w, p = fade, rewiring, spread
    a, b = w - p, p * (mean_degree - 1.0)
    disc = b * b - 4.0 * a * r
    if disc < 0:
        return None, None
    root = math.sqrt(disc)
    s_stable = 2.0 * r / (b + root)  # the smaller root for a > 0, the positive one for a <= 0
    s_saddle = (b + root) / (2.0 * a) if a > 0 else math.inf
    stable = 1.0 - s_stable if 0.0 < s_stable < 1.0 else None
    saddle = 1.0 - s_saddle if (stable is not None and s_saddle < 1.0) else None
    return saddle, stable


def jacobian_eigenvalues(prevalence: float, *, spread: float, fade: float, rewiring: float,
                         mean_degree: float) -> np.ndarray:
    """Eigenvalues of the moment equations at the steady state of this prevalence.

    The Jacobian is taken in the independent variables ``(i, l_II, l_SS)`` (``l_SI`` follows
    from the conserved number of ties), by central differences. All real parts negative:
    stable; one positive: a saddle.
    """
    k = mean_degree
    l_ii, _, l_ss = steady_links(prevalence, spread=spread, fade=fade, rewiring=rewiring)
    x0 = np.array([float(prevalence), float(l_ii), float(l_ss)])

    def rhs(x):
        state = (x[0], x[1], k / 2 - x[1] - x[2], x[2])
        d = moment_equations(state, spread=spread, fade=fade, rewiring=rewiring)
        return np.array([d[0], d[1], d[3]])

    jac = np.empty((3, 3))
    for col in range(3):
        h = 1e-6 * max(abs(x0[col]), 1e-3)
        step = np.zeros(3)
        step[col] = h
        jac[:, col] = (rhs(x0 + step) - rhs(x0 - step)) / (2 * h)
    return np.linalg.eigvals(jac)


def relaxation_time(prevalence: float, *, spread: float, fade: float, rewiring: float,
                    mean_degree: float) -> float:
    """Slowest relaxation time ``1 / min |Re lambda|`` at a stable steady state."""
    eig = jacobian_eigenvalues(prevalence, spread=spread, fade=fade, rewiring=rewiring,
                               mean_degree=mean_degree)
    return float(1.0 / np.min(np.abs(eig.real)))


# --- comparison rows and sampling tolerances ---------------------------------------------------
@dataclass
class Check:
    """One row of the comparison table of ``spiral validate``.

    ``skipped`` gives the reason a check could not be made (it then counts as passed and
    shows as ``skipped: reason``).
    """

    case: str
    literature: str
    model: str
    tolerance: str
    passed: bool
    skipped: str = ""

    def as_row(self) -> dict[str, str]:
        """The row as strings, for CSV and Markdown."""
        result = (f"skipped: {self.skipped}" if self.skipped else
                  "pass" if self.passed else "FAIL")
        return {"case": self.case, "literature": self.literature, "model": self.model,
                "tolerance": self.tolerance, "result": result}


def time_average_error(sd: float, span: float, correlation_time: float) -> float:
    """Standard error of a time average of a stationary share.

    A series of standard deviation ``sd`` whose correlations decay over
    ``correlation_time`` holds about ``span / (2 correlation_time)`` independent values over
    ``span`` (at least one).
    """
    independent = max(1.0, span / (2.0 * correlation_time))
    return sd / math.sqrt(independent)



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
