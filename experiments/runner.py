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
    DIR/tracked.csv       opt-in: chosen citizens month by month
    DIR/*.parquet         the same tables as Parquet
    DIR/summary.json      headline spiral measures
    DIR/figures/spiral.png, .svg, .csv   the spiral figure and the numbers behind it

The folder is written under a temporary name and renamed when complete, so a failed run never
leaves a half-written folder behind.
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

from spiral.experiments.measures import summarise
from spiral.experiments.scenario import Scenario
from spiral.model.engine import ArrayEngine
from spiral.model.networks import build_edges
from spiral.model.records import RunData
from spiral.model.streams import make_streams

FORMAT_VERSION = 1
CSV_CITIZEN_LIMIT = 200_000
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
        """The tidy tables of both variants, stacked with a ``variant`` column."""
        out = {}
        for name in ("timeseries", "listed", "events", "citizens", "tracked"):
            frames = []
            for variant, data in zip(VARIANTS, (self.data, self.data_cf), strict=True):
                if data is not None:
                    frame = getattr(data, name).copy()
                    frame.insert(0, "variant", variant)
                    frames.append(frame)
            out[name] = pd.concat(frames, ignore_index=True)
        out["initial_ties"] = self.data.initial_ties
        return out


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
        timings["counterfactual_s"] = time.perf_counter() - t0
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
    root = Path(__file__).resolve().parents[1]
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
        tables = result.tables()
        n = len(result.data.citizens)
        for name, frame in tables.items():
            if name == "tracked" and frame.empty:
                continue
            if name not in ("citizens", "initial_ties") or n <= CSV_CITIZEN_LIMIT:
                frame.to_csv(tmp / f"{name}.csv", index=False)
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
        (tmp / "summary.json").write_text(json.dumps(result.summary, indent=2) + "\n")
        if figures:
            from spiral.experiments.figures import spiral_figure

            spiral_figure(tables["listed"], tmp / "figures" / "spiral",
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


def default_out_dir(scenario: Scenario, seed: int) -> Path:
    """``results/<scenario>-seed<seed>-<UTC time>``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return Path("results") / f"{scenario.name}-seed{seed}-{stamp}"
