"""Bundled scenarios: they load, say what they are, and their headline measures differ the way
the article says (no spiral without network feedback; wrongful listings scar; oversight
shrinks the scar; guilt by association pushes never-listed citizens into grade D).
"""

from __future__ import annotations

import functools

import pytest
from spiral.experiments.runs.runner import run_scenario
from spiral.experiments.runs.scenario import available, load_scenario

REQUIRED = ("suining-2010", "zhima-spiral", "no-feedback", "wrongful-listing", "oversight",
            "guilt-by-association", "suining-scale")


@functools.cache
def summary(name: str) -> dict:
    return run_scenario(load_scenario(name)).summary


def test_required_scenarios_exist_with_descriptions():
    bundled = available()
    for name in REQUIRED:
        assert name in bundled
        scenario = load_scenario(name)
        assert scenario.name == name
        assert len(scenario.description.split()) >= 20


def test_suining_scale_has_the_pilot_population():
    assert load_scenario("suining-scale").params.n_citizens == 1_100_000


@pytest.mark.parametrize("name", ["suining-2010", "no-feedback"])
def test_no_spiral_without_network_feedback(name):
    s = summary(name)
    for horizon in (6, 12, 24):
        assert s[f"amplification_{horizon}m"] == 1.0
    assert s["isolated_share"] == 0.0
    assert s["friends_score_gap"] == 0.0


def test_zhima_spiral_amplifies_the_listing():
    s = summary("zhima-spiral")
    assert s["listing_episodes"] >= 50
    assert s["amplification_12m"] > 1.2
    assert s["isolated_share"] > 0.1
    assert s["friends_score_gap"] > 0


def test_oversight_shrinks_the_scar_of_wrongful_listings():
    weak, strong = summary("wrongful-listing"), summary("oversight")
    assert weak["wrongful_delisted_episodes"] >= 10 and strong["wrongful_delisted_episodes"] >= 10
    assert weak["wrongful_scar_score_6m"] > strong["wrongful_scar_score_6m"] + 10
    assert weak["wrongful_scar_contacts_6m"] > strong["wrongful_scar_contacts_6m"]
    assert weak["wrongful_recovered_share"] < strong["wrongful_recovered_share"]


def test_guilt_by_association_pushes_never_listed_into_grade_d():
    s = summary("guilt-by-association")
    assert s["pushed_to_grade_D_share"] > 0.02
    assert s["reach_hops"] >= 2
    assert summary("zhima-spiral")["pushed_to_grade_D_share"] < s["pushed_to_grade_D_share"]


def test_paired_counterfactual_sees_the_same_listings():
    result = run_scenario(load_scenario("wrongful-listing").with_changes(n_citizens=600,
                                                                          ticks=40))
    def court(data):
        events = data.events[data.events["event"].isin(["listing", "delisting"])]
        return events.reset_index(drop=True)

    assert len(court(result.data)) > 10
    assert court(result.data).equals(court(result.data_cf))
    keys = ["citizen", "listing_tick", "delisting_tick", "wrongful"]
    assert result.data.listed[keys].drop_duplicates().reset_index(drop=True).equals(
        result.data_cf.listed[keys].drop_duplicates().reset_index(drop=True))


def test_amplification_is_one_when_network_weight_and_unfriending_are_off():
    scenario = load_scenario("zhima-spiral").with_changes(
        network_weight=0.0, unfriend_rule="none", n_citizens=500, ticks=40, cohort_share=0.05)
    s = run_scenario(scenario, seed=11).summary
    assert s["listing_episodes"] >= 25
    assert s["amplification_6m"] == 1.0 and s["amplification_12m"] == 1.0
    assert s["score_loss_12m"] == s["score_loss_12m_counterfactual"] > 0
