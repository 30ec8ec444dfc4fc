"""Running a scenario: the model run, its paired counterfactual, measures and the results folder.

:func:`run_scenario` runs a scenario with the array engine (or the Mesa driver), runs the paired
counterfactual (same seed, same network, same listings and deeds; the network feedback
switched off), computes the headline measures and, if asked, writes a results folder::

    DIR/manifest.json     parameters, seed, versions, git commit, timings
    DIR/timeseries.csv    one row per variant and month (model-level series)
    DIR/listed.csv        one row per variant, listing episode and month
    DIR/events.csv        listings, delistings, tie cuts, rewires
    DIR/citizens.csv      one row per variant and citizen at the end (CSV up to 200,000 citizens)
    DIR/initial_ties.csv  the starting network, one row per tie (CSV up to 200,000 citizens)
                          (any table over 1,000,000 rows is written as Parquet only)
    DIR/tracked.csv       opt-in: chosen citizens month by month
    DIR/*.parquet         the same tables as Parquet
    DIR/summary.json      headline spiral measures
    DIR/figures/spiral.png, .svg, .csv   the spiral figure and the numbers behind it

The folder is written under a temporary name and renamed when complete, so a failed run never
leaves a half-written folder behind.

The tables are held in the compact dtypes of :mod:`spiral.model.records` and written in the
canonical ones (int64, float64: :func:`spiral.model.records.widened`), a slice of rows at a
time, so the files are the same whatever the in-memory dtypes and writing never holds a
widened copy of a large table. Both variants share one ``initial_ties`` table (the paired run
starts from the same network).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd
from spiral.experiments.measures.headline import summarise
from spiral.experiments.runs.scenario import Scenario
from spiral.model.engine import ArrayEngine
from spiral.model.networks import build_edges
from spiral.model.records import RunData, widened
from spiral.model.streams import make_streams

FORMAT_VERSION = 1
CSV_CITIZEN_LIMIT = 200_000
CSV_ROW_LIMIT = 1_000_000  # larger tables are written as Parquet only
WRITE_ROWS = 500_000  # rows converted and written at a time
VARIANTS = ("feedback", "counterfactual")
PACKAGES = ("blacklist-spiral", "mesa", "numpy", "scipy", "networkx", "pandas", "matplotlib",
            "pyarrow")


@dataclass
class RunResult:
    """A finished run: its tables, the paired run's tables, measures and timings."""

    scenario: Scenario
    seed: int
    data: RunData
    data_cf: RunData | None
    summary: dict
    timings: dict = field(default_factory=dict)
    driver: str = "engine"

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tidy tables of both variants, stacked with a ``variant`` column.

        In the canonical dtypes, as written to the results files.
        """
        out = {name: widened(pd.concat([_labelled(frame, variant)
                                        for variant, frame in self.variant_tables(name)],
                                       ignore_index=True))
               for name in ("timeseries", "listed", "events", "citizens", "tracked")}
        out["initial_ties"] = widened(self.data.initial_ties)
        return out

    def variant_tables(self, name: str):
        """(variant, table ``name``) for each variant that was run (compact dtypes)."""
        for variant, data in zip(VARIANTS, (self.data, self.data_cf), strict=True):
            if data is not None:
                yield variant, getattr(data, name)


def _labelled(frame: pd.DataFrame, variant: str | None) -> pd.DataFrame:
    """``frame`` with a leading ``variant`` column (none if ``variant`` is None), not copied."""
    if variant is None:
        return frame
    frame = frame.copy(deep=False)
    frame.insert(0, "variant", variant)
    return frame


def simulate(params, *, seed: int, network, listings=(), driver: str = "engine",
             progress=None, track=(), collect: bool = True) -> RunData:
    """Run one variant to the end and return its tables.

    ``collect=False`` skips the per-month model measures (the timeseries keeps the first and
    last month), for sweeps that need only the headline measures; the Mesa driver always
    collects.
    """
    if driver == "mesa":
        from spiral.agents.spiral_model import SpiralModel

        model = SpiralModel(params, rng=seed, network=network, listings=listings, track=track)
        for k in range(params.ticks):
            model.step()
            if progress:
                progress(k + 1, params.ticks)
        return model.data()
    engine = ArrayEngine(params, seed=seed, network=network, listings=listings, track=track,
                         collect=collect)
    engine.run(progress=progress)
    return engine.data()


def run_scenario(scenario: Scenario, *, seed: int | None = None, paired: bool = True,
                 driver: str = "engine", progress=None, track=(), collect: bool = True
                 ) -> RunResult:
    """Run a scenario and (by default) its paired counterfactual; compute the measures.

    Args:
        scenario: The scenario (parameters, listings, counterfactual changes).
        seed: The run's seed (default: the scenario's).
        paired: Also run the counterfactual with the network feedback switched off.
        driver: ``"engine"`` (array engine) or ``"mesa"`` (Mesa agents, synchronous).
        progress: Optional callback ``progress(label, done, total)``.
        track: Citizens whose month-by-month state goes to the ``tracked`` table.
        collect: Collect the model-level measures every month (False: first and last only).
    """
    seed = scenario.seed if seed is None else int(seed)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    network = build_edges(scenario.params, make_streams(seed)["network"])
    timings["network_s"] = time.perf_counter() - t0

    def report(label):
        return (lambda done, total: progress(label, done, total)) if progress else None

    t0 = time.perf_counter()
    data = simulate(scenario.params, seed=seed, network=network, listings=scenario.listings,
                    driver=driver, progress=report("feedback"), track=track, collect=collect)
    timings["feedback_s"] = time.perf_counter() - t0
    data_cf = None
    if paired:
        t0 = time.perf_counter()
        data_cf = simulate(scenario.counterfactual_params(), seed=seed, network=network,
                           listings=scenario.listings, driver=driver,
                           progress=report("counterfactual"), track=track, collect=collect)
        data_cf.initial_ties = data.initial_ties  # the same network: keep one copy
        timings["counterfactual_s"] = time.perf_counter() - t0
    del network
    t0 = time.perf_counter()
    summary = summarise(data, data_cf)
    timings["measures_s"] = time.perf_counter() - t0
    return RunResult(scenario, seed, data, data_cf, summary, timings, driver)


# --- writing ------------------------------------------------------------------------------
def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that shape the results."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit() -> str | None:
    """The project's git commit, if the code runs from a git checkout."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    if out.returncode or not commit:
        return None
    dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain"],
                           capture_output=True, text=True, timeout=5, check=False).stdout.strip()
    return commit + ("-dirty" if dirty else "")


