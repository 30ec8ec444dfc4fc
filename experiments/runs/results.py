"""Writing a run's results folder (``spiral run``, :func:`spiral.experiments.run`).

The folder::

    DIR/manifest.json     kind "run", parameters, variants, seeds (also as text) and
                          realised networks of every replicate, versions, git, timings, files
    DIR/timeseries.csv    one row per replicate, variant and month (model-level series)
    DIR/episodes.csv        one row per replicate, variant, listing episode and month
    DIR/events.csv        listings, hearings, delistings, tie cuts, rewires, reconnections,
                          lapses and closures, by month
    DIR/citizens.csv      one row per replicate, variant and citizen at the end
    DIR/initial_ties.csv  the starting network(s), one row per tie
                          (citizens and initial_ties as CSV only up to 200,000 rows of
                          citizens; any table over 1,000,000 rows as Parquet only)
    DIR/tracked.csv       citizens followed month by month (the unlisted twin follows the
                          listed citizens)
    DIR/*.parquet         the same tables as Parquet
    DIR/summary.csv       every measure per variant and comparison, over replicates: n, mean,
                          sd, 95% t-interval (docs/measures.md says what each measure is)
    DIR/summary_by_replicate.csv   the same measures, one row per replicate
    DIR/summary.json      the per-replicate measures, with the scenario's main and baseline
    DIR/figures/spiral.png, .svg, .csv   the spiral figure and the numbers behind it
    DIR/charts/           the newsroom charts, if asked

The folder is written under a temporary name and renamed when complete
(:class:`~spiral.experiments.common.outputs.OneShotOutput`), so a failed run never leaves a
half-written folder behind. A folder that is not empty is written to only if it is a previous
run's and ``overwrite`` is set; then only the files that run recorded are replaced.

The tables are held in the compact dtypes of :mod:`spiral.model.records` and written in the
canonical ones (int64, float64: :func:`spiral.model.records.widened`), a slice of rows at a
time, so the files are the same whatever the in-memory dtypes and writing never holds a
widened copy of a large table. The variants of a replicate share one ``initial_ties`` table
(they start from the same network).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from spiral.experiments.common.manifest import base_manifest, seed_text
from spiral.experiments.common.outputs import OneShotOutput, default_out_dir

if TYPE_CHECKING:
    import pandas as pd
    from spiral.experiments.runs.replicates import RunSet
    from spiral.experiments.runs.scenario import Scenario

KIND = "run"
CSV_CITIZEN_LIMIT = 200_000
CSV_ROW_LIMIT = 1_000_000  # larger tables are written as Parquet only
WRITE_ROWS = 500_000  # rows converted and written at a time
TABLES = ("timeseries", "episodes", "events", "citizens", "tracked", "initial_ties")


def as_run_set(result) -> RunSet:
    """A :class:`RunSet` (a single :class:`RunResult` becomes a set of one)."""
    from spiral.experiments.runs.replicates import RunSet

    if isinstance(result, RunSet):
        return result
    return RunSet([result], result.seed)


def manifest(result) -> dict:
    """The run's manifest: what was run (scenario, variants, seeds, networks), with what."""
    runs = as_run_set(result)
    first = runs.results[0]
    sc = first.scenario
    timings: dict[str, float] = {}
    for r in runs.results:
        for k, v in r.timings.items():
            timings[k] = timings.get(k, 0.0) + v
    return base_manifest(
        KIND,
        scenario=sc.name,
        description=sc.description,
        scenario_file=str(sc.path) if sc.path else None,
        seed=runs.seed,
        seed_text=seed_text(runs.seed),
        replicates=[{"replicate": r.replicate, "seed": r.seed, "seed_text": seed_text(r.seed),
                     "network": r.network} for r in runs.results],
        fixed_network=runs.fixed_network,
        driver=first.driver,
        params=sc.params.to_dict(),
        variants={"main": sc.main_variant, "baseline": sc.baseline_variant,
                  "run": [{"name": v.name, "changes": v.changes, "listings": v.listings}
                          for v in sc.variants if v.name in first.variants]},
        scripted_listings=[vars(item) for item in sc.listings],
        network=first.network,
        timings_s={k: round(v, 3) for k, v in timings.items()})


def default_run_dir(scenario: Scenario, seed: int) -> Path:
    """``results/<scenario>-seed<seed>-<UTC time>`` (the name sanitised)."""
    return default_out_dir(f"{scenario.name}-seed{seed}")


