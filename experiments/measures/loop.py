"""The loop itself: how the chance of being dropped by a friend changes after the friend hears.

For every (friend, listed citizen) pair in which the friend heard of the listing, the pair is
followed from the month of hearing until the friend drops the listed citizen (an event), or
until the pair stops being at risk (censored): the listing ends (everyone forgets), the tie
goes another way (the listed citizen drops the friend, or the tie lapses), or the run ends.

``drop_hazard`` is, for each month since hearing, the share of the pairs still at risk at the
start of that month that are dropped in it: a discrete-time hazard (Kaplan-Meier style). If
the score the algorithm reads feeds the friends' fear, the hazard rises as the listed
citizen's score falls; if only stigma acts, it does not rise (it may even fall: the friends
most prone to stigma drop early, the ones left are the least prone).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ENDS_OF_RISK = ("lapse", "delisting")


def at_risk_pairs(events: pd.DataFrame, last_tick: int) -> pd.DataFrame:
    """One row per heard-of listing: friend, listed, heard month, end month, dropped or not.

    Args:
        events: A run's (one variant's) events table.
        last_tick: The last month of the run (pairs still at risk then are censored).
    """
    heard = events[events["event"] == "heard"][["citizen", "other", "tick"]]
    heard = heard.rename(columns={"citizen": "friend", "other": "listed", "tick": "heard"})
    if heard.empty:
        return heard.assign(end=pd.Series(dtype=np.int64), dropped=pd.Series(dtype=bool))
    n = int(max(events["citizen"].max(), events["other"].max())) + 1
    key = heard["friend"].to_numpy(np.int64) * n + heard["listed"].to_numpy(np.int64)
    end = np.full(key.size, last_tick, dtype=np.int64)
    dropped = np.zeros(key.size, dtype=bool)
    start = heard["heard"].to_numpy(np.int64)

    def first_after(keys: np.ndarray, ticks: np.ndarray, strictly: bool):
        """For each heard pair, the first month >= (or >) its hearing with a matching key."""
        order = np.lexsort((ticks, keys))
        keys, ticks = keys[order], ticks[order]
        out = np.full(key.size, np.iinfo(np.int64).max, dtype=np.int64)
        lo = np.searchsorted(keys, key, side="left")
        hi = np.searchsorted(keys, key, side="right")
        for row in np.flatnonzero(hi > lo):
            months = ticks[lo[row]:hi[row]]
            later = months[months > start[row]] if strictly else months[months >= start[row]]
            if later.size:
                out[row] = later[0]
        return out

    cuts = events[events["event"] == "cut"]
    c_i, c_j = cuts["citizen"].to_numpy(np.int64), cuts["other"].to_numpy(np.int64)
    c_t = cuts["tick"].to_numpy(np.int64)
    drop_at = first_after(c_i * n + c_j, c_t, strictly=False)  # the friend drops the listed
    reverse = first_after(c_j * n + c_i, c_t, strictly=False)  # the listed drops the friend
    lapses = events[events["event"] == "lapse"]
    l_i, l_j = lapses["citizen"].to_numpy(np.int64), lapses["other"].to_numpy(np.int64)
    l_t = lapses["tick"].to_numpy(np.int64)
    lapse_at = np.minimum(first_after(l_i * n + l_j, l_t, strictly=False),
                          first_after(l_j * n + l_i, l_t, strictly=False))
    delisted = events[events["event"] == "delisting"]
    d_j = delisted["citizen"].to_numpy(np.int64)
    d_t = delisted["tick"].to_numpy(np.int64)
    # a delisting of the listed citizen: match on the listed id alone (any friend)
    del_at = np.full(key.size, np.iinfo(np.int64).max, dtype=np.int64)
    order = np.lexsort((d_t, d_j))
    d_j, d_t = d_j[order], d_t[order]
    listed_ids = heard["listed"].to_numpy(np.int64)
    lo = np.searchsorted(d_j, listed_ids, side="left")
    hi = np.searchsorted(d_j, listed_ids, side="right")
    for row in np.flatnonzero(hi > lo):
        months = d_t[lo[row]:hi[row]]
        later = months[months > start[row]]
        if later.size:
            del_at[row] = later[0]
    # month order: the court (delisting) acts before unfriending, lapses after it; a pair
    # is at risk in the month the listed drops the friend or the tie lapses, not in the
    # month of the delisting
    other_way = np.minimum(reverse, lapse_at)
    dropped = (drop_at <= other_way) & (drop_at < del_at) & (drop_at <= last_tick)
    censored_end = np.minimum.reduce([other_way, del_at - 1, np.full(key.size, last_tick)])
    end = np.where(dropped, drop_at, censored_end)
    return heard.assign(end=end, dropped=dropped).reset_index(drop=True)


def drop_hazard(pairs: pd.DataFrame, *, max_months: int = 24) -> pd.DataFrame:
    """Per month since hearing: pairs at risk, drops, and the hazard (drops / at risk)."""
    since_end = (pairs["end"] - pairs["heard"]).to_numpy(np.int64)
    dropped = pairs["dropped"].to_numpy(bool)
    months = np.arange(max_months + 1)
    at_risk = np.array([(since_end >= m).sum() for m in months])
    drops = np.array([(dropped & (since_end == m)).sum() for m in months])
    with np.errstate(invalid="ignore", divide="ignore"):
        hazard = np.where(at_risk > 0, drops / np.maximum(at_risk, 1), np.nan)
    return pd.DataFrame({"months_since_heard": months, "at_risk": at_risk, "drops": drops,
                         "hazard": hazard})