def manifest(result: RunResult) -> dict:
    """The run's manifest: what was run, with what, and how long it took."""
    sc = result.scenario
    return {
        "format_version": FORMAT_VERSION,
        "scenario": sc.name,
        "description": sc.description,
        "scenario_file": str(sc.path) if sc.path else None,
        "seed": result.seed,
        "driver": result.driver,
        "params": sc.params.to_dict(),
        "counterfactual_changes": sc.counterfactual if result.data_cf is not None else None,
        "scripted_listings": [vars(item) for item in sc.listings],
        "versions": package_versions(),
        "git_commit": git_commit(),
        "command": sys.argv,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "timings_s": {k: round(v, 3) for k, v in result.timings.items()},
    }


def write_results(result: RunResult, out: str | Path, *, figures: bool = True) -> Path:
    """Write the results folder atomically (temporary folder, then rename)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        t0 = time.perf_counter()
        n = len(result.data.citizens)
        for name in ("timeseries", "listed", "events", "citizens", "tracked", "initial_ties"):
            if name == "initial_ties":
                frames = [(None, result.data.initial_ties)]
            else:
                frames = list(result.variant_tables(name))
            rows = sum(len(f) for _, f in frames)
            if name == "tracked" and rows == 0:
                continue
            csv = rows <= CSV_ROW_LIMIT and (name not in ("citizens", "initial_ties")
                                             or n <= CSV_CITIZEN_LIMIT)
            _write_table(frames, tmp / name, csv=csv)
        (tmp / "summary.json").write_text(json.dumps(result.summary, indent=2) + "\n")
        if figures:
            from spiral.experiments.charts.run_figure import spiral_figure

            spiral_figure(dict(result.variant_tables("listed")), tmp / "figures" / "spiral",
                          title_note=f"{result.scenario.name}, seed {result.seed}")
        result.timings["write_s"] = time.perf_counter() - t0
        (tmp / "manifest.json").write_text(json.dumps(manifest(result), indent=2) + "\n")
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _write_table(frames: list[tuple[str | None, pd.DataFrame]], stem: Path, *,
                 csv: bool) -> None:
    """Write one table from its per-variant parts, a slice of rows at a time.

    Parquet row groups and CSV appended; each slice is labelled with its variant and widened
    to the canonical dtypes, so writing never holds a second copy of a large table.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    variant, frame = frames[0]
    # the schema depends only on the dtypes, except for object columns (inferred from values)
    sample = frame if any(dtype.kind == "O" and not isinstance(dtype, pd.StringDtype)
                          for dtype in frame.dtypes) else frame.iloc[:0]
    schema = pa.Schema.from_pandas(widened(_labelled(sample, variant)), preserve_index=False)
    first = True
    with pq.ParquetWriter(stem.with_suffix(".parquet"), schema) as writer:
        for variant, frame in frames:
            for start in range(0, max(len(frame), 1), WRITE_ROWS):
                part = widened(_labelled(frame.iloc[start:start + WRITE_ROWS], variant))
                writer.write_table(pa.Table.from_pandas(part, schema=schema,
                                                        preserve_index=False))
                if csv:
                    part.to_csv(stem.with_suffix(".csv"), index=False,
                                mode="w" if first else "a", header=first)
                first = False


def default_out_dir(scenario: Scenario, seed: int) -> Path:
    """``results/<scenario>-seed<seed>-<UTC time>``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return Path("results") / f"{scenario.name}-seed{seed}-{stamp}"
