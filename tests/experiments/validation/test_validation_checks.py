"""Every validation check can fail: a wrong reference, handed to the check, makes it fail.

The checks of ``spiral validate`` take what they compare with as an argument. Each test here
runs a check once with the correct reference (it must pass) and once with a reference carrying
a realistic error (it must fail). The analytic checks run live at small sizes; the Watts and
Gross checks read the numbers of a ``spiral validate --quick`` run recorded below (the checks'
sensitivity to a wrong reference is a property of the check and the data of a correct model;
the live model runs that must pass are tests/experiments/validation/test_validation_mutants.py
and ``spiral validate`` itself).

Detection limits, stated rather than hidden: an invasion threshold wrong by less than the
scan's bracket (the sweep's factors 0.5, 0.8, 1.25, 2 of (r + w)/<k>) is not caught; the
stable state at w = 0.2 is caught 0.02 too high (the direction of the stray factor r) but
not 0.02 too low (the model sits 0.005-0.009 below the pair approximation there). A Watts
window moved by 10% either way is caught at its upper edge (the lower edge, near z = 1, is
blurred by finite size at n = 2,000 and checked only well below it).
"""

import dataclasses
import math

import numpy as np
import pytest
from spiral.experiments.validation import checks, gross, theory, watts
from spiral.experiments.validation.gross import GrossRun
from spiral.experiments.validation.watts import CascadePoint

# --- recorded data of `spiral validate --quick` (2026-11-30, keyed draws) ---------------------
# phi, z, realisations, global cascades, mean size, sd of size, n
WATTS_QUICK = [
    (0.18, 0.5, 100, 0, math.nan, math.nan, 2000),
    (0.18, 1, 100, 7, 0.106500, 0.054853, 2000),
    (0.18, 1.5, 100, 50, 0.573790, 0.038469, 2000),
    (0.18, 2, 100, 69, 0.796203, 0.016427, 2000),
    (0.18, 3, 100, 87, 0.940971, 0.006616, 2000),
    (0.18, 4, 100, 83, 0.980560, 0.003377, 2000),
    (0.18, 5, 100, 75, 0.993480, 0.002143, 2000),
    (0.18, 5.25, 100, 66, 0.994568, 0.001595, 2000),
    (0.18, 6, 100, 20, 0.997150, 0.001309, 2000),
    (0.18, 7, 100, 0, math.nan, math.nan, 2000),
    (0.18, 7.8, 100, 0, math.nan, math.nan, 2000),
    (0.12, 0.5, 100, 0, math.nan, math.nan, 2000),
    (0.12, 1.5, 100, 54, 0.579861, 0.030505, 2000),
    (0.12, 3, 100, 91, 0.939055, 0.006599, 2000),
    (0.12, 6, 100, 100, 0.997330, 0.001052, 2000),
    (0.12, 8, 100, 98, 0.999699, 0.000392, 2000),
    (0.12, 10, 100, 70, 0.999971, 0.000145, 2000),
    (0.12, 11, 100, 26, 1.000000, 0.000000, 2000),
    (0.12, 12, 100, 2, 1.000000, 0.000000, 2000),
    (0.12, 14.4, 100, 0, math.nan, math.nan, 2000),
]
# n, w, p, start, final, window mean, window sd, window span, dt, ticks, <k> start, <k> end,
# failed rewirings, new ties, new ties touching a marked citizen
GROSS_QUICK = [
    (1000, 0, 5e-05, 0.02, 0.0000, 0.0000, 0.0000, 0, 10, 241, 19.9580, 19.9580, 0, 0, 0),
    (1000, 0, 5e-05, 0.8, 0.0170, 0.0666, 0.0276, 1500, 10, 300, 19.7140, 19.7140, 0, 0, 0),
    (1000, 0, 8e-05, 0.02, 0.0040, 0.0098, 0.0027, 1500, 10, 300, 19.5140, 19.5140, 0, 0, 0),
    (1000, 0, 8e-05, 0.8, 0.0680, 0.1293, 0.0486, 1500, 10, 300, 20.2160, 20.2160, 0, 0, 0),
    (1000, 0, 0.000125, 0.02, 0.0270, 0.0178, 0.0076, 1500, 10, 300, 19.8620, 19.8620, 0, 0, 0),
    (1000, 0, 0.000125, 0.8, 0.2370, 0.2598, 0.0235, 1500, 10, 300, 19.8960, 19.8960, 0, 0, 0),
    (1000, 0, 0.0002, 0.02, 0.4620, 0.3268, 0.0944, 1500, 10, 300, 20.0000, 20.0000, 0, 0, 0),
    (1000, 0, 0.0002, 0.8, 0.4910, 0.4911, 0.0135, 1500, 10, 300, 20.0100, 20.0100, 0, 0, 0),
    (1000, 0.04, 0.00105, 0.02, 0.0020, 0.0084, 0.0029, 500, 2.5, 400, 19.7860, 19.7860, 0, 835,
     0),
    (1000, 0.04, 0.00168, 0.02, 0.0210, 0.0309, 0.0072, 500, 2.5, 400, 19.8600, 19.8600, 0,
     1993, 0),
    (1000, 0.04, 0.002625, 0.02, 0.9440, 0.9444, 0.0079, 500, 2.5, 400, 20.2240, 20.2240, 0,
     41560, 0),
    (1000, 0.04, 0.0042, 0.02, 0.9630, 0.9691, 0.0058, 500, 2.5, 400, 20.2580, 20.2000, 29,
     28461, 0),
    (1000, 0.2, 0.000505, 0.02, 0.0040, 0.0064, 0.0021, 500, 0.5, 2000, 20.3480, 20.3480, 0,
     386, 0),
    (1000, 0.2, 0.00202, 0.02, 0.0040, 0.0050, 0.0003, 500, 0.5, 2000, 20.1260, 20.1260, 0,
     470, 0),
    (1000, 0.2, 0.00505, 0.02, 0.0050, 0.0103, 0.0035, 500, 0.5, 2000, 20.1560, 20.1560, 0,
     822, 0),
    (1000, 0.2, 0.00808, 0.02, 0.0200, 0.0322, 0.0095, 500, 0.5, 2000, 20.0660, 20.0660, 0,
     3062, 0),
    (1000, 0.2, 0.012625, 0.02, 0.9750, 0.9775, 0.0062, 500, 0.5, 2000, 20.3080, 9.9300, 5189,
     42430, 0),
    (1000, 0.2, 0.0202, 0.02, 0.9880, 0.9877, 0.0040, 500, 0.5, 2000, 19.9140, 10.5840, 4665,
     26933, 0),
    (5000, 0.2, 0.00505, 0.02, 0.0066, 0.0102, 0.0029, 500, 0.5, 2000, 20.0272, 20.0272, 0,
     4306, 0),
    (5000, 0.2, 0.00505, 0.8, 0.9706, 0.9732, 0.0031, 200, 0.5, 800, 19.7540, 19.7508, 8,
     193162, 0),
    (20000, 0, 0.0002, 0.8, 0.4842, 0.4873, 0.0037, 4500, 10, 900, 19.9482, 19.9482, 0, 0, 0),
]


