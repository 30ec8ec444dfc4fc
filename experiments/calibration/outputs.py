"""What a calibration writes: posterior samples, the summary, the figures, the predictive check.

* ``posterior.parquet``: the last generation's particles, one row each: the parameters,
  ``weight`` (importance weights summing to 1) and ``generation``.
* ``summary.csv`` / ``summary.json``: per parameter the weighted posterior mean, median, 50%
  and 90% equal-tailed credible intervals, the prior's bounds, and the effective sample size.
* ``predictive.csv``: the posterior predictive check: realisations at posterior draws
  (drawn by weight), one row per draw and statistic, with the observed value.
* ``figures/marginals.png``, ``figures/pairs.png``, ``figures/predictive.png``: drawn on
  matplotlib ``Figure`` objects (no pyplot state).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)


def weighted_quantiles(values, weights, probs=LEVELS) -> np.ndarray:
    """Quantiles of a weighted sample (the inverse of the weighted empirical CDF, midpoints)."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    order = np.argsort(values)
    values, weights = values[order], weights[order] / weights.sum()
    cdf = np.cumsum(weights) - 0.5 * weights
    return np.interp(probs, cdf, values)


def summarise(frame: pd.DataFrame, weights, priors) -> pd.DataFrame:
    """Weighted mean, median, 50% and 90% credible intervals per parameter."""
    weights = np.asarray(weights, dtype=float) / np.sum(weights)
    ess = 1.0 / np.sum(weights ** 2)
    rows = []
    for p in priors:
        x = frame[p.name].to_numpy(dtype=float)
        q05, q25, q50, q75, q95 = weighted_quantiles(x, weights)
        mean = float(np.sum(weights * x))
        rows.append(dict(parameter=p.name, mean=mean, median=q50, sd=float(np.sqrt(np.sum(
            weights * (x - mean) ** 2))), ci50_low=q25, ci50_high=q75, ci90_low=q05,
            ci90_high=q95, prior=p.distribution, prior_low=p.low, prior_high=p.high,
            particles=len(x), effective_sample_size=float(ess)))
    return pd.DataFrame(rows)


def posterior_table(frame: pd.DataFrame, weights, generation: int) -> pd.DataFrame:
    """The posterior particles with their normalised weights and generation."""
    out = frame.reset_index(drop=True).copy()
    out["weight"] = np.asarray(weights, dtype=float) / np.sum(weights)
    out["generation"] = generation
    return out


def predictive(simulator, table: pd.DataFrame, observed: dict, draws: int, seed: int
               ) -> pd.DataFrame:
    """Posterior predictive check: one realisation at each of ``draws`` weighted draws."""
    from spiral.model.streams import run_seed

    rng = np.random.default_rng(seed)
    names = [p.name for p in simulator.spec.priors]
    picks = rng.choice(len(table), size=draws, p=table["weight"].to_numpy())
    rows = []
    for k, i in enumerate(picks):
        params = {n: float(table[n].iloc[i]) for n in names}
        stats = simulator.realise(params, run_seed(seed, 1_000_000 + k, 0))
        for key, obs in observed.items():
            target, _, month = key.partition("@")
            rows.append(dict(draw=k, particle=int(i), **params, statistic=key, target=target,
                             month=int(month) if month else None, simulated=stats[key],
                             observed=obs))
    return pd.DataFrame(rows)


def _prior_pdf(p, grid):
    inside = (grid >= p.low) & (grid <= p.high)
    if p.distribution == "uniform":
        return np.where(inside, 1.0 / (p.high - p.low), 0.0)
    return np.where(inside, 1.0 / (np.maximum(grid, 1e-300) * math.log(p.high / p.low)), 0.0)


