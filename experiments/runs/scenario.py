"""Scenarios: named parameter sets with a description, scripted listings and variants.

A scenario is a TOML file (the bundled ones are in ``experiments/scenarios/``)::

    name = "zhima-spiral"
    description = "One paragraph saying what the scenario represents."
    seed = 42                      # optional default seed

    [params]                       # any parameter of the table; the rest keep defaults
    network_weight = 0.3

    [[listings]]                   # optional scripted listings
    citizen = 0
    tick = 12
    wrongful = true

    [variants.penalty]             # optional: the variants run side by side (see below)
    stigma_strength = 0.0
    network_weight = 0.0
    fear_strength = 0.0

Errors name the file, the line and the field.

A run is a set of *variants* sharing seed, network, listings and keyed random draws, each a
table of parameter changes. Without ``[variants.*]`` tables a scenario runs the ladder of
channels (:data:`LADDER`): S (stigma unfriending), N (the score reads friends and lost
contacts), F (fear for one's own score, only meaningful with N):

=============  ==========================================================================
``unlisted``   the same town with the listings not made (``listings = false``): the causal
               baseline for what a listing costs
``penalty``    none of S, N, F: the listing penalty alone
``stigma``     S
``network``    N
``chain``      S + N
``fear``       N + F (fear without stigma: the seed's own story)
``spiral``     S + N + F: the loop
``no_denied``  ``penalty`` with denied services off (what denied services cost the listed)
=============  ==========================================================================

``main_variant`` (default ``spiral``) is the one headline measures describe and
``baseline_variant`` (default ``penalty``) the one it is compared with. The older
``[counterfactual]`` table still works: it declares two variants, ``feedback`` (the scenario
as it is) and ``counterfactual`` (with those changes and the feedback switched off).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from spiral.experiments.common.tomlfile import key_location, read_toml
from spiral.model.errors import InputError
from spiral.model.initial import ScriptedListing
from spiral.model.params import ParameterError, Params, validate_value

DEFAULT_SCENARIO = "zhima-spiral"
# The older paired counterfactual: the algorithm ignores friends and nobody drops anyone.
FEEDBACK_OFF = {"network_weight": 0.0, "unfriend_rule": "none"}
TOP_LEVEL_KEYS = ("name", "description", "seed", "params", "listings", "counterfactual",
                  "variants", "main_variant", "baseline_variant")
# channel -> the parameter change that switches it off
CHANNEL_OFF = {"S": {"stigma_strength": 0.0}, "N": {"network_weight": 0.0},
               "F": {"fear_strength": 0.0}}


def _without(*channels: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for channel in channels:
        out.update(CHANNEL_OFF[channel])
    return out


@dataclass(frozen=True)
class Variant:
    """One variant of a run: parameter changes, and whether the listings are made.

    Attributes:
        name: Short name (a column label in every table).
        changes: Parameter changes from the scenario's parameters (validated).
        listings: False for the ``unlisted`` twin: no court listings at all (background,
            cohort and scripted), everything else the same.
    """

    name: str
    changes: dict[str, Any] = field(default_factory=dict)
    listings: bool = True

    def params(self, base: Params) -> Params:
        """The variant's parameters."""
        changes = dict(self.changes)
        if not self.listings:
            changes.update(listing_rate=0.0, wrongful_rate=0.0, cohort_share=0.0)
        return base.replace(**changes)


LADDER: tuple[Variant, ...] = (
    Variant("unlisted", {}, listings=False),
    Variant("penalty", _without("S", "N", "F")),
    Variant("stigma", _without("N", "F")),
    Variant("network", _without("S", "F")),
    Variant("chain", _without("F")),
    Variant("fear", _without("S")),
    Variant("spiral", {}),
    Variant("no_denied", {**_without("S", "N", "F"), "denied_services": False}),
)
# which channels each ladder variant switches on (for the decomposition)
CHANNELS_ON = {"penalty": "", "stigma": "S", "network": "N", "chain": "SN", "fear": "NF",
               "spiral": "SNF"}


class ScenarioError(InputError):
    """A scenario file or name is invalid; the message names the file, line and field."""


