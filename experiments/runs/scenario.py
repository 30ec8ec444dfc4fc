"""Scenarios: named parameter sets with a description, scripted listings and a counterfactual.

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

    [counterfactual]               # optional: what the paired run switches off
    network_weight = 0.0
    unfriend_rule = "none"

Errors name the file, the line and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from spiral.experiments.common.tomlfile import key_location, read_toml
from spiral.model.errors import InputError
from spiral.model.initial import ScriptedListing
from spiral.model.params import ParameterError, Params, validate_value

DEFAULT_SCENARIO = "zhima-spiral"
# The paired counterfactual: the algorithm ignores friends, so nobody has a reason to drop one.
FEEDBACK_OFF = {"network_weight": 0.0, "unfriend_rule": "none"}
TOP_LEVEL_KEYS = ("name", "description", "seed", "params", "listings", "counterfactual")


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
        counterfactual: Parameter changes of the paired no-feedback run.
        seed: Default seed.
        path: File it was read from (None if built in code).
    """

    name: str
    description: str
    params: Params
    listings: tuple[ScriptedListing, ...] = ()
    counterfactual: dict[str, Any] = field(default_factory=lambda: dict(FEEDBACK_OFF))
    seed: int = 42
    path: Path | None = None

    def with_changes(self, **changes: Any) -> Scenario:
        """A copy with some parameters changed (validated)."""
        return Scenario(self.name, self.description, self.params.replace(**changes),
                        self.listings, dict(self.counterfactual), self.seed, self.path)

    def counterfactual_params(self) -> Params:
        """Parameters of the paired run without network feedback."""
        return self.params.replace(**self.counterfactual)


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
    counterfactual = {**FEEDBACK_OFF, **validated_table(
        data.get("counterfactual", {}), section="counterfactual", origin=origin, text=text)}
    listings = tuple(_listing(item, k, origin) for k, item in
                     enumerate(data.get("listings", []), start=1))
    seed = data.get("seed", 42)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ScenarioError(f"{key_location(origin, text, 'seed')}: seed = {seed!r} must be a "
                            "whole number >= 0")
    name = str(data.get("name", origin.stem))
    return Scenario(name, str(data.get("description", "")).strip(), params, listings,
                    counterfactual, seed, path)


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
