"""Watts (2002) as a configuration of the blacklist spiral model.

Stigma follows the monotone threshold rule (``stigma_rule = "threshold"``): an unmarked
citizen becomes stigmatised once at least a share ``stigma_threshold`` (phi) of its friends
are marked. The network is a static Erdos-Renyi graph (nobody unfriends, nobody is listed),
one random citizen is stigmatised at the start (``initial_stigma_share = 1 / n``) and the
model runs until nobody new is stigmatised (a monotone rule reaches a fixed point; with
synchronous updating the fixed point is the same as Watts's asynchronous one). Each
realisation draws a new graph and a new seed citizen.

A cascade is *global* when it reaches at least :data:`GLOBAL_SHARE` of the citizens and at
least :data:`GLOBAL_MIN_CITIZENS` (Watts's 1% of 10,000). The absolute floor matters in the
reduced sizes of ``--quick``: below the window an Erdos-Renyi graph's largest component holds
O(log n) citizens (about 40 at n = 2,000 and z = 0.5), which a seed inside it fills; such a
finite cluster is not a global cascade.

Example:
    >>> sizes = cascade_sizes(n=200, mean_degree=3.0, phi=0.18, realisations=3, seed=1)
    >>> len(sizes), bool(((sizes > 0) & (sizes <= 1)).all())
    (3, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from spiral.model.engine import ArrayEngine
from spiral.model.params import Params
from spiral.model.streams import run_seed

GLOBAL_SHARE = 0.01
GLOBAL_MIN_CITIZENS = 100


def global_cutoff(n: int) -> float:
    """Smallest final share that counts as a global cascade in a network of ``n`` citizens."""
    return max(GLOBAL_SHARE, GLOBAL_MIN_CITIZENS / n)


def watts_params(*, n: int, mean_degree: float, phi: float) -> Params:
    """The model's parameters for the Watts threshold configuration."""
    return Params(n_citizens=n, network="erdos_renyi", mean_degree=mean_degree,
                  listing_rate=0.0, wrongful_rate=0.0, network_weight=0.0,
                  stigma_rule="threshold", stigma_threshold=phi,
                  initial_stigma_share=1.0 / n, unfriend_rule="none")


def cascade_sizes(*, n: int, mean_degree: float, phi: float, realisations: int, seed: int,
                  point: int = 0) -> np.ndarray:
    """Final stigmatised share of each realisation (new graph and seed citizen each time).

    Args:
        n: Citizens.
        mean_degree: Mean degree z of the Erdos-Renyi graph.
        phi: Uniform threshold.
        realisations: Number of independent runs.
        seed: Sweep seed; run k uses ``run_seed(seed, point, k)``.
        point: Index of this (phi, z) point in the sweep.
    """
    params = watts_params(n=n, mean_degree=mean_degree, phi=phi)
    sizes = np.empty(realisations)
    for k in range(realisations):
        engine = ArrayEngine(params, seed=run_seed(seed, point, k), collect=False)
        count, previous = int(engine.stigmatised.sum()), -1
        while count != previous:
            engine.step()
            previous, count = count, int(engine.stigmatised.sum())
        sizes[k] = count / n
    return sizes


@dataclass
class CascadePoint:
    """Cascade statistics of one (phi, z) point.

    Attributes:
        phi: Threshold.
        mean_degree: z.
        realisations: Runs.
        global_count: Runs that ended in a global cascade.
        mean_global_size: Mean final share of the global cascades (NaN if none).
        sd_global_size: Standard deviation of those shares (NaN if fewer than two).
    """

    phi: float
    mean_degree: float
    realisations: int
    global_count: int
    mean_global_size: float
    sd_global_size: float

    @property
    def frequency(self) -> float:
        """Share of runs that ended in a global cascade."""
        return self.global_count / self.realisations


def cascade_point(*, n: int, mean_degree: float, phi: float, realisations: int, seed: int,
                  point: int) -> CascadePoint:
    """Run one (phi, z) point and summarise its cascades."""
    sizes = cascade_sizes(n=n, mean_degree=mean_degree, phi=phi, realisations=realisations,
                          seed=seed, point=point)
    big = sizes[sizes >= global_cutoff(n)]
    mean = float(big.mean()) if big.size else float("nan")
    sd = float(big.std(ddof=1)) if big.size > 1 else float("nan")
    return CascadePoint(phi, mean_degree, realisations, int(big.size), mean, sd)
