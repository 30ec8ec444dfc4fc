"""Every measure declared once: name, definition, unit, sign, what it is compared against.

Like the parameter table, this registry is the one source of truth about the measures. It
drives the keys of ``summary.json``, the rows of ``summary.csv``, a sweep's ``runs.csv``
columns and the codebook ``docs/measures.md`` (``python -m spiral.experiments.tools.codebook`` regenerates
it; ``--check`` fails if it drifted). A test checks that every key a run writes is
declared here.

A key of a run's summary is ``MEASURE__LABEL``. The label says which variant or comparison
the number belongs to:

* a variant's name (``spiral``, ``penalty``, ...): the measure in that variant;
* ``A-B``: the measure in variant A minus in variant B, computed within each replicate
  (e.g. ``spiral-penalty``: the extra loss all channels together add to the penalty);
* ``shapley-S`` / ``shapley-N`` / ``shapley-F``: a channel's Shapley share of
  ``spiral-penalty``; ``interaction-SN``, ``interaction-NF``, ``interaction-SNF``: the
  interaction terms (Harsanyi dividends; main effects are ``main-S`` etc.). Main effects plus
  interactions add up to ``spiral-penalty``, and so do the three Shapley values;
* ``ladder-stigma`` / ``ladder-chain`` / ``ladder-spiral``: the steps of the fixed ladder
  penalty -> stigma -> chain -> spiral (a split that depends on its order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HORIZONS = (6, 12, 24)  # months after listing at which the losses are read
ALL_EPISODES = "every listing episode observed that long (background, cohort and scripted)"


@dataclass(frozen=True)
class Measure:
    """Declaration of one measure.

    Attributes:
        name: Key in summaries (before the ``__LABEL``).
        definition: What is computed, in one or two sentences.
        unit: Unit of the value.
        sign: What a positive value means.
        against: What it is compared against.
        episodes: Which listing episodes (or citizens) count.
        kind: ``variant`` (reported per variant), ``contrast`` (also as differences
            between variants), ``decomposition`` (also split by channel) or ``paired`` (only
            as a comparison of the main variant with the baseline).
        months: The horizon in months after listing, if any.
    """

    name: str
    definition: str
    unit: str
    sign: str
    against: str
    episodes: str
    kind: str = "variant"
    months: int | None = None


def _horizon_measures() -> list[Measure]:
    out = []
    for h in HORIZONS:
        out += [
            Measure(f"score_loss_{h}m", f"Mean over listing episodes of the listed citizen's "
                    f"score in the unlisted twin minus their score in the variant, {h} months "
                    "after the listing.", "score points", "positive = the listing cost points",
                    "the same citizen in the unlisted twin (same town, no listings)",
                    ALL_EPISODES, "decomposition", h),
            Measure(f"contact_loss_{h}m", f"Mean over listing episodes of 1 - contacts in the "
                    f"variant / contacts in the unlisted twin, {h} months after the listing "
                    "(episodes whose twin has no contacts left out).", "share of contacts",
                    "positive = fewer contacts than without the listing",
                    "the same citizen in the unlisted twin", ALL_EPISODES, "decomposition", h),
            Measure(f"score_drop_{h}m", f"Mean over listing episodes of the score the month "
                    f"before the listing minus the score {h} months after (drift included).",
                    "score points", "positive = lower than before the listing",
                    "the citizen's own score the month before the listing", ALL_EPISODES,
                    "variant", h),
            Measure(f"contact_drop_{h}m", f"Mean over listing episodes of 1 - contacts {h} "
                    "months after the listing / contacts the month before (episodes without "
                    "contacts before left out).", "share of contacts",
                    "positive = fewer contacts than before the listing",
                    "the citizen's own contacts the month before the listing", ALL_EPISODES,
                    "variant", h),
            Measure(f"episodes_observed_{h}m", f"Number of listing episodes observed {h} months "
                    "after their listing (the run lasted long enough).", "episodes", "count",
                    "none", ALL_EPISODES, "variant", h),
        ]
    for which in ("scripted", "background"):
        out.append(Measure(
            f"score_loss_12m_{which}", f"score_loss_12m over the {which} listings only "
            "(scripted: the experiment's cohort and scripted listings; background: the "
            "court's own listings at the base and error rates).", "score points",
            "positive = the listing cost points", "the same citizen in the unlisted twin",
            f"{which} listing episodes observed 12 months", "variant", 12))
    return out


_SPILL = "never-listed citizens"
MEASURES: tuple[Measure, ...] = (
    Measure("listing_episodes", "Number of listing episodes in the run (a citizen listed "
            "twice counts twice).", "episodes", "count", "none", ALL_EPISODES),
    *_horizon_measures(),
    Measure("isolated_share", "Share of listing episodes in which the listed citizen reaches "
            "zero contacts while followed.", "share of episodes", "positive = isolated",
            "none", "episodes with contacts the month before the listing"),
    Measure("months_to_isolation", "Median months from listing to zero contacts, among the "
            "episodes that got there.", "months", "smaller = faster", "none",
            "episodes that reached zero contacts"),
    Measure("friends_score_change", "Mean score change (end minus start) of never-listed "
            "friends of listed citizens.", "score points", "negative = lost points",
            "others_score_change", _SPILL + " who were friends of a listed citizen"),
    Measure("others_score_change", "Mean score change of the other never-listed citizens.",
            "score points", "negative = lost points", "none", _SPILL + " with no listed friend"),
    Measure("friends_contact_change", "Mean change in contacts of never-listed friends of the "
            "listed.", "contacts", "negative = lost contacts", "others_contact_change", _SPILL),
    Measure("others_contact_change", "Mean change in contacts of the other never-listed.",
            "contacts", "negative = lost contacts", "none", _SPILL),
    Measure("never_listed_grade_D_share", "Share of never-listed citizens in grade D at the "
            "end.", "share of citizens", "positive = in grade D", "none", _SPILL),
    Measure("friends_grade_D_share", "Share of never-listed friends of the listed in grade D "
            "at the end.", "share of citizens", "positive = in grade D", "none", _SPILL),
    Measure("never_listed_contact_loss_share", "Mean share of starting contacts lost by the "
            "end among never-listed citizens who had any.", "share of contacts",
            "positive = lost contacts", "their own starting contacts", _SPILL),
    *(Measure(f"score_change_hops_{b}", f"Mean score change of never-listed citizens {b} hops "
              "from the nearest listed citizen (3plus: 3 or more).", "score points",
              "negative = lost points", "none", _SPILL) for b in ("1", "2", "3plus")),
    *(Measure(f"{p}{name}", f"{text}{' (wrongful listings only)' if p else ''}.", unit,
              sign, "the citizen's own level the month before the listing",
              "delisted episodes" + (" that were wrongful" if p else ""))
      for p in ("", "wrongful_") for name, text, unit, sign in (
          ("delisted_episodes", "Number of listing episodes that ended during the run",
           "episodes", "count"),
          ("scar_score_6m", "Mean score before the listing minus the score 6 months after "
           "delisting", "score points", "positive = still below"),
          ("scar_score_12m", "Mean score before the listing minus the score 12 months after "
           "delisting", "score points", "positive = still below"),
          ("scar_contacts_6m", "Mean contacts before the listing minus contacts 6 months after "
           "delisting", "contacts", "positive = still fewer"),
          ("scar_contacts_12m", "Mean contacts before the listing minus contacts 12 months "
           "after delisting", "contacts", "positive = still fewer"),
          ("months_to_recover", "Median months after delisting until the score is back within "
           "5 points of its level before the listing (among those that got there)", "months",
           "smaller = faster"),
          ("months_to_recover_contacts", "Median months after delisting until the contacts "
           "are back to their number before the listing (among those that got there)",
           "months", "smaller = faster"),
          ("recovered_share", "Share of delisted episodes whose score got back within 5 "
           "points of its level before the listing", "share of episodes",
           "positive = recovered"))),
    *(Measure(f"final_{k}", f"{text} in the last month.", unit, "level", "none", "everyone")
      for k, text, unit in (
          ("components", "Number of connected components (isolates count)", "components"),
          ("largest_component_share", "Share of citizens in the largest component", "share"),
          ("isolates", "Citizens without contacts", "citizens"),
          ("score_assortativity", "Correlation of scores across ties", "correlation"),
          ("ties", "Number of ties", "ties"),
          ("mean_score", "Mean score", "score points"),
          ("share_A", "Share of citizens in grade A", "share"),
          ("share_B", "Share of citizens in grade B", "share"),
          ("share_C", "Share of citizens in grade C", "share"),
          ("share_D", "Share of citizens in grade D", "share"))),
    Measure("ties_lost_share", "1 - ties in the last month / ties at the start.", "share of ties",
            "positive = fewer ties", "the starting network", "everyone"),
    *(Measure(name, text, unit, "positive = harm from the variant compared", "the same "
              "citizens in the baseline variant", _SPILL, "paired")
      for name, text, unit in (
          ("friends_score_gap", "Mean final score in the baseline minus in the main variant, "
           "never-listed friends of the listed.", "score points"),
          ("friends_contacts_gap", "Mean final contacts in the baseline minus in the main "
           "variant, never-listed friends of the listed.", "contacts"),
          ("never_listed_score_gap", "Mean final score in the baseline minus in the main "
           "variant, all never-listed citizens.", "score points"),
          ("pushed_to_grade_D_share", "Share of never-listed citizens in grade D in the main "
           "variant but not in the baseline.", "share of citizens"),
          ("score_gap_hops_1", "never_listed_score_gap at 1 hop from the nearest listed.",
           "score points"),
          ("score_gap_hops_2", "never_listed_score_gap at 2 hops.", "score points"),
          ("score_gap_hops_3plus", "never_listed_score_gap at 3 or more hops.",
           "score points"),
          ("reach_hops", "Largest hop distance (1-6) at which the mean never_listed_score_gap "
           "is at least 1 point (0 if none).", "hops"))),
)

BY_NAME = {m.name: m for m in MEASURES}
PAIRED = ("friends_score_gap", "friends_contacts_gap", "never_listed_score_gap",
          "pushed_to_grade_D_share", "score_gap_hops_1", "score_gap_hops_2",
          "score_gap_hops_3plus", "reach_hops")
LABEL = re.compile(r"^(?P<measure>.+?)__(?P<label>[A-Za-z0-9_+-]+)$")


def split_key(key: str) -> tuple[str, str]:
    """``"score_loss_12m__spiral"`` -> ``("score_loss_12m", "spiral")``."""
    match = LABEL.match(key)
    if not match or match["measure"] not in BY_NAME:
        raise KeyError(f"{key!r} is not MEASURE__LABEL with a declared measure")
    return match["measure"], match["label"]


def codebook() -> str:
    """The Markdown codebook of every measure (the body of docs/measures.md)."""
    lines = ["| measure | definition | unit | sign | compared against | which episodes / "
             "citizens | months |", "|---|---|---|---|---|---|---|"]
    for m in MEASURES:
        lines.append(f"| `{m.name}` | {m.definition} | {m.unit} | {m.sign} | {m.against} | "
                     f"{m.episodes} | {m.months if m.months is not None else ''} |")
    return "\n".join(lines)


BEGIN, END = "<!-- BEGIN GENERATED: measures -->", "<!-- END GENERATED: measures -->"


def render(text: str) -> str:
    """``text`` with the generated block replaced by the current codebook."""
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{codebook()}\n{END}{tail}"
