"""Sweep files: the format, validation and the design points (grid, Latin hypercube, Sobol, Morris).

A sweep file names a base scenario, the parameters to vary and how (a design), the number of
replicates per design point and the sweep's seed (the format is documented in
``docs/sweeps.md``)::

    name = "fear-x-network-weight"
    scenario = "zhima-spiral"
    design = "grid"                 # grid, latin, sobol or morris
    replicates = 5
    seed = 2024

    [fixed]                         # the same for every run
    n_citizens = 1000

    [parameters]                    # what varies
    fear_mean = { low = 0.1, high = 0.9, steps = 5 }
    network_weight = { values = [0.0, 0.3, 0.6] }

:func:`load_sweep` reads and validates a file into a :class:`SweepSpec`, and builds every
design point once, so a bad file stops with one line naming the file, the line and the field
before any run starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spiral.experiments.common.tomlfile import key_location, read_toml
from spiral.experiments.runs.scenario import DEFAULT_SCENARIO, load_scenario, validated_table
from spiral.experiments.sweeps.variants import chosen_variants
from spiral.model.errors import InputError
from spiral.model.params import PARAMS, ParameterError, unknown_parameter_message, validate_value

DESIGNS = ("grid", "latin", "sobol", "morris")
DESIGN_ALIASES = {"lhs": "latin", "latin_hypercube": "latin", "saltelli": "sobol"}
TABLES = ("timeseries", "episodes", "events", "citizens", "tracked")
TOP_LEVEL_KEYS = ("name", "description", "scenario", "seed", "replicates", "design", "samples",
                  "morris_levels", "paired", "variants", "save", "show", "fixed", "parameters",
                  "sensitivity")
DEFAULT_SHOW = ("score_loss_12m__spiral", "contact_loss_12m__spiral", "isolated_share__spiral")
FACTOR_KEYS = ("values", "low", "high", "steps")
# limits on a design's size, checked before any point is built (a point takes ~0.4 ms to
# check, a run seconds): a typo such as steps = 100000000 is refused at once
MAX_POINTS = 100_000
MAX_RUNS = 1_000_000
MAX_MORRIS_LEVELS = 1_000


class SweepError(InputError):
    """A sweep file or sweep folder is invalid; the message names the file, line and field."""


@dataclass(frozen=True)
class Factor:
    """One varied parameter.

    Attributes:
        name: Parameter name (a key of the parameter table).
        values: Explicit values (grid points, or categories for a Latin hypercube).
        low: Lower bound (numeric parameters).
        high: Upper bound (numeric parameters).
        steps: Number of evenly spaced grid values from low to high.
    """

    name: str
    values: tuple | None = None
    low: float | None = None
    high: float | None = None
    steps: int | None = None

    @property
    def kind(self) -> str:
        """Kind of the parameter (``int``, ``float``, ``bool``, ``choice``, ``str``)."""
        return PARAMS[self.name].kind

    def grid_values(self) -> list:
        """The factor's values on a grid."""
        if self.values is not None:
            return list(self.values)
        import numpy as np

        raw = np.linspace(self.low, self.high, self.steps) if self.steps > 1 else [self.low]
        return [self.convert(x) for x in raw]

    def from_unit(self, u: float):
        """Map a number in [0, 1] (a Latin hypercube or Morris coordinate) to a value."""
        if self.values is not None:
            return self.values[min(int(u * len(self.values)), len(self.values) - 1)]
        return self.convert(self.low + u * (self.high - self.low))

    def convert(self, x: float):
        """A raw number as a value of this parameter (ints rounded, floats to 12 digits)."""
        if self.kind == "int":
            return int(round(float(x)))
        return float(f"{float(x):.12g}")


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: base scenario, design, factors, replicates and seed."""

    name: str
    description: str
    scenario: Any  # spiral.experiments.runs.scenario.Scenario (imported lazily)
    design: str
    factors: tuple[Factor, ...]
    replicates: int = 1
    seed: int = 0
    samples: int | None = None
    morris_levels: int = 4
    paired: bool = True
    save: tuple[str, ...] = ()
    show: tuple[str, ...] = DEFAULT_SHOW
    fixed: dict = field(default_factory=dict)
    sensitivity: dict = field(default_factory=dict)
    path: Path | None = None
    text: str = ""

    def problem(self) -> dict:
        """The SALib problem (names and bounds of the numeric factors)."""
        return {"num_vars": len(self.factors), "names": [f.name for f in self.factors],
                "bounds": [[f.low, f.high] for f in self.factors]}

    def points(self) -> list[dict]:
        """The design points: one dict of parameter values per point, in a fixed order."""
        import numpy as np

        if self.design == "grid":
            import itertools

            grids = [f.grid_values() for f in self.factors]
            return [dict(zip(self.names, combo, strict=True))
                    for combo in itertools.product(*grids)]
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(2**31,)))
        if self.design == "latin":
            from scipy.stats import qmc

            unit = qmc.LatinHypercube(d=len(self.factors), rng=rng).random(self.samples)
            return [{f.name: f.from_unit(u) for f, u in zip(self.factors, row, strict=True)}
                    for row in unit]
        seed = int(rng.integers(2**31))
        if self.design == "sobol":
            from SALib.sample import sobol

            matrix = sobol.sample(self.problem(), self.samples, calc_second_order=False,
                                  seed=seed)
        else:
            from SALib.sample import morris

            matrix = morris.sample(self.problem(), self.samples, num_levels=self.morris_levels,
                                   seed=seed)
        return [{f.name: f.convert(x) for f, x in zip(self.factors, row, strict=True)}
                for row in matrix]

    @property
    def names(self) -> list[str]:
        """Names of the varied parameters."""
        return [f.name for f in self.factors]

    def with_design(self, design: str, samples: int) -> SweepSpec:
        """The same sweep with another design (used by ``spiral sensitivity``)."""
        from dataclasses import replace

        return replace(self, design=design, samples=samples)


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file.

    Raises:
        SweepError: Missing file, a file that is not UTF-8, TOML syntax error (with
            file:line), unknown key or parameter, empty range, lower bound above upper bound,
            replicates < 1, unknown design, or a design point the parameter table rejects.
    """
    path = Path(path)
    data, text = read_toml(path, error=SweepError)
    return sweep_from_dict(data, path=path, text=text)


