"""The spiral figure of every run: listed citizens' score and contacts by months since listing.

Reads only the tidy ``listed`` table (both variants, stacked or one table per variant) and
writes PNG, SVG and a CSV of exactly the plotted numbers. The newsroom chart set lives in
:mod:`spiral.experiments.charts.book`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

COLOURS = {"feedback": "#D55E00", "counterfactual": "#0072B2"}  # Okabe-Ito, colour-blind safe
LABELS = {"feedback": "algorithm reads friends", "counterfactual": "algorithm ignores friends"}
MIN_EPISODES = 5


def spiral_bands(listed, *, max_months: int = 36) -> pd.DataFrame:
    """Median and 50%/90% bands of score change and contacts by variant and months since listing.

    The score change is the score minus the score the month before the listing (float64).
    Months are kept while at least :data:`MIN_EPISODES` episodes reach them.

    Args:
        listed: The ``listed`` table with a ``variant`` column, or a mapping from variant name
            to that variant's own ``listed`` table (read in place, nothing copied).
        max_months: The last month after the listing shown.
    """
    tables = dict(listed) if isinstance(listed, Mapping) else \
        {v: listed[listed["variant"] == v] for v in listed["variant"].unique()}
    rows = []
    for variant in sorted(tables):
        months, change, contacts = _window(tables[variant], max_months)
        # rows grouped by month (a stable radix sort of small integers), then one slice each
        order = np.argsort(months, kind="stable")
        change, contacts = change[order], contacts[order]
        counts = np.bincount(months + 1, minlength=max_months + 2)
        ends = np.cumsum(counts)
        for month in np.flatnonzero(counts) - 1:
            size = int(counts[month + 1])
            if size < MIN_EPISODES:
                continue
            at = slice(ends[month + 1] - size, ends[month + 1])
            for metric, values in (("score_change", change[at]), ("contacts", contacts[at])):
                q = np.percentile(values, [5, 25, 50, 75, 95])
                rows.append({"variant": variant, "months_since_listing": int(month),
                             "metric": metric, "episodes": size,
                             "p05": q[0], "p25": q[1], "median": q[2], "p75": q[3],
                             "p95": q[4]})
    return pd.DataFrame(rows)


def _window(table: pd.DataFrame, max_months: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Months since listing, score change and contacts of the rows drawn.

    The rows from the month before the listing to ``max_months`` after; the score change is
    NaN if the month before is missing.
    """
    from spiral.experiments.measures.headline import Episodes

    episodes = Episodes(table)
    months = episodes.months
    window = np.flatnonzero((months >= -1) & (months <= max_months))
    change = episodes.score[window].astype(np.float64) - episodes.base_score[
        episodes.episode[window]]
    small = np.int16 if max_months < 2**15 - 1 else np.int64
    return months[window].astype(small), change, episodes.contacts[window].astype(np.int64)


def spiral_figure(listed, stem: str | Path, *, title_note: str = "") -> Path:
    """Draw the spiral figure to ``stem``.png/.svg and its numbers to ``stem``.csv.

    ``listed`` as for :func:`spiral_bands`.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    bands = spiral_bands(listed)
    bands.to_csv(stem.with_suffix(".csv"), index=False)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), constrained_layout=True)
    panels = (("score_change", "Score change since the month before (points)"),
              ("contacts", "Contacts (friends)"))
    for ax, (metric, ylabel) in zip(axes, panels, strict=True):
        for variant in ("counterfactual", "feedback"):
            sel = bands[(bands["variant"] == variant) & (bands["metric"] == metric)] \
                if len(bands) else bands
            if sel.empty:
                continue
            x = sel["months_since_listing"]
            ax.fill_between(x, sel["p25"], sel["p75"], color=COLOURS[variant], alpha=0.2, lw=0)
            ax.plot(x, sel["median"], color=COLOURS[variant], lw=2.2)
            ax.annotate(LABELS[variant], (x.iloc[-1], sel["median"].iloc[-1]),
                        xytext=(-4, 6 if variant == "counterfactual" else -14),
                        textcoords="offset points", ha="right", color=COLOURS[variant],
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
    fig.savefig(stem.with_suffix(".png"), dpi=150)
    fig.savefig(stem.with_suffix(".svg"))
    plt.close(fig)
    return stem.with_suffix(".png")
