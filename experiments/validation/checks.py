"""The validation checks: run the canonical configurations and compare with the literature.

Each check is a :class:`Check` row (case, literature value, model value, tolerance, pass).
:func:`run_all` runs the analytic checks, Watts (2002) and Gross et al. (2006) at the sizes of
a :class:`Plan` (:data:`QUICK` for CI, :data:`FULL` for the papers' sizes) and returns the rows
with the data behind the figures.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np
from spiral.experiments.validation import theory
from spiral.experiments.validation.gross import GrossRun, gross_run
from spiral.experiments.validation.watts import CascadePoint, cascade_point
from spiral.model.engine import ArrayEngine
from spiral.model.initial import ScriptedListing
from spiral.model.params import Params
from spiral.model.streams import run_seed

Z99 = 2.576  # two-sided 99% normal quantile
WATTS_SEED = 2002
GROSS_SEED = 2006
FAR_OUTSIDE = 1.35  # "far outside": z >= 1.35 z_high (finite-size shift of the upper edge)


@dataclass(frozen=True)
class Plan:
    """Sizes of one validation run.

    Attributes:
        name: ``quick`` or ``full``.
        watts_n: Citizens in the Watts runs.
        watts_realisations: Realisations per (phi, z) point.
        watts_grid: Mean degrees z of the figure, per phi.
        gross_n: Citizens in the Gross runs.
        gross_factors: Spread rates p as multiples of the invasion threshold.
        gross_extra_factors: More multiples for the prevalence figure at w = 0.2.
        gross_duration_static: Time units simulated at w = 0.
        gross_duration_adaptive: Time units simulated at w > 0.
    """

    name: str
    watts_n: int
    watts_realisations: int
    watts_grid: dict[float, tuple[float, ...]]
    gross_n: int
    gross_factors: tuple[float, ...] = (0.5, 0.8, 1.25, 2.0)
    gross_extra_factors: tuple[float, ...] = (0.05, 0.2)
    gross_duration_static: float = 3000.0
    gross_duration_adaptive: float = 1000.0


QUICK = Plan("quick", 2000, 100,
             {0.18: (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 5.25, 6.0, 7.0, 7.8),
              0.12: (0.5, 1.5, 3.0, 6.0, 8.0, 10.0, 11.0, 12.0, 14.4)},
             1000)
FULL = Plan("full", 10_000, 1000,
            {0.18: (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.25, 5.5,
                    6.0, 6.5, 7.0, 7.8),
             0.12: (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 10.5, 11.0,
                    12.0, 13.0, 14.4)},
            10_000)
PLANS = {"quick": QUICK, "full": FULL}

# Gross et al. (2006): mean degree, recovery rate, rewiring rates, starting shares.
GROSS_MEAN_DEGREE = 20.0
GROSS_FADE = 0.002
GROSS_REWIRING = (0.0, 0.04, 0.2)
BISTABLE_REWIRING = 0.2
BISTABLE_FACTOR = 0.5
LOW_START = 0.02
HIGH_START = 0.8
INTERIOR_Z = {0.18: 3.0, 0.12: 6.0}
EDGE_Z = {0.18: 5.25, 0.12: 10.0}


@dataclass
class Check:
    """One row of the comparison table."""

    case: str
    literature: str
    model: str
    tolerance: str
    passed: bool

    def as_row(self) -> dict[str, str]:
        """The row as strings, for CSV and Markdown."""
        return {"case": self.case, "literature": self.literature, "model": self.model,
                "tolerance": self.tolerance, "result": "pass" if self.passed else "FAIL"}


@dataclass
class Results:
    """Everything a validation run produced."""

    plan: Plan
    checks: list[Check] = field(default_factory=list)
    watts: list[CascadePoint] = field(default_factory=list)
    gross: list[GrossRun] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return all(c.passed for c in self.checks)


# --- analytic checks -------------------------------------------------------------------------
def analytic_checks(n: int = 400, seed: int = 11) -> list[Check]:
    """Network weight 0 and no unfriending: a listing costs exactly the penalty, only its target.

    Runs the model with and without one scripted listing (same seed) and compares every
    citizen's score every month; then runs the bundled ``no-feedback`` scenario with its paired
    counterfactual and reads the amplification. Denied services are off so that the listing's
    only effect on the listed citizen is the penalty.
    """
    from spiral.experiments.runs.runner import run_scenario
    from spiral.experiments.runs.scenario import load_scenario

    params = Params(n_citizens=n, network="watts_strogatz", mean_degree=10.0,
                    network_weight=0.0, unfriend_rule="none", denied_services=False,
                    listing_rate=0.0, wrongful_rate=0.0, compliance_rate=0.0, ticks=20)
    target, tick = 7, 5
    with_listing = ArrayEngine(params, seed=seed, listings=[ScriptedListing(target, tick)],
                               collect=False)
    without = ArrayEngine(params, seed=seed, collect=False)
    target_diffs, others_max = [], 0.0
    for _ in range(params.ticks):
        with_listing.step()
        without.step()
        diff = without.score - with_listing.score
        if with_listing.tick >= tick:
            target_diffs.append(float(diff[target]))
        others_max = max(others_max, float(np.abs(np.delete(diff, target)).max()))
    exact = all(d == params.listing_penalty for d in target_diffs)
    checks = [
        Check("Analytic: listing with network weight 0 lowers the listed citizen's score by",
              f"{params.listing_penalty:g} (listing_penalty)",
              f"{min(target_diffs):g} to {max(target_diffs):g} over {len(target_diffs)} months",
              "exact", exact),
        Check("Analytic: largest score change of anyone else", "0",
              f"{others_max:g}", "exact", others_max == 0.0),
    ]
    scenario = load_scenario("no-feedback").with_changes(n_citizens=n, ticks=30, cohort_tick=6,
                                                         cohort_share=0.02)
    amp = run_scenario(scenario, paired=True).summary.get("amplification_12m")
    checks.append(Check("Analytic: amplification at 12 months without feedback "
                        "(no-feedback scenario)", "1", "n/a" if amp is None else f"{amp:g}",
                        "exact", amp is not None and not math.isnan(amp) and amp == 1.0))
    return checks


# --- Watts (2002) ------------------------------------------------------------------------------
def watts_sweep(plan: Plan, progress=None) -> list[CascadePoint]:
    """All (phi, z) points of the plan."""
    out, point = [], 0
    for phi, grid in plan.watts_grid.items():
        for z in grid:
            out.append(cascade_point(n=plan.watts_n, mean_degree=z, phi=phi,
                                     realisations=plan.watts_realisations, seed=WATTS_SEED,
                                     point=point))
            point += 1
            if progress:
                progress(f"Watts phi={phi:g} z={z:g}: global cascades "
                         f"{out[-1].global_count}/{out[-1].realisations}")
    return out


def _fmt_share(count: int, trials: int) -> str:
    low, high = theory.wilson_interval(count, trials)
    return f"{count / trials:.3f} [{low:.3f}, {high:.3f}]"


def watts_checks(points: list[CascadePoint], plan: Plan) -> list[Check]:
    """Window edges, frequency and size of global cascades against the analytic results."""
    by_key = {(p.phi, p.mean_degree): p for p in points}
    checks = []
    for phi in plan.watts_grid:
        low_edge, high_edge = theory.cascade_window(phi)
        name = f"Watts phi={phi:g}"
        z_in = INTERIOR_Z[phi]
        p = by_key[(phi, z_in)]
        expected = theory.cascade_frequency(z_in, phi)
        low, high = theory.wilson_interval(p.global_count, p.realisations)
        checks.append(Check(f"{name}: frequency of global cascades at z={z_in:g}",
                            f"{expected:.3f} (extended vulnerable cluster)",
                            _fmt_share(p.global_count, p.realisations),
                            "99% Wilson interval", low <= expected <= high))
        size = theory.cascade_size(z_in, phi)
        half = Z99 * p.sd_global_size / math.sqrt(max(p.global_count, 1)) + 1 / math.sqrt(
            plan.watts_n)
        checks.append(Check(f"{name}: mean size of global cascades at z={z_in:g}",
                            f"{size:.3f} (tree recursion)", f"{p.mean_global_size:.3f}",
                            f"+-{half:.3f} (99% CI of the mean + 1/sqrt(n))",
                            abs(p.mean_global_size - size) <= half))
        below = by_key[(phi, 0.5)]
        checks.append(Check(f"{name}: lower window edge (no global cascades at z=0.5)",
                            f"z_low = {low_edge:.3f}; frequency 0 below",
                            _fmt_share(below.global_count, below.realisations),
                            "99% Wilson interval contains 0", below.global_count == 0))
        z_edge = EDGE_Z[phi]
        near = by_key[(phi, z_edge)]
        checks.append(Check(f"{name}: cascades just inside the upper edge (z={z_edge:g})",
                            f"z_high = {high_edge:.3f}; frequency "
                            f"{theory.cascade_frequency(z_edge, phi):.3f} at z={z_edge:g}",
                            _fmt_share(near.global_count, near.realisations),
                            "99% Wilson lower bound > 0",
                            theory.wilson_interval(near.global_count, near.realisations)[0] > 0))
        z_far = max(z for z in plan.watts_grid[phi])
        far = by_key[(phi, z_far)]
        checks.append(Check(f"{name}: no global cascades far above the window (z={z_far:g})",
                            f"0 (z >= {FAR_OUTSIDE:g} z_high = {FAR_OUTSIDE * high_edge:.2f})",
                            _fmt_share(far.global_count, far.realisations),
                            "99% Wilson interval contains 0", far.global_count == 0))
    return checks


# --- Gross et al. (2006) -----------------------------------------------------------------------
def _gross(plan: Plan, *, rewiring: float, factor: float, start: float, point: int,
           replicate: int = 0) -> GrossRun:
    p_inv = theory.invasion_threshold(spread_fade=GROSS_FADE, rewiring=rewiring,
                                      mean_degree=GROSS_MEAN_DEGREE)
    duration = plan.gross_duration_static if rewiring == 0 else plan.gross_duration_adaptive
    return gross_run(n=plan.gross_n, mean_degree=GROSS_MEAN_DEGREE, spread=factor * p_inv,
                     fade=GROSS_FADE, rewiring=rewiring, start_share=start, duration=duration,
                     seed=run_seed(GROSS_SEED, point, replicate))


def gross_sweep(plan: Plan, progress=None) -> list[GrossRun]:
    """Low starts at every factor and rewiring rate; high starts for the prevalence figure."""
    runs, point = [], 0
    for w in GROSS_REWIRING:
        factors = plan.gross_factors + (plan.gross_extra_factors if w == BISTABLE_REWIRING
                                        else ())
        for factor in sorted(factors):
            for start in (LOW_START, HIGH_START):
                if start == HIGH_START and w == GROSS_REWIRING[1]:
                    continue  # the figure shows both starts for w = 0 and w = 0.2
                runs.append(_gross(plan, rewiring=w, factor=factor, start=start, point=point))
                point += 1
                if progress:
                    r = runs[-1]
                    progress(f"Gross w={w:g} p={r.spread:.3g} start={start:g}: prevalence "
                             f"{r.final_prevalence:.3f}")
    return runs


def invaded(run: GrossRun) -> bool | None:
    """True: the low start took hold (> 10x its start); False: it shrank; None: undecided."""
    if run.final_prevalence > 10 * run.start_share:
        return True
    if run.final_prevalence < run.start_share:
        return False
    return None


def gross_checks(runs: list[GrossRun]) -> list[Check]:
    """Invasion thresholds against w, the static case, and bistability at w = 0.2."""
    checks, brackets = [], []
    for w in GROSS_REWIRING:
        p_inv = theory.invasion_threshold(spread_fade=GROSS_FADE, rewiring=w,
                                          mean_degree=GROSS_MEAN_DEGREE)
        low = sorted((r for r in runs if r.rewiring == w and r.start_share == LOW_START
                      and r.spread >= 0.5 * p_inv * (1 - 1e-9)), key=lambda r: r.spread)
        died = [r.spread for r in low if invaded(r) is False]
        took = [r.spread for r in low if invaded(r) is True]
        below, above = (max(died) if died else math.nan), (min(took) if took else math.nan)
        consistent = bool(died and took) and max(died) < min(took)
        ok = consistent and below < p_inv < above
        brackets.append((below, above))
        label = "static network" if w == 0 else f"w={w:g}"
        checks.append(Check(f"Gross {label}: invasion threshold p (low start {LOW_START:g})",
                            f"{p_inv:.3g} = (r + w)/<k>",
                            f"between {below:.3g} (dies out) and {above:.3g} (invades)",
                            "threshold inside the bracket of the scan", ok))
    rising = all(a[1] <= b[0] for a, b in itertools.pairwise(brackets))
    checks.append(Check("Gross: invasion threshold rises with w (w = "
                        + ", ".join(f"{w:g}" for w in GROSS_REWIRING) + ")",
                        "rises (linear in w)",
                        "; ".join(f"[{a:.3g}, {b:.3g}]" for a, b in brackets),
                        "brackets ordered and disjoint", rising))
    p_inv = theory.invasion_threshold(spread_fade=GROSS_FADE, rewiring=BISTABLE_REWIRING,
                                      mean_degree=GROSS_MEAN_DEGREE)
    p = BISTABLE_FACTOR * p_inv
    same = [r for r in runs if r.rewiring == BISTABLE_REWIRING and math.isclose(r.spread, p)]
    low = next(r for r in same if r.start_share == LOW_START)
    high = next(r for r in same if r.start_share == HIGH_START)
    p_per = theory.persistence_threshold(fade=GROSS_FADE, rewiring=BISTABLE_REWIRING,
                                         mean_degree=GROSS_MEAN_DEGREE)
    saddle, stable = theory.endemic_branches(p, fade=GROSS_FADE, rewiring=BISTABLE_REWIRING,
                                             mean_degree=GROSS_MEAN_DEGREE)
    checks.append(Check(f"Gross w={BISTABLE_REWIRING:g}, p={p:.3g}: bistability, low start "
                        f"{LOW_START:g} dies out",
                        f"dies out (p_per={p_per:.2g} < p < p_inv={p_inv:.3g}; "
                        f"saddle at {saddle:.2f})",
                        f"{low.final_prevalence:.4f}", f"below the start {LOW_START:g}",
                        invaded(low) is False))
    checks.append(Check(f"Gross w={BISTABLE_REWIRING:g}, p={p:.3g}: bistability, high start "
                        f"{HIGH_START:g} persists",
                        f"persists (stable endemic state {stable:.3f})",
                        f"{high.final_prevalence:.4f} (ties lost: "
                        f"{high.ties_lost_share:.3f})",
                        f"above 10 x low start = {10 * LOW_START:g}",
                        high.final_prevalence > 10 * LOW_START))
    return checks


def run_all(plan: Plan, progress=None) -> Results:
    """Run every check of the plan; ``progress(text)`` is told of each finished point."""
    results = Results(plan)
    t0 = time.perf_counter()
    results.checks += analytic_checks()
    results.timings["analytic_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    results.watts = watts_sweep(plan, progress)
    results.checks += watts_checks(results.watts, plan)
    results.timings["watts_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    results.gross = gross_sweep(plan, progress)
    results.checks += gross_checks(results.gross)
    results.timings["gross_s"] = time.perf_counter() - t0
    return results
