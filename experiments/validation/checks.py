"""The validation checks: run the canonical configurations and compare with the literature.

Each check is a :class:`Check` row (case, literature value, model value, tolerance, pass).
:func:`run_all` runs the analytic checks, Watts (2002) and Gross et al. (2006) at the sizes of
a :class:`Plan` (:data:`QUICK` for CI, :data:`FULL` for the papers' sizes) and returns the rows
with the data behind the figures.

Every check takes what it compares with as an argument (an expected value, a
:class:`~spiral.experiments.validation.watts.WattsReference`, a
:class:`~spiral.experiments.validation.gross.GrossReference`), so the tests can hand it a wrong
reference and see it fail (tests/experiments/validation).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from spiral.experiments.validation.gross import GrossRun, gross_checks, gross_sweep
from spiral.experiments.validation.theory import Check
from spiral.experiments.validation.watts import CascadePoint, watts_checks, watts_sweep
from spiral.model.engine import ArrayEngine
from spiral.model.initial import ScriptedListing
from spiral.model.params import PARAMS, Params

__all__ = ["FULL", "PLANS", "QUICK", "Check", "Plan", "Results", "analytic_checks", "run_all"]


@dataclass(frozen=True)
class Plan:
    """Sizes of one validation run.

    Attributes:
        name: ``quick`` or ``full``.
        watts_n: Citizens in the Watts runs.
        watts_realisations: Realisations per (phi, z) point.
        watts_grid: Mean degrees z of the figure, per phi.
        gross_n: Citizens in the Gross sweep.
        gross_factors: Spread rates p as multiples of ``(r + w) / <k>``.
        gross_extra_factors: More multiples for the prevalence figure at w = 0.2.
        gross_duration_static: Time units simulated at w = 0.
        gross_duration_adaptive: Time units simulated at w > 0.
        gross_holding_n: Citizens in the bistable pair at w = 0.2 when ``gross_n`` is too
            small to hold the endemic state (at least 5,000).
        gross_holding_duration: Time units of that pair.
        gross_endemic_n: Citizens in the static-network endemic run.
        gross_endemic_duration: Time units of that run (about 17 relaxation times).
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
    gross_holding_n: int = 5000
    gross_holding_duration: float = 400.0
    gross_endemic_n: int = 20_000
    gross_endemic_duration: float = 9000.0


QUICK = Plan("quick", 2000, 100,
             {0.18: (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 5.25, 6.0, 7.0, 7.8),
              0.12: (0.5, 1.5, 3.0, 6.0, 8.0, 10.0, 11.0, 12.0, 14.4)},
             1000)
FULL = Plan("full", 10_000, 1000,
            {0.18: (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.25, 5.5,
                    6.0, 6.5, 7.0, 7.8),
             0.12: (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 10.5, 11.0,
                    12.0, 13.0, 14.4)},
            10_000, gross_holding_n=10_000, gross_holding_duration=1000.0)
PLANS = {"quick": QUICK, "full": FULL}


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


# --- analytic checks ------------------------------------------------------------------------
ANALYTIC_N = 400
ANALYTIC_SEED = 11
LISTING_MONTH = 5


def _params(n: int, **changes) -> Params:
    """A small-world town with no listings of its own and no tie changes unless asked."""
    base = dict(n_citizens=n, network="watts_strogatz", mean_degree=10.0, listing_rate=0.0,
                wrongful_rate=0.0, compliance_rate=0.0, denied_services=False,
                unfriend_rule="none", reconnect_rate=0.0, turnover_rate=0.0, ticks=20)
    return Params({**base, **changes})


def _paired_scores(params: Params, seed: int, target: int):
    """Score differences (without - with a listing of ``target``) by month; its friends."""
    with_listing = ArrayEngine(params, seed=seed, collect=False,
                               listings=[ScriptedListing(target, LISTING_MONTH)])
    without = ArrayEngine(params, seed=seed, collect=False)
    friends = with_listing.ties.incident(np.array([target]))[1]
    diffs = {}
    for _ in range(params.ticks):
        with_listing.step()
        without.step()
        diffs[with_listing.tick] = without.score - with_listing.score
    return diffs, np.unique(friends)


def listing_penalty_checks(n: int = ANALYTIC_N, seed: int = ANALYTIC_SEED, *,
                           penalty: float | None = None) -> list[Check]:
    """Network weight 0: a listing lowers the listed citizen's score by exactly the penalty.

    Paired runs with and without one scripted listing (same seed, so the same deeds); denied
    services off, so the listing's only effect on the listed citizen is the penalty.
    ``penalty`` is the expected drop (default: the parameter ``listing_penalty``).
    """
    params = _params(n, network_weight=0.0)
    expected = params.listing_penalty if penalty is None else penalty
    target = 7
    diffs, _ = _paired_scores(params, seed, target)
    drops = [float(d[target]) for t, d in diffs.items() if t >= LISTING_MONTH]
    others = max(float(np.abs(np.delete(d, target)).max()) for d in diffs.values())
    return [
        Check("Analytic: listing with network weight 0 lowers the listed citizen's score by",
              f"{expected:g} (listing_penalty)",
              f"{min(drops):g} to {max(drops):g} over {len(drops)} months", "exact",
              all(d == expected for d in drops)),
        Check("Analytic: largest score change of anyone else", "0", f"{others:g}", "exact",
              others == 0.0),
    ]


