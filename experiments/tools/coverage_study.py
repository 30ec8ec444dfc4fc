"""Coverage study of the calibration on the binomial toy (offline; docs/calibration.md).

    python -m spiral.experiments.tools.coverage_study [--repeats 100] [--population 200]

Each repeat draws a true rate theta from the prior Uniform(0, 1), one observation
x ~ Binomial(20, theta), runs ABC-SMC (tolerances 2 then 0, exact for discrete data) and
checks whether theta lies inside the weighted 90% credible interval. With the truth drawn
from the prior, a correct posterior covers it in 90% of repeats; the study reports the share
with its 95% Clopper-Pearson interval, and the same for the 50% interval.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import stats

N = 20


class Toy:
    """theta -> the number of successes out of N."""

    def __call__(self, par):
        """One observation at ``par["theta"]``."""
        return {"x": float(np.random.binomial(N, par["theta"]))}


def _distance(x, x0):
    return abs(x["x"] - x0["x"])


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The exact binomial interval of a share k / n."""
    a = (1 - level) / 2
    low = stats.beta.ppf(a, k, n - k + 1) if k > 0 else 0.0
    high = stats.beta.ppf(1 - a, k + 1, n - k) if k < n else 1.0
    return float(low), float(high)


def study(repeats: int, population: int, seed: int) -> dict:
    """Run the repeats; the coverage of the 50% and 90% intervals with binomial intervals."""
    from spiral.experiments.calibration.abc import make_sampler, posterior, run_abc
    from spiral.experiments.calibration.outputs import summarise
    from spiral.experiments.calibration.spec import Prior

    rng = np.random.default_rng(seed)
    prior = [Prior("theta", "uniform", 0.0, 1.0)]
    hits50 = hits90 = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(repeats):
            theta = float(rng.uniform())
            x = float(rng.binomial(N, theta))
            run = run_abc(Toy(), _distance, prior, {"x": x}, db=Path(tmp) / f"r{k}.db",
                          population_size=population, generations=2, epsilons=(2, 0),
                          sampler=make_sampler(1), seed=seed + k)
            frame, w = posterior(run.history)
            row = summarise(frame, w, prior).iloc[0]
            hits90 += row["ci90_low"] <= theta <= row["ci90_high"]
            hits50 += row["ci50_low"] <= theta <= row["ci50_high"]
    return {"repeats": repeats, "population": population, "seed": seed,
            "coverage90": hits90 / repeats, "coverage90_ci95": clopper_pearson(hits90, repeats),
            "coverage50": hits50 / repeats, "coverage50_ci95": clopper_pearson(hits50, repeats),
            "seconds": time.perf_counter() - start}


def main(argv=None) -> int:
    """Run the study and print its result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--population", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    print(json.dumps(study(args.repeats, args.population, args.seed), indent=2))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
