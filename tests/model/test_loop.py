"""The default unfriending rule closes the loop: stigma and fear for one's own score."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from spiral.model import ArrayEngine, Params, rules

P = Params()


@settings(max_examples=200, derandomize=True, deadline=None)
@given(own=st.floats(350, 950), contact=st.floats(350, 950), degree=st.integers(1, 50),
       initial=st.integers(1, 50), friends_mean=st.floats(350, 950),
       stigma=st.floats(0, 1), fear=st.floats(0, 1), heard=st.booleans(),
       perception=st.sampled_from(["contamination", "formula"]),
       gate=st.sampled_from(["heard", "any"]))
def test_fear_channel_is_zero_without_network_weight_and_monotone(
        own, contact, degree, initial, friends_mean, stigma, fear, heard, perception, gate):
    p = P.replace(cost_perception=perception, fear_gate=gate)
    friend_sum = friends_mean * (degree - 1) + contact

    def hazard(weight, contact_score):
        q = p.replace(network_weight=weight)
        cost = rules.perceived_cost(own_score=own, contact_score=contact_score, degree=degree,
                                    initial_degree=initial,
                                    friend_score_sum=friend_sum - contact + contact_score, p=q)
        return float(rules.channel_hazard(heard=heard, stigma=stigma, fear=fear, cost=cost,
                                          p=q))

    stigma_only = float(rules.channel_hazard(heard=heard, stigma=stigma, fear=fear, cost=0.0,
                                             p=p.replace(fear_strength=0.0)))
    assert hazard(0.0, contact) == stigma_only  # channel (b) exactly zero at weight 0
    lower = max(350.0, contact - 40.0)
    assert hazard(0.3, lower) >= hazard(0.3, contact)  # a falling contact score: no fewer cuts
    assert hazard(0.6, contact) >= hazard(0.3, contact)  # a heavier network term: no fewer
    assert 0.0 <= hazard(0.6, contact) <= 1.0


def test_town_without_listings_keeps_its_mean_degree_for_ten_years():
    p = Params(ticks=120, listing_rate=0.0, wrongful_rate=0.0)
    engine = ArrayEngine(p, seed=5)
    engine.run()
    series = engine.data().timeseries["mean_degree"]
    assert series.nunique() == 1 and series.iloc[0] == 10.0
    kinds = engine.data().events["event"].value_counts()
    assert kinds["lapse"] == kinds["closure"] > 100  # the network does change


def _contact_loss(weight: float, seed: int, **changes) -> float:
    p = Params(ticks=24, cohort_share=0.01, cohort_tick=12, listing_rate=0.0,
               wrongful_rate=0.0, network_weight=weight, **changes)
    engine = ArrayEngine(p, seed=seed)
    engine.run()
    listed = engine.data().episodes
    before = listed[listed["tick"] == 11].set_index("citizen")["contacts"]
    after = listed[listed["tick"] == 23].set_index("citizen")["contacts"]
    return float((1 - after / before).mean())


def _interval(values):
    values = np.asarray(values)
    half = stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
    return values.mean() - half, values.mean() + half


def test_contact_loss_rises_with_network_weight_in_spiral_and_not_in_chain():
    seeds = range(10)
    low = [_contact_loss(0.05, s) for s in seeds]
    high = [_contact_loss(0.7, s) for s in seeds]
    assert _interval(low)[1] < _interval(high)[0]  # non-overlapping 95% intervals
    chain_low = [_contact_loss(0.05, s, fear_strength=0.0) for s in seeds]
    chain_high = [_contact_loss(0.7, s, fear_strength=0.0) for s in seeds]
    assert chain_low == chain_high  # stigma alone does not read the score: identical cuts


def _hazard_counts(seeds, **changes):
    """Pooled drops and pairs at risk, months 0-1 and 4-6 after hearing."""
    import pandas as pd
    from spiral.experiments.measures.loop import at_risk_pairs, drop_hazard

    tables = []
    for seed in seeds:
        p = Params(ticks=30, cohort_share=0.03, cohort_tick=4, listing_rate=0.0,
                   wrongful_rate=0.0, compliance_rate=0.0, reconnect_rate=0.0,
                   stigma_concentration=1e6, fear_concentration=1e6, **changes)
        engine = ArrayEngine(p, seed=seed)
        engine.run()
        tables.append(drop_hazard(at_risk_pairs(engine.data().events, 30), max_months=8))
    pooled = pd.concat(tables).groupby("months_since_heard")[["at_risk", "drops"]].sum()
    early, late = pooled.loc[[0, 1]].sum(), pooled.loc[[4, 5, 6]].sum()
    return early, late


def _z(early, late) -> float:
    """Two-proportion z statistic, late hazard minus early hazard."""
    p1, p2 = early["drops"] / early["at_risk"], late["drops"] / late["at_risk"]
    pooled = (early["drops"] + late["drops"]) / (early["at_risk"] + late["at_risk"])
    se = np.sqrt(pooled * (1 - pooled) * (1 / early["at_risk"] + 1 / late["at_risk"]))
    return float((p2 - p1) / se)


def test_per_friend_hazard_rises_as_the_score_falls_in_spiral_and_not_in_chain():
    """Homogeneous propensities, so that who is left at risk does not mask the rule itself:
    in `spiral` a friend's chance of dropping the listed rises in the months after hearing
    (the listed score keeps falling, the fear channel grows); in `chain` it does not.
    """
    seeds = range(6)
    z_spiral = _z(*_hazard_counts(seeds))
    z_chain = _z(*_hazard_counts(seeds, fear_strength=0.0))
    critical = stats.norm.isf(0.005)  # two-sided 1% test
    assert z_spiral > critical
    assert abs(z_chain) < critical
