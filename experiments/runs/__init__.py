"""Runs: scenario files, running a scenario with its counterfactual, writing a results folder.

* :mod:`~spiral.experiments.runs.scenario`: scenario files and the bundled scenarios
  (:func:`load_scenario`, :class:`Scenario`);
* :mod:`~spiral.experiments.runs.runner`: the one-call :func:`run`, :func:`run_scenario` and
  :class:`RunResult`;
* :mod:`~spiral.experiments.runs.results`: the results folder (:func:`write_results`).

Each name below is loaded from its module on first use, so importing this package is cheap::

    from spiral.experiments.runs import run

    result = run("zhima-spiral", seed=1, out="results/my-run")
"""

from __future__ import annotations

import importlib

_NAMES = {
    "run": "spiral.experiments.runs.runner",
    "run_scenario": "spiral.experiments.runs.runner",
    "simulate": "spiral.experiments.runs.runner",
    "RunResult": "spiral.experiments.runs.runner",
    "write_results": "spiral.experiments.runs.results",
    "default_run_dir": "spiral.experiments.runs.results",
    "load_scenario": "spiral.experiments.runs.scenario",
    "available": "spiral.experiments.runs.scenario",
    "Scenario": "spiral.experiments.runs.scenario",
    "ScenarioError": "spiral.experiments.runs.scenario",
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