@dataclass(frozen=True)
class Scenario:
    """A named configuration of the model.

    Attributes:
        name: Short name (``spiral run NAME``).
        description: One paragraph for ``spiral scenarios`` and the docs.
        params: Validated parameters.
        listings: Scripted listings.
        variants: The variants run side by side (:data:`LADDER` by default).
        seed: Default seed.
        path: File it was read from (None if built in code).
        main_variant: The variant headline measures describe.
        baseline_variant: The variant it is compared with.
    """

    name: str
    description: str
    params: Params
    listings: tuple[ScriptedListing, ...] = ()
    variants: tuple[Variant, ...] = LADDER
    seed: int = 42
    path: Path | None = None
    main_variant: str = "spiral"
    baseline_variant: str = "penalty"

    def with_changes(self, **changes: Any) -> Scenario:
        """A copy with some parameters changed (validated); variants apply on top."""
        return replace(self, params=self.params.replace(**changes))

    def variant_conflicts(self, names) -> list[str]:
        """Messages for parameters in ``names`` that a variant sets itself.

        A sweep varying such a parameter would not reach that variant (its own change wins),
        so sweeps refuse it.
        """
        return [f"{name} is set by variant {v.name!r} ({name} = {v.changes[name]!r}), so "
                f"varying it would not reach that variant; choose variants without it"
                for name in names for v in self.variants if name in v.changes]

    def variant_conflicts_of(self, name: str, varied) -> list[str]:
        """The parameters in ``varied`` that variant ``name`` sets itself."""
        return [p for p in varied if p in self.variant(name).changes]

    def variant(self, name: str) -> Variant:
        """The variant called ``name``."""
        for v in self.variants:
            if v.name == name:
                return v
        raise ScenarioError(f"variant {name!r} is not one of this scenario's: "
                            f"{', '.join(self.variant_names)}")

    @property
    def variant_names(self) -> list[str]:
        """Names of the scenario's variants, in order."""
        return [v.name for v in self.variants]

    def with_variants(self, names) -> Scenario:
        """The scenario running only the named variants (in the scenario's order)."""
        names = list(dict.fromkeys(names))
        for name in names:
            self.variant(name)
        return replace(self, variants=tuple(v for v in self.variants if v.name in names))

    def variant_params(self, name: str) -> Params:
        """Parameters of one variant."""
        return self.variant(name).params(self.params)

    @property
    def counterfactual(self) -> dict[str, Any]:
        """The baseline variant's parameter changes (the older paired counterfactual)."""
        names = self.variant_names
        return dict(self.variant(self.baseline_variant).changes) \
            if self.baseline_variant in names else {}

    def counterfactual_params(self) -> Params:
        """Parameters of the baseline variant."""
        return self.variant_params(self.baseline_variant)


def scenario_dir() -> Path:
    """Folder of the bundled scenario files."""
    return Path(str(resources.files("spiral.experiments") / "scenarios"))


def available() -> dict[str, Path]:
    """Bundled scenarios by name."""
    return {p.stem: p for p in sorted(scenario_dir().glob("*.toml"))}


