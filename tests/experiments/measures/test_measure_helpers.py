"""The measures' helpers: array averages with pandas' numbers, the t quantile, the first month
of each episode, the twin comparison by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from spiral.experiments import measures
from spiral.experiments.measures.averages import mean, median

DTYPES = st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.bool_])


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mean_and_median_are_the_pandas_numbers_bit_for_bit(data):
    dtype = data.draw(DTYPES)
    elements = (st.floats(-1e6, 1e6, width=32 if dtype == np.float32 else 64)
                | st.just(math.nan)) if np.dtype(dtype).kind == "f" else None
    values = data.draw(hnp.arrays(dtype, st.integers(0, 400), elements=elements))
    for ours, theirs in ((mean(values), pd.Series(values).mean()),
                         (median(values), pd.Series(values).median())):
        theirs = float(theirs)
        assert (ours == theirs) or (math.isnan(ours) and math.isnan(theirs)), (ours, theirs)


def test_averages_skip_nan_and_are_nan_when_nothing_is_left():
    assert mean(np.array([1.0, np.nan, 3.0])) == 2.0
    assert median(np.array([np.nan, 5.0, 1.0, 3.0])) == 3.0
    assert math.isnan(mean(np.array([np.nan]))) and math.isnan(median(np.array([])))
    assert mean(np.array([True, False, False, False])) == 0.25


def _listed():
    # citizen 1 listed at month 2 (scripted), citizen 2 at month 3 (background); rows from the
    # month before the listing, as the recorder writes them
    rows = []
    for citizen, start, scripted, scores, contacts in (
            (1, 2, True, [700, 550, 540, 530], [4, 4, 3, 2]),
            (2, 3, False, [600, 450, 445, 430], [2, 2, 1, 0])):
        for k, (score, degree) in enumerate(zip(scores, contacts, strict=True)):
            tick = start - 1 + k
            rows.append((citizen, start, tick, tick - start, score, degree, scripted))
    return pd.DataFrame(rows, columns=["citizen", "listing_tick", "tick",
                                       "months_since_listing", "score", "contacts", "scripted"])


def _tracked():
    # the twin: citizens 1 and 2 never listed, months 0..6 (score 710 / 610, 5 / 2 contacts)
    rows = [(c, t, 700.0 + 10 if c == 1 else 610.0, 5 if c == 1 else 2)
            for t in range(7) for c in (1, 2)]
    return pd.DataFrame(rows, columns=["citizen", "tick", "score", "contacts"])


def test_twin_losses_by_hand():
    listed, tracked = _listed(), _tracked()
    # two months on: citizen 1 at month 4 has 530 and 2 contacts against 710 and 5;
    # citizen 2 at month 5 has 430 and 0 against 610 and 2
    lost = measures.twin_losses(listed, tracked, 2)
    assert lost == {"score": ((710 - 530) + (610 - 430)) / 2,
                    "contacts": ((5 - 2) / 5 + (2 - 0) / 2) / 2, "episodes": 2.0}
    assert measures.twin_losses(listed, tracked, 2, which="scripted")["score"] == 180.0
    assert measures.twin_losses(listed, tracked, 2, which="background")["score"] == 180.0
    assert measures.twin_losses(listed, tracked, 1, which="background")["score"] == 610 - 445
    none = measures.twin_losses(listed, tracked, 9)
    assert math.isnan(none["score"]) and none["episodes"] == 0.0
    assert math.isnan(measures.twin_losses(listed, tracked.iloc[:0], 1)["score"])


def test_twin_rows_in_any_order_and_first_of_equal_rows():
    tracked = _tracked()
    shuffled = tracked.sample(frac=1.0, random_state=3).reset_index(drop=True)
    doubled = pd.concat([shuffled, shuffled.assign(score=0.0)], ignore_index=True)
    listed = _listed()
    expected = measures.twin_losses(listed, tracked, 2)
    assert measures.twin_losses(listed, shuffled, 2) == expected
    assert measures.twin_losses(listed, doubled, 2) == expected  # the first row found wins
    twin = measures.Twin(shuffled)
    rows = twin.rows(np.array([1, 2, 3, -1, 1]), np.array([4, 0, 4, 2, 99]))
    assert rows[2:].tolist() == [-1, -1, -1]  # no such citizen, a bad id, no such month
    assert shuffled.loc[rows[0], ["citizen", "tick"]].tolist() == [1, 4]
    assert shuffled.loc[rows[1], ["citizen", "tick"]].tolist() == [2, 0]


@pytest.mark.parametrize("horizon", [1, 2, 3])
def test_one_twin_for_every_variant_gives_the_function_s_numbers(horizon):
    listed, tracked = _listed(), _tracked()
    twin, episodes = measures.Twin(tracked), measures.Episodes(listed)
    for which in ("all", "scripted", "background"):
        got = twin.losses(episodes, horizon, which=which)
        want = measures.twin_losses(listed, tracked, horizon, which=which)
        assert got.keys() == want.keys()
        assert all(got[k] == want[k] or (math.isnan(got[k]) and math.isnan(want[k]))
                   for k in got)


@pytest.mark.parametrize("confidence", [0.5, 0.9, 0.95, 0.99])
def test_t_critical_is_scipy_stats_t_ppf(confidence):
    from scipy import stats

    df = np.arange(1, 400)
    assert np.array_equal(measures.averages.t_critical(confidence, df),
                          stats.t.ppf(0.5 + confidence / 2, df))
    assert float(measures.averages.t_critical(0.95, 9)) == pytest.approx(2.2621571628)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(-5, 40)), max_size=60))
def test_first_month_of_each_episode(pairs):
    from spiral.experiments.measures.episodes import _first_by

    episodes = np.array([e for e, _ in pairs], dtype=np.int64)
    months = np.array([m for _, m in pairs], dtype=np.int64)
    want = [min(m for e, m in pairs if e == k) for k in sorted({e for e, _ in pairs})]
    assert _first_by(episodes, months, 13).tolist() == want
