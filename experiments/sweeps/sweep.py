"""Parameter sweeps: ``spiral sweep FILE.toml`` and :func:`run_sweep`.

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

Every run of design point ``p``, replicate ``r`` gets the seed
``run_seed(sweep seed, p, r)``, so results never depend on worker count or order. Runs go to
a local process pool (``--workers N``) or to a Dask cluster (``--scheduler ADDRESS``).
Results are written as they go::

    OUT/sweep.json            manifest: sweep file, design, seeds, versions, timings
    OUT/sweep.toml            copy of the sweep file
    OUT/points.csv            one row per design point: its parameter values
    OUT/runs/p000000-r0000.json   one record per finished run (written atomically)
    OUT/tables/p000000-r0000/*.parquet   per-tick / per-citizen tables, only if asked (save)
    OUT/runs.csv, runs.parquet      one row per run: point, replicate, seed, parameters, measures
    OUT/summary.csv           one row per design point and measure: n, mean, sd, 95% CI

A run counts as done once its record exists, so ``--resume`` after a kill at any moment reruns
exactly the unfinished runs and loses or duplicates nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import shutil
import sys
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from spiral.experiments.runs.scenario import (
    DEFAULT_SCENARIO,
    key_location,
    load_scenario,
    validated_table,
)
from spiral.model.errors import InputError
from spiral.model.params import PARAMS, ParameterError, unknown_parameter_message, validate_value

FORMAT_VERSION = 1
DESIGNS = ("grid", "latin", "sobol", "morris")
DESIGN_ALIASES = {"lhs": "latin", "latin_hypercube": "latin", "saltelli": "sobol"}
TABLES = ("timeseries", "listed", "events", "citizens", "tracked")
TOP_LEVEL_KEYS = ("name", "description", "scenario", "seed", "replicates", "design", "samples",
                  "morris_levels", "paired", "save", "show", "fixed", "parameters",
                  "sensitivity")
DEFAULT_SHOW = ("amplification_12m", "isolated_share", "ties_lost_share")
FACTOR_KEYS = ("values", "low", "high", "steps")
RECORD_NAME = re.compile(r"^p(\d{6})-r(\d{4})\.json$")


class SweepError(InputError):
    """A sweep file or sweep folder is invalid; the message names the file, line and field."""


# --- the sweep file --------------------------------------------------------------------------
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
        SweepError: Missing file, TOML syntax error (with file:line), unknown key or
            parameter, empty range, lower bound above upper bound, replicates < 1, unknown
            design, or a design point the parameter table rejects.
    """
    path = Path(path)
    if not path.is_file():
        raise SweepError(f"{path}: sweep file not found")
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{path}:{match.group(1)}" if match else str(path)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise SweepError(f"{where}: invalid TOML: {message}") from None
    return sweep_from_dict(data, path=path, text=text)