def _whole(value: Any, key: str, where: str, minimum: int, maximum: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise SweepError(f"{where}: {key} = {value!r} must be a whole number >= {minimum}")
    if maximum is not None and value > maximum:
        raise SweepError(f"{where}: {key} = {value:,} is too large: at most {maximum:,}")
    return value


def design_size(design: str, factors, samples: int | None) -> int:
    """Number of design points, computed without building them."""
    if design == "grid":
        size = 1
        for f in factors:
            size *= len(f.values) if f.values is not None else f.steps
        return size
    k = len(factors)
    return samples * {"latin": 1, "sobol": k + 2, "morris": k + 1}[design]


def _check_size(points: int, replicates: int, where: str) -> None:
    """Refuse a design above :data:`MAX_POINTS` points or :data:`MAX_RUNS` runs."""
    if points > MAX_POINTS:
        raise SweepError(f"{where}: the design has {points:,} points, more than the limit of "
                         f"{MAX_POINTS:,}: use fewer steps, values or samples")
    if points * replicates > MAX_RUNS:
        raise SweepError(f"{where}: the design has {points:,} points x {replicates:,} "
                         f"replicates = {points * replicates:,} runs, more than the limit of "
                         f"{MAX_RUNS:,}: use fewer points or replicates")


def sweep_from_dict(data: dict, *, path: Path | None = None, text: str = "") -> SweepSpec:
    """Build a validated :class:`SweepSpec` from parsed TOML (see :func:`load_sweep`)."""
    origin = path or Path("<sweep>")

    def where(key: str) -> str:
        return key_location(origin, text, key)

    for key in data:
        if key not in TOP_LEVEL_KEYS:
            close = _close(key, TOP_LEVEL_KEYS)
            raise SweepError(f"{where(key)}: unknown key {key!r}{close}; expected one of "
                             f"{', '.join(TOP_LEVEL_KEYS)}")
    design = str(data.get("design", "grid"))
    design = DESIGN_ALIASES.get(design, design)
    if design not in DESIGNS:
        raise SweepError(f"{where('design')}: design = {design!r} is not a design"
                         f"{_close(design, DESIGNS)}; expected one of {', '.join(DESIGNS)}")
    replicates = _whole(data.get("replicates", 1), "replicates", where("replicates"), 1)
    seed = _whole(data.get("seed", 0), "seed", where("seed"), 0)
    samples = data.get("samples")
    if design == "grid":
        if samples is not None:
            raise SweepError(f"{where('samples')}: samples is for the latin, sobol and morris "
                             "designs; a grid takes its points from the parameters' values/steps")
    else:
        samples = _whole(samples, "samples", where("samples"), 1) if samples is not None else \
            _missing_samples(design, where("design"))
        if design == "sobol" and samples & (samples - 1):
            lower = 1 << (samples.bit_length() - 1)
            raise SweepError(f"{where('samples')}: samples = {samples} must be a power of 2 for "
                             f"a Sobol design (try {lower} or {lower * 2})")
    levels = _whole(data.get("morris_levels", 4), "morris_levels", where("morris_levels"), 2,
                    MAX_MORRIS_LEVELS)
    paired = data.get("paired", True)
    if not isinstance(paired, bool):
        raise SweepError(f"{where('paired')}: paired = {paired!r} must be true or false")
    save = data.get("save", [])
    if not isinstance(save, list) or any(s not in TABLES for s in save):
        raise SweepError(f"{where('save')}: save = {save!r} must be a list of table names "
                         f"from {', '.join(TABLES)}")
    show = data.get("show", list(DEFAULT_SHOW))
    if not isinstance(show, list) or not all(isinstance(m, str) for m in show):
        raise SweepError(f"{where('show')}: show = {show!r} must be a list of measure names "
                         "(columns of runs.csv) to print at the end")
    scenario_ref = data.get("scenario", DEFAULT_SCENARIO)
    if str(scenario_ref).endswith(".toml") and path is not None:
        candidate = path.parent / str(scenario_ref)
        scenario_ref = candidate if candidate.is_file() else scenario_ref
    try:
        scenario = load_scenario(scenario_ref)
    except InputError as exc:
        raise SweepError(f"{where('scenario')}: {exc}") from None
    fixed = validated_table(data.get("fixed", {}), section="fixed", origin=origin, text=text,
                            error=SweepError)
    try:
        scenario = scenario.with_changes(**fixed)
    except ParameterError as exc:
        raise SweepError(f"{origin}: [fixed] {exc}") from None
    raw_factors = data.get("parameters", {})
    if not isinstance(raw_factors, dict) or not raw_factors:
        raise SweepError(f"{where('parameters')}: a sweep needs a [parameters] table with at "
                         "least one parameter to vary")
    factors = tuple(_factor(name, spec, design, where(name))
                    for name, spec in raw_factors.items())
    scenario = chosen_variants(scenario, data.get("variants"), paired, where("variants"),
                               [f.name for f in factors] + list(fixed), error=SweepError)
    _check_size(design_size(design, factors, samples), replicates,
                where("parameters") if design == "grid" else where("samples"))
    sensitivity = data.get("sensitivity", {})
    if not isinstance(sensitivity, dict):
        raise SweepError(f"{where('sensitivity')}: 'sensitivity' must be a table ([sensitivity])")
    spec = SweepSpec(name=str(data.get("name", origin.stem)),
                     description=str(data.get("description", "")).strip(), scenario=scenario,
                     design=design, factors=factors, replicates=replicates, seed=seed,
                     samples=samples, morris_levels=levels, paired=paired, save=tuple(save),
                     show=tuple(show), fixed=fixed, sensitivity=sensitivity, path=path, text=text)
    check_points(spec)
    return spec


def _missing_samples(design: str, where: str) -> int:
    raise SweepError(f"{where}: design = {design!r} needs samples = N (number of points for "
                     "latin, base sample size for sobol, trajectories for morris)")


def _close(word: str, options) -> str:
    import difflib

    close = difflib.get_close_matches(word, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _factor(name: str, spec: Any, design: str, where: str) -> Factor:
    if name not in PARAMS:
        raise SweepError(f"{where}: [parameters] {unknown_parameter_message(name)}")
    kind = PARAMS[name].kind
    if not isinstance(spec, dict) or not spec:
        raise SweepError(f"{where}: {name} must be a table such as {{ low = 0.1, high = 0.9, "
                         "steps = 5 }} or {{ values = [...] }}")
    unknown = [k for k in spec if k not in FACTOR_KEYS]
    if unknown:
        raise SweepError(f"{where}: {name}: unknown key {unknown[0]!r}; expected "
                         f"{', '.join(FACTOR_KEYS)}")
    try:
        if "values" in spec:
            if set(spec) - {"values"}:
                raise SweepError(f"{where}: {name}: give either values or low/high, not both")
            values = spec["values"]
            if not isinstance(values, list) or not values:
                raise SweepError(f"{where}: {name}: values = {values!r} is an empty range; "
                                 "give at least one value")
            if design in ("sobol", "morris"):
                raise SweepError(f"{where}: {name}: a {design} design needs a numeric range "
                                 "{ low = ..., high = ... }, not a list of values")
            return Factor(name, values=tuple(validate_value(name, v) for v in values))
        if kind not in ("int", "float"):
            raise SweepError(f"{where}: {name} is a {kind} parameter ({PARAMS[name].allowed}); "
                             "list its values: { values = [...] }")
        if "low" not in spec or "high" not in spec:
            raise SweepError(f"{where}: {name}: give both low and high (or values = [...])")
        low, high = validate_value(name, spec["low"]), validate_value(name, spec["high"])
    except ParameterError as exc:
        raise SweepError(f"{where}: [parameters] {exc}") from None
    if low > high:
        raise SweepError(f"{where}: {name}: lower bound low = {low!r} is above the upper bound "
                         f"high = {high!r}")
    if low == high:
        raise SweepError(f"{where}: {name}: low = high = {low!r} is an empty range; put a "
                         "constant in [fixed] instead")
    steps = spec.get("steps")
    if design == "grid":
        if steps is None:
            raise SweepError(f"{where}: {name}: a grid needs steps = N (values from low to high) "
                             "or values = [...]")
        steps = _whole(steps, "steps", where, 1, MAX_POINTS)
    elif steps is not None:
        raise SweepError(f"{where}: {name}: steps is for grid designs; the {design} design "
                         "draws its own values")
    return Factor(name, low=low, high=high, steps=steps)


def check_points(spec: SweepSpec) -> list[dict]:
    """Build every design point's parameters once, so bad combinations fail before any run."""
    points = spec.points()
    for index, changes in enumerate(points):
        try:
            spec.scenario.with_changes(**changes)
        except ParameterError as exc:
            origin = spec.path or "<sweep>"
            raise SweepError(f"{origin}: design point {index} ({_describe(changes)}): "
                             f"{exc}") from None
    return points


def _describe(changes: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in changes.items())
