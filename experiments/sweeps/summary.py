"""Sweep tables: one row per run (``runs.csv``), per failed run (``failed.csv``) and per design
point and measure (``summary.csv``).

``runs.csv`` has the run's identity (``sweep_seed, point, replicate``, its ``seed`` and
``seed_text``: the seed as text, digits grouped by ``_``, which R's ``read.csv`` and
spreadsheets keep exact where they round the 63-bit number), the varied parameters, then
every headline measure of :func:`spiral.experiments.measures.summarise`. ``failed.csv`` has
the same identity, the parameters, ``error_type`` and ``error_message`` of each failed run
(written only when a run failed). ``summary.csv`` is long (tidy): ``sweep_seed``,
``sweep_seed_text``, ``point``, the varied parameters, ``measure``, ``n`` (replicates with a
value), ``mean``, ``sd`` and the 95% t interval of the mean (``ci_low``, ``ci_high``).
:func:`combine` rebuilds them from the run records, so a resumed sweep gives the same tables
as an uninterrupted one.
"""

from __future__ import annotations

from pathlib import Path

from spiral.experiments.common.manifest import seed_text
from spiral.experiments.sweeps.records import finished_runs, is_done, write_frame_atomic

IDENTITY = ("sweep_seed", "point", "replicate", "seed", "seed_text")


def _identity(record: dict) -> dict:
    return {"sweep_seed": record.get("sweep_seed"), "point": record["point"],
            "replicate": record["replicate"], "seed": record["seed"],
            "seed_text": seed_text(record["seed"])}


def runs_table(records, names: list[str]):
    """One row per finished run, sorted by point and replicate: identity, params, measures."""
    import pandas as pd

    records = sorted((r for r in records if is_done(r)),
                     key=lambda r: (r["point"], r["replicate"]))
    rows = [{**_identity(r), **{n: r["params"].get(n) for n in names}, **r["measures"]}
            for r in records]
    return pd.DataFrame(rows, columns=None if rows else [*IDENTITY, *names])


def failed_table(records, names: list[str]):
    """One row per failed run, sorted by point and replicate: identity, params, the error."""
    import pandas as pd

    records = sorted((r for r in records if not is_done(r)),
                     key=lambda r: (r["point"], r["replicate"]))
    rows = [{**_identity(r), **{n: r["params"].get(n) for n in names},
             "error_type": (r.get("error") or {}).get("type"),
             "error_message": (r.get("error") or {}).get("message")} for r in records]
    return pd.DataFrame(rows, columns=[*IDENTITY, *names, "error_type", "error_message"])


def summary_table(runs, names: list[str], *, confidence: float = 0.95):
    """Per design point and measure: runs, mean, sd and a t-based confidence interval.

    The interval is ``mean +- t(1 - alpha/2, n - 1) * sd / sqrt(n)`` over the ``n`` replicates
    with a value (missing values, e.g. no delisted episode, are left out); with one replicate it
    is empty.
    """
    import numpy as np
    import pandas as pd
    from spiral.experiments.measures.averages import t_critical

    columns = ["sweep_seed", "sweep_seed_text", "point", *names, "measure", "n", "mean", "sd",
               "ci_low", "ci_high"]
    fixed = [*IDENTITY, *names]
    measures = [c for c in runs.columns if c not in fixed
                and pd.api.types.is_numeric_dtype(runs[c])]
    if runs.empty or not measures:
        return pd.DataFrame(columns=columns)
    long = runs.melt(id_vars=["point", *names], value_vars=measures, var_name="measure")
    long["measure"] = pd.Categorical(long["measure"], categories=measures, ordered=True)
    grouped = long.groupby(["point", "measure"], observed=True, sort=True)["value"]
    out = grouped.agg(n="count", mean="mean", sd="std").reset_index()
    params = runs.groupby("point")[names].first().reset_index() if names else None
    tcrit = t_critical(confidence, np.maximum(out["n"].to_numpy() - 1, 1))
    half = np.where(out["n"] > 1, tcrit * out["sd"] / np.sqrt(out["n"].clip(lower=1)), np.nan)
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    out["measure"] = out["measure"].astype(str)
    if params is not None:
        out = params.merge(out, on="point", how="right")
    sweep_seed = runs["sweep_seed"].iloc[0]
    out["sweep_seed"] = sweep_seed
    out["sweep_seed_text"] = seed_text(sweep_seed) if sweep_seed is not None else None
    return out[columns]


def combine(out: Path, names: list[str], records=None) -> tuple:
    """Write ``runs.csv``, ``runs.parquet``, ``summary.csv`` and ``failed.csv`` from the records.

    Args:
        out: The sweep folder.
        names: The varied parameters.
        records: The runs' records, one per run (default: read from the folder's store).

    Returns:
        The runs, the summary and the failed runs (DataFrames).
    """
    records = list(finished_runs(out).values() if records is None else records)
    runs = runs_table(records, names)
    summary = summary_table(runs, names)
    failed = failed_table(records, names)
    write_frame_atomic(runs, out / "runs.csv")
    write_frame_atomic(runs, out / "runs.parquet")
    write_frame_atomic(summary, out / "summary.csv")
    if len(failed):
        write_frame_atomic(failed, out / "failed.csv")
    else:
        (out / "failed.csv").unlink(missing_ok=True)  # ours, from a session whose runs failed
    return runs, summary, failed
