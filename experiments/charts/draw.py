"""Drawing the newsroom charts from the numbers of :mod:`spiral.experiments.charts.data`.

Each ``draw_*`` function takes exactly the table written as the chart's CSV (plus the words of
its headline) and returns a :class:`matplotlib.figure.Figure` in the house style of
:mod:`spiral.experiments.charts.style`, coloured from :mod:`spiral.experiments.charts.palette`.
Direct labels replace legends wherever possible. Nothing here touches pyplot, the backend or
the user's rcParams; call the ``draw_*`` functions inside
``matplotlib.rc_context(style.rc(...))`` for the house fonts and lines
(:func:`spiral.experiments.charts.book.make_charts` does).
"""

from __future__ import annotations

import math
import textwrap

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.animation import FuncAnimation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from spiral.experiments.charts.data import GROUPS, EgoNetwork, ScarCase
from spiral.experiments.charts.palette import (
    COUNTERFACTUAL,
    FEEDBACK,
    GRADE_COLOURS,
    NEUTRAL,
    VARIANT_COLOURS,
)
from spiral.experiments.charts.style import Style, decorate, new_figure, rc
from spiral.model.params import GRADES


def _label_end(ax, x, y, text, colour, *, dy=0.0, style: Style):
    ax.annotate(text, (x, y), xytext=(4, dy), textcoords="offset points", color=colour,
                fontsize=style.base_font - 0.5, fontweight="bold", va="center", ha="left",
                annotation_clip=False)


def draw_spiral(bands: pd.DataFrame, words: dict, style: Style):
    """Score and contacts of the blacklisted by months since listing, both variants."""
    fig, axes = new_figure(style, height=style.width * 0.62, ncols=2)
    panels = (("score", "Credit score (points)"), ("contacts", "Friends (number)"))
    for ax, (metric, ylabel) in zip(axes, panels, strict=True):
        ends = {}
        for name in ("counterfactual", "feedback"):
            sel = bands[(bands["variant"] == name) & (bands["metric"] == metric)]
            if sel.empty:
                continue
            x = sel["months_since_listing"].to_numpy()
            colour = VARIANT_COLOURS[name]
            ax.fill_between(x, sel["p05"], sel["p95"], color=colour, alpha=0.12, lw=0)
            ax.fill_between(x, sel["p25"], sel["p75"], color=colour, alpha=0.25, lw=0)
            ax.plot(x, sel["median"], color=colour)
            ends[name] = (x[-1], float(sel["median"].iloc[-1]))
        if len(ends) == 2:
            hi = max(ends, key=lambda k: ends[k][1])
            for name, (x_end, y_end) in ends.items():
                label = "with\nfeedback" if name == "feedback" else "without"
                _label_end(ax, x_end, y_end, label, VARIANT_COLOURS[name],
                           dy=6 if name == hi else -6, style=style)
        ax.axvline(0, color="#555555", lw=0.8, ls=":")
        ax.set_xlabel("Months since blacklisting")
        ax.set_title(ylabel, loc="left")
        ax.margins(x=0)
    axes[0].annotate("listed", (0, axes[0].get_ylim()[1]), xytext=(3, -2),
                     textcoords="offset points", va="top", fontsize=style.base_font - 1.5,
                     color="#555555")
    decorate(fig, style, title=words["title"], subtitle=words["subtitle"],
             source=words["source"])
    fig.subplots_adjust(wspace=0.5, right=0.82, left=0.1)
    return fig


def draw_ego(ego: EgoNetwork, words: dict, style: Style):
    """Small multiples: one listed citizen and their friends at several months."""
    months = sorted(ego.table["months_since_listing"].unique())
    fig, axes = new_figure(style, height=style.width * 0.5, ncols=len(months))
    positions = _circle_positions(ego.friends)
    for ax, m in zip(np.atleast_1d(axes), months, strict=True):
        snap = ego.table[ego.table["months_since_listing"] == m].set_index("citizen")
        _draw_ego_panel(ax, ego, snap, positions, style)
        kept = int((snap["tie"] == "kept").sum())
        ax.set_title(f"month {m}\n{kept} friend{'s' if kept != 1 else ''}",
                     fontsize=style.base_font, loc="center")
    x0 = 0.015
    for g in GRADES:
        fig.text(x0, 0.14, f"■ {g}", color=GRADE_COLOURS[g], fontsize=style.base_font,
                 fontweight="bold")
        x0 += 0.06
    fig.text(x0 + 0.01, 0.14, "friend's grade   ◯ the blacklisted citizen   ┈ tie cut",
             fontsize=style.base_font - 1, color="#444444")
    decorate(fig, style, title=words["title"], subtitle=words["subtitle"],
             source=words["source"], bottom=0.2)
    fig.subplots_adjust(wspace=0.05, left=0.01, right=0.99)
    return fig


def _circle_positions(friends: list[int]) -> dict[int, tuple[float, float]]:
    n = max(len(friends), 1)
    angles = np.pi / 2 - 2 * np.pi * np.arange(n) / n
    return {c: (math.cos(a), math.sin(a)) for c, a in zip(friends, angles, strict=False)}


