"""The blacklist spiral model: parameters, rules, networks and the array engine.

Public entry points:

* :class:`~spiral.model.params.Params` and :data:`~spiral.model.params.PARAMS`: the
  parameter table;
* :mod:`~spiral.model.rules`: the pure rule functions both drivers call;
* :class:`~spiral.model.engine.ArrayEngine`: the vectorised driver for large populations;
* :mod:`~spiral.model.networks`: network generators and file readers.

The Mesa driver lives in :mod:`spiral.agents`.
"""

from spiral.model.engine import ArrayEngine
from spiral.model.initial import ScriptedListing
from spiral.model.params import PARAMS, Param, ParameterError, Params

__all__ = ["PARAMS", "ArrayEngine", "Param", "ParameterError", "Params", "ScriptedListing"]
