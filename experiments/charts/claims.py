"""Headlines that the plotted numbers support: every claim checked before it is written.

Each ``*_words`` function takes the chart's table (as written to its CSV) and facts computed
from the data (replicates, intervals, typical-case rules) and returns ``(words, alt)``. The
rules, also in docs/charts.md:

* a line is called falling only if it is lower at the end of the window named than at its
  start; a line that bottoms out and recovers is described so, with the month;
* a gap is called a gap only if its 95% interval over replicates excludes zero, and only with
  at least ``MIN_REPLICATES`` replicates; with fewer, the words say how many and claim no
  interval;
* counts (episodes, citizens, replicates) come from the data;
* the variants compared are named in plain words (:data:`VARIANT_WORDS`);
* every model chart's subtitle begins with "Simulated".
"""

from __future__ import annotations

import math

VARIANT_WORDS = {
    "unlisted": "no listings at all",
    "penalty": "the listing penalty alone",
    "stigma": "friends shun the listed",
    "network": "a score that reads friends",
    "chain": "a score that reads friends, and friends who shun",
    "fear": "a score that reads friends, and friends who fear for their scores",
    "spiral": "a score that reads friends, friends who shun and fear",
    "no_denied": "the penalty without denied services",
    "feedback": "a score that reads friends", "counterfactual": "a score that ignores friends",
}


SHORT_LABELS = {"spiral": "loop on", "penalty": "penalty\nalone", "chain": "shun +\nreads friends",
                "unlisted": "no listing", "feedback": "reads\nfriends",
                "counterfactual": "ignores\nfriends"}


def short(variant: str) -> str:
    """A variant's label at the end of a line."""
    return SHORT_LABELS.get(variant, variant)


def plain(variant: str) -> str:
    """A variant's channels in plain words."""
    return VARIANT_WORDS.get(variant, variant)


def gap_claim(iv: dict, *, enough: bool) -> str:
    """``"clear"`` (interval excludes zero, positive), ``"negative"``, ``"unclear"`` or
    ``"few"`` (too few replicates to claim an interval).
    """
    if not enough or iv.get("n", 0) < 2 or math.isnan(iv.get("ci_low", math.nan)):
        return "few"
    if iv["ci_low"] > 0:
        return "clear"
    if iv["ci_high"] < 0:
        return "negative"
    return "unclear"


def interval_text(iv: dict, unit: str = "", digits: int = 0) -> str:
    """``"57 points (95% interval 55 to 60)"`` or the mean alone without an interval."""
    f = f"{{:.{digits}f}}"
    base = f.format(iv["mean"]) + unit
    if math.isnan(iv.get("ci_low", math.nan)):
        return base
    return f"{base} (95% interval {f.format(iv['ci_low'])} to {f.format(iv['ci_high'])})"


def replicates_text(n: int, enough: bool) -> str:
    """How many replicates, and a warning when too few for intervals."""
    text = f"{n} replicate{'s' if n != 1 else ''}"
    return text if enough else text + " (too few for a 95% interval: no interval claimed)"


def trend(series, *, start: int, end: int, unit: str = "") -> str:
    """Words for a median line between two months, checked on the numbers."""
    s = series[(series.index >= start) & (series.index <= end)]
    if s.empty:
        return ""
    first, last = float(s.iloc[0]), float(s.iloc[-1])
    low_month = int(s.idxmin())
    low = float(s.min())
    if s.index.min() < low_month < s.index.max() and last - low >= max(2.0, 0.02 * abs(low)):
        return (f"falls from {first:.0f}{unit} to a low of {low:.0f}{unit} in month "
                f"{low_month} and recovers to {last:.0f}{unit} by month {end}")
    if last < first:
        return f"falls from {first:.0f}{unit} to {last:.0f}{unit} by month {end}"
    if last > first:
        return f"rises from {first:.0f}{unit} to {last:.0f}{unit} by month {end}"
    return f"stays at {first:.0f}{unit} through month {end}"