def _whole(value: Any, key: str, where: str, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise SweepError(f"{where}: {key} = {value!r} must be a whole number >= {minimum}")
    return value


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
    levels = _whole(data.get("morris_levels", 4), "morris_levels", where("morris_levels"), 2)
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
        steps = _whole(steps, "steps", where, 1)
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


# --- one run -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run (picklable)."""

    scenario: Any
    changes: dict
    point: int
    replicate: int
    seed: int
    paired: bool = True
    save: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """File stem of the run's record: ``p<point>-r<replicate>``."""
        return f"p{self.point:06d}-r{self.replicate:04d}"


def execute_run(task: RunTask) -> tuple[dict, dict | None]:
    """Run one sweep run (in a worker); return its record and any tables asked for."""
    from spiral.experiments.runs.runner import run_scenario

    start = time.perf_counter()
    scenario = task.scenario.with_changes(**task.changes)
    monthly = bool(task.save) and "timeseries" in task.save
    result = run_scenario(scenario, seed=task.seed, paired=task.paired, collect=monthly)
    record = {"point": task.point, "replicate": task.replicate, "seed": task.seed,
              "params": dict(task.changes), "measures": result.summary,
              "elapsed_s": round(time.perf_counter() - start, 4)}
    tables = None
    if task.save:
        all_tables = result.tables()
        tables = {name: all_tables[name] for name in task.save}
    return record, tables


# --- files ---------------------------------------------------------------------------------
def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file, fsync and ``os.replace``."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _write_frame_atomic(frame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    if path.suffix == ".csv":
        frame.to_csv(tmp, index=False)
    else:
        frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def finished_runs(out: Path) -> dict[str, dict]:
    """Records of the finished runs in a sweep folder, by key; temporary leftovers removed."""
    runs = out / "runs"
    done: dict[str, dict] = {}
    if not runs.is_dir():
        return done
    for entry in sorted(runs.iterdir()):
        if entry.name.startswith("."):
            entry.unlink(missing_ok=True)  # a write interrupted by a kill
            continue
        if RECORD_NAME.match(entry.name):
            try:
                done[entry.stem] = json.loads(entry.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                entry.unlink(missing_ok=True)
    return done


def _save_tables(out: Path, key: str, tables: dict) -> None:
    final = out / "tables" / key
    tmp = out / "tables" / f".{key}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, frame in tables.items():
        frame.to_parquet(tmp / f"{name}.parquet", index=False)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)


def _fingerprint(spec: SweepSpec, tasks: list[RunTask]) -> str:
    content = {"params": spec.scenario.params.to_dict(), "paired": spec.paired,
               "save": list(spec.save), "listings": [vars(x) for x in spec.scenario.listings],
               "counterfactual": spec.scenario.counterfactual,
               "runs": [[t.point, t.replicate, t.seed, t.changes] for t in tasks]}
    blob = json.dumps(content, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def sweep_manifest(spec: SweepSpec, tasks: list[RunTask], points: list[dict]) -> dict:
    """The sweep's manifest: what runs, with which seeds and versions."""
    from spiral.experiments.runs.runner import git_commit, package_versions

    return {
        "format_version": FORMAT_VERSION,
        "kind": "sweep",
        "name": spec.name,
        "description": spec.description,
        "sweep_file": str(spec.path) if spec.path else None,
        "scenario": spec.scenario.name,
        "base_params": spec.scenario.params.to_dict(),
        "counterfactual_changes": spec.scenario.counterfactual if spec.paired else None,
        "design": spec.design,
        "samples": spec.samples,
        "morris_levels": spec.morris_levels if spec.design == "morris" else None,
        "factors": [{k: v for k, v in vars(f).items() if v is not None} for f in spec.factors],
        "replicates": spec.replicates,
        "sweep_seed": spec.seed,
        "seed_rule": "run seed = spiral.model.streams.run_seed(sweep_seed, point, replicate)",
        "n_points": len(points),
        "n_runs": len(tasks),
        "save": list(spec.save),
        "fingerprint": _fingerprint(spec, tasks),
        "runs": [{"point": t.point, "replicate": t.replicate, "seed": t.seed} for t in tasks],
        "versions": package_versions(),
        "git_commit": git_commit(),
        "command": sys.argv,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def plan(spec: SweepSpec) -> tuple[list[dict], list[RunTask]]:
    """Design points and the run tasks (points x replicates) with their seeds."""
    from spiral.model.streams import run_seed

    points = check_points(spec)
    tasks = [RunTask(spec.scenario, changes, point, rep, run_seed(spec.seed, point, rep),
                     spec.paired, spec.save)
             for point, changes in enumerate(points) for rep in range(spec.replicates)]
    return points, tasks


def _prepare_out(out: Path, spec: SweepSpec, tasks, points, *, resume: bool) -> None:
    manifest_path = out / "sweep.json"
    fresh = sweep_manifest(spec, tasks, points)
    if out.exists() and any(out.iterdir()):
        if not resume:
            raise SweepError(f"--out {out} is not empty: use --resume to continue the sweep "
                             "there, or choose another --out")
        if manifest_path.is_file():
            old = json.loads(manifest_path.read_text(encoding="utf-8"))
            if old.get("fingerprint") != fresh["fingerprint"]:
                raise SweepError(f"{out} holds a different sweep ({old.get('name')!r}, "
                                 f"{old.get('n_runs')} runs): the sweep file or the code's "
                                 "parameters changed; use another --out")
            for leftover in (out / "tables").glob(".*"):
                shutil.rmtree(leftover, ignore_errors=True)
            return
    out.mkdir(parents=True, exist_ok=True)
    (out / "runs").mkdir(exist_ok=True)
    if spec.text:
        write_atomic(out / "sweep.toml", spec.text)
    import pandas as pd

    table = pd.DataFrame([{"point": k, **changes} for k, changes in enumerate(points)])
    _write_frame_atomic(table, out / "points.csv")
    write_atomic(manifest_path, json.dumps(fresh, indent=2, default=str) + "\n")


# --- combining -----------------------------------------------------------------------------
def runs_table(records, names: list[str]):
    """One row per run, sorted by point and replicate: point, replicate, seed, params, measures."""
    import pandas as pd

    records = sorted(records, key=lambda r: (r["point"], r["replicate"]))
    rows = [{"point": r["point"], "replicate": r["replicate"], "seed": r["seed"],
             **{n: r["params"].get(n) for n in names}, **r["measures"]} for r in records]
    return pd.DataFrame(rows)


def summary_table(runs, names: list[str], *, confidence: float = 0.95):
    """Per design point and measure: runs, mean, sd and a t-based confidence interval.

    The interval is ``mean +- t(1 - alpha/2, n - 1) * sd / sqrt(n)`` over the ``n`` replicates
    with a value (missing values, e.g. no delisted episode, are left out); with one replicate it
    is empty.
    """
    import numpy as np
    import pandas as pd
    from scipy import stats

    fixed = ["point", "replicate", "seed", *names]
    measures = [c for c in runs.columns if c not in fixed
                and pd.api.types.is_numeric_dtype(runs[c])]
    long = runs.melt(id_vars=["point", *names], value_vars=measures, var_name="measure")
    long["measure"] = pd.Categorical(long["measure"], categories=measures, ordered=True)
    grouped = long.groupby(["point", "measure"], observed=True, sort=True)["value"]
    out = grouped.agg(n="count", mean="mean", sd="std").reset_index()
    params = runs.groupby("point")[names].first().reset_index() if names else None
    tcrit = stats.t.ppf(0.5 + confidence / 2, np.maximum(out["n"] - 1, 1))
    half = np.where(out["n"] > 1, tcrit * out["sd"] / np.sqrt(out["n"].clip(lower=1)), np.nan)
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    out["measure"] = out["measure"].astype(str)
    if params is not None:
        out = params.merge(out, on="point", how="right")
    return out[["point", *names, "measure", "n", "mean", "sd", "ci_low", "ci_high"]]


def combine(out: Path, names: list[str]) -> tuple:
    """Write ``runs.csv``, ``runs.parquet`` and ``summary.csv`` from the run records."""
    runs = runs_table(finished_runs(out).values(), names)
    summary = summary_table(runs, names)
    _write_frame_atomic(runs, out / "runs.csv")
    _write_frame_atomic(runs, out / "runs.parquet")
    _write_frame_atomic(summary, out / "summary.csv")
    return runs, summary


# --- running ------------------------------------------------------------------------------
@dataclass
class SweepResult:
    """A finished sweep: its folder and tables."""

    out: Path
    spec: SweepSpec
    runs: Any
    summary: Any
    ran: int
    skipped: int
    elapsed_s: float

    @property
    def runs_per_second(self) -> float:
        """Runs finished by this call per second of wall time."""
        return self.ran / self.elapsed_s if self.elapsed_s > 0 else math.nan


def run_sweep(spec: SweepSpec | str | Path, out: str | Path | None = None, *, workers: int = 1,
              scheduler: str | None = None, client=None, resume: bool = False,
              progress: bool = True) -> SweepResult:
    """Run a sweep, writing each run's record as it finishes, then the combined tables.

    Args:
        spec: A :class:`SweepSpec` or the path of a sweep file.
        out: Output folder (default ``results/sweep-<name>-<UTC time>``).
        workers: Local worker processes (1 runs in this process).
        scheduler: Address of a Dask scheduler (``tcp://host:8786``); overrides ``workers``.
        client: An existing ``distributed.Client`` (overrides ``scheduler`` and ``workers``).
        resume: Continue a sweep in a non-empty ``out``: finished runs are kept, the others run.
        progress: Show a progress bar (runs done/total, ETA) on stderr.

    Raises:
        SweepError: Bad sweep file, non-empty ``out`` without ``resume``, ``out`` holding
            another sweep, or an unreachable scheduler.
    """
    if not isinstance(spec, SweepSpec):
        spec = load_sweep(spec)
    if workers < 1:
        raise SweepError(f"--workers = {workers} must be at least 1")
    if out is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        out = Path("results") / f"sweep-{spec.name}-{stamp}"
    out = Path(out)
    points, tasks = plan(spec)
    _prepare_out(out, spec, tasks, points, resume=resume)
    done = finished_runs(out)
    pending = [t for t in tasks if t.key not in done]
    start = time.perf_counter()
    bar = _progress(len(tasks), len(tasks) - len(pending), spec.name, enabled=progress)

    def finished(record: dict, tables: dict | None) -> None:
        key = f"p{record['point']:06d}-r{record['replicate']:04d}"
        if tables:
            _save_tables(out, key, tables)
        write_atomic(out / "runs" / f"{key}.json", json.dumps(record, indent=1) + "\n")
        bar.update(1)

    try:
        if pending:
            if client is not None or scheduler is not None:
                prefix = "spiral-" + _fingerprint(spec, tasks)[:16]
                _run_dask(pending, finished, client=client, scheduler=scheduler, prefix=prefix)
            elif workers == 1:
                for task in pending:
                    finished(*execute_run(task))
            else:
                _run_pool(pending, finished, workers)
    finally:
        bar.close()
    elapsed = time.perf_counter() - start
    runs, summary = combine(out, spec.names)
    _finish_manifest(out, ran=len(pending), elapsed=elapsed)
    return SweepResult(out, spec, runs, summary, len(pending), len(tasks) - len(pending), elapsed)


def _finish_manifest(out: Path, *, ran: int, elapsed: float) -> None:
    path = out / "sweep.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    sessions = manifest.setdefault("sessions", [])
    sessions.append({"finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
                     "runs": ran, "elapsed_s": round(elapsed, 3),
                     "runs_per_second": round(ran / elapsed, 4) if elapsed > 0 else None})
    manifest["complete"] = True
    write_atomic(path, json.dumps(manifest, indent=2, default=str) + "\n")


def _progress(total: int, initial: int, name: str, *, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=f"sweep {name}", unit="run",
                file=sys.stderr, disable=not enabled, dynamic_ncols=True)


def _run_pool(tasks: list[RunTask], finished, workers: int) -> None:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        queue = iter(tasks)
        running = set()
        try:
            for task in queue:  # keep a bounded number of runs in flight
                running.add(pool.submit(execute_run, task))
                if len(running) >= 2 * workers:
                    break
            while running:
                ready, running = wait(running, return_when=FIRST_COMPLETED)
                for future in ready:
                    finished(*future.result())
                    task = next(queue, None)
                    if task is not None:
                        running.add(pool.submit(execute_run, task))
        except BaseException:
            for future in running:
                future.cancel()
            raise


def _run_dask(tasks: list[RunTask], finished, *, client=None, scheduler=None,
              prefix: str = "spiral-run") -> None:
    from distributed import Client, as_completed

    own = client is None
    if own:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise SweepError(f"--scheduler {scheduler}: cannot reach a Dask scheduler there "
                             f"({exc})") from None
    try:
        futures = [client.submit(execute_run, task, key=f"{prefix}-{task.key}",
                                 pure=False) for task in tasks]
        for future in as_completed(futures):
            try:
                record, tables = future.result()
            except ModuleNotFoundError as exc:
                raise RuntimeError(f"a Dask worker cannot import {exc.name!r}: install the "
                                   "project in the workers' environment (pip install -e .)"
                                   ) from exc
            finished(record, tables)
            future.release()
    finally:
        if own:
            client.close()


# --- command line -------------------------------------------------------------------------------
def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``spiral sweep``."""
    parser.add_argument("file", type=Path, help="sweep file (.toml); see docs/sweeps.md")
    parser.add_argument("--out", type=Path, help="output folder (default: "
                        "results/sweep-<name>-<time>)")
    parser.add_argument("--workers", type=int, default=1,
                        help="local worker processes (default 1)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786")
    parser.add_argument("--resume", action="store_true",
                        help="continue the sweep in --out: keep finished runs, run the rest")
    parser.add_argument("--save", default="", metavar="TABLES",
                        help="also keep per-run tables, comma-separated: "
                        f"{', '.join(TABLES)} (large)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def main(args) -> int:
    """Run ``spiral sweep``."""
    spec = load_sweep(args.file)
    if args.save:
        extra = [s.strip() for s in args.save.split(",") if s.strip()]
        bad = [s for s in extra if s not in TABLES]
        if bad:
            raise SweepError(f"--save {bad[0]!r} is not a table; expected {', '.join(TABLES)}")
        from dataclasses import replace

        spec = replace(spec, save=tuple(dict.fromkeys([*spec.save, *extra])))
    n_points = len(check_points(spec))
    where = "Dask " + args.scheduler if args.scheduler else f"{args.workers} worker(s)"
    print(f"spiral sweep: {spec.name}, {spec.design} design, {n_points} points x "
          f"{spec.replicates} replicates = {n_points * spec.replicates} runs, {where}",
          file=sys.stderr)
    result = run_sweep(spec, args.out, workers=args.workers, scheduler=args.scheduler,
                       resume=args.resume, progress=not args.quiet)
    print(f"results: {result.out}")
    rate = f"; {result.runs_per_second:.2f} runs/s" if result.ran else ""
    print(f"runs: {len(result.runs)} ({result.ran} run now, {result.skipped} already done)"
          f"{rate}")
    _print_headline(result)
    return 0


def _print_headline(result: SweepResult) -> None:
    summary = result.summary
    headline = [m for m in result.spec.show if m in set(summary["measure"])]
    if not headline or len(result.runs["point"].unique()) > 40:
        return
    table = summary[summary["measure"].isin(headline)]
    wide = table.pivot(index=["point", *result.spec.names], columns="measure", values="mean")
    print("means over replicates (95% intervals in summary.csv):")
    print(wide[headline].round(3).to_string())
