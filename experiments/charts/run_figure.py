"""The spiral figure of every run: listed citizens' score and contacts by months since listing.

Reads only the tidy ``listed`` table (both variants, stacked or one table per variant) and
writes PNG, SVG and a CSV of the plotted bands (the table of
:func:`spiral.experiments.measures.percentiles_since_listing` with the score change since the
month before the listing and the contacts). The newsroom chart set lives in
:mod:`spiral.experiments.charts.book`.

The figure is a :class:`matplotlib.figure.Figure` on its own Agg canvas, saved with explicit
formats: drawing it leaves the user's backend, rcParams and pyplot figures alone.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from spiral.experiments.charts.palette import VARIANT_COLOURS, VARIANT_LABELS
from spiral.experiments.measures import percentiles_since_listing

METRICS = ("score_change", "contacts")


def run_bands(listed) -> pd.DataFrame:
    """The numbers of the run figure: score change and contacts by months since listing.

    Args:
        listed: The ``listed`` table with a ``variant`` column, or a mapping from variant name
            to that variant's own ``listed`` table (read in place, nothing copied).

    Returns:
        :func:`~spiral.experiments.measures.percentiles_since_listing` of the metrics
        ``score_change`` and ``contacts``.
    """
    return percentiles_since_listing(listed, metrics=METRICS)


def spiral_figure(listed, stem: str | Path, *, title_note: str = "") -> Path:
    """Draw the spiral figure to ``stem``.png/.svg and its numbers to ``stem``.csv.

    Args:
        listed: As for :func:`run_bands`.
        stem: The path of the files without suffix.
        title_note: Added to the title in brackets (e.g. scenario and seed).

    Returns:
        The path of the PNG.
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    bands = run_bands(listed)
    bands.to_csv(stem.with_suffix(".csv"), index=False)
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    panels = (("score_change", "Score change since the month before (points)"),
              ("contacts", "Contacts (friends)"))
    for ax, (metric, ylabel) in zip(axes, panels, strict=True):
        for variant in ("counterfactual", "feedback"):
            sel = bands[(bands["variant"] == variant) & (bands["metric"] == metric)]
            if sel.empty:
                continue
            x = sel["months_since_listing"]
            colour = VARIANT_COLOURS[variant]
            ax.fill_between(x, sel["p25"], sel["p75"], color=colour, alpha=0.2, lw=0)
            ax.plot(x, sel["median"], color=colour, lw=2.2)
            ax.annotate(VARIANT_LABELS[variant], (x.iloc[-1], sel["median"].iloc[-1]),
                        xytext=(-4, 6 if variant == "counterfactual" else -14),
                        textcoords="offset points", ha="right", color=colour,
                        fontsize=9, fontweight="bold")
        ax.axvline(0, color="0.4", lw=0.8, ls=":")
        ax.set_xlabel("Months since blacklisting")
        ax.set_ylabel(ylabel)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="0.9")
    axes[0].set_title("Score of the blacklisted", loc="left", fontweight="bold")
    axes[1].set_title("Their contacts", loc="left", fontweight="bold")
    note = f" ({title_note})" if title_note else ""
    fig.suptitle("The blacklist spiral: median and middle 50% of listed citizens" + note,
                 fontsize=11, x=0.01, ha="left")
    fig.savefig(stem.with_suffix(".png"), format="png", dpi=150)
    fig.savefig(stem.with_suffix(".svg"), format="svg")
    return stem.with_suffix(".png")
