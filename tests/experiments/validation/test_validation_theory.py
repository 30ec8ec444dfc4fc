"""The Gross et al. (2006) pair approximation: closed forms against the moment equations.

The moment equations are written out here a second time, straight from the paper's terms
(infection, recovery, rewiring; triples closed as l_abc = l_ab l_bc / b), and integrated
numerically with scipy's LSODA; the closed-form steady states, thresholds and branch
stability of :mod:`spiral.experiments.validation.theory` must agree with the integration.
Tolerances: the integration runs at rtol 1e-10, atol 1e-12 for at least 40 relaxation times,
so its end point is within 1e-6 of the steady state it converges to.
"""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from spiral.experiments.validation import theory

K, R = 20.0, 0.002
ACCURACY = 1e-6


def paper_rhs(_t, y, p, w):
    """d/dt (i, l_II, l_SI, l_SS), written independently of theory.moment_equations."""
    i, l_ii, l_si, l_ss = y
    s = 1.0 - i
    infections = p * l_si                        # S-I ties passing the infection, per citizen
    ii_made = p * (l_si + l_si * l_si / s)       # the new I's I-friends: the infecting one + ISI
    si_made_from_ss = p * 2 * l_si * l_ss / s    # the new I's S-friends (ISS triples)
    return [infections - R * i,
            ii_made - 2 * R * l_ii,
            si_made_from_ss - ii_made + 2 * R * l_ii - (R + w) * l_si,
            (R + w) * l_si - si_made_from_ss]


def integrate(p, w, y0, horizon=30_000.0):
    sol = solve_ivp(paper_rhs, (0.0, horizon), y0, args=(p, w), method="LSODA",
                    rtol=1e-10, atol=1e-12)
    assert sol.success
    return sol.y[:, -1]


# (p, w) points: static network, mild and strong rewiring, inside and above the bistable range
POINTS = [(0.0002, 0.0), (0.0005, 0.0), (0.0015, 0.04), (0.004, 0.04), (0.00303, 0.2),
          (0.00505, 0.2), (0.00808, 0.2), (0.02, 0.2)]


def test_moment_equations_match_the_paper_and_conserve_ties():
    rng = np.random.default_rng(1)
    for _ in range(50):
        i = rng.uniform(0.01, 0.99)
        links = rng.dirichlet([1, 1, 1]) * K / 2
        y = [i, *links]
        p, w = rng.uniform(1e-4, 0.02), rng.uniform(0, 0.3)
        ours = theory.moment_equations(y, spread=p, fade=R, rewiring=w)
        assert ours == pytest.approx(paper_rhs(0, y, p, w), rel=1e-12, abs=1e-15)
        assert abs(ours[1:].sum()) < 1e-12


@pytest.mark.parametrize(("p", "w"), POINTS)
def test_a_high_start_integrates_to_the_closed_form_stable_state(p, w):
    _, stable = theory.endemic_branches(p, fade=R, rewiring=w, mean_degree=K)
    end = integrate(p, w, theory.random_start(0.99, K))
    assert end[0] == pytest.approx(stable, abs=ACCURACY)
    l_ii, l_si, l_ss = theory.steady_links(stable, spread=p, fade=R, rewiring=w)
    assert end[1:] == pytest.approx([l_ii, l_si, l_ss], abs=1e-5)
    assert l_ii + l_si + l_ss == pytest.approx(K / 2)
    assert theory.endemic_spread(stable, fade=R, rewiring=w, mean_degree=K) == pytest.approx(p)


@pytest.mark.parametrize(("p", "w"), [pt for pt in POINTS if theory.endemic_branches(
    pt[0], fade=R, rewiring=pt[1], mean_degree=K)[0] is not None])
def test_the_saddle_separates_low_and_high_starts(p, w):
    saddle, stable = theory.endemic_branches(p, fade=R, rewiring=w, mean_degree=K)
    links = theory.steady_links(saddle, spread=p, fade=R, rewiring=w)
    above = integrate(p, w, [saddle + 0.02, *links])
    below = integrate(p, w, [saddle - 0.02, *links])
    assert above[0] == pytest.approx(stable, abs=ACCURACY)
    assert below[0] < ACCURACY


