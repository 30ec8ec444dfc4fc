"""Calibration files: the scenario, the priors, the observed targets, the ABC-SMC settings.

A calibration file is TOML (format in docs/calibration.md)::

    name = "listing-rate-small"
    scenario = "zhima-spiral"            # a bundled scenario, or a file next to this one
    seed = 7
    [params]                             # fixed changes to the scenario (not inferred)
    n_citizens = 300
    [priors]                             # explicit bounds inside the parameter table's range
    listing_rate = {distribution = "log-uniform", low = 0.0003, high = 0.003}
    [[targets]]                          # a registry measure with its observed value ...
    measure = "contact_loss_12m__spiral"
    value = 0.8
    scale = 0.05
    [[targets]]                          # ... or a monthly series read from a CSV
    series = "listed_share"
    csv = "listed.csv"
    column = "share"
    source = "where the numbers come from"
    scale = 0.002
    [abc]
    population_size = 100
    generations = 4                      # and/or final_epsilon
    replicates = 1

Every problem is one line ``FILE[:LINE]: what is wrong`` (:class:`CalibrationError`, exit
status 2), raised before anything is written.
"""

from __future__ import annotations

import csv
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path

from spiral.experiments.common.tomlfile import key_location, read_toml
from spiral.experiments.measures.registry import BY_NAME, LABEL
from spiral.experiments.runs.scenario import Scenario, available, load_scenario
from spiral.model.errors import InputError
from spiral.model.params import PARAMS, unknown_parameter_message

DISTRIBUTIONS = ("uniform", "log-uniform")
# model series a target may name besides the timeseries columns (docs/calibration.md)
DERIVED_SERIES = ("listed_share", "cumulative_listings", "cumulative_delistings",
                  "cumulative_listings_share", "cumulative_delistings_share")
TIMESERIES = ("mean_score", "share_A", "share_B", "share_C", "share_D", "listed_count",
              "wrongful_count", "stigmatised_count", "ties", "mean_degree", "isolates",
              "components", "largest_component_share", "score_assortativity")
DISTANCES = {1: "sum of absolute scaled differences", 2: "Euclidean (root of summed squares)",
             math.inf: "largest absolute scaled difference"}
TOP = ("name", "description", "scenario", "seed", "variants", "params", "priors", "targets",
       "distance", "abc")
ABC_KEYS = ("population_size", "generations", "final_epsilon", "epsilons", "replicates",
            "predictive_draws")


class CalibrationError(InputError):
    """A calibration file is invalid (one line, exit status 2)."""


@dataclass(frozen=True)
class Prior:
    """A uniform or log-uniform prior on one parameter, within explicit bounds."""

    name: str
    distribution: str
    low: float
    high: float

    @property
    def is_int(self) -> bool:
        """Whether the parameter is an integer (values are rounded for the model)."""
        return PARAMS[self.name].kind == "int"


@dataclass(frozen=True)
class Target:
    """One observed quantity and how far a simulation may be from it.

    Attributes:
        name: Label in outputs.
        scale: Differences are divided by it before the distance is taken.
        measure: A registry key ``MEASURE__LABEL`` (a measure target), or None.
        value: The observed value of a measure target.
        series: A model series (a timeseries column or a derived series), or None.
        variant: The variant the series is read from.
        months: Model months of the observed points (series targets).
        values: Observed values at those months (series targets).
        source: Where the observation comes from.
    """

    name: str
    scale: float
    measure: str | None = None
    value: float | None = None
    series: str | None = None
    variant: str = "spiral"
    months: tuple[int, ...] = ()
    values: tuple[float, ...] = ()
    source: str = ""

    def observed(self) -> dict[str, float]:
        """The observed statistics, flat: ``name`` or ``name@month``."""
        if self.measure is not None:
            return {self.name: float(self.value)}
        return {f"{self.name}@{m}": float(v) for m, v in zip(self.months, self.values, strict=True)}


