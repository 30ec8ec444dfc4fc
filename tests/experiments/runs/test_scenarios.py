"""Bundled scenarios: they load, say what they are, and their measures differ the way the
article says (a listing costs more when the score reads friends; wrongful listings scar;
oversight shrinks the scar; guilt by association pushes never-listed citizens into grade D).
"""

from __future__ import annotations

import functools

import pytest
from spiral.experiments.runs.runner import run_scenario
from spiral.experiments.runs.scenario import LADDER, ScenarioError, available, load_scenario

REQUIRED = ("suining-2010", "zhima-spiral", "no-feedback", "wrongful-listing", "oversight",
            "guilt-by-association", "suining-scale")


@functools.cache
def summary(name: str) -> dict:
    return run_scenario(load_scenario(name)).summary


def test_required_scenarios_exist_with_descriptions_that_name_their_variants():
    bundled = available()
    for name in REQUIRED:
        assert name in bundled
        scenario = load_scenario(name)
        assert scenario.name == name
        assert len(scenario.description.split()) >= 20
        words = scenario.description.replace(",", " ").replace("(", " ").split()
        for variant in scenario.variant_names:
            assert variant in words or scenario.variants == LADDER, (name, variant)


def test_suining_scale_has_the_pilot_population():
    assert load_scenario("suining-scale").params.n_citizens == 1_100_000


@pytest.mark.parametrize("name", ["suining-2010", "no-feedback"])
def test_no_contacts_lost_without_network_feedback_or_unfriending(name):
    s = summary(name)
    main = load_scenario(name).main_variant
    assert s[f"listing_episodes__{main}"] >= 10
    for horizon in (6, 12):
        assert s[f"contact_loss_{horizon}m__{main}"] is not None
        assert abs(s[f"contact_loss_{horizon}m__{main}"]) < 0.05  # turnover only
        assert s[f"score_loss_{horizon}m__{main}"] > 0
    assert s[f"isolated_share__{main}"] < 0.05


def test_zhima_spiral_costs_more_than_the_penalty_and_each_channel_shows():
    s = summary("zhima-spiral")
    assert s["listing_episodes__spiral"] >= 50
    assert s["score_loss_12m__spiral-penalty"] > 20
    assert s["contact_loss_12m__spiral"] > s["contact_loss_12m__chain"] > \
        s["contact_loss_12m__penalty"]
    assert s["isolated_share__spiral"] > 0.1
    assert s["friends_score_gap__spiral-penalty"] > 0
    total = s["score_loss_12m__spiral-penalty"]
    shapley = sum(s[f"score_loss_12m__shapley-{c}"] for c in "SNF")
    dividends = sum(v for k, v in s.items() if k.startswith("score_loss_12m__main-")
                    or k.startswith("score_loss_12m__interaction-"))
    assert shapley == pytest.approx(total, abs=1e-5)
    assert dividends == pytest.approx(total, abs=1e-5)


def test_oversight_shrinks_the_scar_of_wrongful_listings():
    weak, strong = summary("wrongful-listing"), summary("oversight")
    assert weak["wrongful_delisted_episodes__spiral"] >= 10
    assert strong["wrongful_delisted_episodes__spiral"] >= 10
    assert weak["wrongful_scar_score_6m__spiral"] > strong["wrongful_scar_score_6m__spiral"]
    assert weak["wrongful_scar_contacts_6m__spiral"] > strong["wrongful_scar_contacts_6m__spiral"]
    assert weak["wrongful_recovered_share__spiral"] < strong["wrongful_recovered_share__spiral"]


def test_guilt_by_association_pushes_never_listed_into_grade_d():
    s = summary("guilt-by-association")
    assert s["pushed_to_grade_D_share__spiral-penalty"] > 0.02
    assert s["reach_hops__spiral-penalty"] >= 2
    assert summary("zhima-spiral")["pushed_to_grade_D_share__spiral-penalty"] < \
        s["pushed_to_grade_D_share__spiral-penalty"]


def test_variants_see_the_same_listings():
    result = run_scenario(load_scenario("wrongful-listing").with_changes(n_citizens=600,
                                                                          ticks=40))

    def court(data):
        events = data.events[data.events["event"].isin(["listing", "delisting"])]
        return events.reset_index(drop=True)

    assert len(court(result.data)) > 10
    keys = ["citizen", "listing_tick", "delisting_tick", "wrongful"]
    for name, data in result.variants.items():
        if name == "unlisted":
            assert court(data).empty
            continue
        assert court(data).equals(court(result.data)), name
        assert data.episodes[keys].drop_duplicates().reset_index(drop=True).equals(
            result.data.episodes[keys].drop_duplicates().reset_index(drop=True)), name


def test_ladder_invariants_with_rewiring_off():
    """At weight 0, stigma cuts ties but cannot move scores; chain and stigma cut the same."""
    scenario = load_scenario("zhima-spiral").with_changes(n_citizens=500, ticks=36,
                                                           cohort_share=0.05, rewire="none")
    weightless = run_scenario(scenario.with_changes(network_weight=0.0), seed=4)
    stigma, penalty = weightless.variants["stigma"], weightless.variants["penalty"]
    assert stigma.citizens["final_score"].equals(penalty.citizens["final_score"])
    assert stigma.episodes["score"].equals(penalty.episodes["score"])
    assert not stigma.citizens["final_contacts"].equals(penalty.citizens["final_contacts"])
    result = run_scenario(scenario, seed=4)
    chain, stigma = result.variants["chain"], result.variants["stigma"]
    cuts = ["tick", "event", "citizen", "other"]
    ties = chain.events[chain.events["event"].isin(["cut", "reconnect", "lapse", "closure"])]
    ties_s = stigma.events[stigma.events["event"].isin(["cut", "reconnect", "lapse",
                                                        "closure"])]
    assert len(ties) > 50
    assert ties[cuts].reset_index(drop=True).equals(ties_s[cuts].reset_index(drop=True))


def test_bad_variant_tables_are_one_line_errors(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('name = "x"\n[variants.a]\nfear_mean = 0.5\n[variants.b]\nnot_a_param = 1\n')
    with pytest.raises(ScenarioError, match=r"s.toml:5: .*not_a_param"):
        load_scenario(path)
    path.write_text('name = "x"\n[variants.a]\nfear_mean = 0.5\n[variants.a]\nfear_mean = 0.6\n')
    with pytest.raises(ScenarioError, match=r"s.toml:4: invalid TOML"):
        load_scenario(path)
    path.write_text('name = "x"\nmain_variant = "z"\n[variants.a]\nfear_mean = 0.5\n')
    with pytest.raises(ScenarioError, match="main_variant = 'z'"):
        load_scenario(path)
    path.write_text('name = "x"\n[counterfactual]\nfear_mean = 0.5\n[variants.a]\n')
    with pytest.raises(ScenarioError, match="not both"):
        load_scenario(path)


def test_old_counterfactual_table_still_declares_two_variants(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('name = "x"\n[params]\nn_citizens = 100\n[counterfactual]\nfear_mean = 0.1\n')
    scenario = load_scenario(path)
    assert scenario.variant_names == ["feedback", "counterfactual"]
    assert scenario.variant_params("counterfactual").network_weight == 0.0
    assert scenario.variant_params("counterfactual").fear_mean == 0.1
