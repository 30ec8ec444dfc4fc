"""ABC-SMC with pyabc: priors, samplers, the SQLite history, resuming, progress.

:func:`run_abc` runs one generation at a time (``ABCSMC.run(max_nr_populations=1)``), so it
can report each generation (acceptance rate, tolerance, time, ETA) and stop at the final
tolerance. pyabc writes a generation to the SQLite history only when it is complete, so a
killed calibration resumes with ``ABCSMC.load(db, run_id)`` from the last complete
generation: the next ``run`` starts at ``history.max_t + 1``.

pyabc is an optional dependency (``pip install blacklist-spiral[calibration]``) imported
inside the functions that use it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from spiral.model.errors import InputError

HISTORY = "history.db"


def _pyabc():
    try:
        import pyabc
    except ModuleNotFoundError:
        raise InputError("calibration needs pyabc: pip install 'blacklist-spiral[calibration]'"
                         ) from None
    logging.getLogger("ABC").setLevel(logging.WARNING)  # progress is ours, one line per generation
    for name in ("ABC.Sampler", "ABC.Epsilon", "ABC.History", "ABC.Distance", "ABC.Transition",
                 "ABC.Population", "ABC.Adaptation", "ABC.Predictor"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return pyabc


def make_prior(priors):
    """A pyabc ``Distribution``: independent uniform or log-uniform priors."""
    pyabc = _pyabc()
    rvs = {}
    for p in priors:
        if p.distribution == "uniform":
            rvs[p.name] = pyabc.RV("uniform", p.low, p.high - p.low)
        else:
            rvs[p.name] = pyabc.RV("loguniform", p.low, p.high)
    return pyabc.Distribution(**rvs)


def make_sampler(workers: int = 1, client=None):
    """Pyabc's sampler: Dask (``client``), local cores (``workers`` > 1) or this process."""
    pyabc = _pyabc()
    if client is not None:
        return pyabc.sampler.DaskDistributedSampler(dask_client=client)
    if workers > 1:
        return pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers)
    return pyabc.sampler.SingleCoreSampler()


@dataclass
class Generation:
    """What one generation of ABC-SMC did."""

    t: int
    epsilon: float
    samples: int
    particles: int
    seconds: float

    @property
    def acceptance(self) -> float:
        """Accepted particles per simulation."""
        return self.particles / self.samples if self.samples else math.nan


@dataclass
class AbcRun:
    """A finished (or stopped) calibration: the history and what each generation did."""

    history: object
    db: Path
    generations: list[Generation] = field(default_factory=list)
    resumed_from: int = 0
    seconds: float = 0.0
    stop: str = ""


def generations_of(history) -> list[Generation]:
    """Every complete generation in a pyabc history (seconds from the stored end times)."""
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].sort_values("t")
    counts = history.get_nr_particles_per_population()
    out, previous = [], None
    for _, row in pops.iterrows():
        end = row["population_end_time"]
        seconds = (end - previous).total_seconds() if previous is not None else math.nan
        previous = end
        out.append(Generation(int(row["t"]), float(row["epsilon"]), int(row["samples"]),
                              int(counts.get(int(row["t"]), 0)), seconds))
    return out