@dataclass
class CalibrationSpec:
    """A validated calibration file."""

    name: str
    description: str
    scenario: Scenario
    priors: tuple[Prior, ...]
    targets: tuple[Target, ...]
    seed: int = 1
    p: float = 2.0
    population_size: int = 100
    generations: int = 5
    final_epsilon: float = 0.0
    epsilons: tuple[float, ...] = ()
    replicates: int = 1
    predictive_draws: int = 20
    path: Path | None = None
    text: str = ""
    fixed: dict = field(default_factory=dict)

    @property
    def observed(self) -> dict[str, float]:
        """Every observed statistic, flat."""
        return {k: v for t in self.targets for k, v in t.observed().items()}

    @property
    def scales(self) -> dict[str, float]:
        """The scale of every observed statistic."""
        return {k: t.scale for t in self.targets for k in t.observed()}


def _fail(where: str, message: str):
    raise CalibrationError(f"{where}: {message}")


def _number(value, where: str, what: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        _fail(where, f"{what} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        _fail(where, f"{what} must be a finite number, got {value!r}")
    if positive and number <= 0:
        _fail(where, f"{what} must be positive, got {value!r}")
    return number


def _prior(name: str, table, origin: Path, text: str) -> Prior:
    where = key_location(origin, text, name)
    if name not in PARAMS:
        _fail(where, f"[priors] {unknown_parameter_message(name)}")
    p = PARAMS[name]
    if p.kind not in ("int", "float"):
        _fail(where, f"[priors] {name} is a {p.kind} parameter; only numbers can be inferred")
    if not isinstance(table, dict):
        _fail(where, f"[priors] {name} must be a table {{distribution = ..., low = ..., high = ...}}")
    unknown = sorted(set(table) - {"distribution", "low", "high"})
    if unknown:
        _fail(where, f"[priors] {name}: unknown key {unknown[0]!r} (expected distribution, low, high)")
    dist = table.get("distribution", "uniform")
    if dist not in DISTRIBUTIONS:
        _fail(where, f"[priors] {name}: distribution {dist!r} is not one of {', '.join(DISTRIBUTIONS)}")
    if "low" not in table or "high" not in table:
        _fail(where, f"[priors] {name}: explicit bounds low and high are required")
    low = _number(table["low"], where, f"[priors] {name}.low")
    high = _number(table["high"], where, f"[priors] {name}.high")
    if not low < high:
        _fail(where, f"[priors] {name}: low ({low:g}) must be below high ({high:g})")
    if low < p.low or high > p.high:
        _fail(where, f"[priors] {name}: [{low:g}, {high:g}] is not inside the parameter's range "
              f"{p.low:g} to {p.high:g}")
    if dist == "log-uniform" and low <= 0:
        _fail(where, f"[priors] {name}: a log-uniform prior needs positive bounds, got low = {low:g}")
    return Prior(name, dist, low, high)


def _read_series(table: dict, where: str, base: Path) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """The observed months and values of a series target, from its CSV."""
    for key in ("csv", "column", "source"):
        if not isinstance(table.get(key), str) or not table[key].strip():
            _fail(where, f"a series target needs {key} = \"...\" (the CSV, its column, its source)")
    path = Path(table["csv"]) if Path(table["csv"]).is_absolute() else base / table["csv"]
    month_col = table.get("month_column", "month")
    time_col = table.get("time_column")
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(row for row in handle if not row.startswith("#")))
    except FileNotFoundError:
        _fail(where, f"{path}: file not found")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(where, f"{path}: cannot read the file ({exc})")
    header = list(rows[0]) if rows else []
    wanted = [table["column"], time_col or month_col]
    missing = next((c for c in wanted if c not in header), None)
    if missing is not None:
        _fail(where, f"{path}: no column {missing!r} (columns: {', '.join(header) or 'none'})")
    where_rows = table.get("where", {})
    divide = _number(table.get("divide_by", 1.0), where, "divide_by", positive=True)
    months, values = [], []
    for k, row in enumerate(rows, start=2):
        if any(str(row.get(c, "")).strip() != str(v) for c, v in where_rows.items()):
            continue  # another series of a long table
        cell = (row.get(table["column"]) or "").strip()
        if cell == "":
            continue  # a year without a published figure
        try:
            value, stamp = float(cell) / divide, _time(row[time_col or month_col])
        except (TypeError, ValueError):
            _fail(where, f"{path}:{k}: not a number in {table['column']!r} or the time column")
        if not math.isfinite(value):
            _fail(where, f"{path}:{k}: {table['column']} is not a finite number ({cell})")
        if time_col:
            origin = _number(table.get("origin", 0), where, "origin")
            per = _number(table.get("months_per_unit", 12), where, "months_per_unit", positive=True)
            stamp = (stamp - origin) * per
        months.append(int(round(stamp)))
        values.append(value)
    if not months:
        _fail(where, f"{path}: no observed values in column {table['column']!r}")
    return tuple(months), tuple(values)


def _time(text: str) -> float:
    """A number, or an ISO date as a fractional year (2014-07-01 -> 2014.5)."""
    from datetime import date

    try:
        return float(text)
    except ValueError:
        day = date.fromisoformat(str(text).strip())
        return day.year + (day.timetuple().tm_yday - 1) / 365.25


def _target(k: int, table, origin: Path, text: str, scenario: Scenario) -> Target:
    where = f"{origin}: [[targets]] #{k}"
    if not isinstance(table, dict):
        _fail(where, "must be a table")
    if ("measure" in table) == ("series" in table):
        _fail(where, "give either measure = \"MEASURE__LABEL\" or series = \"NAME\"")
    if "scale" not in table:
        _fail(where, "no scale: say how large a difference from the observation matters")
    scale = _number(table["scale"], where, "scale", positive=True)
    if "measure" in table:
        key = str(table["measure"])
        match = LABEL.match(key)
        if not match or match.group("measure") not in BY_NAME:
            _fail(where, f"unknown measure {key!r}; see docs/measures.md (keys are MEASURE__LABEL)")
        for name in label_variants(match.group("label")):
            if name not in scenario.variant_names:
                _fail(where, f"measure {key!r}: variant {name!r} is not in scenario {scenario.name!r}")
        if "value" not in table:
            _fail(where, f"measure {key!r} has no observed value")
        value = _number(table["value"], where, f"value of {key}")
        return Target(str(table.get("name", key)), scale, measure=key, value=value,
                      source=str(table.get("source", "")))
    series = str(table["series"])
    if series not in (*TIMESERIES, *DERIVED_SERIES):
        _fail(where, f"unknown series {series!r}; expected one of {', '.join(TIMESERIES + DERIVED_SERIES)}")
    variant = str(table.get("variant", scenario.main_variant))
    if variant not in scenario.variant_names:
        _fail(where, f"variant {variant!r} is not in scenario {scenario.name!r}")
    months, values = _read_series(table, where, origin.parent)
    ticks = scenario.params.ticks
    bad = next((m for m in months if not 0 <= m <= ticks), None)
    if bad is not None:
        _fail(where, f"observed month {bad} is outside the run's months 0 to {ticks}")
    return Target(str(table.get("name", series)), scale, series=series, variant=variant,
                  months=months, values=values, source=table["source"])


def label_variants(label: str) -> list[str]:
    """The variants a summary label needs (a variant, or ``A-B``); none for decompositions."""
    if label.startswith(("shapley-", "interaction-", "main-", "ladder-")):
        return []
    return label.split("-") if "-" in label else [label]


def load_calibration(path: str | Path) -> CalibrationSpec:
    """Read and validate a calibration file (nothing is run or written)."""
    path = Path(path)
    data, text = read_toml(path, error=CalibrationError)
    unknown = sorted(set(data) - set(TOP))
    if unknown:
        _fail(key_location(path, text, unknown[0]), f"unknown key {unknown[0]!r} (expected "
              f"{', '.join(TOP)})")
    ref = data.get("scenario")
    if not isinstance(ref, str):
        _fail(path, "scenario = \"NAME or FILE\" is required")
    file = path.parent / ref
    try:
        scenario = load_scenario(file if ref not in available() and file.exists() else ref)
    except InputError as exc:
        _fail(key_location(path, text, "scenario"), str(exc))
    fixed = data.get("params", {})
    try:
        scenario = scenario.with_changes(**fixed)
    except InputError as exc:
        _fail(key_location(path, text, "params"), f"[params] {exc}")
    if "variants" in data:
        try:
            scenario = scenario.with_variants(data["variants"])
        except InputError as exc:
            _fail(key_location(path, text, "variants"), str(exc))
    priors_table = data.get("priors")
    if not isinstance(priors_table, dict) or not priors_table:
        _fail(path, "[priors] is required: at least one parameter with its prior")
    priors = tuple(_prior(n, t, path, text) for n, t in priors_table.items())
    # a variant's own setting wins (penalty keeps fear_strength 0): the prior reaches the
    # variants that do not set the parameter, which is what a contrast needs
    targets_list = data.get("targets")
    if not isinstance(targets_list, list) or not targets_list:
        _fail(path, "[[targets]] is required: at least one observed target")
    targets = tuple(_target(k, t, path, text, scenario) for k, t in enumerate(targets_list, 1))
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        _fail(path, "two targets have the same name; give them distinct name = \"...\"")
    spec = CalibrationSpec(str(data.get("name", path.stem)), str(data.get("description", "")),
                           scenario, priors, targets, path=path, text=text, fixed=dict(fixed))
    if "seed" in data:
        spec.seed = int(_number(data["seed"], key_location(path, text, "seed"), "seed"))
    _distance(spec, data.get("distance", {}), path, text)
    _settings(spec, data.get("abc", {}), path, text)
    return spec


def _distance(spec: CalibrationSpec, table, path: Path, text: str) -> None:
    where = key_location(path, text, "distance")
    if not isinstance(table, dict) or set(table) - {"p"}:
        _fail(where, "[distance] takes one key, p = 1, 2 or \"inf\"")
    p = table.get("p", 2)
    p = math.inf if p in ("inf", math.inf) else p
    if p not in DISTANCES:
        _fail(where, f"[distance] p = {p!r} is not one of 1, 2, \"inf\"")
    spec.p = float(p)


def _settings(spec: CalibrationSpec, table, path: Path, text: str) -> None:
    if not isinstance(table, dict):
        _fail(path, "[abc] must be a table")
    unknown = sorted(set(table) - set(ABC_KEYS))
    if unknown:
        _fail(key_location(path, text, unknown[0]), f"[abc] unknown key {unknown[0]!r} (expected "
              f"{', '.join(ABC_KEYS)})")
    for key in ("population_size", "generations", "replicates", "predictive_draws"):
        if key in table:
            where = key_location(path, text, key)
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                _fail(where, f"[abc] {key} must be a whole number of at least 1, got {value!r}")
            setattr(spec, key, value)
    if "final_epsilon" in table:
        spec.final_epsilon = _number(table["final_epsilon"], key_location(path, text,
                                     "final_epsilon"), "[abc] final_epsilon")
        if spec.final_epsilon < 0:
            _fail(key_location(path, text, "final_epsilon"), "[abc] final_epsilon must be >= 0")
    if "epsilons" in table:
        where = key_location(path, text, "epsilons")
        eps = table["epsilons"]
        if not isinstance(eps, list) or not eps:
            _fail(where, "[abc] epsilons must be a list of decreasing tolerances")
        eps = tuple(_number(e, where, "[abc] epsilons") for e in eps)
        if any(b > a for a, b in itertools.pairwise(eps)) or min(eps) < 0:
            _fail(where, "[abc] epsilons must be non-negative and decreasing")
        spec.epsilons = eps
        spec.generations = len(eps)
