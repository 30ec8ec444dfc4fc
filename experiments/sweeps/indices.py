"""Sensitivity indices from a sweep's runs: Sobol, Morris, and how far to trust them.

* Each design point's replicates are averaged before the indices
  (:func:`point_means`); :func:`replicate_noise` reports the share of the run-to-run variance
  that is replicate noise, which the indices cannot explain.
* A measure missing at some design points (e.g. no episode observed that long) is never
  imputed: filling in the mean of the other points would shrink the indices of exactly the
  parameters that decide whether the measure exists. Its missingness is analysed as an output
  of its own (``missing:MEASURE``) and the measure itself is left out (:func:`outputs`).
* Every index row carries ``flags`` when it cannot be trusted (S1 above ST beyond their
  intervals, a negative S1 beyond its interval, an interval wider than the index) and, for
  Sobol, ``samples_for_0.1``: the Saltelli base sample that would bring the row's widest
  interval to about +-0.1 (intervals shrink as 1/sqrt(samples)).
"""

from __future__ import annotations

import os
from pathlib import Path

from spiral.experiments.sweeps.spec import SweepError, SweepSpec


def point_means(runs, measures: list[str]):
    """Mean of each measure per design point (over replicates), in point order."""
    missing = [m for m in measures if m not in runs.columns]
    if missing:
        import difflib

        close = difflib.get_close_matches(missing[0], list(runs.columns), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise SweepError(f"[sensitivity] measure {missing[0]!r} is not a column of runs.csv"
                         f"{hint}")
    return runs.groupby("point")[measures].mean().sort_index()


TARGET_HALF_WIDTH = 0.1  # indices are read to about +-0.1; more samples are suggested beyond


def outputs(means, measures: list[str]) -> list[tuple[str, object]]:
    """The outputs to analyse: each measure with a value at every point, and missingness.

    A measure missing at some design points (e.g. no episode observed that long) is never
    imputed (filling in the mean of the other points would shrink the indices of exactly the
    parameters that decide whether it exists). Its missingness is analysed instead, as an
    output of its own (``missing:MEASURE``, 1 where missing), and the measure itself is left
    out, which the table says.
    """
    import numpy as np

    out = []
    for measure in measures:
        values = np.asarray(means[measure].to_numpy(), dtype=float)
        missing = np.isnan(values)
        if not missing.any():
            out.append((measure, values))
        elif not missing.all():
            out.append((f"missing:{measure}", missing.astype(float)))
    return out


def replicate_noise(runs, measures: list[str]) -> dict[str, float]:
    """Share of each measure's run-to-run variance that is replicate noise (within points).

    Indices are computed on the means over replicates; this share says how much of what they
    explain could be noise (NaN with one replicate per point).
    """
    out = {}
    for measure in measures:
        values = runs[["point", measure]].dropna()
        counts = values.groupby("point")[measure].count()
        if len(values) < 2 or counts.max() < 2:
            out[measure] = float("nan")
            continue
        within = values.groupby("point")[measure].var(ddof=1).mean()
        total = values[measure].var(ddof=1)
        out[measure] = float(within / total) if total > 0 else float("nan")
    return out


def _flags(row: dict, first: str, total: str | None) -> str:
    """Why an index cannot be trusted (empty if it can)."""
    flags = []
    if total is not None and row[first] - row[f"{first}_conf"] > row[total] + row[f"{total}_conf"]:
        flags.append(f"{first} above {total}")
    if row[first] + row[f"{first}_conf"] < 0:
        flags.append(f"negative {first} beyond its interval")
    for name in (first, total):
        if name is not None and row[f"{name}_conf"] > abs(row[name]):
            flags.append(f"{name} interval wider than the index")
    return "; ".join(flags)


def _samples_for(current: int, half_width: float) -> int:
    """Base samples to bring an interval of ``half_width`` down to the target (power of 2)."""
    import math

    if not half_width > TARGET_HALF_WIDTH:
        return current
    need = current * (half_width / TARGET_HALF_WIDTH) ** 2
    return 1 << math.ceil(math.log2(need))


def sobol_indices(spec: SweepSpec, means, measures: list[str], noise=None):
    """First-order and total Sobol indices with 95% intervals, flags, one row per pair."""
    import pandas as pd
    from SALib.analyze import sobol

    rows = []
    for name, y in outputs(means, measures):
        result = sobol.analyze(spec.problem(), y, calc_second_order=False, conf_level=0.95,
                               seed=spec.seed)
        for k, parameter in enumerate(spec.names):
            row = {"measure": name, "parameter": parameter,
                   "S1": result["S1"][k], "S1_conf": result["S1_conf"][k],
                   "ST": result["ST"][k], "ST_conf": result["ST_conf"][k], "points": len(y),
                   "replicate_noise_share": (noise or {}).get(name, float("nan"))}
            row["flags"] = _flags(row, "S1", "ST")
            row["samples_for_0.1"] = _samples_for(spec.samples,
                                                  max(row["S1_conf"], row["ST_conf"]))
            rows.append(row)
    return pd.DataFrame(rows, columns=["measure", "parameter", "S1", "S1_conf", "ST", "ST_conf",
                                       "points", "replicate_noise_share", "flags",
                                       "samples_for_0.1"])


def morris_indices(spec: SweepSpec, points: list[dict], means, measures: list[str],
                   noise=None):
    """Morris elementary-effect screening (mu, mu*, its 95% interval, sigma) per pair."""
    import numpy as np
    import pandas as pd
    from SALib.analyze import morris

    x = np.array([[p[name] for name in spec.names] for p in points], dtype=float)
    rows = []
    for name, y in outputs(means, measures):
        result = morris.analyze(spec.problem(), x, y, conf_level=0.95,
                                num_levels=spec.morris_levels, seed=spec.seed)
        for k, parameter in enumerate(spec.names):
            row = {"measure": name, "parameter": parameter, "mu": result["mu"][k],
                   "mu_star": result["mu_star"][k], "mu_star_conf": result["mu_star_conf"][k],
                   "sigma": result["sigma"][k], "points": len(y),
                   "replicate_noise_share": (noise or {}).get(name, float("nan"))}
            row["flags"] = "mu* interval wider than mu*" \
                if row["mu_star_conf"] > abs(row["mu_star"]) else ""
            rows.append(row)
    return pd.DataFrame(rows, columns=["measure", "parameter", "mu", "mu_star", "mu_star_conf",
                                       "sigma", "points", "replicate_noise_share", "flags"])


def bar_chart(table, stem: Path, *, bars: tuple[tuple[str, str, str], ...],
              title: str) -> list[Path]:
    """One panel per measure: a bar per parameter and index, with its 95% interval.

    Drawn on a :class:`matplotlib.figure.Figure` (no pyplot, no global backend) and saved as
    PNG and SVG, each written under a temporary name and renamed.

    Returns:
        The files written (none if the table is empty).
    """
    import numpy as np
    from matplotlib.figure import Figure

    measures = list(dict.fromkeys(table["measure"]))
    if not measures:
        return []
    fig = Figure(figsize=(4.2 * len(measures), 3.8), layout="constrained")
    axes = fig.subplots(1, len(measures), squeeze=False)
    colours = ("#0072B2", "#D55E00", "#009E73")
    for ax, measure in zip(axes[0], measures, strict=True):
        part = table[table["measure"] == measure]
        y = np.arange(len(part))
        height = 0.8 / len(bars)
        for k, (column, conf, label) in enumerate(bars):
            ax.barh(y + k * height, part[column], height=height, xerr=part[conf],
                    color=colours[k % len(colours)], label=label, capsize=2)
        ax.set_yticks(y + height * (len(bars) - 1) / 2, part["parameter"])
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_title(measure, fontsize=10)
    axes[0][0].legend(fontsize=8, loc="lower right")
    fig.suptitle(title, fontsize=11)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, options in ((".png", {"dpi": 150}), (".svg", {})):
        path = stem.with_suffix(suffix)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        fig.savefig(tmp, format=suffix[1:], **options)
        os.replace(tmp, path)
        written.append(path)
    return written
