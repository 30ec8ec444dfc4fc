"""Spiral measures checked against values computed by hand on tiny tables and networks."""

from __future__ import annotations

import math

import networkx as nx
import pandas as pd
import pytest
from spiral.experiments import measures
from spiral.experiments.runs.runner import simulate
from spiral.model.initial import ScriptedListing
from spiral.model.params import Params

LISTED_COLUMNS = ["citizen", "listing_tick", "tick", "months_since_listing", "score", "contacts",
                  "listed", "wrongful", "delisting_tick"]


def episode(citizen, listing_tick, first_tick, scores, contacts, *, wrongful=False,
            delisting_tick=-1):
    """Rows of one listing episode starting the month before the listing."""
    rows = []
    for k, (score, degree) in enumerate(zip(scores, contacts, strict=True)):
        tick = first_tick + k
        still = tick >= listing_tick and (delisting_tick < 0 or tick < delisting_tick)
        rows.append((citizen, listing_tick, tick, tick - listing_tick, score, degree, still,
                     wrongful, delisting_tick))
    return rows


@pytest.fixture
def listed():
    # Episode A: wrongly listed at month 2, corrected at month 5; episode B: listed at 3, stays.
    a = episode(1, 2, 1, [700, 550, 540, 530, 660, 670, 680, 690, 696, 700],
                [4, 4, 3, 2, 2, 2, 3, 4, 4, 4], wrongful=True, delisting_tick=5)
    b = episode(2, 3, 2, [600, 450, 445, 430, 420, 410, 400, 390, 380],
                [2, 2, 1, 0, 0, 0, 0, 0, 0])
    return pd.DataFrame(a + b, columns=LISTED_COLUMNS)


@pytest.fixture
def listed_cf():
    a = episode(1, 2, 1, [700, 550, 550], [4, 4, 4], wrongful=True, delisting_tick=5)
    b = episode(2, 3, 2, [600, 450, 450], [2, 2, 2])
    return pd.DataFrame(a + b, columns=LISTED_COLUMNS)


def test_score_and_contact_loss(listed):
    # month 1: A 700 -> 540 (160), B 600 -> 445 (155); month 2: 170 and 170
    assert measures.score_loss(listed, 1) == pytest.approx(157.5)
    assert measures.score_loss(listed, 2) == pytest.approx(170.0)
    # month 2: A 4 -> 2 contacts (half), B 2 -> 0 (all)
    assert measures.contact_loss_share(listed, 2) == pytest.approx(0.75)
    assert math.isnan(measures.score_loss(listed, 50))


def test_amplification_against_paired_run(listed, listed_cf):
    # with feedback 157.5 points lost after a month, without 150
    assert measures.amplification(listed, listed_cf, 1) == pytest.approx(1.05)
    assert measures.amplification(listed, listed, 1) == pytest.approx(1.0)


def test_isolation(listed):
    out = measures.isolation(listed)
    assert out == {"isolated_share": 0.5, "months_to_isolation": 2.0}


def test_isolation_ignores_citizens_without_contacts_before(listed):
    lonely = pd.DataFrame(episode(9, 4, 3, [600, 450, 440], [0, 0, 0]), columns=LISTED_COLUMNS)
    out = measures.isolation(pd.concat([listed, lonely], ignore_index=True))
    assert out["isolated_share"] == 0.5


def test_scar_after_delisting(listed):
    out = measures.scar(listed, after_months=(2, 3))
    # only A ended: pre-listing 700 points and 4 contacts; delisted at month 5
    assert out["delisted_episodes"] == 1
    assert out["scar_score_2m"] == 20 and out["scar_contacts_2m"] == 1   # month 7: 680, 3
    assert out["scar_score_3m"] == 10 and out["scar_contacts_3m"] == 0   # month 8: 690, 4
    assert out["months_to_recover"] == 4            # month 9: 696 >= 700 - 5
    assert out["months_to_recover_contacts"] == 3   # month 8: back to 4 contacts
    assert out["recovered_share"] == 1.0


def test_scar_of_wrongful_listings_has_prefix_and_keys_without_episodes(listed):
    rightful_only = listed[~listed["wrongful"]]
    empty = measures.scar(rightful_only, prefix="wrongful_")
    assert empty["wrongful_delisted_episodes"] == 0
    assert math.isnan(empty["wrongful_scar_score_6m"])
    assert set(empty) == set(measures.scar(listed, prefix="wrongful_"))


