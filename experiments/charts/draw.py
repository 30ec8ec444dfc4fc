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
)
from spiral.experiments.charts.style import Style, decorate, new_figure, rc
from spiral.model.params import GRADES


def _label_end(ax, x, y, text, colour, *, dy=0.0, style: Style):
    ax.annotate(text, (x, y), xytext=(4, dy), textcoords="offset points", color=colour,
                fontsize=style.fs(-0.5), fontweight="bold", va="center", ha="left",
                annotation_clip=False)


def draw_spiral(bands: pd.DataFrame, words: dict, style: Style, *, main: str, baseline: str,
                labels: dict):
    """Score and contacts of the blacklisted by months since listing: median over replicates
    of each replicate's median, with the band of 95% of replicate medians.
    """
    fig, axes = new_figure(style, height=style.width * 0.62, ncols=2)
    colours = {main: FEEDBACK, baseline: COUNTERFACTUAL}
    panels = (("score", "Credit score (points)"), ("contacts", "Friends (number)"))
    for ax, (metric, ylabel) in zip(np.atleast_1d(axes), panels, strict=True):
        ends = {}
        for name in (baseline, main):
            sel = bands[(bands["variant"] == name) & (bands["metric"] == metric)]
            if sel.empty:
                continue
            x = sel["months_since_listing"].to_numpy()
            ax.fill_between(x, sel["low"], sel["high"], color=colours[name], alpha=0.25, lw=0)
            ax.plot(x, sel["median"], color=colours[name])
            ends[name] = (x[-1], float(sel["median"].iloc[-1]))
        if len(ends) == 2:
            hi = max(ends, key=lambda k: ends[k][1])
            for name, (x_end, y_end) in ends.items():
                _label_end(ax, x_end, y_end, labels[name], colours[name],
                           dy=8 if name == hi else -8, style=style)
        ax.axvline(0, color="#555555", lw=0.8, ls=":")
        ax.set_xlabel("Months since blacklisting")
        ax.set_title(ylabel, loc="left")
        ax.margins(x=0)
    decorate(fig, style, title=words["title"], subtitle=words["subtitle"],
             source=words["source"])
    if style.stack:
        fig.subplots_adjust(hspace=0.8, right=0.72, left=0.2)
    else:
        fig.subplots_adjust(wspace=0.5, right=0.8, left=0.1)
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
             fontsize=style.fs(-1), color="#444444")
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


def draw_association(table: pd.DataFrame, words: dict, style: Style, *, main: str,
                     baseline: str, labels: dict):
    """Never-listed citizens by closeness to the blacklisted: mean change with 95% intervals."""
    fig, axes = new_figure(style, height=style.width * 0.62, ncols=2)
    colours = {main: FEEDBACK, baseline: COUNTERFACTUAL}
    panels = (("mean_score_change", "Score change (points)"),
              ("mean_contact_change", "Change in friends"))
    y = np.arange(len(GROUPS))[::-1]
    height = 0.36
    axes = np.atleast_1d(axes)
    for ax, (column, title) in zip(axes, panels, strict=True):
        for k, name in enumerate((main, baseline)):
            sel = table[table["variant"] == name].set_index("group").reindex(GROUPS)
            values = sel[column].to_numpy(dtype=float)
            low = values - sel[f"{column}_low"].to_numpy(dtype=float)
            high = sel[f"{column}_high"].to_numpy(dtype=float) - values
            ypos = y + (height / 2 if k == 0 else -height / 2)
            ax.barh(ypos, values, height=height * 0.95, color=colours[name])
            ok = ~np.isnan(low)
            if ok.any():
                ax.errorbar(values[ok], ypos[ok], xerr=[low[ok], high[ok]], fmt="none",
                            ecolor="#333333", elinewidth=1, capsize=2)
        ax.axvline(0, color="#555555", lw=0.8)
        ax.set_title(title, loc="left")
        ax.grid(False)
        ax.set_yticks(y, [g.replace(" of ", "\nof ") for g in GROUPS])
    if not style.stack:
        axes[1].set_yticks(y, [""] * len(GROUPS))
    fig_h = fig.get_figheight()
    fig.text(0.015, 0.42 / fig_h, "■ " + labels[main], color=FEEDBACK, fontsize=style.fs(-0.5),
             fontweight="bold")
    fig.text(0.015, 0.62 / fig_h, "■ " + labels[baseline], color=COUNTERFACTUAL,
             fontsize=style.fs(-0.5), fontweight="bold")
    decorate(fig, style, title=words["title"], subtitle=words["subtitle"],
             source=words["source"], bottom=(1.3 if style.stack else 1.05) / fig_h)
    fig.subplots_adjust(left=0.3 if style.stack else 0.2, wspace=0.15, right=0.95, hspace=0.5)
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
                    ha="center", va="center", fontsize=style.fs(-1.5), color="#555555")
    decorate(fig, style, title=words["title"], subtitle=words["subtitle"],
             source=words["source"])
    fig.subplots_adjust(wspace=0.55, right=0.8, left=0.1)
    return fig


