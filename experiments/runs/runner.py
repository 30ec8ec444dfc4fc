"""Running a scenario: its variants side by side, replicates, and the measures.

:func:`run` is the one-call entry point: it takes a scenario (a bundled name, a file or a
:class:`~spiral.experiments.runs.scenario.Scenario`), runs its variants (same seed, network,
listings and keyed random draws; see :mod:`spiral.experiments.runs.scenario`) for each
replicate, computes the measures and, if asked, writes the results folder and the charts::

    from spiral.experiments import run

    runs = run("zhima-spiral", seed=1, replicates=5, out="results/my-run")
    print(runs.summary.query("measure == 'score_loss_12m'"))

:func:`run_scenario` runs one replicate's variants and :func:`simulate` one variant; the
results folder is written by :func:`spiral.experiments.runs.results.write_results`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from spiral.experiments.measures.summary import summarise_run
from spiral.experiments.runs.scenario import DEFAULT_SCENARIO, Scenario, load_scenario
from spiral.model.engine import ArrayEngine
from spiral.model.errors import InputError
from spiral.model.networks import build_edges
from spiral.model.records import RunData, widened
from spiral.model.streams import make_streams

DRIVERS = ("engine", "mesa")
# moved to spiral.experiments.runs.results; still importable from here
_MOVED = {"write_results": "write_results", "manifest": "manifest",
          "default_out_dir": "default_run_dir"}


@dataclass
class RunResult:
    """A finished run: every variant's tables, the measures and timings.

    Attributes:
        scenario: The scenario run (its variants, main and baseline variant).
        seed: The run's seed.
        variants: Variant name -> its tables, in the order run.
        summary: Flat ``MEASURE__LABEL`` measures (:mod:`spiral.experiments.measures`).
        timings: Seconds per step.
        driver: ``engine`` or ``mesa``.
        out: The results folder, if one was written.
        replicate: The replicate number (0: the run of the given seed).
        network: The realised network (citizens, ties, mean degree, generator, file).
    """

    scenario: Scenario
    seed: int
    variants: dict[str, RunData]
    summary: dict
    timings: dict = field(default_factory=dict)
    driver: str = "engine"
    out: Path | None = None
    replicate: int = 0
    network: dict = field(default_factory=dict)

    @property
    def data(self) -> RunData:
        """The main variant's tables."""
        return self.variants[self.scenario.main_variant]

    @property
    def data_cf(self) -> RunData | None:
        """The baseline variant's tables (None if it was not run)."""
        base = self.scenario.baseline_variant
        return self.variants.get(base) if base != self.scenario.main_variant else None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tidy tables of every variant, stacked with a ``variant`` column.

        In the canonical dtypes, as written to the results files.
        """
        out = {}
        for name in ("timeseries", "episodes", "events", "citizens", "tracked"):
            parts = [labelled(frame, variant) for variant, frame in self.variant_tables(name)]
            # empty parts (the unlisted twin's episodes, untracked variants) add no rows, and
            # their untyped columns would turn every column into objects
            parts = [p for p in parts if len(p)] or parts[:1]
            out[name] = widened(pd.concat(parts, ignore_index=True))
        out["initial_ties"] = widened(self.data.initial_ties)
        return out

    def variant_tables(self, name: str):
        """(variant, table ``name``) for each variant that was run (compact dtypes)."""
        for variant, data in self.variants.items():
            yield variant, getattr(data, name)


def labelled(frame: pd.DataFrame, variant: str | None, replicate: int | None = None
             ) -> pd.DataFrame:
    """``frame`` with leading ``replicate`` and ``variant`` columns (where given), not copied."""
    if variant is None and replicate is None:
        return frame
    frame = frame.copy(deep=False)
    if variant is not None:
        frame.insert(0, "variant", variant)
    if replicate is not None:
        frame.insert(0, "replicate", replicate)
    return frame


def simulate(params, *, seed: int, network, listings=(), driver: str = "engine",
             progress=None, track=(), collect: bool = True) -> RunData:
    """Run one variant to the end and return its tables.

    ``collect=False`` skips the per-month model measures (the timeseries keeps the first and
    last month), for sweeps that need only the headline measures; the Mesa driver always
    collects.

    Raises:
        InputError: An unknown driver.
    """
    if driver not in DRIVERS:
        raise InputError(f"driver = {driver!r} is not valid: expected one of "
                         f"{', '.join(DRIVERS)}")
    if driver == "mesa":
        from spiral.agents.spiral_model import SpiralModel

        model = SpiralModel(params, rng=seed, network=network, listings=listings, track=track,
                            agent_data=False)
        for k in range(params.ticks):
            model.step()
            if progress:
                progress(k + 1, params.ticks)
        return model.data()
    engine = ArrayEngine(params, seed=seed, network=network, listings=listings, track=track,
                         collect=collect)
    engine.run(progress=progress)
    return engine.data()


def simulate_batch(params, *, seeds, networks, listings=(), tracks=None,
                   collect: bool = True) -> list[RunData]:
    """Run one variant for several seeds as one batched engine; each seed's tables.

    The same tables as :func:`simulate` for each seed (:class:`~spiral.model.batch.BatchEngine`).
    """
    from spiral.model.batch import BatchEngine

    engine = BatchEngine(params, seeds=seeds, networks=networks, listings=listings,
                         tracks=tracks, collect=collect)
    engine.run()
    return engine.data()


def run_scenario(scenario: Scenario, *, seed: int | None = None, paired: bool = True,
                 driver: str = "engine", variant_progress=None, track=(), collect: bool = True,
                 network=None, replicate: int = 0, seeds=None) -> RunResult | list[RunResult]:
    """Run a scenario's variants on one network with one seed; compute the measures.

    With ``seeds`` (a list), the runs of those seeds are made at once, as one batched array
    engine per variant, and a list of results is returned, one per seed, each equal to the
    run of that seed alone table for table (:mod:`spiral.model.batch`); small towns run
    several times faster this way. Their timings are each run's share of the batch and their
    replicate numbers count on from ``replicate``.

    Variants with listings run first (they share the same listings: the court's draws are
    keyed and do not depend on scores or ties); the ``unlisted`` twin then follows the
    citizens those listings touched (its ``tracked`` table), so losses can be read against it.

    Args:
        scenario: The scenario (parameters, listings, variants).
        seed: The run's seed (default: the scenario's).
        paired: Run every variant (False: the main variant only).
        driver: ``"engine"`` (array engine) or ``"mesa"`` (Mesa agents, synchronous).
        variant_progress: Optional callback ``variant_progress(variant, done, total)`` (months
            done of each variant; :func:`simulate` and the engine take ``progress(done,
            total)``).
        track: Citizens whose month-by-month state goes to the ``tracked`` table.
        collect: Collect the model-level measures every month (False: first and last only).
        network: A prebuilt network (EdgeArrays), e.g. one shared by replicates.
        replicate: The replicate number recorded with the result.
        seeds: Several seeds, run together (array engine only; ``seed`` is then ignored).
    """
    if driver not in DRIVERS:
        raise InputError(f"driver = {driver!r} is not valid: expected one of "
                         f"{', '.join(DRIVERS)}")
    if seeds is not None:
        if driver != "engine":
            raise InputError("seeds (a batch of runs) needs driver = 'engine'")
        return _run_batch(scenario, [int(s) for s in seeds], paired=paired, collect=collect,
                          track=track, network=network, first_replicate=replicate)
    seed = scenario.seed if seed is None else int(seed)

    def one(params, networks, listings, follows, label):
        progress = ((lambda d, n: variant_progress(label, d, n)) if variant_progress else None)
        return [simulate(params, seed=seed, network=networks[0], listings=listings,
                         driver=driver, track=follows[0], collect=collect, progress=progress)]

    return _run_variants(scenario, [seed], one, paired=paired, track=track, network=network,
                         replicates=[replicate], driver=driver)[0]


def _run_batch(scenario: Scenario, seeds: list[int], *, paired: bool, collect: bool, track,
               network, first_replicate: int) -> list[RunResult]:
    """:func:`run_scenario` for several seeds: one batched engine per variant."""

    def batch(params, networks, listings, follows, label):
        return simulate_batch(params, seeds=seeds, networks=networks, listings=listings,
                              tracks=follows, collect=collect)

    return _run_variants(scenario, seeds, batch, paired=paired, track=track, network=network,
                         replicates=[first_replicate + k for k in range(len(seeds))],
                         driver="engine")


def _run_variants(scenario: Scenario, seeds: list[int], simulate_all, *, paired: bool, track,
                  network, replicates: list[int], driver: str) -> list[RunResult]:
    """The variants of the runs of ``seeds`` (``simulate_all`` runs one variant for all)."""
    k = len(seeds)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    networks = [network if network is not None
                else build_edges(scenario.params, make_streams(seed)["network"])
                for seed in seeds]
    timings["build_network_s"] = (time.perf_counter() - t0) / k
    chosen = scenario.variants if paired else (scenario.variant(scenario.main_variant),)
    ordered = [v for v in chosen if v.listings] + [v for v in chosen if not v.listings]
    results: list[dict[str, RunData]] = [{} for _ in seeds]
    shared: list = [None] * k
    for variant in ordered:
        follows = []
        for run in range(k):
            follow = tuple(track)
            if not variant.listings and results[run]:
                first = next(iter(results[run].values()))
                follow = tuple(sorted({*map(int, track), *map(int, first.episodes["citizen"])}))
            follows.append(follow)
        t0 = time.perf_counter()
        datas = simulate_all(variant.params(scenario.params), networks,
                             scenario.listings if variant.listings else (), follows, variant.name)
        for run, data in enumerate(datas):
            if shared[run] is None:
                shared[run] = data.initial_ties
            else:
                data.initial_ties = shared[run]  # the same network: keep one copy
            results[run][variant.name] = data
        timings[f"{variant.name}_s"] = (time.perf_counter() - t0) / k
    out = []
    for run, seed in enumerate(seeds):
        variants = {v.name: results[run][v.name] for v in chosen}  # in the scenario's order
        t0 = time.perf_counter()
        summary = summarise_run(variants, main=scenario.main_variant,
                                baseline=scenario.baseline_variant if paired else None)
        out.append(RunResult(scenario, seed, variants, summary,
                             {**timings, "measures_s": time.perf_counter() - t0}, driver,
                             replicate=replicates[run], network=networks[run].describe()))
    return out


def run(scenario: str | Path | Scenario = DEFAULT_SCENARIO, *, seed: int | None = None,
        changes: dict[str, Any] | None = None, replicates: int = 1, workers: int = 1,
        fixed_network: bool = False, variants=None, out: str | Path | None = None,
        charts: bool = False, figures: bool = True, overwrite: bool = False,
        driver: str = "engine", track=()):
    """Run a scenario's variants (with replicates); optionally write results and charts.

    Args:
        scenario: A bundled scenario's name, the path of a scenario file, or a
            :class:`~spiral.experiments.runs.scenario.Scenario`.
        seed: Seed of replicate 0 (default: the scenario's).
        changes: Parameter changes, e.g. ``{"fear_mean": 0.8}`` (validated).
        replicates: Number of replicates (replicate k uses the seed derived from (seed, k)).
        workers: Local worker processes for the replicates (results do not depend on it).
        fixed_network: All replicates on the network of replicate 0.
        variants: Names of the variants to run (default: all of the scenario's).
        out: Write the results folder here (see :mod:`spiral.experiments.runs.results`).
        charts: Also draw the newsroom charts into ``OUT/charts`` (writes the results folder,
            by default ``results/<scenario>-seed<seed>-<UTC time>``).
        figures: Draw the spiral figure in the results folder.
        overwrite: Replace a previous run's results in ``out`` (only the files it wrote).
        driver: ``"engine"`` (array engine) or ``"mesa"`` (Mesa agents, synchronous).
        track: Citizens followed month by month (the ``tracked`` table).

    Returns:
        A :class:`~spiral.experiments.runs.replicates.RunSet`: ``.summary`` (measures over
        replicates, with intervals), ``.results`` (one RunResult per replicate), ``.out``.

    Raises:
        InputError: An unknown scenario or variant, a bad parameter value, seed or replicate
            count, or an ``out`` folder that may not be written (checked before running).
    """
    from spiral.experiments.common.outputs import check_target
    from spiral.experiments.runs.replicates import run_replicates
    from spiral.experiments.runs.results import KIND, default_run_dir, write_results

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if changes:
        scenario = scenario.with_changes(**changes)
    if variants is not None:
        scenario = scenario.with_variants(variants)
    seed = scenario.seed if seed is None else seed
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise InputError(f"seed = {seed!r} must be a whole number from 0 to 2**63 - 1")
    if driver not in DRIVERS:
        raise InputError(f"driver = {driver!r} is not valid: expected one of "
                         f"{', '.join(DRIVERS)}")
    from spiral.model.initial import listings_by_tick

    listings_by_tick(scenario.listings, 2**62, ticks=scenario.params.ticks)  # months only
    if out is None and charts:
        out = default_run_dir(scenario, seed)
    if out is not None:
        check_target(out, KIND, overwrite=overwrite)  # refuse before spending the run's time
    runs = run_replicates(scenario, seed=seed, replicates=replicates, workers=workers,
                          fixed_network=fixed_network, driver=driver, track=track)
    if out is not None:
        runs.out = write_results(runs, out, figures=figures, overwrite=overwrite,
                                 charts=charts)
    return runs


def __getattr__(name: str):
    """Names that moved to :mod:`spiral.experiments.runs.results` (PEP 562)."""
    if name in _MOVED:
        from spiral.experiments.runs import results

        return getattr(results, _MOVED[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
