"""The dashboard's pictures of one person and of the town, drawn from the month-by-month frames.

* :func:`ego_figure`: the chosen citizen in the middle and their friends around them, at a few
  months (before the listing, then 1, 3, 6, 12, 24 months on, and now): friends still there
  joined by a grey line, friends who left by a dotted purple one and faded, every friend
  coloured by their grade in that month (as the "Who drops you" chart does);
* :func:`pair_figure`: the chosen citizen's score and number of friends in this town against
  the same citizen in the penalty twin;
* :func:`town_figure`: the whole town: mean score, listed and isolated citizens, grade mix.

Every colour comes from :mod:`spiral.experiments.charts.palette`. The figures are plain
:class:`matplotlib.figure.Figure` objects (no pyplot, no global state); :func:`png` renders one.
"""

from __future__ import annotations

import io
import math

import numpy as np
from matplotlib.figure import Figure
from spiral.experiments.charts.palette import (
    COUNTERFACTUAL,
    CUT_TIE,
    FEEDBACK,
    GRADE_COLOURS,
    LISTED_RING,
    NEUTRAL,
    OKABE_ITO,
)
from spiral.model.params import GRADES

EGO_OFFSETS = (-1, 1, 3, 6, 12, 24)  # months around a listing shown in the ego panel
MAX_PANELS = 6
TOWN_LABEL = "this town"
TWIN_LABEL = "penalty only"


def png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def ego_months(model, citizen: int) -> list[int]:
    """The months the ego panel shows: around the citizen's last listing, or spread to now."""
    now = model.frames[-1].month
    listed_at = [m for m in model.listing_months(citizen) if m <= now]
    if listed_at:
        start = listed_at[-1]
        months = [start + k for k in EGO_OFFSETS if 0 <= start + k <= now]
    else:
        months = sorted({round(now * k / 4) for k in range(5)})
    if now not in months:
        months.append(now)
    if len(months) > MAX_PANELS:
        keep = np.linspace(0, len(months) - 1, MAX_PANELS).round().astype(int)
        months = [months[k] for k in sorted(set(keep.tolist()))]
    return months


def ego_table(model, citizen: int) -> tuple[list[int], list[int], dict]:
    """The ego panel's content: months, friends in drawing order, and per month each friend's
    tie (``kept``, ``cut``, ``not yet``) and grade letter.
    """
    months = ego_months(model, citizen)
    friends_at = {m: model.frames[m].friends(citizen) for m in months}
    first = sorted(friends_at[months[0]])
    later = sorted(set().union(*friends_at.values()) - set(first))
    order = first + later
    cells: dict = {}
    for k, m in enumerate(months):
        grades = model.frames[m].grade
        seen_before = set(first).union(*(friends_at[x] for x in months[:k]))
        for friend in order:
            if friend in friends_at[m]:
                tie = "kept"
            elif friend in seen_before:
                tie = "cut"
            else:
                tie = "not yet"
            cells[(m, friend)] = (tie, GRADES[int(grades[friend])])
    return months, order, cells


