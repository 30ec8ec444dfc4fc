"""``spiral.experiments.measures``: every public measure importable from the package itself."""

from __future__ import annotations

import importlib
import inspect

from spiral.experiments import measures

SUBMODULES = ("episodes", "spillover", "network", "bands", "summary", "registry", "variants",
              "loop", "averages")


def test_package_reexports_every_public_function_and_class():
    for name in SUBMODULES:
        module = importlib.import_module(f"spiral.experiments.measures.{name}")
        public = {n for n, obj in vars(module).items()
                  if not n.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
                  and obj.__module__ == module.__name__}
        missing = public - set(measures.__all__)
        assert not missing, (name, missing)
    for name in measures.__all__:
        assert getattr(measures, name) is not None

