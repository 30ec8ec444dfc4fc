"""Benchmark the array engine and the Mesa driver: ``spiral bench``.

For each population size the array engine is measured in a fresh process (so its peak
memory is its own): network build time, engine set-up time, time per monthly tick with full
data collection and without it (on every thread numba may use, by default one per core),
without it on one thread, one sparse matrix-vector product (SpMV, scipy's, one thread) over
the same adjacency, and the peak resident memory. Up to 10,000 citizens the Mesa driver runs the same
scenario with the same seed in its own process, followed there by the array engine, so the
engine/Mesa ratio is measured in one process (and the two trajectories are checked to be
identical). The sweep figure runs a subset of a 10,000-citizen x 120-month sweep on two worker
processes with :func:`spiral.experiments.sweeps.sweep.run_sweep` and extrapolates to 1,000 runs. The
full run times ``spiral run suining-scale`` (both variants, measures, results written).

The workload is the ``suining-scale`` scenario (Erdos-Renyi, mean degree 10, ``listed``
unfriending, a 0.1% cohort listed in month 12) at each size. Timings on a shared machine are
noisy: compare the ratios, measured in the same process, and the load averages printed with
them.

Example:
    spiral bench --quick
    spiral bench --json results/bench.json
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from spiral.experiments.tools.bench_report import format_report
from spiral.experiments.tools.bench_sweeps import load_average as _load
from spiral.experiments.tools.bench_sweeps import small_runs, small_vs_big, sweep_throughput

SIZES = (1_000, 10_000, 100_000, 1_100_000)
QUICK_SIZES = (1_000, 5_000)
MESA_LIMIT = 10_000
SCENARIO = "suining-scale"
TARGETS = {
    "full_run_wall_s": 30.0,
    "full_run_peak_rss_mb": 1536.0,
    "tick_over_spmv": 3.0,
    "mesa_over_engine_at_10k": 300.0,
    "sweep_1000_runs_s": 300.0,
    "small_runs_vs_big_run": 1.0,
}


def configure(parser) -> None:
    """Add the ``spiral bench`` options."""
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and tick counts (seconds; for tests and smoke checks)")
    parser.add_argument("--sizes", type=_sizes, metavar="N,N,...",
                        help=f"populations to measure (default {','.join(map(str, SIZES))})")
    parser.add_argument("--ticks", type=int, metavar="T",
                        help="engine ticks per size (default 24: the cohort is listed in month "
                        "12, so half the months carry its cuts)")
    parser.add_argument("--mesa-ticks", type=int, metavar="T",
                        help="Mesa driver ticks (default: 6 at 1,000, 3 at 10,000)")
    parser.add_argument("--sweep-runs", type=int, default=None, metavar="R",
                        help="sweep runs actually measured before extrapolating to 1,000 "
                        "(default 20; 0 skips the sweep figure)")
    parser.add_argument("--no-small-runs", action="store_true",
                        help="skip the small-runs figure (sweeps of 2,000 and 10,000 citizens "
                        "against one run of the largest size)")
    parser.add_argument("--no-full-run", action="store_true",
                        help="skip the end-to-end 'spiral run suining-scale' figure")
    parser.add_argument("--seed", type=int, default=42, help="seed of every benchmark run")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON "
                        "(an existing file is refused unless --overwrite)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --json file")


def _sizes(text: str) -> tuple[int, ...]:
    import argparse

    try:
        sizes = tuple(int(float(x)) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--sizes expects numbers like 1000,10000, got "
                                         f"{text!r}") from None
    if not sizes or min(sizes) < 10:
        raise argparse.ArgumentTypeError(f"--sizes needs populations of at least 10, got {text!r}")
    return sizes


def main(args) -> int:
    """Run the benchmark, print the table, optionally write JSON."""
    from spiral.model.errors import InputError

    quick = args.quick
    sizes = args.sizes or (QUICK_SIZES if quick else SIZES)
    for name in ("ticks", "mesa_ticks", "sweep_runs"):
        value = getattr(args, name)
        if value is not None and value < (0 if name == "sweep_runs" else 1):
            raise InputError(f"--{name.replace('_', '-')} = {value} must be at least "
                             f"{0 if name == 'sweep_runs' else 1}")
    if args.json is not None and args.json.exists() and not getattr(args, "overwrite", False):
        raise InputError(f"--json {args.json}: the file exists; choose another name or pass "
                         "--overwrite to replace it")
    report = {"machine": machine(), "scenario": SCENARIO, "seed": args.seed, "quick": quick,
              "engine": [], "mesa": [], "sweep": None, "full_run": None,
              "small_runs": []}
    for n in sizes:
        ticks = args.ticks or (3 if quick else 24)
        _note(f"array engine, {n:,} citizens, {ticks} ticks")
        report["engine"].append(_in_subprocess("engine", n=n, ticks=ticks, seed=args.seed))
    for n in (s for s in sizes if s <= MESA_LIMIT):
        ticks = args.mesa_ticks or (2 if quick else (6 if n <= 1_000 else 3))
        _note(f"Mesa driver and array engine, {n:,} citizens, {ticks} ticks")
        report["mesa"].append(_in_subprocess("mesa", n=n, ticks=ticks, seed=args.seed))
    sweep_runs = args.sweep_runs if args.sweep_runs is not None else (2 if quick else 20)
    if sweep_runs:
        n, ticks = (1_000, 12) if quick else (10_000, 120)
        _note(f"sweep: {sweep_runs} runs of {n:,} citizens x {ticks} ticks on 2 workers")
        report["sweep"] = sweep_throughput(runs=sweep_runs, n=n, ticks=ticks, seed=args.seed)
    if not args.no_small_runs:
        report["small_runs"] = small_runs(SCENARIO, quick=quick, seed=args.seed, note=_note)
    if not (quick or args.no_full_run):
        _note("full run: spiral run suining-scale --ticks 120 (both variants, results written)")
        report["full_run"] = _in_subprocess("full", n=1_100_000, ticks=120, seed=args.seed)
    report["machine"]["load_average_end"] = _load()
    report["targets"] = check_targets(report)
    print(format_report(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nJSON: {args.json}")
    return 0


def _note(text: str) -> None:
    print(f"spiral bench: {text} ...", file=sys.stderr, flush=True)


def machine() -> dict:
    """Where the figures were measured: CPUs, load, versions."""
    import platform

    import numpy
    import scipy

    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "load_average_start": _load(),
            "numpy": numpy.__version__, "scipy": scipy.__version__}


# --- measurements (each in a fresh process) ---------------------------------------------------
def _in_subprocess(kind: str, **kwargs) -> dict:
    """Run one measurement in a fresh interpreter; its peak memory is its own."""
    command = [sys.executable, "-m", "spiral.experiments.tools.bench", "--measure", kind,
               json.dumps(kwargs)]
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    if out.returncode:
        raise RuntimeError(f"benchmark process {kind} {kwargs} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _sig(value: float, digits: int = 4) -> float:
    """``value`` to a few significant digits (times span microseconds to minutes)."""
    return float(f"{value:.{digits}g}")


def _peak_rss_mb() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / 1024 if sys.platform != "darwin" else peak / 2**20, 1)


def _params(n: int, ticks: int):
    from spiral.experiments.runs.scenario import load_scenario

    return load_scenario(SCENARIO).params.replace(n_citizens=n, ticks=ticks)


def _warm_up(params, seed: int) -> None:
    """Two months of a throwaway 300-citizen town: loads the engine's compiled kernels (from
    numba's cache, or compiling them: once per process), so that no timing includes it.
    """
    from spiral.model.engine import ArrayEngine

    ArrayEngine(params.replace(n_citizens=300, ticks=2), seed=seed + 1).run()


def _spmv_seconds(ties, repeats: int = 7) -> float:
    """Best time of one product of the live adjacency (compact scipy CSR) with a vector."""
    import numpy as np

    adjacency = ties.csr
    if adjacency.nnz < 2**31 - 1 and adjacency.shape[0] < 2**31 - 1:
        adjacency.indices = adjacency.indices.astype(np.int32)
        adjacency.indptr = adjacency.indptr.astype(np.int32)
    x = np.random.default_rng(0).integers(350, 951, adjacency.shape[0]).astype(np.float64)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        adjacency @ x
        best = min(best, time.perf_counter() - start)
    return best


def measure_engine(n: int, ticks: int, seed: int) -> dict:
    """Build, set up and run the array engine; time per tick with and without measures (on
    every thread numba has), and without measures on one thread.
    """
    import numba
    from spiral.model.engine import ArrayEngine
    from spiral.model.networks import build_edges
    from spiral.model.streams import make_streams

    params = _params(n, ticks)
    _warm_up(params, seed)
    start = time.perf_counter()
    network = build_edges(params, make_streams(seed)["network"])
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    engine = ArrayEngine(params, seed=seed, network=network)
    setup_s = time.perf_counter() - start
    del network
    start = time.perf_counter()
    engine.run(ticks)
    tick_s = (time.perf_counter() - start) / ticks
    engine.recorder.collect = False  # the same engine, a few more months without measures
    quiet = max(2, ticks // 3)
    start = time.perf_counter()
    engine.run(quiet)
    tick_engine_only_s = (time.perf_counter() - start) / quiet
    threads = numba.get_num_threads()
    numba.set_num_threads(1)  # and a few more on one thread (the small runs' yardstick)
    start = time.perf_counter()
    engine.run(quiet)
    tick_one_thread_s = (time.perf_counter() - start) / quiet
    numba.set_num_threads(threads)
    spmv_s = _spmv_seconds(engine.ties)
    return {"n": n, "ticks": ticks, "ties": engine.ties.n_ties, "build_s": _sig(build_s),
            "setup_s": _sig(setup_s), "tick_s": _sig(tick_s),
            "tick_engine_only_s": _sig(tick_engine_only_s),
            "tick_one_thread_s": _sig(tick_one_thread_s), "threads": threads,
            "spmv_s": _sig(spmv_s),
            "tick_over_spmv": round(tick_s / spmv_s, 2),
            "engine_only_over_spmv": round(tick_engine_only_s / spmv_s, 2),
            "us_per_agent_tick": _sig(tick_s / n * 1e6),
            "peak_rss_mb": _peak_rss_mb(), "load_average": _load()}


def measure_mesa(n: int, ticks: int, seed: int) -> dict:
    """Mesa driver then array engine, same scenario and seed, in this one process."""
    import numpy as np
    from spiral.agents.spiral_model import SpiralModel
    from spiral.model.engine import ArrayEngine
    from spiral.model.networks import build_edges
    from spiral.model.streams import make_streams

    params = _params(n, ticks)
    _warm_up(params, seed)
    network = build_edges(params, make_streams(seed)["network"])
    start = time.perf_counter()
    model = SpiralModel(params, rng=seed, network=network)
    mesa_setup_s = time.perf_counter() - start
    start = time.perf_counter()
    model.run_for(ticks)
    mesa_tick_s = (time.perf_counter() - start) / ticks
    mesa_rss = _peak_rss_mb()
    engine = ArrayEngine(params, seed=seed, network=network)
    start = time.perf_counter()
    engine.run(ticks)
    engine_tick_s = (time.perf_counter() - start) / ticks
    a, b = model.snapshot(), engine.snapshot()
    identical = all(np.array_equal(a[k], b[k]) for k in a)
    return {"n": n, "ticks": ticks, "mesa_setup_s": _sig(mesa_setup_s),
            "mesa_tick_s": _sig(mesa_tick_s), "engine_tick_s": _sig(engine_tick_s),
            "mesa_over_engine": round(mesa_tick_s / engine_tick_s, 1),
            "mesa_us_per_agent_tick": round(mesa_tick_s / n * 1e6, 3),
            "engine_us_per_agent_tick": _sig(engine_tick_s / n * 1e6),
            "identical_trajectories": bool(identical), "mesa_peak_rss_mb": mesa_rss,
            "load_average": _load()}


def measure_full_run(n: int, ticks: int, seed: int) -> dict:
    """``spiral run suining-scale``: network, both variants, measures, results written."""
    from spiral.experiments.runs.results import write_results
    from spiral.experiments.runs.runner import run_scenario
    from spiral.experiments.runs.scenario import load_scenario

    scenario = load_scenario(SCENARIO).with_changes(n_citizens=n, ticks=ticks)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="spiral-bench-") as tmp:
        result = run_scenario(scenario, seed=seed)
        write_results(result, Path(tmp) / "run")
        timings = {k: round(v, 3) for k, v in result.timings.items()}
    wall = time.perf_counter() - start
    return {"n": n, "ticks": ticks, "wall_s": round(wall, 3), "timings_s": timings,
            "peak_rss_mb": _peak_rss_mb(), "load_average": _load()}


# --- report ---------------------------------------------------------------------------
def check_targets(report: dict) -> dict:
    """Each target of the issue with the measured figure and whether it is met."""
    out = {}
    by_n = {row["n"]: row for row in report["engine"]}
    big = by_n.get(max(by_n)) if by_n else None
    if big is not None:
        out["tick_over_spmv"] = _target(big["tick_over_spmv"], TARGETS["tick_over_spmv"],
                                        f"at {big['n']:,} citizens, with data collection")
        out["engine_only_over_spmv"] = _target(big["engine_only_over_spmv"],
                                               TARGETS["tick_over_spmv"],
                                               f"at {big['n']:,} citizens, no per-tick measures")
    mesa = {row["n"]: row for row in report["mesa"]}
    if mesa:
        row = mesa[max(mesa)]
        out["mesa_over_engine"] = _target(row["mesa_over_engine"],
                                          TARGETS["mesa_over_engine_at_10k"],
                                          f"at {row['n']:,} citizens", higher_is_better=True)
    if report["sweep"]:
        s = report["sweep"]
        out["sweep_1000_runs_s"] = _target(s["extrapolated_s"], TARGETS["sweep_1000_runs_s"],
                                           f"{s['n']:,} citizens x {s['ticks']} ticks, "
                                           f"{s['workers']} workers, from {s['runs_measured']} "
                                           "runs")
    for row in small_vs_big(report):
        out[f"small_runs_{row['n']}_vs_big"] = _target(
            row["ratio"], TARGETS["small_runs_vs_big_run"],
            f"sweep throughput per worker at {row['n']:,} citizens / one run at "
            f"{row['big_n']:,} (unbatched: {row['unbatched_ratio']})", higher_is_better=True)
    if report["full_run"]:
        f = report["full_run"]
        out["full_run_wall_s"] = _target(f["wall_s"], TARGETS["full_run_wall_s"],
                                         "spiral run suining-scale --ticks 120")
        out["full_run_peak_rss_mb"] = _target(f["peak_rss_mb"], TARGETS["full_run_peak_rss_mb"],
                                              "same run")
    return out


def _target(value: float, limit: float, what: str, *, higher_is_better: bool = False) -> dict:
    met = value >= limit if higher_is_better else value <= limit
    return {"value": value, "target": limit, "met": bool(met), "what": what,
            "direction": ">=" if higher_is_better else "<="}


MEASURES = {"engine": measure_engine, "mesa": measure_mesa, "full": measure_full_run}

if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(MEASURES[sys.argv[2]](**json.loads(sys.argv[3]))))
