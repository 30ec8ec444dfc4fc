"""Experiments on the blacklist spiral model: runs, measures, sweeps, charts, validation.

One subpackage per concern; a folder says which user it serves, a file's name what it holds:

* :mod:`~spiral.experiments.runs`: scenario files, running a scenario with its variants,
  writing a results folder (everyone);
* :mod:`~spiral.experiments.measures`: every headline measure, one home;
* :mod:`~spiral.experiments.sweeps`: sweep files and designs, executors, the run store and
  resume, summaries, sensitivity analysis (sociologists);
* :mod:`~spiral.experiments.charts`: the newsroom chart set and the run figure (journalists);
* :mod:`~spiral.experiments.dashboard`: the browser dashboard (students);
* :mod:`~spiral.experiments.validation`: reproductions of published results;
* :mod:`~spiral.experiments.tools`: developer tools (benchmarks, the ODD generator);
* :mod:`~spiral.experiments.common`: helpers every command shares (TOML files, manifests,
  output folders);
* :mod:`~spiral.experiments.cli`: the ``spiral`` command.

The public API is importable from here; each name is loaded on first use, so ``import
spiral.experiments`` stays light::

    from spiral.experiments import run, load_scenario, run_sweep, make_charts

    runs = run("zhima-spiral", seed=1, replicates=3, out="results/my-run", charts=True)
    print(runs.summary.query("measure == 'score_loss_12m'"))
"""

from __future__ import annotations

import importlib

_API = {
    "run": "spiral.experiments.runs.runner",
    "run_scenario": "spiral.experiments.runs.runner",
    "RunResult": "spiral.experiments.runs.runner",
    "write_results": "spiral.experiments.runs.results",
    "load_scenario": "spiral.experiments.runs.scenario",
    "Scenario": "spiral.experiments.runs.scenario",
    "run_sweep": "spiral.experiments.sweeps.sweep",
    "load_sweep": "spiral.experiments.sweeps.spec",
    "make_charts": "spiral.experiments.charts.book",
}

__all__ = sorted(_API)


def __getattr__(name: str):
    """Load a public name from its module on first use (PEP 562)."""
    if name not in _API:
        raise AttributeError(f"module 'spiral.experiments' has no attribute {name!r}")
    value = getattr(importlib.import_module(_API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
