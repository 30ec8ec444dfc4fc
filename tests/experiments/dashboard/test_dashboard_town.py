"""The dashboard's model: a town and its penalty twin in step, listings from the page, switches.

The twin is the same town in the ``penalty`` variant; the two share seed, network, citizens and
listings, and every decision's keyed random number, so they differ only by what the channels
of the loop do. The page's listings are scripted listings of the next month in both.
"""

import numpy as np
import pytest
from spiral.agents.spiral_model import SpiralModel
from spiral.experiments.dashboard import town as dashboard_town
from spiral.experiments.dashboard.town import (
    ALL_CHANNELS,
    CHANNELS,
    DEFAULT_SEED,
    PENALTY_CHANGES,
    DashboardModel,
)
from spiral.experiments.runs.scenario import load_scenario
from spiral.model.initial import ScriptedListing
from spiral.model.params import PARAMS, ParameterError

SMALL = dict(n_citizens=80, mean_degree=8.0, hearing_prob=1.0)


def test_the_twin_is_the_penalty_variant_of_the_ladder():
    assert load_scenario("zhima-spiral").variant("penalty").changes == PENALTY_CHANGES
    assert set(CHANNELS.values()) == set(PENALTY_CHANGES) and ALL_CHANNELS == "SNF"


def test_starting_values_come_from_the_scenario(monkeypatch):
    model = DashboardModel()
    assert len(model.citizens) == dashboard_town.DASHBOARD_POPULATION
    assert model.seed == DEFAULT_SEED and model.params.cohort_share == 0.01
    monkeypatch.setenv(dashboard_town.SCENARIO_ENV, "suining-2010")
    assert DashboardModel().params.network_weight == \
        load_scenario("suining-2010").params.network_weight


def test_page_listing_happens_next_month_in_both_towns():
    model = DashboardModel(seed=5, **SMALL)
    model.advance(2)
    assert model.blacklist(7) == 7
    assert not model.citizens[7].listed and [i.citizen for i in model.pending()] == [7]
    model.step()
    assert model.citizens[7].listed and model.twin.citizens[7].listed
    assert model.listing_months(7) == [3] and model.newest_listed() == 7
    assert model.pending() == []
    model.advance(5)
    assert len(model.frames) == len(model.twin_frames) == 9
    series = model.series(7)
    # the channels cost the listed friends; the twin (no channel) keeps them all
    assert series["friends"][-1] < series["friends"][2]
    assert series["twin_friends"][-1] == series["twin_friends"][2]


def test_the_page_is_a_scripted_listing_exactly():
    model = DashboardModel(seed=11, **SMALL)
    model.advance(3)
    model.blacklist(4, wrongful=True)
    model.advance(6)
    plain = SpiralModel(model.params, rng=11, listings=[ScriptedListing(4, 4, True)])
    plain.run_for(9)
    assert [c.score for c in plain.citizens] == model.frames[-1].score.tolist()
    assert plain.citizens[4].wrongful and model.frames[-1].wrongful[4]


def test_twin_equals_a_fresh_penalty_model():
    model = DashboardModel(seed=3, **SMALL)
    model.blacklist(0)
    model.advance(6)
    fresh = SpiralModel(model.base_params.replace(**PENALTY_CHANGES), rng=3,
                        listings=[ScriptedListing(0, 1)])
    fresh.run_for(6)
    assert [c.score for c in fresh.citizens] == model.twin_frames[-1].score.tolist()
    assert [c.degree for c in fresh.citizens] == model.twin_frames[-1].degree.tolist()


def test_blacklisting_refuses_what_cannot_be_done():
    model = DashboardModel(seed=1, **SMALL)
    model.blacklist(3)
    with pytest.raises(ParameterError, match="already to be listed"):
        model.blacklist(3)
    with pytest.raises(ParameterError, match="0 to 79"):
        model.blacklist(80)
    model.step()
    with pytest.raises(ParameterError, match="already listed"):
        model.blacklist(3)
    random_pick = model.blacklist(None, wrongful=True)
    assert random_pick != 3 and model.pending()[0].wrongful


def test_switching_channels_rebuilds_the_same_town_without_them():
    model = DashboardModel(seed=9, **SMALL)
    model.blacklist(2)
    model.advance(8)
    for channels in ("SN", "", "F"):
        rebuilt = model.with_channels(channels)
        assert rebuilt.tick == model.tick and rebuilt.twin is model.twin
        direct = DashboardModel(seed=9, channels=channels, **SMALL)
        direct.blacklist(2)
        direct.advance(8)
        assert rebuilt.frames[-1].score.tolist() == direct.frames[-1].score.tolist()
        for key, name in CHANNELS.items():
            expected = model.params[name] if key in channels else 0.0
            assert rebuilt.params[name] == expected
    # all channels off: the town is its own penalty twin
    off = model.with_channels("")
    assert off.frames[-1].score.tolist() == model.twin_frames[-1].score.tolist()
    assert off.frames[-1].degree.tolist() == model.twin_frames[-1].degree.tolist()
    # and switching back on restores the town on screen
    assert off.with_channels(ALL_CHANNELS).frames[-1].score.tolist() == \
        model.frames[-1].score.tolist()
    with pytest.raises(ParameterError, match="letters of SNF"):
        model.with_channels("X")


def test_frames_record_cuts_and_ties():
    model = DashboardModel(seed=2, **SMALL)
    model.blacklist(10)
    model.advance(6)
    cuts = np.concatenate([f.cuts for f in model.frames])
    assert len(cuts) > 0 and (cuts[:, 0] < cuts[:, 1]).all()
    for frame in model.frames:
        assert frame.degree.sum() == 2 * len(frame.pairs)
    assert model.frames[0].friends(10) >= model.frames[-1].friends(10)


def test_bad_input_falls_back_with_a_message():
    model = DashboardModel(seed="minus one", grade_b=900.0)
    assert "seed" in model.input_error
    assert model.seed == DEFAULT_SEED and model.params.grade_b == PARAMS["grade_b"].default


def test_same_seed_same_town():
    a, b = (DashboardModel(seed=11, n_citizens=60) for _ in range(2))
    for m in (a, b):
        m.blacklist(1)
        m.advance(5)
    assert a.frames[-1].score.tolist() == b.frames[-1].score.tolist()
    assert (a.positions == b.positions).all()


def test_the_page_stops_at_its_last_month(monkeypatch):
    monkeypatch.setattr(dashboard_town, "MAX_MONTHS", 3)
    model = DashboardModel(seed=1, n_citizens=30, mean_degree=4.0)
    model.advance(10)
    assert model.tick == 3 and not model.running
    with pytest.raises(ParameterError, match="ends at month 3"):
        model.blacklist(0)