def test_percentiles_since_listing(listed, listed_cf):
    table = measures.percentiles_since_listing(
        {"feedback": listed, "counterfactual": listed_cf},
        metrics=("score", "score_change", "contacts"), max_months=3, min_episodes=1)
    assert list(table["variant"].unique()) == ["counterfactual", "feedback"]
    fb = table[table["variant"] == "feedback"].set_index(["metric", "months_since_listing"])
    assert list(fb.loc["score_change"].index) == [-1, 0, 1, 2, 3]
    assert (fb.loc["score_change", "median"].loc[-1]) == 0
    # month 1: A 700 -> 540 (-160), B 600 -> 445 (-155); contacts 3 and 1
    month1 = fb.xs(1, level="months_since_listing")
    assert month1.loc["score_change", "median"] == pytest.approx(-157.5)
    assert month1.loc["score_change", "p05"] == pytest.approx(-160 + 0.05 * 5)
    assert month1.loc["score", "median"] == pytest.approx(492.5)
    assert month1.loc["contacts", "p25"] == pytest.approx(1.5)
    assert (month1["episodes"] == 2).all()
    cf = table[(table["variant"] == "counterfactual") & (table["metric"] == "score_change")]
    assert cf.set_index("months_since_listing").loc[1, "median"] == pytest.approx(-150.0)


def test_percentiles_since_listing_keeps_months_reached_by_enough_episodes(listed):
    # A's rows run to month 8 after its listing, B's to month 7
    both = measures.percentiles_since_listing(listed, max_months=10, min_episodes=2)
    assert both["months_since_listing"].max() == 7
    one = measures.percentiles_since_listing(listed, max_months=10, min_episodes=1)
    assert one["months_since_listing"].max() == 8
    assert set(both["variant"]) == {"feedback"}  # no variant column: one variant
    assert measures.percentiles_since_listing(listed).empty  # two episodes < 5
    assert list(measures.percentiles_since_listing(listed).columns) == [
        "variant", "months_since_listing", "metric", "episodes", "p05", "p25", "median", "p75",
        "p95"]
    with pytest.raises(ValueError, match="unknown metric"):
        measures.percentiles_since_listing(listed, metrics=("scores",))


CITIZEN_COLUMNS = ["citizen", "initial_score", "final_score", "initial_contacts",
                   "final_contacts", "final_grade", "ever_listed", "friend_of_listed",
                   "hops_to_listed"]


@pytest.fixture
def citizens():
    rows = [(0, 650, 450, 2, 0, "D", True, False, 0),
            (1, 700, 680, 4, 3, "B", False, True, 1),
            (2, 600, 540, 2, 2, "D", False, True, 1),
            (3, 650, 660, 3, 3, "B", False, False, 2),
            (4, 640, 630, 2, 1, "C", False, False, 3),
            (5, 500, 500, 0, 0, "D", False, False, 7)]
    return pd.DataFrame(rows, columns=CITIZEN_COLUMNS)


def test_spillover(citizens):
    out = measures.spillover(citizens)
    assert out["friends_score_change"] == -40
    assert out["others_score_change"] == 0
    assert out["friends_contact_change"] == -0.5
    assert out["others_contact_change"] == pytest.approx(-1 / 3)
    assert out["never_listed_grade_D_share"] == pytest.approx(0.4)
    assert out["friends_grade_D_share"] == 0.5
    assert out["never_listed_contact_loss_share"] == pytest.approx((0.25 + 0 + 0 + 0.5) / 4)
    assert out["score_change_hops_1"] == -40
    assert out["score_change_hops_2"] == 10
    assert out["score_change_hops_3plus"] == -5


def test_paired_spillover(citizens):
    cf = citizens.copy()
    cf["final_score"] = [500, 700, 600, 660, 631, 500]
    cf["final_contacts"] = [2, 4, 2, 3, 1, 0]
    cf["final_grade"] = ["D", "A", "C", "B", "C", "D"]
    out = measures.paired_spillover(citizens, cf)
    assert out["friends_score_gap"] == 40            # (20 + 60) / 2
    assert out["friends_contacts_gap"] == 0.5
    assert out["never_listed_score_gap"] == pytest.approx((20 + 60 + 0 + 1 + 0) / 5)
    assert out["pushed_to_grade_D_share"] == pytest.approx(0.2)   # citizen 2 only
    assert out["score_gap_hops_1"] == 40
    assert out["score_gap_hops_2"] == 0
    assert out["score_gap_hops_3plus"] == 0.5
    assert out["reach_hops"] == 3   # 1 point at hop 3; hop 7 means 'not reached'


# --- hand-built tiny networks run through the engine ----------------------------------------
QUIET = {"elder_care_rate": 0.0, "help_poor_rate": 0.0, "drunk_driving_rate": 0.0,
         "bribery_rate": 0.0, "listing_rate": 0.0, "wrongful_rate": 0.0, "compliance_rate": 0.0,
         "history_sd": 0.0, "history_mean": 650.0, "listing_penalty": 150.0}


def quiet_params(**changes):
    return Params({**QUIET, "ticks": 8, "n_citizens": 6, **changes})


def test_network_measures_on_a_hand_built_graph():
    graph = nx.Graph([(0, 1), (1, 2), (3, 4)])
    graph.add_node(5)
    data = simulate(quiet_params(network_weight=0.0, unfriend_rule="none"), seed=1,
                    network=graph)
    out = measures.network_summary(data.timeseries)
    assert out["final_components"] == 3        # {0,1,2}, {3,4}, {5}
    assert out["final_isolates"] == 1
    assert out["final_largest_component_share"] == pytest.approx(0.5)
    assert out["final_ties"] == 3
    assert out["ties_lost_share"] == 0
    assert out["final_share_B"] == 1.0          # everyone at 650 = lowest score of grade B


