"""Figures of ``spiral validate``: the cascade window and prevalence against p.

Each figure is written as PNG and SVG, with the numbers behind it as CSV next to it. The
figures read the tidy tables of :mod:`spiral.experiments.validation.command`, never the engine.
They are drawn on :class:`matplotlib.figure.Figure` objects: no pyplot, no global backend,
the user's figures and settings are left alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _save(fig, stem: Path, frame) -> None:
    stem.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(stem.with_suffix(".png"), dpi=150, bbox_inches="tight")
    fig.savefig(stem.with_suffix(".svg"), bbox_inches="tight")
    frame.to_csv(stem.with_suffix(".csv"), index=False)


def cascade_window_figure(watts, stem: Path) -> None:
    """Frequency and mean size of global cascades against z, with the analytic curves."""
    from matplotlib.figure import Figure
    from spiral.experiments.validation import theory

    phis = sorted(watts["phi"].unique(), reverse=True)
    fig = Figure(figsize=(5.5 * len(phis), 4))
    axes = fig.subplots(1, len(phis), squeeze=False)
    for ax, phi in zip(axes[0], phis, strict=True):
        data = watts[watts["phi"] == phi].sort_values("mean_degree")
        z_max = float(data["mean_degree"].max())
        zs = np.linspace(0.05, z_max, 300)
        ax.plot(zs, [theory.cascade_frequency(z, phi) for z in zs], color="C0",
                label="frequency, analytic")
        ax.plot(zs, [theory.cascade_size(z, phi) for z in zs], color="C1", ls="--",
                label="size, analytic")
        err = np.clip(np.vstack([data["frequency"] - data["frequency_low99"],
                                 data["frequency_high99"] - data["frequency"]]), 0, None)
        ax.errorbar(data["mean_degree"], data["frequency"], yerr=err, fmt="o", color="C0",
                    capsize=2, label="frequency, model (99% CI)")
        ax.plot(data["mean_degree"], data["mean_global_size"], "^", color="C1",
                label="mean size of global cascades, model")
        low, high = theory.cascade_window(phi)
        for edge in (low, high):
            ax.axvline(edge, color="grey", lw=0.8, ls=":")
        ax.set_title(f"Watts (2002), phi = {phi:g}: window {low:.2f} < z < {high:.2f}")
        ax.set_xlabel("mean degree z")
        ax.set_ylim(-0.03, 1.05)
    axes[0][0].set_ylabel("share")
    axes[0][0].legend(fontsize=7, loc="center right")
    _save(fig, stem, watts)


def prevalence_figure(gross, stem: Path) -> None:
    """Final prevalence against p for low and high starts, with the pair approximation."""
    import matplotlib.ticker
    from matplotlib.figure import Figure
    from spiral.experiments.validation import theory

    rates = sorted(gross["rewiring"].unique())
    fig = Figure(figsize=(4.8 * len(rates), 4))
    axes = fig.subplots(1, len(rates), squeeze=False)
    for ax, w in zip(axes[0], rates, strict=True):
        data = gross[gross["rewiring"] == w]
        fade = float(data["fade"].iloc[0])
        k = 20.0
        i = np.linspace(0.0, 0.99999, 4000)
        p_of_i = theory.endemic_spread(i, fade=fade, rewiring=w, mean_degree=k)
        turning = int(np.argmin(p_of_i))
        ax.plot(p_of_i[:turning + 1], i[:turning + 1], color="grey", ls="--",
                label="pair approx., unstable")
        ax.plot(p_of_i[turning:], i[turning:], color="black", label="pair approx., stable")
        for start, marker in ((data["start_share"].min(), "o"), (data["start_share"].max(), "s")):
            part = data[data["start_share"] == start].sort_values("spread")
            ax.plot(part["spread"], part["final_prevalence"], marker, mfc="none" if
                    marker == "o" else None, label=f"model, start {start:g}")
        p_inv = theory.invasion_threshold(spread_fade=fade, rewiring=w, mean_degree=k)
        ax.axvline(p_inv, color="C3", lw=0.8, ls=":", label="invasion threshold")
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())  # no crowded labels
        ax.set_xlim(float(data["spread"].min()) / 2, float(data["spread"].max()) * 2)
        ax.set_ylim(-0.03, 1.05)
        ax.set_title(f"Gross et al. (2006), w = {w:g}")
        ax.set_xlabel("spread rate p")
    axes[0][0].set_ylabel("stigmatised share at the end")
    axes[0][0].legend(fontsize=7, loc="upper left")
    _save(fig, stem, gross)