def write_results(result, out: str | Path, *, figures: bool = True,
                  overwrite: bool = False, charts: bool = False) -> Path:
    """Write the results folder atomically (temporary folder, then rename).

    Args:
        result: The finished run (a :class:`RunResult`) or replicates (a :class:`RunSet`).
        out: The results folder.
        figures: Also draw the spiral figure (``figures/spiral.*``).
        overwrite: Replace a previous run's results in ``out`` (only the files it wrote).
        charts: Also draw the newsroom charts into ``out/charts``.

    Returns:
        ``out``.

    Raises:
        InputError: ``out`` is not empty and not a previous run's folder, is a previous run's
            folder and ``overwrite`` is not set, is a file, or cannot be written (read-only,
            full disk): one line, and nothing is left behind.
    """
    runs = as_run_set(result)
    out = Path(out)
    with OneShotOutput(out, KIND, overwrite=overwrite) as folder:
        t0 = time.perf_counter()
        write_tables(runs, folder.path)
        write_summary(runs, folder.path)
        first = runs.results[0]
        if figures:
            from spiral.experiments.charts.run_figure import spiral_figure

            pair = {"feedback": first.data.episodes}
            if first.data_cf is not None:
                pair["counterfactual"] = first.data_cf.episodes
            spiral_figure(pair, folder.path / "figures" / "spiral",
                          title_note=f"{first.scenario.name}, seed {first.seed}")
        runs.timings["write_s"] = time.perf_counter() - t0
        folder.write_manifest(manifest(runs))
        if charts:
            from spiral.experiments.charts.book import make_charts

            t0 = time.perf_counter()
            make_charts(folder.path, folder.path / "charts")
            runs.timings["charts_s"] = time.perf_counter() - t0
            folder.manifest["timings_s"]["charts_s"] = round(runs.timings["charts_s"], 3)
    return out


def write_summary(runs: RunSet, folder: Path) -> None:
    """``summary.csv`` (over replicates), ``summary_by_replicate.csv`` and ``summary.json``."""
    table = runs.summary
    table.to_csv(folder / "summary.csv", index=False)
    runs.per_replicate.to_csv(folder / "summary_by_replicate.csv", index=False)
    first = runs.results[0]
    doc = {"scenario": first.scenario.name, "main_variant": first.scenario.main_variant,
           "baseline_variant": first.scenario.baseline_variant,
           "replicates": len(runs.results), "seed": seed_text(runs.seed),
           "per_replicate": [{"replicate": r.replicate, "seed": seed_text(r.seed),
                              "network": r.network, "measures": r.summary}
                             for r in runs.results]}
    (folder / "summary.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


def write_tables(result, folder: Path) -> list[str]:
    """Write every table of the run into ``folder`` (CSV where small enough, and Parquet).

    Every row carries its ``replicate`` and ``variant``; ``initial_ties`` one network per
    replicate (or one, shared, with a fixed network).

    Returns:
        The names of the tables written.
    """
    runs = as_run_set(result)
    written = []
    n = len(runs.results[0].data.citizens)
    for name in TABLES:
        if name == "initial_ties":
            shared = runs.fixed_network or len(runs.results) == 1 or _same_networks(runs)
            frames = [(r.replicate, None, r.data.initial_ties)
                      for r in (runs.results[:1] if shared else runs.results)]
        else:
            frames = [(r.replicate, variant, frame) for r in runs.results
                      for variant, frame in r.variant_tables(name)]
        rows = sum(len(f) for _, _, f in frames)
        if name == "tracked" and rows == 0:
            continue
        csv = rows <= CSV_ROW_LIMIT and (name not in ("citizens", "initial_ties")
                                         or n * len(runs.results) <= CSV_CITIZEN_LIMIT)
        _write_table(frames, folder / name, csv=csv)
        written.append(name)
    return written


def _same_networks(runs) -> bool:
    """Whether every replicate started from the same network (e.g. one read from a file)."""
    first = runs.results[0].data.initial_ties
    return all(len(r.data.initial_ties) == len(first) and r.data.initial_ties.equals(first)
               for r in runs.results[1:])


def _write_table(frames: list[tuple[int, str | None, pd.DataFrame]], stem: Path, *,
                 csv: bool) -> None:
    """Write one table from its per-replicate, per-variant parts, a slice of rows at a time.

    Parquet row groups and CSV appended; each slice is labelled with its replicate and
    variant and widened to the canonical dtypes, so writing never holds a second copy of a
    large table.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    from spiral.experiments.runs.runner import labelled
    from spiral.model.records import widened

    filled = [part for part in frames if len(part[2])]
    frames = filled or frames[:1]  # empty parts (e.g. no episodes in the unlisted twin) add no rows
    replicate, variant, frame = frames[0]
    # the schema depends only on the dtypes, except for object columns (inferred from values)
    sample = frame if any(dtype.kind == "O" and not isinstance(dtype, pd.StringDtype)
                          for dtype in frame.dtypes) else frame.iloc[:0]
    schema = pa.Schema.from_pandas(widened(labelled(sample, variant, replicate)),
                                   preserve_index=False)
    first = True
    # our own file handle: closed even when a full disk makes the writer's close fail
    with open(stem.with_suffix(".parquet"), "wb") as sink, \
            pq.ParquetWriter(sink, schema) as writer:
        for replicate, variant, frame in frames:
            for start in range(0, max(len(frame), 1 if first else 0), WRITE_ROWS):
                part = widened(labelled(frame.iloc[start:start + WRITE_ROWS], variant,
                                        replicate))
                writer.write_table(pa.Table.from_pandas(part, schema=schema,
                                                        preserve_index=False))
                if csv:
                    part.to_csv(stem.with_suffix(".csv"), index=False,
                                mode="w" if first else "a", header=first)
                first = False
