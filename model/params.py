"""The parameter table: one declaration per parameter.

Every model parameter is declared exactly once here, with its default, unit, valid range or
choices, one line of documentation and its provenance (a cited source, or ``assumption``).
The table drives validation (:func:`validate_value`, :class:`Params`), the command line's
``spiral params`` and ``--set``, the dashboard's sliders, sweep bounds and the ODD document.

Example:
    >>> from spiral.model.params import Params
    >>> p = Params(network_weight=0.5)
    >>> p.network_weight, p.listing_penalty
    (0.5, 150.0)
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from spiral.model.errors import InputError

GRADES = ("A", "B", "C", "D")

# Sources quoted in doc lines (listed in docs/ODD.md). Everything else is marked "assumption".
SUINING = "Suining county pilot, 2010 (seed article)"
ZHIMA = "Zhima Credit score bands and monthly updates (press reports)"
COURT_2017 = "Supreme People's Court blacklist rules, 2017"
COURT_STOCK = "~13 million listed by end 2018, ~1% of the population"
FTC_2012 = "FTC 2012 credit-report study: 5.2% serious errors"
WATTS_2002 = "Watts (2002) PNAS 99:5766"
GROSS_2006 = "Gross, Dommar D'Lima & Blasius (2006) PRL 96:208701"
ASSUMPTION = "assumption"


class ParameterError(InputError):
    """A parameter value or name is invalid; the message says which and how to fix it."""


@dataclass(frozen=True)
class Param:
    """Declaration of one model parameter.

    Attributes:
        name: Identifier used in code, TOML files, ``--set`` and sweeps.
        default: Default value (its Python type fixes the parameter's kind).
        unit: Unit of the value, e.g. ``"per month"``, ``"score points"``.
        doc: One line of documentation.
        source: Where the default comes from, or ``"assumption"``.
        group: Section of the model the parameter belongs to (for help and docs).
        low: Smallest valid value (numbers only).
        high: Largest valid value (numbers only).
        choices: Valid values (choice parameters only).
    """

    name: str
    default: Any
    unit: str
    doc: str
    source: str
    group: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None

    @property
    def kind(self) -> str:
        """One of ``bool``, ``int``, ``float``, ``choice``, ``str``."""
        if self.choices is not None:
            return "choice"
        if isinstance(self.default, bool):
            return "bool"
        if isinstance(self.default, int):
            return "int"
        if isinstance(self.default, float):
            return "float"
        return "str"

    @property
    def allowed(self) -> str:
        """Human-readable description of the valid values."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "bool":
            return "true or false"
        if self.kind == "str":
            return "a text value"
        return f"{_fmt(self.low)} to {_fmt(self.high)}"


def _fmt(x: float | None) -> str:
    if x is None:
        return "?"
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


_PARAMS: tuple[Param, ...] = (
    # --- population and network -------------------------------------------------------
    Param("n_citizens", 2000, "citizens", "Number of citizens (nodes of the friendship network).",
          ASSUMPTION, "network", 2, 5_000_000),
    Param("network", "watts_strogatz", "", "Friendship network generator; 'file' reads network_file, "
          "'karate' is networkx's bundled Zachary karate club.", ASSUMPTION, "network",
          choices=("erdos_renyi", "watts_strogatz", "barabasi_albert", "block", "karate", "file")),
    Param("mean_degree", 10.0, "ties per citizen", "Mean number of friends at the start.",
          ASSUMPTION, "network", 0.0, 1000.0),
    Param("ws_rewire", 0.1, "probability", "Watts-Strogatz rewiring probability (small-world shortcuts).",
          ASSUMPTION, "network", 0.0, 1.0),
    Param("n_communities", 10, "communities", "Number of communities in the stochastic block model.",
          ASSUMPTION, "network", 1, 100_000),
    Param("community_mixing", 0.05, "share", "Expected share of a citizen's ties that leave its "
          "community (block model).", ASSUMPTION, "network", 0.0, 1.0),
    Param("network_file", "", "path", "Edge list (CSV/TSV/whitespace, optional header) or GraphML "
          "file used when network = 'file'.", ASSUMPTION, "network"),
    # --- behaviour (Suining ledger) ------------------------------------------------------
    Param("initial_points", 1000, "behaviour points", "Points every citizen starts with.",
          SUINING, "behaviour", 0, 1_000_000),
    Param("elder_care_rate", 0.01, "per month", "Chance per month of being credited for caring "
          "for elderly family.", ASSUMPTION, "behaviour", 0.0, 1.0),
    Param("elder_care_points", 50, "behaviour points", "Points for caring for elderly family.",
          SUINING, "behaviour", 0, 1000),
    Param("help_poor_rate", 0.02, "per month", "Chance per month of being credited for helping "
          "the poor.", ASSUMPTION, "behaviour", 0.0, 1.0),
    Param("help_poor_points", 10, "behaviour points", "Points for helping the poor.",
          SUINING, "behaviour", 0, 1000),
    Param("media_report_share", 0.2, "share", "Share of help-the-poor deeds that the media report.",
          ASSUMPTION, "behaviour", 0.0, 1.0),
    Param("media_report_points", 15, "behaviour points", "Points for helping the poor when the "
          "media reported it.", SUINING, "behaviour", 0, 1000),
    Param("drunk_driving_rate", 0.002, "per month", "Chance per month of a drunk-driving "
          "conviction.", ASSUMPTION, "behaviour", 0.0, 1.0),
    Param("drunk_driving_points", -50, "behaviour points", "Points for a drunk-driving conviction.",
          SUINING, "behaviour", -1000, 0),
    Param("bribery_rate", 0.001, "per month", "Chance per month of being caught bribing an "
          "official.", ASSUMPTION, "behaviour", 0.0, 1.0),
    Param("bribery_points", -50, "behaviour points", "Points for bribing an official.",
          SUINING, "behaviour", -1000, 0),
    Param("denied_services", True, "", "Grade-D and listed citizens have fewer chances to earn "
          "points (denied services and permits).", SUINING, "behaviour"),
    Param("denied_services_factor", 0.5, "factor", "Multiplier on good-deed chances for grade-D "
          "and listed citizens when denied_services is on.", ASSUMPTION, "behaviour", 0.0, 1.0),
    # --- score and grades ----------------------------------------------------------------
    Param("history_mean", 650.0, "score points", "Mean of the citizens' own credit-history score "
          "at the start (top of Zhima's 'good' band).", ASSUMPTION, "score", 350.0, 950.0),
    Param("history_sd", 40.0, "score points", "Spread of the own credit-history score at the start.",
          ASSUMPTION, "score", 0.0, 300.0),
    Param("score_per_point", 1.0, "score points per behaviour point", "How much one behaviour point "
          "moves the own part of the score.", ASSUMPTION, "score", 0.0, 10.0),
    Param("network_weight", 0.3, "weight", "Weight of the network term in the score; 0 is the "
          "counterfactual 'algorithm ignores friends' (unofficial Zhima weight: 0.05).",
          ASSUMPTION, "score", 0.0, 1.0),
    Param("contacts_share", 0.5, "share", "How much lost contacts shrink the network term: at 1 "
          "losing every contact removes all of it above the minimum, at 0 only friends' mean "
          "score counts.",
          ASSUMPTION, "score", 0.0, 1.0),
    Param("listing_penalty", 150.0, "score points", "Score deducted while a citizen is on the "
          "court blacklist.", ASSUMPTION, "score", 0.0, 600.0),
    Param("lingering_penalty", 50.0, "score points", "Penalty right after delisting, fading "
          "linearly to 0 over lingering_months (0 = none).", ASSUMPTION, "score", 0.0, 600.0),
    Param("lingering_months", 12, "months", "Months for the lingering penalty to fade out.",
          ASSUMPTION, "score", 1, 1200),
    Param("grade_a", 700.0, "score points", "Lowest score of grade A (Zhima 'extremely good').",
          ZHIMA, "score", 350.0, 950.0),
    Param("grade_b", 650.0, "score points", "Lowest score of grade B (Zhima 'excellent').",
          ZHIMA, "score", 350.0, 950.0),
    Param("grade_c", 550.0, "score points", "Lowest score of grade C (Zhima 'medium'); below is "
          "grade D ('poor').", ZHIMA, "score", 350.0, 950.0),
    # --- court -------------------------------------------------------------------------
    Param("listing_rate", 0.0007, "per month", "Chance per month that a citizen is rightfully "
          f"listed (keeps ~1% listed; {COURT_STOCK}).", ASSUMPTION, "court", 0.0, 1.0),
    Param("wrongful_rate", 0.00004, "per month", "Chance per month that a citizen is listed by "
          f"error (5.7% of the default listing_rate, close to the {FTC_2012}).", ASSUMPTION,
          "court", 0.0, 1.0),
    Param("term_months", 24, "months", "Length of a rightful listing.", COURT_2017, "court", 1, 1200),
    Param("compliance_rate", 0.03, "per month", "Chance per month that a rightfully listed citizen "
          "complies and is deleted early.", ASSUMPTION, "court", 0.0, 1.0),
    Param("oversight_rate", 0.01, "per month", "Chance per month that a wrongful listing is "
          "noticed and corrected (the only way off for the wrongly listed).",
          ASSUMPTION, "court", 0.0, 1.0),
    Param("cohort_share", 0.0, "share", "Share of citizens listed together at cohort_tick "
          "(scripted cohort for spiral experiments).", ASSUMPTION, "court", 0.0, 1.0),
    Param("cohort_tick", 12, "month", "Month at which the scripted cohort is listed.",
          ASSUMPTION, "court", 1, 100_000),
    Param("cohort_wrongful", False, "", "Whether the scripted cohort is listed by error.",
          ASSUMPTION, "court"),
    # --- hearing and unfriending ---------------------------------------------------------
    Param("hearing_prob", 0.3, "per month", "Chance per month that a friend hears of a listing "
          "(1 = instantly public).", ASSUMPTION, "unfriending", 0.0, 1.0),
    Param("unfriend_rule", "channels", "", "How citizens decide to drop a friend: 'channels' "
          "(the loop: stigma and fear for one's own score, each with its strength), or the "
          "older single rules: known-listed or tainted friends ('listed'), friends below a grade "
          "('grade'), friends whose loss raises one's own score ('strategic'), known-listed "
          "friends once their share reaches a threshold ('threshold').", ASSUMPTION,
          "unfriending", choices=("none", "channels", "listed", "grade", "strategic",
                                  "threshold")),
    Param("stigma_strength", 0.3, "per month", "Channel S (stigma): chance per month that a "
          "friend who has heard of a contact's listing drops them, for a friend of stigma "
          "propensity 1.", ASSUMPTION, "unfriending", 0.0, 1.0),
    Param("stigma_mean", 0.5, "0-1", "Mean stigma propensity: how strongly citizens shun a "
          "contact they know to be listed, whatever the score formula (Beta distributed).",
          ASSUMPTION, "unfriending", 0.0, 1.0),
    Param("stigma_concentration", 4.0, "", "Concentration of the Beta distribution of stigma "
          "propensity (large = everyone alike).", ASSUMPTION, "unfriending", 0.1, 1e6),
    Param("fear_strength", 0.5, "per month", "Channel F (fear for one's own score): chance per "
          "month of dropping a contact whose perceived cost reaches cost_scale, for a friend of "
          "fear 1; zero when the score ignores friends (network_weight 0).", ASSUMPTION,
          "unfriending", 0.0, 1.0),
    Param("cost_perception", "contamination", "", "How a citizen perceives what keeping a "
          "contact costs: 'contamination' (network_weight x the contact's score deficit below "
          "one's own / one's contacts) or 'formula' (the exact change of one's own score under "
          "the scoring formula).", ASSUMPTION, "unfriending",
          choices=("contamination", "formula")),
    Param("cost_scale", 5.0, "score points", "Perceived cost at which channel F reaches its full "
          "strength.", ASSUMPTION, "unfriending", 0.01, 600.0),
    Param("fear_gate", "heard", "", "Which contacts channel F weighs: 'heard' (only those one "
          "has heard are listed, the seed's story) or 'any' (anyone who costs points: guilt by "
          "association).", ASSUMPTION, "unfriending", choices=("heard", "any")),
    Param("unfriend_rate", 0.5, "per month", "Chance per month of dropping a risky friend for a "
          "citizen of fear 1 (scaled by fear).", ASSUMPTION, "unfriending", 0.0, 1.0),
    Param("fear_mean", 0.5, "0-1", "Mean fear: how strongly citizens react to risky contacts.",
          ASSUMPTION, "unfriending", 0.0, 1.0),
    Param("fear_concentration", 4.0, "", "Concentration of the Beta distribution of fear "
          "(large = everyone equally fearful).", ASSUMPTION, "unfriending", 0.1, 1e6),
    Param("risky_grade", "D", "", "Rule 'grade': friends at this grade or worse are risky.",
          ASSUMPTION, "unfriending", choices=GRADES),
    Param("unfriend_threshold", 0.2, "share", "Rule 'threshold': share of risky friends at which "
          "a citizen starts dropping them (Watts-style).", ASSUMPTION, "unfriending", 0.0, 1.0),
    Param("rewire", "none", "", "What replaces a dropped tie: nothing, a random unmarked "
          "citizen, a friend of a friend, or the closest score among random unmarked "
          "candidates (homophily).",
          ASSUMPTION, "unfriending",
          choices=("none", "random", "friend_of_friend", "homophily")),
    Param("rewire_attempts", 5, "candidates", "Candidates a citizen considers when replacing a "
          "dropped tie.", ASSUMPTION, "unfriending", 1, 100),
    Param("reconnect_rate", 0.05, "per month", "Chance per month that a tie a citizen dropped "
          "(stigma or fear) is restored once the contact is off the list (0 = dropped ties never "
          "come back).", ASSUMPTION, "unfriending", 0.0, 1.0),
    Param("turnover_rate", 0.01, "per tie per month", "Ordinary tie turnover: chance per month "
          "that a tie decays and one end befriends a friend of a friend instead (triadic "
          "closure balancing decay, so the mean degree stays put).", ASSUMPTION, "unfriending",
          0.0, 1.0),
    # --- stigma contagion (validation configurations) --------------------------------------
    Param("stigma_rule", "none", "", "Stigma beyond the listed: 'threshold' (Watts: stigmatised "
          "once a share stigma_threshold of friends are), 'contagion' (Gross: spread p, fade r).",
          ASSUMPTION, "stigma", choices=("none", "threshold", "contagion")),
    Param("stigma_threshold", 0.18, "share", f"Share of marked friends that stigmatises ({WATTS_2002}).",
          WATTS_2002, "stigma", 0.0, 1.0),
    Param("stigma_spread", 0.0, "per tie per month", "Chance per month that stigma passes over a "
          f"tie (p of {GROSS_2006}).", ASSUMPTION, "stigma", 0.0, 1.0),
    Param("stigma_fade", 0.0, "per month", "Chance per month that a stigmatised, unlisted citizen "
          f"loses the stigma (r of {GROSS_2006}).", ASSUMPTION, "stigma", 0.0, 1.0),
    Param("initial_stigma_share", 0.0, "share", "Share of citizens stigmatised at the start.",
          ASSUMPTION, "stigma", 0.0, 1.0),
    # --- run ---------------------------------------------------------------------------
    Param("ticks", 60, "months", "Number of monthly ticks to simulate (Zhima updates monthly).",
          ZHIMA, "run", 0, 1_000_000),
)

PARAMS: dict[str, Param] = {p.name: p for p in _PARAMS}
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(p.group for p in _PARAMS))


