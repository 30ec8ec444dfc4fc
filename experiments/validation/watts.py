"""Watts (2002) as a configuration of the blacklist spiral model.

Stigma follows the monotone threshold rule (``stigma_rule = "threshold"``): an unmarked
citizen becomes stigmatised once at least a share ``stigma_threshold`` (phi) of its friends
are marked. The network is a static Erdos-Renyi graph (nobody unfriends, nobody is listed,
no tie turnover), one random citizen is stigmatised at the start
(``initial_stigma_share = 1 / n``) and the model runs until nobody new is stigmatised (a
monotone rule reaches a fixed point; with synchronous updating the fixed point is the same as
Watts's asynchronous one). Each realisation draws a new graph and a new seed citizen.

A cascade is *global* when it reaches at least :data:`GLOBAL_SHARE` of the citizens and at
least :data:`GLOBAL_MIN_CITIZENS` (Watts's 1% of 10,000). The absolute floor matters in the
reduced sizes of ``--quick``: below the window an Erdos-Renyi graph's largest component holds
O(log n) citizens (about 40 at n = 2,000 and z = 0.5), which a seed inside it fills; such a
finite cluster is not a global cascade.

Example:
    >>> sizes = cascade_sizes(n=200, mean_degree=3.0, phi=0.18, realisations=3, seed=1)
    >>> len(sizes), bool(((sizes > 0) & (sizes <= 1)).all())
    (3, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from spiral.experiments.validation import theory
from spiral.model.engine import ArrayEngine
from spiral.model.params import Params
from spiral.model.streams import run_seed

GLOBAL_SHARE = 0.01
GLOBAL_MIN_CITIZENS = 100
Z99 = 2.576  # two-sided 99% normal quantile


def global_cutoff(n: int) -> float:
    """Smallest final share that counts as a global cascade in a network of ``n`` citizens."""
    return max(GLOBAL_SHARE, GLOBAL_MIN_CITIZENS / n)


def watts_params(*, n: int, mean_degree: float, phi: float) -> Params:
    """The model's parameters for the Watts threshold configuration."""
    return Params(n_citizens=n, network="erdos_renyi", mean_degree=mean_degree,
                  listing_rate=0.0, wrongful_rate=0.0, network_weight=0.0,
                  stigma_rule="threshold", stigma_threshold=phi,
                  initial_stigma_share=1.0 / n, unfriend_rule="none",
                  reconnect_rate=0.0, turnover_rate=0.0)


def cascade_sizes(*, n: int, mean_degree: float, phi: float, realisations: int, seed: int,
                  point: int = 0) -> np.ndarray:
    """Final stigmatised share of each realisation (new graph and seed citizen each time).

    Args:
        n: Citizens.
        mean_degree: Mean degree z of the Erdos-Renyi graph.
        phi: Uniform threshold.
        realisations: Number of independent runs.
        seed: Sweep seed; run k uses ``run_seed(seed, point, k)``.
        point: Index of this (phi, z) point in the sweep.
    """
    params = watts_params(n=n, mean_degree=mean_degree, phi=phi)
    sizes = np.empty(realisations)
    for k in range(realisations):
        engine = ArrayEngine(params, seed=run_seed(seed, point, k), collect=False)
        count, previous = int(engine.stigmatised.sum()), -1
        while count != previous:
            engine.step()
            previous, count = count, int(engine.stigmatised.sum())
        sizes[k] = count / n
    return sizes


@dataclass
class CascadePoint:
    """Cascade statistics of one (phi, z) point.

    Attributes:
        phi: Threshold.
        mean_degree: z.
        realisations: Runs.
        global_count: Runs that ended in a global cascade.
        mean_global_size: Mean final share of the global cascades (NaN if none).
        sd_global_size: Standard deviation of those shares (NaN if fewer than two).
        n: Citizens per realisation.
    """

    phi: float
    mean_degree: float
    realisations: int
    global_count: int
    mean_global_size: float
    sd_global_size: float
    n: int = 0

    @property
    def frequency(self) -> float:
        """Share of runs that ended in a global cascade."""
        return self.global_count / self.realisations


def cascade_point(*, n: int, mean_degree: float, phi: float, realisations: int, seed: int,
                  point: int) -> CascadePoint:
    """Run one (phi, z) point and summarise its cascades."""
    sizes = cascade_sizes(n=n, mean_degree=mean_degree, phi=phi, realisations=realisations,
                          seed=seed, point=point)
    big = sizes[sizes >= global_cutoff(n)]
    mean = float(big.mean()) if big.size else float("nan")
    sd = float(big.std(ddof=1)) if big.size > 1 else float("nan")
    return CascadePoint(phi, mean_degree, realisations, int(big.size), mean, sd, n)


# --- the sweep and the checks of ``spiral validate`` ----------------------------------------
WATTS_SEED = 2002
INTERIOR_Z = {0.18: 3.0, 0.12: 6.0}
BELOW = 0.5         # "well below the window": z <= 0.5 z_low
JUST_INSIDE = 0.85  # "just inside the upper edge": 0.85 z_high <= z < z_high
JUST_OUTSIDE = 1.1  # "just above": 1.1 z_high <= z < 1.35 z_high, global cascades rare ...
RARE = 0.1          # ... (99% Wilson lower bound <= 0.1: finite n shifts the edge up a little)
FAR_OUTSIDE = 1.35  # "far above": z >= 1.35 z_high (finite networks shift the upper edge up)


