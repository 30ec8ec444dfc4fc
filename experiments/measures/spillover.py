"""Guilt by association: what the blacklisting of some costs the never-listed around them.

* :func:`spillover`: never-listed friends of the listed against the other never-listed
  (score and contact change, grade D), and damage by hop distance from the nearest listed;
* :func:`paired_spillover`: what the network feedback cost the never-listed, against the
  paired run (score and contact gaps, pushed into grade D, reach in hops).

Both read the ``citizens`` table (one row per citizen at the end of a run, as written to
``citizens.csv``), never the engine's internals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from spiral.experiments.measures.averages import mean
from spiral.model.records import MAX_HOPS

HOP_BANDS = ((1, "1"), (2, "2"), (3, "3plus"))
REACH_MIN_POINTS = 1.0  # a mean score gap of at least this many points reaches a hop distance


def spillover(citizens: pd.DataFrame) -> dict[str, float]:
    """Guilt by association among the never-listed.

    Compares never-listed friends of listed citizens (friends at the time of listing) with
    the other never-listed citizens: mean score change and contact change from start to end,
    and the share who end in grade D; and the mean score change by hop distance from the
    nearest listed citizen (1, 2, 3+).
    """
    never = ~citizens["ever_listed"].to_numpy(dtype=bool)
    friend = citizens["friend_of_listed"].to_numpy(dtype=bool)
    friends, others = never & friend, never & ~friend
    score_change = _difference(citizens, "final_score", "initial_score")
    contact_change = _difference(citizens, "final_contacts", "initial_contacts")
    grade_d = _in_grade_d(citizens)
    out = {
        "friends_score_change": mean(score_change[friends]),
        "others_score_change": mean(score_change[others]),
        "friends_contact_change": mean(contact_change[friends]),
        "others_contact_change": mean(contact_change[others]),
        "never_listed_grade_D_share": mean(grade_d[never]),
        "friends_grade_D_share": mean(grade_d[friends]),
    }
    initial = citizens["initial_contacts"].to_numpy().astype(np.int64)
    had = never & (initial > 0)
    lost = np.clip(-contact_change[had], 0, None)
    out["never_listed_contact_loss_share"] = mean(lost / initial[had])
    hops = citizens["hops_to_listed"].to_numpy()
    for band, label in HOP_BANDS:
        out[f"score_change_hops_{label}"] = mean(score_change[never & _in_band(hops, band)])
    return out


def _in_band(hops: np.ndarray, band: int) -> np.ndarray:
    """Citizens ``band`` hops away from the nearest listed citizen (3 means 3 or more)."""
    return hops == band if band < 3 else hops >= 3


def _difference(table: pd.DataFrame, first: str, second: str) -> np.ndarray:
    """``table[first] - table[second]`` in float64 (scores) or int64 (counts)."""
    return _gap(table[first].to_numpy(), table[second].to_numpy())


def _gap(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``first - second`` in float64 (scores) or int64 (counts)."""
    wide = np.float64 if first.dtype.kind == "f" or second.dtype.kind == "f" else np.int64
    return first.astype(wide) - second.astype(wide)


def _in_grade_d(citizens: pd.DataFrame) -> np.ndarray:
    """Who ends in grade D (the grades as text, whatever the column's string dtype)."""
    return np.asarray(citizens["final_grade"].to_numpy() == "D", dtype=bool)


def paired_spillover(citizens: pd.DataFrame, citizens_cf: pd.DataFrame) -> dict[str, float]:
    """Damage to the never-listed caused by the feedback, against the paired run.

    Both runs have the same citizens, deeds and listings, so a never-listed citizen's final
    score without feedback minus with feedback is what the feedback cost them (positive =
    harm). Reports the mean gap among friends of the listed and by hop distance, the contacts
    they lost to it, the share of never-listed citizens the feedback pushed into grade D (in
    grade D with feedback, not without) and the reach: the largest hop distance (1..6) at which
    the mean gap is at least :data:`REACH_MIN_POINTS` (0 if none).
    """
    ids = citizens["citizen"].to_numpy()
    ids_cf = citizens_cf["citizen"].to_numpy()
    if np.array_equal(ids, ids_cf):
        aligned = citizens_cf  # the same citizens in the same order: no lookup needed
    else:
        where = pd.Index(ids_cf).get_indexer(ids)
        if (where < 0).any():  # get_indexer marks a missing citizen -1: never the last row
            missing = ids[where < 0][:3].tolist()
            raise ValueError(f"paired spillover needs the same citizens in both variants; "
                             f"citizens {missing} are missing from the baseline")
        aligned = citizens_cf.iloc[where]
    never = ~citizens["ever_listed"].to_numpy(dtype=bool)
    friends = never & citizens["friend_of_listed"].to_numpy(dtype=bool)
    score_gap = _gap(aligned["final_score"].to_numpy(), citizens["final_score"].to_numpy())
    contacts_gap = _gap(aligned["final_contacts"].to_numpy(),
                        citizens["final_contacts"].to_numpy())
    pushed = _in_grade_d(citizens) & ~_in_grade_d(aligned)
    out = {"friends_score_gap": mean(score_gap[friends]),
           "friends_contacts_gap": mean(contacts_gap[friends]),
           "never_listed_score_gap": mean(score_gap[never]),
           "pushed_to_grade_D_share": mean(pushed[never])}
    hops = citizens["hops_to_listed"].to_numpy()
    for band, label in HOP_BANDS:
        out[f"score_gap_hops_{label}"] = mean(score_gap[never & _in_band(hops, band)])
    counted = never & (hops >= 1)
    by_hop = pd.Series(score_gap[counted]).groupby(hops[counted]).mean()
    reached = by_hop[by_hop >= REACH_MIN_POINTS].index
    reached = [h for h in reached if h <= MAX_HOPS]
    out["reach_hops"] = float(max(reached)) if reached else 0.0
    return out