def unknown_parameter_message(name: str) -> str:
    """Message for an unknown parameter name, suggesting the close ones."""
    close = difflib.get_close_matches(name, PARAMS, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else (
        "; run 'spiral params' for the list")
    return f"unknown parameter {name!r}{hint}"


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def validate_value(name: str, value: Any) -> Any:
    """Check one value against the table and return it converted to the parameter's kind.

    Strings (from the command line) are parsed; numbers are range-checked.

    Args:
        name: Parameter name.
        value: Proposed value.

    Returns:
        The value as ``bool``/``int``/``float``/``str``.

    Raises:
        ParameterError: Unknown name, wrong type, value out of range or not a valid choice.
    """
    if name not in PARAMS:
        raise ParameterError(unknown_parameter_message(name))
    p = PARAMS[name]
    kind = p.kind
    if isinstance(value, np.generic):  # numpy scalars (np.int64, np.float32, np.bool_)
        value = value.item()
    bad = f"{name} = {value!r} is not valid: expected {p.allowed} ({p.doc})"
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ParameterError(bad)
    if kind in ("choice", "str"):
        if not isinstance(value, str):
            raise ParameterError(bad)
        if kind == "choice" and value not in p.choices:
            close = difflib.get_close_matches(value, p.choices, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ParameterError(f"{name} = {value!r} is not valid: expected {p.allowed}{hint}")
        return value
    # numbers: checked as floats (finite, in range) before any conversion to int
    if isinstance(value, bool):
        raise ParameterError(bad)
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ParameterError(bad) from None
    if not isinstance(value, int | float):
        raise ParameterError(bad)
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        number = math.inf if value > 0 else -math.inf
    if not math.isfinite(number):
        shown = repr(value) if len(repr(value)) <= 30 else f"{repr(value)[:12]}...({len(str(value))} digits)"
        raise ParameterError(f"{name} = {shown} is not valid: expected a finite number in "
                             f"{p.allowed}")
    unit = f" {p.unit}" if p.unit else ""
    if (p.low is not None and number < p.low) or (p.high is not None and number > p.high):
        raise ParameterError(f"{name} = {_fmt(number)} is out of range: allowed {p.allowed}"
                             f"{unit} ({p.doc})")
    if kind == "int":
        if not number.is_integer():
            raise ParameterError(f"{name} = {value!r} is not valid: expected a whole number "
                                 f"from {p.allowed} ({p.unit})")
        return int(value) if isinstance(value, int) else int(number)
    return number


class Params(Mapping[str, Any]):
    """An immutable, validated set of parameter values (defaults for anything not given).

    Access values as attributes (``p.fear_mean``) or keys (``p["fear_mean"]``).

    Args:
        values: Mapping of parameter names to values (validated).
        **kwargs: More values (validated).

    Raises:
        ParameterError: Any invalid name or value, or inconsistent grade cut-offs.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        merged = {p.name: p.default for p in _PARAMS}
        given = dict(values or {}) | kwargs
        for name, value in given.items():
            merged[name] = validate_value(name, value)
        if not merged["grade_a"] >= merged["grade_b"] >= merged["grade_c"]:
            raise ParameterError(
                f"grade cut-offs must satisfy grade_a >= grade_b >= grade_c; got "
                f"{merged['grade_a']}, {merged['grade_b']}, {merged['grade_c']}")
        deeds = ("drunk_driving_rate", "bribery_rate", "elder_care_rate", "help_poor_rate")
        if sum(merged[k] for k in deeds) > 1.0:
            raise ParameterError(f"the monthly deed chances {', '.join(deeds)} add up to "
                                 f"{sum(merged[k] for k in deeds):g}; they must add up to at most 1")
        if merged["listing_rate"] + merged["wrongful_rate"] > 1.0:
            raise ParameterError("listing_rate + wrongful_rate must be at most 1, got "
                                 f"{merged['listing_rate'] + merged['wrongful_rate']:g}")
        if merged["network"] == "file" and not merged["network_file"]:
            raise ParameterError("network = 'file' needs network_file = PATH to an edge list "
                                 "or GraphML file")
        object.__setattr__(self, "_values", merged)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(unknown_parameter_message(name)) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Params are immutable; use params.replace(name=value)")

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._values.items() if v != PARAMS[k].default}
        return f"Params({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    def __reduce__(self):
        return (Params, (dict(self._values),))

    def replace(self, **changes: Any) -> Params:
        """Return a copy with some values changed (validated)."""
        return Params({**self._values, **changes})

    def to_dict(self) -> dict[str, Any]:
        """Plain ``dict`` of all values (for JSON/TOML)."""
        return dict(self._values)

    def grade_cutoffs(self) -> tuple[float, float, float]:
        """Lowest scores of grades A, B and C (below grade_c is D)."""
        return (self.grade_a, self.grade_b, self.grade_c)


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse a command-line ``NAME=VALUE`` into a validated pair.

    Raises:
        ParameterError: Missing ``=``, unknown name or invalid value.
    """
    if "=" not in text:
        raise ParameterError(f"--set expects NAME=VALUE, got {text!r}")
    name, _, raw = text.partition("=")
    name = name.strip()
    return name, validate_value(name, raw.strip())


def numeric_params() -> list[Param]:
    """Parameters with a numeric range (the ones a slider or a sweep can vary)."""
    return [p for p in _PARAMS if p.kind in ("int", "float")]
