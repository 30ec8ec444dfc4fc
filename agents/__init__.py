"""The Mesa driver: :class:`Citizen` agents and the :class:`SpiralModel` that holds them.

Example:
    >>> from spiral.agents import SpiralModel
    >>> model = SpiralModel({"n_citizens": 50, "mean_degree": 4}, rng=1)
    >>> model.step()
"""

from spiral.agents.citizen import Citizen
from spiral.agents.spiral_model import SpiralModel

__all__ = ["Citizen", "SpiralModel"]
