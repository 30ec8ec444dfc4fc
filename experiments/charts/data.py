"""The numbers behind each newsroom chart, computed from a run's tidy tables.

Every function takes tables as read from a results folder (``listed``, ``citizens``,
``timeseries``, ``events``, ``initial_ties``, ``tracked``) and returns a DataFrame of the
numbers the chart plots, with the identifiers and counts that say what each row is (the
columns of each chart's CSV are listed in docs/charts.md);
:mod:`spiral.experiments.charts.book` writes it next to the image. The spiral's numbers are a
measure, :func:`spiral.experiments.measures.percentiles_since_listing`. Nothing here draws,
and nothing reads the engine's internals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from spiral.model.params import GRADES, PARAMS

EGO_MONTHS = (0, 3, 6, 12, 24)
TABLES = ("timeseries", "episodes", "events", "citizens", "initial_ties", "tracked")


class ChartDataError(ValueError):
    """A results folder lacks what a chart needs."""


def compared_pair(tables: dict[str, pd.DataFrame], *, main: str,
                  baseline: str | None = None, replicate: int | None = None
                  ) -> dict[str, pd.DataFrame]:
    """One replicate's (default: the first) ``main`` and ``baseline`` variants of tables with
    a ``variant`` column, relabelled ``feedback`` and ``counterfactual`` (the one-replicate
    views of the network diagrams and the scar; ensembles: :mod:`.ensemble`).
    """
    relabel = {main: "feedback"}
    if baseline is not None and baseline != main:
        relabel[baseline] = "counterfactual"
    out = {}
    for name, frame in tables.items():
        if "replicate" in frame.columns:
            keep = frame["replicate"].min() if replicate is None else replicate
            frame = frame[frame["replicate"] == keep].drop(columns="replicate")
        if "variant" in frame.columns:
            frame = frame[frame["variant"].isin(relabel)].copy()
            frame["variant"] = frame["variant"].map(relabel)
        out[name] = frame.reset_index(drop=True)
    return out


def variant(frame: pd.DataFrame, name: str = "feedback") -> pd.DataFrame:
    """Rows of one variant (all rows if the table has no ``variant`` column)."""
    if "variant" not in frame.columns:
        return frame
    return frame[frame["variant"] == name]


# --- grades over time ------------------------------------------------------------------------
def grade_shares(timeseries: pd.DataFrame) -> pd.DataFrame:
    """Per month, the population's grade mix in percent (network-aware variant)."""
    ts = variant(timeseries)
    out = pd.DataFrame({"month": ts["tick"].astype(int).to_numpy()})
    for g in GRADES:
        out[f"grade_{g}_percent"] = (ts[f"share_{g}"].to_numpy() * 100.0)
    out["listed_count"] = ts["listed_count"].to_numpy()
    return out


# --- guilt by association --------------------------------------------------------------------
GROUPS = ("friends of the blacklisted", "friends of their friends", "everyone else")


def association(citizens: pd.DataFrame) -> pd.DataFrame:
    """How never-listed citizens fare by closeness to the blacklisted, in both variants.

    Groups: never-listed friends of a listed citizen (at the time of listing), never-listed
    citizens two hops away, and the rest. Per group: citizens, mean score change and mean
    change in contacts from start to end, share ending in grade D (percent).
    """
    rows = []
    for name, frame in citizens.groupby("variant") if "variant" in citizens else [("feedback",
                                                                                   citizens)]:
        never = frame[~frame["ever_listed"].astype(bool)]
        friend = never["friend_of_listed"].astype(bool)
        two_hops = ~friend & (never["hops_to_listed"] == 2)
        for group, mask in zip(GROUPS, (friend, two_hops, ~friend & ~two_hops), strict=True):
            sel = never[mask]
            rows.append({
                "variant": name, "group": group, "citizens": len(sel),
                "mean_score_change": float((sel["final_score"] - sel["initial_score"]).mean())
                if len(sel) else math.nan,
                "mean_contact_change": float((sel["final_contacts"]
                                              - sel["initial_contacts"]).mean())
                if len(sel) else math.nan,
                "grade_D_percent": float((sel["final_grade"] == "D").mean() * 100)
                if len(sel) else math.nan})
    return pd.DataFrame(rows)