def watts_points():
    return [CascadePoint(phi, z, m, c, size, sd, n) for phi, z, m, c, size, sd, n in WATTS_QUICK]


def gross_runs():
    runs = []
    for (n, w, p, start, final, mean, sd, span, dt, ticks, k0, k1, failures, made,
         bad) in GROSS_QUICK:
        runs.append(GrossRun(n, p, gross.GROSS_FADE, float(w), start, final, np.zeros(1),
                             np.array([final]), (k0 - k1) / k0, dt, ticks, k0, k1, failures,
                             made, bad, mean, sd, span, int(round((k0 - k1) * n / 2))))
    return runs


def failing(rows, *words):
    """Rows whose case contains every word, that failed."""
    return [r for r in rows if all(w in r.case for w in words) and not r.passed]


def test_every_check_passes_with_the_correct_references():
    rows = watts.watts_checks(watts_points()) + gross.gross_checks(gross_runs())
    assert rows and all(r.passed for r in rows), [r.as_row() for r in rows if not r.passed]


# --- analytic checks (live, small) --------------------------------------------------------
N = 200


def test_listing_penalty_check_fails_for_a_penalty_one_point_off_or_halved():
    assert all(c.passed for c in checks.listing_penalty_checks(N))
    for wrong in (149.0, 75.0):
        assert not checks.listing_penalty_checks(N, penalty=wrong)[0].passed


def test_network_term_check_fails_without_the_weight_or_a_month_off():
    assert checks.network_term_check(N).passed
    assert not checks.network_term_check(N, expected=lambda w, pen, k: pen / k).passed
    assert not checks.network_term_check(N, delay=0).passed
    assert not checks.network_term_check(N, delay=2).passed


def test_weight_zero_check_fails_where_ties_do_reach_the_scores():
    assert checks.weight_zero_events_check(N, ticks=12).passed
    assert not checks.weight_zero_events_check(N, ticks=12, weight=0.3).passed


