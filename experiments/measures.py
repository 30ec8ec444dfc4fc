"""Spiral measures computed from a run's tidy tables (DESIGN.md section 4).

Every function reads tables (pandas DataFrames as written to ``listed.csv``,
``citizens.csv``, ``timeseries.csv``), never the engine's internals, so the same measures can be
recomputed from a results folder in pandas or R.

* :func:`score_loss` and :func:`amplification`: the spiral, against the paired run;
* :func:`isolation`: listed citizens left without contacts, and when;
* :func:`spillover`: never-listed friends of the listed (guilt by association), grade D among
  the never-listed, and damage by hop distance;
* :func:`scar`: after delisting, how far score and contacts stay below the pre-listing level;
* :func:`network_summary`: components, isolates, assortativity and grade mix at the end.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

HORIZONS = (6, 12, 24)


def _baseline(listed: pd.DataFrame) -> pd.DataFrame:
    """Score and contacts the month before each listing, one row per episode."""
    before = listed[listed["ticks_since_listing"] == -1]
    return before.set_index(["citizen", "listing_tick"])[["score", "contacts"]]


def episode_losses(listed: pd.DataFrame, horizon: int) -> pd.Series:
    """Per episode: score the month before listing minus score ``horizon`` months after."""
    base = _baseline(listed)
    at = listed[listed["ticks_since_listing"] == horizon].set_index(
        ["citizen", "listing_tick"])["score"]
    joined = base["score"].to_frame("before").join(at.rename("after"), how="inner")
    return joined["before"] - joined["after"]


def score_loss(listed: pd.DataFrame, horizon: int) -> float:
    """Mean score loss of listed citizens ``horizon`` months after listing (NaN if none)."""
    losses = episode_losses(listed, horizon)
    return float(losses.mean()) if len(losses) else math.nan


def contact_loss_share(listed: pd.DataFrame, horizon: int) -> float:
    """Mean share of contacts lost ``horizon`` months after listing."""
    base = _baseline(listed)["contacts"]
    at = listed[listed["ticks_since_listing"] == horizon].set_index(
        ["citizen", "listing_tick"])["contacts"]
    joined = base.to_frame("before").join(at.rename("after"), how="inner")
    joined = joined[joined["before"] > 0]
    if joined.empty:
        return math.nan
    return float(((joined["before"] - joined["after"]) / joined["before"]).mean())


def amplification(listed: pd.DataFrame, listed_cf: pd.DataFrame, horizon: int) -> float:
    """Score loss with feedback divided by score loss without, for the same episodes.

    Only episodes present in both runs (same citizen, same listing month) count; the paired
    run has the same listings by construction.
    """
    with_fb = episode_losses(listed, horizon)
    without = episode_losses(listed_cf, horizon)
    common = with_fb.index.intersection(without.index)
    if len(common) == 0:
        return math.nan
    denominator = without.loc[common].mean()
    if denominator == 0:
        return math.nan
    return float(with_fb.loc[common].mean() / denominator)


def isolation(listed: pd.DataFrame) -> dict[str, float]:
    """Share of listing episodes that reach zero contacts, and the median months to get there."""
    after = listed[listed["ticks_since_listing"] >= 0]
    if after.empty:
        return {"isolated_share": math.nan, "months_to_isolation": math.nan}
    episodes = after.groupby(["citizen", "listing_tick"])
    first_zero = after[after["contacts"] == 0].groupby(["citizen", "listing_tick"])[
        "ticks_since_listing"].min()
    share = len(first_zero) / episodes.ngroups
    return {"isolated_share": float(share),
            "months_to_isolation": float(first_zero.median()) if len(first_zero) else math.nan}


def spillover(citizens: pd.DataFrame) -> dict[str, float]:
    """Guilt by association among the never-listed.

    Compares never-listed friends of listed citizens (friends at the time of listing) with
    the other never-listed citizens: mean score change and contact change from start to end,
    and the share who end in grade D; and the mean score change by hop distance from the
    nearest listed citizen (1, 2, 3+).
    """
    never = citizens[~citizens["ever_listed"]]
    friends = never[never["friend_of_listed"]]
    others = never[~never["friend_of_listed"]]

    def change(frame: pd.DataFrame, col: str) -> float:
        if frame.empty:
            return math.nan
        return float((frame[f"final_{col}"] - frame[f"initial_{col}"]).mean())

    out = {
        "friends_score_change": change(friends, "score"),
        "others_score_change": change(others, "score"),
        "friends_contact_change": change(friends, "contacts"),
        "others_contact_change": change(others, "contacts"),
        "never_listed_grade_D_share": float((never["final_grade"] == "D").mean())
        if len(never) else math.nan,
        "friends_grade_D_share": float((friends["final_grade"] == "D").mean())
        if len(friends) else math.nan,
    }
    for hops, label in ((1, "1"), (2, "2"), (3, "3plus")):
        sel = never[never["hops_to_listed"] == hops] if hops < 3 else \
            never[never["hops_to_listed"] >= 3]
        out[f"score_change_hops_{label}"] = change(sel, "score")
    return out


def scar(listed: pd.DataFrame, *, after_months: tuple[int, ...] = (6, 12)) -> dict[str, float]:
    """Hysteresis after delisting: score and contact gaps against the pre-listing level.

    For every episode that ended, the gap ``before - value`` at ``k`` months after delisting,
    and the median months until the score is back within 5 points of its pre-listing level
    (NaN if none recovered).
    """
    ended = listed[listed["delisting_tick"] >= 0]
    out: dict[str, float] = {"delisted_episodes": float(ended.groupby(
        ["citizen", "listing_tick"]).ngroups)}
    if ended.empty:
        for k in after_months:
            out[f"scar_score_{k}m"] = math.nan
            out[f"scar_contacts_{k}m"] = math.nan
        out["months_to_recover"] = math.nan
        return out
    base = _baseline(ended)
    since_out = ended["tick"] - ended["delisting_tick"]
    for k in after_months:
        at = ended[since_out == k].set_index(["citizen", "listing_tick"])[["score", "contacts"]]
        joined = base.join(at, how="inner", lsuffix="_before")
        out[f"scar_score_{k}m"] = float((joined["score_before"] - joined["score"]).mean()) \
            if len(joined) else math.nan
        out[f"scar_contacts_{k}m"] = float(
            (joined["contacts_before"] - joined["contacts"]).mean()) if len(joined) else math.nan
    post = ended[since_out >= 0].join(base, on=["citizen", "listing_tick"], rsuffix="_before")
    recovered = post[post["score"] >= post["score_before"] - 5]
    first = recovered.groupby(["citizen", "listing_tick"]).apply(
        lambda g: (g["tick"] - g["delisting_tick"]).min(), include_groups=False)
    out["months_to_recover"] = float(first.median()) if len(first) else math.nan
    out["recovered_share"] = float(len(first) / out["delisted_episodes"])
    return out


def network_summary(timeseries: pd.DataFrame) -> dict[str, float]:
    """Network and grade measures at the last tick, and changes since the start."""
    first, last = timeseries.iloc[0], timeseries.iloc[-1]
    keys = ("components", "largest_component_share", "isolates", "score_assortativity",
            "ties", "mean_score", "share_A", "share_B", "share_C", "share_D")
    out = {f"final_{k}": float(last[k]) for k in keys}
    out["ties_lost_share"] = float(1 - last["ties"] / first["ties"]) if first["ties"] else 0.0
    return out


def summarise(data, data_cf=None) -> dict:
    """Headline measures of a run (and its paired counterfactual, if given)."""
    listed = data.listed
    out: dict = {"listing_episodes": int(listed.groupby(["citizen", "listing_tick"]).ngroups)
                 if len(listed) else 0}
    for h in HORIZONS:
        out[f"score_loss_{h}m"] = score_loss(listed, h)
        out[f"contact_loss_share_{h}m"] = contact_loss_share(listed, h)
        if data_cf is not None:
            out[f"score_loss_{h}m_counterfactual"] = score_loss(data_cf.listed, h)
            out[f"contact_loss_share_{h}m_counterfactual"] = contact_loss_share(data_cf.listed, h)
            out[f"amplification_{h}m"] = amplification(listed, data_cf.listed, h)
    out.update(isolation(listed))
    out.update(spillover(data.citizens))
    out.update(scar(listed))
    out.update(network_summary(data.timeseries))
    return {k: _clean(v) for k, v in out.items()}


def _clean(value):
    if isinstance(value, float | np.floating):
        value = float(value)
        return None if math.isnan(value) else round(value, 6)
    return value
