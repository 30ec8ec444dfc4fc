"""Replicates: the unit of a finding.

``spiral run --replicates N`` runs a scenario N times: replicate 0 is the run of the given
seed, replicate k (k >= 1) uses the seed derived from (seed, k) by
:func:`spiral.model.streams.replicate_seed`; each replicate draws its own network unless
``fixed_network`` (then all use the network of replicate 0). Every replicate runs all the
scenario's variants, and the measures are summarised over replicates:

* ``summary.csv``: one row per measure and label (variant, or comparison ``A-B``, Shapley
  share, ...): ``measure, variant, n, mean, sd, ci_low, ci_high``, with ``n`` the replicates
  with a value and a 95% t-interval ``mean +- t(0.975, n - 1) sd / sqrt(n)``. Comparisons
  between variants are computed within each replicate first (paired), then summarised;
* the per-replicate values stay available (``RunSet.per_replicate``,
  ``summary_by_replicate.csv``), and rerunning replicate k alone (``--replicate K``) gives the
  same numbers exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from spiral.experiments.common.manifest import seed_text
from spiral.experiments.measures.averages import t_critical
from spiral.experiments.measures.registry import split_key
from spiral.model.errors import InputError

FEW_REPLICATES = 10  # below this, say that the intervals are rough
MAX_REPLICATES = 10_000


@dataclass
class RunSet:
    """The replicates of one scenario run, and their summary.

    Attributes:
        results: One :class:`~spiral.experiments.runs.runner.RunResult` per replicate.
        seed: The seed of replicate 0.
        fixed_network: Whether all replicates share replicate 0's network.
        out: The results folder, if one was written.
    """

    results: list
    seed: int
    fixed_network: bool = False
    out: Path | None = None
    timings: dict = field(default_factory=dict)

    @property
    def scenario(self):
        """The scenario (the same for every replicate)."""
        return self.results[0].scenario

    @property
    def per_replicate(self) -> pd.DataFrame:
        """One row per replicate: replicate, seed, seed_text and every measure key."""
        rows = [{"replicate": r.replicate, "seed": r.seed, "seed_text": seed_text(r.seed),
                 **r.summary} for r in self.results]
        return pd.DataFrame(rows)

    @property
    def summary(self) -> pd.DataFrame:
        """``measure, variant, n, mean, sd, ci_low, ci_high`` over replicates."""
        return summary_table([r.summary for r in self.results])

    def __getitem__(self, replicate: int):
        return self.results[replicate]


def check_replicates(value) -> int:
    """Validate a replicate count (1..10,000).

    Raises:
        InputError: Not a whole number in range; the message names the field and value.
    """
    if isinstance(value, str):
        text = value.strip()
        if not text.lstrip("+").isdigit():
            raise InputError(f"--replicates = {value!r} is not valid: expected a whole number "
                             f"from 1 to {MAX_REPLICATES}")
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int | np.integer) \
            or not 1 <= value <= MAX_REPLICATES:
        raise InputError(f"--replicates = {value!r} is not valid: expected a whole number from "
                         f"1 to {MAX_REPLICATES}")
    return int(value)


def summary_table(summaries: list[dict], *, confidence: float = 0.95) -> pd.DataFrame:
    """Mean, sd and t-interval of every ``MEASURE__LABEL`` key over the replicates."""
    keys = list(dict.fromkeys(k for s in summaries for k in s))
    rows = []
    for key in keys:
        values = np.array([s.get(key) for s in summaries], dtype=object)
        values = np.array([v for v in values if v is not None], dtype=float)
        values = values[~np.isnan(values)]
        measure, label = split_key(key)
        n = int(values.size)
        mean = float(values.mean()) if n else math.nan
        sd = float(values.std(ddof=1)) if n > 1 else math.nan
        half = float(t_critical(confidence, n - 1) * sd / math.sqrt(n)) \
            if n > 1 else math.nan
        rows.append({"measure": measure, "variant": label, "n": n, "mean": mean, "sd": sd,
                     "ci_low": mean - half, "ci_high": mean + half})
    return pd.DataFrame(rows, columns=["measure", "variant", "n", "mean", "sd", "ci_low",
                                       "ci_high"])


def _context():
    """``forkserver`` where available (workers forked from a server that imported the model
    once: fast, and safe in a multi-threaded parent), else ``spawn``.
    """
    import multiprocessing

    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["spiral.experiments.runs.runner"])
        return context
    return multiprocessing.get_context("spawn")


def _one(args) -> object:
    """Run one replicate (in a worker process)."""
    from spiral.experiments.runs.runner import run_scenario

    scenario, seed, replicate, network, driver, collect, track = args
    return run_scenario(scenario, seed=seed, driver=driver, collect=collect, track=track,
                        network=network, replicate=replicate)


def run_replicates(scenario, *, seed: int, replicates: int = 1, workers: int = 1,
                   fixed_network: bool = False, only: int | None = None,
                   driver: str = "engine", collect: bool = True, track=()) -> RunSet:
    """Run replicates of a scenario (all its variants each), in order of replicate.

    Args:
        scenario: The scenario.
        seed: Seed of replicate 0.
        replicates: How many replicates (1..10,000).
        workers: Local worker processes (results do not depend on it).
        fixed_network: All replicates on replicate 0's network.
        only: Run only this replicate (reproduces it exactly).
        driver: ``engine`` or ``mesa``.
        collect: Collect per-month model measures.
        track: Citizens followed month by month in every variant.
    """
    from spiral.model.networks import build_edges
    from spiral.model.streams import make_streams, replicate_seed

    replicates = check_replicates(replicates)
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise InputError(f"--workers = {workers!r} is not valid: expected a whole number >= 1")
    numbers = list(range(replicates)) if only is None else [int(only)]
    if only is not None and not 0 <= only < MAX_REPLICATES:
        raise InputError(f"--replicate = {only!r} is not valid: expected 0 to "
                         f"{MAX_REPLICATES - 1}")
    network = build_edges(scenario.params, make_streams(seed)["network"]) if fixed_network \
        else None
    tasks = [(scenario, replicate_seed(seed, k), k, network, driver, collect, tuple(track))
             for k in numbers]
    if workers == 1 or len(tasks) == 1:
        results = [_one(task) for task in tasks]
    else:
        from concurrent.futures import ProcessPoolExecutor

        from spiral.experiments.sweeps.executors import check_main_guard

        check_main_guard()
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks)),
                                 mp_context=_context()) as pool:
            results = list(pool.map(_one, tasks))
    return RunSet(results, seed, fixed_network)