def test_phase_order_check_fails_for_a_month_late():
    assert checks.phase_order_check(N).passed
    assert not checks.phase_order_check(N, delay=1).passed


# --- Watts (recorded data) -----------------------------------------------------------------
def shifted(ref, *, frequency=0.0, size=0.0):
    return dataclasses.replace(ref, frequency=lambda z, phi: ref.frequency(z, phi) + frequency,
                               size=lambda z, phi: ref.size(z, phi) + size)


def scaled_window(ref, factor):
    """The whole analytic picture moved along z by ``factor`` (edges x factor)."""
    return watts.WattsReference(
        window=lambda phi: tuple(factor * e for e in ref.window(phi)),
        frequency=lambda z, phi: ref.frequency(z / factor, phi),
        size=lambda z, phi: ref.size(z / factor, phi))


@pytest.mark.parametrize("error", [0.12, -0.12])
def test_watts_frequency_check_fails_for_a_frequency_off_by_0_12(error):
    rows = watts.watts_checks(watts_points(), shifted(watts.analytic(), frequency=error))
    assert len(failing(rows, "frequency of global cascades at")) == 2


@pytest.mark.parametrize("error", [0.05, -0.05])
def test_watts_size_check_fails_for_a_size_off_by_0_05(error):
    rows = watts.watts_checks(watts_points(), shifted(watts.analytic(), size=error))
    assert len(failing(rows, "mean size")) == 2


def model_failures(rows, phi):
    """Failed rows of one phi that failed on the data (not for want of a grid point)."""
    return [r for r in failing(rows, f"phi={phi:g}") if "no point" not in r.model]


def test_watts_window_10_percent_too_wide_fails_by_the_frequency_just_inside():
    rows = watts.watts_checks(watts_points(), scaled_window(watts.analytic(), 1.1))
    for phi in (0.18, 0.12):
        assert failing(rows, f"phi={phi:g}", "just inside the upper edge")
        assert model_failures(rows, phi)


def test_watts_window_10_percent_too_narrow_fails_by_the_cascades_just_above():
    rows = watts.watts_checks(watts_points(), scaled_window(watts.analytic(), 0.9))
    for phi in (0.18, 0.12):
        bad = failing(rows, f"phi={phi:g}", "rare just above the upper edge")
        assert bad and "no point" not in bad[0].model


@pytest.mark.parametrize("shift", [1, -1])
def test_watts_vulnerability_off_by_one_degree_fails_at_the_upper_edge(shift, monkeypatch):
    """The classic slip: vulnerable up to degree 1/phi + 1 (or - 1); z_high moves 15-35%."""
    original = theory.vulnerable
    monkeypatch.setattr(theory, "vulnerable",
                        lambda k, phi: original(np.asarray(k) - shift, phi) & (np.asarray(k) > 0))
    rows = watts.watts_checks(watts_points())
    for phi in (0.18, 0.12):
        assert any("upper edge" in r.case for r in model_failures(rows, phi))


# --- Gross (recorded data) -----------------------------------------------------------------
PA = gross.pair_approximation()


def with_branches(change):
    return dataclasses.replace(PA, branches=lambda p, w: change(*PA.branches(p, w)))


def test_invasion_check_fails_for_the_threshold_without_rewiring():
    ref = dataclasses.replace(PA, invasion=lambda w: gross.GROSS_FADE / gross.GROSS_MEAN_DEGREE)
    rows = gross.gross_checks(gross_runs(), ref)
    assert len(failing(rows, "invasion threshold p")) == 2  # w = 0.04 and 0.2; w = 0 is right


@pytest.mark.parametrize("factor", [2.0, 0.4])
def test_invasion_check_fails_for_a_threshold_off_by_a_factor_2_or_more(factor):
    """Twice p_inv: the <k> vs <k>/2 slip. Halved, p_inv lands exactly on the scan's lowest
    point (0.5 x), where the bracket's edge decides; 0.4 x is clearly outside.
    """
    ref = dataclasses.replace(PA, invasion=lambda w: factor * PA.invasion(w))
    rows = gross.gross_checks(gross_runs(), ref)
    assert len(failing(rows, "invasion threshold p")) == 3


def test_rising_threshold_check_fails_when_rewiring_does_not_protect():
    runs = [r for r in gross_runs() if r.rewiring != 0.2]
    copies = [dataclasses.replace(r, rewiring=0.2) for r in runs if r.rewiring == 0.04]
    assert failing(gross.invasion_checks(runs + copies, PA), "rises with w")


