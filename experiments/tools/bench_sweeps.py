"""The sweep figures of ``spiral bench``: runs per second, and small runs against one big run.

:func:`sweep_throughput` times a 10,000-citizen x 120-month sweep on two workers and
extrapolates to 1,000 runs. :func:`small_run_throughput` times sweeps of many small towns
(2,000 and 10,000 citizens, 120 months, every variant of the scenario) on two workers and
reports citizen-months per second *per worker*, counting every variant simulated, to compare
with one single-threaded run at 1.1 million citizens measured by the same ``spiral bench``.
Replicates of a design point run as one batched engine (:mod:`spiral.model.batch`); the
unbatched figure (``--batch 1``) is measured alongside it on the same runs.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

SWEEP_RUNS = 1_000
SMALL_SIZES = {2_000: 256, 10_000: 52}  # citizens: sweep runs (two full batches a worker)
QUICK_SMALL_SIZES = {200: 6}
UNBATCHED_RUNS = 8


def load_average() -> list[float] | None:
    """The machine's 1, 5 and 15 minute load averages (None where unknown)."""
    import os

    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on this platform
        return None


def sweep_throughput(*, runs: int, n: int, ticks: int, seed: int, workers: int = 2) -> dict:
    """Time ``runs`` sweep runs on ``workers`` processes and extrapolate to 1,000 runs."""
    from spiral.experiments.sweeps.spec import sweep_from_dict
    from spiral.experiments.sweeps.sweep import run_sweep

    replicates = max(1, (runs + 1) // 2)
    spec = sweep_from_dict({
        "name": "bench", "scenario": "zhima-spiral", "design": "grid",
        "replicates": replicates, "seed": seed,
        "fixed": {"n_citizens": n, "ticks": ticks},
        "parameters": {"fear_mean": {"values": [0.3, 0.6]}}})
    with tempfile.TemporaryDirectory(prefix="spiral-bench-sweep-") as tmp:
        start = time.perf_counter()
        result = run_sweep(spec, Path(tmp) / "sweep", workers=workers, show_progress=False)
        wall = time.perf_counter() - start
    done = result.ran
    return {"n": n, "ticks": ticks, "workers": workers, "runs_measured": done,
            "wall_s": round(wall, 3), "s_per_run": float(f"{wall / done:.4g}"),
            "extrapolated_runs": SWEEP_RUNS,
            "extrapolated_s": round(wall / done * SWEEP_RUNS, 1),
            "extrapolated": done != SWEEP_RUNS, "paired": True, "load_average": load_average()}


def small_run_throughput(*, scenario: str, n: int, runs: int, ticks: int, seed: int,
                         workers: int = 2, batch: int | None = None) -> dict:
    """Citizen-months per second per worker of a sweep of ``runs`` replicates of ``n`` citizens.

    Every variant of ``scenario`` is simulated and counted; ``batch`` as for
    :func:`~spiral.experiments.sweeps.sweep.run_sweep` (None: automatic, 1: unbatched).
    """
    from spiral.experiments.runs.scenario import load_scenario
    from spiral.experiments.sweeps.spec import sweep_from_dict
    from spiral.experiments.sweeps.sweep import run_sweep

    variants = len(load_scenario(scenario).variants)
    spec = sweep_from_dict({
        "name": f"bench-{n}", "scenario": scenario, "design": "grid", "replicates": runs,
        "seed": seed, "fixed": {"n_citizens": n, "ticks": ticks},
        "parameters": {"cohort_tick": {"values": [12]}}})
    with tempfile.TemporaryDirectory(prefix="spiral-bench-small-") as tmp:
        start = time.perf_counter()
        result = run_sweep(spec, Path(tmp) / "sweep", workers=workers, batch=batch,
                           show_progress=False)
        wall = time.perf_counter() - start
    if result.failed:
        raise RuntimeError(f"{result.failed} benchmark runs failed")
    citizen_months = result.ran * variants * n * ticks
    return {"n": n, "ticks": ticks, "runs": result.ran, "variants": variants,
            "workers": workers, "batch": batch or "auto", "wall_s": round(wall, 3),
            "citizen_months_per_s_per_worker": round(citizen_months / wall / workers),
            "us_per_citizen_month_per_worker": float(f"{wall * workers / citizen_months * 1e6:.4g}"),
            "load_average": load_average()}


def small_runs(scenario: str, *, quick: bool, seed: int, note=print) -> list[dict]:
    """Sweeps of small towns, batched and unbatched, on two workers (every variant counted)."""
    rows = []
    for n, runs in (QUICK_SMALL_SIZES if quick else SMALL_SIZES).items():
        ticks = 12 if quick else 120
        note(f"small runs: {runs} runs of {n:,} citizens x {ticks} months, batched, 2 workers")
        batched = small_run_throughput(scenario=scenario, n=n, runs=runs, ticks=ticks,
                                       seed=seed)
        unbatched_runs = min(runs, 2 if quick else UNBATCHED_RUNS)
        note(f"small runs: {unbatched_runs} runs of {n:,} citizens, unbatched (--batch 1)")
        alone = small_run_throughput(scenario=scenario, n=n, runs=unbatched_runs, ticks=ticks,
                                     seed=seed, batch=1)
        rows.append({**batched, "unbatched_us_per_citizen_month_per_worker":
                     alone["us_per_citizen_month_per_worker"],
                     "unbatched_citizen_months_per_s_per_worker":
                     alone["citizen_months_per_s_per_worker"]})
    return rows


def small_vs_big(report: dict) -> list[dict]:
    """Each small-runs row against the largest single run's throughput on one thread, without
    per-month measures (sweep workers run on one thread each).
    """
    if not report.get("small_runs") or not report["engine"]:
        return []
    big = max(report["engine"], key=lambda r: r["n"])
    big_rate = big["n"] / big["tick_one_thread_s"]  # citizen-months per second, one thread
    return [{"n": r["n"], "big_n": big["n"], "big_citizen_months_per_s": round(big_rate),
             "ratio": round(r["citizen_months_per_s_per_worker"] / big_rate, 2),
             "unbatched_ratio": round(r["unbatched_citizen_months_per_s_per_worker"]
                                      / big_rate, 2)} for r in report["small_runs"]]