# --- the network around one citizen ------------------------------------------------------------
def pick_ego(listed: pd.DataFrame, *, follow_up: int = max(EGO_MONTHS)) -> tuple[int, int]:
    """A typical blacklisted citizen: (citizen, listing month).

    Among rightful listing episodes (network-aware variant) followed for ``follow_up`` months
    and starting with at least 4 friends, the one whose contact loss after 12 months is the
    median (ties broken by more friends, then lower citizen index).
    """
    fb = variant(listed)
    last = int(fb["tick"].max())
    base = fb[fb["months_since_listing"] == -1].set_index(["citizen", "listing_tick"])["contacts"]
    at = fb[fb["months_since_listing"] == 12].set_index(["citizen", "listing_tick"])["contacts"]
    eps = base.to_frame("before").join(at.rename("after"), how="inner").reset_index()
    wrongful = fb.groupby(["citizen", "listing_tick"])["wrongful"].first()
    eps = eps[(eps["listing_tick"] + follow_up <= last) & (eps["before"] >= 4)]
    eps = eps[~eps.set_index(["citizen", "listing_tick"]).index.map(wrongful).astype(bool)]
    if eps.empty:
        eps = base.to_frame("before").join(at.rename("after"), how="inner").reset_index()
    if eps.empty:
        raise ChartDataError("no listing episode followed for 12 months: run longer "
                             "(--ticks) or list someone earlier")
    eps["lost"] = (eps["before"] - eps["after"]) / eps["before"].clip(lower=1)
    eps = eps.sort_values(["lost", "before", "citizen"], ascending=[True, False, True])
    row = eps.iloc[(len(eps) - 1) // 2]
    return int(row["citizen"]), int(row["listing_tick"])


# The tie changes of a month, phase by phase in the engine's order (docs/ODD.md section 3):
# each phase removes its ties, then adds its own. Unfriending cuts with the rewiring that
# replaces them; dropped ties restored; ordinary turnover (a tie lapses, a friend of a friend
# is befriended instead).
TIE_PHASES = ((("cut",), ("rewire",)), ((), ("reconnect",)), (("lapse",), ("closure",)))
TIE_EVENTS = tuple(kind for phase in TIE_PHASES for kinds in phase for kind in kinds)


def ties_at(initial_ties: pd.DataFrame, events: pd.DataFrame, tick: int) -> set[tuple[int, int]]:
    """The network at the end of month ``tick`` (network-aware variant).

    The starting ties with the tie events of months 1..tick applied in order: within a month,
    phase by phase as :data:`TIE_PHASES` lists them, removals before additions. Event kinds a
    run did not record (an older results folder) simply do not occur.
    """
    ties = {(int(u), int(v)) for u, v in zip(initial_ties["u"], initial_ties["v"], strict=True)}
    ev = variant(events)
    ev = ev[(ev["tick"] <= tick) & ev["event"].isin(TIE_EVENTS)]
    for _, group in ev.groupby("tick", sort=True):
        rows = [(kind, (min(int(a), int(b)), max(int(a), int(b))))
                for kind, a, b in zip(group["event"], group["citizen"], group["other"],
                                      strict=True)]
        for removed, added in TIE_PHASES:
            ties.difference_update(pair for kind, pair in rows if kind in removed)
            ties.update(pair for kind, pair in rows if kind in added)
    return ties


@dataclass
class EgoNetwork:
    """The friends of one citizen around their listing, month by month."""

    ego: int
    listing_tick: int
    friends: list[int]            # friends the month before the listing (plus later ones)
    table: pd.DataFrame           # month, months_since_listing, citizen, role, tie, grade
    grades_from: str              # "tracked" (month by month) or "final" (end of the run)


def ego_network(tables: dict[str, pd.DataFrame], ego: int, listing_tick: int, *,
                months: tuple[int, ...] = EGO_MONTHS) -> EgoNetwork:
    """Ties between a listed citizen and their friends at the given months since listing.

    Friends are the citizen's friends the month before the listing, plus anyone befriended
    later. A tie's status is ``kept`` or ``cut``; friends' grades come from the tracked
    table when it covers them, else from their final grade.
    """
    if "events" not in tables or "initial_ties" not in tables:
        raise ChartDataError("events.csv and initial_ties.csv are needed for the ego network")
    snapshots = {m: ties_at(tables["initial_ties"], tables["events"], listing_tick + m)
                 for m in (-1, *months)}
    friends_of = {m: {v if u == ego else u for u, v in ties if ego in (u, v)}
                  for m, ties in snapshots.items()}
    first = sorted(friends_of[-1])
    later = sorted(set().union(*friends_of.values()) - set(first))
    friends = first + later
    tracked = variant(tables.get("tracked", pd.DataFrame(columns=["citizen"])))
    covered = set(tracked["citizen"].astype(int)) if len(tracked) else set()
    grades_from = "tracked" if {ego, *friends} <= covered else "final"
    if grades_from == "tracked":
        grade_of = tracked.set_index(["citizen", "tick"])["grade"]
    else:
        final = variant(tables["citizens"]).set_index("citizen")["final_grade"]
    rows = []
    for m in months:
        tick = listing_tick + m
        for c in [ego, *friends]:
            grade = grade_of.get((c, tick), "") if grades_from == "tracked" else final.get(c, "")
            if c == ego:
                tie = "ego"
            elif c in friends_of[m]:
                tie = "kept"
            elif c in friends_of[-1] or any(c in friends_of[k] for k in months if k < m):
                tie = "cut"
            else:
                tie = "not yet"
            rows.append({"month": tick, "months_since_listing": m, "citizen": c,
                         "role": "blacklisted" if c == ego else "friend", "tie": tie,
                         "grade": grade})
    return EgoNetwork(ego, listing_tick, friends, pd.DataFrame(rows), grades_from)


# --- the scar ----------------------------------------------------------------------------------
@dataclass
class ScarCase:
    """A wrongfully listed citizen and a never-listed twin, month by month."""

    citizen: int
    twin: int
    listing_tick: int
    delisting_tick: int
    table: pd.DataFrame  # month, role, citizen, score, contacts, listed
    typical: dict | None = None  # how the case was chosen and how typical it is


def pick_scar_case(tables: dict[str, pd.DataFrame], *, extreme: bool = False) -> ScarCase:
    """A wrongfully listed citizen whose error was corrected, and a matched never-listed twin.

    The citizen: among corrected wrongful episodes (network-aware variant) with at least 12
    months of data after the correction, the one whose time on the list is closest to the
    median of them all (``extreme``: the one listed longest; ties: lower index). The
    twin: a never-listed citizen, not a friend of a listed one, closest in starting score and
    contacts (distance in standard deviations). Both must be in the tracked table.
    """
    listed = variant(tables["episodes"])
    tracked = variant(tables.get("tracked", pd.DataFrame(columns=["citizen", "tick"])))
    if tracked.empty:
        raise ChartDataError("the scar needs tracked citizens (run_scenario(track=...))")
    last = int(listed["tick"].max())
    eps = listed[listed["wrongful"].astype(bool)].groupby(["citizen", "listing_tick"])[
        "delisting_tick"].first().reset_index()
    eps = eps[(eps["delisting_tick"] >= 0) & (eps["delisting_tick"] + 12 <= last)
              & eps["citizen"].isin(tracked["citizen"])]
    if eps.empty:
        raise ChartDataError("no corrected wrongful listing with 12 months after it")
    eps["months_listed"] = eps["delisting_tick"] - eps["listing_tick"]
    median = float(eps["months_listed"].median())
    eps["distance"] = (eps["months_listed"] - median).abs()
    eps = eps.sort_values(["months_listed", "citizen"], ascending=[False, True]) if extreme \
        else eps.sort_values(["distance", "citizen"])
    case = eps.iloc[0]
    typical = {"median_months_listed": median, "cases": len(eps), "extreme": extreme,
               "longest_months_listed": int(eps["months_listed"].max())}
    citizens = variant(tables["citizens"])
    pool = citizens[~citizens["ever_listed"].astype(bool)
                    & ~citizens["friend_of_listed"].astype(bool)
                    & citizens["citizen"].isin(tracked["citizen"])]
    me = citizens.set_index("citizen").loc[int(case["citizen"])]
    sd_score = max(float(citizens["initial_score"].std()), 1.0)
    sd_contacts = max(float(citizens["initial_contacts"].std()), 1.0)
    distance = (((pool["initial_score"] - me["initial_score"]) / sd_score) ** 2
                + ((pool["initial_contacts"] - me["initial_contacts"]) / sd_contacts) ** 2)
    if pool.empty:
        raise ChartDataError("no never-listed twin in the tracked citizens")
    twin = int(pool.assign(d=distance).sort_values(["d", "citizen"]).iloc[0]["citizen"])
    rows = []
    for role, c in (("wrongfully listed", int(case["citizen"])), ("never-listed twin", twin)):
        t = tracked[tracked["citizen"] == c].sort_values("tick")
        rows.append(pd.DataFrame({"month": t["tick"].astype(int).to_numpy(), "role": role,
                                  "citizen": c, "score": t["score"].to_numpy(),
                                  "contacts": t["contacts"].to_numpy(),
                                  "listed": t["listed"].astype(bool).to_numpy()}))
    return ScarCase(int(case["citizen"]), twin, int(case["listing_tick"]),
                    int(case["delisting_tick"]), pd.concat(rows, ignore_index=True), typical)


# --- the tipping point -------------------------------------------------------------------------
TIPPING_AXES = ("fear_mean", "network_weight")
TIPPING_MEASURES = ("never_listed_grade_D_share__spiral", "final_share_D__spiral",
                    "ties_lost_share__spiral", "score_loss_12m__spiral")


def tipping_grid(folder: Path, *, measure: str | None = None,
                 axes: tuple[str, str] = TIPPING_AXES) -> tuple[pd.DataFrame, str]:
    """Mean of a measure over a sweep's design points, by the two axis parameters.

    Reads ``summary.csv`` (long: one row per point and measure, with ``measure`` and ``mean``
    columns; or wide: ``<measure>_mean`` columns) and falls back to ``runs.csv`` (one row per
    run). Points that differ in other parameters are averaged.

    Returns:
        (table with columns x, y, measure, runs, mean), the measure's name.

    Raises:
        ChartDataError: No usable table, axis column or measure.
    """
    x, y = axes
    frame, source = None, None
    for name in ("summary.csv", "runs.csv", "summary.parquet", "runs.parquet"):
        path = folder / name
        if path.is_file():
            frame = pd.read_csv(path) if name.endswith(".csv") else pd.read_parquet(path)
            source = name
            if {x, y} <= set(frame.columns):
                break
    if frame is None:
        raise ChartDataError(f"{folder}: no summary.csv or runs.csv of a sweep")
    if not {x, y} <= set(frame.columns):
        raise ChartDataError(f"{folder}/{source}: the sweep does not vary {x} and {y} "
                             f"(columns: {', '.join(map(str, frame.columns[:12]))})")
    if "measure" in frame.columns and "mean" in frame.columns:
        available = list(dict.fromkeys(frame["measure"].astype(str)))
        chosen = _choose_measure(measure, available, folder)
        sel = frame[frame["measure"] == chosen]
        runs = sel["n"] if "n" in sel.columns else pd.Series(1, index=sel.index)
        long = pd.DataFrame({x: sel[x], y: sel[y], "value": sel["mean"], "runs": runs})
    else:
        wide = {c[:-5]: c for c in frame.columns if c.endswith("_mean")}
        if wide and source.startswith("summary"):
            chosen = _choose_measure(measure, list(wide), folder)
            long = pd.DataFrame({x: frame[x], y: frame[y], "value": frame[wide[chosen]],
                                 "runs": frame.get("n", 1)})
        else:
            numeric = [c for c in frame.columns if c not in (x, y, "point", "replicate", "seed")
                       and c not in PARAMS and pd.api.types.is_numeric_dtype(frame[c])]
            chosen = _choose_measure(measure, numeric, folder)
            long = pd.DataFrame({x: frame[x], y: frame[y], "value": frame[chosen], "runs": 1})
    long = long.dropna(subset=["value"])
    long["weighted"] = long["value"] * long["runs"]
    grid = long.groupby([x, y], as_index=False).agg(runs=("runs", "sum"),
                                                    weighted=("weighted", "sum"))
    grid["mean"] = grid["weighted"] / grid["runs"]
    grid.insert(2, "measure", chosen)
    return grid.drop(columns="weighted"), chosen


def _choose_measure(wanted: str | None, available: list[str], folder: Path) -> str:
    if wanted:
        if wanted not in available:
            raise ChartDataError(f"{folder}: measure {wanted!r} not in the sweep; available: "
                                 f"{', '.join(available[:20])}")
        return wanted
    for name in TIPPING_MEASURES:
        if name in available:
            return name
    if not available:
        raise ChartDataError(f"{folder}: the sweep has no measure columns")
    return available[0]
