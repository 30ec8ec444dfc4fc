"""The numbers of the charts over all replicates of a run: medians, bands and 95% intervals.

:func:`read_ensemble` reads a results folder of ``spiral run --replicates N`` whole (every
replicate, every variant) with the names of the two variants compared (the manifest's
``variants.main`` and ``variants.baseline``). Lines are medians over replicates of each
replicate's median, with the band of the middle 95% of replicate medians; bars are means over
replicates with a 95% t-interval (taken from ``summary.csv`` where the measure is there,
else recomputed per replicate). With fewer than :data:`MIN_REPLICATES` replicates the tables
still hold the numbers, but ``interval_ok`` is False and the words make no interval claim.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from spiral.experiments.charts import data as cd
from spiral.experiments.measures.averages import t_critical

MIN_REPLICATES = 10  # fewer: the charts say so and claim no interval


@dataclass
class Ensemble:
    """All tables of a run folder, with the variants compared and the replicate count."""

    tables: dict[str, pd.DataFrame]
    manifest: dict
    main: str
    baseline: str
    replicates: int
    summary: pd.DataFrame | None = None
    by_replicate: pd.DataFrame | None = None
    folder: Path | None = None
    extra: dict = field(default_factory=dict)

    @property
    def interval_ok(self) -> bool:
        """Enough replicates for a 95% interval claim."""
        return self.replicates >= MIN_REPLICATES

    def slice(self, replicate: int | None = None) -> dict[str, pd.DataFrame]:
        """One replicate's main and baseline rows, labelled ``feedback``/``counterfactual``."""
        return cd.compared_pair(self.tables, main=self.main, baseline=self.baseline,
                                replicate=replicate)


def read_ensemble(folder: Path) -> Ensemble:
    """Every replicate and variant of a results folder (CSV, else Parquet)."""
    tables = {}
    for name in cd.TABLES:
        csv, parquet = folder / f"{name}.csv", folder / f"{name}.parquet"
        if parquet.is_file():
            tables[name] = pd.read_parquet(parquet)
        elif csv.is_file():
            tables[name] = pd.read_csv(csv)
    missing = [n for n in ("timeseries", "episodes", "citizens") if n not in tables]
    if missing:
        raise cd.ChartDataError(f"{folder}: not a results folder of 'spiral run' (missing "
                                f"{', '.join(f'{n}.csv' for n in missing)})")
    for name, frame in tables.items():
        if "replicate" not in frame.columns:
            tables[name] = frame.assign(replicate=0)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {"scenario": folder.name, "params": {}}
    names = manifest.get("variants") if isinstance(manifest.get("variants"), dict) else {}
    present = set(tables["timeseries"].get("variant", pd.Series(["feedback"])))
    main = names.get("main") or ("spiral" if "spiral" in present else "feedback")
    baseline = names.get("baseline") or ("penalty" if "penalty" in present
                                         else "counterfactual")
    replicates = int(tables["timeseries"]["replicate"].nunique())
    summary = pd.read_csv(folder / "summary.csv") if (folder / "summary.csv").is_file() else None
    by_rep = (pd.read_csv(folder / "summary_by_replicate.csv")
              if (folder / "summary_by_replicate.csv").is_file() else None)
    return Ensemble(tables, manifest, main, baseline, replicates, summary, by_rep, folder)


# --- intervals ---------------------------------------------------------------------------------
def interval(values) -> dict:
    """Mean, sd, n and 95% t-interval of per-replicate values (NaN interval below 2)."""
    v = np.asarray([x for x in values if x is not None and not math.isnan(float(x))], float)
    n = len(v)
    mean = float(v.mean()) if n else math.nan
    if n < 2:
        return {"n": n, "mean": mean, "sd": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    sd = float(v.std(ddof=1))
    half = float(t_critical(0.95, n - 1)) * sd / math.sqrt(n)
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}


def measure(ens: Ensemble, name: str, label: str) -> dict:
    """A measure of ``summary.csv`` (``name`` for ``label``), recomputed if need be."""
    if ens.summary is not None:
        rows = ens.summary[(ens.summary["measure"] == name) & (ens.summary["variant"] == label)]
        if len(rows) and int(rows.iloc[0]["n"]) > 0:
            r = rows.iloc[0]
            return {k: float(r[k]) for k in ("mean", "sd", "ci_low", "ci_high")} | {
                "n": int(r["n"])}
    column = f"{name}__{label}"
    if ens.by_replicate is not None and column in ens.by_replicate.columns:
        return interval(ens.by_replicate[column])
    return interval([])


def per_replicate(ens: Ensemble, name: str, label: str) -> pd.Series:
    """One measure per replicate from ``summary_by_replicate.csv`` (empty if absent)."""
    column = f"{name}__{label}"
    if ens.by_replicate is None or column not in ens.by_replicate.columns:
        return pd.Series(dtype=float)
    return ens.by_replicate[column].astype(float)


