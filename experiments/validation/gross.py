"""Gross, Dommar D'Lima & Blasius (2006) as a configuration of the blacklist spiral model.

Stigma is a contagion with recovery (``stigma_rule = "contagion"``): each month every tie
from a marked to an unmarked citizen passes the stigma with probability ``stigma_spread``; a
stigmatised citizen loses it with probability ``stigma_fade``; an unmarked citizen drops a
stigmatised friend with probability ``unfriend_rate`` (``fear_mean = 1``, so every fear is 1)
and befriends a random unmarked citizen instead (``rewire = "random"``). Nobody is listed,
scores play no part, and the model's own tie turnover and reconnection are off. This is the
SIS model on an adaptive network with infection p, recovery r and rewiring w.

Time step. The paper's rates are per unit of continuous time; one tick of the engine lasts
``dt`` units and each rate becomes the per-tick probability ``1 - exp(-rate * dt)`` (the
chance of at least one event of a Poisson process of that rate within ``dt``). ``dt`` is
chosen per rewiring rate so that every per-tick probability stays small:
``dt = 0.1 / max(w, 5 r)`` (w = 0.2: dt = 0.5; w = 0.04: dt = 2.5; w = 0: dt = 10).
Within a tick spreading and fading are synchronous, then rewiring (see docs/ODD.md).

Conserved ties. Gross et al. rewire every dropped S-I tie to a random susceptible, so the
number of ties is conserved. The model draws ``rewire_attempts`` candidates among the
unmarked citizens; a proposal that collides with another one of the same month falls back to
its next candidate, so a tie is lost only when no candidate is left (a failure the engine
counts as ``rewire_failures``). A run reports the mean degree at its start and end, the
failures, and how many new ties touched a marked citizen (0 by the rule).

Example:
    >>> run = gross_run(n=300, mean_degree=10, spread=0.02, fade=0.002, rewiring=0.0,
    ...                 start_share=0.1, duration=50, seed=1)
    >>> 0.0 <= run.final_prevalence <= 1.0
    True
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from spiral.experiments.validation import theory
from spiral.model.engine import ArrayEngine
from spiral.model.params import Params
from spiral.model.streams import run_seed

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
        rewire="random", rewire_attempts=REWIRE_ATTEMPTS,
        reconnect_rate=0.0, turnover_rate=0.0)


@dataclass
class GrossRun:
    """Outcome of one run.

    Attributes:
        n: Citizens.
        spread, fade, rewiring: The rates p, r, w (per unit time).
        start_share: Stigmatised share at the start.
        final_prevalence: Stigmatised share at the end.
        times: Sample times (paper's units).
        prevalence: Stigmatised share at those times.
        ties_lost_share, ties_lost: Share and number of the starting ties lost by the end.
        dt: Length of a tick.
        ticks: Ticks simulated.
        mean_degree_start, mean_degree_end: Realised mean degree at the start and the end.
        rewire_failures: Dropped ties whose replacement found no candidate (None if the
            engine does not count them).
        rewired: New ties made to replace dropped ones.
        rewired_to_marked: Of those, ties with a marked citizen at either end (0 by the rule).
        window_mean, window_sd: Mean and standard deviation of the prevalence over the second
            half of the run (every tick); 0 if the stigma died out.
        window_span: Length of that half in time units (0 if the stigma died out).
    """

    n: int
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
    mean_degree_start: float = math.nan
    mean_degree_end: float = math.nan
    rewire_failures: int | None = None
    rewired: int = 0
    rewired_to_marked: int = 0
    window_mean: float = 0.0
    window_sd: float = 0.0
    window_span: float = 0.0
    ties_lost: int = 0


def _watch_rewiring(engine: ArrayEngine) -> list[int]:
    """Count new ties, and those touching a marked citizen (seen as the rewiring saw them)."""
    counts = [0, 0]
    record = engine.recorder.rewires

    def counting(tick, citizens, new_friends, how):
        marked = engine.stigmatised | engine.listed
        citizens = np.asarray(citizens, dtype=np.int64)
        new_friends = np.asarray(new_friends, dtype=np.int64).ravel()
        counts[0] += citizens.size
        counts[1] += int(np.count_nonzero(marked[citizens] | marked[new_friends]))
        record(tick, citizens, new_friends, how)

    engine.recorder.rewires = counting
    return counts


def gross_run(*, n: int, mean_degree: float, spread: float, fade: float, rewiring: float,
              start_share: float, duration: float, seed: int, samples: int = 50) -> GrossRun:
    """Run the adaptive SIS configuration for ``duration`` time units (or until no stigma)."""
    dt = time_step(rewiring, fade)
    params = gross_params(n=n, mean_degree=mean_degree, spread=spread, fade=fade,
                          rewiring=rewiring, start_share=start_share, dt=dt)
    engine = ArrayEngine(params, seed=seed, collect=False)
    counts = _watch_rewiring(engine)
    ties_start = engine.ties.n_ties
    ticks = max(1, int(round(duration / dt)))
    every = max(1, ticks // samples)
    times, prevalence = [0.0], [float(engine.stigmatised.mean())]
    second_half = []
    for tick in range(1, ticks + 1):
        engine.step()
        share = float(engine.stigmatised.mean())
        if tick > ticks // 2:
            second_half.append(share)
        if tick % every == 0 or tick == ticks:
            times.append(tick * dt)
            prevalence.append(share)
        if share == 0.0:
            times.append(ticks * dt)
            prevalence.append(0.0)
            break
    died = prevalence[-1] == 0.0
    window = np.array(second_half if not died else [0.0])
    lost = (ties_start - engine.ties.n_ties) / max(ties_start, 1)
    failures = getattr(engine, "rewire_failures", None)
    return GrossRun(n, spread, fade, rewiring, start_share, prevalence[-1], np.array(times),
                    np.array(prevalence), float(lost), dt, tick,
                    mean_degree_start=2 * ties_start / n,
                    mean_degree_end=2 * engine.ties.n_ties / n,
                    rewire_failures=None if failures is None else int(failures),
                    rewired=counts[0], rewired_to_marked=counts[1],
                    window_mean=float(window.mean()), window_sd=float(window.std()),
                    window_span=0.0 if died else len(second_half) * dt,
                    ties_lost=int(ties_start - engine.ties.n_ties))


# --- the sweep and the checks of ``spiral validate`` ----------------------------------------
GROSS_SEED = 2006
GROSS_MEAN_DEGREE = 20.0
GROSS_FADE = 0.002
GROSS_REWIRING = (0.0, 0.04, 0.2)
BISTABLE_REWIRING = 0.2
BISTABLE_FACTOR = 0.5
ENDEMIC_FACTOR = 2.0  # static network: p = 2 (r / <k>), endemic prevalence 0.4875
LOW_START = 0.02
HIGH_START = 0.8
# Smallest N whose few susceptibles can hold the S-S ties of the stable state at w = 0.2,
# p = 0.00505 (l_SS = (r + w) s / (2p) ties per citizen among s N susceptibles: at N = 1,000
# about 22 susceptibles would need about 436 ties, at most 231 are possible).
HOLDING_N = 5000
# The pair approximation neglects the degree spread and the clustering of the susceptibles:
# in the model the endemic prevalence sits 0.005-0.009 below it at w = 0.2 (N = 5,000-10,000,
# dt = 0.25-0.5) and within 0.002 at w = 0 (N = 20,000); allowed on top of the fluctuations.
PAIR_APPROXIMATION_ALLOWANCE = 0.01
Z99 = 2.576


def spread_at(factor: float, rewiring: float) -> float:
    """The sweep's spread rate: a multiple of ``(r + w) / <k>`` (fixed by design)."""
    return factor * (GROSS_FADE + rewiring) / GROSS_MEAN_DEGREE


@dataclass(frozen=True)
class GrossReference:
    """What the checks compare the runs with; built from the theory, replaceable in tests.

    Attributes:
        invasion: ``w -> p_inv``.
        persistence: ``w -> p_per``.
        branches: ``(p, w) -> (saddle, stable)`` endemic prevalences (None where absent).
    """

    invasion: Callable[[float], float]
    persistence: Callable[[float], float]
    branches: Callable[[float, float], tuple[float | None, float | None]]


def pair_approximation() -> GrossReference:
    """The corrected pair approximation of :mod:`spiral.experiments.validation.theory`."""
    k, r = GROSS_MEAN_DEGREE, GROSS_FADE
    return GrossReference(
        invasion=lambda w: theory.invasion_threshold(fade=r, rewiring=w, mean_degree=k),
        persistence=lambda w: theory.persistence_threshold(fade=r, rewiring=w, mean_degree=k),
        branches=lambda p, w: theory.endemic_branches(p, fade=r, rewiring=w, mean_degree=k))


def gross_sweep(plan, log=None) -> list[GrossRun]:
    """Every run of the plan: low starts at every factor and w; high starts where N holds them.

    High starts at w = 0.2 in the sweep only where ``plan.gross_n >= HOLDING_N``; otherwise the
    bistable pair runs at ``plan.gross_holding_n`` (the high start for
    ``plan.gross_holding_duration``: it settles within 100 time units). The static endemic run
    (w = 0, high start, p = 2 r / <k>) runs at ``plan.gross_endemic_n`` for
    ``plan.gross_endemic_duration``.
    """
    jobs = []
    for w in GROSS_REWIRING:
        extra = plan.gross_extra_factors if w == BISTABLE_REWIRING else ()
        for factor in sorted(plan.gross_factors + extra):
            jobs.append((plan.gross_n, w, factor, LOW_START, None))
            if w == 0.0 or (w == BISTABLE_REWIRING and plan.gross_n >= HOLDING_N):
                jobs.append((plan.gross_n, w, factor, HIGH_START, None))
    if plan.gross_n < HOLDING_N:  # the low start needs the full time to die out (1/r = 500)
        jobs.append((plan.gross_holding_n, BISTABLE_REWIRING, BISTABLE_FACTOR, LOW_START, None))
        jobs.append((plan.gross_holding_n, BISTABLE_REWIRING, BISTABLE_FACTOR, HIGH_START,
                     plan.gross_holding_duration))
    jobs.append((plan.gross_endemic_n, 0.0, ENDEMIC_FACTOR, HIGH_START,
                 plan.gross_endemic_duration))
    runs = []
    for point, (n, w, factor, start, duration) in enumerate(jobs):
        if duration is None:
            duration = plan.gross_duration_static if w == 0 else plan.gross_duration_adaptive
        runs.append(gross_run(n=n, mean_degree=GROSS_MEAN_DEGREE, spread=spread_at(factor, w),
                              fade=GROSS_FADE, rewiring=w, start_share=start,
                              duration=duration, seed=run_seed(GROSS_SEED, point, 0)))
        if log:
            log(f"Gross N={n} w={w:g} p={runs[-1].spread:.3g} start={start:g}: "
                     f"prevalence {runs[-1].final_prevalence:.3f}")
    return runs


def invaded(run: GrossRun) -> bool | None:
    """True: the start took hold (> 10x its start); False: it shrank; None: undecided."""
    if run.final_prevalence > 10 * run.start_share:
        return True
    if run.final_prevalence < run.start_share:
        return False
    return None


def _largest(runs, w: float, factor: float, start: float) -> GrossRun | None:
    same = [r for r in runs if r.rewiring == w and r.start_share == start
            and math.isclose(r.spread, spread_at(factor, w))]
    return max(same, key=lambda r: (r.n, r.window_span), default=None)


def invasion_checks(runs, ref: GrossReference) -> list[theory.Check]:
    """Invasion threshold inside the bracket of the low-start scan, for each w; rising in w."""
    checks, brackets = [], []
    for w in GROSS_REWIRING:
        p_inv = ref.invasion(w)
        low = [r for r in runs if r.rewiring == w and r.start_share == LOW_START]
        died = [r.spread for r in low if invaded(r) is False]
        took = [r.spread for r in low if invaded(r) is True]
        below, above = (max(died) if died else math.nan), (min(took) if took else math.nan)
        ok = bool(died and took) and below < p_inv < above
        brackets.append((below, above))
        label = "static network" if w == 0 else f"w={w:g}"
        checks.append(theory.Check(
            f"Gross {label}: invasion threshold p (low start {LOW_START:g})",
            f"{p_inv:.3g} = (r + w)/<k>",
            f"between {below:.3g} (dies out) and {above:.3g} (invades)",
            "threshold inside the bracket of the scan", ok))
    rising = all(a[1] <= b[0] for a, b in itertools.pairwise(brackets))
    checks.append(theory.Check(
        "Gross: invasion threshold rises with w (w = " + ", ".join(f"{w:g}" for w in
                                                              GROSS_REWIRING) + ")",
        "rises (linear in w)", "; ".join(f"[{a:.3g}, {b:.3g}]" for a, b in brackets),
        "brackets ordered and disjoint", rising))
    return checks


def endemic_check(case: str, run: GrossRun | None, stable: float | None) -> theory.Check:
    """A run's time-averaged prevalence against a stable endemic state of the reference.

    Tolerance: :data:`PAIR_APPROXIMATION_ALLOWANCE` plus 2.576 standard errors of the time
    average over the run's second half: its standard deviation there, and as correlation time
    the slowest relaxation time of the moment equations at their stable state for the run's
    p and w (a property of the dynamics, whatever the reference compared with).
    """
    if run is None or stable is None:
        return theory.Check(case, "no stable endemic state" if stable is None else
                            f"{stable:.3f}", "no run", "", False)
    k = GROSS_MEAN_DEGREE
    own = theory.endemic_branches(run.spread, fade=run.fade, rewiring=run.rewiring,
                                  mean_degree=k)[1]
    tau = run.window_span if own is None else theory.relaxation_time(
        own, spread=run.spread, fade=run.fade, rewiring=run.rewiring, mean_degree=k)
    error = theory.time_average_error(run.window_sd, run.window_span, tau)
    tol = PAIR_APPROXIMATION_ALLOWANCE + Z99 * error
    t1 = run.ticks * run.dt
    return theory.Check(
        case, f"{stable:.4f} (stable state of the pair approximation)",
        f"{run.window_mean:.4f} (mean over t = {t1 - run.window_span:g}..{t1:g}, "
        f"sd {run.window_sd:.4f}, N = {run.n:,})",
        f"+-{tol:.4f} = {PAIR_APPROXIMATION_ALLOWANCE:g} (pair approximation) + 2.576 x "
        f"{error:.4f} (time average, correlation time {tau:.0f})",
        run.window_span > 0 and abs(run.window_mean - stable) <= tol)


def bistability_checks(runs, ref: GrossReference) -> list[theory.Check]:
    """At w = 0.2, p = 0.5 (r + w)/<k>: the low start dies out, the high start holds."""
    def _none(x):
        return "none" if x is None else f"{x:.3f}"

    w, p = BISTABLE_REWIRING, spread_at(BISTABLE_FACTOR, BISTABLE_REWIRING)
    low = _largest(runs, w, BISTABLE_FACTOR, LOW_START)
    high = _largest(runs, w, BISTABLE_FACTOR, HIGH_START)
    saddle, stable = ref.branches(p, w)
    p_per, p_inv = ref.persistence(w), ref.invasion(w)
    low_dies = stable is None or (saddle is not None and saddle > LOW_START)
    seen = None if low is None else invaded(low)
    checks = [theory.Check(
        f"Gross w={w:g}, p={p:.3g}: bistability, low start {LOW_START:g}",
        f"{'dies out' if low_dies else 'invades'} (p_per={p_per:.3g}, p_inv={p_inv:.3g}; "
        f"saddle at {_none(saddle)})",
        "no run" if low is None else f"{low.final_prevalence:.4f} (N = {low.n:,})",
        "below the start" if low_dies else "above 10 x the start",
        seen is (not low_dies))]
    case = f"Gross w={w:g}, p={p:.3g}: bistability, high start {HIGH_START:g} holds"
    if stable is not None and (saddle is None or saddle < HIGH_START):
        checks.append(endemic_check(case, high, stable))
    else:  # the reference expects the high start to die out
        checks.append(theory.Check(case, f"dies out (saddle {_none(saddle)}, stable "
                                   f"{_none(stable)})", _none(high and high.final_prevalence),
                                   "below the start", high is not None and invaded(high)
                                   is False))
    return checks


def conservation_checks(runs) -> list[theory.Check]:
    """Rewiring conserves ties (failures counted) and befriends only unmarked citizens."""
    high = _largest(runs, BISTABLE_REWIRING, BISTABLE_FACTOR, HIGH_START)
    case = (f"Gross w={BISTABLE_REWIRING:g}: ties conserved by rewiring (high start, "
            f"N = {high.n if high else 0:,})")
    if high is None or high.rewire_failures is None:
        checks = [theory.Check(case, "mean degree kept", "n/a", "", True,
                               skipped="the engine does not count failed rewirings "
                               "(no rewire_failures)")]
    else:
        same = round(high.mean_degree_end, 1) == round(high.mean_degree_start, 1)
        counted = high.ties_lost == high.rewire_failures
        checks = [theory.Check(
            case, "mean degree kept; every lost tie a counted failure",
            f"<k> {high.mean_degree_start:.3f} -> {high.mean_degree_end:.3f}; ties lost "
            f"{high.ties_lost}, failed rewirings {high.rewire_failures} of "
            f"{high.rewired + high.rewire_failures:,} replacements",
            "equal to 0.1; lost = failures", same and counted)]
    adaptive = [r for r in runs if r.rewiring > 0]
    made = sum(r.rewired for r in adaptive)
    bad = sum(r.rewired_to_marked for r in adaptive)
    checks.append(theory.Check(
        "Gross: rewired ties join two unmarked citizens (all runs with w > 0)",
        "0 ties touching a stigmatised citizen", f"{bad} of {made:,} new ties", "exact",
        made > 0 and bad == 0))
    return checks


def gross_checks(runs, reference: GrossReference | None = None) -> list[theory.Check]:
    """Every Gross check; ``reference`` defaults to :func:`pair_approximation`."""
    ref = reference or pair_approximation()
    endemic = _largest(runs, 0.0, ENDEMIC_FACTOR, HIGH_START)
    p = spread_at(ENDEMIC_FACTOR, 0.0)
    return [*invasion_checks(runs, ref),
            endemic_check(f"Gross static network, p={p:.3g}: endemic prevalence "
                          f"(high start {HIGH_START:g})", endemic, ref.branches(p, 0.0)[1]),
            *bistability_checks(runs, ref), *conservation_checks(runs)]