def test_score_assortativity_matches_networkx():
    graph = nx.Graph([(0, 1), (1, 2), (2, 3), (3, 0), (0, 2), (3, 4)])
    data = simulate(quiet_params(network_weight=0.0, unfriend_rule="none", history_sd=60.0,
                                 ticks=1), seed=3, network=graph)
    scores = data.citizens.set_index("citizen")["final_score"]
    nx.set_node_attributes(graph, {n: float(scores[n]) for n in graph}, "score")
    expected = nx.numeric_assortativity_coefficient(graph, "score")
    assert data.timeseries.iloc[-1]["score_assortativity"] == pytest.approx(expected)


def test_listing_on_a_path_costs_exactly_the_penalty_and_hops_count_from_it():
    # A town whose score ignores friends (network weight 0): 'spiral' has every channel on
    # (stigma cuts the listed citizen's only tie; fear is exactly zero at weight 0),
    # 'penalty' none. The two runs differ in events, yet the scores must agree, and both lose
    # exactly the penalty against the unlisted twin (no drift in a quiet town).
    graph = nx.path_graph(5)
    listing = [ScriptedListing(0, 2, False)]
    town = {"network_weight": 0.0, "ticks": 30, "hearing_prob": 1.0, "turnover_rate": 0.0,
            "reconnect_rate": 0.0}
    on = quiet_params(**town, stigma_strength=1.0, stigma_mean=0.99,
                      stigma_concentration=1e6, fear_strength=1.0)
    off = quiet_params(**town, stigma_strength=0.0, fear_strength=0.0)
    data = simulate(on, seed=5, network=graph, listings=listing)
    data_cf = simulate(off, seed=5, network=graph, listings=listing)
    twin = simulate(on, seed=5, network=graph, track=(0,))
    cuts = data.events[data.events["event"] == "cut"]
    assert [tuple(p) for p in cuts[["citizen", "other"]].to_numpy()] == [(1, 0)]
    assert not (data_cf.events["event"] == "cut").any()
    summary = measures.summarise_run({"unlisted": twin, "penalty": data_cf, "spiral": data},
                                     main="spiral", baseline="penalty")
    for v in ("spiral", "penalty"):
        for h in (6, 12):
            assert summary[f"score_loss_{h}m__{v}"] == 150
            assert summary[f"score_drop_{h}m__{v}"] == 150
        # month 24: the 24-month term is over; the lingering penalty starts at its full 50
        assert summary[f"score_loss_24m__{v}"] == 50 and summary[f"score_drop_24m__{v}"] == 50
    # the channels add nothing to the score at weight 0, only to the lost ties
    assert summary["score_loss_12m__spiral-penalty"] == 0
    assert summary["contact_loss_12m__spiral-penalty"] == 1.0
    assert summary["contact_loss_12m__penalty"] == 0 and summary["contact_drop_12m__penalty"] == 0
    assert summary["isolated_share__spiral"] == 1.0 and summary["isolated_share__penalty"] == 0
    assert summary["reach_hops__spiral-penalty"] == 0
    assert summary["friends_score_gap__spiral-penalty"] == 0
    assert summary["friends_contacts_gap__spiral-penalty"] == 1  # friend 1 lost citizen 0
    assert summary["listing_episodes__unlisted"] == 0
    for run in (data, data_cf):
        cit = run.citizens.set_index("citizen")
        assert list(cit["hops_to_listed"]) == [0, 1, 2, 3, 4]  # on the starting network
        assert list(cit["friend_of_listed"]) == [False, True, False, False, False]
    assert data.citizens["final_score"].tolist() == data_cf.citizens["final_score"].tolist()


def test_summarise_keys_do_not_depend_on_the_run(listed):
    graph = nx.path_graph(4)
    quiet = simulate(quiet_params(ticks=3), seed=1, network=graph)
    busy = simulate(quiet_params(ticks=30), seed=1, network=graph,
                    listings=[ScriptedListing(1, 2, True)])
    assert list(measures.summarise(quiet, quiet)) == list(measures.summarise(busy, busy))
    # the same for a run's variants: with no listing at all, or with one and its unlisted twin
    busy_off = simulate(quiet_params(ticks=30, stigma_strength=0.0, fear_strength=0.0,
                                     network_weight=0.0), seed=1, network=graph,
                        listings=[ScriptedListing(1, 2, True)])
    twin = simulate(quiet_params(ticks=30), seed=1, network=graph, track=(1,))
    keys = [list(measures.summarise_run(v, main="spiral", baseline="penalty")) for v in (
        {"unlisted": quiet, "penalty": quiet, "spiral": quiet},
        {"unlisted": twin, "penalty": busy_off, "spiral": busy})]
    assert keys[0] == keys[1]
    assert {"score_loss_12m__spiral-penalty", "reach_hops__spiral-penalty"} <= set(keys[0])