def _draw_ego_panel(ax, ego: EgoNetwork, snap: pd.DataFrame, positions, style: Style,
                    *, node_size: float = 38) -> None:
    for c, (x, y) in positions.items():
        tie = snap.at[c, "tie"] if c in snap.index else "not yet"
        if tie == "kept":
            ax.plot([0, x], [0, y], color="#888888", lw=style.line_width * 0.5, zorder=1)
        elif tie == "cut":
            ax.plot([0, x], [0, y], color="#bbbbbb", lw=style.line_width * 0.4, ls=":",
                    alpha=0.7, zorder=1)
    for c, (x, y) in positions.items():
        tie = snap.at[c, "tie"] if c in snap.index else "not yet"
        grade = snap.at[c, "grade"] if c in snap.index else ""
        colour = GRADE_COLOURS.get(grade, NEUTRAL)
        ax.scatter([x], [y], s=node_size, color=colour, alpha=1.0 if tie == "kept" else 0.3,
                   edgecolors="white", linewidths=0.5, zorder=2)
    ego_grade = snap.at[ego.ego, "grade"] if ego.ego in snap.index else ""
    ax.scatter([0], [0], s=node_size * 2.6, color=GRADE_COLOURS.get(ego_grade, NEUTRAL),
               edgecolors="black", linewidths=1.8, zorder=3)
    ax.set_xlim(-1.25, 1.25)
    ax.set_ylim(-1.25, 1.25)
    ax.set_aspect("equal")
    ax.set_axis_off()


def draw_association(table: pd.DataFrame, words: dict, style: Style):
    """Never-listed citizens by closeness to the blacklisted: score and contacts change."""
    fig, axes = new_figure(style, height=style.width * 0.62, ncols=2)
    panels = (("mean_score_change", "Score change (points)"),
              ("mean_contact_change", "Change in friends"))
    y = np.arange(len(GROUPS))[::-1]
    height = 0.36
    for ax, (column, title) in zip(axes, panels, strict=True):
        for k, name in enumerate(("feedback", "counterfactual")):
            sel = table[table["variant"] == name].set_index("group").reindex(GROUPS)
            values = sel[column].to_numpy(dtype=float)
            ypos = y + (height / 2 if k == 0 else -height / 2)
            ax.barh(ypos, values, height=height * 0.95, color=VARIANT_COLOURS[name])
            for yy, v in zip(ypos, values, strict=True):
                if not math.isnan(v):
                    ax.annotate(f"{v:+.1f}", (v, yy), xytext=(3 if v >= 0 else -3, 0),
                                textcoords="offset points", va="center",
                                ha="left" if v >= 0 else "right",
                                fontsize=style.base_font - 1.5, color=VARIANT_COLOURS[name])
        ax.axvline(0, color="#555555", lw=0.8)
        ax.set_title(title, loc="left")
        ax.grid(False)
        low, high = ax.get_xlim()
        pad = 0.3 * (high - low)
        ax.set_xlim(low - (pad if low < 0 else 0), high + pad)
    axes[0].set_yticks(y, [g.replace(" of ", "\nof ") for g in GROUPS])
    axes[1].set_yticks(y, [""] * len(GROUPS))
    height = fig.get_figheight()
    fig.text(0.015, 0.42 / height, "■ score reads friends", color=FEEDBACK,
             fontsize=style.base_font - 0.5, fontweight="bold")
    fig.text(0.4, 0.42 / height, "■ same town, score ignores friends", color=COUNTERFACTUAL,
             fontsize=style.base_font - 0.5, fontweight="bold")
    decorate(fig, style, title=words["title"], subtitle=words["subtitle"],
             source=words["source"], bottom=0.85 / height)
    fig.subplots_adjust(left=0.2, wspace=0.15, right=0.95)
    return fig


def draw_scar(case: ScarCase, words: dict, style: Style):
    """A wrongfully listed citizen against a never-listed twin: score and contacts."""
    fig, axes = new_figure(style, height=style.width * 0.62, ncols=2)
    panels = (("score", "Credit score (points)"), ("contacts", "Friends (number)"))
    colours = {"wrongfully listed": FEEDBACK, "never-listed twin": NEUTRAL}
    for ax, (metric, title) in zip(axes, panels, strict=True):
        ax.axvspan(case.listing_tick, case.delisting_tick, color="#f2f2f2", lw=0, zorder=0)
        for role in ("never-listed twin", "wrongfully listed"):
            sel = case.table[case.table["role"] == role]
            ax.plot(sel["month"], sel[metric], color=colours[role], drawstyle="steps-post")
            _label_end(ax, float(sel["month"].iloc[-1]), float(sel[metric].iloc[-1]),
                       "wrongly\nlisted" if role == "wrongfully listed" else "twin",
                       colours[role], dy=-7 if role == "wrongfully listed" else 7, style=style)
        ax.set_title(title, loc="left")
        ax.set_xlabel("Month")
        ax.margins(x=0)
    for ax in axes:
        ax.annotate("on the list\nby error", ((case.listing_tick + case.delisting_tick) / 2,
                                              0.5), xycoords=("data", "axes fraction"),
                    ha="center", va="center", fontsize=style.base_font - 1.5, color="#555555")
    decorate(fig, style, title=words["title"], subtitle=words["subtitle"],
             source=words["source"])
    fig.subplots_adjust(wspace=0.55, right=0.8, left=0.1)
    return fig


