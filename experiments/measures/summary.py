"""The headline measures of a run, as written to ``summary.json`` and a sweep's ``runs.csv``.

:func:`summarise` gathers the measures of :mod:`~spiral.experiments.measures.episodes`,
:mod:`~spiral.experiments.measures.spillover` and :mod:`~spiral.experiments.measures.network`
under fixed names, rounded to 6 decimals, with ``None`` for a measure that has no value.
"""

from __future__ import annotations

import math

import numpy as np
from spiral.experiments.measures.episodes import Episodes
from spiral.experiments.measures.network import network_summary
from spiral.experiments.measures.spillover import paired_spillover, spillover

HORIZONS = (6, 12, 24)  # months after listing at which the losses are read


def summarise(data, data_cf=None) -> dict:
    """Headline measures of a run (and its paired counterfactual, if given).

    Always the same keys for the same ``data_cf``-or-not (missing values are ``None``), so
    runs of a sweep line up as columns.

    Args:
        data: The run's tables (:class:`~spiral.model.records.RunData`: ``listed``,
            ``citizens``, ``timeseries``).
        data_cf: The paired run's tables (same citizens, no network feedback), or None.

    Returns:
        Measure name -> value (floats rounded to 6 decimals, ``None`` where undefined).
    """
    episodes = Episodes(data.listed)
    episodes_cf = Episodes(data_cf.listed) if data_cf is not None else None
    out: dict = {"listing_episodes": episodes.count}
    for h in HORIZONS:
        out[f"score_loss_{h}m"] = episodes.mean_loss(h)
        out[f"contact_loss_share_{h}m"] = episodes.contact_loss_share(h)
        if episodes_cf is not None:
            out[f"score_loss_{h}m_counterfactual"] = episodes_cf.mean_loss(h)
            out[f"contact_loss_share_{h}m_counterfactual"] = episodes_cf.contact_loss_share(h)
            out[f"amplification_{h}m"] = episodes.amplification(episodes_cf, h)
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