@pytest.mark.parametrize("error", [0.02, -0.02])
def test_static_endemic_check_fails_for_a_stable_state_off_by_0_02(error):
    ref = with_branches(lambda saddle, stable: (saddle, stable + error))
    assert failing(gross.gross_checks(gross_runs(), ref), "static network", "endemic")


def test_bistable_high_start_check_fails_for_a_stable_state_0_02_too_high():
    ref = with_branches(lambda saddle, stable: (saddle, None if stable is None else
                                                stable + 0.02))
    assert failing(gross.gross_checks(gross_runs(), ref), "high start")


def stray_r_reference():
    """The former pair approximation, with the stray factor r in l_II."""
    r, k = gross.GROSS_FADE, gross.GROSS_MEAN_DEGREE
    i = np.linspace(0.0, 0.99999, 200_001)

    def curve(w):
        return ((r + w) * (1 - i) + 2 * r * i + r * r * i * i / (1 - i)) / (k - r * i)

    def branches(p, w):
        c = curve(w)
        cross = np.flatnonzero(np.diff(np.sign(c - p)) != 0)
        return (next((float(i[j]) for j in cross if c[j + 1] < c[j]), None),
                next((float(i[j]) for j in cross if c[j + 1] > c[j]), None))

    return dataclasses.replace(PA, branches=branches,
                               persistence=lambda w: float(curve(w).min()))


def test_the_stray_r_reference_fails_the_endemic_and_the_bistable_checks():
    ref = stray_r_reference()
    assert ref.branches(0.0002, 0.0)[1] == pytest.approx(0.957, abs=2e-3)
    assert ref.persistence(0.2) == pytest.approx(0.00029, rel=0.03)
    rows = gross.gross_checks(gross_runs(), ref)
    assert failing(rows, "static network", "endemic")
    assert failing(rows, "high start")


def test_bistable_checks_fail_for_a_reference_without_bistability():
    no_saddle = with_branches(lambda saddle, stable: (None, stable))  # p above p_inv
    assert failing(gross.gross_checks(gross_runs(), no_saddle), "low start")
    no_state = with_branches(lambda saddle, stable: (None, None))  # p below p_per
    assert failing(gross.gross_checks(gross_runs(), no_state), "high start")


def test_conservation_checks_fail_for_lost_uncounted_or_misdirected_ties():
    runs = gross_runs()
    assert all(c.passed and not c.skipped for c in gross.conservation_checks(runs))
    high = max((r for r in runs if r.rewiring == 0.2 and r.start_share == 0.8),
               key=lambda r: r.n)
    eroded = dataclasses.replace(high, mean_degree_end=0.86 * high.mean_degree_start,
                                 ties_lost=int(0.14 * high.mean_degree_start * high.n / 2),
                                 rewire_failures=0)  # the 14% erosion of the issue, uncounted
    rows = gross.conservation_checks([eroded if r is high else r for r in runs])
    assert not rows[0].passed
    misdirected = dataclasses.replace(high, rewired_to_marked=1)
    assert not gross.conservation_checks([misdirected])[1].passed


def test_conservation_check_is_skipped_with_a_reason_without_a_failure_count():
    runs = [dataclasses.replace(r, rewire_failures=None) for r in gross_runs()]
    row = gross.conservation_checks(runs)[0]
    assert row.passed and "rewire_failures" in row.skipped
    assert row.as_row()["result"].startswith("skipped")


# --- small live runs of the configurations ---------------------------------------------------
@pytest.mark.parametrize(("z", "inside"), [(3.0, True), (9.0, False)])
def test_watts_cascades_inside_the_window_and_not_far_outside(z, inside):
    point = watts.cascade_point(n=1000, mean_degree=z, phi=0.18, realisations=60, seed=5,
                                point=0)
    low, high = theory.wilson_interval(point.global_count, point.realisations)
    assert low <= theory.cascade_frequency(z, 0.18) <= high
    assert (point.global_count > 0) is inside


@pytest.mark.parametrize("w", [0.04, 0.2])
def test_gross_invasion_threshold_follows_w(w):
    def low_start(factor):
        return gross.gross_run(n=600, mean_degree=20, spread=gross.spread_at(factor, w),
                               fade=gross.GROSS_FADE, rewiring=w, start_share=0.03,
                               duration=600, seed=3)

    assert gross.invaded(low_start(0.5)) is False
    assert gross.invaded(low_start(2.0)) is True
