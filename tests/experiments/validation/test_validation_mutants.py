"""Model mutants: each wrong model is caught by a named validation check.

:data:`MUTANTS` is the one list to adapt when the model's code moves: each entry names a
mistake, the function that plants it (monkeypatching a public rule of
:mod:`spiral.model.rules`, a phase of :class:`~spiral.model.engine.ArrayEngine`, the engine's
random draws, or the theory) and the check that must catch it. A patch point that no longer
exists fails loudly (``monkeypatch.setattr`` raises), so a refactoring cannot silently turn a
mutant into the correct model.

Every check runs here at small sizes (about 20 s in all); the same check must pass on the
correct model (:func:`test_the_catching_check_passes_on_the_correct_model`), so a check that
always fails cannot pass for catching a mutant.
"""

from functools import cache

import numpy as np
import pytest
from spiral.experiments.validation import checks, gross, theory, watts
from spiral.model import engine as engine_module
from spiral.model import rules
from spiral.model.engine import ArrayEngine

N = 200  # citizens in the analytic checks


# --- the checks that catch them (each returns one Check) --------------------------------------
def listing_penalty():
    return checks.listing_penalty_checks(N)[0]


def network_term():
    return checks.network_term_check(N)


def phase_order():
    return checks.phase_order_check(N)


def weight_zero_scores():
    return checks.weight_zero_events_check(N, ticks=12)


def rewired_ties_unmarked():
    run = gross.gross_run(n=600, mean_degree=20, spread=gross.spread_at(2.0, 0.2),
                          fade=gross.GROSS_FADE, rewiring=0.2, start_share=0.3, duration=100,
                          seed=3)
    return gross.conservation_checks([run])[-1]


def static_endemic_prevalence():
    run = gross.gross_run(n=5000, mean_degree=gross.GROSS_MEAN_DEGREE,
                          spread=gross.spread_at(gross.ENDEMIC_FACTOR, 0.0),
                          fade=gross.GROSS_FADE, rewiring=0.0, start_share=gross.HIGH_START,
                          duration=4000, seed=5)
    p = run.spread
    return gross.endemic_check("static endemic", run,
                               gross.pair_approximation().branches(p, 0.0)[1])


def watts_upper_edge():
    points = [watts.cascade_point(n=2000, mean_degree=z, phi=0.18, realisations=40, seed=9,
                                  point=k) for k, z in enumerate((5.0, 5.25))]
    rows = watts.watts_checks(points)
    return next(c for c in rows if "just inside the upper edge" in c.case)


CATCHERS = {f.__name__: f for f in (listing_penalty, network_term, phase_order,
                                    weight_zero_scores, rewired_ties_unmarked,
                                    static_endemic_prevalence, watts_upper_edge)}


# --- the mutants ----------------------------------------------------------------------------
def penalty_sign_flipped(mp):
    original = rules.penalty
    mp.setattr(rules, "penalty", lambda *a, **k: -original(*a, **k))


def network_term_skipped(mp):
    original = rules.combine_score
    mp.setattr(rules, "combine_score", lambda **k: original(**{**k, "social": k["own"]}))


def court_and_hearing_swapped(mp):
    court, hearing = ArrayEngine._court, ArrayEngine._hearing
    mp.setattr(ArrayEngine, "_court", hearing)
    mp.setattr(ArrayEngine, "_hearing", court)


def one_sequential_stream(mp):
    """Every phase draws in turn from one sequential stream per run (draws fall out of step
    between runs that cut different ties).
    """
    streams = {}

    def sequential(key, phase, month, *words):
        shape = np.broadcast_shapes(*(np.shape(w) for w in words))
        rng = streams.setdefault(int(key), np.random.default_rng(int(key) % 2**63))
        return rng.random(shape)

    mp.setattr(engine_module, "uniform", sequential)


def rewiring_ignores_risk(mp):
    """The rewiring phase sees nobody as marked (candidates drawn among everyone)."""
    original = ArrayEngine._proposals

    def blind(self, droppers, dropped):
        listed, stigmatised = self.listed, self.stigmatised
        self.listed, self.stigmatised = np.zeros_like(listed), np.zeros_like(stigmatised)
        try:
            return original(self, droppers, dropped)
        finally:
            self.listed, self.stigmatised = listed, stigmatised

    mp.setattr(ArrayEngine, "_proposals", blind)


def stray_r_in_theory(mp):
    """The former pair approximation with the stray factor r in l_II."""
    def branches(spread, *, fade, rewiring, mean_degree):
        r, w, k = fade, rewiring, mean_degree
        i = np.linspace(0.0, 0.99999, 200_001)
        p = ((r + w) * (1 - i) + 2 * r * i + r * r * i * i / (1 - i)) / (k - r * i)
        cross = np.flatnonzero(np.diff(np.sign(p - spread)) != 0)
        saddle = next((float(i[c]) for c in cross if p[c + 1] < p[c]), None)
        stable = next((float(i[c]) for c in cross if p[c + 1] > p[c]), None)
        return saddle, stable

    mp.setattr(theory, "endemic_branches", branches)


def watts_rule_counts_oneself(mp):
    original = rules.threshold_reached
    mp.setattr(rules, "threshold_reached",
               lambda marked, degree, threshold: original(marked, np.asarray(degree) + 1,
                                                          threshold))


MUTANTS = {  # mistake: (planting function, name of the check that catches it)
    "listing penalty's sign flipped": (penalty_sign_flipped, "listing_penalty"),
    "driver skips the network term": (network_term_skipped, "network_term"),
    "court and hearing phases swapped": (court_and_hearing_swapped, "phase_order"),
    "one sequential random stream for all phases": (one_sequential_stream,
                                                    "weight_zero_scores"),
    "rewiring ignores risk": (rewiring_ignores_risk, "rewired_ties_unmarked"),
    "stray factor r in the pair approximation": (stray_r_in_theory,
                                                 "static_endemic_prevalence"),
    "Watts threshold counts the citizen itself": (watts_rule_counts_oneself,
                                                  "watts_upper_edge"),
}


@cache
def correct(catcher: str):
    return CATCHERS[catcher]()


@pytest.mark.parametrize("catcher", sorted({c for _, c in MUTANTS.values()}))
def test_the_catching_check_passes_on_the_correct_model(catcher):
    check = correct(catcher)
    assert check.passed, check.as_row()


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_the_mutant_is_caught(mutant, monkeypatch):
    plant, catcher = MUTANTS[mutant]
    assert correct(catcher).passed
    plant(monkeypatch)
    check = CATCHERS[catcher]()
    assert not check.passed, f"{mutant!r} not caught by {catcher}: {check.as_row()}"
