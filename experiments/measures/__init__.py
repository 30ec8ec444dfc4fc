"""Every measure of a run computed from its tidy tables, in one home (defined in docs/ODD.md).

The tick-level model measures (mean score, grade shares, components, ...) are recorded by the
engine into the ``timeseries`` table (:mod:`spiral.model.records`); everything computed from
a run's tables afterwards lives here:

* :mod:`~spiral.experiments.measures.registry`: every measure declared once (name,
  definition, unit, sign, what it is compared against; the codebook docs/measures.md);
* :mod:`~spiral.experiments.measures.episodes`: listing episodes: score and contact drop
  against the month before the listing, isolation, the scar after delisting
  (:class:`Episodes`);
* :mod:`~spiral.experiments.measures.variants`: across the variants of a run: losses against
  the ``unlisted`` twin, the Shapley decomposition over the channels, the ladder;
* :mod:`~spiral.experiments.measures.loop`: the per-friend hazard of being dropped by months
  since the friend heard of the listing;
* :mod:`~spiral.experiments.measures.spillover`: guilt by association among the never-listed,
  alone and against the paired run;
* :mod:`~spiral.experiments.measures.network`: network and grade measures at the end;
* :mod:`~spiral.experiments.measures.averages`: the mean and median every measure reports,
  computed on arrays as pandas computes them;
* :mod:`~spiral.experiments.measures.bands`: percentiles of score and contacts by months
  since listing (the spiral charts' numbers);
* :mod:`~spiral.experiments.measures.summary`: :func:`summarise_run`, the headline measures
  of ``summary.json`` and a sweep's ``runs.csv`` (keys ``MEASURE__LABEL``), and
  :func:`summarise` for a run and one paired run.

Example::

    from spiral.experiments.measures import percentiles_since_listing, summarise_run

    summary = summarise_run(result.variants, main="spiral", baseline="penalty")
    bands = percentiles_since_listing(result.tables()["episodes"])
"""

from __future__ import annotations

from spiral.experiments.measures.averages import mean, median, t_critical
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
from spiral.experiments.measures.loop import at_risk_pairs, drop_hazard
from spiral.experiments.measures.network import network_summary
from spiral.experiments.measures.registry import (
    BY_NAME,
    MEASURES,
    Measure,
    codebook,
    render,
    split_key,
)
from spiral.experiments.measures.spillover import (
    HOP_BANDS,
    REACH_MIN_POINTS,
    paired_spillover,
    spillover,
)
from spiral.experiments.measures.summary import (
    HORIZONS,
    summarise,
    summarise_run,
    variant_measures,
)
from spiral.experiments.measures.variants import (
    Twin,
    coalition_values,
    dividends,
    ladder,
    shapley,
    twin_losses,
)

__all__ = [
    "BY_NAME",
    "HOP_BANDS",
    "HORIZONS",
    "MEASURES",
    "MIN_EPISODES",
    "REACH_MIN_POINTS",
    "RECOVERY_POINTS",
    "SPIRAL_MONTHS",
    "Episodes",
    "Measure",
    "Twin",
    "amplification",
    "at_risk_pairs",
    "coalition_values",
    "codebook",
    "contact_loss_share",
    "dividends",
    "drop_hazard",
    "episode_losses",
    "isolation",
    "ladder",
    "mean",
    "median",
    "network_summary",
    "paired_spillover",
    "percentiles_since_listing",
    "render",
    "scar",
    "score_loss",
    "shapley",
    "spillover",
    "split_key",
    "summarise",
    "summarise_run",
    "t_critical",
    "twin_losses",
    "variant_measures",
]
