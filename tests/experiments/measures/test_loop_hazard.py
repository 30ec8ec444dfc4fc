"""The per-friend drop hazard after hearing, on hand-made events and on a run."""

import pandas as pd
from spiral.experiments.measures.loop import at_risk_pairs, drop_hazard
from spiral.model import ArrayEngine, Params


def _events(rows):
    return pd.DataFrame(rows, columns=["tick", "event", "citizen", "other", "detail"])


def test_pairs_end_at_a_drop_or_are_censored_by_delisting_reverse_cut_lapse_or_the_end():
    events = _events([
        (2, "listing", 9, -1, "rightful"),
        (2, "heard", 1, 9, ""), (2, "heard", 2, 9, ""), (3, "heard", 3, 9, ""),
        (4, "heard", 4, 9, ""), (3, "heard", 5, 9, ""),
        (4, "cut", 1, 9, "channels"),      # friend 1 drops the listed: 2 months after hearing
        (5, "cut", 9, 2, "channels"),      # the listed drops friend 2: censored at 5
        (6, "lapse", 5, 9, "turnover"),    # the tie lapses: censored at 6
        (7, "delisting", 9, -1, "rightful"),  # 3 and 4 censored at 6 (not at risk in 7)
    ])
    pairs = at_risk_pairs(events, last_tick=10).set_index("friend")
    assert pairs.loc[1, "dropped"] and pairs.loc[1, "end"] == 4
    assert not pairs.loc[2, "dropped"] and pairs.loc[2, "end"] == 5
    assert not pairs.loc[5, "dropped"] and pairs.loc[5, "end"] == 6
    assert not pairs.loc[3, "dropped"] and pairs.loc[3, "end"] == 6
    hazard = drop_hazard(at_risk_pairs(events, last_tick=10), max_months=4)
    # months at risk after hearing: 1 -> 2 (dropped), 2 -> 3, 3 -> 3, 4 -> 2, 5 -> 3
    assert hazard["at_risk"].tolist() == [5, 5, 5, 3, 0]
    assert hazard["drops"].tolist() == [0, 0, 1, 0, 0]


def test_every_cut_of_a_heard_listed_friend_is_counted_once():
    engine = ArrayEngine(Params(n_citizens=400, ticks=24, cohort_share=0.05, cohort_tick=4,
                                listing_rate=0.0, wrongful_rate=0.0, reconnect_rate=0.0),
                         seed=3)
    engine.run()
    events = engine.data().events
    pairs = at_risk_pairs(events, last_tick=24)
    hazard = drop_hazard(pairs, max_months=24)
    cuts = events[events["event"] == "cut"][["citizen", "other"]].drop_duplicates()
    assert hazard["drops"].sum() == pairs["dropped"].sum() == len(cuts) > 20
    assert (hazard["at_risk"].diff().dropna() <= 0).all()
