"""Spiral measures computed from a run's tidy tables (DESIGN.md section 4).

Every function reads tables (pandas DataFrames as written to ``listed.csv``,
``citizens.csv``, ``timeseries.csv``), never the engine's internals, so the same measures can be
recomputed from a results folder in pandas or R.

* :func:`score_loss` and :func:`amplification`: the spiral, against the paired run;
* :func:`isolation`: listed citizens left without contacts, and when;
* :func:`spiral_trajectory`: mean score change and contacts by months since listing, both runs;
* :func:`spillover`: never-listed friends of the listed (guilt by association), grade D among
  the never-listed, and damage by hop distance;
* :func:`paired_spillover`: what the feedback cost the never-listed, against the paired run
  (score and contact gaps, pushed into grade D, reach in hops);
* :func:`scar`: after delisting, how far score and contacts stay below the pre-listing level
  (for all episodes, and with the ``wrongful_`` prefix for wrongful listings only);
* :func:`network_summary`: components, isolates, assortativity and grade mix at the end.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from spiral.model.records import MAX_HOPS

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
    """Share of listing episodes that reach zero contacts, and the median months to get there.

    Episodes of citizens who had no contacts the month before their listing cannot lose any
    and are left out.
    """
    keys = ["citizen", "listing_tick"]
    had = _baseline(listed)["contacts"]
    had = had[had > 0]
    after = listed[listed["ticks_since_listing"] >= 0]
    after = after[after.set_index(keys).index.isin(had.index)]
    if after.empty:
        return {"isolated_share": math.nan, "months_to_isolation": math.nan}
    episodes = after.groupby(keys)
    first_zero = after[after["contacts"] == 0].groupby(keys)["ticks_since_listing"].min()
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
    had = never[never["initial_contacts"] > 0]
    out["never_listed_contact_loss_share"] = float(
        ((had["initial_contacts"] - had["final_contacts"]).clip(lower=0)
         / had["initial_contacts"]).mean()) if len(had) else math.nan
    for hops, label in HOP_BANDS:
        out[f"score_change_hops_{label}"] = change(_hop_band(never, hops), "score")
    return out


HOP_BANDS = ((1, "1"), (2, "2"), (3, "3plus"))
REACH_MIN_POINTS = 1.0


def _hop_band(frame: pd.DataFrame, hops: int) -> pd.DataFrame:
    """Citizens ``hops`` away from the nearest listed citizen (3 means 3 or more)."""
    return frame[frame["hops_to_listed"] == hops] if hops < 3 else \
        frame[frame["hops_to_listed"] >= 3]


def paired_spillover(citizens: pd.DataFrame, citizens_cf: pd.DataFrame) -> dict[str, float]:
    """Damage to the never-listed caused by the feedback, against the paired run.

    Both runs have the same citizens, deeds and listings, so a never-listed citizen's final
    score without feedback minus with feedback is what the feedback cost them (positive =
    harm). Reports the mean gap among friends of the listed and by hop distance, the contacts
    they lost to it, the share of never-listed citizens the feedback pushed into grade D (in
    grade D with feedback, not without) and the reach: the largest hop distance (1..6) at which
    the mean gap is at least :data:`REACH_MIN_POINTS` (0 if none).
    """
    cf = citizens_cf.set_index("citizen")
    fb = citizens.set_index("citizen")
    never = fb[~fb["ever_listed"]].copy()
    never["score_gap"] = cf.loc[never.index, "final_score"] - never["final_score"]
    never["contacts_gap"] = cf.loc[never.index, "final_contacts"] - never["final_contacts"]
    never["d_without"] = cf.loc[never.index, "final_grade"] == "D"
    friends = never[never["friend_of_listed"]]

    def mean(frame: pd.DataFrame, col: str) -> float:
        return float(frame[col].mean()) if len(frame) else math.nan

    out = {"friends_score_gap": mean(friends, "score_gap"),
           "friends_contacts_gap": mean(friends, "contacts_gap"),
           "never_listed_score_gap": mean(never, "score_gap"),
           "pushed_to_grade_D_share": float(((never["final_grade"] == "D")
                                             & ~never["d_without"]).mean())
           if len(never) else math.nan}
    for hops, label in HOP_BANDS:
        out[f"score_gap_hops_{label}"] = mean(_hop_band(never, hops), "score_gap")
    by_hop = never[never["hops_to_listed"] >= 1].groupby("hops_to_listed")["score_gap"].mean()
    reached = by_hop[by_hop >= REACH_MIN_POINTS].index
    reached = [h for h in reached if h <= MAX_HOPS]
    out["reach_hops"] = float(max(reached)) if reached else 0.0
    return out


def scar(listed: pd.DataFrame, *, after_months: tuple[int, ...] = (6, 12),
         prefix: str = "") -> dict[str, float]:
    """Hysteresis after delisting: score and contact gaps against the pre-listing level.

    For every episode that ended: the gap ``before - value`` at ``k`` months after delisting
    (episodes that reach that month), the median months until the score is back within
    :data:`RECOVERY_POINTS` of its pre-listing level and until the contacts are back to their
    pre-listing number (among those that got there), and the share that recovered their score.

    Args:
        listed: The ``listed`` table of one run.
        after_months: Months after delisting at which the gaps are read.
        prefix: Prefix of the measure names (e.g. ``"wrongful_"``).
    """
    keys = ["citizen", "listing_tick"]
    ended = listed[listed["delisting_tick"] >= 0]
    n_ended = ended.groupby(keys).ngroups if len(ended) else 0
    out: dict[str, float] = {"delisted_episodes": float(n_ended)}
    for k in after_months:
        out[f"scar_score_{k}m"] = math.nan
        out[f"scar_contacts_{k}m"] = math.nan
    out.update(months_to_recover=math.nan, months_to_recover_contacts=math.nan,
               recovered_share=math.nan)
    if ended.empty:
        return {prefix + k: v for k, v in out.items()}
    base = _baseline(ended)
    post = ended.assign(months_out=ended["tick"] - ended["delisting_tick"])
    post = post[post["months_out"] >= 0].join(base.add_suffix("_before"), on=keys)
    for k in after_months:
        at = post[post["months_out"] == k]
        if len(at):
            out[f"scar_score_{k}m"] = float((at["score_before"] - at["score"]).mean())
            out[f"scar_contacts_{k}m"] = float((at["contacts_before"] - at["contacts"]).mean())
    back = post[post["score"] >= post["score_before"] - RECOVERY_POINTS]
    first = back.groupby(keys)["months_out"].min()
    if len(first):
        out["months_to_recover"] = float(first.median())
    out["recovered_share"] = float(len(first) / n_ended)
    contacts_back = post[post["contacts"] >= post["contacts_before"]]
    first_contacts = contacts_back.groupby(keys)["months_out"].min()
    if len(first_contacts):
        out["months_to_recover_contacts"] = float(first_contacts.median())
    return {prefix + k: v for k, v in out.items()}


RECOVERY_POINTS = 5


def network_summary(timeseries: pd.DataFrame) -> dict[str, float]:
    """Network and grade measures at the last tick, and changes since the start."""
    first, last = timeseries.iloc[0], timeseries.iloc[-1]
    keys = ("components", "largest_component_share", "isolates", "score_assortativity",
            "ties", "mean_score", "share_A", "share_B", "share_C", "share_D")
    out = {f"final_{k}": float(last[k]) for k in keys}
    out["ties_lost_share"] = float(1 - last["ties"] / first["ties"]) if first["ties"] else 0.0
    return out


def spiral_trajectory(listed: pd.DataFrame, listed_cf: pd.DataFrame | None = None, *,
                      max_months: int = 36) -> pd.DataFrame:
    """The spiral: listed citizens' score change and contacts by months since listing.

    One row per variant (``feedback``, and ``counterfactual`` if the paired run's table is
    given) and month from -1 (the month before the listing) to ``max_months``: episodes
    reaching that month, mean score change since the month before the listing, mean contacts,
    and the 95% t-interval of the mean score change.
    """
    from scipy import stats

    frames = []
    for variant, table in (("feedback", listed), ("counterfactual", listed_cf)):
        if table is None or table.empty:
            continue
        base = _baseline(table)["score"].rename("score_before")
        window = table[(table["ticks_since_listing"] >= -1)
                       & (table["ticks_since_listing"] <= max_months)]
        window = window.join(base, on=["citizen", "listing_tick"])
        window = window.assign(score_change=window["score"] - window["score_before"])
        grouped = window.groupby("ticks_since_listing")
        frame = grouped.agg(episodes=("score_change", "count"),
                            score_change=("score_change", "mean"),
                            score_change_sd=("score_change", "std"),
                            contacts=("contacts", "mean")).reset_index()
        n = frame["episodes"]
        half = stats.t.ppf(0.975, (n - 1).clip(lower=1)) * frame["score_change_sd"] / np.sqrt(n)
        frame["score_change_ci_low"] = frame["score_change"] - half.where(n > 1)
        frame["score_change_ci_high"] = frame["score_change"] + half.where(n > 1)
        frame.insert(0, "variant", variant)
        frames.append(frame.rename(columns={"ticks_since_listing": "months_since_listing"})
                      .drop(columns="score_change_sd"))
    if not frames:
        return pd.DataFrame(columns=["variant", "months_since_listing", "episodes",
                                     "score_change", "contacts", "score_change_ci_low",
                                     "score_change_ci_high"])
    return pd.concat(frames, ignore_index=True)


def summarise(data, data_cf=None) -> dict:
    """Headline measures of a run (and its paired counterfactual, if given).

    Always the same keys for the same ``data_cf``-or-not (missing values are ``None``), so
    runs of a sweep line up as columns.
    """
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
    if data_cf is not None:
        out.update(paired_spillover(data.citizens, data_cf.citizens))
    out.update(scar(listed))
    wrongful = listed[listed["wrongful"].astype(bool)] if len(listed) else listed
    out.update(scar(wrongful, prefix="wrongful_"))
    out.update(network_summary(data.timeseries))
    return {k: _clean(v) for k, v in out.items()}


def _clean(value):
    if isinstance(value, float | np.floating):
        value = float(value)
        return None if math.isnan(value) else round(value, 6)
    return value