def ego_figure(model, citizen: int) -> Figure:
    """The chosen citizen's friends at a few months, coloured by grade; who left, dotted."""
    months, order, cells = ego_table(model, citizen)
    ncols = min(len(months), 3)
    nrows = math.ceil(len(months) / ncols)
    fig = Figure(figsize=(max(2.2 * ncols, 4.0) + 0.4, 2.35 * nrows + 0.7), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    n = max(len(order), 1)
    angles = np.pi / 2 - 2 * np.pi * np.arange(n) / n
    position = {c: (math.cos(a), math.sin(a)) for c, a in zip(order, angles, strict=False)}
    for ax, m in zip(axes, months, strict=False):
        frame = model.frames[m]
        for friend, (x, y) in position.items():
            tie, _ = cells[(m, friend)]
            if tie == "kept":
                ax.plot([0, x], [0, y], color=NEUTRAL, lw=1.0, zorder=1)
            elif tie == "cut":
                ax.plot([0, x], [0, y], color=CUT_TIE, lw=1.2, ls=":", zorder=1)
        for friend, (x, y) in position.items():
            tie, grade = cells[(m, friend)]
            if tie == "not yet":
                continue
            ax.scatter([x], [y], s=60, color=GRADE_COLOURS[grade],
                       alpha=1.0 if tie == "kept" else 0.35, edgecolors="white",
                       linewidths=0.6, zorder=2)
        ego_grade = GRADES[int(frame.grade[citizen])]
        listed = bool(frame.listed[citizen])
        ax.scatter([0], [0], s=200, color=GRADE_COLOURS[ego_grade],
                   edgecolors=LISTED_RING if listed else "white", linewidths=2.5 if listed else 1,
                   zorder=3)
        ax.text(0, 0, str(citizen), ha="center", va="center", fontsize=7, color="white",
                fontweight="bold", zorder=4)
        kept = sum(1 for f in order if cells[(m, f)][0] == "kept")
        ax.set_title(f"month {m}{' (listed)' if listed else ''}\n{kept} friend"
                     f"{'' if kept == 1 else 's'}", fontsize=9)
        ax.set_xlim(-1.3, 1.3)
        ax.set_ylim(-1.3, 1.3)
        ax.set_aspect("equal")
        ax.set_axis_off()
    for ax in axes[len(months):]:
        ax.set_axis_off()
    fig.suptitle(f"Citizen {citizen}'s friends, month by month", x=0.01, ha="left",
                 fontsize=12, fontweight="bold")
    return fig


def pair_figure(model, citizen: int) -> Figure:
    """The chosen citizen's score and friends here and in the penalty twin, by month."""
    s = model.series(citizen)
    fig = Figure(figsize=(6.4, 3.3), layout="constrained")
    ax_score, ax_friends = fig.subplots(1, 2)
    for ax, key, ylabel in ((ax_score, "score", "Score (points)"),
                            (ax_friends, "friends", "Friends (number)")):
        ax.plot(s["month"], s[f"twin_{key}"], color=COUNTERFACTUAL, lw=2, label=TWIN_LABEL)
        ax.plot(s["month"], s[key], color=FEEDBACK, lw=2, label=TOWN_LABEL)
        for m in model.listing_months(citizen):
            ax.axvline(m, color=NEUTRAL, lw=0.8, ls=":")
        ax.set_title(ylabel, loc="left", fontsize=10)
        ax.set_xlabel("Month")
        ax.set_xlim(0, max(12, int(s["month"][-1])))
        ax.spines[["top", "right"]].set_visible(False)
    ax_friends.set_ylim(bottom=0)
    ax_friends.yaxis.get_major_locator().set_params(integer=True)
    ax_score.legend(loc="lower left", fontsize=8, frameon=False)
    here, alone = s["score"][-1], s["twin_score"][-1]
    fig.suptitle(f"Citizen {citizen}: score {here:.0f} here, {alone:.0f} with the penalty "
                 f"alone; {s['friends'][-1]} friends against {s['twin_friends'][-1]}",
                 x=0.01, ha="left", fontsize=10.5, fontweight="bold")
    return fig


def town_series(frames) -> dict[str, np.ndarray]:
    """Town-wide series from frames: mean score, listed, isolates, grade shares (%)."""
    return {"month": np.array([f.month for f in frames]),
            "mean_score": np.array([f.score.mean() for f in frames]),
            "listed": np.array([int(f.listed.sum()) for f in frames]),
            "isolates": np.array([int((f.degree == 0).sum()) for f in frames]),
            **{f"share_{g}": np.array([100 * np.mean(f.grade == k) for f in frames])
               for k, g in enumerate(GRADES)}}


def town_figure(model) -> Figure:
    """The whole town: mean score (and its penalty twin), listed and isolated, grade mix."""
    data = town_series(list(model.frames))
    twin = town_series(list(model.twin_frames))
    months = data["month"]
    fig = Figure(figsize=(6.4, 6.0), layout="constrained")
    ax_score, ax_count, ax_grade = fig.subplots(3, 1, sharex=True)
    ax_score.plot(twin["month"], twin["mean_score"], color=COUNTERFACTUAL, lw=1.5,
                  label=TWIN_LABEL)
    ax_score.plot(months, data["mean_score"], color=FEEDBACK, lw=2, label=TOWN_LABEL)
    ax_score.legend(loc="best", fontsize=8, frameon=False)
    ax_score.set_ylabel("Mean score\n(points)")
    ax_score.set_title("The whole town", loc="left", fontsize=12, fontweight="bold")
    for column, colour, label, nudge in (("listed", OKABE_ITO["black"], "listed", 5),
                                         ("isolates", OKABE_ITO["vermillion"],
                                          "without friends", -5)):
        ax_count.plot(months, data[column], color=colour, lw=2)
        ax_count.annotate(label, (months[-1], data[column][-1]), xytext=(3, nudge),
                          textcoords="offset points", color=colour, fontsize=9, va="center")
    ax_count.set_ylim(bottom=0)
    ax_count.yaxis.get_major_locator().set_params(integer=True)
    ax_count.set_ylabel("Citizens")
    ax_grade.stackplot(months, *[data[f"share_{g}"] for g in GRADES],
                       colors=[GRADE_COLOURS[g] for g in GRADES], labels=GRADES)
    ax_grade.set_ylim(0, 100)
    ax_grade.set_ylabel("Grade mix\n(% of citizens)")
    ax_grade.set_xlabel("Month")
    ax_grade.legend(loc="lower left", ncol=4, fontsize=8, frameon=True, framealpha=0.8)
    for ax in (ax_score, ax_count, ax_grade):
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlim(0, max(12, int(months[-1])))
    return fig