def marginals_figure(table: pd.DataFrame, priors, summary: pd.DataFrame, truth=None):
    """Each parameter's weighted posterior histogram, the prior, the 90% interval."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.2 * len(priors), 3.4), layout="constrained")
    axes = fig.subplots(1, len(priors), squeeze=False)[0]
    for ax, p in zip(axes, priors, strict=True):
        row = summary.set_index("parameter").loc[p.name]
        ax.hist(table[p.name], bins=30, range=(p.low, p.high), weights=table["weight"],
                density=True, color="#0072B2", alpha=0.7, label="posterior")
        grid = np.linspace(p.low, p.high, 400)
        ax.plot(grid, _prior_pdf(p, grid), color="#E69F00", lw=2, label=f"prior ({p.distribution})")
        ax.axvspan(row["ci90_low"], row["ci90_high"], color="#999999", alpha=0.2,
                   label="90% interval")
        ax.axvline(row["median"], color="black", lw=1, label="median")
        if truth and p.name in truth:
            ax.axvline(truth[p.name], color="#D55E00", ls="--", label="truth")
        ax.set_xlabel(p.name)
        ax.set_ylabel("density")
    axes[0].legend(fontsize=7, frameon=False)
    fig.suptitle("Posterior marginals against the prior")
    return fig


def pairs_figure(table: pd.DataFrame, priors):
    """Pairwise weighted densities of the posterior (2-D histograms over the prior box)."""
    from matplotlib.figure import Figure

    n = len(priors)
    fig = Figure(figsize=(3.2 * n, 3.2 * n), layout="constrained")
    axes = fig.subplots(n, n, squeeze=False)
    for i, pi in enumerate(priors):
        for j, pj in enumerate(priors):
            ax = axes[i][j]
            if i == j:
                ax.hist(table[pi.name], bins=30, range=(pi.low, pi.high), weights=table["weight"],
                        color="#0072B2")
            else:
                ax.hist2d(table[pj.name], table[pi.name], bins=25, weights=table["weight"],
                          range=[[pj.low, pj.high], [pi.low, pi.high]], cmap="Blues")
            if i == n - 1:
                ax.set_xlabel(pj.name)
            if j == 0:
                ax.set_ylabel(pi.name)
    fig.suptitle("Posterior: pairwise densities (a ridge means only a combination is identified)")
    return fig


def predictive_figure(pred: pd.DataFrame, targets):
    """Posterior predictive check: simulated realisations against the observed targets."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.2 * len(targets), 3.4), layout="constrained")
    axes = fig.subplots(1, len(targets), squeeze=False)[0]
    for ax, t in zip(axes, targets, strict=True):
        part = pred[pred["target"] == t.name]
        if t.measure is not None:
            ax.hist(part["simulated"].dropna(), bins=20, color="#0072B2", alpha=0.7,
                    label="posterior predictive")
            ax.axvline(t.value, color="#D55E00", lw=2, label="observed")
            ax.set_xlabel(t.name)
        else:
            for _, draw in part.groupby("draw"):
                ax.plot(draw["month"], draw["simulated"], color="#0072B2", alpha=0.25, lw=1)
            ax.plot(t.months, t.values, "o-", color="#D55E00", label="observed")
            ax.plot([], [], color="#0072B2", label="posterior predictive")
            ax.set_xlabel("model month")
            ax.set_ylabel(t.name)
        ax.legend(fontsize=7, frameon=False)
    fig.suptitle("Posterior predictive check: realisations at posterior draws vs observed")
    return fig


def write_outputs(folder: Path, run, simulator, spec, *, draws: int | None = None) -> dict:
    """Write posterior, summary, predictive check and figures into ``folder``; their timings."""
    import time

    from spiral.experiments.calibration.abc import posterior

    t0 = time.perf_counter()
    frame, weights = posterior(run.history)
    t_last = run.history.max_t
    table = posterior_table(frame, weights, t_last)
    table.to_parquet(folder / "posterior.parquet", index=False)
    summary = summarise(frame, weights, spec.priors)
    summary.to_csv(folder / "summary.csv", index=False)
    (folder / "summary.json").write_text(json.dumps(
        {"parameters": summary.to_dict(orient="records"), "generations": t_last + 1,
         "final_epsilon": run.generations[-1].epsilon if run.generations else None},
        indent=2, default=float) + "\n", encoding="utf-8")
    t1 = time.perf_counter()
    pred = predictive(simulator, table, spec.observed, draws or spec.predictive_draws, spec.seed)
    pred.to_csv(folder / "predictive.csv", index=False)
    t2 = time.perf_counter()
    figures = folder / "figures"
    figures.mkdir(exist_ok=True)
    for name, fig in (("marginals", marginals_figure(table, spec.priors, summary)),
                      ("pairs", pairs_figure(table, spec.priors)),
                      ("predictive", predictive_figure(pred, spec.targets))):
        fig.savefig(figures / f"{name}.png", dpi=110)
    return {"posterior_s": t1 - t0, "predictive_s": t2 - t1,
            "figures_s": time.perf_counter() - t2}
