"""The headline measures of a run, as written to ``summary.json`` and a sweep's ``runs.csv``.

:func:`summarise_run` computes, for every variant of a run, the measures the registry
(:mod:`~spiral.experiments.measures.registry`) declares, and the comparisons between variants:
differences (``A-B``), the channel decomposition (Shapley values, interactions, the ladder)
and the paired spillover of the main variant against the baseline. Keys are
``MEASURE__LABEL``; values are rounded to 6 decimals, ``None`` where undefined (e.g. no
episode observed that long), so the runs of a sweep line up as columns.

:func:`summarise` is the two-table form (a run and one paired run) used by older code.
"""

from __future__ import annotations

import math

import numpy as np
from spiral.experiments.measures.episodes import Episodes
from spiral.experiments.measures.network import network_summary
from spiral.experiments.measures.registry import BY_NAME, HORIZONS, PAIRED
from spiral.experiments.measures.spillover import paired_spillover, spillover
from spiral.experiments.measures.variants import Twin, dividends, ladder, shapley

UNLISTED = "unlisted"
CONTRASTS = (("spiral", "penalty"), ("spiral", "chain"), ("penalty", "no_denied"))


def variant_measures(data, twin=None) -> dict[str, float]:
    """The per-variant measures of one variant's tables (``twin``: the unlisted twin's
    tables, or its prepared :class:`~spiral.experiments.measures.variants.Twin`).
    """
    episodes = Episodes(data.episodes)
    out: dict[str, float] = {"listing_episodes": episodes.count}
    if not isinstance(twin, Twin):
        twin = Twin(twin.tracked if twin is not None else None)
    for h in HORIZONS:
        lost = twin.losses(episodes, h)
        out[f"score_loss_{h}m"] = lost["score"]
        out[f"contact_loss_{h}m"] = lost["contacts"]
        out[f"score_drop_{h}m"] = episodes.mean_loss(h)
        out[f"contact_drop_{h}m"] = episodes.contact_loss_share(h)
        out[f"episodes_observed_{h}m"] = float(episodes.at_month(h)[0].size)
    for which in ("scripted", "background"):
        out[f"score_loss_12m_{which}"] = twin.losses(episodes, 12, which=which)["score"]
    out.update(episodes.isolation())
    out.update(spillover(data.citizens))
    out.update(episodes.scar())
    out.update(episodes.scar(prefix="wrongful_", wrongful_only=True))
    out.update(network_summary(data.timeseries))
    return out


def summarise_run(variants: dict, *, main: str, baseline: str | None) -> dict:
    """Every measure of a run's variants and their comparisons, flat ``MEASURE__LABEL`` keys.

    Args:
        variants: Variant name -> its tables (:class:`~spiral.model.records.RunData`). The
            ``unlisted`` twin, if present, must have tracked the listed citizens.
        main: The variant the headline describes.
        baseline: The variant it is compared with (paired spillover), or None.
    """
    twin = variants.get(UNLISTED)
    twin = Twin(twin.tracked if twin is not None else None)  # indexed once for every variant
    per = {name: variant_measures(data, twin) for name, data in variants.items()}
    out: dict = {}
    for name, values in per.items():
        out.update({f"{m}__{name}": v for m, v in values.items()})
    contrast = [m.name for m in BY_NAME.values() if m.kind in ("contrast", "decomposition")]
    for a, b in CONTRASTS:
        if a in per and b in per:
            out.update({f"{m}__{a}-{b}": per[a][m] - per[b][m] for m in contrast})
    decompose = [m.name for m in BY_NAME.values() if m.kind == "decomposition"]
    if {"penalty", "spiral"} <= set(per):
        for m in decompose:
            values = {name: per[name][m] for name in per}
            parts = dividends(values)
            for key, value in parts.items():
                label = f"main-{key}" if len(key) == 1 else f"interaction-{key}"
                out[f"{m}__{label}"] = value
            out.update({f"{m}__shapley-{c}": v for c, v in shapley(values).items()})
            out.update({f"{m}__ladder-{step}": v for step, v in ladder(values).items()})
    if baseline is not None and baseline in variants and main in variants and main != baseline:
        gaps = paired_spillover(variants[main].citizens, variants[baseline].citizens)
        out.update({f"{m}__{main}-{baseline}": gaps[m] for m in PAIRED})
    return {k: _clean(v) for k, v in out.items()}


def summarise(data, data_cf=None, *, main: str = "feedback",
              baseline: str = "counterfactual") -> dict:
    """:func:`summarise_run` for a run and (optionally) one paired run."""
    variants = {main: data} if data_cf is None else {main: data, baseline: data_cf}
    return summarise_run(variants, main=main, baseline=baseline if data_cf is not None else None)


def _clean(value):
    if isinstance(value, float | np.floating | int | np.integer) and not isinstance(value, bool):
        value = float(value)
        return None if math.isnan(value) else round(value, 6)
    return value
