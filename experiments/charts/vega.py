"""Every chart as a self-contained, responsive HTML page (Vega-Lite through Altair).

The page embeds its data and the Vega, Vega-Lite and Vega-Embed JavaScript, inlined from the
installed ``vl-convert-python`` package (``altair``'s ``save(..., inline=True)``): it opens
from a file, embeds in a web page without a server and fetches nothing. The words (title,
subtitle, source line) are exactly those of the PNG and SVG. ``mobile`` stacks panels in a
view 375 px wide with no text below 12 px.
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd
from spiral.experiments.charts.palette import COUNTERFACTUAL, FEEDBACK, OKABE_ITO

MIN_PX = 12


def _sizes(layout: str) -> dict:
    if layout == "mobile":
        return {"width": 300, "height": 200, "font": 13, "title": 16, "wrap": 44, "stack": True}
    return {"width": 300, "height": 240, "font": 12, "title": 18, "wrap": 90, "stack": False}


def _lines(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]


def _finish(chart, words: dict, layout: str):
    s = _sizes(layout)
    title = alt.TitleParams(text=_lines(words["title"], s["wrap"] - 6),
                            subtitle=[*_lines(words["subtitle"], s["wrap"]), "",
                                      *_lines(words["source"], s["wrap"])],
                            anchor="start", fontSize=s["title"], subtitleFontSize=s["font"],
                            subtitleColor="#333333")
    return chart.properties(title=title).configure_axis(
        labelFontSize=s["font"], titleFontSize=s["font"]).configure_legend(
        labelFontSize=s["font"], titleFontSize=s["font"]).configure_view(stroke=None)


def _pair(panels, layout):
    return alt.vconcat(*panels) if _sizes(layout)["stack"] else alt.hconcat(*panels)


def _colours(main: str, baseline: str):
    return alt.Scale(domain=[main, baseline], range=[FEEDBACK, COUNTERFACTUAL])


def chart_for(chart_id: str, data: pd.DataFrame, words: dict, layout: str, *, main: str = "",
              baseline: str = ""):
    """The Altair chart of one newsroom chart from the table of its CSV."""
    s = _sizes(layout)
    size = {"width": s["width"], "height": s["height"]}
    if chart_id == "spiral":
        panels = []
        for metric, label in (("score", "Credit score (points)"), ("contacts", "Friends")):
            d = data[data["metric"] == metric]
            base = alt.Chart(d).encode(x=alt.X("months_since_listing:Q",
                                               title="Months since blacklisting"))
            colour = alt.Color("variant:N", scale=_colours(main, baseline), title="variant")
            band = base.mark_area(opacity=0.25).encode(y=alt.Y("low:Q", title=label),
                                                       y2="high:Q", color=colour)
            line = base.mark_line().encode(y="median:Q", color=colour,
                                           tooltip=["variant", "months_since_listing", "median",
                                                    "low", "high", "replicates"])
            panels.append((band + line).properties(**size))
        chart = _pair(panels, layout)
    elif chart_id == "guilt-by-association":
        panels = []
        for col, label in (("mean_score_change", "Score change (points)"),
                           ("mean_contact_change", "Change in friends")):
            base = alt.Chart(data).encode(y=alt.Y("group:N", title=None),
                                          yOffset="variant:N")
            bars = base.mark_bar().encode(x=alt.X(f"{col}:Q", title=label),
                                          color=alt.Color("variant:N",
                                                          scale=_colours(main, baseline)),
                                          tooltip=["variant", "group", col])
            rule = base.mark_rule().encode(x=f"{col}_low:Q", x2=f"{col}_high:Q")
            panels.append((bars + rule).properties(**size))
        chart = _pair(panels, layout)
    elif chart_id == "grades-over-time":
        base = alt.Chart(data).encode(x=alt.X("month:Q", title="Month"))
        colour = alt.Color("variant:N", scale=_colours(main, baseline))
        chart = (base.mark_area(opacity=0.25).encode(y=alt.Y("low:Q", title="Grade D (%)"),
                                                     y2="high:Q", color=colour)
                 + base.mark_line().encode(y="grade_D_percent:Q", color=colour)).properties(
            width="container", height=s["height"])
    elif chart_id in ("where-the-loss-comes-from", "reported-weight"):
        y = "part:N" if chart_id == "where-the-loss-comes-from" else "network_weight:O"
        base = alt.Chart(data).encode(y=alt.Y(y, title=None, sort=None))
        chart = (base.mark_bar(color=FEEDBACK).encode(x=alt.X("mean:Q", title="Points"),
                                                      tooltip=list(data.columns[:6]))
                 + base.mark_rule().encode(x="ci_low:Q", x2="ci_high:Q")).properties(
            width="container", height=s["height"])
    elif chart_id == "the-real-list":
        chart = alt.Chart(data).mark_line(point=True).encode(
            x=alt.X("as_of:T", title="Date"), y=alt.Y("count:Q", title="Count"),
            color=alt.Color("kind:N", legend=alt.Legend(orient="bottom", columns=1)),
            tooltip=["as_of", "count", "counts_what", "publisher", "url"]).properties(
            width="container", height=s["height"])
    elif chart_id == "tipping-point":
        chart = alt.Chart(data).mark_rect().encode(
            x=alt.X("fear_mean:O", title="Fear (mean)"),
            y=alt.Y("network_weight:O", title="Weight of friends in the score",
                    sort="descending"),
            color=alt.Color("mean:Q", scale=alt.Scale(scheme="cividis")),
            tooltip=["fear_mean", "network_weight", "mean", "runs"]).properties(
            width="container", height=s["height"])
    elif chart_id == "who-drops-you":
        d = data[data["tie"] == "kept"].groupby("months_since_listing", as_index=False).size()
        chart = alt.Chart(d).mark_bar(color=FEEDBACK).encode(
            x=alt.X("months_since_listing:O", title="Months since blacklisting"),
            y=alt.Y("size:Q", title="Friends kept")).properties(width="container",
                                                                 height=s["height"])
    elif chart_id == "the-scar":
        panels = [alt.Chart(data).mark_line(interpolate="step-after").encode(
            x=alt.X("month:Q", title="Month"), y=alt.Y(f"{m}:Q", title=label),
            color=alt.Color("role:N", scale=alt.Scale(range=[FEEDBACK, OKABE_ITO["grey"]])))
            .properties(**size) for m, label in (("score", "Score"), ("contacts", "Friends"))]
        chart = _pair(panels, layout)
    else:
        raise ValueError(f"no HTML chart for {chart_id!r}")
    return _finish(chart, words, layout)


def save_html(chart, path: Path) -> str:
    """Save self-contained HTML (JavaScript inlined; nothing fetched) and return the name."""
    chart.save(str(path), format="html", inline=True,
               embed_options={"actions": False, "renderer": "svg"})
    text = path.read_text(encoding="utf-8")
    text = text.replace("<head>", '<head>\n<meta name="viewport" content="width=device-width, '
                        'initial-scale=1">\n<style>.vega-embed{width:100%;max-width:100%}'
                        '</style>', 1)
    path.write_text(text, encoding="utf-8")
    return path.name
