"""The spiral as bands: percentiles of the listed citizens' score and contacts by months since listing.

:func:`percentiles_since_listing` is the one definition behind both spiral pictures:

* the newsroom chart "The spiral" (:mod:`spiral.experiments.charts.book`) shows the score
  itself and the contacts (``metrics=("score", "contacts")``): where the listed stand;
* the run figure (:mod:`spiral.experiments.charts.run_figure`, ``figures/spiral.png`` of every
  run) shows the score change since the month before the listing and the contacts
  (``metrics=("score_change", "contacts")``): what the listing cost them, from a common zero.

Both read the ``listed`` table (as written to ``episodes.csv``), never the engine's internals.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from spiral.experiments.measures.episodes import Episodes

MIN_EPISODES = 5    # a month is shown while at least this many listing episodes reach it
SPIRAL_MONTHS = 36  # the last month after the listing shown
PERCENTILES = (5, 25, 50, 75, 95)
METRICS = ("score", "score_change", "contacts")
BAND_COLUMNS = ["variant", "months_since_listing", "metric", "episodes", "p05", "p25", "median",
                "p75", "p95"]


def percentiles_since_listing(listed, *, metrics: tuple[str, ...] = ("score", "contacts"),
                              max_months: int = SPIRAL_MONTHS,
                              min_episodes: int = MIN_EPISODES) -> pd.DataFrame:
    """The 5th, 25th, 50th, 75th and 95th percentiles of each metric by months since listing.

    One row per variant (in name order), month from -1 (the month before the listing) to
    ``max_months`` reached by at least ``min_episodes`` listing episodes, and metric (in the
    order given): the number of episodes that reach that month and the five percentiles
    (columns ``p05``, ``p25``, ``median``, ``p75``, ``p95``; linear interpolation, as
    :func:`numpy.percentile`). The metrics:

    * ``score``: the credit score that month;
    * ``score_change``: the score that month minus the score the month before the listing
      (0 at month -1; NaN percentiles if an episode lacks the month before);
    * ``contacts``: the number of friends that month.

    Args:
        listed: The ``listed`` table with a ``variant`` column, or a mapping from variant name
            to that variant's own ``listed`` table (read in place, nothing copied). A table
            without a ``variant`` column is one variant, ``feedback``.
        metrics: Which of :data:`METRICS` to summarise.
        max_months: The last month after the listing kept.
        min_episodes: The fewest episodes a month needs to be kept.

    Returns:
        A table with the columns of :data:`BAND_COLUMNS` (no rows if no month qualifies).

    Raises:
        ValueError: An unknown metric.
    """
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric {unknown[0]!r}; expected one of {', '.join(METRICS)}")
    rows = []
    tables = _by_variant(listed)
    for variant in sorted(tables):
        months, values = _window(tables[variant], metrics, max_months)
        # rows grouped by month (a stable radix sort of small integers), then one slice each
        order = np.argsort(months, kind="stable")
        counts = np.bincount(months + 1, minlength=max_months + 2)
        ends = np.cumsum(counts)
        for month in np.flatnonzero(counts) - 1:
            size = int(counts[month + 1])
            if size < min_episodes:
                continue
            at = order[ends[month + 1] - size:ends[month + 1]]
            for metric in metrics:
                q = np.percentile(values[metric][at], PERCENTILES)
                rows.append({"variant": variant, "months_since_listing": int(month),
                             "metric": metric, "episodes": size, "p05": q[0], "p25": q[1],
                             "median": q[2], "p75": q[3], "p95": q[4]})
    return pd.DataFrame(rows, columns=BAND_COLUMNS)


def _by_variant(listed) -> dict[str, pd.DataFrame]:
    """The ``listed`` table of each variant, without copying."""
    if isinstance(listed, Mapping):
        return dict(listed)
    if "variant" not in listed.columns:
        return {"feedback": listed}
    return {v: listed[listed["variant"] == v] for v in listed["variant"].unique()}


def _window(table: pd.DataFrame, metrics: tuple[str, ...],
            max_months: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Months since listing and each metric's values (float64) of the rows kept.

    The rows from the month before the listing to ``max_months`` after, in table order.
    """
    all_months = table["months_since_listing"].to_numpy()
    window = np.flatnonzero((all_months >= -1) & (all_months <= max_months))
    values = {}
    for metric in metrics:
        if metric == "score_change":
            episodes = Episodes(table)
            values[metric] = (episodes.score[window].astype(np.float64)
                              - episodes.base_score[episodes.episode[window]])
        else:
            values[metric] = table[metric].to_numpy()[window].astype(np.float64)
    small = np.int16 if max_months < 2**15 - 1 else np.int64
    return all_months[window].astype(small), values