def draw_grades(table: pd.DataFrame, words: dict, style: Style, *, main: str, baseline: str,
                labels: dict, listing_month=None):
    """Share of citizens in grade D by month, both variants, with replicate bands."""
    fig, ax = new_figure(style, height=style.width * 0.62)
    colours = {main: FEEDBACK, baseline: COUNTERFACTUAL}
    ends = {}
    for name in (baseline, main):
        sel = table[table["variant"] == name]
        ax.fill_between(sel["month"], sel["low"], sel["high"], color=colours[name], alpha=0.25,
                        lw=0)
        ax.plot(sel["month"], sel["grade_D_percent"], color=colours[name])
        ends[name] = (float(sel["month"].iloc[-1]), float(sel["grade_D_percent"].iloc[-1]))
    hi = max(ends, key=lambda k: ends[k][1])
    for name, (x, yv) in ends.items():
        _label_end(ax, x, yv, labels[name], colours[name], dy=8 if name == hi else -8,
                   style=style)
    if listing_month is not None:
        ax.axvline(listing_month, color="#555555", lw=0.8, ls=":")
    ax.set_ylim(bottom=0)
    ax.margins(x=0)
    ax.set_ylabel("Citizens in grade D (%)")
    ax.set_xlabel("Month")
    decorate(fig, style, title=words["title"], subtitle=words["subtitle"],
             source=words["source"])
    fig.subplots_adjust(right=0.62 if style.stack else 0.75, left=0.15 if style.stack else 0.1)
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
                    else "black", fontsize=style.fs(-1.5))
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


def animate_ego(ego: EgoNetwork, path, *, style: Style, source: str, title: str = "",
                writer: str = "pillow", fps: int = 2):
    """An animation of the friends dropping one listed citizen, one frame per month.

    Title and grade legend on every frame; the first frame is the month before the listing.
    """
    months = sorted(ego.table["months_since_listing"].unique())
    positions = _circle_positions(ego.friends)
    with matplotlib.rc_context(rc(style)):
        fig = Figure(figsize=(5.4, 6.4), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.05, 0.2, 0.9, 0.62))
        fig.text(0.03, 0.975, textwrap.fill(title or "Who drops you", 42), va="top",
                 fontsize=13, fontweight="bold")
        x0 = 0.03
        for g in GRADES:
            fig.text(x0, 0.155, f"■ {g}", color=GRADE_COLOURS[g], fontsize=12,
                     fontweight="bold")
            x0 += 0.1
        fig.text(x0, 0.155, "friend's grade that month", fontsize=11, color="#333333")
        fig.text(0.03, 0.115, "dotted: tie cut; centre: the blacklisted citizen", fontsize=11,
                 color="#333333")
        fig.text(0.03, 0.01, textwrap.fill(source, 70), fontsize=9, color="#555555",
                 va="bottom")
        label = fig.text(0.03, 0.85, "", fontsize=12, fontweight="bold")

        def frame(k):
            ax.clear()
            m = months[k]
            snap = ego.table[ego.table["months_since_listing"] == m].set_index("citizen")
            _draw_ego_panel(ax, ego, snap, positions, style, node_size=90)
            kept = int((snap["tie"] == "kept").sum())
            when = ("The month before blacklisting" if m == -1 else "The month of blacklisting"
                    if m == 0 else f"{m} month{'s' if m != 1 else ''} after blacklisting")
            label.set_text(f"{when}: {kept} friend{'s' if kept != 1 else ''}")
            return []

        animation = FuncAnimation(fig, frame, frames=len(months), blit=False)
        animation.save(path, writer=writer, fps=fps, dpi=100)
    return path