@dataclass(frozen=True)
class WattsReference:
    """What the checks compare the runs with; built from the theory, replaceable in tests.

    Attributes:
        window: ``phi -> (z_low, z_high)``.
        frequency: ``(z, phi) ->`` chance that one seed triggers a global cascade.
        size: ``(z, phi) ->`` share of citizens a global cascade reaches.
    """

    window: Callable[[float], tuple[float, float]]
    frequency: Callable[[float, float], float]
    size: Callable[[float, float], float]


def analytic() -> WattsReference:
    """Cascade condition, extended vulnerable cluster and tree recursion (:mod:`theory`)."""
    return WattsReference(window=lambda phi: theory.cascade_window(phi),
                          frequency=lambda z, phi: theory.cascade_frequency(z, phi),
                          size=lambda z, phi: theory.cascade_size(z, phi))


def watts_sweep(plan, log=None) -> list[CascadePoint]:
    """All (phi, z) points of the plan (``plan.watts_grid``, ``watts_n``, realisations)."""
    out, point = [], 0
    for phi, grid in plan.watts_grid.items():
        for z in grid:
            out.append(cascade_point(n=plan.watts_n, mean_degree=z, phi=phi,
                                     realisations=plan.watts_realisations, seed=WATTS_SEED,
                                     point=point))
            point += 1
            if log:
                log(f"Watts phi={phi:g} z={z:g}: global cascades "
                         f"{out[-1].global_count}/{out[-1].realisations}")
    return out


def _share(p: CascadePoint) -> str:
    low, high = theory.wilson_interval(p.global_count, p.realisations)
    return f"z={p.mean_degree:g}: {p.frequency:.3f} [{low:.3f}, {high:.3f}]"


def _points_check(case, literature, points, test, tolerance) -> theory.Check:
    """A check over the grid points a reference selects: needs at least one, all passing."""
    shown = "; ".join(_share(p) for p in points) or "no point of the plan's grid here"
    return theory.Check(case, literature, shown, tolerance,
                        bool(points) and all(test(p) for p in points))


def watts_checks(points: list[CascadePoint], reference: WattsReference | None = None
                 ) -> list[theory.Check]:
    """Frequency and size inside the window, and the window's edges, for each phi."""
    ref = reference or analytic()
    checks = []
    for phi in dict.fromkeys(p.phi for p in points):
        grid = sorted((p for p in points if p.phi == phi), key=lambda p: p.mean_degree)
        z_low, z_high = ref.window(phi)
        name = f"Watts phi={phi:g}"
        z_in = INTERIOR_Z[phi]
        inner = next((p for p in grid if p.mean_degree == z_in), None)
        if inner is None:
            checks.append(theory.Check(f"{name}: inside the window (z={z_in:g})", "", "no run",
                                       "", False))
        else:
            expected = ref.frequency(z_in, phi)
            low, high = theory.wilson_interval(inner.global_count, inner.realisations)
            checks.append(theory.Check(f"{name}: frequency of global cascades at z={z_in:g}",
                                       f"{expected:.3f} (extended vulnerable cluster)",
                                       _share(inner), "99% Wilson interval",
                                       low <= expected <= high))
            size = ref.size(z_in, phi)
            half = Z99 * inner.sd_global_size / math.sqrt(max(inner.global_count, 1)) \
                + 1 / math.sqrt(inner.n)
            checks.append(theory.Check(f"{name}: mean size of global cascades at z={z_in:g}",
                                       f"{size:.3f} (tree recursion)",
                                       f"{inner.mean_global_size:.3f}",
                                       f"+-{half:.3f} (99% CI of the mean + 1/sqrt(n))",
                                       abs(inner.mean_global_size - size) <= half))
        checks.append(_points_check(
            f"{name}: no global cascades well below the window (z <= {BELOW:g} z_low)",
            f"0 (z_low = {z_low:.3f})", [p for p in grid if p.mean_degree <= BELOW * z_low],
            lambda p: p.global_count == 0, "99% Wilson interval contains 0"))
        checks.append(_points_check(
            f"{name}: global cascades just inside the upper edge "
            f"({JUST_INSIDE:g} z_high <= z < z_high)",
            f"z_high = {z_high:.3f}; frequency > 0, at least the analytic one",
            [p for p in grid if JUST_INSIDE * z_high <= p.mean_degree < z_high],
            lambda p, phi=phi: (theory.wilson_interval(p.global_count, p.realisations)[0] > 0
                                and ref.frequency(p.mean_degree, phi)
                                <= theory.wilson_interval(p.global_count, p.realisations)[1]),
            "99% Wilson lower bound > 0, upper bound >= analytic (finite n raises it)"))
        checks.append(_points_check(
            f"{name}: global cascades rare just above the upper edge "
            f"({JUST_OUTSIDE:g} z_high <= z < {FAR_OUTSIDE:g} z_high)",
            f"0 beyond z_high = {z_high:.3f} (finite n: a few)",
            [p for p in grid if JUST_OUTSIDE * z_high <= p.mean_degree < FAR_OUTSIDE * z_high],
            lambda p: theory.wilson_interval(p.global_count, p.realisations)[0] <= RARE,
            f"99% Wilson lower bound <= {RARE:g}"))
        checks.append(_points_check(
            f"{name}: no global cascades far above the window (z >= {FAR_OUTSIDE:g} z_high)",
            f"0 (z >= {FAR_OUTSIDE * z_high:.2f})",
            [p for p in grid if p.mean_degree >= FAR_OUTSIDE * z_high],
            lambda p: p.global_count == 0, "99% Wilson interval contains 0"))
    return checks