@pytest.mark.parametrize(("p", "w"), POINTS)
def test_the_jacobian_confirms_which_branch_is_stable(p, w):
    saddle, stable = theory.endemic_branches(p, fade=R, rewiring=w, mean_degree=K)
    eig = theory.jacobian_eigenvalues(stable, spread=p, fade=R, rewiring=w, mean_degree=K)
    assert (eig.real < 0).all()
    if saddle is not None:
        eig = theory.jacobian_eigenvalues(saddle, spread=p, fade=R, rewiring=w, mean_degree=K)
        assert (eig.real > 0).sum() == 1


@pytest.mark.parametrize("w", [0.04, 0.2])
def test_the_persistence_threshold_is_the_fold_and_below_it_everything_dies(w):
    p_per = theory.persistence_threshold(fade=R, rewiring=w, mean_degree=K)
    p_inv = theory.invasion_threshold(fade=R, rewiring=w, mean_degree=K)
    grid = np.linspace(0.0, 0.9999, 400_001)
    assert p_per == pytest.approx(theory.endemic_spread(grid, fade=R, rewiring=w,
                                                        mean_degree=K).min(), rel=1e-6)
    assert p_per < p_inv
    assert theory.endemic_branches(p_per * 0.999, fade=R, rewiring=w, mean_degree=K) == (
        None, None)
    saddle, stable = theory.endemic_branches(p_per * 1.001, fade=R, rewiring=w, mean_degree=K)
    assert saddle < stable
    assert integrate(p_per * 0.98, w, theory.random_start(0.99, K))[0] < ACCURACY


def test_without_enough_rewiring_there_is_no_bistability():
    w_min = R * (K + 1) / (K - 1)
    for w in (0.0, 0.5 * w_min):
        p_inv = theory.invasion_threshold(fade=R, rewiring=w, mean_degree=K)
        assert theory.persistence_threshold(fade=R, rewiring=w, mean_degree=K) == p_inv
        assert theory.endemic_branches(0.99 * p_inv, fade=R, rewiring=w, mean_degree=K) == (
            None, None)
    assert theory.persistence_threshold(fade=R, rewiring=2 * w_min, mean_degree=K) < \
        theory.invasion_threshold(fade=R, rewiring=2 * w_min, mean_degree=K)


def test_the_figures_quoted_in_the_issue():
    assert theory.endemic_branches(0.0002, fade=R, rewiring=0.0, mean_degree=K)[1] == \
        pytest.approx(0.4875, abs=1e-4)
    assert theory.persistence_threshold(fade=R, rewiring=0.2, mean_degree=K) == \
        pytest.approx(0.002094, abs=1e-6)
    saddle, stable = theory.endemic_branches(0.00505, fade=R, rewiring=0.2, mean_degree=K)
    assert stable == pytest.approx(0.9782, abs=1e-4)
    assert saddle == pytest.approx(0.5296, abs=1e-4)
    assert theory.invasion_threshold(fade=R, rewiring=0.2, mean_degree=K) == \
        pytest.approx(0.0101)


def test_the_issue_form_of_the_endemic_branch_is_the_same_curve():
    i = np.linspace(0.0, 0.999, 1001)
    for w in (0.0, 0.04, 0.2):
        issue_form = ((R + w) * (1 - i) + 2 * R * i + R * i**2 / (1 - i)) / (K - i)
        assert theory.endemic_spread(i, fade=R, rewiring=w, mean_degree=K) == \
            pytest.approx(issue_form, rel=1e-12)


def stray_r_spread(i, w):
    """The former closed form, with the stray factor r in l_II."""
    return ((R + w) * (1 - i) + 2 * R * i + R * R * i * i / (1 - i)) / (K - R * i)


def test_the_former_closed_form_with_the_stray_r_disagrees_with_the_integration():
    i = np.linspace(0.0, 0.99999, 400_001)
    stray_stable = i[np.argmin(np.abs(stray_r_spread(i, 0.0) - 0.0002))]
    integrated = integrate(0.0002, 0.0, theory.random_start(0.99, K))[0]
    assert stray_stable == pytest.approx(0.957, abs=1e-3)
    assert integrated == pytest.approx(0.4875, abs=1e-4)
    assert math.isclose(stray_r_spread(i, 0.2).min(), 0.00029, rel_tol=0.02)


def test_time_average_error_counts_independent_stretches():
    assert theory.time_average_error(0.01, span=100.0, correlation_time=50.0) == 0.01
    assert theory.time_average_error(0.01, span=400.0, correlation_time=50.0) == \
        pytest.approx(0.005)