def network_term_check(n: int = ANALYTIC_N, seed: int = ANALYTIC_SEED, *, weight: float = 0.5,
                       expected=None, delay: int = 1) -> Check:
    """With network weight w a listing reaches the friends ``delay`` months later.

    The network term reads the friends' scores of the previous month, so in the month after
    the listing each friend f of the listed citizen (degree k_f, no ties lost) loses
    ``w * penalty / k_f`` before rounding to whole points (so within 1 point), and nobody
    else's score has moved. ``expected(weight, penalty, degree)`` gives the friends' loss.
    """
    expected = expected or (lambda w, pen, k: w * pen / k)
    params = _params(n, network_weight=weight)
    target = 7
    diffs, friends = _paired_scores(params, seed, target)
    k0 = ArrayEngine(params, seed=seed, collect=False).ties.degree[friends]
    want = expected(weight, params.listing_penalty, k0)
    month = LISTING_MONTH + delay
    off = float(np.abs(diffs[month][friends] - want).max())
    early = max((float(np.abs(diffs[t][friends]).max()) for t in range(LISTING_MONTH, month)),
                default=0.0)
    rest = np.setdiff1d(np.arange(params.n_citizens), np.append(friends, target))
    others = float(np.abs(diffs[month][rest]).max())
    return Check(f"Analytic: network weight {weight:g}: a listing lowers each friend's score "
                 f"{delay} month(s) later by",
                 "network_weight x listing_penalty / friend's degree",
                 f"largest deviation {off:.3f} over {friends.size} friends; before: "
                 f"{early:g}; anyone else: {others:g}", "< 1 point (rounding); others exact",
                 off < 1.0 and early == 0.0 and others == 0.0)


def weight_zero_events_check(n: int = ANALYTIC_N, seed: int = ANALYTIC_SEED,
                             ticks: int = 24, *, weight: float = 0.0) -> Check:
    """Network weight 0: unfriending and rewiring change ties but nobody's score.

    Paired runs with the default unfriending rule and random rewiring, and with unfriending
    off; listings, hearing and denied services on. With keyed draws both runs see the same
    deeds and court draws, and a listed citizen's deeds depend on the listing, not on ties,
    so every citizen's score must agree every month while the tie events differ. (With a
    ``weight`` above 0 the scores must differ: the tests use that to see the check fail.)
    """
    common = dict(network_weight=weight, listing_rate=0.01, wrongful_rate=0.005,
                  denied_services=True, hearing_prob=0.5, rewire="random",
                  reconnect_rate=0.05, ticks=ticks)
    a = ArrayEngine(_params(n, unfriend_rule=PARAMS["unfriend_rule"].default, **common),
                    seed=seed, collect=False)
    b = ArrayEngine(_params(n, **common), seed=seed, collect=False)
    same = 0
    for _ in range(ticks):
        a.step()
        b.step()
        same += bool(np.array_equal(a.score, b.score))
    events_a = Counter(a.data().events["event"])
    events_b = Counter(b.data().events["event"])
    return Check(f"Analytic: network weight {weight:g}: unfriending and rewiring change no score "
                 "(paired runs, unfriending on and off)",
                 "scores identical for every citizen, every month",
                 f"identical in {same} of {ticks} months; cuts {events_a['cut']} vs "
                 f"{events_b['cut']}, rewires {events_a['rewire']} vs {events_b['rewire']}",
                 "exact; the runs' tie events must differ",
                 same == ticks and events_a["cut"] > 0 and events_a["rewire"] > 0
                 and events_b["cut"] == 0)


def phase_order_check(n: int = ANALYTIC_N, seed: int = ANALYTIC_SEED, *,
                      delay: int = 0) -> Check:
    """A month runs court, hearing, unfriending in this order (docs/ODD.md section 3).

    With certain hearing, certain dropping (fear 1, unfriend_rate 1) and no rewiring, a listed
    citizen loses every friend ``delay`` months after the listing (0: in the same month).
    """
    params = _params(n, network_weight=0.0, unfriend_rule="listed", unfriend_rate=1.0,
                     fear_mean=1.0, hearing_prob=1.0, rewire="none", ticks=LISTING_MONTH + 2)
    target = 7
    engine = ArrayEngine(params, seed=seed, collect=False,
                         listings=[ScriptedListing(target, LISTING_MONTH)])
    degree = {0: int(engine.ties.degree[target])}
    for _ in range(params.ticks):
        engine.step()
        degree[engine.tick] = int(engine.ties.degree[target])
    month = LISTING_MONTH + delay
    kept = degree[month - 1]
    return Check("Analytic: order of a month (court, hearing, unfriending): with certain "
                 "hearing and dropping, a listed citizen loses every friend",
                 f"in month {month} (listed in month {LISTING_MONTH})",
                 "degree by month: " + ", ".join(f"{t}: {k}" for t, k in degree.items()
                                                  if t >= LISTING_MONTH - 1),
                 "exact", kept == degree[0] > 0 and degree[month] == 0)


def analytic_checks(n: int = ANALYTIC_N, seed: int = ANALYTIC_SEED) -> list[Check]:
    """Every analytic check at its default reference."""
    return [*listing_penalty_checks(n, seed), network_term_check(n, seed),
            weight_zero_events_check(n, seed), phase_order_check(n, seed)]


def run_all(plan: Plan, log=None) -> Results:
    """Run every check of the plan; ``log(text)`` is told of each finished point."""
    results = Results(plan)
    t0 = time.perf_counter()
    results.checks += analytic_checks()
    results.timings["analytic_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    results.watts = watts_sweep(plan, log)
    results.checks += watts_checks(results.watts)
    results.timings["watts_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    results.gross = gross_sweep(plan, log)
    results.checks += gross_checks(results.gross)
    results.timings["gross_s"] = time.perf_counter() - t0
    return results
