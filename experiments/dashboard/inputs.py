"""The dashboard's inputs, generated from the parameter table: labels, units, ranges, steps.

Every input on the page comes from one :class:`~spiral.model.params.Param` of
:mod:`spiral.model.params`: its label is the plain-words name the table gives (the ``label``
field where the table has one, else the opening words of its documentation line, see
:func:`plain_label`), its unit and range are the table's, and its help text is the table's
documentation line. Nothing here imports Solara: :mod:`spiral.experiments.dashboard.app`
draws these specifications.

Example:
    >>> from spiral.experiments.dashboard.inputs import input_specs, show_value
    >>> from spiral.model.params import Params
    >>> spec = next(s for s in input_specs(Params()) if s.name == "fear_mean")
    >>> spec.label, spec.unit, show_value(spec, 0.5)
    ('Mean fear: how strongly citizens react to risky contacts', '0-1', '0.50 (0-1)')
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass

from spiral.model.params import GROUPS, PARAMS, Param, Params

# The inputs a student reaches for first (shown open); the rest sit under "More parameters",
# by group of the table. The channel strengths come first: the switches set them to 0.
KEY_PARAMS = ("stigma_strength", "network_weight", "fear_strength", "fear_mean",
              "hearing_prob", "listing_penalty", "reconnect_rate", "network", "mean_degree",
              "n_citizens", "rewire")
# Not offered: the run length (the page steps month by month up to its own limit) and files.
HIDDEN_PARAMS = ("ticks", "network_file")
HIDDEN_CHOICES = {"network": ("file",)}
# Display caps for ranges meant for large runs (the table's full range stays valid elsewhere).
DISPLAY_CAPS = {"n_citizens": 1000, "mean_degree": 30, "n_communities": 50,
                "initial_points": 5000, "term_months": 120, "lingering_months": 120,
                "cohort_tick": 120, "fear_concentration": 50, "stigma_concentration": 50}
GROUP_TITLES = {"network": "Population and network", "behaviour": "Good deeds and offences",
                "score": "Score and grades", "court": "The court",
                "unfriending": "Hearing and unfriending", "stigma": "Stigma contagion",
                "run": "Run"}


@dataclass(frozen=True)
class InputSpec:
    """One input of the page.

    Attributes:
        name: The parameter's name (as in code, ``--set`` and scenario files).
        kind: ``"int"``, ``"float"`` (sliders), ``"choice"`` (a drop-down), ``"bool"``.
        label: Plain words from the parameter table.
        unit: The table's unit ("" if none).
        value: Starting value.
        low: Slider minimum (numbers).
        high: Slider maximum (numbers).
        step: Slider step (numbers).
        choices: Drop-down values (choices).
        doc: The table's documentation line (the help text).
        group: The table's group.
    """

    name: str
    kind: str
    label: str
    unit: str
    value: object
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    doc: str = ""
    group: str = ""

    @property
    def key(self) -> bool:
        """Whether the input is one of the first shown."""
        return self.name in KEY_PARAMS


def _without_brackets(text: str) -> str:
    while True:
        shorter = re.sub(r"\s*\([^()]*\)", "", text)
        if shorter == text:
            return text.strip()
        text = shorter


def plain_label(param: Param) -> str:
    """The parameter's name in plain words, from the parameter table.

    The table's ``label`` field where it has one; otherwise the first clause of its
    documentation line without bracketed asides ("Chance per month that a friend hears of a
    listing"), and for a short name followed by a colon, the name and its explanation ("Mean
    fear: how strongly citizens react to risky contacts", "Channel S (stigma)").
    """
    label = getattr(param, "label", "")
    if label:
        return label
    first = re.split(r"\.(?:\s|$)", param.doc.strip(), maxsplit=1)[0]
    bare = _without_brackets(first)
    head = re.split(r"[;:]", bare, maxsplit=1)[0].strip()
    if len(head.split()) <= 2 and ":" in bare:
        named = first.split(":", 1)[0].strip()
        if "(" in named:
            return named
        rest = re.split(r"[;,]", bare.split(":", 1)[1], maxsplit=1)[0].strip()
        return f"{head}: {rest}"
    return head


def _nice_ceil(x: float) -> float:
    """Smallest of 1, 2, 5 x 10^k that is >= x."""
    exp = math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if m * 10**exp >= x - 1e-15:
            return float(m * 10**exp)
    return float(10 ** (exp + 1))


def _nice_floor(x: float) -> float:
    """Largest of 1, 2, 5 x 10^k that is <= x."""
    exp = math.floor(math.log10(x))
    for m in (5, 2, 1):
        if m * 10**exp <= x + 1e-15:
            return float(f"{m * 10**exp:.1g}")
    return float(f"{10**exp:.1g}")


def slider_range(param: Param, value: float) -> tuple[float, float, float]:
    """Minimum, maximum and step of a parameter's slider.

    The table's range, capped for display where it is meant for large runs
    (:data:`DISPLAY_CAPS`), narrowed for rates whose value is tiny against their range (a
    slider from 0 to 1 cannot set 0.0007), and widened to include ``value``.
    """
    low, high = float(param.low), float(param.high)
    high = min(high, DISPLAY_CAPS.get(param.name, high))
    if param.kind == "float" and value > 0 and 20 * value < high and low >= 0:
        high = min(high, _nice_ceil(20 * value))
    high = max(high, float(value))
    low = min(low, float(value))
    if param.kind == "int":
        return low, high, 1.0
    step = _nice_floor((high - low) / 200) if high > low else 1.0
    return low, high, step


def input_specs(base: Params) -> list[InputSpec]:
    """Every input of the page, the key ones first, then the table's order."""
    names = [*KEY_PARAMS, *(n for n in PARAMS if n not in KEY_PARAMS)]
    out = []
    for name in names:
        if name in HIDDEN_PARAMS:
            continue
        p, value = PARAMS[name], base[name]
        common = {"name": name, "kind": p.kind, "label": plain_label(p), "unit": p.unit,
                  "doc": p.doc, "group": p.group}
        if p.kind in ("int", "float"):
            low, high, step = slider_range(p, value)
            cast = int if p.kind == "int" else float
            out.append(InputSpec(value=cast(value), low=cast(low), high=cast(high),
                                 step=cast(step), **common))
        elif p.kind == "choice":
            choices = tuple(c for c in p.choices if c not in HIDDEN_CHOICES.get(name, ()))
            out.append(InputSpec(value=value, choices=choices, **common))
        elif p.kind == "bool":
            out.append(InputSpec(value=bool(value), **common))
    return out


def decimals(spec: InputSpec) -> int:
    """Decimals to show a slider's value with: enough for its step."""
    if spec.kind != "float" or not spec.step:
        return 0
    return max(0, min(6, -math.floor(math.log10(spec.step) + 1e-9)))


def show_value(spec: InputSpec, value) -> str:
    """A value as the page shows it, with its unit: ``0.50 (0-1)``, ``150 score points``."""
    if spec.kind == "bool":
        text = "yes" if value else "no"
    elif spec.kind == "float":
        places = decimals(spec)
        text = f"{float(value):.{places}f}"
        keep = min(places, 2)
        while "." in text and len(text.split(".")[1]) > keep and text.endswith("0"):
            text = text[:-1]
        text = text.rstrip(".")
    elif spec.kind == "int":
        text = f"{int(value):,}"
    else:
        text = str(value)
    if not spec.unit or spec.kind in ("bool", "choice"):
        return text
    return f"{text} ({spec.unit})" if spec.unit[0].isdigit() else f"{text} {spec.unit}"


def groups(specs: list[InputSpec]) -> list[tuple[str, list[InputSpec]]]:
    """The inputs not shown first, by group of the table, with the groups' titles."""
    return [(GROUP_TITLES.get(g, g), [s for s in specs if s.group == g and not s.key])
            for g in GROUPS if any(s.group == g and not s.key for s in specs)]


def guide_html(specs: list[InputSpec]) -> str:
    """The parameter guide: every input's label, name, unit, range, default and meaning."""
    rows = []
    for spec in specs:
        p = PARAMS[spec.name]
        cells = (spec.label, spec.name, p.unit, p.allowed, p.default, p.doc, p.source)
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("input", "name in code", "unit", "valid values",
                                              "default", "what it does", "source"))
    return ("<div style='overflow-x: auto'><table class='spiral-guide'><thead><tr>"
            f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")
