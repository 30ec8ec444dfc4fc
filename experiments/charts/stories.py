"""Words of the case charts, the decomposition, the reported weight and the real list.

Like :mod:`spiral.experiments.charts.claims`: built from the plotted numbers, each claim
checked (typical cases say by which rule they were chosen and how typical they are; an extreme
case is labelled; decomposition bars are called a channel's share only where the interval
excludes zero; cumulative counts of the real list are never called the number listed now).
"""

from __future__ import annotations

import math

from spiral.experiments.charts.claims import gap_claim, interval_text, plain, replicates_text

CHANNELS = {"shapley-S": "stigma: friends who heard shun the listed",
            "shapley-N": "the score reads friends and lost contacts",
            "shapley-F": "friends fear for their own scores",
            "interaction": "channels together beyond their separate effects"}


def ego_words(ego, facts: dict, source: str):
    """Words of "Who drops you": a typical (or, on request, extreme) case."""
    t = ego.table
    first_m, last_m = t["months_since_listing"].min(), t["months_since_listing"].max()
    kept = t[t["tie"] == "kept"].groupby("months_since_listing").size()
    k0, k1 = int(kept.get(first_m, 0)), int(kept.get(last_m, 0))
    rule = ("the case that lost the largest share of friends (an extreme case, not typical)"
            if facts["extreme"] else
            f"the case closest to the median share of friends lost after 12 months "
            f"({facts['median_lost_share'] * 100:.0f}% over {facts['episodes']} episodes)")
    title = (f"Who drops you: {k0 - k1} of {k0} friends gone {last_m} months after a "
             "blacklisting" + (" (extreme case)" if facts["extreme"] else ""))
    grades = ("friends coloured by their grade in the month drawn" if ego.grades_from ==
              "tracked" else "friends coloured by their grade at the end of the run")
    subtitle = (f"Simulated. Citizen {ego.ego}, listed in month {ego.listing_tick}: {rule}; "
                f"it lost {facts['case_lost_share'] * 100:.0f}% by month 12, more than "
                f"{facts['percentile']:.0f}% of episodes; {grades}.")
    alt = (f"Small network diagrams, simulated: citizen {ego.ego} at the centre, listed in "
           f"month {ego.listing_tick}, with {k0} friends at month {first_m} and {k1} at month "
           f"{last_m}; cut ties faded; {grades}. Chosen as {rule}.")
    return {"title": title, "subtitle": subtitle, "source": source}, alt


def scar_words(case, source: str):
    """Words of "The scar": a typical corrected wrongful listing against a twin."""
    t = case.table
    me = t[t["role"] == "wrongfully listed"].set_index("month")
    twin = t[t["role"] == "never-listed twin"].set_index("month")
    before = case.listing_tick - 1
    after12 = min(case.delisting_tick + 12, int(me.index.max()))
    gap = float(twin.at[after12, "score"] - me.at[after12, "score"])
    listed = case.delisting_tick - case.listing_tick
    typical = case.typical or {}
    extreme = typical.get("extreme", False)
    rule = (f"the longest of {typical.get('cases', '?')} corrected wrongful listings "
            "(an extreme case)" if extreme else
            f"the case closest to the median time on the list "
            f"({typical.get('median_months_listed', math.nan):.0f} months over "
            f"{typical.get('cases', '?')} corrected wrongful listings; the longest was "
            f"{typical.get('longest_months_listed', '?')})")
    if gap > 0:
        title = (f"Listed by mistake for {listed} months: {gap:.0f} points behind a twin a "
                 "year after the correction")
    else:
        title = (f"Listed by mistake for {listed} months: level with a twin a year after the "
                 "correction")
    subtitle = (f"Simulated. Citizen {case.citizen} against a never-listed twin (citizen "
                f"{case.twin}, closest in starting score and friends); {rule}.")
    alt = (f"Two line charts, simulated. Citizen {case.citizen} is wrongly listed in month "
           f"{case.listing_tick} and corrected in month {case.delisting_tick}. Score "
           f"{me.at[before, 'score']:.0f} before, {me.at[after12, 'score']:.0f} twelve months "
           f"after the correction against {twin.at[after12, 'score']:.0f} for the twin; "
           f"friends {me.at[before, 'contacts']} before, {me.at[after12, 'contacts']} after "
           f"against {twin.at[after12, 'contacts']}. Chosen as {rule}.")
    return {"title": title, "subtitle": subtitle, "source": source}, alt