def draw_grades(shares: pd.DataFrame, words: dict, style: Style, *, listing_month=None):
    """The population's grade mix, stacked, month by month."""
    fig, ax = new_figure(style, height=style.width * 0.62)
    months = shares["month"].to_numpy()
    layers = [shares[f"grade_{g}_percent"].to_numpy() for g in GRADES]
    ax.stackplot(months, *layers, colors=[GRADE_COLOURS[g] for g in GRADES], lw=0)
    cumulative = np.cumsum(np.vstack(layers), axis=0)
    for k, g in enumerate(GRADES):
        low = cumulative[k - 1, -1] if k else 0.0
        share = layers[k][-1]
        label = f"{g} {share:.0f}%" if share >= 0.5 else f"{g} <1%"
        ax.annotate(label, (months[-1], low + max(share, 0.0) / 2), xytext=(4, 0 if share >= 4
                    else 6 * (k - 1.5)), textcoords="offset points", va="center",
                    color=GRADE_COLOURS[g], fontweight="bold", fontsize=style.base_font - 0.5,
                    annotation_clip=False)
    if listing_month is not None:
        ax.axvline(listing_month, color="white", lw=1.0, ls="--")
        ax.annotate("cohort\nblacklisted", (listing_month, 100), xytext=(3, -3),
                    textcoords="offset points", va="top", color="white",
                    fontsize=style.base_font - 1.5)
    ax.set_ylim(0, 100)
    ax.margins(x=0)
    ax.set_ylabel("Share of citizens (%)")
    ax.set_xlabel("Month")
    ax.grid(False)
    decorate(fig, style, title=words["title"], subtitle=words["subtitle"],
             source=words["source"])
    fig.subplots_adjust(right=0.86, left=0.11)
    return fig


def draw_tipping(grid: pd.DataFrame, words: dict, style: Style, *, axes_names, measure_label):
    """Heatmap of a measure over fear x network weight."""
    x_name, y_name = axes_names
    table = grid.pivot(index=y_name, columns=x_name, values="mean").sort_index()
    fig, ax = new_figure(style, height=style.width * 0.75)
    values = table.to_numpy(dtype=float)
    image = ax.imshow(values, origin="lower", aspect="auto", cmap="cividis",
                      vmin=np.nanmin(values), vmax=np.nanmax(values))
    ax.set_xticks(range(table.shape[1]), [f"{v:g}" for v in table.columns])
    ax.set_yticks(range(table.shape[0]), [f"{v:g}" for v in table.index])
    span = np.nanmax(values) - np.nanmin(values)
    for (i, j), v in np.ndenumerate(values):
        if not math.isnan(v):
            dark = span == 0 or (v - np.nanmin(values)) / span < 0.6
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", color="white" if dark
                    else "black", fontsize=style.base_font - 1.5)
    ax.set_xlabel("Fear: how readily citizens drop risky friends (mean, 0-1)"
                  if x_name == "fear_mean" else x_name)
    ax.set_ylabel("Weight of friends in the score (0-1)" if y_name == "network_weight"
                  else y_name)
    ax.grid(False)
    fig.colorbar(image, ax=ax, fraction=0.05, pad=0.02)
    del measure_label  # stated in the subtitle
    decorate(fig, style, title=words["title"], subtitle=words["subtitle"],
             source=words["source"])
    fig.subplots_adjust(left=0.13, right=0.95)
    return fig


def animate_ego(ego: EgoNetwork, path, *, style: Style, source: str, writer: str = "pillow",
                fps: int = 2):
    """An animation of the friends dropping one listed citizen, one frame per month."""
    months = sorted(ego.table["months_since_listing"].unique())
    positions = _circle_positions(ego.friends)
    with matplotlib.rc_context(rc(style)):
        fig = Figure(figsize=(4.5, 4.8), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        fig.subplots_adjust(top=0.86, bottom=0.08, left=0.02, right=0.98)

        def frame(k):
            ax.clear()
            m = months[k]
            snap = ego.table[ego.table["months_since_listing"] == m].set_index("citizen")
            _draw_ego_panel(ax, ego, snap, positions, style, node_size=70)
            kept = int((snap["tie"] == "kept").sum())
            ax.set_title(f"{m} months after blacklisting: {kept} friends left", loc="left",
                         fontsize=style.base_font + 1, fontweight="bold")
            return []

        fig.text(0.02, 0.015, textwrap.fill(source, 90), fontsize=6.5, color="#666666")
        animation = FuncAnimation(fig, frame, frames=len(months), blit=False)
        animation.save(path, writer=writer, fps=fps, dpi=100)
    return path
