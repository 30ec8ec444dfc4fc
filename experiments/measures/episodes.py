"""Measures of listing episodes: the spiral's score and contact losses, isolation and the scar.

A listing episode is one citizen's listing (citizen, listing month) followed month by month in
the ``listed`` table, from the month before the listing on. :class:`Episodes` numbers the
episodes of a table once; the functions below read one measure each (defined in docs/ODD.md):

* :func:`score_loss`, :func:`episode_losses` and :func:`contact_loss_share`: what the listed
  lost ``horizon`` months after their listing;
* :func:`amplification`: score loss with the network feedback divided by score loss without,
  against the paired run;
* :func:`isolation`: listed citizens left without contacts, and when;
* :func:`scar`: after delisting, how far score and contacts stay below the pre-listing level.

They read tables (pandas DataFrames as written to ``episodes.csv``), never the engine's
internals, so the same measures can be recomputed from a results folder in pandas or R.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from spiral.experiments.measures.averages import mean, median

RECOVERY_POINTS = 5  # a score within this many points of its pre-listing level has recovered


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
                  ("citizen", "listing_tick", "tick", "months_since_listing", "score",
                   "contacts", "delisting_tick") if name in listed}
        self.citizen_of_row = column["citizen"]
        self.listing_of_row = column["listing_tick"]
        self.months = column["months_since_listing"]
        self.tick = column.get("tick")
        self.score = column["score"]
        self.contacts = column["contacts"]
        self.delisting = column.get("delisting_tick")
        self.wrongful = listed["wrongful"].to_numpy(dtype=bool) if "wrongful" in listed else None
        self.scripted = listed["scripted"].to_numpy(dtype=bool) if "scripted" in listed else None
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

    def mean_loss(self, horizon: int) -> float:
        """Mean of :meth:`losses` (NaN if no episode reaches ``horizon``)."""
        episodes, rows = self.at_month(horizon)
        loss = self.base_score[episodes] - self.score[rows].astype(np.float64)
        return float(loss.sum() / loss.size) if loss.size else math.nan

    def amplification(self, without: Episodes, horizon: int) -> float:
        """See :func:`amplification`; ``without`` are the paired run's episodes."""
        with_fb = self.losses(horizon)
        losses_without = without.losses(horizon)
        common = with_fb.index.intersection(losses_without.index)
        if len(common) == 0:
            return math.nan
        denominator = losses_without.loc[common].mean()
        if denominator == 0:
            return math.nan
        return float(with_fb.loc[common].mean() / denominator)

    def contact_loss_share(self, horizon: int) -> float:
        """Mean share of contacts lost ``horizon`` months after listing."""
        episodes, rows = self.at_month(horizon)
        before = self.base_contacts[episodes]
        had = before > 0
        if not had.any():
            return math.nan
        after = self.contacts[rows][had].astype(np.float64)
        return mean((before[had] - after) / before[had])

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
                "months_to_isolation": median(first_zero)}

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
                out[f"scar_score_{k}m"] = mean(score_before[episodes[at]] - score[at])
                out[f"scar_contacts_{k}m"] = mean(contacts_before[episodes[at]] - contacts[at])
        back = score >= score_before[episodes] - RECOVERY_POINTS
        first = _first_by(episodes[back], months_out[back], self.count)
        if first.size:
            out["months_to_recover"] = median(first)
        out["recovered_share"] = float(first.size / n_ended)
        contacts_back = contacts >= contacts_before[episodes]
        first_contacts = _first_by(episodes[contacts_back], months_out[contacts_back],
                                   self.count)
        if first_contacts.size:
            out["months_to_recover_contacts"] = median(first_contacts)
        return {prefix + k: v for k, v in out.items()}


def _first_by(episodes: np.ndarray, months: np.ndarray, count: int) -> np.ndarray:
    """The smallest month per episode, for the episodes that appear (in episode order).

    Months are whole: (episode, month) pairs sorted as one key each put every episode's
    smallest month first.
    """
    if episodes.size == 0:
        return np.zeros(0, dtype=np.int64)
    months = np.asarray(months, dtype=np.int64)
    low = int(months.min())
    width = int(months.max()) - low + 1
    keys = np.sort(np.asarray(episodes, dtype=np.int64) * width + (months - low))
    episode = keys // width
    first = np.flatnonzero(np.r_[True, episode[1:] != episode[:-1]])
    return keys[first] - episode[first] * width + low


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
    return Episodes(listed).mean_loss(horizon)


def contact_loss_share(listed: pd.DataFrame, horizon: int) -> float:
    """Mean share of contacts lost ``horizon`` months after listing."""
    return Episodes(listed).contact_loss_share(horizon)


def amplification(listed: pd.DataFrame, listed_cf: pd.DataFrame, horizon: int) -> float:
    """Score loss with feedback divided by score loss without, for the same episodes.

    Only episodes present in both runs (same citizen, same listing month) count; the paired
    run has the same listings by construction.
    """
    return Episodes(listed).amplification(Episodes(listed_cf), horizon)


def isolation(listed: pd.DataFrame) -> dict[str, float]:
    """Share of listing episodes that reach zero contacts, and the median months to get there.

    Episodes of citizens who had no contacts the month before their listing cannot lose any
    and are left out.
    """
    return Episodes(listed).isolation()


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
