"""Sweep tables: one row per run (``runs.csv``) and per design point and measure (``summary.csv``).

``runs.csv`` has ``point, replicate, seed``, the varied parameters, then every headline measure
of :func:`spiral.experiments.measures.summarise`. ``summary.csv`` is long (tidy): ``point``,
the varied parameters, ``measure``, ``n`` (replicates with a value), ``mean``, ``sd`` and the
95% t interval of the mean (``ci_low``, ``ci_high``). :func:`combine` rebuilds both from the
run records, so a resumed sweep gives the same tables as an uninterrupted one.
"""

from __future__ import annotations

from pathlib import Path

from spiral.experiments.sweeps.store import finished_runs, write_frame_atomic


def runs_table(records, names: list[str]):
    """One row per run, sorted by point and replicate: point, replicate, seed, params, measures."""
    import pandas as pd

    records = sorted(records, key=lambda r: (r["point"], r["replicate"]))
    rows = [{"point": r["point"], "replicate": r["replicate"], "seed": r["seed"],
             **{n: r["params"].get(n) for n in names}, **r["measures"]} for r in records]
    return pd.DataFrame(rows)


def summary_table(runs, names: list[str], *, confidence: float = 0.95):
    """Per design point and measure: runs, mean, sd and a t-based confidence interval.

    The interval is ``mean +- t(1 - alpha/2, n - 1) * sd / sqrt(n)`` over the ``n`` replicates
    with a value (missing values, e.g. no delisted episode, are left out); with one replicate it
    is empty.
    """
    import numpy as np
    import pandas as pd
    from scipy import stats

    fixed = ["point", "replicate", "seed", *names]
    measures = [c for c in runs.columns if c not in fixed
                and pd.api.types.is_numeric_dtype(runs[c])]
    long = runs.melt(id_vars=["point", *names], value_vars=measures, var_name="measure")
    long["measure"] = pd.Categorical(long["measure"], categories=measures, ordered=True)
    grouped = long.groupby(["point", "measure"], observed=True, sort=True)["value"]
    out = grouped.agg(n="count", mean="mean", sd="std").reset_index()
    params = runs.groupby("point")[names].first().reset_index() if names else None
    tcrit = stats.t.ppf(0.5 + confidence / 2, np.maximum(out["n"] - 1, 1))
    half = np.where(out["n"] > 1, tcrit * out["sd"] / np.sqrt(out["n"].clip(lower=1)), np.nan)
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    out["measure"] = out["measure"].astype(str)
    if params is not None:
        out = params.merge(out, on="point", how="right")
    return out[["point", *names, "measure", "n", "mean", "sd", "ci_low", "ci_high"]]


def combine(out: Path, names: list[str]) -> tuple:
    """Write ``runs.csv``, ``runs.parquet`` and ``summary.csv`` from the run records."""
    runs = runs_table(finished_runs(out).values(), names)
    summary = summary_table(runs, names)
    write_frame_atomic(runs, out / "runs.csv")
    write_frame_atomic(runs, out / "runs.parquet")
    write_frame_atomic(summary, out / "summary.csv")
    return runs, summary
