"""Drawing the decomposition, the reported-weight comparison, the real list and the heatmap mark.

Same house style and palette as :mod:`spiral.experiments.charts.draw`; each function takes the
table written as the chart's CSV and the chart's words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from spiral.experiments.charts.palette import COUNTERFACTUAL, FEEDBACK, NEUTRAL, OKABE_ITO
from spiral.experiments.charts.stories import CHANNELS
from spiral.experiments.charts.style import Style, decorate, new_figure


def _bars(ax, labels, values, low, high, colours, style: Style, unit: str = ""):
    y = np.arange(len(labels))[::-1]
    ax.barh(y, values, color=colours, height=0.6)
    ok = ~np.isnan(low)
    if ok.any():
        ax.errorbar(values[ok], y[ok], xerr=[values[ok] - low[ok], high[ok] - values[ok]],
                    fmt="none", ecolor="#333333", elinewidth=1, capsize=3)
    for yy, v, h in zip(y, values, np.where(ok, high, values), strict=True):
        ax.annotate(f"{v:.0f}{unit}", (max(v, h), yy), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=style.fs(-1), annotation_clip=False)
    ax.set_yticks(y, labels)
    ax.axvline(0, color="#555555", lw=0.8)
    ax.grid(False)


def _wrap_label(text: str, width: int) -> str:
    import textwrap

    return textwrap.fill(text, width)


def draw_decomposition(table: pd.DataFrame, words: dict, style: Style):
    """Bars: the Shapley share of each channel, the interaction and the total, with intervals."""
    fig, ax = new_figure(style, height=style.width * (0.95 if style.stack else 0.62))
    order = [p for p in (*CHANNELS, "total") if p in set(table["part"])]
    t = table.set_index("part").reindex(order)
    labels = [_wrap_label(CHANNELS.get(p, "total extra loss"), 18 if style.stack else 28)
              for p in order]
    colours = [NEUTRAL if p == "total" else OKABE_ITO["purple"] if p == "interaction"
               else FEEDBACK for p in order]
    _bars(ax, labels, t["mean"].to_numpy(float), t["ci_low"].to_numpy(float),
          t["ci_high"].to_numpy(float), colours, style)
    ax.set_xlabel("Points lost 12 months after listing")
    decorate(fig, style, title=words["title"], subtitle=words["subtitle"],
             source=words["source"])
    fig.subplots_adjust(left=0.42 if style.stack else 0.34, right=0.9)
    return fig


def draw_weight(table: pd.DataFrame, words: dict, style: Style, *, reported: float):
    """Bars: the loop's extra loss at the reported and at the default network weight."""
    fig, ax = new_figure(style, height=style.width * (0.8 if style.stack else 0.5))
    t = table.sort_values("network_weight")
    labels = [f"weight {w:g}\n(reported Zhima)" if w == reported else f"weight {w:g}\n(model "
              "default)" for w in t["network_weight"]]
    colours = [COUNTERFACTUAL if w == reported else FEEDBACK for w in t["network_weight"]]
    _bars(ax, labels, t["mean"].to_numpy(float), t["ci_low"].to_numpy(float),
          t["ci_high"].to_numpy(float), colours, style)
    ax.set_xlabel("Extra points lost 12 months after listing")
    decorate(fig, style, title=words["title"], subtitle=words["subtitle"],
             source=words["source"])
    fig.subplots_adjust(left=0.4 if style.stack else 0.25, right=0.9)
    return fig


COURT_KINDS = {"listed_cumulative": ("ever listed since 2013 (cumulative)", FEEDBACK),
               "flight_bans_person_times": ("flight purchases blocked (person-times)",
                                            OKABE_ITO["blue"]),
               "flight_bans_persons": ("persons barred from flights", OKABE_ITO["sky_blue"]),
               "train_bans_person_times": ("train purchases blocked (person-times)",
                                           OKABE_ITO["orange"]),
               "train_bans_persons": ("persons barred from fast trains", OKABE_ITO["yellow"]),
               "complied_cumulative": ("complied and paid (cumulative)", OKABE_ITO["green"]),
               "listed_on_list_now": ("on the list that day", OKABE_ITO["black"]),
               "listed_first_publication": ("first publication", NEUTRAL)}


def draw_court(table: pd.DataFrame, words: dict, style: Style):
    """Published counts of the court list over time, one marker style per kind of count."""
    fig, ax = new_figure(style, height=style.width * (1.0 if style.stack else 0.62))
    t = table.assign(when=pd.to_datetime(table["as_of"]))
    for kind, (label, colour) in COURT_KINDS.items():
        sel = t[t["kind"] == kind].sort_values("when")
        if sel.empty:
            continue
        ax.plot(sel["when"], sel["count"] / 1e6, marker="o", color=colour,
                ls="-" if kind == "listed_cumulative" else "none", label=label)
    ax.set_ylabel("Millions")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize=style.fs(-1.5))
    decorate(fig, style, title=words["title"], subtitle=words["subtitle"],
             source=words["source"])
    fig.subplots_adjust(left=0.15 if style.stack else 0.1, right=0.97)
    return fig


def mark_reported_weight(fig, grid: pd.DataFrame, style: Style, *, reported: float,
                         y_name: str = "network_weight") -> None:
    """A dashed line on the heatmap's weight axis at the reported Zhima weight, with caveat."""
    ax = fig.axes[0]
    levels = sorted(grid[y_name].unique())
    if len(levels) < 2 or not levels[0] <= reported <= levels[-1]:
        return
    pos = float(np.interp(reported, levels, np.arange(len(levels))))
    ax.axhline(pos, color="white", lw=1.5, ls="--")
    ax.annotate(f"reported Zhima weight ~{reported:.0%} (unofficial;\nnot the model's weight)",
                (0, pos), xytext=(2, 3), textcoords="offset points", color="white",
                fontsize=style.fs(-1.5), va="bottom", fontweight="bold")
