"""Writing a run's results folder (``spiral run``, :func:`spiral.experiments.run`).

The folder::

    DIR/manifest.json     kind "run", parameters, seed, versions, git, timings, files written
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
    DIR/charts/           the newsroom charts, if asked

The folder is written under a temporary name and renamed when complete
(:class:`~spiral.experiments.common.outputs.OneShotOutput`), so a failed run never leaves a
half-written folder behind. A folder that is not empty is written to only if it is a previous
run's and ``overwrite`` is set; then only the files that run recorded are replaced.

The tables are held in the compact dtypes of :mod:`spiral.model.records` and written in the
canonical ones (int64, float64: :func:`spiral.model.records.widened`), a slice of rows at a
time, so the files are the same whatever the in-memory dtypes and writing never holds a
widened copy of a large table. Both variants share one ``initial_ties`` table (the paired run
starts from the same network).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from spiral.experiments.common.manifest import base_manifest
from spiral.experiments.common.outputs import OneShotOutput, default_out_dir

if TYPE_CHECKING:
    import pandas as pd
    from spiral.experiments.runs.runner import RunResult
    from spiral.experiments.runs.scenario import Scenario

KIND = "run"
CSV_CITIZEN_LIMIT = 200_000
CSV_ROW_LIMIT = 1_000_000  # larger tables are written as Parquet only
WRITE_ROWS = 500_000  # rows converted and written at a time
TABLES = ("timeseries", "listed", "events", "citizens", "tracked", "initial_ties")


def manifest(result: RunResult) -> dict:
    """The run's manifest: what was run, with what, and how long it took."""
    sc = result.scenario
    return base_manifest(
        KIND,
        scenario=sc.name,
        description=sc.description,
        scenario_file=str(sc.path) if sc.path else None,
        seed=result.seed,
        driver=result.driver,
        params=sc.params.to_dict(),
        counterfactual_changes=sc.counterfactual if result.data_cf is not None else None,
        scripted_listings=[vars(item) for item in sc.listings],
        timings_s={k: round(v, 3) for k, v in result.timings.items()})


def default_run_dir(scenario: Scenario, seed: int) -> Path:
    """``results/<scenario>-seed<seed>-<UTC time>`` (the name sanitised)."""
    return default_out_dir(f"{scenario.name}-seed{seed}")


def write_results(result: RunResult, out: str | Path, *, figures: bool = True,
                  overwrite: bool = False, charts: bool = False) -> Path:
    """Write the results folder atomically (temporary folder, then rename).

    Args:
        result: The finished run.
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
    out = Path(out)
    with OneShotOutput(out, KIND, overwrite=overwrite) as folder:
        t0 = time.perf_counter()
        write_tables(result, folder.path)
        (folder.path / "summary.json").write_text(json.dumps(result.summary, indent=2) + "\n")
        if figures:
            from spiral.experiments.charts.run_figure import spiral_figure

            spiral_figure(dict(result.variant_tables("listed")), folder.path / "figures" /
                          "spiral", title_note=f"{result.scenario.name}, seed {result.seed}")
        result.timings["write_s"] = time.perf_counter() - t0
        folder.write_manifest(manifest(result))
        if charts:
            from spiral.experiments.charts.book import make_charts

            t0 = time.perf_counter()
            make_charts(folder.path, folder.path / "charts")
            result.timings["charts_s"] = time.perf_counter() - t0
            folder.manifest["timings_s"]["charts_s"] = round(result.timings["charts_s"], 3)
    return out


def write_tables(result: RunResult, folder: Path) -> list[str]:
    """Write every table of the run into ``folder`` (CSV where small enough, and Parquet).

    Returns:
        The names of the tables written.
    """
    written = []
    n = len(result.data.citizens)
    for name in TABLES:
        if name == "initial_ties":
            frames = [(None, result.data.initial_ties)]
        else:
            frames = list(result.variant_tables(name))
        rows = sum(len(f) for _, f in frames)
        if name == "tracked" and rows == 0:
            continue
        csv = rows <= CSV_ROW_LIMIT and (name not in ("citizens", "initial_ties")
                                         or n <= CSV_CITIZEN_LIMIT)
        _write_table(frames, folder / name, csv=csv)
        written.append(name)
    return written


def _write_table(frames: list[tuple[str | None, pd.DataFrame]], stem: Path, *,
                 csv: bool) -> None:
    """Write one table from its per-variant parts, a slice of rows at a time.

    Parquet row groups and CSV appended; each slice is labelled with its variant and widened
    to the canonical dtypes, so writing never holds a second copy of a large table.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    from spiral.experiments.runs.runner import labelled
    from spiral.model.records import widened

    variant, frame = frames[0]
    # the schema depends only on the dtypes, except for object columns (inferred from values)
    sample = frame if any(dtype.kind == "O" and not isinstance(dtype, pd.StringDtype)
                          for dtype in frame.dtypes) else frame.iloc[:0]
    schema = pa.Schema.from_pandas(widened(labelled(sample, variant)), preserve_index=False)
    first = True
    # our own file handle: closed even when a full disk makes the writer's close fail
    with open(stem.with_suffix(".parquet"), "wb") as sink, \
            pq.ParquetWriter(sink, schema) as writer:
        for variant, frame in frames:
            for start in range(0, max(len(frame), 1), WRITE_ROWS):
                part = widened(labelled(frame.iloc[start:start + WRITE_ROWS], variant))
                writer.write_table(pa.Table.from_pandas(part, schema=schema,
                                                        preserve_index=False))
                if csv:
                    part.to_csv(stem.with_suffix(".csv"), index=False,
                                mode="w" if first else "a", header=first)
                first = False
