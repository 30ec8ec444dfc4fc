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
from spiral.experiments.measures.episodes import Episodes

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
    return Twin(twin_tracked).losses(Episodes(listed), horizon, which=which)


class Twin:
    """The unlisted twin's ``tracked`` table, indexed once by (month, citizen).

    :meth:`losses` is :func:`twin_losses` for a variant's prepared episodes; a run's variants
    and horizons share one index.
    """

    def __init__(self, tracked: pd.DataFrame | None) -> None:
        self.empty = tracked is None or tracked.empty
        if self.empty:
            return
        self.citizen = tracked["citizen"].to_numpy(np.int64)
        self.tick = tracked["tick"].to_numpy(np.int64)
        self.score = tracked["score"].to_numpy(np.float64)
        self.contacts = tracked["contacts"].to_numpy(np.float64)
        self.width = int(self.citizen.max(initial=0)) + 1
        keys = self.tick * self.width + self.citizen
        if keys.size < 2 or bool((np.diff(keys) > 0).all()):  # a run's table: in key order
            self.order, self.keys = None, keys
        else:
            self.order = np.argsort(keys, kind="stable")  # the first of equal rows wins
            self.keys = keys[self.order]

    def rows(self, citizens: np.ndarray, ticks: np.ndarray) -> np.ndarray:
        """The row of each (citizen, tick) in the table, -1 where there is none."""
        citizens = np.asarray(citizens, dtype=np.int64)
        ticks = np.asarray(ticks, dtype=np.int64)
        if self.empty or self.keys.size == 0:
            return np.full(citizens.shape, -1, dtype=np.int64)
        valid = (citizens >= 0) & (citizens < self.width) & (ticks >= 0)
        wanted = np.where(valid, ticks * self.width + citizens, -1)
        pos = np.minimum(np.searchsorted(self.keys, wanted), self.keys.size - 1)
        hit = valid & (self.keys[pos] == wanted)
        found = pos if self.order is None else self.order[pos]
        return np.where(hit, found, -1)

    def losses(self, listed: Episodes, horizon: int, *, which: str = "all"
               ) -> dict[str, float]:
        """See :func:`twin_losses`; ``listed`` is the variant's :class:`Episodes`."""
        mask = listed.months == horizon
        if which != "all" and listed.scripted is not None:
            mask &= listed.scripted == (which == "scripted")
        rows = np.flatnonzero(mask)
        out = {"score": math.nan, "contacts": math.nan, "episodes": float(rows.size)}
        if rows.size == 0 or self.empty:
            return out
        where = self.rows(listed.citizen_of_row[rows], listed.tick[rows])
        found = where >= 0
        if not found.any():
            return out
        twin = where[found]
        mine = rows[found]
        score = self.score[twin] - listed.score[mine].astype(np.float64)
        twin_contacts = self.contacts[twin]
        contacts = listed.contacts[mine].astype(np.float64)
        had = twin_contacts > 0
        out["score"] = float(score.mean())
        out["contacts"] = float(((twin_contacts[had] - contacts[had]) / twin_contacts[had])
                                .mean()) if had.any() else math.nan
        out["episodes"] = float(found.sum())
        return out


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
