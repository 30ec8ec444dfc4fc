"""Measures across the variants of a run: the unlisted twin, contrasts and the decomposition.

All variants of a run share seed, network, listings and keyed random draws, so a listed
citizen can be compared with themselves in another variant:

* :func:`twin_losses`: what a listing cost, against the ``unlisted`` twin (the same town
  with no listings): score and contacts of each listed citizen at ``h`` months after the
  listing, in the twin minus in the variant. This removes the drift every citizen's score
  has (good deeds) and the turnover every network has, which a before/after comparison
  would mix in;
* :func:`shapley`: the extra loss of ``spiral`` over ``penalty`` split over the channels
  S (stigma), N (the score reads the network) and F (fear for one's own score), with the
  interaction terms (Harsanyi dividends); F has no effect without N, so the coalitions F and
  SF equal the empty one and S;
* :func:`ladder`: the same extra loss in the fixed order penalty, stigma, chain, spiral
  (an order-dependent split, reported for comparison).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

CHANNELS = "SNF"
# ladder variant -> the channels it switches on
COALITION = {"penalty": "", "stigma": "S", "network": "N", "chain": "SN", "fear": "NF",
             "spiral": "SNF"}
LADDER_ORDER = ("penalty", "stigma", "chain", "spiral")


def twin_losses(listed: pd.DataFrame, twin_tracked: pd.DataFrame, horizon: int,
                *, which: str = "all") -> dict[str, float]:
    """Mean score loss and contact loss share against the unlisted twin, ``horizon`` months on.

    Args:
        listed: The variant's ``listed`` table (episodes month by month).
        twin_tracked: The unlisted twin's ``tracked`` table (the listed citizens month by
            month, never listed there).
        horizon: Months after the listing.
        which: ``all`` episodes, only ``scripted`` ones (cohort and scripted listings) or
            only ``background`` ones (the court's own).

    Returns:
        ``score`` (points lost against the twin; positive = lower), ``contacts`` (share of
        the twin's contacts the listed lack) and ``episodes`` (how many were observed that
        long), NaN where none.
    """
    mask = listed["months_since_listing"].to_numpy() == horizon
    if which != "all" and "scripted" in listed:
        mask &= listed["scripted"].to_numpy(bool) == (which == "scripted")
    rows = np.flatnonzero(mask)
    out = {"score": math.nan, "contacts": math.nan, "episodes": float(rows.size)}
    if rows.size == 0 or twin_tracked is None or twin_tracked.empty:
        return out
    where = _row_finder(twin_tracked)(listed["citizen"].to_numpy(np.int64)[rows],
                                      listed["tick"].to_numpy(np.int64)[rows])
    found = where >= 0
    if not found.any():
        return out
    twin = where[found]
    score = (twin_tracked["score"].to_numpy(np.float64)[twin]
             - listed["score"].to_numpy(np.float64)[rows[found]])
    twin_contacts = twin_tracked["contacts"].to_numpy(np.float64)[twin]
    mine = listed["contacts"].to_numpy(np.float64)[rows[found]]
    had = twin_contacts > 0
    out["score"] = float(score.mean())
    out["contacts"] = float(((twin_contacts[had] - mine[had]) / twin_contacts[had]).mean()) \
        if had.any() else math.nan
    out["episodes"] = float(found.sum())
    return out


def _row_finder(tracked: pd.DataFrame):
    """``find(citizens, ticks)``: the row of each (citizen, tick) in ``tracked``, -1 if none."""
    citizen = tracked["citizen"].to_numpy(np.int64)
    tick = tracked["tick"].to_numpy(np.int64)

    def find(citizens: np.ndarray, ticks: np.ndarray) -> np.ndarray:
        width = int(max(tick.max(initial=0), ticks.max(initial=0))) + 2
        keys = citizen * width + tick
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        wanted = citizens * width + ticks
        pos = np.minimum(np.searchsorted(ordered, wanted), max(ordered.size - 1, 0))
        hit = ordered[pos] == wanted if ordered.size else np.zeros(wanted.shape, bool)
        return np.where(hit, order[pos], -1)

    return find


def coalition_values(values: dict[str, float]) -> dict[str, float]:
    """The value of every coalition of S, N, F from the ladder variants' values.

    F acts only through N: v(F) = v({}) and v(SF) = v(S). Missing variants give NaN.
    """
    by = {COALITION[name]: value for name, value in values.items() if name in COALITION}
    out = {}
    for size in range(len(CHANNELS) + 1):
        for combo in itertools.combinations(CHANNELS, size):
            key = "".join(combo)
            lookup = key if "N" in key else key.replace("F", "")
            out[key] = by.get(lookup, math.nan)
    return out


def dividends(values: dict[str, float]) -> dict[str, float]:
    """Harsanyi dividends: main effects and interactions, adding up to v(SNF) - v({})."""
    v = coalition_values(values)
    out = {}
    for key in v:
        if not key:
            continue
        total = 0.0
        for size in range(len(key) + 1):
            for sub in itertools.combinations(key, size):
                total += (-1) ** (len(key) - size) * v["".join(sub)]
        out[key] = total
    return out


def shapley(values: dict[str, float]) -> dict[str, float]:
    """Shapley value of each channel: its dividends shared equally with its partners."""
    parts = dividends(values)
    return {c: sum(d / len(k) for k, d in parts.items() if c in k) for c in CHANNELS}


def ladder(values: dict[str, float]) -> dict[str, float]:
    """Steps of the fixed ladder penalty -> stigma -> chain -> spiral (order-dependent)."""
    return {f"{b}": values.get(b, math.nan) - values.get(a, math.nan)
            for a, b in itertools.pairwise(LADDER_ORDER)}