# --- the spiral ------------------------------------------------------------------------------
def replicate_medians(ens: Ensemble, metrics=("score", "contacts")) -> pd.DataFrame:
    """Median over replicates of each replicate's median, and the 95% band of them."""
    ep = ens.tables["episodes"]
    ep = ep[ep["variant"].isin([ens.main, ens.baseline])]
    rows = []
    for metric in metrics:
        med = ep.groupby(["variant", "replicate", "months_since_listing"])[metric].median()
        count = ep.groupby(["variant", "replicate", "months_since_listing"])[metric].size()
        frame = med.rename("m").to_frame().join(count.rename("k")).reset_index()
        for (variant, month), g in frame.groupby(["variant", "months_since_listing"]):
            rows.append({"variant": variant, "metric": metric,
                         "months_since_listing": int(month), "median": float(g["m"].median()),
                         "low": float(g["m"].quantile(0.025)),
                         "high": float(g["m"].quantile(0.975)),
                         "replicates": int(g["replicate"].nunique()),
                         "episodes": int(g["k"].sum())})
    out = pd.DataFrame(rows)
    # only months every replicate observes: no tail drawn from a handful of episodes
    if len(out):
        out = out[out["replicates"] == out["replicates"].max()]
    return out.reset_index(drop=True)


def episode_counts(ens: Ensemble) -> pd.Series:
    """Listing episodes per replicate (main variant): citizen and listing month pairs."""
    ep = ens.tables["episodes"]
    ep = ep[ep["variant"] == ens.main]
    return ep.drop_duplicates(["replicate", "citizen", "listing_tick"]).groupby(
        "replicate").size()


# --- guilt by association ----------------------------------------------------------------------
def association(ens: Ensemble) -> pd.DataFrame:
    """Never-listed citizens by closeness to the blacklisted: per replicate, then intervals."""
    parts = []
    for r in sorted(ens.tables["citizens"]["replicate"].unique()):
        one = cd.association(ens.slice(int(r))["citizens"])
        parts.append(one.assign(replicate=int(r)))
    per = pd.concat(parts, ignore_index=True)
    rows = []
    for (variant, group), g in per.groupby(["variant", "group"], sort=False):
        row = {"variant": ens.main if variant == "feedback" else ens.baseline, "group": group,
               "citizens": int(g["citizens"].sum())}
        for column in ("mean_score_change", "mean_contact_change"):
            iv = interval(g[column])
            row |= {column: iv["mean"], f"{column}_low": iv["ci_low"],
                    f"{column}_high": iv["ci_high"]}
        row["replicates"] = int(g["replicate"].nunique())
        rows.append(row)
    out = pd.DataFrame(rows)
    gap = per[per["variant"] == "feedback"].pivot(index="replicate", columns="group",
                                                  values="mean_score_change")
    ens.extra["association_gap"] = interval(gap["friends of the blacklisted"]
                                            - gap["everyone else"])
    return out


# --- grades over time --------------------------------------------------------------------------
def grade_d(ens: Ensemble) -> pd.DataFrame:
    """Share of citizens in grade D by month: median over replicates and the 95% band."""
    ts = ens.tables["timeseries"]
    ts = ts[ts["variant"].isin([ens.main, ens.baseline])]
    rows = []
    for (variant, tick), g in ts.groupby(["variant", "tick"]):
        share = g["share_D"] * 100.0
        rows.append({"variant": variant, "month": int(tick), "grade_D_percent":
                     float(share.median()), "low": float(share.quantile(0.025)),
                     "high": float(share.quantile(0.975)), "replicates": len(g)})
    last = int(ts["tick"].max())
    end = ts[ts["tick"] == last].pivot(index="replicate", columns="variant", values="share_D")
    ens.extra["grade_d_gap"] = interval((end[ens.main] - end[ens.baseline]) * 100.0)
    return pd.DataFrame(rows)


# --- typical cases ---------------------------------------------------------------------------
def typical_ego(ens: Ensemble, *, extreme: bool = False) -> tuple[int, int, dict]:
    """The replicate-0 episode whose 12-month contact loss is closest to the median of all.

    Among episodes of the main variant (every replicate) followed 24 months and starting with
    at least 4 friends: the median share of friends lost after 12 months; the case is the
    replicate-0 episode closest to it (``extreme``: the one losing most). Returns
    (citizen, listing month, facts on how typical it is).
    """
    ep = ens.tables["episodes"]
    ep = ep[ep["variant"] == ens.main]
    last = int(ep["tick"].max())
    keys = ["replicate", "citizen", "listing_tick"]
    before = ep[ep["months_since_listing"] == -1].set_index(keys)["contacts"]
    after = ep[ep["months_since_listing"] == 12].set_index(keys)["contacts"]
    eps = before.rename("before").to_frame().join(after.rename("after"), how="inner")
    eps = eps.reset_index()
    eps = eps[(eps["listing_tick"] + 24 <= last) & (eps["before"] >= 4)]
    if eps.empty:
        raise cd.ChartDataError("no listing episode followed for 24 months with 4+ friends")
    eps["lost"] = (eps["before"] - eps["after"]) / eps["before"]
    median = float(eps["lost"].median())
    mine = eps[eps["replicate"] == eps["replicate"].min()].copy()
    mine["distance"] = (mine["lost"] - median).abs()
    order = (["lost", "citizen"], [False, True]) if extreme else (
        ["distance", "before", "citizen"], [True, False, True])
    row = mine.sort_values(order[0], ascending=order[1]).iloc[0]
    percentile = float((eps["lost"] < row["lost"]).mean() * 100 +
                       (eps["lost"] == row["lost"]).mean() * 50)
    return int(row["citizen"]), int(row["listing_tick"]), {
        "median_lost_share": median, "case_lost_share": float(row["lost"]),
        "percentile": percentile, "episodes": len(eps), "extreme": extreme,
        "replicate": int(row["replicate"])}

