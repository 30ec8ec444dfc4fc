"""The simulator ABC calls: parameters in, the observed statistics of one realisation out.

**The honest-posterior rule.** The model is stochastic and the observation is one
realisation. Each particle's simulation is therefore one realisation (its own seed, network
and draws) compared with the observation, and the particle is accepted when that realisation
is within the tolerance. Replicates are never averaged before comparing: the average of R
realisations varies about sqrt(R) times less than the observation does, so a posterior built
on it would be too narrow.

With ``replicates = R > 1`` every realisation is compared with the observation on its own and
the particle's distance is the J-th smallest of the R distances, J drawn uniformly from 1..R
(drawn once, in the simulation, so the distance is a function of the simulation's output).
A particle is then accepted with probability k/R, where k of its R realisations are within
the tolerance: the share of realisations within tolerance, an unbiased estimate of the ABC
likelihood (pseudo-marginal ABC), so the target posterior is the same as with R = 1.
"""

from __future__ import annotations

import math

import numpy as np
from spiral.experiments.calibration.spec import (
    CalibrationSpec,
    Target,
    label_variants,
)
from spiral.experiments.runs.runner import run_scenario
from spiral.model.streams import run_seed

PICK = "_pick"  # the statistic holding J, the order statistic chosen (replicates > 1)


class Simulator:
    """``Simulator(spec)(parameters)``: the statistics of ``replicates`` realisations.

    Picklable (a Dask worker receives it); its seeds come from ``numpy.random``, which pyabc's
    samplers seed differently in every worker process.
    """

    def __init__(self, spec: CalibrationSpec) -> None:
        self.spec = spec
        series = [t for t in spec.targets if t.series]
        measures = [t for t in spec.targets if t.measure]
        names = {t.variant for t in series}
        scenario = spec.scenario
        if measures:  # losses are read against the unlisted twin; contrasts need both sides
            needed = [label_variants(t.measure.rsplit("__", 1)[1]) for t in measures]
            if any(not n for n in needed):  # a decomposition needs every variant
                names |= set(scenario.variant_names)
            names |= {v for n in needed for v in n}
            names |= {"unlisted", scenario.main_variant, scenario.baseline_variant} & set(
                scenario.variant_names)
        self.scenario = scenario.with_variants(sorted(names))
        self.paired = len(names) > 1 or bool(measures)
        self.collect = any(not t.series.startswith("cumulative_") for t in series)

    def model_params(self, parameters: dict) -> dict:
        """The particle's parameters as the model takes them (integers rounded)."""
        out = {}
        for prior in self.spec.priors:
            value = float(parameters[prior.name])
            out[prior.name] = int(round(value)) if prior.is_int else value
        return out

    def realise(self, parameters: dict, seed: int) -> dict[str, float]:
        """The statistics of one realisation (NaN where the run has no value)."""
        scenario = self.scenario.with_changes(**self.model_params(parameters))
        if not self.paired:
            scenario = scenario.with_variants([self.scenario.variant_names[0]])
        result = run_scenario(scenario, seed=seed, collect=self.collect)
        stats: dict[str, float] = {}
        for target in self.spec.targets:
            if target.measure is not None:
                value = result.summary.get(target.measure)
                stats[target.name] = _float(value)
            else:
                stats.update(series_values(result.variants[target.variant], target,
                                           scenario.params.n_citizens))
        return stats

    def __call__(self, parameters: dict) -> dict[str, float]:
        """Pyabc's model: one realisation (or R, each compared separately, see the module)."""
        point = int(np.random.randint(0, 2**31 - 1))
        reps = self.spec.replicates
        if reps == 1:
            return self.realise(parameters, run_seed(self.spec.seed, point, 0))
        stats = {}
        for r in range(reps):
            one = self.realise(parameters, run_seed(self.spec.seed, point, r))
            stats.update({f"{key}#{r}": value for key, value in one.items()})
        stats[PICK] = float(np.random.randint(1, reps + 1))
        return stats


def _float(value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def series_values(data, target: Target, n_citizens: int) -> dict[str, float]:
    """A series target's simulated values at its observed months."""
    name = target.series
    if name in ("cumulative_listings", "cumulative_listings_share",
                "cumulative_delistings", "cumulative_delistings_share"):
        kind = "listing" if name.startswith("cumulative_listings") else "delisting"
        ticks = np.sort(data.events.loc[data.events["event"] == kind, "tick"].to_numpy())
        counts = np.searchsorted(ticks, np.asarray(target.months), side="right").astype(float)
        if name.endswith("_share"):
            counts /= n_citizens
        return {f"{target.name}@{m}": float(c) for m, c in zip(target.months, counts, strict=True)}
    ts = data.timeseries.set_index("tick")
    column = "listed_count" if name == "listed_share" else name
    values = ts[column].reindex(list(target.months)).astype(float)
    if name == "listed_share":
        values = values / n_citizens
    return {f"{target.name}@{m}": float(v) for m, v in zip(target.months, values, strict=True)}


class Distance:
    """The scaled distance between a simulation and the observation (p = 1, 2 or inf).

    Each statistic's difference is divided by its target's scale. A statistic the simulation
    could not produce (NaN: no listing episode observed that long, say) makes the distance
    infinite, so the particle is rejected.
    """

    def __init__(self, scales: dict[str, float], p: float = 2.0) -> None:
        self.scales = dict(scales)
        self.p = float(p)

    def one(self, x: dict, x0: dict, suffix: str = "") -> float:
        """The distance of one realisation (keys ``name`` + ``suffix``)."""
        diffs = np.array([(float(x[k + suffix]) - float(x0[k])) / s for k, s in self.scales.items()])
        if not np.all(np.isfinite(diffs)):
            return math.inf
        diffs = np.abs(diffs)
        if math.isinf(self.p):
            return float(diffs.max())
        return float(np.sum(diffs ** self.p) ** (1.0 / self.p))

    def each(self, x: dict, x0: dict) -> list[float]:
        """The distance of every realisation in ``x``."""
        if PICK not in x:
            return [self.one(x, x0)]
        reps = sum(1 for k in x if k.startswith(next(iter(self.scales)) + "#"))
        return [self.one(x, x0, f"#{r}") for r in range(reps)]

    def __call__(self, x: dict, x0: dict) -> float:
        """The distance pyabc compares with the tolerance (see the module on replicates)."""
        each = self.each(x, x0)
        if PICK not in x:
            return each[0]
        return sorted(each)[int(x[PICK]) - 1]
