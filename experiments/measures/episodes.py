"""Spiral measures computed from a run's tidy tables (defined in docs/ODD.md).

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
from spiral.model.records import MAX_HOPS, widened

HORIZONS = (6, 12, 24)


class Episodes:
    """A ``listed`` table prepared for the per-episode measures, without copying it.

    Each row gets the number of its listing episode (citizen, listing month); the score and
    contacts the month before each listing are looked up by that number. Rows are located with
    boolean masks over the columns and only the rows a measure reads are gathered, in table
    order, so each measure gives the same numbers as joining the table on
    ``["citizen", "listing_tick"]`` (sums in float64 whatever the column dtypes). The table
    may be in any row order; sorted by (listing month, citizen) or by (citizen, listing month),
    as a run's table is, the episodes are numbered without sorting.
    """

    def __init__(self, listed: pd.DataFrame) -> None:
        self.rows = len(listed)
        column = {name: listed[name].to_numpy() for name in
                  ("citizen", "listing_tick", "tick", "ticks_since_listing", "score",
                   "contacts", "delisting_tick") if name in listed}
        self.citizen_of_row = column["citizen"]
        self.listing_of_row = column["listing_tick"]
        self.months = column["ticks_since_listing"]
        self.tick = column.get("tick")
        self.score = column["score"]
        self.contacts = column["contacts"]
        self.delisting = column.get("delisting_tick")
        self.wrongful = listed["wrongful"].to_numpy(dtype=bool) if "wrongful" in listed else None
        self.episode = _episode_numbers(self.citizen_of_row, self.listing_of_row)
        self.count = int(self.episode.max()) + 1 if self.rows else 0
        self.citizen = np.zeros(self.count, dtype=self.citizen_of_row.dtype)
        self.listing_tick = np.zeros(self.count, dtype=self.listing_of_row.dtype)
        self.citizen[self.episode] = self.citizen_of_row
        self.listing_tick[self.episode] = self.listing_of_row
        before = np.flatnonzero(self.months == -1)
        self.base_rows = before  # the baseline rows, in table order
        self.base_order = np.full(self.count, -1, dtype=np.int64)
        self.base_order[self.episode[before]] = np.arange(before.size)
        self.base_score = self._per_episode(before, self.score)
        self.base_contacts = self._per_episode(before, self.contacts)

    def _per_episode(self, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
        """``values`` at ``rows``, one per episode (float64; NaN for episodes not given)."""
        out = np.full(self.count, np.nan)
        out[self.episode[rows]] = values[rows]
        return out

    def index(self, episodes: np.ndarray) -> pd.MultiIndex:
        """The (citizen, listing_tick) index of ``episodes``."""
        return pd.MultiIndex.from_arrays([self.citizen[episodes], self.listing_tick[episodes]],
                                         names=["citizen", "listing_tick"])

    def at_month(self, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        """Episodes with a baseline and a row ``horizon`` months after listing, and those rows.

        In the order of the episodes' baseline rows (the order a join on the baseline gives).
        """
        rows = np.flatnonzero(self.months == horizon)
        episodes = self.episode[rows]
        keep = self.base_order[episodes] >= 0
        rows, episodes = rows[keep], episodes[keep]
        order = np.argsort(self.base_order[episodes], kind="stable")
        return episodes[order], rows[order]

    def losses(self, horizon: int) -> pd.Series:
        """Score the month before listing minus score ``horizon`` months after, per episode."""
        episodes, rows = self.at_month(horizon)
        loss = self.base_score[episodes] - self.score[rows].astype(np.float64)
        return pd.Series(loss, index=self.index(episodes))

    def contact_loss_share(self, horizon: int) -> float:
        """Mean share of contacts lost ``horizon`` months after listing."""
        episodes, rows = self.at_month(horizon)
        before = self.base_contacts[episodes]
        had = before > 0
        if not had.any():
            return math.nan
        after = self.contacts[rows][had].astype(np.float64)
        return float(pd.Series((before[had] - after) / before[had]).mean())

    def distinct(self, rows: np.ndarray) -> int:
        """Number of episodes among the rows selected by the mask ``rows``."""
        seen = np.zeros(self.count, dtype=bool)
        seen[self.episode[rows]] = True
        return int(np.count_nonzero(seen))

    def isolation(self) -> dict[str, float]:
        """See :func:`isolation`."""
        had = self.base_contacts > 0
        after = (self.months >= 0) & had[self.episode]
        if not after.any():
            return {"isolated_share": math.nan, "months_to_isolation": math.nan}
        zero = after & (self.contacts == 0)
        first_zero = _first_by(self.episode[zero], self.months[zero], self.count)
        share = first_zero.size / self.distinct(after)
        return {"isolated_share": float(share),
                "months_to_isolation": _median(first_zero)}

    def scar(self, *, after_months: tuple[int, ...] = (6, 12), prefix: str = "",
             wrongful_only: bool = False) -> dict[str, float]:
        """See :func:`scar`; ``wrongful_only`` keeps the wrongful listings only."""
        ended = self.delisting >= 0
        if wrongful_only:
            ended &= self.wrongful
        n_ended = self.distinct(ended) if ended.any() else 0
        out: dict[str, float] = {"delisted_episodes": float(n_ended)}
        for k in after_months:
            out[f"scar_score_{k}m"] = math.nan
            out[f"scar_contacts_{k}m"] = math.nan
        out.update(months_to_recover=math.nan, months_to_recover_contacts=math.nan,
                   recovered_share=math.nan)
        if n_ended == 0:
            return {prefix + k: v for k, v in out.items()}
        base_rows = np.flatnonzero(ended & (self.months == -1))
        score_before = self._per_episode(base_rows, self.score)
        contacts_before = self._per_episode(base_rows, self.contacts)
        months_out = self.tick - self.delisting
        post = np.flatnonzero(ended & (months_out >= 0))
        months_out = months_out[post]
        episodes = self.episode[post]
        score = self.score[post].astype(np.float64)
        contacts = self.contacts[post]
        for k in after_months:
            at = months_out == k
            if at.any():
                out[f"scar_score_{k}m"] = float(
                    pd.Series(score_before[episodes[at]] - score[at]).mean())
                out[f"scar_contacts_{k}m"] = float(
                    pd.Series(contacts_before[episodes[at]] - contacts[at]).mean())
        back = score >= score_before[episodes] - RECOVERY_POINTS
        first = _first_by(episodes[back], months_out[back], self.count)
        if first.size:
            out["months_to_recover"] = _median(first)
        out["recovered_share"] = float(first.size / n_ended)
        contacts_back = contacts >= contacts_before[episodes]
        first_contacts = _first_by(episodes[contacts_back], months_out[contacts_back],
                                   self.count)
        if first_contacts.size:
            out["months_to_recover_contacts"] = _median(first_contacts)
        return {prefix + k: v for k, v in out.items()}


def _first_by(episodes: np.ndarray, months: np.ndarray, count: int) -> np.ndarray:
    """The smallest month per episode, for the episodes that appear."""
    first = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, episodes, months)
    return first[first < np.iinfo(np.int64).max]


def _median(values: np.ndarray) -> float:
    return float(pd.Series(values).median()) if len(values) else math.nan


def _episode_numbers(citizen: np.ndarray, listing_tick: np.ndarray) -> np.ndarray:
    """A number per row, the same for the rows of one (citizen, listing month) episode.

    Without sorting when the rows are sorted by (listing month, citizen) or (citizen,
    listing month); otherwise by a stable sort of the two columns.
    """
    rows = citizen.size
    if rows == 0:
        return np.zeros(0, dtype=np.int64)
    dtype = np.int32 if rows < 2**31 else np.int64
    for first, second in ((listing_tick, citizen), (citizen, listing_tick)):
        step_first, step_second = np.diff(first), np.diff(second)
        if not ((step_first < 0) | ((step_first == 0) & (step_second < 0))).any():
            numbers = np.zeros(rows, dtype=dtype)
            np.cumsum((step_first != 0) | (step_second != 0), out=numbers[1:])
            return numbers
    order = np.lexsort((citizen, listing_tick))
    changed = (np.diff(listing_tick[order]) != 0) | (np.diff(citizen[order]) != 0)
    numbers = np.zeros(rows, dtype=dtype)
    numbers[order[1:]] = np.cumsum(changed)
    return numbers


def episode_losses(listed: pd.DataFrame, horizon: int) -> pd.Series:
    """Per episode: score the month before listing minus score ``horizon`` months after."""
    return Episodes(listed).losses(horizon)


def score_loss(listed: pd.DataFrame, horizon: int) -> float:
    """Mean score loss of listed citizens ``horizon`` months after listing (NaN if none)."""
    return _mean_loss(Episodes(listed), horizon)


def _mean_loss(episodes: Episodes, horizon: int) -> float:
    losses = episodes.losses(horizon)
    return float(losses.mean()) if len(losses) else math.nan


def contact_loss_share(listed: pd.DataFrame, horizon: int) -> float:
    """Mean share of contacts lost ``horizon`` months after listing."""
    return Episodes(listed).contact_loss_share(horizon)


def amplification(listed: pd.DataFrame, listed_cf: pd.DataFrame, horizon: int) -> float:
    """Score loss with feedback divided by score loss without, for the same episodes.

    Only episodes present in both runs (same citizen, same listing month) count; the paired
    run has the same listings by construction.
    """
    return _amplification(Episodes(listed), Episodes(listed_cf), horizon)


def _amplification(episodes: Episodes, episodes_cf: Episodes, horizon: int) -> float:
    with_fb = episodes.losses(horizon)
    without = episodes_cf.losses(horizon)
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
    return Episodes(listed).isolation()


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
    grade_d = (citizens["final_grade"] == "D").to_numpy(dtype=bool)
    out = {
        "friends_score_change": _mean(score_change[friends]),
        "others_score_change": _mean(score_change[others]),
        "friends_contact_change": _mean(contact_change[friends]),
        "others_contact_change": _mean(contact_change[others]),
        "never_listed_grade_D_share": _mean(grade_d[never]),
        "friends_grade_D_share": _mean(grade_d[friends]),
    }
    initial = citizens["initial_contacts"].to_numpy().astype(np.int64)
    had = never & (initial > 0)
    lost = np.clip(-contact_change[had], 0, None)
    out["never_listed_contact_loss_share"] = _mean(lost / initial[had])
    hops = citizens["hops_to_listed"].to_numpy()
    for band, label in HOP_BANDS:
        out[f"score_change_hops_{label}"] = _mean(score_change[never & _in_band(hops, band)])
    return out


HOP_BANDS = ((1, "1"), (2, "2"), (3, "3plus"))
REACH_MIN_POINTS = 1.0


def _in_band(hops: np.ndarray, band: int) -> np.ndarray:
    """Citizens ``band`` hops away from the nearest listed citizen (3 means 3 or more)."""
    return hops == band if band < 3 else hops >= 3


def _difference(table: pd.DataFrame, first: str, second: str) -> np.ndarray:
    """``table[first] - table[second]`` in float64 (scores) or int64 (counts)."""
    wide = np.float64 if table[first].dtype.kind == "f" or table[second].dtype.kind == "f" \
        else np.int64
    return table[first].to_numpy().astype(wide) - table[second].to_numpy().astype(wide)


def _mean(values: np.ndarray) -> float:
    """The mean as pandas computes it (NaN skipped; NaN if nothing)."""
    return float(pd.Series(values).mean()) if len(values) else math.nan


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
        aligned = citizens_cf.iloc[pd.Index(ids_cf).get_indexer(ids)]
    never = ~citizens["ever_listed"].to_numpy(dtype=bool)
    friends = never & citizens["friend_of_listed"].to_numpy(dtype=bool)
    both = pd.DataFrame({"cf": aligned["final_score"].to_numpy(),
                         "fb": citizens["final_score"].to_numpy(),
                         "cf_contacts": aligned["final_contacts"].to_numpy(),
                         "fb_contacts": citizens["final_contacts"].to_numpy()}, copy=False)
    score_gap = _difference(both, "cf", "fb")
    contacts_gap = _difference(both, "cf_contacts", "fb_contacts")
    pushed = (citizens["final_grade"] == "D").to_numpy(dtype=bool) \
        & ~(aligned["final_grade"] == "D").to_numpy(dtype=bool)
    out = {"friends_score_gap": _mean(score_gap[friends]),
           "friends_contacts_gap": _mean(contacts_gap[friends]),
           "never_listed_score_gap": _mean(score_gap[never]),
           "pushed_to_grade_D_share": _mean(pushed[never])}
    hops = citizens["hops_to_listed"].to_numpy()
    for band, label in HOP_BANDS:
        out[f"score_gap_hops_{label}"] = _mean(score_gap[never & _in_band(hops, band)])
    counted = never & (hops >= 1)
    by_hop = pd.Series(score_gap[counted]).groupby(hops[counted]).mean()
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
    return Episodes(listed).scar(after_months=after_months, prefix=prefix)


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
        keys = ["citizen", "listing_tick"]
        base = table[table["ticks_since_listing"] == -1].set_index(keys)["score"]
        window = table[(table["ticks_since_listing"] >= -1)
                       & (table["ticks_since_listing"] <= max_months)]
        window = widened(window).join(base.astype(np.float64).rename("score_before"), on=keys)
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
    episodes = Episodes(data.listed)
    episodes_cf = Episodes(data_cf.listed) if data_cf is not None else None
    out: dict = {"listing_episodes": episodes.count}
    for h in HORIZONS:
        out[f"score_loss_{h}m"] = _mean_loss(episodes, h)
        out[f"contact_loss_share_{h}m"] = episodes.contact_loss_share(h)
        if episodes_cf is not None:
            out[f"score_loss_{h}m_counterfactual"] = _mean_loss(episodes_cf, h)
            out[f"contact_loss_share_{h}m_counterfactual"] = episodes_cf.contact_loss_share(h)
            out[f"amplification_{h}m"] = _amplification(episodes, episodes_cf, h)
    out.update(episodes.isolation())
    out.update(spillover(data.citizens))
    if data_cf is not None:
        out.update(paired_spillover(data.citizens, data_cf.citizens))
    out.update(episodes.scar())
    out.update(episodes.scar(prefix="wrongful_", wrongful_only=True))
    out.update(network_summary(data.timeseries))
    return {k: _clean(v) for k, v in out.items()}


def _clean(value):
    if isinstance(value, float | np.floating):
        value = float(value)
        return None if math.isnan(value) else round(value, 6)
    return value
