"""Sweeps: sweep files and designs, executors, the run store and resume, summaries, sensitivity.

* :mod:`~spiral.experiments.sweeps.spec`: the sweep file, its validation and design points
  (:func:`load_sweep`, :class:`SweepSpec`);
* :mod:`~spiral.experiments.sweeps.sweep`: :func:`run_sweep` and :class:`SweepResult`;
* :mod:`~spiral.experiments.sweeps.executors`: this process, a local process pool, Dask;
* :mod:`~spiral.experiments.sweeps.store`: the sweep folder, run records and resume;
* :mod:`~spiral.experiments.sweeps.summary`: ``runs.csv`` and ``summary.csv``;
* :mod:`~spiral.experiments.sweeps.sensitivity`: Sobol indices and Morris screening;
* :mod:`~spiral.experiments.sweeps.command`: ``spiral sweep``.

Each name below is loaded from its module on first use, so importing this package is cheap.
"""

from __future__ import annotations

import importlib

_NAMES = {
    "load_sweep": "spiral.experiments.sweeps.spec",
    "sweep_from_dict": "spiral.experiments.sweeps.spec",
    "SweepSpec": "spiral.experiments.sweeps.spec",
    "SweepError": "spiral.experiments.sweeps.spec",
    "Factor": "spiral.experiments.sweeps.spec",
    "run_sweep": "spiral.experiments.sweeps.sweep",
    "SweepResult": "spiral.experiments.sweeps.sweep",
    "run_sensitivity": "spiral.experiments.sweeps.sensitivity",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str):
    """Load a public name from its module on first use (PEP 562)."""
    if name not in _NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_NAMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_NAMES})
