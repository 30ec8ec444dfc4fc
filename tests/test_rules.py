"""Each rule on hand-computed cases, as scalars and as arrays."""

import numpy as np
import pytest
from spiral.model import rules
from spiral.model.params import Params

P = Params()


def test_deed_slices_follow_the_suining_ledger():
    p = Params(drunk_driving_rate=0.1, bribery_rate=0.1, elder_care_rate=0.2, help_poor_rate=0.2,
               media_report_share=0.5)
    # slices: drunk [0,.1), bribery [.1,.2), elder [.2,.4), help reported [.4,.5), help [.5,.6)
    u = np.array([0.05, 0.15, 0.3, 0.45, 0.55, 0.9])
    expected = [-50, -50, 50, 15, 10, 0]
    assert rules.deed_points(u, denied=False, p=p).tolist() == expected
    assert [int(rules.deed_points(x, denied=False, p=p)) for x in u] == expected


def test_denied_services_shrink_only_good_deeds():
    p = Params(drunk_driving_rate=0.1, bribery_rate=0.0, elder_care_rate=0.4, help_poor_rate=0.0,
               denied_services_factor=0.5)
    # denied: elder slice is [0.1, 0.3) instead of [0.1, 0.5)
    assert int(rules.deed_points(0.35, denied=True, p=p)) == 0
    assert int(rules.deed_points(0.35, denied=False, p=p)) == 50
    assert int(rules.deed_points(0.05, denied=True, p=p)) == -50
    off = p.replace(denied_services=False)
    assert int(rules.deed_points(0.35, denied=True, p=off)) == 50


def test_court_listing_and_delisting():
    assert rules.new_listing(np.array([0.0005, 0.00072, 0.5]), listing_rate=0.0007,
                             wrongful_rate=0.00004).tolist() == [1, 2, 0]
    kw = dict(term_months=24, compliance_rate=0.03, oversight_rate=0.01)
    # rightful: term served, or compliance
    assert rules.is_delisted(0.9, wrongful=False, months_listed=24, **kw)
    assert rules.is_delisted(0.02, wrongful=False, months_listed=3, **kw)
    assert not rules.is_delisted(0.5, wrongful=False, months_listed=3, **kw)
    # wrongful: only oversight, even after the term
    assert not rules.is_delisted(0.02, wrongful=True, months_listed=30, **kw)
    assert rules.is_delisted(0.005, wrongful=True, months_listed=1, **kw)


def test_score_combines_own_network_and_penalty_in_whole_points():
    own = rules.own_score(history=650.0, points=1060, p=P)
    assert own == 710.0
    # 10 friends kept out of 10, friends' mean 700: the network term is that mean
    social = rules.social_score(degree=10, initial_degree=10, friend_score_sum=7000.0,
                                contacts_share=0.5)
    assert social == pytest.approx(700.0)
    # half the contacts lost: the part above 350 shrinks by 0.5 * 0.5
    social_half = rules.social_score(degree=5, initial_degree=10, friend_score_sum=3500.0,
                                     contacts_share=0.5)
    assert social_half == pytest.approx(350 + 350 * 0.75)
    assert rules.social_score(degree=0, initial_degree=10, friend_score_sum=0.0,
                              contacts_share=0.5) == 350.0
    score = rules.combine_score(own=710.0, social=700.0, penalty=150.0, network_weight=0.3)
    assert score == round(0.7 * 710 + 0.3 * 700 - 150)
    assert rules.combine_score(own=400.0, social=350.0, penalty=600.0, network_weight=0.0) == 350


def test_penalty_lingers_and_fades_linearly():
    p = Params(listing_penalty=150.0, lingering_penalty=60.0, lingering_months=12)
    assert rules.penalty(listed=True, months_since_delisting=-1, p=p) == 150
    assert rules.penalty(listed=False, months_since_delisting=-1, p=p) == 0
    assert rules.penalty(listed=False, months_since_delisting=0, p=p) == 60
    assert rules.penalty(listed=False, months_since_delisting=6, p=p) == pytest.approx(30)
    assert rules.penalty(listed=False, months_since_delisting=20, p=p) == 0


def test_grades_from_zhima_bands():
    cut = (700.0, 650.0, 550.0)
    assert rules.grade_of(np.array([950, 700, 699, 650, 600, 550, 549, 350]), cut).tolist() == \
        [0, 0, 1, 1, 2, 2, 3, 3]
    assert rules.is_denied_services(3, False) and rules.is_denied_services(0, True)
    assert not rules.is_denied_services(2, False)


def test_drop_probability_grows_with_fear():
    assert rules.drop_probability(0.0, 0.5) == 0.0
    assert rules.drop_probability(1.0, 0.5) == 0.5
    assert rules.drop_probability(0.4, 0.5) < rules.drop_probability(0.8, 0.5)


def test_strategic_gain_weighs_better_friends_against_fewer_contacts():
    p = Params(network_weight=1.0, contacts_share=0.5)
    # 10 friends (10 at start), nine at 800 and one at 400: sum 7600
    low = rules.drop_gain(degree=10, initial_degree=10, friend_score_sum=7600.0,
                          friend_score=400.0, p=p)
    high = rules.drop_gain(degree=10, initial_degree=10, friend_score_sum=7600.0,
                           friend_score=800.0, p=p)
    with_low = 350 + (760 - 350) * 1.0
    without_low = 350 + (800 - 350) * (1 - 0.5 * 0.1)
    assert low == pytest.approx(without_low - with_low)
    assert low > 0 > high
    # with no network weight there is never a reason to drop anyone
    assert rules.drop_gain(degree=10, initial_degree=10, friend_score_sum=7600.0,
                           friend_score=400.0, p=p.replace(network_weight=0.0)) == 0


def test_threshold_rule_needs_a_share_of_friends():
    assert rules.threshold_reached(2, 10, 0.18)
    assert not rules.threshold_reached(1, 10, 0.18)
    assert not rules.threshold_reached(0, 0, 0.0)


def test_scalar_and_array_calls_agree_bit_for_bit():
    rng = np.random.default_rng(3)
    deg = rng.integers(0, 20, 200)
    deg0 = rng.integers(1, 20, 200)
    sums = deg * rng.integers(350, 950, 200).astype(float)
    arr = rules.social_score(degree=deg, initial_degree=deg0, friend_score_sum=sums,
                             contacts_share=0.37)
    scal = [float(rules.social_score(degree=int(a), initial_degree=int(b),
                                     friend_score_sum=float(c), contacts_share=0.37))
            for a, b, c in zip(deg, deg0, sums, strict=True)]
    assert arr.tolist() == scal


def test_pick_index_stays_in_range():
    assert rules.pick_index(np.array([0.0, 0.4999, 0.5, 0.999999]), 2).tolist() == [0, 0, 1, 1]