def validated_table(table: Any, *, section: str, origin: Path, text: str,
                    error: type[InputError] | None = None) -> dict[str, Any]:
    """Validate a TOML table of parameter values (``[counterfactual]``, a sweep's ``[fixed]``).

    Raises:
        InputError: ``error`` (ScenarioError by default) naming ``FILE:LINE``, the section,
            the parameter, the value and what is allowed.
    """
    error = error or ScenarioError
    if not isinstance(table, dict):
        raise error(f"{key_location(origin, text, section)}: '{section}' must be a table "
                    f"([{section}])")
    out = {}
    for key, value in table.items():
        try:
            out[key] = validate_value(key, value)
        except ParameterError as exc:
            raise error(f"{key_location(origin, text, key)}: [{section}] {exc}") from None
    return out


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a bundled scenario by name, or a scenario file by path.

    Raises:
        ScenarioError: Unknown name, missing file, a file that is not UTF-8, TOML syntax
            error (``FILE:LINE``, see :func:`~spiral.experiments.common.tomlfile.read_toml`),
            unknown key, invalid parameter or listing.
    """
    text_arg = str(name_or_path)
    path = Path(text_arg)
    if not (text_arg.endswith(".toml") or path.is_file()):
        bundled = available()
        if text_arg not in bundled:
            raise ScenarioError(f"unknown scenario {text_arg!r}; available: "
                                f"{', '.join(bundled)} (or give a path to a .toml file)")
        path = bundled[text_arg]
    data, text = read_toml(path, error=ScenarioError)
    return scenario_from_dict(data, path=path, text=text)


def scenario_from_dict(data: dict, *, path: Path | None = None, text: str = "") -> Scenario:
    """Build a scenario from parsed TOML (see the module docstring for the layout)."""
    origin = path or Path("<scenario>")
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise ScenarioError(f"{key_location(origin, text, key)}: unknown key {key!r}; expected "
                                f"one of {', '.join(TOP_LEVEL_KEYS)}")
    raw_params = data.get("params", {})
    if not isinstance(raw_params, dict):
        raise ScenarioError(f"{origin}: 'params' must be a table ([params])")
    try:
        params = Params(raw_params)
    except ParameterError as exc:
        bad = next((k for k in raw_params if k in str(exc)), "params")
        raise ScenarioError(f"{key_location(origin, text, bad)}: [params] {exc}") from None
    variants, main, baseline = _variants(data, origin, text)
    listings = tuple(_listing(item, k, origin) for k, item in
                     enumerate(data.get("listings", []), start=1))
    for k, item in enumerate(listings, start=1):
        if item.tick > params.ticks:
            raise ScenarioError(f"{origin}: listing #{k}: tick = {item.tick} falls after the "
                                f"last month (ticks = {params.ticks}): it would never be "
                                "applied")
    seed = data.get("seed", 42)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ScenarioError(f"{key_location(origin, text, 'seed')}: seed = {seed!r} must be a "
                            "whole number >= 0")
    name = str(data.get("name", origin.stem))
    return Scenario(name, str(data.get("description", "")).strip(), params, listings,
                    variants, seed, path, main, baseline)


def _variants(data: dict, origin: Path, text: str) -> tuple[tuple[Variant, ...], str, str]:
    """The scenario's variants and its main and baseline variant names."""
    if "counterfactual" in data and "variants" in data:
        raise ScenarioError(f"{key_location(origin, text, 'counterfactual')}: give either "
                            "[counterfactual] or [variants.*] tables, not both")
    if "counterfactual" in data:
        changes = {**FEEDBACK_OFF, **validated_table(
            data["counterfactual"], section="counterfactual", origin=origin, text=text)}
        variants: tuple[Variant, ...] = (Variant("feedback", {}),
                                         Variant("counterfactual", changes))
        default_main, default_baseline = "feedback", "counterfactual"
    elif "variants" in data:
        raw = data["variants"]
        if not isinstance(raw, dict) or not raw:
            raise ScenarioError(f"{key_location(origin, text, 'variants')}: 'variants' must be "
                                "tables [variants.NAME] of parameter changes")
        made = []
        for name, table in raw.items():
            if not isinstance(table, dict):
                raise ScenarioError(f"{key_location(origin, text, name)}: variant {name!r} must "
                                    f"be a table [variants.{name}] of parameter changes")
            table = dict(table)
            listings = table.pop("listings", True)
            if not isinstance(listings, bool):
                raise ScenarioError(f"{key_location(origin, text, 'listings')}: "
                                    f"[variants.{name}] listings = {listings!r} must be true or "
                                    "false")
            changes = validated_table(table, section=f"variants.{name}", origin=origin,
                                      text=text)
            made.append(Variant(str(name), changes, listings))
        variants = tuple(made)
        names = [v.name for v in variants]
        default_main = "spiral" if "spiral" in names else names[-1]
        default_baseline = "penalty" if "penalty" in names else names[0]
    else:
        variants, default_main, default_baseline = LADDER, "spiral", "penalty"
    names = [v.name for v in variants]
    main = data.get("main_variant", default_main)
    baseline = data.get("baseline_variant", default_baseline)
    for key, value in (("main_variant", main), ("baseline_variant", baseline)):
        if value not in names:
            raise ScenarioError(f"{key_location(origin, text, key)}: {key} = {value!r} is not a "
                                f"variant of this scenario ({', '.join(names)})")
    return variants, main, baseline


def _listing(item: Any, k: int, origin: Path) -> ScriptedListing:
    if not isinstance(item, dict) or set(item) - {"citizen", "tick", "wrongful"} or \
            "citizen" not in item or "tick" not in item:
        raise ScenarioError(f"{origin}: listing #{k} must have citizen and tick (and optional "
                            f"wrongful), got {item!r}")
    citizen, tick, wrongful = item["citizen"], item["tick"], item.get("wrongful", False)
    if not isinstance(citizen, int) or citizen < 0:
        raise ScenarioError(f"{origin}: listing #{k}: citizen = {citizen!r} must be a "
                            "citizen index >= 0")
    if not isinstance(tick, int) or tick < 1:
        raise ScenarioError(f"{origin}: listing #{k}: tick = {tick!r} must be a month >= 1")
    if not isinstance(wrongful, bool):
        raise ScenarioError(f"{origin}: listing #{k}: wrongful = {wrongful!r} must be "
                            "true or false")
    return ScriptedListing(citizen, tick, wrongful)
