"""Every measure of a run computed from its tidy tables, in one home (defined in docs/ODD.md).

The tick-level model measures (mean score, grade shares, components, ...) are recorded by the
engine into the ``timeseries`` table (:mod:`spiral.model.records`); everything computed from
a run's tables afterwards lives here:

* :mod:`~spiral.experiments.measures.episodes`: listing episodes: score loss, contact loss,
  amplification, isolation, the scar after delisting (:class:`Episodes`);
* :mod:`~spiral.experiments.measures.spillover`: guilt by association among the never-listed,
  alone and against the paired run;
* :mod:`~spiral.experiments.measures.network`: network and grade measures at the end;
* :mod:`~spiral.experiments.measures.bands`: percentiles of score and contacts by months
  since listing (the spiral charts' numbers);
* :mod:`~spiral.experiments.measures.summary`: :func:`summarise`, the headline measures of
  ``summary.json`` and a sweep's ``runs.csv``.

Example::

    from spiral.experiments.measures import summarise, percentiles_since_listing

    summary = summarise(result.data, result.data_cf)
    bands = percentiles_since_listing(result.tables()["listed"])
"""

from __future__ import annotations

from spiral.experiments.measures.bands import (
    MIN_EPISODES,
    SPIRAL_MONTHS,
    percentiles_since_listing,
)
from spiral.experiments.measures.episodes import (
    RECOVERY_POINTS,
    Episodes,
    amplification,
    contact_loss_share,
    episode_losses,
    isolation,
    scar,
    score_loss,
)
from spiral.experiments.measures.network import network_summary
from spiral.experiments.measures.spillover import (
    HOP_BANDS,
    REACH_MIN_POINTS,
    paired_spillover,
    spillover,
)
from spiral.experiments.measures.summary import HORIZONS, summarise

__all__ = [
    "HOP_BANDS",
    "HORIZONS",
    "MIN_EPISODES",
    "REACH_MIN_POINTS",
    "RECOVERY_POINTS",
    "SPIRAL_MONTHS",
    "Episodes",
    "amplification",
    "contact_loss_share",
    "episode_losses",
    "isolation",
    "network_summary",
    "paired_spillover",
    "percentiles_since_listing",
    "scar",
    "score_loss",
    "spillover",
    "summarise",
]