def decomposition_words(table, *, main: str, baseline: str, replicates: int, enough: bool,
                        source: str):
    """Words of "Where the extra loss comes from": Shapley shares of the extra 12-month loss."""
    rows = table.set_index("part")
    total = rows.loc["total"]
    parts = rows.drop(index=["total", "interaction"], errors="ignore")
    clear = [p for p, r in parts.iterrows()
             if gap_claim(r.to_dict(), enough=enough) == "clear"]
    top = parts["mean"].idxmax()
    share = parts.at[top, "mean"] / total["mean"] * 100 if total["mean"] else math.nan
    if top in clear:
        title = (f"Most of the extra loss, {parts.at[top, 'mean']:.0f} of "
                 f"{total['mean']:.0f} points ({share:.0f}%), comes from {CHANNELS[top]}")
    else:
        title = (f"Where the extra {total['mean']:.0f} points come from: no channel clearly "
                 "larger" if enough else f"Where the extra {total['mean']:.0f} points come "
                 f"from, in {replicates} replicates")
    subtitle = (f"Simulated. Points lost 12 months after listing with {plain(main)}, beyond "
                f"{plain(baseline)}, split by channel (Shapley values: interactions shared "
                f"out); the interaction bar is the part no channel causes alone, already shared "
                f"among the three channel bars; {replicates_text(replicates, enough)}, bars with "
                "95% intervals.")
    alt = ("Bar chart, simulated: " + "; ".join(
        f"{CHANNELS.get(p, p)} {interval_text(r.to_dict(), ' points')}"
        for p, r in rows.iterrows() if p != "total")
        + f"; total {interval_text(total.to_dict(), ' points')}.")
    return {"title": title, "subtitle": subtitle, "source": source}, alt


def weight_words(table, *, reported: float, default: float, replicates: int, enough: bool,
                 source: str):
    """Words of "At the reported weight": the extra loss at two network weights."""
    rows = table.set_index("network_weight")
    at_r, at_d = rows.loc[reported].to_dict(), rows.loc[default].to_dict()
    kind = gap_claim(at_r, enough=enough)
    if kind == "clear":
        title = (f"At the reported Zhima weight of {reported:.0%}, the loop still costs "
                 f"{at_r['mean']:.0f} extra points, against {at_d['mean']:.0f} at the model's "
                 f"{default:.0%}")
    elif kind == "few":
        title = (f"At a {reported:.0%} network weight the loop costs {at_r['mean']:.0f} extra "
                 f"points, {at_d['mean']:.0f} at {default:.0%} ({replicates} replicates)")
    else:
        title = (f"At the reported Zhima weight of {reported:.0%}, no clear extra loss "
                 f"({at_r['mean']:+.0f} points), against {at_d['mean']:.0f} at {default:.0%}")
    subtitle = (f"Simulated. Extra points lost 12 months after listing with "
                f"{plain('spiral')}, beyond {plain('penalty')}, at two weights of friends in "
                f"the score; {replicates_text(replicates, enough)}. The {reported:.0%} is an "
                "unofficial report of Zhima Credit's weight on friends; a reported weight is "
                "not the model's weight, since scores here also feed friends' scores.")
    alt = (f"Bar chart, simulated: extra loss {interval_text(at_r, ' points')} at weight "
           f"{reported:g}, {interval_text(at_d, ' points')} at weight {default:g}.")
    return {"title": title, "subtitle": subtitle, "source": source}, alt


def court_words(table, source: str):
    """Words of "The real list": published counts, cumulative ones said to be cumulative."""
    cum = table[table["kind"] == "listed_cumulative"].sort_values("as_of")
    first, last = cum.iloc[0], cum.iloc[-1]
    title = (f"China's court blacklist: {last['count'] / 1e6:.1f} million entries ever listed "
             f"by {last['as_of'][:4]}, cumulative since 2013, not the number listed now")
    subtitle = (f"Real published counts, not simulated. Ever listed (cumulative) from "
                f"{first['count']:,} in {first['as_of'][:7]} to {last['count']:,} in "
                f"{last['as_of'][:7]}; travel bans counted separately, some in person-times; "
                "people are removed when they comply.")
    alt = ("Chart of published counts of the Supreme People's Court list of dishonest judgment "
           "debtors: " + "; ".join(f"{r['as_of']}: {r['count']:,} ({r['counts_what']})"
                                   for _, r in table.sort_values("as_of").iterrows()) + ".")
    return {"title": title, "subtitle": subtitle, "source": source}, alt
