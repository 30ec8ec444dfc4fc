"""Running a scenario: the model run, its paired counterfactual and the headline measures.

:func:`run` is the one-call entry point: it takes a scenario (a bundled name, a file or a
:class:`~spiral.experiments.runs.scenario.Scenario`), runs it with its paired counterfactual
(same seed, same network, same listings and deeds; the network feedback switched off),
computes the headline measures and, if asked, writes the results folder and the charts::

    from spiral.experiments import run

    result = run("zhima-spiral", seed=1, out="results/my-run", charts=True)
    print(result.summary["score_loss_12m"])

:func:`run_scenario` does the running alone and :func:`simulate` runs one variant; the results
folder is written by :func:`spiral.experiments.runs.results.write_results`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from spiral.experiments.measures import summarise
from spiral.experiments.runs.scenario import DEFAULT_SCENARIO, Scenario, load_scenario
from spiral.model.engine import ArrayEngine
from spiral.model.errors import InputError
from spiral.model.networks import build_edges
from spiral.model.records import RunData, widened
from spiral.model.streams import make_streams

VARIANTS = ("feedback", "counterfactual")
DRIVERS = ("engine", "mesa")
# moved to spiral.experiments.runs.results; still importable from here
_MOVED = {"write_results": "write_results", "manifest": "manifest",
          "default_out_dir": "default_run_dir"}


@dataclass
class RunResult:
    """A finished run: its tables, the paired run's tables, measures and timings.

    ``out`` is the results folder, if one was written.
    """

    scenario: Scenario
    seed: int
    data: RunData
    data_cf: RunData | None
    summary: dict
    timings: dict = field(default_factory=dict)
    driver: str = "engine"
    out: Path | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tidy tables of both variants, stacked with a ``variant`` column.

        In the canonical dtypes, as written to the results files.
        """
        out = {name: widened(pd.concat([labelled(frame, variant)
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


def labelled(frame: pd.DataFrame, variant: str | None) -> pd.DataFrame:
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


def run(scenario: str | Path | Scenario = DEFAULT_SCENARIO, *, seed: int | None = None,
        changes: dict[str, Any] | None = None, out: str | Path | None = None,
        charts: bool = False, figures: bool = True, overwrite: bool = False,
        driver: str = "engine", paired: bool = True, progress=None) -> RunResult:
    """Run a scenario with its paired counterfactual; optionally write results and charts.

    Args:
        scenario: A bundled scenario's name, the path of a scenario file, or a
            :class:`~spiral.experiments.runs.scenario.Scenario`.
        seed: The run's seed (default: the scenario's).
        changes: Parameter changes, e.g. ``{"fear_mean": 0.8}`` (validated).
        out: Write the results folder here (see :mod:`spiral.experiments.runs.results`).
        charts: Also draw the newsroom charts into ``OUT/charts`` (writes the results folder,
            by default ``results/<scenario>-seed<seed>-<UTC time>``).
        figures: Draw the spiral figure in the results folder.
        overwrite: Replace a previous run's results in ``out`` (only the files it wrote).
        driver: ``"engine"`` (array engine) or ``"mesa"`` (Mesa agents, synchronous).
        paired: Also run the counterfactual with the network feedback switched off.
        progress: Optional callback ``progress(label, done, total)``.

    Returns:
        The :class:`RunResult`; ``result.out`` is the results folder, if written.

    Raises:
        InputError: An unknown scenario, a bad parameter value or seed, or an ``out`` folder
            that may not be written (checked before the run starts).
    """
    from spiral.experiments.common.outputs import check_target
    from spiral.experiments.runs.results import KIND, default_run_dir, write_results

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if changes:
        scenario = scenario.with_changes(**changes)
    seed = scenario.seed if seed is None else seed
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"seed = {seed!r} must be a whole number >= 0")
    if driver not in DRIVERS:
        raise InputError(f"driver = {driver!r} must be one of {', '.join(DRIVERS)}")
    if out is None and charts:
        out = default_run_dir(scenario, seed)
    if out is not None:
        check_target(out, KIND, overwrite=overwrite)  # refuse before spending the run's time
    result = run_scenario(scenario, seed=seed, paired=paired, driver=driver, progress=progress)
    if out is not None:
        result.out = write_results(result, out, figures=figures, overwrite=overwrite,
                                   charts=charts)
    return result


def __getattr__(name: str):
    """Names that moved to :mod:`spiral.experiments.runs.results` (PEP 562)."""
    if name in _MOVED:
        from spiral.experiments.runs import results

        return getattr(results, _MOVED[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