def run_abc(model: Callable, distance: Callable, priors, observed: dict, *, db: Path,
            population_size: int, generations: int, final_epsilon: float = 0.0,
            epsilons=(), sampler=None, resume: bool = False,
            say: Callable[[str], None] | None = None, seed: int | None = None) -> AbcRun:
    """Run (or resume) ABC-SMC, one generation at a time, into the SQLite history ``db``.

    Args:
        model: ``model(parameters) -> statistics`` (one realisation, see
            :mod:`spiral.experiments.calibration.model`).
        distance: ``distance(x, x0) -> float``.
        priors: The priors (:class:`~spiral.experiments.calibration.spec.Prior`).
        observed: The observed statistics.
        db: The history file (created, or continued with ``resume``).
        population_size: Accepted particles per generation.
        generations: Largest number of generations in all (resumed ones included).
        final_epsilon: Stop once a generation's tolerance is at or below it.
        epsilons: An explicit tolerance schedule (default: the median of the previous
            generation's distances, pyabc's ``QuantileEpsilon``).
        sampler: A pyabc sampler (default: this process).
        resume: Continue the history in ``db`` from its last complete generation.
        say: Where progress lines go.
        seed: Seed of numpy's global generator in this process (pyabc draws from it).
    """
    pyabc = _pyabc()
    if seed is not None:
        np.random.seed(seed % 2**32)
    eps = _Tolerance()
    abc = pyabc.ABCSMC(model, make_prior(priors), distance, population_size=population_size,
                       sampler=sampler or pyabc.sampler.SingleCoreSampler(), eps=eps)
    url = f"sqlite:///{Path(db).resolve()}"
    start = time.perf_counter()
    if resume:
        history = abc.load(url, 1)
        done = generations_of(history)
    else:
        history = abc.new(url, observed)
        done = []
    run = AbcRun(history, Path(db), list(done), resumed_from=len(done))
    if done and done[-1].epsilon <= final_epsilon:
        run.stop = "final tolerance reached"
    while not run.stop and history.max_t + 1 < generations:
        t0 = time.perf_counter()
        eps.value = next_epsilon(history, epsilons, final_epsilon)
        abc.run(minimum_epsilon=final_epsilon, max_nr_populations=1)
        gen = generations_of(history)[-1]
        gen.seconds = time.perf_counter() - t0
        run.generations.append(gen)
        if say:
            say(progress_line(run.generations, generations, run.resumed_from))
        if gen.epsilon <= final_epsilon:
            run.stop = "final tolerance reached"
    run.stop = run.stop or f"{generations} generations"
    run.seconds = time.perf_counter() - start
    return run


def next_epsilon(history, epsilons=(), final_epsilon: float = 0.0) -> float:
    """The next generation's tolerance: the schedule's, else the weighted median of the last
    generation's distances (never below ``final_epsilon``); infinite for the first generation
    (a sample of the prior) without a schedule.
    """
    t = history.max_t + 1
    if epsilons:
        return float(epsilons[min(t, len(epsilons) - 1)])
    if t == 0:
        return math.inf
    frame = history.get_weighted_distances(t - 1)
    from spiral.experiments.calibration.outputs import weighted_quantiles

    median = float(weighted_quantiles(frame["distance"], frame["w"], (0.5,))[0])
    return max(median, float(final_epsilon))


class _Tolerance:
    """pyabc's epsilon set from outside before each generation (see :func:`next_epsilon`)."""

    value = math.inf

    def __new__(cls):
        pyabc = _pyabc()

        class Tolerance(pyabc.epsilon.Epsilon):
            value = math.inf

            def __call__(self, t: int) -> float:
                return self.value

        return Tolerance()


def progress_line(gens: list[Generation], total: int, resumed_from: int = 0) -> str:
    """One generation's progress: acceptance rate, tolerance, time and a naive ETA."""
    gen = gens[-1]
    mine = [g.seconds for g in gens[resumed_from:] if math.isfinite(g.seconds)]
    left = total - (gen.t + 1)
    eta = f", ETA {_clock(np.mean(mine) * left)} (at most {left} more)" if left > 0 and mine else ""
    return (f"generation {gen.t + 1}/{total}: epsilon {gen.epsilon:.4g}, accepted "
            f"{gen.particles}/{gen.samples} ({gen.acceptance:.1%}) in {_clock(gen.seconds)}{eta}")


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{seconds:.1f}s"


def posterior(history, t: int | None = None):
    """The posterior sample of generation ``t`` (default: the last): (DataFrame, weights)."""
    frame, weights = history.get_distribution(m=0, t=t)
    return frame, np.asarray(weights, dtype=float)
