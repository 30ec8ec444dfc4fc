"""Validation at small sizes: Watts cascade window, Gross thresholds and bistability, analytic.

Tolerances come from the sample sizes (99% Wilson intervals for shares).
"""

import pytest
from spiral.experiments.validation import theory
from spiral.experiments.validation.checks import GROSS_FADE, analytic_checks, invaded
from spiral.experiments.validation.gross import gross_run
from spiral.experiments.validation.watts import cascade_point


def test_analytic_window_and_thresholds():
    low, high = theory.cascade_window(0.18)
    assert low == pytest.approx(1.02, abs=0.01) and high == pytest.approx(5.76, abs=0.01)
    assert theory.invasion_threshold(spread_fade=0.002, rewiring=0.2,
                                     mean_degree=20) == pytest.approx(0.0101)
    assert theory.persistence_threshold(fade=0.002, rewiring=0.2, mean_degree=20) < 0.0101
    assert theory.wilson_interval(0, 50)[0] == 0.0


def test_analytic_checks_pass():
    checks = analytic_checks(n=200)
    assert all(c.passed for c in checks), [c.as_row() for c in checks if not c.passed]


@pytest.mark.parametrize(("z", "inside"), [(3.0, True), (9.0, False)])
def test_watts_cascades_inside_the_window_and_not_far_outside(z, inside):
    point = cascade_point(n=1000, mean_degree=z, phi=0.18, realisations=60, seed=5, point=0)
    low, high = theory.wilson_interval(point.global_count, point.realisations)
    expected = theory.cascade_frequency(z, 0.18)
    assert low <= expected <= high
    assert (point.global_count > 0) is inside


def _low_start(w, factor):
    p_inv = theory.invasion_threshold(spread_fade=GROSS_FADE, rewiring=w, mean_degree=20)
    return gross_run(n=600, mean_degree=20, spread=factor * p_inv, fade=GROSS_FADE,
                     rewiring=w, start_share=0.03, duration=600, seed=3)


@pytest.mark.parametrize("w", [0.04, 0.2])
def test_gross_invasion_threshold_follows_w(w):
    assert invaded(_low_start(w, 0.5)) is False
    assert invaded(_low_start(w, 2.0)) is True


def test_gross_bistability_at_w_0_2():
    p = 0.5 * theory.invasion_threshold(spread_fade=GROSS_FADE, rewiring=0.2, mean_degree=20)
    runs = [gross_run(n=600, mean_degree=20, spread=p, fade=GROSS_FADE, rewiring=0.2,
                      start_share=start, duration=600, seed=4) for start in (0.03, 0.8)]
    assert runs[0].final_prevalence < 0.03
    assert runs[1].final_prevalence > 0.3