def spiral_words(bands, *, main: str, baseline: str, gap: dict, replicates: int,
                 enough: bool, episodes: int, source: str):
    """Words of "The spiral": the extra 12-month loss and the shape of the median line."""
    def line(variant, metric):
        sel = bands[(bands["variant"] == variant) & (bands["metric"] == metric)]
        return sel.set_index("months_since_listing")["median"]

    horizon = 12 if (bands["months_since_listing"] == 12).any() else int(
        bands["months_since_listing"].max())
    last = int(bands["months_since_listing"].max())
    score, friends = line(main, "score"), line(main, "contacts")
    kind = gap_claim(gap, enough=enough)
    a, b = plain(main), plain(baseline)
    if kind == "clear":
        title = (f"Twelve months on, {a} cost the blacklisted {gap['mean']:.0f} more points "
                 f"than {b}")
    elif kind == "negative":
        title = (f"Twelve months on, {a} cost the blacklisted {-gap['mean']:.0f} fewer points "
                 f"than {b}")
    elif kind == "unclear":
        title = (f"Twelve months on, no clear difference in points lost between {a} and {b} "
                 f"({gap['mean']:+.0f})")
    else:
        title = (f"Twelve months on, {a} cost the blacklisted {gap['mean']:.0f} more points "
                 f"than {b} in {replicates} replicate{'s' if replicates != 1 else ''}")
    flat = line(baseline, "contacts")
    flat_note = (f" With {b}, nobody unfriends the listed: their friends stay by design."
                 if len(flat) and flat.max() - flat.min() < 0.5 else "")
    subtitle = (f"Simulated. {episodes} listing episodes per replicate (median), "
                f"{replicates_text(replicates, enough)}; lines: median over replicates, "
                f"bands: 95% of replicate medians. With {a}, the median score "
                f"{trend(score, start=0, end=last)}.{flat_note}")
    alt = (f"Two line charts by months since blacklisting, simulated. {a.capitalize()}: median "
           f"score {trend(score, start=0, end=last)}; median friends "
           f"{trend(friends, start=-1, end=horizon, unit='')}. Extra points lost after "
           f"{horizon} months against {b}: {interval_text(gap, ' points')}, "
           f"{replicates} replicates of about {episodes} episodes each.")
    return {"title": title, "subtitle": subtitle, "source": source}, alt


def association_words(table, *, main: str, baseline: str, gap: dict, replicates: int,
                      enough: bool, source: str):
    """Words of "Guilt by association": never-listed friends against everyone else."""
    rows = table[table["variant"] == main].set_index("group")
    friends, others = rows.loc["friends of the blacklisted"], rows.loc["everyone else"]
    kind = gap_claim(gap, enough=enough)
    if kind == "clear":
        title = (f"Never-listed friends of the blacklisted gain {gap['mean']:.1f} points more "
                 "than everyone else")
    elif kind == "negative":
        title = (f"Never-listed friends of the blacklisted fall {-gap['mean']:.1f} points "
                 "behind everyone else")
    elif kind == "unclear":
        title = (f"No clear score gap for friends of the blacklisted ({gap['mean']:+.1f} "
                 "points against everyone else)")
    else:
        title = (f"Friends of the blacklisted: {gap['mean']:+.1f} points against everyone else "
                 f"in {replicates} replicate{'s' if replicates != 1 else ''}")
    subtitle = (f"Simulated. Never-listed citizens' mean change from start to end of the run, "
                f"by closeness to someone blacklisted; {plain(main)} against {plain(baseline)}; "
                f"{replicates_text(replicates, enough)}, bars with 95% intervals. Friends lost "
                "include ties the friends cut themselves.")
    alt = (f"Bar charts, simulated. With {plain(main)}, never-listed friends of the blacklisted "
           f"({int(friends['citizens'])} citizen-replicates) changed their score by "
           f"{friends['mean_score_change']:+.1f} points and their friends by "
           f"{friends['mean_contact_change']:+.1f}; everyone else "
           f"{others['mean_score_change']:+.1f} points and {others['mean_contact_change']:+.1f}"
           f" friends. Gap: {interval_text(gap, ' points', 1)}.")
    return {"title": title, "subtitle": subtitle, "source": source}, alt


def grades_words(table, *, main: str, baseline: str, gap: dict, replicates: int,
                 enough: bool, source: str):
    """Words of "Grades over time": grade D share, main against baseline."""
    end = int(table["month"].max())
    at = table[table["month"] == end].set_index("variant")["grade_D_percent"]
    kind = gap_claim(gap, enough=enough)
    a, b = plain(main), plain(baseline)
    if kind == "clear":
        title = (f"By month {end}, {gap['mean']:.1f} percentage points more of the town is in "
                 f"grade D with "
                 f"{a} than with {b}")
    elif kind == "negative":
        title = (f"By month {end}, {-gap['mean']:.1f} percentage points less of the town is in "
                 f"grade D "
                 f"with {a} than with {b}")
    elif kind == "unclear":
        title = (f"By month {end}, no clear difference in grade D between {a} and {b} "
                 f"({gap['mean']:+.1f} points)")
    else:
        title = (f"By month {end}, {at.get(main, math.nan):.1f}% in grade D with {a}, "
                 f"{at.get(baseline, math.nan):.1f}% with {b} ({replicates} replicates)")
    series = table[table["variant"] == main].set_index("month")["grade_D_percent"]
    subtitle = (f"Simulated. Share of all citizens in grade D, month by month; median over "
                f"{replicates_text(replicates, enough)}, bands: 95% of replicates. With {a} it "
                f"{trend(series, start=int(series.index.min()), end=end, unit='%')}.")
    alt = (f"Line chart, simulated: share of citizens in grade D over {end} months. At the end "
           f"{at.get(main, math.nan):.1f}% with {a} and {at.get(baseline, math.nan):.1f}% with "
           f"{b}; difference {interval_text(gap, ' percentage points', 1)}.")
    return {"title": title, "subtitle": subtitle, "source": source}, alt
